/* test-auth-protocol.c - the auth-client and auth-master protocol servers
 * in capture mode: handshake, AUTH/CONT exchanges fed all at once and
 * one byte at a time, protocol errors that drop the connection, and
 * REQUEST with right and wrong cookies; the auth-master request timeout
 * with lookups that never answer in time. */
#include "lib.h"

#include <setjmp.h>
#include <cmocka.h>

#include "pool.h"
#include "str.h"
#include "base64.h"
#include "ioloop.h"
#include "passdb.h"
#include "userdb.h"
#include "auth.h"
#include "auth-client-connection.h"
#include "auth-master-connection.h"
#include "test-auth-common.h"

static char passwd_path[] = "/tmp/loft-test-auth-XXXXXX";
static pool_t test_pool;
static struct auth *test_auth;

static int setup(void **state)
{
	const char *error;
	int fd = mkstemp(passwd_path);

	if (fd < 0)
		return -1;
	close(fd);
	test_pool = pool_create("test", 4096);
	test_auth =
	    auth_init(test_auth_settings(test_pool, passwd_path), &error);
	if (test_auth == NULL) {
		fprintf(stderr, "auth_init: %s\n", error);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	auth_deinit(&test_auth);
	pool_unref(&test_pool);
	unlink(passwd_path);
	return 0;
}

static const char *b64(pool_t pool, const void *data, size_t size)
{
	string_t *str = str_new(pool, 64);

	base64_encode(data, size, str);
	return str_c(str);
}

#define HELLO "VERSION\t1\t2\nCPID\t4242\n"

struct proto_case {
	const char *input;
	const char *expected_output; /* after the handshake */
	int expected_ret;
};

static void run_case(const struct proto_case *c, bool bytewise)
{
	struct auth_client_connection *conn;
	const char *out, *after;
	int ret = 0;

	conn = auth_client_connection_create(test_auth, -1);
	auth_client_connection_set_peer_pid(conn, 4242);
	size_t len = strlen(c->input);
	if (bytewise) {
		for (size_t i = 0; i < len && ret == 0; i++)
			ret = auth_client_connection_input(
			    conn, (const unsigned char *)c->input + i, 1);
	} else {
		ret = auth_client_connection_input(
		    conn, (const unsigned char *)c->input, len);
	}
	out = str_c(auth_client_connection_get_output(conn));
	after = strstr(out, "DONE\n");
	assert_non_null(after);
	after += 5;
	if (ret != c->expected_ret || strcmp(after, c->expected_output) != 0) {
		fail_msg("input %s (%s): ret %d want %d\noutput: %s\nwant: %s",
			 c->input, bytewise ? "bytewise" : "whole", ret,
			 c->expected_ret, after, c->expected_output);
	}
	auth_client_connection_destroy(&conn);
}

static void test_handshake(void **state)
{
	struct auth_client_connection *conn;
	const char *out;

	conn = auth_client_connection_create(test_auth, -1);
	out = str_c(auth_client_connection_get_output(conn));
	assert_true(str_begins(out,
			       "VERSION\t1\t2\n"
			       "MECH\tPLAIN\tplaintext\n"
			       "MECH\tLOGIN\tplaintext\n"
			       "MECH\tAPOP\tprivate\tdictionary\tactive\n"
			       "SPID\t",
			       NULL));
	assert_non_null(strstr(out, "\nCUID\t"));
	assert_non_null(strstr(out, "\nCOOKIE\t"));
	assert_int_equal(strlen(auth_client_connection_get_cookie(conn)), 32);
	assert_true(strlen(out) > 5 &&
		    strcmp(out + strlen(out) - 5, "DONE\n") == 0);
	auth_client_connection_destroy(&conn);
}

static void test_exchanges(void **state)
{
	pool_t pool = pool_create("cases", 4096);
	const struct proto_case cases[] = {
	    /* PLAIN success, with lower-casing by auth_username_format */
	    {p_strdup_printf(pool,
			     HELLO "AUTH\t1\tPLAIN\tservice=pop3\tresp=%s\n",
			     b64(pool, "\0ALICE\0secret", 13)),
	     "OK\t1\tuser=alice\n", 0},
	    /* salted SHA */
	    {p_strdup_printf(
		 pool,
		 HELLO "AUTH\t2\tPLAIN\tservice=imap\trip=10.0.0.1\tresp=%s\n",
		 b64(pool, "\0bob\0Secr3t pass", 16)),
	     "OK\t2\tuser=bob\n", 0},
	    /* wrong password and unknown user: same answer shape */
	    {p_strdup_printf(pool,
			     HELLO "AUTH\t3\tPLAIN\tservice=pop3\tresp=%s\n",
			     b64(pool, "\0bob\0wrong", 10)),
	     "FAIL\t3\tuser=bob\n", 0},
	    {p_strdup_printf(pool,
			     HELLO "AUTH\t4\tPLAIN\tservice=pop3\tresp=%s\n",
			     b64(pool, "\0nobody\0wrong", 13)),
	     "FAIL\t4\tuser=nobody\n", 0},
	    /* disallowed characters: answered like an unknown user */
	    {p_strdup_printf(pool,
			     HELLO "AUTH\t5\tPLAIN\tservice=pop3\tresp=%s\n",
			     b64(pool, "\0a/b\0wrong", 10)),
	     "FAIL\t5\tuser=a/b\n", 0},
	    /* PLAIN without initial response gets an empty challenge */
	    {p_strdup_printf(
		 pool, HELLO "AUTH\t6\tPLAIN\tservice=pop3\nCONT\t6\t%s\n",
		 b64(pool, "\0carol\0Secr3t pass", 18)),
	     "CONT\t6\t\nOK\t6\tuser=carol\n", 0},
	    /* LOGIN */
	    {p_strdup_printf(
		 pool,
		 HELLO
		 "AUTH\t7\tLOGIN\tservice=pop3\nCONT\t7\t%s\nCONT\t7\t%s\n",
		 b64(pool, "alice", 5), b64(pool, "secret", 6)),
	     "CONT\t7\tVXNlcm5hbWU6\nCONT\t7\tUGFzc3dvcmQ6\nOK\t7\tuser="
	     "alice\n",
	     0},
	    /* CRLF line ends are accepted */
	    {p_strdup_printf(pool,
			     "VERSION\t1\t1\r\nCPID\t4242\r\nAUTH\t8\tPLAIN\tse"
			     "rvice=pop3\tresp=%s\r\n",
			     b64(pool, "\0alice\0secret", 13)),
	     "OK\t8\tuser=alice\n", 0},
	    /* malformed base64, unknown mechanism, malformed PLAIN */
	    {HELLO "AUTH\t9\tPLAIN\tservice=pop3\tresp=!!!!\n",
	     "FAIL\t9\treason=Invalid base64 data in initial response\n", 0},
	    {HELLO "AUTH\t10\tCRAM-MD5\tservice=pop3\n",
	     "FAIL\t10\treason=Unsupported authentication mechanism\n", 0},
	    {p_strdup_printf(pool,
			     HELLO "AUTH\t11\tPLAIN\tservice=pop3\tresp=%s\n",
			     b64(pool, "alice", 5)),
	     "FAIL\t11\n", 0},
	    {HELLO "AUTH\t12\tLOGIN\tservice=pop3\nCONT\t12\t@@@@\n",
	     "CONT\t12\tVXNlcm5hbWU6\nFAIL\t12\n", 0},
	    /* CONT for an unknown id is ignored */
	    {HELLO "CONT\t99\tYQ==\n", "", 0},
	    /* protocol errors drop the connection */
	    {"VERSION\t2\t0\n", "", -1},
	    {"AUTH\t1\tPLAIN\tservice=pop3\n", "", -1},
	    {"VERSION\t1\t2\nAUTH\t1\tPLAIN\tservice=pop3\n", "", -1},
	    {"VERSION\t1\t2\nCPID\t1\n", "", -1}, /* not the peer's pid */
	    {HELLO "AUTH\tx\tPLAIN\tservice=pop3\n", "", -1},
	    {HELLO "AUTH\t1\tPLAIN\n", "", -1}, /* no service */
	    {HELLO
	     "AUTH\t1\tLOGIN\tservice=pop3\nAUTH\t1\tLOGIN\tservice=pop3\n",
	     "CONT\t1\tVXNlcm5hbWU6\n", -1},
	    {HELLO "NOSUCH\n", "", -1},
	    {HELLO "AUTH\t1\tPLAIN\tservice=pop3\tlport=99999\n", "", -1},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		run_case(&cases[i], false);
		run_case(&cases[i], true);
	}
	pool_unref(&pool);
}

static void test_long_line(void **state)
{
	struct auth_client_connection *conn;
	size_t size = AUTH_CLIENT_MAX_LINE + 100;
	unsigned char *data = i_malloc(size);
	int ret = 0;

	memset(data, 'A', size);
	conn = auth_client_connection_create(test_auth, -1);
	assert_int_equal(auth_client_connection_input(
			     conn, (const unsigned char *)HELLO, strlen(HELLO)),
			 0);
	/* in pieces: no line end ever comes */
	for (size_t i = 0; i < size && ret == 0; i += 1000)
		ret = auth_client_connection_input(conn, data + i,
						   MIN_OF(1000, size - i));
	assert_int_equal(ret, -1);
	auth_client_connection_destroy(&conn);
	i_free(data);
}

static void test_master_request(void **state)
{
	pool_t pool = pool_create("master", 4096);
	struct auth_client_connection *client;
	struct auth_master_connection *master;
	const char *in, *out;

	client = auth_client_connection_create(test_auth, -1);
	auth_client_connection_set_peer_pid(client, 4242);
	in = p_strdup_printf(pool,
			     HELLO "AUTH\t5\tPLAIN\tservice=pop3\tresp=%s\n",
			     b64(pool, "\0alice\0secret", 13));
	assert_int_equal(auth_client_connection_input(
			     client, (const unsigned char *)in, strlen(in)),
			 0);
	assert_non_null(strstr(str_c(auth_client_connection_get_output(client)),
			       "OK\t5\tuser=alice\n"));

	master = auth_master_connection_create(test_auth, -1, false);
	in = p_strdup_printf(
	    pool,
	    "VERSION\t1\t0\n"
	    "REQUEST\t1\t4242\t5\t0123456789abcdef0123456789abcdef\n"
	    "REQUEST\t2\t4243\t5\t%s\n"
	    "REQUEST\t3\t4242\t5\t%s\n"
	    "REQUEST\t4\t4242\t5\t%s\n"
	    "USER\t5\tbob\tservice=pop3\n"
	    "USER\t6\tnobody\tservice=pop3\n"
	    "PASS\t7\tcarol\tservice=pop3\n"
	    "USER\t8\tBad/User\n",
	    auth_client_connection_get_cookie(client),
	    auth_client_connection_get_cookie(client),
	    auth_client_connection_get_cookie(client));
	for (size_t i = 0; i < strlen(in); i++) {
		assert_int_equal(auth_master_connection_input(
				     master, (const unsigned char *)in + i, 1),
				 0);
	}
	out = str_c(auth_master_connection_get_output(master));
	const char *expected =
	    "FAIL\t1\treason=Authentication request not found\n"
	    "FAIL\t2\treason=Authentication request not found\n"
	    "USER\t3\talice\tuid=1000\tgid=1000\thome=/home/"
	    "alice\tquota_rule=*:storage=1G\n"
	    "FAIL\t4\treason=Authentication request not found\n"
	    "USER\t5\tbob\tuid=1001\tgid=1001\thome=/home/bob\n"
	    "NOTFOUND\t6\n"
	    "PASS\t7\tcarol\n"
	    "NOTFOUND\t8\n";
	const char *body = strstr(out, "SPID\t");
	assert_non_null(body);
	body = strchr(body, '\n') + 1;
	assert_string_equal(body, expected);
	auth_master_connection_destroy(&master);

	/* auth-userdb refuses REQUEST */
	master = auth_master_connection_create(test_auth, -1, true);
	in = "VERSION\t1\t0\nREQUEST\t1\t4242\t5\tx\n";
	assert_int_equal(auth_master_connection_input(
			     master, (const unsigned char *)in, strlen(in)),
			 -1);
	auth_master_connection_destroy(&master);
	auth_client_connection_destroy(&client);
	pool_unref(&pool);
}

/* Drivers whose lookups answer only when the test says so. */
static struct auth_request *hung_user_request, *hung_pass_request;
static userdb_callback_t *hung_user_callback;
static passdb_lookup_callback_t *hung_pass_callback;

static void hang_userdb_lookup(struct userdb_module *module ATTR_UNUSED,
			       struct auth_request *request,
			       userdb_callback_t *callback)
{
	auth_request_ref(request);
	hung_user_request = request;
	hung_user_callback = callback;
}

static void hang_passdb_lookup(struct passdb_module *module ATTR_UNUSED,
			       struct auth_request *request,
			       passdb_lookup_callback_t *callback)
{
	auth_request_ref(request);
	hung_pass_request = request;
	hung_pass_callback = callback;
}

static void stop_loop(void *context)
{
	ioloop_stop(context);
}

static void test_master_timeout(void **state)
{
	struct userdb_module *userdb = test_auth->userdbs.items[0];
	struct passdb_module *passdb = test_auth->passdbs.items[0];
	const struct userdb_module_interface *old_userdb = userdb->iface;
	const struct passdb_module_interface *old_passdb = passdb->iface;
	struct userdb_module_interface hang_userdb = *old_userdb;
	struct passdb_module_interface hang_passdb = *old_passdb;
	struct auth_master_connection *master;
	struct ioloop *ioloop = ioloop_create();
	const char *in, *body;

	(void)state;
	hang_userdb.lookup = hang_userdb_lookup;
	hang_passdb.lookup = hang_passdb_lookup;
	userdb->iface = &hang_userdb;
	passdb->iface = &hang_passdb;
	auth_master_connection_set_request_timeout_msecs(20);

	master = auth_master_connection_create(test_auth, -1, false);
	in = "VERSION\t1\t0\nUSER\t1\talice\tservice=imap\n"
	     "PASS\t2\tcarol\tservice=imap\n";
	assert_int_equal(auth_master_connection_input(
			     master, (const unsigned char *)in, strlen(in)),
			 0);
	assert_non_null(hung_user_request);
	assert_non_null(hung_pass_request);
	body =
	    strstr(str_c(auth_master_connection_get_output(master)), "SPID\t");
	body = strchr(body, '\n') + 1;
	assert_string_equal(body, ""); /* nothing before the timeout */

	(void)timeout_add_once(500, stop_loop, ioloop, NULL);
	ioloop_run(ioloop);
	body =
	    strstr(str_c(auth_master_connection_get_output(master)), "SPID\t");
	body = strchr(body, '\n') + 1;
	const char *expected =
	    "FAIL\t1\treason=Internal error occurred. Refer to server log "
	    "for more information.\n"
	    "FAIL\t2\treason=Internal error occurred. Refer to server log "
	    "for more information.\n";
	assert_string_equal(body, expected);

	/* the late results are dropped */
	hung_user_callback(hung_user_request, USERDB_RESULT_OK);
	hung_pass_callback(hung_pass_request, PASSDB_RESULT_OK, "secret");
	auth_request_unref(&hung_user_request);
	auth_request_unref(&hung_pass_request);
	body =
	    strstr(str_c(auth_master_connection_get_output(master)), "SPID\t");
	body = strchr(body, '\n') + 1;
	assert_string_equal(body, expected);
	auth_master_connection_destroy(&master);

	/* a lookup that answers in time leaves no timer behind */
	userdb->iface = old_userdb;
	passdb->iface = old_passdb;
	master = auth_master_connection_create(test_auth, -1, false);
	in = "VERSION\t1\t0\nUSER\t3\tbob\tservice=imap\n";
	assert_int_equal(auth_master_connection_input(
			     master, (const unsigned char *)in, strlen(in)),
			 0);
	(void)timeout_add_once(100, stop_loop, ioloop, NULL);
	ioloop_run(ioloop);
	body =
	    strstr(str_c(auth_master_connection_get_output(master)), "SPID\t");
	body = strchr(body, '\n') + 1;
	assert_string_equal(
	    body, "USER\t3\tbob\tuid=1001\tgid=1001\thome=/home/bob\n");
	auth_master_connection_destroy(&master);
	auth_master_connection_set_request_timeout_msecs(
	    AUTH_REQUEST_TIMEOUT_SECS * 1000);
	ioloop_destroy(&ioloop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake),
	    cmocka_unit_test(test_exchanges),
	    cmocka_unit_test(test_long_line),
	    cmocka_unit_test(test_master_request),
	    cmocka_unit_test(test_master_timeout),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
