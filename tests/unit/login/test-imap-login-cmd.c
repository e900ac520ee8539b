/* test-imap-login-cmd.c - imap-login's pure parts: commands parsed by the
 * IMAP parser with the pre-login limits and then looked up and checked
 * (fed whole and one byte at a time), the pre-login CAPABILITY list and
 * the ID reply built from imap_id_send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "imap-parser.h"
#include "imap-login-cmd.h"
#include "loft-config.h"

/* What a command line gives: "R:<ret>" then the fields that were set,
 * e.g. "R:1 T:7 U:alice P:secret". */
struct cmd_case {
	const char *input;
	const char *expected;
};

static const struct cmd_case cmd_cases[] = {
    {"a CAPABILITY\r\n", "R:1 T:1"},
    {"a capability\r\n", "R:1 T:1"},
    {"a CAPABILITY extra args\r\n", "R:1 T:1"},
    {"a NOOP\r\n", "R:1 T:2"},
    {"a LOGOUT\r\n", "R:1 T:3"},
    {"a ENABLE IMAP4rev2\r\n", "R:1 T:5"},
    {"a STARTTLS\r\n", "R:1 T:6"},
    {"a SELECT INBOX\r\n", "R:0 E:" IMAP_LOGIN_MSG_BAD_COMMAND},
    {"a UID FETCH 1 FLAGS\r\n", "R:0 E:" IMAP_LOGIN_MSG_BAD_COMMAND},
    /* LOGIN: two astrings (RFC 3501 section 6.2.3) */
    {"a LOGIN alice secret\r\n", "R:1 T:7 U:alice P:secret"},
    {"a LOGIN \"al ice\" \"se\\\"cret\"\r\n", "R:1 T:7 U:al ice P:se\"cret"},
    {"a LOGIN {5}\r\nalice {3+}\r\npw!\r\n", "R:1 T:7 U:alice P:pw!"},
    {"a LOGIN NIL nil\r\n", "R:1 T:7 U:NIL P:nil"},
    {"a LOGIN \"\" \"\"\r\n", "R:1 T:7 U: P:"},
    {"a LOGIN\r\n", "R:-1 T:7 E:" IMAP_LOGIN_MSG_BAD_COMMAND},
    {"a LOGIN alice\r\n", "R:-1 T:7 U:alice E:" IMAP_LOGIN_MSG_BAD_COMMAND},
    {"a LOGIN a b c\r\n", "R:-1 T:7 U:a P:b E:" IMAP_LOGIN_MSG_BAD_COMMAND},
    {"a LOGIN (a) b\r\n", "R:-1 T:7 E:" IMAP_LOGIN_MSG_BAD_COMMAND},
    /* AUTHENTICATE with SASL-IR (RFC 4959) */
    {"a AUTHENTICATE PLAIN\r\n", "R:1 T:8 M:PLAIN"},
    {"a AUTHENTICATE plain AGFsaWNlAHNlY3JldA==\r\n",
     "R:1 T:8 M:plain I:AGFsaWNlAHNlY3JldA=="},
    {"a AUTHENTICATE PLAIN =\r\n", "R:1 T:8 M:PLAIN I:"},
    {"a AUTHENTICATE PLAIN !!!\r\n",
     "R:-1 T:8 M:PLAIN E:Invalid base64 data in initial response"},
    {"a AUTHENTICATE\r\n", "R:-1 T:8 E:" IMAP_LOGIN_MSG_BAD_COMMAND},
    {"a AUTHENTICATE \"PLAIN\"\r\n", "R:-1 T:8 E:" IMAP_LOGIN_MSG_BAD_COMMAND},
    {"a AUTHENTICATE PLAIN AAAA BBBB\r\n",
     "R:-1 T:8 M:PLAIN E:" IMAP_LOGIN_MSG_BAD_COMMAND},
    /* ID (RFC 2971) */
    {"a ID NIL\r\n", "R:1 T:4"},
    {"a ID (\"name\" \"x\" \"os\" NIL)\r\n", "R:1 T:4 ID:name=x,os=NIL"},
    {"a ID (\"name\")\r\n", "R:1 T:4 ID:"},
    {"a ID ()\r\n", "R:1 T:4 ID:"},
    {"a ID foo\r\n", "R:-1 T:4 E:Invalid ID parameters"},
    {"a ID\r\n", "R:-1 T:4 E:Invalid ID parameters"},
    {"a ID ((\"a\") \"b\")\r\n", "R:-1 T:4 ID: E:Invalid ID parameters"},
    /* RFC 2971 section 3.3: oversized fields are dropped */
    {"a ID (\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" \"v\" \"k\" \"v\")\r\n",
     "R:1 T:4 ID:k=v"},
};

