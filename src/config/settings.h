/* settings.h - Loft's typed settings, as every process sees them.
 *
 * config_load() (config.h) parses a Dovecot-syntax file (2.3 or 2.4
 * generation) into one struct loft_settings, applying a protocol filter
 * (`protocol pop3 { }`) for the process that asks. Setting names below are
 * the 2.3 names; the 2.4 names map onto the same fields (see
 * doc/configuration.md). Everything lives in the settings' own pool.
 * String settings are never NULL: an unset one is "". */
#ifndef LOFT_SETTINGS_H
#define LOFT_SETTINGS_H

#include "lib.h"
#include "pool.h"
#include "array.h"

enum ssl_mode { SSL_MODE_NO, SSL_MODE_YES, SSL_MODE_REQUIRED };

struct inet_listener_settings {
	const char *name;    /* "pop3", "pop3s", "imap", "imaps" */
	const char *address; /* NULL = use the global listen */
	unsigned int port;   /* 0 = disabled */
	bool ssl;	     /* implicit TLS */
	bool haproxy;
};

struct unix_listener_settings {
	const char *path;  /* relative paths are under base_dir */
	unsigned int mode; /* e.g. 0600 */
	const char *user;
	const char *group;
};

struct service_settings {
	const char *name; /* "pop3-login", "pop3", "auth", "imap-login" ... */
	const char *executable;
	const char *user;
	unsigned int process_limit;
	unsigned int client_limit;
	unsigned int service_count;
	unsigned int process_min_avail;
	unsigned int vsz_limit_mb;
	ARRAY(struct inet_listener_settings *) inet_listeners;
	ARRAY(struct unix_listener_settings *) unix_listeners;
	/* Known service settings Loft does not act on yet ("key=value"). */
	ARRAY(const char *) extra_settings;
};

enum db_result_action {
	DB_RESULT_RETURN_OK,
	DB_RESULT_RETURN_FAIL,
	DB_RESULT_RETURN,
	DB_RESULT_CONTINUE_OK,
	DB_RESULT_CONTINUE_FAIL,
	DB_RESULT_CONTINUE,
};
/* passdbs: never/authenticated/unauthenticated; userdbs: never/found/
 * notfound. */
enum db_skip {
	DB_SKIP_NEVER,
	DB_SKIP_AUTHENTICATED,
	DB_SKIP_UNAUTHENTICATED,
	DB_SKIP_FOUND,
	DB_SKIP_NOTFOUND,
};

struct auth_db_settings {
	const char *name;   /* section name (2.4) or driver */
	const char *driver; /* "passwd-file", "static", "pam", ... */
	const char *args;   /* 2.3 args string, as written (NULL in 2.4) */
	/* 2.4 typed driver settings and anything driver-specific, as
	 * key=value pairs in order (e.g. passwd_file_path,
	 * default_password_scheme). For 2.3 passwd-file the args are converted
	 * into these too (scheme= -> default_password_scheme, the path ->
	 * passwd_file_path, other k=v as they are); 2.3 static args are added
	 * to override_fields. args itself is kept as written. */
	ARRAY(const char *) driver_settings; /* "key=value" */
	ARRAY(const char *)
	default_fields; /* "key=value" (may contain %vars) */
	ARRAY(const char *) override_fields;
	bool deny, master, pass;
	enum db_skip skip;
	const char *mechanisms;	     /* space separated, NULL = all */
	const char *username_filter; /* NULL = all */
	enum db_result_action result_success;
	enum db_result_action result_failure;
	enum db_result_action result_internalfail;
	const char *auth_verbose; /* NULL = global, "yes", "no" */
	bool userdb;		  /* false = passdb */
};

struct mailbox_settings {
	const char *name;
	const char *special_use;	    /* "\\Sent" ... or NULL */
	const char *autocreate;		    /* "no", "create", "subscribe" */
	ARRAY(const char *) extra_settings; /* others, "key=value" */
};

struct namespace_settings {
	const char *name;
	const char *type;      /* private, shared, public */
	const char *separator; /* "" = storage default */
	const char *prefix;
	const char *location;
	bool inbox, hidden, list, subscriptions;
	ARRAY(struct mailbox_settings *) mailboxes;
	ARRAY(const char *) extra_settings; /* others, "key=value" */
};

struct loft_settings {
	pool_t pool;
	const char *config_path;
	bool config_v24; /* file started with dovecot_config_version */
	const char *dovecot_config_version;

	const char *protocols; /* "pop3 imap" */
	const char *listen;    /* "*, ::" */
	const char *base_dir;
	const char *state_dir;
	const char *instance_name;

	enum ssl_mode ssl;
	const char
	    *ssl_cert_file; /* ssl_cert = </path: the path (without '<') */
	const char *ssl_key_file;
	const char *ssl_ca_file;
	const char *ssl_min_protocol;
	const char *ssl_cipher_list;
	bool ssl_verify_client_cert;

	bool disable_plaintext_auth; /* 2.4: !auth_allow_cleartext */
	const char *auth_mechanisms; /* "plain login" */
	const char *auth_anonymous_username;
	bool auth_ssl_username_from_cert;
	const char *auth_username_format;
	const char *auth_username_chars;
	const char *auth_default_realm;
	const char *auth_realms;	       /* space separated */
	const char *auth_username_translation; /* "fromtofromto..." */
	const char *auth_master_user_separator;
	unsigned int auth_failure_delay_msecs;
	unsigned int auth_cache_size; /* bytes, 0 = no cache */
	unsigned int auth_cache_ttl_secs;
	unsigned int auth_cache_negative_ttl_secs;
	bool auth_verbose;
	bool auth_debug;
	const char *default_pass_scheme;

	const char *mail_location; /* 2.4: mail_driver ":" mail_path */
	unsigned int
	    mail_uid_num; /* resolved when mail_uid is set; 0 = unset */
	const char *mail_uid;
	const char *mail_gid;
	unsigned int first_valid_uid;
	unsigned int last_valid_uid;
	const char *default_login_user;	   /* "dovenull" */
	const char *default_internal_user; /* "dovecot" */
	unsigned int mail_max_userip_connections;
	unsigned int mail_workers_per_uid; /* 0 = one per online CPU */
	bool mail_debug;
	unsigned int mail_max_keyword_length; /* bytes */

	const char *login_greeting;
	const char *login_trusted_networks;
	const char *log_path;
	const char *info_log_path;
	const char *debug_log_path;
	const char *log_timestamp;
	const char *syslog_facility;

	const char *pop3_uidl_format;
	bool pop3_no_flag_updates;
	bool pop3_lock_session;

	unsigned int imap_max_line_length;
	const char *imap_capability; /* "" = built-in, "+X Y" = appended */
	unsigned int imap_idle_notify_interval_secs;
	const char *imap_logout_format;
	const char *imap_id_send;
	const char *imap_id_log;
	bool imap_literal_minus;
	unsigned int client_idle_timeout_secs; /* pre- and post-login idle */
	unsigned int login_timeout_secs;       /* not logged in after this */
	unsigned int pop3_max_line_length;

	ARRAY(struct auth_db_settings *) passdbs;
	ARRAY(struct auth_db_settings *) userdbs;
	ARRAY(struct service_settings *) services;
	ARRAY(struct namespace_settings *) namespaces;
};

#endif
