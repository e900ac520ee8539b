/* settings-registry.c - the table of global settings and value parsing.
 *
 * One entry per setting: the implemented ones first (they have a field in
 * struct loft_settings), then every other setting of Dovecot 2.3 that a
 * stock configuration may mention, accepted and printed but not acted on.
 * This file parses and formats values; it does not read files (see
 * config-parser.c) nor know about sections (see config.c). */
#include "lib.h"
#include "str.h"
#include "settings-registry.h"
#include "loft-config.h"

#include <limits.h>
#include <strings.h>

#define FIELD(f) offsetof(struct loft_settings, f)
#define IMPL(name, name24, type, def, field, flags, doc)                       \
	{                                                                      \
		name, name24, type, def, FIELD(field),                         \
		    SET_FLAG_IMPLEMENTED | (flags), NULL, doc                  \
	}
#define IMPL_ENUM(name, name24, def, field, flags, values, doc)                \
	{                                                                      \
		name, name24, SET_ENUM, def, FIELD(field),                     \
		    SET_FLAG_IMPLEMENTED | (flags), values, doc                \
	}
#define UNUSED(name, name24, type, def, flags)                                 \
	{                                                                      \
		name, name24, type, def, SETTING_NO_FIELD, flags, NULL, NULL   \
	}
#define UNUSED_V24(name, type, def)                                            \
	{                                                                      \
		name, NULL, type, def, SETTING_NO_FIELD, SET_FLAG_V24_ONLY,    \
		    NULL, NULL                                                 \
	}

#define DEFAULT_USERNAME_CHARS                                                 \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567890.-_@"
#define DEFAULT_CIPHER_LIST                                                    \
	"ALL:!kRSA:!SRP:!kDHd:!DSS:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!MD5:"     \
	"!PSK:!RC4:!ADH:!LOW@STRENGTH"