static void describe(string_t *dest, int ret, const struct imap_login_cmd *cmd,
		     const char *error)
{
	str_printfa(dest, "R:%d", ret);
	if (cmd->type != IMAP_LOGIN_CMD_UNKNOWN)
		str_printfa(dest, " T:%d", (int)cmd->type);
	if (cmd->user != NULL)
		str_printfa(dest, " U:%s", cmd->user);
	if (cmd->password != NULL)
		str_printfa(dest, " P:%s", cmd->password);
	if (cmd->mech != NULL)
		str_printfa(dest, " M:%s", cmd->mech);
	if (cmd->initial_resp != NULL)
		str_printfa(dest, " I:%s", cmd->initial_resp);
	if (cmd->id_fields != NULL) {
		str_append(dest, " ID:");
		for (unsigned int i = 0; i < cmd->id_count; i++) {
			const char *v = cmd->id_fields[i * 2 + 1];

			str_printfa(dest, "%s%s=%s", i > 0 ? "," : "",
				    cmd->id_fields[i * 2],
				    v == NULL ? "NIL" : v);
		}
	}
	if (ret <= 0)
		str_printfa(dest, " E:%s", error);
}

/* Feeds input in chunks of chunk bytes (0 = all at once) until a command
 * event, answering continuation requests; describes the result. */
static const char *run_cmd(pool_t pool, const char *input, size_t chunk)
{
	struct imap_parser *parser =
	    imap_parser_create(&imap_parser_prelogin_settings);
	struct imap_parser_event ev;
	struct imap_login_cmd cmd;
	string_t *out = str_new(pool, 128);
	size_t len = strlen(input), pos = 0, end;
	const char *error;

	while (pos < len) {
		size_t consumed = 0;
		enum imap_parse_result ret;

		end = chunk == 0 ? len : MIN_OF(len, pos + chunk);
		ret = imap_parser_feed(parser, input + pos, end - pos,
				       &consumed, &ev);
		pos += consumed;
		if (ret == IMAP_PARSE_COMMAND) {
			int r = imap_login_cmd_parse(pool, ev.name, ev.args,
						     &cmd, &error);

			describe(out, r, &cmd, error);
			break;
		}
		assert_true(ret == IMAP_PARSE_MORE ||
			    ret == IMAP_PARSE_CONTINUE);
	}
	imap_parser_destroy(&parser);
	return str_c(out);
}

static void test_cmd_parse(void **state ATTR_UNUSED)
{
	pool_t pool = pool_create("test", 1024);

	for (unsigned int i = 0; i < N_ELEMENTS(cmd_cases); i++) {
		const char *whole = run_cmd(pool, cmd_cases[i].input, 0);
		const char *bytes = run_cmd(pool, cmd_cases[i].input, 1);

		if (strcmp(whole, cmd_cases[i].expected) != 0 ||
		    strcmp(bytes, cmd_cases[i].expected) != 0) {
			fail_msg("case %u (%s): got '%s' / '%s', expected "
				 "'%s'",
				 i, cmd_cases[i].input, whole, bytes,
				 cmd_cases[i].expected);
		}
	}
	pool_unref(&pool);
}

static void test_is_base64(void **state ATTR_UNUSED)
{
	assert_true(imap_login_is_base64("AGFsaWNl"));
	assert_true(imap_login_is_base64("a+/="));
	assert_false(imap_login_is_base64(""));
	assert_false(imap_login_is_base64("*"));
	assert_false(imap_login_is_base64("AB CD"));
	assert_false(imap_login_is_base64("AB-_"));
}

static const char *capability(pool_t pool,
			      const struct imap_login_capability_params *p)
{
	string_t *str = str_new(pool, 128);

	imap_login_capability_append(str, p);
	return str_c(str);
}

