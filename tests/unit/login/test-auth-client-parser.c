/* test-auth-client-parser.c - the auth server's handshake and reply lines
 * as the login process's auth client parses them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "auth-client.h"

#define COOKIE "0123456789abcdef0123456789abcdef"

static void test_handshake(void **state)
{
	static const char *const lines[] = {
	    "VERSION\t1\t2",
	    "MECH\tPLAIN\tplaintext",
	    "MECH\tlogin\tplaintext",
	    "MECH\tCRAM-MD5\tdictionary\tactive",
	    "MECH\tAPOP\tprivate",
	    "MECH\tSCRAM-SHA-256\tmutual-auth\tunknown-flag",
	    "SPID\t4242",
	    "CUID\t17",
	    "COOKIE\t" COOKIE,
	    "FUTURE\tthing",
	};
	pool_t pool = pool_create("test", 1024);
	struct auth_client_handshake hs;
	const char *error = NULL;

	auth_client_handshake_init(&hs, pool);
	for (unsigned int i = 0; i < N_ELEMENTS(lines); i++)
		assert_int_equal(
		    auth_client_handshake_input(&hs, lines[i], &error), 0);
	assert_int_equal(auth_client_handshake_input(&hs, "DONE", &error), 1);
	assert_true(hs.done);
	assert_int_equal(hs.server_pid, 4242);
	assert_int_equal(hs.connect_uid, 17);
	assert_string_equal(hs.cookie, COOKIE);
	assert_int_equal(hs.mechs.count, 5);
	assert_string_equal(hs.mechs.items[0].name, "PLAIN");
	assert_int_equal(hs.mechs.items[0].flags, AUTH_MECH_FLAG_PLAINTEXT);
	assert_string_equal(hs.mechs.items[1].name, "LOGIN");
	assert_int_equal(hs.mechs.items[2].flags,
			 AUTH_MECH_FLAG_DICTIONARY | AUTH_MECH_FLAG_ACTIVE);
	assert_int_equal(hs.mechs.items[3].flags, AUTH_MECH_FLAG_PRIVATE);
	assert_int_equal(hs.mechs.items[4].flags, AUTH_MECH_FLAG_MUTUAL_AUTH);
	pool_unref(&pool);
}

struct hs_bad {
	const char *const lines[4];
	const char *error;
};

static const struct hs_bad hs_bad_cases[] = {
    {{"VERSION\t2\t0"},
     "Authentication server protocol major version mismatch"},
    {{"VERSION\tx\t0"}, "Malformed VERSION line"},
    {{"VERSION\t1"}, "Malformed VERSION line"},
    {{"MECH"}, "Malformed MECH line"},
    {{"MECH\t"}, "Malformed MECH line"},
    {{"MECH\tPL AIN"}, "Malformed MECH line"},
    {{"SPID\t0"}, "Malformed SPID line"},
    {{"SPID\tabc"}, "Malformed SPID line"},
    {{"CUID\t-1"}, "Malformed CUID line"},
    {{"COOKIE\t0123"}, "Malformed COOKIE line"},
    {{"COOKIE\t" COOKIE "00"}, "Malformed COOKIE line"},
    {{"COOKIE\t0123456789abcdef0123456789abcdeX"}, "Malformed COOKIE line"},
    {{"DONE"}, "Handshake ended before VERSION, SPID and COOKIE"},
    {{"VERSION\t1\t2", "SPID\t1", "DONE"},
     "Handshake ended before VERSION, SPID and COOKIE"},
    {{"VERSION\t1\t2", "COOKIE\t" COOKIE, "DONE"},
     "Handshake ended before VERSION, SPID and COOKIE"},
    {{"SPID\t1", "COOKIE\t" COOKIE, "DONE"},
     "Handshake ended before VERSION, SPID and COOKIE"},
};

static void test_handshake_bad(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(hs_bad_cases); i++) {
		pool_t pool = pool_create("test", 1024);
		struct auth_client_handshake hs;
		const char *error = NULL;
		int ret = 0;

		auth_client_handshake_init(&hs, pool);
		for (unsigned int j = 0;
		     j < 4 && hs_bad_cases[i].lines[j] != NULL; j++) {
			ret = auth_client_handshake_input(
			    &hs, hs_bad_cases[i].lines[j], &error);
			if (ret != 0)
				break;
		}
		if (ret != -1)
			fail_msg("case %u: ret %d", i, ret);
		assert_string_equal(error, hs_bad_cases[i].error);
		pool_unref(&pool);
	}
}

static void test_too_many_mechs(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct auth_client_handshake hs;
	const char *error = NULL;
	unsigned int i;

	auth_client_handshake_init(&hs, pool);
	for (i = 0; i < AUTH_CLIENT_MAX_MECHS; i++) {
		const char *line = p_strdup_printf(pool, "MECH\tM%u", i);
		assert_int_equal(auth_client_handshake_input(&hs, line, &error),
				 0);
	}
	assert_int_equal(auth_client_handshake_input(&hs, "MECH\tX", &error),
			 -1);
	pool_unref(&pool);
}

static void test_replies(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct auth_reply r;
	const char *error = NULL;

	assert_int_equal(
	    auth_client_reply_parse(
		pool, "OK\t5\tuser=bob\tnologin\treason=a\001tb", &r, &error),
	    1);
	assert_int_equal(r.type, AUTH_REPLY_OK);
	assert_int_equal(r.id, 5);
	assert_string_equal(auth_reply_field(&r, "user"), "bob");
	assert_string_equal(auth_reply_field(&r, "nologin"), "");
	assert_string_equal(auth_reply_field(&r, "reason"), "a\tb");
	assert_null(auth_reply_field(&r, "use"));
	assert_null(auth_reply_field(&r, "temp"));

	assert_int_equal(
	    auth_client_reply_parse(pool, "CONT\t9\tVXNlcm5hbWU6", &r, &error),
	    1);
	assert_int_equal(r.type, AUTH_REPLY_CONT);
	assert_int_equal(r.id, 9);
	assert_string_equal(r.data, "VXNlcm5hbWU6");
	assert_null(r.fields[0]);

	assert_int_equal(auth_client_reply_parse(pool, "CONT\t9\t", &r, &error),
			 1);
	assert_string_equal(r.data, "");

	assert_int_equal(auth_client_reply_parse(pool, "FAIL\t3", &r, &error),
			 1);
	assert_int_equal(r.type, AUTH_REPLY_FAIL);
	assert_null(r.fields[0]);
	assert_int_equal(
	    auth_client_reply_parse(pool, "FAIL\t3\ttemp\tuser=x", &r, &error),
	    1);
	assert_string_equal(auth_reply_field(&r, "temp"), "");
	assert_string_equal(auth_reply_field(&r, "user"), "x");

	/* not replies: ignored */
	assert_int_equal(auth_client_reply_parse(pool, "", &r, &error), 0);
	assert_int_equal(auth_client_reply_parse(pool, "NOTICE\t1", &r, &error),
			 0);
	assert_int_equal(auth_client_reply_parse(pool, "ok\t1", &r, &error), 0);
	/* malformed */
	assert_int_equal(auth_client_reply_parse(pool, "OK", &r, &error), -1);
	assert_int_equal(auth_client_reply_parse(pool, "OK\t0", &r, &error),
			 -1);
	assert_int_equal(auth_client_reply_parse(pool, "FAIL\tx", &r, &error),
			 -1);
	assert_int_equal(auth_client_reply_parse(pool, "CONT\t1", &r, &error),
			 -1);
	assert_int_equal(
	    auth_client_reply_parse(pool, "CONT\t\tabc", &r, &error), -1);
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake),
	    cmocka_unit_test(test_handshake_bad),
	    cmocka_unit_test(test_too_many_mechs),
	    cmocka_unit_test(test_replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