const struct setting_def settings_registry[] = {
    IMPL("protocols", NULL, SET_LIST, "imap pop3 lmtp", protocols, 0,
	 "Protocols to serve."),
    IMPL("listen", NULL, SET_STR, "*, ::", listen, 0,
	 "Addresses to listen on, comma-separated; * = all IPv4, :: = all "
	 "IPv6."),
    IMPL("base_dir", NULL, SET_STR, LOFT_BASE_DIR, base_dir, 0,
	 "Directory for runtime sockets and the master pid file."),
    IMPL("state_dir", NULL, SET_STR, LOFT_STATE_DIR, state_dir, 0,
	 "Directory for persistent runtime state."),
    IMPL("instance_name", NULL, SET_STR, "loft", instance_name, 0,
	 "Name of this instance in process titles and logs."),
    IMPL_ENUM("ssl", NULL, "yes", ssl, SET_FLAG_ENUM_INDEX, "no yes required",
	      "TLS support: no, yes (STARTTLS and implicit TLS), required "
	      "(no cleartext authentication without TLS)."),
    IMPL("ssl_cert", "ssl_server_cert_file", SET_STR, "", ssl_cert_file,
	 SET_FLAG_FILE_PATH,
	 "PEM certificate (chain) file; 2.3 syntax is `ssl_cert = </path`."),
    IMPL("ssl_key", "ssl_server_key_file", SET_STR, "", ssl_key_file,
	 SET_FLAG_FILE_PATH,
	 "PEM private key file; 2.3 syntax is `ssl_key = </path`."),
    IMPL("ssl_ca", "ssl_server_ca_file", SET_STR, "", ssl_ca_file,
	 SET_FLAG_FILE_PATH,
	 "CA certificates for verifying client certificates."),
    IMPL_ENUM("ssl_min_protocol", NULL, "TLSv1.2", ssl_min_protocol, 0,
	      "ANY SSLv3 TLSv1 TLSv1.1 TLSv1.2 TLSv1.3 LATEST",
	      "Oldest TLS protocol version accepted."),
    IMPL("ssl_cipher_list", NULL, SET_STR, DEFAULT_CIPHER_LIST, ssl_cipher_list,
	 0, "OpenSSL cipher list for TLS up to 1.2."),
    IMPL("ssl_verify_client_cert", "ssl_server_request_client_cert", SET_BOOL,
	 "no", ssl_verify_client_cert, 0, "Ask clients for a certificate."),
    IMPL("disable_plaintext_auth", "auth_allow_cleartext", SET_BOOL, "yes",
	 disable_plaintext_auth, SET_FLAG_INVERT_V24,
	 "Refuse cleartext authentication on connections without TLS "
	 "(2.4: auth_allow_cleartext, inverted)."),
    IMPL("auth_mechanisms", NULL, SET_LIST, "plain", auth_mechanisms, 0,
	 "SASL mechanisms offered."),
    IMPL("auth_anonymous_username", NULL, SET_STR, "anonymous",
	 auth_anonymous_username, 0,
	 "User name the ANONYMOUS mechanism logs in as."),
    IMPL("auth_ssl_username_from_cert", NULL, SET_BOOL, "no",
	 auth_ssl_username_from_cert, 0,
	 "EXTERNAL takes the user name from the client certificate's "
	 "CommonName."),
    IMPL("auth_username_format", NULL, SET_STR, "%Lu", auth_username_format, 0,
	 "Username normalisation before lookups (%Lu = lowercase)."),
    IMPL("auth_username_chars", NULL, SET_STR, DEFAULT_USERNAME_CHARS,
	 auth_username_chars, 0,
	 "Characters allowed in usernames. Empty allows all but those a "
	 "driver could interpret: Loft still refuses quotes (\" \'), "
	 "backslash, `*`, `%`, `/` and the names `.` and `..` (unless "
	 "auth_username_translation maps the character). Control "
	 "characters, NUL and invalid UTF-8 are refused whatever this "
	 "says."),
    IMPL("auth_default_realm", NULL, SET_STR, "", auth_default_realm, 0,
	 "Domain appended to usernames without one."),
    IMPL("auth_realms", NULL, SET_LIST, "", auth_realms, 0,
	 "Realms offered by SASL mechanisms that use them."),
    IMPL("auth_username_translation", NULL, SET_STR, "",
	 auth_username_translation, 0,
	 "Character pairs translated in usernames before the other "
	 "rules, e.g. \"#@/@\" turns # and / into @."),
    IMPL("auth_master_user_separator", NULL, SET_STR, "",
	 auth_master_user_separator, 0,
	 "Separator of \"user*master\" logins by master users; empty "
	 "disables them."),
    IMPL("auth_failure_delay", NULL, SET_TIME, "2 secs",
	 auth_failure_delay_msecs, SET_FLAG_MSECS,
	 "Delay before answering a failed authentication."),
    IMPL("auth_cache_size", NULL, SET_SIZE, "0", auth_cache_size, 0,
	 "Memory for the passdb/userdb lookup cache; 0 disables it."),
    IMPL("auth_cache_ttl", NULL, SET_TIME, "1 hours", auth_cache_ttl_secs, 0,
	 "How long a cached lookup is used (an expired one still is when "
	 "the database fails)."),
    IMPL("auth_cache_negative_ttl", NULL, SET_TIME, "1 hours",
	 auth_cache_negative_ttl_secs, 0,
	 "How long an unknown user stays cached; 0 = never cached."),
    IMPL("auth_verbose", NULL, SET_BOOL, "no", auth_verbose, 0,
	 "Log failed authentication attempts."),
    IMPL("auth_debug", NULL, SET_BOOL, "no", auth_debug, 0,
	 "Log authentication debug lines (never passwords)."),
    IMPL("default_pass_scheme", "passdb_default_password_scheme", SET_STR,
	 "CRYPT", default_pass_scheme, 0,
	 "Password scheme of stored hashes without a {SCHEME} prefix."),
    IMPL("mail_location", NULL, SET_STR, "", mail_location, SET_FLAG_V23_ONLY,
	 "Mailbox location \"driver:path[:KEY=value]\" (2.4: mail_driver "
	 "and mail_path)."),
    IMPL("mail_uid", NULL, SET_STR, "", mail_uid, 0,
	 "System user to access mail as when the userdb gives none."),
    IMPL("mail_gid", NULL, SET_STR, "", mail_gid, 0,
	 "System group to access mail as when the userdb gives none."),
    IMPL("first_valid_uid", NULL, SET_UINT, "500", first_valid_uid, 0,
	 "Lowest UID allowed to log in."),
    IMPL("last_valid_uid", NULL, SET_UINT, "0", last_valid_uid, 0,
	 "Highest UID allowed to log in; 0 = no limit."),
    IMPL("default_login_user", NULL, SET_STR, "dovenull", default_login_user, 0,
	 "Unprivileged user for login processes."),
    IMPL("default_internal_user", NULL, SET_STR, "dovecot",
	 default_internal_user, 0, "User for internal processes such as auth."),
    IMPL("mail_max_userip_connections", NULL, SET_UINT, "10",
	 mail_max_userip_connections, 0,
	 "Concurrent sessions allowed per user and IP address."),
    IMPL("mail_workers_per_uid", NULL, SET_UINT, "0", mail_workers_per_uid,
	 SET_FLAG_LOFT,
	 "Mail worker processes per uid (users sharing a uid are spread over "
	 "them, each user always to the same one); 0 = one per CPU."),
    IMPL("mail_debug", NULL, SET_BOOL, "no", mail_debug, 0,
	 "Log mail process debug lines."),
    IMPL("mail_max_keyword_length", NULL, SET_UINT, "50",
	 mail_max_keyword_length, 0,
	 "Longest keyword (bytes) that STORE and APPEND accept; a longer one "
	 "is refused with NO [CANNOT] Keyword length too long."),
    IMPL("login_greeting", NULL, SET_STR, "Loft ready.", login_greeting, 0,
	 "Greeting sent to clients on connect."),
    IMPL("login_trusted_networks", NULL, SET_STR, "", login_trusted_networks, 0,
	 "Networks allowed to override the client IP (XCLIENT, ID)."),
    IMPL("log_path", NULL, SET_STR, "syslog", log_path, 0,
	 "Error log: a file, \"syslog\", or empty for stderr."),
    IMPL("info_log_path", NULL, SET_STR, "", info_log_path, 0,
	 "Info log; empty = same as log_path."),
    IMPL("debug_log_path", NULL, SET_STR, "", debug_log_path, 0,
	 "Debug log; empty = same as info_log_path."),
    IMPL("log_timestamp", NULL, SET_STR, "%b %d %H:%M:%S ", log_timestamp, 0,
	 "strftime() prefix of lines written to files."),
    IMPL("syslog_facility", NULL, SET_STR, "mail", syslog_facility, 0,
	 "Syslog facility."),
    IMPL("pop3_uidl_format", NULL, SET_STR, "%08Xu%08Xv", pop3_uidl_format, 0,
	 "POP3 UIDL format (%u = IMAP UID, %v = UIDVALIDITY)."),
    IMPL("pop3_no_flag_updates", NULL, SET_BOOL, "no", pop3_no_flag_updates, 0,
	 "Do not mark messages seen or move them from new/ to cur/."),
    IMPL("pop3_lock_session", NULL, SET_BOOL, "no", pop3_lock_session, 0,
	 "Also take Dovecot's POP3 session lock file, for servers sharing "
	 "the Maildir (Loft always refuses a second session of a user "
	 "itself)."),
    IMPL("imap_max_line_length", NULL, SET_SIZE, "64 k", imap_max_line_length,
	 0, "Longest IMAP command line accepted."),
    IMPL("imap_capability", NULL, SET_STR, "", imap_capability, 0,
	 "Capabilities sent after login instead of the built-in list; a "
	 "value starting with \"+\" is appended to the built-in list."),
    IMPL("imap_idle_notify_interval", NULL, SET_TIME, "2 mins",
	 imap_idle_notify_interval_secs, 0,
	 "How often an IDLE client gets \"* OK Still here\"."),
    IMPL("imap_logout_format", NULL, SET_STR,
	 "in=%i out=%o deleted=%{deleted} expunged=%{expunged} "
	 "trashed=%{trashed} hdr_count=%{fetch_hdr_count} "
	 "hdr_bytes=%{fetch_hdr_bytes} body_count=%{fetch_body_count} "
	 "body_bytes=%{fetch_body_bytes}",
	 imap_logout_format, 0,
	 "Statistics appended to the IMAP disconnect log line: %i/%{input} "
	 "and %o/%{output} bytes, %{deleted}, %{expunged}, %{trashed}, "
	 "%{autoexpunged}, %{fetch_hdr_count}, %{fetch_hdr_bytes}, "
	 "%{fetch_body_count}, %{fetch_body_bytes}, %{session}, %u/%{user}."),
    IMPL("imap_id_send", NULL, SET_STR, "name *", imap_id_send, 0,
	 "ID fields sent to the client (RFC 2971): \"name value\" pairs; "
	 "\"*\" as a value means the built-in one (name, version, os, "
	 "os-version, support-url)."),
    IMPL("imap_id_log", NULL, SET_STR, "", imap_id_log, 0,
	 "ID fields of the client to log (\"*\" = all)."),
    IMPL("imap_literal_minus", NULL, SET_BOOL, "no", imap_literal_minus, 0,
	 "Advertise LITERAL- (RFC 7888) instead of LITERAL+."),
    IMPL("client_idle_timeout", NULL, SET_TIME, "0", client_idle_timeout_secs,
	 SET_FLAG_LOFT,
	 "Disconnect an idle authenticated client after this long. 0 is "
	 "each protocol's own default: 10 minutes for POP3, 30 minutes for "
	 "IMAP (RFC 3501 section 5.4 asks for at least 30)."),
    IMPL("login_timeout", NULL, SET_TIME, "1 mins", login_timeout_secs,
	 SET_FLAG_LOFT,
	 "Disconnect a client that has not logged in after this long."),
    IMPL("pop3_max_line_length", NULL, SET_SIZE, "8 k", pop3_max_line_length,
	 SET_FLAG_LOFT,
	 "Longest POP3 command line accepted (RFC 2449 asks for 255 at "
	 "least; 8 k leaves room for SASL responses)."),

    /* 2.4-only settings with no 2.3 counterpart. */
    UNUSED_V24("dovecot_storage_version", SET_STR, ""),
    UNUSED_V24("auth_allow_weak_schemes", SET_BOOL, "no"),

    /* Known Dovecot 2.3 settings Loft does not act on yet. */
    UNUSED("auth_cache_verify_password_with_worker", NULL, SET_BOOL, "no", 0),
    UNUSED("auth_debug_passwords", NULL, SET_BOOL, "no", 0),
    UNUSED("auth_gssapi_hostname", NULL, SET_STR, "", 0),
    UNUSED("auth_krb5_keytab", NULL, SET_STR, "", 0),
    UNUSED("auth_policy_check_after_auth", NULL, SET_BOOL, "yes", 0),
    UNUSED("auth_policy_check_before_auth", NULL, SET_BOOL, "yes", 0),
    UNUSED("auth_policy_hash_mech", NULL, SET_STR, "sha256", 0),
    UNUSED("auth_policy_hash_nonce", NULL, SET_STR, "", SET_FLAG_SECRET),
    UNUSED("auth_policy_hash_truncate", NULL, SET_UINT, "12", 0),
    UNUSED("auth_policy_log_only", NULL, SET_BOOL, "no", 0),
    UNUSED("auth_policy_reject_on_fail", NULL, SET_BOOL, "no", 0),
    UNUSED("auth_policy_report_after_auth", NULL, SET_BOOL, "yes", 0),
    UNUSED(
	"auth_policy_request_attributes", NULL, SET_STR,
	"login=%{requested_username} pwhash=%{hashed_password} remote=%{rip} "
	"device_id=%{client_id} protocol=%s session_id=%{session}",
	0),
    UNUSED("auth_policy_server_api_header", NULL, SET_STR, "", 0),
    UNUSED("auth_policy_server_timeout_msecs", NULL, SET_UINT, "2000", 0),
    UNUSED("auth_policy_server_url", NULL, SET_STR, "", 0),
    UNUSED("auth_proxy_self", NULL, SET_STR, "", 0),
    UNUSED("auth_socket_path", NULL, SET_STR, "auth-userdb", 0),
    UNUSED("auth_ssl_require_client_cert", NULL, SET_BOOL, "no", 0),
    UNUSED("auth_stats", NULL, SET_BOOL, "no", 0),
    UNUSED("auth_use_winbind", NULL, SET_BOOL, "no", 0),
    UNUSED("auth_verbose_passwords", NULL, SET_BOOL, "no", 0),
    UNUSED("auth_winbind_helper_path", NULL, SET_STR, "/usr/bin/ntlm_auth", 0),
    UNUSED("auth_worker_max_count", NULL, SET_UINT, "30", 0),
    UNUSED("config_cache_size", NULL, SET_SIZE, "1 M", 0),
    UNUSED("default_client_limit", NULL, SET_UINT, "1000", 0),
    UNUSED("default_idle_kill", NULL, SET_TIME, "1 mins", 0),
    UNUSED("default_internal_group", NULL, SET_STR, "dovecot", 0),
    UNUSED("default_process_limit", NULL, SET_UINT, "100", 0),
    UNUSED("default_vsz_limit", NULL, SET_SIZE, "256 M", 0),
    UNUSED("deliver_log_format", NULL, SET_STR, "msgid=%m: %$", 0),
    UNUSED("dict_db_config", NULL, SET_STR, "", 0),
    UNUSED("director_flush_socket", NULL, SET_STR, "", 0),
    UNUSED("director_mail_servers", NULL, SET_STR, "", 0),
    UNUSED("director_max_parallel_kicks", NULL, SET_UINT, "100", 0),
    UNUSED("director_max_parallel_moves", NULL, SET_UINT, "100", 0),
    UNUSED("director_output_buffer_size", NULL, SET_SIZE, "10 M", 0),
    UNUSED("director_ping_idle_timeout", NULL, SET_TIME, "30 secs", 0),
    UNUSED("director_ping_max_timeout", NULL, SET_TIME, "1 mins", 0),
    UNUSED("director_servers", NULL, SET_STR, "", 0),
    UNUSED("director_user_expire", NULL, SET_TIME, "15 mins", 0),
    UNUSED("director_user_kick_delay", NULL, SET_TIME, "2 secs", 0),
    UNUSED("director_username_hash", NULL, SET_STR, "%Lu", 0),
    UNUSED("dotlock_use_excl", NULL, SET_BOOL, "yes", 0),
    UNUSED("doveadm_allowed_commands", NULL, SET_STR, "", 0),
    UNUSED("doveadm_api_key", NULL, SET_STR, "", SET_FLAG_SECRET),
    UNUSED("doveadm_http_rawlog_dir", NULL, SET_STR, "", 0),
    UNUSED("doveadm_password", NULL, SET_STR, "", SET_FLAG_SECRET),
    UNUSED("doveadm_port", NULL, SET_UINT, "0", 0),
    UNUSED("doveadm_socket_path", NULL, SET_STR, "doveadm-server", 0),
    UNUSED("doveadm_ssl", NULL, SET_BOOL, "no", 0),
    UNUSED("doveadm_username", NULL, SET_STR, "doveadm", 0),
    UNUSED("doveadm_worker_count", NULL, SET_UINT, "0", 0),
    UNUSED("dsync_alt_char", NULL, SET_STR, "_", 0),
    UNUSED("dsync_commit_msgs_interval", NULL, SET_UINT, "100", 0),
    UNUSED("dsync_features", NULL, SET_STR, "", 0),
    UNUSED("dsync_hashed_headers", NULL, SET_STR, "Date Message-ID", 0),
    UNUSED("dsync_remote_cmd", NULL, SET_STR,
	   "ssh -l%{login} %{host} doveadm dsync-server -u%u -U", 0),
    UNUSED("first_valid_gid", NULL, SET_UINT, "1", 0),
    UNUSED("haproxy_timeout", NULL, SET_TIME, "3 secs", 0),
    UNUSED("haproxy_trusted_networks", NULL, SET_STR, "", 0),
    UNUSED("hostname", NULL, SET_STR, "", 0),
    UNUSED("imap_client_workarounds", NULL, SET_STR, "", 0),
    UNUSED("imap_fetch_failure", NULL, SET_STR, "disconnect-immediately", 0),
    UNUSED("imap_hibernate_timeout", NULL, SET_UINT, "0", 0),
    UNUSED("imap_id_retain", NULL, SET_BOOL, "no", 0),
    UNUSED("imap_metadata", NULL, SET_BOOL, "no", 0),
    UNUSED("imap_urlauth_host", NULL, SET_STR, "", 0),
    UNUSED("imap_urlauth_logout_format", NULL, SET_STR, "in=%i out=%o", 0),
    UNUSED("imap_urlauth_port", NULL, SET_UINT, "143", 0),
    UNUSED("imapc_cmd_timeout", NULL, SET_TIME, "5 mins", 0),
    UNUSED("imapc_connection_retry_count", NULL, SET_UINT, "1", 0),
    UNUSED("imapc_connection_retry_interval", NULL, SET_TIME, "1 secs", 0),
    UNUSED("imapc_features", NULL, SET_STR, "", 0),
    UNUSED("imapc_host", NULL, SET_STR, "", 0),
    UNUSED("imapc_list_prefix", NULL, SET_STR, "", 0),
    UNUSED("imapc_master_user", NULL, SET_STR, "", 0),
    UNUSED("imapc_max_idle_time", NULL, SET_TIME, "29 mins", 0),
    UNUSED("imapc_max_line_length", NULL, SET_UINT, "0", 0),
    UNUSED("imapc_password", NULL, SET_STR, "", SET_FLAG_SECRET),
    UNUSED("imapc_port", NULL, SET_UINT, "143", 0),
    UNUSED("imapc_rawlog_dir", NULL, SET_STR, "", 0),
    UNUSED("imapc_sasl_mechanisms", NULL, SET_STR, "", 0),
    UNUSED("imapc_ssl", NULL, SET_BOOL, "no", 0),
    UNUSED("imapc_ssl_verify", NULL, SET_BOOL, "yes", 0),
    UNUSED("imapc_user", NULL, SET_STR, "", 0),
    UNUSED("import_environment", NULL, SET_STR,
	   "TZ CORE_OUTOFMEM CORE_ERROR LISTEN_PID LISTEN_FDS NOTIFY_SOCKET",
	   0),
    UNUSED("last_valid_gid", NULL, SET_UINT, "0", 0),
    UNUSED("lda_mailbox_autocreate", NULL, SET_BOOL, "no", 0),
    UNUSED("lda_mailbox_autosubscribe", NULL, SET_BOOL, "no", 0),
    UNUSED("lda_original_recipient_header", NULL, SET_STR, "", 0),
    UNUSED("libexec_dir", NULL, SET_STR, "/usr/lib/dovecot", 0),
    UNUSED("lmtp_add_received_header", NULL, SET_BOOL, "yes", 0),
    UNUSED("lmtp_client_workarounds", NULL, SET_STR, "", 0),
    UNUSED("lmtp_hdr_delivery_address", NULL, SET_STR, "final", 0),
    UNUSED("lmtp_proxy", NULL, SET_BOOL, "no", 0),
    UNUSED("lmtp_proxy_rawlog_dir", NULL, SET_STR, "", 0),
    UNUSED("lmtp_rawlog_dir", NULL, SET_STR, "", 0),
    UNUSED("lmtp_rcpt_check_quota", NULL, SET_BOOL, "no", 0),
    UNUSED("lmtp_save_to_detail_mailbox", NULL, SET_BOOL, "no", 0),
    UNUSED("lmtp_user_concurrency_limit", NULL, SET_UINT, "0", 0),
    UNUSED("lmtp_verbose_replies", NULL, SET_BOOL, "no", 0),
    UNUSED("lock_method", NULL, SET_STR, "fcntl", 0),
    UNUSED("log_core_filter", NULL, SET_STR, "", 0),
    UNUSED("log_debug", NULL, SET_STR, "", 0),
    UNUSED("login_access_sockets", NULL, SET_STR, "", 0),
    UNUSED("login_log_format", NULL, SET_STR, "%$: %s", 0),
    UNUSED("login_log_format_elements", NULL, SET_STR,
	   "user=<%u> method=%m rip=%r lip=%l mpid=%e %c session=<%{session}>",
	   0),
    UNUSED("login_plugin_dir", NULL, SET_STR, "/usr/lib/dovecot/modules/login",
	   0),
    UNUSED("login_plugins", NULL, SET_LIST, "", 0),
    UNUSED("login_proxy_max_disconnect_delay", NULL, SET_UINT, "0", 0),
    UNUSED("login_proxy_max_reconnects", NULL, SET_UINT, "3", 0),
    UNUSED("login_proxy_notify_path", NULL, SET_STR, "proxy-notify", 0),
    UNUSED("login_proxy_rawlog_dir", NULL, SET_STR, "", 0),
    UNUSED("login_proxy_timeout", NULL, SET_TIME, "30 secs", 0),
    UNUSED("login_source_ips", NULL, SET_STR, "", 0),
    UNUSED("mail_access_groups", NULL, SET_STR, "", 0),
    UNUSED("mail_always_cache_fields", NULL, SET_STR, "", 0),
    UNUSED("mail_attachment_detection_options", NULL, SET_STR, "", 0),
    UNUSED("mail_attachment_dir", NULL, SET_STR, "", 0),
    UNUSED("mail_attachment_fs", NULL, SET_STR, "sis posix", 0),
    UNUSED("mail_attachment_hash", NULL, SET_STR, "%{sha1}", 0),
    UNUSED("mail_attachment_min_size", NULL, SET_SIZE, "128 k", 0),
    UNUSED("mail_attribute_dict", NULL, SET_STR, "", 0),
    UNUSED("mail_cache_fields", NULL, SET_STR, "flags", 0),
    UNUSED("mail_chroot", NULL, SET_STR, "", 0),
    UNUSED("mail_fsync", NULL, SET_STR, "optimized", 0),
    UNUSED("mail_full_filesystem_access", NULL, SET_BOOL, "no", 0),
    UNUSED("mail_home", NULL, SET_STR, "", 0),
    UNUSED("mail_log_prefix", NULL, SET_STR, "%s(%u)<%{pid}><%{session}>: ", 0),
    UNUSED("mail_max_lock_timeout", NULL, SET_UINT, "0", 0),
    UNUSED("mail_never_cache_fields", NULL, SET_STR, "imap.envelope", 0),
    UNUSED("mail_nfs_index", NULL, SET_BOOL, "no", 0),
    UNUSED("mail_nfs_storage", NULL, SET_BOOL, "no", 0),
    UNUSED("mail_plugin_dir", NULL, SET_STR, "/usr/lib/dovecot/modules", 0),
    UNUSED("mail_plugins", NULL, SET_LIST, "", 0),
    UNUSED("mail_prefetch_count", NULL, SET_UINT, "0", 0),
    UNUSED("mail_privileged_group", NULL, SET_STR, "", 0),
    UNUSED("mail_save_crlf", NULL, SET_BOOL, "no", 0),
    UNUSED("mail_server_admin", NULL, SET_STR, "", 0),
    UNUSED("mail_server_comment", NULL, SET_STR, "", 0),
    UNUSED("mail_shared_explicit_inbox", NULL, SET_BOOL, "no", 0),
    UNUSED("mail_sort_max_read_count", NULL, SET_UINT, "0", 0),
    UNUSED("mail_temp_dir", NULL, SET_STR, "/tmp", 0),
    UNUSED("mail_temp_scan_interval", NULL, SET_TIME, "1 weeks", 0),
    UNUSED("mail_vsize_bg_after_count", NULL, SET_UINT, "0", 0),
    UNUSED("mailbox_idle_check_interval", NULL, SET_TIME, "30 secs", 0),
    UNUSED("mailbox_list_index", NULL, SET_BOOL, "yes", 0),
    UNUSED("mailbox_list_index_include_inbox", NULL, SET_BOOL, "no", 0),
    UNUSED("mailbox_list_index_very_dirty_syncs", NULL, SET_BOOL, "no", 0),
    UNUSED("maildir_broken_filename_sizes", NULL, SET_BOOL, "no", 0),
    UNUSED("maildir_copy_with_hardlinks", NULL, SET_BOOL, "yes", 0),
    UNUSED("maildir_empty_new", NULL, SET_BOOL, "no", 0),
    UNUSED("maildir_stat_dirs", NULL, SET_BOOL, "no", 0),
    UNUSED("maildir_very_dirty_syncs", NULL, SET_BOOL, "no", 0),
    UNUSED("master_user_separator", NULL, SET_STR, "", 0),
    UNUSED("mbox_dirty_syncs", NULL, SET_BOOL, "yes", 0),
    UNUSED("mbox_dotlock_change_timeout", NULL, SET_TIME, "2 mins", 0),
    UNUSED("mbox_lazy_writes", NULL, SET_BOOL, "yes", 0),
    UNUSED("mbox_lock_timeout", NULL, SET_TIME, "5 mins", 0),
    UNUSED("mbox_md5", NULL, SET_STR, "apop3d", 0),
    UNUSED("mbox_min_index_size", NULL, SET_UINT, "0", 0),
    UNUSED("mbox_read_locks", NULL, SET_STR, "fcntl", 0),
    UNUSED("mbox_very_dirty_syncs", NULL, SET_BOOL, "no", 0),
    UNUSED("mbox_write_locks", NULL, SET_STR, "fcntl dotlock", 0),
    UNUSED("mdbox_preallocate_space", NULL, SET_BOOL, "no", 0),
    UNUSED("mdbox_rotate_interval", NULL, SET_UINT, "0", 0),
    UNUSED("mdbox_rotate_size", NULL, SET_SIZE, "10 M", 0),
    UNUSED("mmap_disable", NULL, SET_BOOL, "no", 0),
    UNUSED("old_stats_carbon_interval", NULL, SET_TIME, "30 secs", 0),
    UNUSED("old_stats_carbon_name", NULL, SET_STR, "", 0),
    UNUSED("old_stats_carbon_server", NULL, SET_STR, "", 0),
    UNUSED("old_stats_command_min_time", NULL, SET_TIME, "1 mins", 0),
    UNUSED("old_stats_domain_min_time", NULL, SET_TIME, "12 hours", 0),
    UNUSED("old_stats_ip_min_time", NULL, SET_TIME, "12 hours", 0),
    UNUSED("old_stats_memory_limit", NULL, SET_SIZE, "16 M", 0),
    UNUSED("old_stats_session_min_time", NULL, SET_TIME, "15 mins", 0),
    UNUSED("old_stats_user_min_time", NULL, SET_TIME, "1 hours", 0),
    UNUSED("pop3_client_workarounds", NULL, SET_STR, "", 0),
    UNUSED("pop3_delete_type", NULL, SET_STR, "default", 0),
    UNUSED("pop3_deleted_flag", NULL, SET_STR, "", 0),
    UNUSED("pop3_enable_last", NULL, SET_BOOL, "no", 0),
    UNUSED("pop3_fast_size_lookups", NULL, SET_BOOL, "no", 0),
    UNUSED("pop3_logout_format", NULL, SET_STR,
	   "top=%t/%p, retr=%r/%b, del=%d/%m, size=%s", 0),
    UNUSED("pop3_reuse_xuidl", NULL, SET_BOOL, "no", 0),
    UNUSED("pop3_save_uidl", NULL, SET_BOOL, "no", 0),
    UNUSED("pop3_uidl_duplicates", NULL, SET_STR, "allow", 0),
    UNUSED("pop3c_features", NULL, SET_STR, "", 0),
    UNUSED("pop3c_host", NULL, SET_STR, "", 0),
    UNUSED("pop3c_master_user", NULL, SET_STR, "", 0),
    UNUSED("pop3c_password", NULL, SET_STR, "", SET_FLAG_SECRET),
    UNUSED("pop3c_port", NULL, SET_UINT, "110", 0),
    UNUSED("pop3c_quick_received_date", NULL, SET_BOOL, "no", 0),
    UNUSED("pop3c_rawlog_dir", NULL, SET_STR, "", 0),
    UNUSED("pop3c_ssl", NULL, SET_BOOL, "no", 0),
    UNUSED("pop3c_ssl_verify", NULL, SET_BOOL, "yes", 0),
    UNUSED("pop3c_user", NULL, SET_STR, "%u", 0),
    UNUSED("postmaster_address", NULL, SET_STR,
	   "postmaster@%{if;%d;ne;;%d;%{hostname}}", 0),
    UNUSED("process_shutdown_filter", NULL, SET_STR, "", 0),
    UNUSED("quota_full_tempfail", NULL, SET_BOOL, "no", 0),
    UNUSED("rawlog_dir", NULL, SET_STR, "", 0),
    UNUSED("recipient_delimiter", NULL, SET_STR, "+", 0),
    UNUSED("rejection_reason", NULL, SET_STR,
	   "Your message to <%t> was automatically rejected:%n%r", 0),
    UNUSED("rejection_subject", NULL, SET_STR, "Rejected: %s", 0),
    UNUSED("replication_dsync_parameters", NULL, SET_STR, "-d -N -l 30 -U", 0),
    UNUSED("replication_full_sync_interval", NULL, SET_TIME, "1 days", 0),
    UNUSED("replication_max_conns", NULL, SET_UINT, "10", 0),
    UNUSED("replicator_host", NULL, SET_STR, "replicator", 0),
    UNUSED("replicator_port", NULL, SET_UINT, "0", 0),
    UNUSED("sendmail_path", NULL, SET_STR, "/usr/sbin/sendmail", 0),
    UNUSED("shutdown_clients", NULL, SET_BOOL, "yes", 0),
    UNUSED("ssl_alt_cert", "ssl_server_alt_cert_file", SET_STR, "",
	   SET_FLAG_FILE_PATH),
    UNUSED("ssl_alt_key", "ssl_server_alt_key_file", SET_STR, "",
	   SET_FLAG_FILE_PATH),
    UNUSED("ssl_cert_username_field", "ssl_server_cert_username_field", SET_STR,
	   "commonName", 0),
    UNUSED("ssl_cipher_suites", NULL, SET_STR, "", 0),
    UNUSED("ssl_client_ca_dir", NULL, SET_STR, "", 0),
    UNUSED("ssl_client_ca_file", NULL, SET_STR, "", 0),
    UNUSED("ssl_client_cert", "ssl_client_cert_file", SET_STR, "",
	   SET_FLAG_FILE_PATH),
    UNUSED("ssl_client_key", "ssl_client_key_file", SET_STR, "",
	   SET_FLAG_FILE_PATH),
    UNUSED("ssl_client_require_valid_cert", NULL, SET_BOOL, "yes", 0),
    UNUSED("ssl_crypto_device", NULL, SET_STR, "", 0),
    UNUSED("ssl_curve_list", NULL, SET_STR, "", 0),
    UNUSED("ssl_dh", "ssl_server_dh_file", SET_STR, "", SET_FLAG_FILE_PATH),
    UNUSED("ssl_key_password", "ssl_server_key_password", SET_STR, "",
	   SET_FLAG_SECRET),
    UNUSED("ssl_options", NULL, SET_STR, "", 0),
    UNUSED("ssl_prefer_server_ciphers", NULL, SET_BOOL, "no", 0),
    UNUSED("ssl_require_crl", NULL, SET_BOOL, "yes", 0),
    UNUSED("stats_http_rawlog_dir", NULL, SET_STR, "", 0),
    UNUSED("stats_writer_socket_path", NULL, SET_STR, "stats-writer", 0),
    UNUSED("submission_client_workarounds", NULL, SET_STR, "", 0),
    UNUSED("submission_host", NULL, SET_STR, "", 0),
    UNUSED("submission_logout_format", NULL, SET_STR, "in=%i out=%o", 0),
    UNUSED("submission_max_mail_size", NULL, SET_UINT, "0", 0),
    UNUSED("submission_max_recipients", NULL, SET_UINT, "0", 0),
    UNUSED("submission_relay_command_timeout", NULL, SET_TIME, "5 mins", 0),
    UNUSED("submission_relay_connect_timeout", NULL, SET_TIME, "30 secs", 0),
    UNUSED("submission_relay_host", NULL, SET_STR, "", 0),
    UNUSED("submission_relay_master_user", NULL, SET_STR, "", 0),
    UNUSED("submission_relay_max_idle_time", NULL, SET_TIME, "29 mins", 0),
    UNUSED("submission_relay_password", NULL, SET_STR, "", SET_FLAG_SECRET),
    UNUSED("submission_relay_port", NULL, SET_UINT, "25", 0),
    UNUSED("submission_relay_rawlog_dir", NULL, SET_STR, "", 0),
    UNUSED("submission_relay_ssl", NULL, SET_BOOL, "no", 0),
    UNUSED("submission_relay_ssl_verify", NULL, SET_BOOL, "yes", 0),
    UNUSED("submission_relay_trusted", NULL, SET_BOOL, "no", 0),
    UNUSED("submission_relay_user", NULL, SET_STR, "", 0),
    UNUSED("submission_ssl", NULL, SET_BOOL, "no", 0),
    UNUSED("submission_timeout", NULL, SET_TIME, "30 secs", 0),
    UNUSED("valid_chroot_dirs", NULL, SET_STR, "", 0),
    UNUSED("verbose_proctitle", NULL, SET_BOOL, "no", 0),
    UNUSED("verbose_ssl", NULL, SET_BOOL, "no", 0),
    UNUSED("version_ignore", NULL, SET_BOOL, "no", 0),
};
const unsigned int settings_registry_count = N_ELEMENTS(settings_registry);