static void test_capability(void **state ATTR_UNUSED)
{
	pool_t pool = pool_create("test", 1024);
	static const char *const mechs[] = {"PLAIN", "LOGIN", NULL};
	struct imap_login_capability_params p = {
	    .imap_capability = "",
	    .starttls = true,
	    .mechs = mechs,
	};

	/* Dovecot's imap-login shape */
	assert_string_equal(capability(pool, &p),
			    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
			    "LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN");
	p.starttls = false;
	p.logindisabled = true;
	p.mechs = NULL;
	assert_string_equal(capability(pool, &p),
			    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
			    "LITERAL+ LOGINDISABLED");
	p.logindisabled = false;
	p.literal_minus = true;
	p.imap_capability = "+XFOO XBAR";
	assert_string_equal(capability(pool, &p),
			    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
			    "LITERAL- XFOO XBAR");
	p.imap_capability = "IMAP4rev1 XONLY";
	p.mechs = mechs;
	assert_string_equal(capability(pool, &p),
			    "IMAP4rev1 XONLY AUTH=PLAIN AUTH=LOGIN");
	p.imap_capability = NULL;
	p.mechs = NULL;
	assert_string_equal(capability(pool, &p),
			    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
			    "LITERAL-");
	pool_unref(&pool);
}

static const char *id_reply(pool_t pool, const char *setting)
{
	string_t *str = str_new(pool, 128);

	imap_login_id_reply_append(str, setting);
	return str_c(str);
}

static void test_id_reply(void **state ATTR_UNUSED)
{
	pool_t pool = pool_create("test", 1024);
	const char *s;

	assert_string_equal(id_reply(pool, "name *"), "(\"name\" \"Loft\")");
	assert_string_equal(id_reply(pool, ""), "NIL");
	assert_string_equal(id_reply(pool, NULL), "NIL");
	assert_string_equal(id_reply(pool, "x-unknown *"), "NIL");
	assert_string_equal(id_reply(pool, "name"), "NIL");
	assert_string_equal(
	    id_reply(pool, "name Mine \"support-url\" \"http://x/ y\""),
	    "(\"name\" \"Mine\" \"support-url\" \"http://x/ y\")");
	assert_string_equal(id_reply(pool, "vendor \"a\\\"b\""),
			    "(\"vendor\" \"a\\\"b\")");
	s = id_reply(pool, "name * version * os * os-version *");
	assert_non_null(strstr(s, "\"version\" \"" LOFT_VERSION "\""));
	assert_non_null(strstr(s, "\"os\" \""));
	assert_non_null(strstr(s, "\"os-version\" \""));
	pool_unref(&pool);
}

static void test_id_log(void **state ATTR_UNUSED)
{
	pool_t pool = pool_create("test", 1024);
	static const char *fields[] = {"name",	"pytest",   "Version", "1.0",
				       "x-odd", "a\"b\r\n", "os",      NULL};
	struct imap_login_cmd cmd = {
	    .type = IMAP_LOGIN_CMD_ID,
	    .id_fields = fields,
	    .id_count = 4,
	};
	string_t *str = str_new(pool, 128);

	assert_true(imap_login_id_log_append(str, "*", &cmd));
	assert_string_equal(str_c(str), "name=pytest, Version=1.0, "
					"x-odd=a\"b??, os=NIL");
	str_truncate(str, 0);
	assert_true(imap_login_id_log_append(str, " version  OS", &cmd));
	assert_string_equal(str_c(str), "Version=1.0, os=NIL");
	str_truncate(str, 0);
	assert_false(imap_login_id_log_append(str, "vendor", &cmd));
	assert_false(imap_login_id_log_append(str, "", &cmd));
	assert_false(imap_login_id_log_append(str, "nam", &cmd));
	cmd.id_fields = NULL;
	cmd.id_count = 0;
	assert_false(imap_login_id_log_append(str, "*", &cmd));
	assert_string_equal(str_c(str), "");
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmd_parse),  cmocka_unit_test(test_is_base64),
	    cmocka_unit_test(test_capability), cmocka_unit_test(test_id_reply),
	    cmocka_unit_test(test_id_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
