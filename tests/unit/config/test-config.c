/* test-config.c - unit tests of the config parser, registry and dump.
 *
 * Table-driven: snippets that must load (checked through the 2.3 `-n`
 * dump), snippets that must fail with one "FILE:LINE: reason" line, then
 * file-based cases (includes, <file, 2.3 vs 2.4 canonical dump, Debian's
 * stock /etc/dovecot tree) and the doc/configuration.md check. argv[1] is
 * the data directory, argv[2] the doc file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib.h"
#include "str.h"
#include "config.h"
#include "config-parser.h"
#include "settings-registry.h"
#include "service-env.h"
#include "log.h"

#include <fcntl.h>
#include <sys/stat.h>

static const char *data_dir = "data";
static const char *doc_path = "doc/configuration.md";

/* ---- helpers ---- */

static char *dump_buffer(const char *text, bool all, int as_v24,
			 const char **error_r)
{
	string_t *str = str_new(NULL, 1024);
	char *ret;

	if (config_dump_buffer("test.conf", text, strlen(text), all, as_v24,
			       str, error_r) < 0) {
		str_free(&str);
		return NULL;
	}
	/* drop the "# Loft VERSION: PATH" line */
	const char *nl = strchr(str_c(str), '\n');
	ret = i_strdup(nl == NULL ? "" : nl + 1);
	str_free(&str);
	return ret;
}

static char *dump_file(const char *path, int as_v24)
{
	string_t *str = str_new(NULL, 1024);
	const char *error;
	char *ret;

	if (config_dump(path, false, as_v24, str, &error) < 0)
		fail_msg("config_dump(%s): %s", path, error);
	const char *nl = strchr(str_c(str), '\n');
	ret = i_strdup(nl == NULL ? "" : nl + 1);
	str_free(&str);
	return ret;
}

static struct loft_settings *load_buffer(const char *text, const char *protocol)
{
	struct config_filter filter = {.protocol = protocol};
	struct loft_settings *set;
	const char *error;