const struct setting_def *settings_registry_find(const char *name,
						 bool *v24_name_r)
{
	for (unsigned int i = 0; i < settings_registry_count; i++) {
		const struct setting_def *def = &settings_registry[i];

		if (strcmp(def->name, name) == 0) {
			if (v24_name_r != NULL)
				*v24_name_r = false;
			return def;
		}
		if (def->name24 != NULL && strcmp(def->name24, name) == 0) {
			if (v24_name_r != NULL)
				*v24_name_r = true;
			return def;
		}
	}
	return NULL;
}

const char *setting_def_name(const struct setting_def *def, bool v24)
{
	return v24 && def->name24 != NULL ? def->name24 : def->name;
}

int setting_parse_bool(const char *value, bool *bool_r)
{
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "y") == 0 ||
	    strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0) {
		*bool_r = true;
		return 0;
	}
	if (strcasecmp(value, "no") == 0 || strcasecmp(value, "n") == 0 ||
	    strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0) {
		*bool_r = false;
		return 0;
	}
	return -1;
}

/* Splits "10 secs" / "10secs" / "64k" into the number and the unit. */
static int parse_number_unit(const char *value, uint64_t *num_r,
			     const char **unit_r)
{
	uint64_t num = 0;
	const char *p = value;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (num > (UINT64_MAX - 9) / 10)
			return -1;
		num = num * 10 + (uint64_t)(*p - '0');
	}
	while (*p == ' ' || *p == '\t')
		p++;
	*num_r = num;
	*unit_r = p;
	return 0;
}

