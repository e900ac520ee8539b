/* test-login-handoff.c - the LOGIN line: round trips (with escapes and
 * binary leftover), every malformed field, and the answer line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "login-handoff.h"

#define COOKIE "0123456789abcdef0123456789ABCDEF"

static struct login_handoff sample(void)
{
	static const unsigned char leftover[] = "LIST\r\nRETR 1\r\n\0\t\n";
	struct login_handoff h;

	memset(&h, 0, sizeof(h));
	h.auth_pid = 1234;
	h.auth_id = 7;
	h.cookie = COOKIE;
	h.session_id = "abc/DEF+ghi12345";
	h.local_ip = "127.0.0.1";
	h.local_port = 110;
	h.remote_ip = "::1";
	h.remote_port = 54321;
	h.secured = true;
	h.tls = true;
	h.leftover = leftover;
	h.leftover_size = sizeof(leftover) - 1;
	h.tag = "a.1";
	return h;
}

static void assert_same(const struct login_handoff *a,
			const struct login_handoff *b)
{
	assert_int_equal(a->auth_pid, b->auth_pid);
	assert_int_equal(a->auth_id, b->auth_id);
	assert_string_equal(a->cookie, b->cookie);
	assert_string_equal(a->session_id, b->session_id);
	assert_string_equal(a->local_ip, b->local_ip);
	assert_int_equal(a->local_port, b->local_port);
	assert_string_equal(a->remote_ip, b->remote_ip);
	assert_int_equal(a->remote_port, b->remote_port);
	assert_int_equal(a->secured, b->secured);
	assert_int_equal(a->tls, b->tls);
	assert_string_equal(a->tag != NULL ? a->tag : "",
			    b->tag != NULL ? b->tag : "");
	assert_int_equal(a->leftover_size, b->leftover_size);
	if (a->leftover_size > 0)
		assert_memory_equal(a->leftover, b->leftover, a->leftover_size);
}

static void roundtrip(const struct login_handoff *h)
{
	pool_t pool = pool_create("test", 1024);
	string_t *str = str_new(pool, 256);
	struct login_handoff out;
	const char *error = NULL;
	char *line;

	login_handoff_encode(h, str);
	assert_true(str_len(str) > 0);
	assert_int_equal(str_c(str)[str_len(str) - 1], '\n');
	assert_null(memchr(str_c(str), '\n', str_len(str) - 1));
	line = p_strndup(pool, str_c(str), str_len(str) - 1);
	assert_int_equal(login_handoff_decode(pool, line, &out, &error), 0);
	assert_same(h, &out);
	pool_unref(&pool);
}

static void test_roundtrip(void **state)
{
	struct login_handoff h = sample();

	roundtrip(&h);
	/* no flags, no leftover */
	h.secured = false;
	h.tls = false;
	h.leftover = NULL;
	h.leftover_size = 0;
	roundtrip(&h);
	/* one flag each */
	h.secured = true;
	roundtrip(&h);
	h.secured = false;
	h.tls = true;
	roundtrip(&h);
	/* extreme ports, IPv4 */
	h.local_port = 0;
	h.remote_port = 65535;
	h.remote_ip = "10.1.2.3";
	roundtrip(&h);
}

static void test_encode_shape(void **state)
{
	pool_t pool = pool_create("test", 1024);
	string_t *str = str_new(pool, 256);
	struct login_handoff h = sample();

	h.leftover = (const unsigned char *)"NOOP\r\n";
	h.leftover_size = 6;
	login_handoff_encode(&h, str);
	assert_string_equal(str_c(str),
			    "LOGIN\t1234\t7\t" COOKIE
			    "\tabc/DEF+ghi12345\t127.0.0.1\t110\t"
			    "::1\t54321\tsecured,tls\tTk9PUA0K\ta.1\n");
	pool_unref(&pool);
}

struct bad_case {
	const char *line;
	const char *error;
};