	if (config_load_buffer("test.conf", text, strlen(text), &filter, &set,
			       &error) < 0)
		fail_msg("config_load_buffer: %s\n--\n%s", error, text);
	return set;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static char *make_tmpdir(void)
{
	char *dir = i_strdup("/tmp/loft-test-config.XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void rm_rf(const char *dir)
{
	char *cmd = i_strdup_printf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	i_free(cmd);
}

/* ---- snippets that load: input -> expected 2.3 `-n` dump ---- */

static const struct {
	const char *name;
	const char *input;
	const char *expected; /* 2.3 dump without the first line */
} valid_cases[] = {
    {"empty", "", ""},
    {"comment and blank", "# hello\n\n   # indented\n", ""},
    {"key value", "login_greeting = Hi there\n", "login_greeting = Hi there\n"},
    {"no spaces", "login_greeting=Hi\n", "login_greeting = Hi\n"},
    {"default value is not printed", "ssl = yes\n", ""},
    {"quoted with escapes", "login_greeting = \"a \\\"b\\\" # c\"\n",
     "login_greeting = \"a \\\"b\\\" # c\"\n"},
    {"single quotes", "login_greeting = 'x y'\n", "login_greeting = x y\n"},
    {"trailing comment", "login_greeting = hi # comment\n",
     "login_greeting = hi\n"},
    {"trailing space kept when quoted", "log_timestamp = \"%Y-%m-%d \"\n",
     "log_timestamp = \"%Y-%m-%d \"\n"},
    {"continuation", "auth_mechanisms = plain \\\n  login\n",
     "auth_mechanisms = plain login\n"},
    {"crlf", "login_greeting = Hi\r\nauth_verbose = yes\r\n",
     "auth_verbose = yes\nlogin_greeting = Hi\n"},
    {"bool spellings", "auth_verbose = YES\nmail_debug = true\n",
     "auth_verbose = yes\nmail_debug = yes\n"},
    {"time units", "auth_failure_delay = 1500 ms\n",
     "auth_failure_delay = 1500 ms\n"},
    {"time minutes", "client_idle_timeout = 2min\n",
     "client_idle_timeout = 2 mins\n"},
    {"time bare secs", "login_timeout = 120\n", "login_timeout = 2 mins\n"},
    {"size units", "imap_max_line_length = 128k\n",
     "imap_max_line_length = 128 k\n"},
    {"size bytes", "pop3_max_line_length = 1000\n",
     "pop3_max_line_length = 1000\n"},
    {"enum case", "ssl = Required\nssl_cert = </c\nssl_key = </k\n",
     "ssl = required\nssl_cert = </c\nssl_key = </k\n"},
    {"list dedup", "protocols = pop3  imap pop3\n", "protocols = pop3 imap\n"},
    {"$ref to default", "auth_mechanisms = $auth_mechanisms login\n",
     "auth_mechanisms = plain login\n"},
    {"$ref to earlier",
     "login_greeting = a\nlogin_greeting = $login_greeting b\n",
     "login_greeting = a b\n"},
    {"$SET ref", "login_greeting = x\ninstance_name = $SET:login_greeting\n",
     "instance_name = x\nlogin_greeting = x\n"},
    {"unknown $ref kept", "login_greeting = $nosuch\n",
     "login_greeting = \"$nosuch\"\n"},
    {"not used setting", "mail_fsync = never\n",
     "mail_fsync = never # not used by loft yet\n"},
    {"2.4 name in 2.3 file",
     "ssl_server_cert_file = /c\nssl_server_key_file = /k\n",
     "ssl_cert = </c\nssl_key = </k\n"},
    {"inverted 2.4 bool", "auth_allow_cleartext = yes\n",
     "disable_plaintext_auth = no\n"},
    {"secret hidden", "ssl_key_password = s3cret\n",
     "ssl_key_password = # hidden, not used by loft yet\n"},
    {"service one line",
     "service pop3-login { inet_listener pop3s { port = 1995 ssl = yes } }\n",
     "service pop3-login {\n  inet_listener pop3s {\n    port = 1995\n  "
     "}\n}\n"},
    {"new service",
     "service imap-hibernate {\n  process_limit = 3\n  user = x\n}\n",
     "service imap-hibernate {\n  process_limit = 3\n  user = x\n}\n"},
    {"service extras",
     "service pop3 {\n  chroot = /x\n  vsz_limit = 1G\n  unix_listener "
     "login/pop3 {\n    mode = 0600\n  }\n}\n",
     "service pop3 {\n  chroot = /x # not used by loft yet\n  vsz_limit = 1 G\n"
     "  unix_listener login/pop3 {\n    mode = 0600\n  }\n}\n"},
    {"namespace one line",
     "namespace inbox { mailbox Sent { special_use = \\Sent auto = subscribe } "
     "}\n",
     "namespace inbox {\n  mailbox Sent {\n    auto = subscribe\n"
     "    special_use = \\Sent\n  }\n}\n"},
    {"namespace merged by name",
     "namespace inbox {\n inbox = yes\n}\nnamespace inbox {\n mailbox Junk {\n "
     " special_use = \\Junk\n }\n}\n",
     "namespace inbox {\n  inbox = yes\n  mailbox Junk {\n    special_use = "
     "\\Junk\n  }\n}\n"},
    {"passdb 2.3",
     "passdb {\n driver = passwd-file\n args = scheme=CRYPT /etc/u\n "
     "result_failure = return-fail\n}\n",
     "passdb {\n  args = scheme=CRYPT /etc/u\n  driver = passwd-file\n"
     "  result_failure = return-fail\n}\n"},
    {"passdb 2.4 driver from name",
     "dovecot_config_version = 2.4.0\npassdb passwd-file {\n passwd_file_path "
     "= /etc/u\n}\n",
     "passdb {\n  args = /etc/u\n  driver = passwd-file\n}\n"},
    {"passdb pam args kept",
     "passdb {\n driver = pam\n args = session=yes dovecot\n}\n",
     "passdb {\n  args = session=yes dovecot\n  driver = pam\n}\n"},
    {"passdb named 2.4",
     "dovecot_config_version = 2.4.0\npassdb users {\n driver = passwd-file\n"
     " passwd_file_path = /u\n mechanisms_filter = plain login\n}\n",
     "passdb {\n  args = /u\n  driver = passwd-file\n"
     "  mechanisms = plain login\n  name = users\n}\n"},
    {"negated protocol", "protocol !indexer-worker {\n  mail_debug = yes\n}\n",
     "protocol !indexer-worker {\n  mail_debug = yes\n}\n"},
    {"userdb override fields",
     "userdb {\n driver = passwd\n override_fields = home=/h uid=5\n}\n",
     "userdb {\n  driver = passwd\n  override_fields = home=/h uid=5\n}\n"},
    {"protocol block",
     "protocol pop3 {\n  mail_max_userip_connections = 2\n}\nprotocol imap "
     "{\n}\n",
     "protocol pop3 {\n  mail_max_userip_connections = 2\n}\n"},
    {"remote filter kept",
     "remote 10.0.0.0/8 {\n  login_greeting = inside\n}\n",
     "remote 10.0.0.0/8 {\n  login_greeting = inside\n}\n"},
    {"local filter with protocol",
     "local 127.0.0.1 {\n  protocol pop3 {\n    login_greeting = x\n  }\n}\n",
     "local 127.0.0.1 {\n  protocol pop3 {\n    login_greeting = x\n  }\n}\n"},
    {"plugin accepts anything",
     "plugin {\n  sieve = ~/.dovecot.sieve\n  whatever_setting = 1\n}\n",
     "plugin {\n  sieve = ~/.dovecot.sieve\n  whatever_setting = 1\n}\n"},
    {"dict and empty plugin", "dict {\n}\nplugin {\n}\n", ""},
    {"protocols list section", "protocols {\n  lmtp = no\n}\n",
     "protocols = imap pop3\n"},
    {"mail_location", "mail_location = maildir:~/Maildir\n",
     "mail_location = maildir:~/Maildir\n"},
    {"2.4 mail pieces",
     "mail_driver = maildir\nmail_path = ~/M\nmail_index_path = /i\n",
     "mail_location = maildir:~/M:INDEX=/i\n"},
    {"2.4 variables with spaces",
     "auth_username_format = %{user | lower }\n"
     "service x {\n  user = %{a | b = c } }\n",
     "auth_username_format = \"%{user | lower }\"\n"
     "service x {\n  user = \"%{a | b = c }\"\n}\n"},
    {"last value wins", "login_greeting = a\nlogin_greeting = b\n",
     "login_greeting = b\n"},
    {"empty value", "ssl_cert =\n", ""},
};

static void test_valid_cases(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(valid_cases); i++) {
		const char *error = NULL;
		char *out = dump_buffer(valid_cases[i].input, false, 0, &error);

		if (out == NULL)
			fail_msg("case '%s' failed: %s", valid_cases[i].name,
				 error);
		if (strcmp(out, valid_cases[i].expected) != 0)
			fail_msg("case '%s':\nexpected:\n%s\ngot:\n%s",
				 valid_cases[i].name, valid_cases[i].expected,
				 out);
		/* the 2.4 dump must load again and print the same */
		char *v24 = dump_buffer(valid_cases[i].input, false, 1, &error);
		assert_non_null(v24);
		char *again = dump_buffer(v24, false, 0, &error);
		if (again == NULL)
			fail_msg("case '%s': 2.4 dump does not load: %s\n%s",
				 valid_cases[i].name, error, v24);
		if (strcmp(again, out) != 0)
			fail_msg(
			    "case '%s': 2.4 round trip differs:\n%s\nvs\n%s",
			    valid_cases[i].name, out, again);
		/* and the 2.3 dump reloads to itself */
		char *again23 = dump_buffer(out, false, 0, &error);
		if (again23 == NULL || strcmp(again23, out) != 0)
			fail_msg("case '%s': 2.3 round trip differs: %s",
				 valid_cases[i].name,
				 again23 == NULL ? error : again23);
		i_free(out);
		i_free(v24);
		i_free(again);
		i_free(again23);
	}
}

/* ---- snippets that fail: one "FILE:LINE: reason" line ---- */

static const struct {
	const char *input;
	const char *error;
} error_cases[] = {
    {"foo = bar\n", "test.conf:1: Unknown setting: foo"},
    {"\n\nssl = maybe\n", "test.conf:3: Invalid value for ssl: 'maybe' "
			  "(expected no, yes, required)"},
    {"auth_verbose = perhaps\n", "test.conf:1: Invalid value for auth_verbose: "
				 "'perhaps' (expected yes or no)"},
    {"first_valid_uid = -1\n", "test.conf:1: Invalid value for "
			       "first_valid_uid: '-1' (expected a number)"},
    {"auth_failure_delay = 2 fortnights\n",
     "test.conf:1: Invalid value for auth_failure_delay: '2 fortnights' "
     "(expected a time such as '30 secs' or '5 mins')"},
    {"imap_max_line_length = 10 X\n",
     "test.conf:1: Invalid value for imap_max_line_length: '10 X' "
     "(expected a size such as '64k' or '10 M')"},
    {"nosuch {\n}\n", "test.conf:1: Unknown section: nosuch"},
    {"service auth {\n  bogus = 1\n}\n", "test.conf:2: Unknown setting: bogus"},
    {"service pop3-login {\n inet_listener pop3 {\n  port = 99999\n }\n}\n",
     "test.conf:3: Invalid value for port: '99999' (expected 0-65535)"},
    {"service auth {\n unix_listener x {\n  mode = 999\n }\n}\n",
     "test.conf:3: Invalid value for mode: '999' (expected an octal mode such "
     "as 0600)"},
    {"passdb {\n  args = x\n}\n", "test.conf:1: passdb: driver not set"},
    {"passdb {\n driver = pam\n result_success = maybe\n}\n",
     "test.conf:3: Invalid value for result_success: 'maybe' (expected "
     "return-ok, return-fail, return, continue-ok, continue-fail, continue)"},
    {"passdb {\n driver = pam\n passwd_file_path = /x\n}\n",
     "test.conf:3: Unknown setting: passwd_file_path"},
    {"namespace {\n  mailbox {\n  }\n}\n",
     "test.conf:2: mailbox section requires a name"},
    {"namespace inbox {\n  type = odd\n}\n",
     "test.conf:2: Invalid value for type: 'odd' (expected private, shared, "
     "public)"},
    {"protocol pop3 {\n  nosuch = 1\n}\n",
     "test.conf:2: Unknown setting: nosuch"},
    {"remote 1.2.3.4 {\n  ssl = sometimes\n}\n",
     "test.conf:2: Invalid value for ssl: 'sometimes' (expected no, yes, "
     "required)"},
    {"protocol {\n}\n", "test.conf:1: protocol section requires a name"},
    {"}\n", "test.conf:1: Unexpected '}'"},
    {"service auth {\n", "test.conf:1: Missing '}'"},
    {"login_greeting = \"abc\n", "test.conf:1: Missing closing quote (\")"},
    {"login_greeting\n",
     "test.conf:1: Expecting '=' or '{' after login_greeting"},
    {"login_greeting x {\n}\n", "test.conf:1: Unknown section: login_greeting"},
    {"!frobnicate x\n", "test.conf:1: Unknown directive: !frobnicate x"},
    {"= x\n", "test.conf:1: Expecting a setting name, got: = x"},
    {"login_greeting = hi\ndovecot_config_version = 2.4.0\n",
     "test.conf:2: dovecot_config_version must be the first setting"},
    {"ssl = required\n", "test.conf: ssl enabled, but ssl_cert not set"},
    {"ssl_cert = </c\n", "test.conf: ssl enabled, but ssl_key not set"},
    {"first_valid_uid = 1000\nlast_valid_uid = 10\n",
     "test.conf: first_valid_uid (1000) is above last_valid_uid (10)"},
    {"ssl_cert = -----BEGIN CERTIFICATE-----\n",
     "test.conf:1: ssl_cert: inline PEM data is not supported, use ssl_cert = "
     "</path"},
    {"protocols {\n  imap = perhaps\n}\n",
     "test.conf:2: Invalid value for protocols/imap: 'perhaps' (expected yes "
     "or no)"},
};

static void test_error_cases(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(error_cases); i++) {
		struct loft_settings *set = NULL;
		const char *error = NULL;
		const char *in = error_cases[i].input;

		if (config_load_buffer("test.conf", in, strlen(in), NULL, &set,
				       &error) == 0)
			fail_msg("case %u loaded but should fail:\n%s", i, in);
		assert_null(set);
		if (strcmp(error, error_cases[i].error) != 0)
			fail_msg("case %u:\nexpected: %s\ngot:      %s", i,
				 error_cases[i].error, error);
		assert_null(strchr(error, '\n'));
	}
}

/* Deep nesting and long lines are refused, not crashed on. */
static void test_limits(void **state)
{
	string_t *str = str_new(NULL, 1024);
	struct loft_settings *set;
	const char *error;

	for (unsigned int i = 0; i < CONFIG_MAX_SECTION_DEPTH + 1; i++)
		str_append(str, "plugin {\n");
	assert_int_equal(config_load_buffer("t", str_c(str), str_len(str), NULL,
					    &set, &error),
			 -1);
	assert_non_null(strstr(error, "nested too deep"));

	str_truncate(str, 0);
	str_append(str, "login_greeting = ");
	for (unsigned int i = 0; i < CONFIG_MAX_LINE_LENGTH; i++)
		str_append_c(str, 'x');
	assert_int_equal(config_load_buffer("t", str_c(str), str_len(str), NULL,
					    &set, &error),
			 -1);
	assert_string_equal(error, "t:1: Line too long (max 65536 bytes)");

	assert_int_equal(
	    config_load_buffer("t", "a = \0b", 6, NULL, &set, &error), -1);
	assert_string_equal(error, "t:1: NUL byte in line");
	str_free(&str);
}

/* ---- typed settings in the struct ---- */

static void test_struct_defaults(void **state)
{
	struct loft_settings *set = load_buffer("", NULL);

	assert_string_equal(set->protocols, "imap pop3 lmtp");
	assert_string_equal(set->listen, "*, ::");
	assert_int_equal(set->ssl, SSL_MODE_YES);
	assert_string_equal(set->ssl_min_protocol, "TLSv1.2");
	assert_true(set->disable_plaintext_auth);
	assert_string_equal(set->auth_mechanisms, "plain");
	assert_string_equal(set->auth_username_format, "%Lu");
	assert_int_equal(set->auth_failure_delay_msecs, 2000);
	assert_int_equal(set->first_valid_uid, 500);
	assert_int_equal(set->last_valid_uid, 0);
	assert_string_equal(set->default_login_user, "dovenull");
	assert_string_equal(set->default_internal_user, "dovecot");
	assert_string_equal(set->login_greeting, "Loft ready.");
	assert_int_equal(set->mail_max_userip_connections, 10);
	assert_string_equal(set->pop3_uidl_format, "%08Xu%08Xv");
	assert_false(set->pop3_lock_session);
	assert_int_equal(set->imap_max_line_length, 65536);
	assert_int_equal(set->pop3_max_line_length, 8192);
	assert_int_equal(set->client_idle_timeout_secs, 0);
	assert_int_equal(set->login_timeout_secs, 60);
	assert_string_equal(set->log_timestamp, "%b %d %H:%M:%S ");
	assert_string_equal(set->default_pass_scheme, "CRYPT");
	assert_string_equal(set->syslog_facility, "mail");
	assert_string_equal(set->ssl_cert_file, "");
	assert_string_equal(set->mail_location, "");
	assert_false(set->config_v24);

	/* default services */
	const char *names[] = {"auth",	     "pop3-login", "pop3",
			       "imap-login", "imap",	   "lmtp"};
	assert_int_equal(set->services.count, N_ELEMENTS(names));
	for (unsigned int i = 0; i < N_ELEMENTS(names); i++)
		assert_string_equal(set->services.items[i]->name, names[i]);
	const struct service_settings *pl = set->services.items[1];
	assert_int_equal(pl->inet_listeners.count, 2);
	assert_string_equal(pl->inet_listeners.items[0]->name, "pop3");
	assert_int_equal(pl->inet_listeners.items[0]->port, 110);
	assert_false(pl->inet_listeners.items[0]->ssl);
	assert_int_equal(pl->inet_listeners.items[1]->port, 995);
	assert_true(pl->inet_listeners.items[1]->ssl);
	const struct service_settings *auth = set->services.items[0];
	assert_int_equal(auth->unix_listeners.count, 4);
	assert_string_equal(auth->unix_listeners.items[1]->path, "auth-master");
	assert_string_equal(auth->unix_listeners.items[3]->path, "login/login");
	assert_int_equal(auth->unix_listeners.items[3]->mode, 0666);
	assert_int_equal(auth->unix_listeners.items[1]->mode, 0600);
	assert_int_equal(auth->unix_listeners.items[0]->mode, 0666);
	assert_string_equal(
	    set->services.items[2]->unix_listeners.items[0]->path,
	    "login/pop3");
	config_free(&set);
	assert_null(set);
}

static void test_struct_values(void **state)
{
	struct loft_settings *set = load_buffer(
	    "dovecot_config_version = 2.4.0\n"
	    "auth_allow_cleartext = yes\n"
	    "ssl = required\n"
	    "ssl_server_cert_file = /etc/c.pem\n"
	    "ssl_server_key_file = /etc/k.pem\n"
	    "mail_driver = maildir\n"
	    "mail_path = ~/Maildir\n"
	    "mail_uid = 1234\n"
	    "auth_failure_delay = 0\n"
	    "service pop3-login {\n"
	    "  inet_listener pop3 {\n    port = 0\n  }\n"
	    "  inet_listener pop3s {\n    port = 10995\n    address = "
	    "127.0.0.1\n  }\n"
	    "  process_limit = 5\n  restart_request_count = 10\n"
	    "}\n"
	    "passdb users {\n  driver = passwd-file\n"
	    "  passwd_file_path = /etc/u\n  passdb_default_password_scheme = "
	    "PLAIN\n"
	    "  fields {\n    nologin = y\n    proxy:default = n\n  }\n"
	    "  result_success = continue-ok\n  skip = authenticated\n"
	    "  mechanisms_filter = plain\n}\n"
	    "userdb static {\n  fields {\n    uid = vmail\n  }\n}\n",
	    NULL);

	assert_true(set->config_v24);
	assert_string_equal(set->dovecot_config_version, "2.4.0");
	assert_false(set->disable_plaintext_auth);
	assert_int_equal(set->ssl, SSL_MODE_REQUIRED);
	assert_string_equal(set->ssl_cert_file, "/etc/c.pem");
	assert_string_equal(set->ssl_key_file, "/etc/k.pem");
	assert_string_equal(set->mail_location, "maildir:~/Maildir");
	assert_int_equal(set->mail_uid_num, 1234);
	assert_int_equal(set->auth_failure_delay_msecs, 0);

	const struct service_settings *pl = set->services.items[1];
	assert_string_equal(pl->name, "pop3-login");
	assert_int_equal(pl->process_limit, 5);
	assert_int_equal(pl->service_count, 10);
	assert_int_equal(pl->inet_listeners.items[0]->port, 0);
	assert_int_equal(pl->inet_listeners.items[1]->port, 10995);
	assert_string_equal(pl->inet_listeners.items[1]->address, "127.0.0.1");
	assert_true(pl->inet_listeners.items[1]->ssl);

	assert_int_equal(set->passdbs.count, 1);
	const struct auth_db_settings *db = set->passdbs.items[0];
	assert_string_equal(db->name, "users");
	assert_string_equal(db->driver, "passwd-file");
	assert_null(db->args);
	assert_int_equal(db->driver_settings.count, 2);
	assert_string_equal(db->driver_settings.items[0],
			    "passwd_file_path=/etc/u");
	assert_string_equal(db->driver_settings.items[1],
			    "passdb_default_password_scheme=PLAIN");
	assert_int_equal(db->override_fields.count, 1);
	assert_string_equal(db->override_fields.items[0], "nologin=y");
	assert_int_equal(db->default_fields.count, 1);
	assert_string_equal(db->default_fields.items[0], "proxy=n");
	assert_int_equal(db->result_success, DB_RESULT_CONTINUE_OK);
	assert_int_equal(db->result_failure, DB_RESULT_CONTINUE);
	assert_int_equal(db->skip, DB_SKIP_AUTHENTICATED);
	assert_string_equal(db->mechanisms, "plain");
	assert_false(db->userdb);
	assert_int_equal(set->userdbs.count, 1);
	assert_true(set->userdbs.items[0]->userdb);
	assert_string_equal(set->userdbs.items[0]->driver, "static");
	config_free(&set);
}

static void test_struct_v23_passdb(void **state)
{
	struct loft_settings *set = load_buffer(
	    "passdb {\n  driver = passwd-file\n"
	    "  args = scheme=SHA512-CRYPT username_format=%n /etc/users\n"
	    "  deny = yes\n}\n"
	    "userdb {\n  driver = static\n"
	    "  args = uid=vmail gid=vmail home=/h/%u\n}\n",
	    NULL);
	const struct auth_db_settings *db = set->passdbs.items[0];

	assert_string_equal(db->name, "passwd-file");
	assert_string_equal(
	    db->args, "scheme=SHA512-CRYPT username_format=%n /etc/users");
	assert_true(db->deny);
	assert_int_equal(db->driver_settings.count, 3);
	assert_string_equal(db->driver_settings.items[0],
			    "passdb_default_password_scheme=SHA512-CRYPT");
	assert_string_equal(db->driver_settings.items[1], "username_format=%n");
	assert_string_equal(db->driver_settings.items[2],
			    "passwd_file_path=/etc/users");
	db = set->userdbs.items[0];
	assert_string_equal(db->args, "uid=vmail gid=vmail home=/h/%u");
	assert_int_equal(db->override_fields.count, 3);
	assert_string_equal(db->override_fields.items[2], "home=/h/%u");
	config_free(&set);
}

static const char protocol_conf[] = "login_greeting = global\n"
				    "mail_max_userip_connections = 4\n"
				    "protocol pop3 {\n"
				    "  login_greeting = pop3 only\n"
				    "}\n"
				    "protocol imap pop3 {\n"
				    "  mail_max_userip_connections = 7\n"
				    "}\n"
				    "protocol !pop3 {\n"
				    "  pop3_uidl_format = %u\n"
				    "}\n"
				    "remote 10.0.0.0/8 {\n"
				    "  login_greeting = remote\n"
				    "}\n"
				    "login_greeting = global2\n";

static void test_protocol_filter(void **state)
{
	static const struct {
		const char *protocol;
		const char *greeting;
		unsigned int userip;
		const char *uidl;
	} cases[] = {
	    {NULL, "global2", 4, "%08Xu%08Xv"},
	    {"pop3", "pop3 only", 7, "%08Xu%08Xv"},
	    {"imap", "global2", 7, "%u"},
	    {"lmtp", "global2", 4, "%u"},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		struct loft_settings *set =
		    load_buffer(protocol_conf, cases[i].protocol);

		assert_string_equal(set->login_greeting, cases[i].greeting);
		assert_int_equal(set->mail_max_userip_connections,
				 cases[i].userip);
		assert_string_equal(set->pop3_uidl_format, cases[i].uidl);
		config_free(&set);
	}
}

/* ---- files: includes, <file, canonical dump, Debian's tree ---- */

static void test_includes(void **state)
{
	char *dir = make_tmpdir();
	char *path, *p2;
	struct loft_settings *set;
	const char *error;

	p2 = i_strdup_printf("%s/conf.d", dir);
	assert_int_equal(mkdir(p2, 0700), 0);
	i_free(p2);
#define W(name, text)                                                          \
	do {                                                                   \
		p2 = i_strdup_printf("%s/%s", dir, name);                      \
		write_file(p2, text);                                          \
		i_free(p2);                                                    \
	} while (0)
	W("conf.d/20-b.conf", "login_greeting = $login_greeting b\n");
	W("conf.d/10-a.conf", "login_greeting = a\n");
	W("conf.d/30-c.ext", "login_greeting = not included\n");
	W("greeting.txt", "from file\n");
	W("main.conf",
	  "!include conf.d/*.conf\n!include_try nosuch.conf\n"
	  "!include_try nosuch/*.conf\n"
	  "instance_name = <greeting.txt\n"
	  "ssl_cert = </path/cert.pem\nssl_key = </path/key.pem\n");
	path = i_strdup_printf("%s/main.conf", dir);
	if (config_load(path, NULL, &set, &error) < 0)
		fail_msg("%s", error);
	assert_string_equal(set->login_greeting, "a b");
	assert_string_equal(set->instance_name, "from file");
	assert_string_equal(set->ssl_cert_file, "/path/cert.pem");
	assert_string_equal(set->ssl_key_file, "/path/key.pem");
	config_free(&set);

	/* missing non-glob include is an error naming the including line */
	W("main.conf", "# x\n!include conf.d/missing.conf\n");
	assert_int_equal(config_load(path, NULL, &set, &error), -1);
	p2 = i_strdup_printf("%s:2: open(%s/conf.d/missing.conf) failed: "
			     "No such file or directory",
			     path, dir);
	assert_string_equal(error, p2);
	i_free(p2);

	/* an error inside an included file names that file */
	W("conf.d/10-a.conf", "\n\nnosuch = 1\n");
	W("main.conf", "!include conf.d/*.conf\n");
	assert_int_equal(config_load(path, NULL, &set, &error), -1);
	p2 = i_strdup_printf("%s/conf.d/10-a.conf:3: Unknown setting: nosuch",
			     dir);
	assert_string_equal(error, p2);
	i_free(p2);

	/* <file that is missing */
	W("main.conf", "login_greeting = <nosuch.txt\n");
	assert_int_equal(config_load(path, NULL, &set, &error), -1);
	assert_non_null(strstr(error, "main.conf:1: login_greeting: open("));

	/* include loop is bounded */
	W("main.conf", "!include main.conf\n");
	assert_int_equal(config_load(path, NULL, &set, &error), -1);
	assert_non_null(strstr(error, "nested too deep"));

	/* main file missing: a reason without line */
	assert_int_equal(
	    config_load("/nonexistent/loft.conf", NULL, &set, &error), -1);
	assert_string_equal(error, "open(/nonexistent/loft.conf) failed: "
				   "No such file or directory");
#undef W
	i_free(path);
	rm_rf(dir);
	i_free(dir);
}

static void test_v23_v24_same_dump(void **state)
{
	char *p23 = i_strdup_printf("%s/v23/loft.conf", data_dir);
	char *p24 = i_strdup_printf("%s/v24/loft.conf", data_dir);

	for (int as = -1; as <= 1; as++) {
		char *a = dump_file(p23, as), *b = dump_file(p24, as);

		if (strcmp(a, b) != 0)
			fail_msg("as_v24=%d differs:\n--- 2.3 input\n%s--- 2.4 "
				 "input\n%s",
				 as, a, b);
		if (as != 0)
			assert_true(str_begins(
			    a, "dovecot_config_version = 2.4.0\n", NULL));
		else
			assert_null(strstr(a, "dovecot_config_version"));
		i_free(a);
		i_free(b);
	}
	/* both load to the same pop3 settings */
	struct config_filter filter = {.protocol = "pop3"};
	struct loft_settings *s23, *s24;
	const char *error;
	assert_int_equal(config_load(p23, &filter, &s23, &error), 0);
	assert_int_equal(config_load(p24, &filter, &s24, &error), 0);
	assert_string_equal(s23->pop3_uidl_format, "%08Xv%08Xu");
	assert_string_equal(s24->pop3_uidl_format, "%08Xv%08Xu");
	assert_int_equal(s23->mail_max_userip_connections, 3);
	assert_int_equal(s24->mail_max_userip_connections, 3);
	assert_string_equal(s23->protocols, s24->protocols);
	assert_string_equal(s23->mail_location, s24->mail_location);
	assert_false(s23->disable_plaintext_auth);
	assert_false(s24->disable_plaintext_auth);
	config_free(&s23);
	config_free(&s24);
	i_free(p23);
	i_free(p24);
}

static void test_debian_stock(void **state)
{
	struct stat st;
	struct loft_settings *set;
	const char *error;

	if (stat("/etc/dovecot/dovecot.conf", &st) < 0) {
		print_message("Debian's /etc/dovecot is not installed\n");
		skip();
	}
	char *dir = make_tmpdir();
	char *cmd = i_strdup_printf(
	    "cp -r /etc/dovecot/dovecot.conf /etc/dovecot/conf.d "
	    "/etc/dovecot/*.ext '%s'/ 2>/dev/null",
	    dir);
	if (system(cmd) != 0) {
		/* some files (private/) may be unreadable: fine */
	}
	char *path = i_strdup_printf("%s/dovecot.conf", dir);
	assert_int_equal(stat(path, &st), 0);

	if (config_load(path, NULL, &set, &error) < 0)
		fail_msg("Debian's stock config does not load: %s", error);
	assert_int_equal(set->passdbs.count, 1);
	assert_string_equal(set->passdbs.items[0]->driver, "pam");
	assert_string_equal(set->ssl_cert_file,
			    "/etc/dovecot/private/dovecot.pem");
	config_free(&set);

	struct config_filter filter = {.protocol = "imap"};
	assert_int_equal(config_load(path, &filter, &set, &error), 0);
	config_free(&set);

	/* its dump loads again (both generations) and converges */
	for (int as = 0; as <= 1; as++) {
		string_t *str = str_new(NULL, 4096);
		assert_int_equal(config_dump(path, false, as, str, &error), 0);
		char *again = dump_buffer(str_c(str), false, as, &error);
		if (again == NULL)
			fail_msg("dump does not load: %s\n%s", error,
				 str_c(str));
		const char *nl = strchr(str_c(str), '\n');
		assert_string_equal(again, nl + 1);
		i_free(again);
		str_free(&str);
	}
	/* -a prints everything and loads again */
	string_t *str = str_new(NULL, 65536);
	assert_int_equal(config_dump(path, true, 0, str, &error), 0);
	assert_non_null(strstr(
	    str_c(str), "\nmail_fsync = optimized # not used by loft yet\n"));
	char *again = dump_buffer(str_c(str), false, 0, &error);
	if (again == NULL)
		fail_msg("-a dump does not load: %s", error);
	i_free(again);
	str_free(&str);

	i_free(cmd);
	i_free(path);
	rm_rf(dir);
	i_free(dir);
}

/* ---- registry and docs ---- */

static void test_registry(void **state)
{
	pool_t pool = pool_create("test", 4096);

	for (unsigned int i = 0; i < settings_registry_count; i++) {
		const struct setting_def *def = &settings_registry[i];
		const char *canon, *error;
		bool v24;

		/* defaults are canonical */
		if (setting_canonicalize(def, def->name, def->default_value,
					 false, pool, &canon, &error) < 0)
			fail_msg("%s: bad default: %s", def->name, error);
		if (strcmp(canon, def->default_value) != 0)
			fail_msg("%s: default '%s' is not canonical ('%s')",
				 def->name, def->default_value, canon);
		/* names are unique */
		assert_ptr_equal(settings_registry_find(def->name, &v24), def);
		assert_false(v24);
		if (def->name24 != NULL) {
			assert_ptr_equal(
			    settings_registry_find(def->name24, &v24), def);
			assert_true(v24);
		}
		if (def->offset != SETTING_NO_FIELD)
			assert_true((def->flags & SET_FLAG_IMPLEMENTED) != 0);
	}
	pool_unref(&pool);
}

static void test_time_size(void **state)
{
	static const struct {
		const char *in;
		int64_t msecs; /* -1 = invalid */
	} times[] = {
	    {"0", 0},
	    {"5", 5000},
	    {"5s", 5000},
	    {"5 secs", 5000},
	    {"1 min", 60000},
	    {"2m", 120000},
	    {"1h", 3600000},
	    {"1 day", 86400000},
	    {"1 week", 604800000},
	    {"250 ms", 250},
	    {"250msecs", 250},
	    {"", -1},
	    {"x", -1},
	    {"5 parsecs", -1},
	    {"-1", -1},
	    {"99999999999999999999", -1},
	};
	static const struct {
		const char *in;
		int64_t bytes;
	} sizes[] = {
	    {"0", 0},	   {"100", 100},    {"1k", 1024},
	    {"1 K", 1024}, {"2M", 2097152}, {"1 G", 1073741824},
	    {"1kB", 1024}, {"1 KiB", 1024}, {"3 B", 3},
	    {"1x", -1},	   {"k", -1},	    {"99999999999999 T", -1},
	};
	pool_t pool = pool_create("test", 1024);
	uint64_t v;

	for (unsigned int i = 0; i < N_ELEMENTS(times); i++) {
		int ret = setting_parse_time_msecs(times[i].in, false, &v);
		if (times[i].msecs < 0)
			assert_int_equal(ret, -1);
		else {
			assert_int_equal(ret, 0);
			assert_int_equal(v, (uint64_t)times[i].msecs);
		}
	}
	for (unsigned int i = 0; i < N_ELEMENTS(sizes); i++) {
		int ret = setting_parse_size(sizes[i].in, &v);
		if (sizes[i].bytes < 0)
			assert_int_equal(ret, -1);
		else {
			assert_int_equal(ret, 0);
			assert_int_equal(v, (uint64_t)sizes[i].bytes);
		}
	}
	assert_string_equal(setting_format_time(pool, 90000), "90 secs");
	assert_string_equal(setting_format_time(pool, 7200000), "2 hours");
	assert_string_equal(setting_format_time(pool, 1001), "1001 ms");
	assert_string_equal(setting_format_size(pool, 65536), "64 k");
	assert_string_equal(setting_format_size(pool, 1000), "1000");
	assert_string_equal(setting_format_size(pool, 3ULL << 30), "3 G");
	pool_unref(&pool);
}

static void test_doc_in_sync(void **state)
{
	pool_t pool = pool_create("test", 4096);
	char *data;
	struct stat st;
	int fd = open(doc_path, O_RDONLY);

	if (fd < 0)
		fail_msg("open(%s) failed: %m", doc_path);
	assert_int_equal(fstat(fd, &st), 0);
	data = p_malloc(pool, (size_t)st.st_size + 1);
	assert_int_equal(read(fd, data, (size_t)st.st_size), st.st_size);
	close(fd);
	for (unsigned int i = 0; i < settings_registry_count; i++) {
		const struct setting_def *def = &settings_registry[i];
		const char *needle =
		    p_strdup_printf(pool, "| `%s` |", def->name);

		if (strstr(data, needle) == NULL)
			fail_msg("%s is not in %s: regenerate it with "
				 "`config-doc > doc/configuration.md`",
				 def->name, doc_path);
	}
	pool_unref(&pool);
}

/* ---- service environment ---- */

static void test_service_listeners(void **state)
{
	static const struct {
		const char *value;
		int count; /* -1 = error */
	} cases[] = {
	    {"", 0},
	    {"pop3:3", 1},
	    {"pop3:3 pop3s:4:ssl", 2},
	    {"  pop3:3   pop3s:4:ssl:haproxy  ", 2},
	    {"pop3", -1},
	    {"pop3:", -1},
	    {":3", -1},
	    {"pop3:x", -1},
	    {"pop3:2", -1},
	    {"pop3:3:tls", -1},
	    {"pop3:3 pop3:4", -1},
	    {"pop3:3 imap:3", -1},
	    {"pop3:999", -1}, /* not open */
	};
	pool_t pool = pool_create("test", 1024);
	int fd3 = dup2(0, 3), fd4 = dup2(0, 4);

	assert_int_equal(fd3, 3);
	assert_int_equal(fd4, 4);
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		ARRAY(struct service_listener) list;
		const char *error;
		int ret;

		array_init(&list, pool, 4);
		ret = service_env_parse_listeners(pool, cases[i].value, &list,
						  &error);
		if (cases[i].count < 0) {
			if (ret != -1)
				fail_msg("'%s' should fail", cases[i].value);
		} else {
			if (ret != 0)
				fail_msg("'%s': %s", cases[i].value, error);
			assert_int_equal(list.count, cases[i].count);
		}
		if (i == 3) {
			assert_string_equal(list.items[1].name, "pop3s");
			assert_int_equal(list.items[1].fd, 4);
			assert_true(list.items[1].ssl);
			assert_true(list.items[1].haproxy);
			assert_false(list.items[0].ssl);
		}
	}
	close(3);
	close(4);
	pool_unref(&pool);
}