static bool unit_in(const char *unit, const char *const *names)
{
	for (; *names != NULL; names++) {
		if (strcasecmp(unit, *names) == 0)
			return true;
	}
	return false;
}

int setting_parse_time_msecs(const char *value, bool bare_is_msecs,
			     uint64_t *msecs_r)
{
	static const char *const ms[] = {"ms",		"msec",		"msecs",
					 "millisecond", "milliseconds", NULL};
	static const char *const secs[] = {"s",	     "sec",	"secs",
					   "second", "seconds", NULL};
	static const char *const mins[] = {"m",	     "min",	"mins",
					   "minute", "minutes", NULL};
	static const char *const hours[] = {"h", "hour", "hours", NULL};
	static const char *const days[] = {"d", "day", "days", NULL};
	static const char *const weeks[] = {"w", "week", "weeks", NULL};
	uint64_t num, mul;
	const char *unit;

	if (parse_number_unit(value, &num, &unit) < 0)
		return -1;
	if (*unit == '\0')
		mul = bare_is_msecs ? 1 : 1000;
	else if (unit_in(unit, ms))
		mul = 1;
	else if (unit_in(unit, secs))
		mul = 1000;
	else if (unit_in(unit, mins))
		mul = 60ULL * 1000;
	else if (unit_in(unit, hours))
		mul = 3600ULL * 1000;
	else if (unit_in(unit, days))
		mul = 86400ULL * 1000;
	else if (unit_in(unit, weeks))
		mul = 7ULL * 86400 * 1000;
	else
		return -1;
	if (num > UINT32_MAX * 1000ULL)
		return -1;
	*msecs_r = num * mul;
	return 0;
}