#define GOOD_TAIL "\tsess1\t127.0.0.1\t110\t127.0.0.2\t4000\tsecured\t\t"
static const struct bad_case bad_cases[] = {
    {"", "Not a LOGIN line"},
    {"LOGOUT\t1\t1\t" COOKIE GOOD_TAIL, "Not a LOGIN line"},
    {"login\t1\t1\t" COOKIE GOOD_TAIL, "Not a LOGIN line"},
    {"LOGIN\t1\t1\t" COOKIE
     "\tsess1\t127.0.0.1\t110\t127.0.0.2\t4000\tsecured\t",
     "Wrong number of fields: 11 (expected 12)"},
    {"LOGIN\t1\t1\t" COOKIE GOOD_TAIL "\textra",
     "Wrong number of fields: 13 (expected 12)"},
    {"LOGIN\t0\t1\t" COOKIE GOOD_TAIL, "Invalid auth_pid"},
    {"LOGIN\t-5\t1\t" COOKIE GOOD_TAIL, "Invalid auth_pid"},
    {"LOGIN\tx\t1\t" COOKIE GOOD_TAIL, "Invalid auth_pid"},
    {"LOGIN\t\t1\t" COOKIE GOOD_TAIL, "Invalid auth_pid"},
    {"LOGIN\t99999999999\t1\t" COOKIE GOOD_TAIL, "Invalid auth_pid"},
    {"LOGIN\t1\t0\t" COOKIE GOOD_TAIL, "Invalid auth_id"},
    {"LOGIN\t1\t1a\t" COOKIE GOOD_TAIL, "Invalid auth_id"},
    {"LOGIN\t1\t1\t0123" GOOD_TAIL, "Invalid cookie"},
    {"LOGIN\t1\t1\t" COOKIE "0" GOOD_TAIL, "Invalid cookie"},
    {"LOGIN\t1\t1\t0123456789abcdef0123456789abcdeg" GOOD_TAIL,
     "Invalid cookie"},
    {"LOGIN\t1\t1\t\t"
     "sess1\t127.0.0.1\t110\t127.0.0.2\t4000\t\t\t",
     "Invalid cookie"},
    {"LOGIN\t1\t1\t" COOKIE "\t\t127.0.0.1\t110\t127.0.0.2\t4000\t\t\t",
     "Invalid session_id"},
    {"LOGIN\t1\t1\t" COOKIE "\ta b\t127.0.0.1\t110\t127.0.0.2\t4000\t\t\t",
     "Invalid session_id"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\001t\t127.0.0.1\t110\t127.0.0.2\t4000\t\t\t",
     "Invalid session_id"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.256\t110\t127.0.0.2\t4000\t\t\t",
     "Invalid local_ip"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t\t110\t127.0.0.2\t4000\t\t\t",
     "Invalid local_ip"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t65536\t127.0.0.2\t4000\t\t\t",
     "Invalid local_port"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t-1\t127.0.0.2\t4000\t\t\t",
     "Invalid local_port"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t\t127.0.0.2\t4000\t\t\t",
     "Invalid local_port"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\thost\t4000\t\t\t",
     "Invalid remote_ip"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000x\t\t\t",
     "Invalid remote_port"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000\tsecure\t\t",
     "Invalid flags"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000\tsecured,\t\t",
     "Invalid flags"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000\t,tls\t\t",
     "Invalid flags"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000\tTLS\t\t",
     "Invalid flags"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000\t\tTk9P\t",
     NULL /* valid: leftover "NOO" */},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000\t\tTk9\t",
     "Invalid leftover base64"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000\t\tTk9P UA==\t",
     "Invalid leftover base64"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000\t\t!!!!\t",
     "Invalid leftover base64"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000\t\t\ta b",
     "Invalid tag"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000\t\t\ta\002b",
     "Invalid tag"},
    {"LOGIN\t1\t1\t" COOKIE "\ts\t127.0.0.1\t110\t::1\t4000\t\t\tA001",
     NULL /* valid: an IMAP tag */},
    {"LOGIN\t1\t1\t" COOKIE "\ts\r\t127.0.0.1\t110\t::1\t4000\t\t\t",
     "Line contains CR or LF"},
};

static void test_malformed(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(bad_cases); i++) {
		pool_t pool = pool_create("test", 1024);
		struct login_handoff h;
		const char *error = NULL;
		int ret =
		    login_handoff_decode(pool, bad_cases[i].line, &h, &error);

		if (bad_cases[i].error == NULL) {
			if (ret != 0)
				fail_msg("case %u: unexpected error %s", i,
					 error);
		} else {
			if (ret != -1)
				fail_msg("case %u: accepted", i);
			assert_non_null(error);
			if (strcmp(error, bad_cases[i].error) != 0)
				fail_msg("case %u: error '%s', expected '%s'",
					 i, error, bad_cases[i].error);
		}
		pool_unref(&pool);
	}
}

static void test_too_long(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct login_handoff h;
	const char *error;
	char *line = p_malloc(pool, LOGIN_HANDOFF_MAX_LINE + 1);

	memset(line, 'A', LOGIN_HANDOFF_MAX_LINE);
	assert_int_equal(login_handoff_decode(pool, line, &h, &error), -1);
	assert_string_equal(error, "Line too long");
	pool_unref(&pool);
}

static void test_reply(void **state)
{
	pool_t pool = pool_create("test", 1024);
	string_t *str = str_new(pool, 64);
	const char *reason;
	pid_t pid;

	login_handoff_reply_ok(str, 0);
	assert_string_equal(str_c(str), "OK\n");
	str_clear(str);
	login_handoff_reply_ok(str, 4321);
	assert_string_equal(str_c(str), "OK\t4321\n");
	str_clear(str);
	login_handoff_reply_fail(str, "[SYS/TEMP] a\tb");
	assert_string_equal(str_c(str), "FAIL\t[SYS/TEMP] a\001tb\n");

	assert_int_equal(login_handoff_parse_reply(pool, "OK", &pid, &reason),
			 1);
	assert_int_equal(pid, 0);
	assert_int_equal(
	    login_handoff_parse_reply(pool, "OK\t4321", &pid, &reason), 1);
	assert_int_equal(pid, 4321);
	assert_int_equal(login_handoff_parse_reply(
			     pool, "FAIL\t[SYS/TEMP] a\001tb", &pid, &reason),
			 0);
	assert_string_equal(reason, "[SYS/TEMP] a\tb");
	assert_int_equal(login_handoff_parse_reply(pool, "FAIL", &pid, &reason),
			 0);
	assert_string_equal(reason, "Login failed");
	assert_int_equal(
	    login_handoff_parse_reply(pool, "OK\tx", &pid, &reason), -1);
	assert_int_equal(
	    login_handoff_parse_reply(pool, "OK\t0", &pid, &reason), -1);
	assert_int_equal(login_handoff_parse_reply(pool, "OKAY", &pid, &reason),
			 -1);
	assert_int_equal(login_handoff_parse_reply(pool, "", &pid, &reason),
			 -1);
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_encode_shape),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_too_long),
	    cmocka_unit_test(test_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