static void test_service_env_init(void **state)
{
	char *dir = make_tmpdir();
	char *path = i_strdup_printf("%s/loft.conf", dir);
	char *conf =
	    i_strdup_printf("base_dir = %s/run/\nlog_path =\n"
			    "protocol pop3 {\n  login_greeting = P\n}\n",
			    dir);
	char *argv[] = {(char *)"pop3", (char *)"-c", path, NULL};

	write_file(path, conf);
	unsetenv(SERVICE_ENV_LISTENERS);
	struct service_env *env = service_env_init("pop3", "pop3", 3, argv);
	assert_string_equal(env->name, "pop3");
	assert_string_equal(env->config_path, path);
	assert_string_equal(env->set->login_greeting, "P");
	assert_int_equal(env->listeners.count, 0);
	assert_null(service_env_find_listener(env, "pop3"));
	char *expect = i_strdup_printf("%s/run/auth-client", dir);
	assert_string_equal(service_env_socket_path(env, "auth-client"),
			    expect);
	assert_string_equal(service_env_socket_path(env, "/abs/x"), "/abs/x");
	assert_string_equal(log_get_prefix(), "pop3: ");
	i_free(expect);
	i_free(conf);
	i_free(path);
	rm_rf(dir);
	i_free(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_cases),
	    cmocka_unit_test(test_error_cases),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_struct_defaults),
	    cmocka_unit_test(test_struct_values),
	    cmocka_unit_test(test_struct_v23_passdb),
	    cmocka_unit_test(test_protocol_filter),
	    cmocka_unit_test(test_includes),
	    cmocka_unit_test(test_v23_v24_same_dump),
	    cmocka_unit_test(test_debian_stock),
	    cmocka_unit_test(test_registry),
	    cmocka_unit_test(test_time_size),
	    cmocka_unit_test(test_doc_in_sync),
	    cmocka_unit_test(test_service_listeners),
	    cmocka_unit_test(test_service_env_init),
	};

	if (argc > 1)
		data_dir = argv[1];
	if (argc > 2)
		doc_path = argv[2];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