int setting_parse_size(const char *value, uint64_t *bytes_r)
{
	uint64_t num, mul;
	const char *unit;

	if (parse_number_unit(value, &num, &unit) < 0)
		return -1;
	switch (*unit) {
	case '\0':
	case 'b':
	case 'B':
		mul = 1;
		break;
	case 'k':
	case 'K':
		mul = 1024;
		break;
	case 'm':
	case 'M':
		mul = 1024 * 1024;
		break;
	case 'g':
	case 'G':
		mul = 1024ULL * 1024 * 1024;
		break;
	case 't':
	case 'T':
		mul = 1024ULL * 1024 * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (*unit != '\0' && unit[1] != '\0') {
		/* accept "kB", "KiB", "MB", "bytes" */
		const char *rest = unit + 1;
		if (strcasecmp(rest, "b") != 0 && strcasecmp(rest, "ib") != 0 &&
		    strcasecmp(unit, "bytes") != 0 &&
		    strcasecmp(unit, "byte") != 0)
			return -1;
	}
	if (num > UINT64_MAX / mul)
		return -1;
	*bytes_r = num * mul;
	return 0;
}

const char *setting_format_time(pool_t pool, uint64_t msecs)
{
	static const struct {
		uint64_t msecs;
		const char *name;
	} units[] = {
	    {7ULL * 86400 * 1000, "weeks"},
	    {86400ULL * 1000, "days"},
	    {3600ULL * 1000, "hours"},
	    {60ULL * 1000, "mins"},
	    {1000, "secs"},
	};

	if (msecs == 0)
		return "0";
	for (unsigned int i = 0; i < N_ELEMENTS(units); i++) {
		if (msecs % units[i].msecs == 0) {
			return p_strdup_printf(
			    pool, "%llu %s",
			    (unsigned long long)(msecs / units[i].msecs),
			    units[i].name);
		}
	}
	return p_strdup_printf(pool, "%llu ms", (unsigned long long)msecs);
}

const char *setting_format_size(pool_t pool, uint64_t bytes)
{
	static const char units[] = "kMGT";
	unsigned int i = 0;

	if (bytes == 0 || bytes % 1024 != 0)
		return p_strdup_printf(pool, "%llu", (unsigned long long)bytes);
	while (bytes % 1024 == 0 && i < sizeof(units) - 1) {
		bytes /= 1024;
		i++;
	}
	return p_strdup_printf(pool, "%llu %c", (unsigned long long)bytes,
			       units[i - 1]);
}

/* Normalises a space-separated list: single spaces, no duplicates. */
static const char *canonical_list(pool_t pool, const char *value)
{
	char **words = p_strsplit_spaces(pool, value, " \t,");
	string_t *str = str_new(pool, 64);

	for (unsigned int i = 0; words[i] != NULL; i++) {
		bool dup = false;

		for (unsigned int j = 0; j < i && !dup; j++)
			dup = strcmp(words[i], words[j]) == 0;
		if (dup)
			continue;
		if (str_len(str) > 0)
			str_append_c(str, ' ');
		str_append(str, words[i]);
	}
	return str_c(str);
}

static bool enum_has(const char *values, const char *value, unsigned int *idx_r)
{
	const char *p = values;
	size_t len = strlen(value);
	unsigned int idx = 0;

	while (*p != '\0') {
		const char *end = strchr(p, ' ');
		size_t wlen = end == NULL ? strlen(p) : (size_t)(end - p);

		if (wlen == len && strncasecmp(p, value, len) == 0) {
			*idx_r = idx;
			return true;
		}
		if (end == NULL)
			break;
		p = end + 1;
		idx++;
	}
	return false;
}

/* The enum word at idx, in the registry's spelling. */
static const char *enum_word(pool_t pool, const char *values, unsigned int idx)
{
	const char *p = values;

	for (; idx > 0; idx--) {
		p = strchr(p, ' ');
		i_assert(p != NULL);
		p++;
	}
	const char *end = strchr(p, ' ');
	return end == NULL ? p : p_strndup(pool, p, (size_t)(end - p));
}

static const char *enum_expected(pool_t pool, const char *values)
{
	string_t *str = str_new(pool, 64);
	char **words = p_strsplit_spaces(pool, values, " ");

	for (unsigned int i = 0; words[i] != NULL; i++) {
		if (i > 0)
			str_append(str, ", ");
		str_append(str, words[i]);
	}
	return str_c(str);
}

int setting_canonicalize(const struct setting_def *def, const char *name,
			 const char *value, bool invert, pool_t pool,
			 const char **canon_r, const char **error_r)
{
	uint64_t num;
	unsigned int idx;
	bool b;

	switch (def->type) {
	case SET_STR:
		*canon_r = p_strdup(pool, value);
		return 0;
	case SET_LIST:
		*canon_r = canonical_list(pool, value);
		return 0;
	case SET_BOOL:
		if (setting_parse_bool(value, &b) < 0) {
			*error_r = p_strdup_printf(
			    pool,
			    "Invalid value for %s: '%s' (expected yes or no)",
			    name, value);
			return -1;
		}
		*canon_r = (b != invert) ? "yes" : "no";
		return 0;
	case SET_UINT:
		if (str_to_uint(value, &idx) < 0) {
			*error_r = p_strdup_printf(
			    pool,
			    "Invalid value for %s: '%s' (expected a number)",
			    name, value);
			return -1;
		}
		*canon_r = p_strdup_printf(pool, "%u", idx);
		return 0;
	case SET_TIME:
		if (setting_parse_time_msecs(
			value, strstr(def->name, "_msecs") != NULL, &num) < 0 ||
		    ((def->flags & SET_FLAG_MSECS) != 0 && num > UINT32_MAX)) {
			*error_r = p_strdup_printf(
			    pool,
			    "Invalid value for %s: '%s' (expected a time "
			    "such as '30 secs' or '5 mins')",
			    name, value);
			return -1;
		}
		*canon_r = setting_format_time(pool, num);
		return 0;
	case SET_SIZE:
		if (setting_parse_size(value, &num) < 0) {
			*error_r = p_strdup_printf(
			    pool,
			    "Invalid value for %s: '%s' (expected a size "
			    "such as '64k' or '10 M')",
			    name, value);
			return -1;
		}
		*canon_r = setting_format_size(pool, num);
		return 0;
	case SET_ENUM:
		if (!enum_has(def->enum_values, value, &idx)) {
			*error_r = p_strdup_printf(
			    pool, "Invalid value for %s: '%s' (expected %s)",
			    name, value, enum_expected(pool, def->enum_values));
			return -1;
		}
		*canon_r = enum_word(pool, def->enum_values, idx);
		return 0;
	}
	i_unreached();
}

void setting_store(const struct setting_def *def, struct loft_settings *set,
		   const char *canon)
{
	void *field;
	uint64_t num = 0;
	unsigned int idx = 0;
	bool b = false;

	if (def->offset == SETTING_NO_FIELD)
		return;
	field = (char *)set + def->offset;
	switch (def->type) {
	case SET_STR:
	case SET_LIST:
		*(const char **)field = canon;
		return;
	case SET_BOOL:
		(void)setting_parse_bool(canon, &b);
		*(bool *)field = b;
		return;
	case SET_UINT:
		(void)str_to_uint(canon, &idx);
		*(unsigned int *)field = idx;
		return;
	case SET_TIME:
		(void)setting_parse_time_msecs(canon, false, &num);
		if ((def->flags & SET_FLAG_MSECS) == 0)
			num /= 1000;
		*(unsigned int *)field =
		    num > UINT_MAX ? UINT_MAX : (unsigned int)num;
		return;
	case SET_SIZE:
		(void)setting_parse_size(canon, &num);
		*(unsigned int *)field =
		    num > UINT_MAX ? UINT_MAX : (unsigned int)num;
		return;
	case SET_ENUM:
		if ((def->flags & SET_FLAG_ENUM_INDEX) != 0) {
			(void)enum_has(def->enum_values, canon, &idx);
			*(int *)field = (int)idx;
		} else {
			*(const char **)field = canon;
		}
		return;
	}
	i_unreached();
}
