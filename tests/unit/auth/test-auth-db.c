/* test-auth-db.c - passwd-file line parsing and re-reading, user name
 * checks and formatting, SASL PLAIN/LOGIN/APOP decoders (including
 * malformed input) and APOP end to end in capture mode. */
#include "lib.h"

#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <openssl/evp.h>

#include "pool.h"
#include "str.h"
#include "base64.h"
#include "mech.h"
#include "auth.h"
#include "auth-request.h"
#include "auth-client-connection.h"
#include "db-passwd-file.h"
#include "test-auth-common.h"

static char passwd_path[] = "/tmp/loft-test-authdb-XXXXXX";
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
	return test_auth == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	auth_deinit(&test_auth);
	pool_unref(&test_pool);
	unlink(passwd_path);
	return 0;
}

static void test_passwd_file_parse(void **state)
{
	static const struct {
		const char *line;
		int ret;
		const char *user, *password, *uid, *gid, *home, *extra;
	} cases[] = {
	    {"# comment", 0, NULL, NULL, NULL, NULL, NULL, NULL},
	    {"", 0, NULL, NULL, NULL, NULL, NULL, NULL},
	    {"   ", 0, NULL, NULL, NULL, NULL, NULL, NULL},
	    {"user", 1, "user", NULL, NULL, NULL, NULL, ""},
	    {"user:{PLAIN}pw", 1, "user", "{PLAIN}pw", NULL, NULL, NULL, ""},
	    {"user:pw:1000:100", 1, "user", "pw", "1000", "100", NULL, ""},
	    {"user:pw:1:2:gecos:/home/u:/bin/sh", 1, "user", "pw", "1", "2",
	     "/home/u", ""},
	    {"user:pw:1:2::/home/u::userdb_mail=maildir:~/Maildir nologin", 1,
	     "user", "pw", "1", "2", "/home/u",
	     "userdb_mail=maildir:~/Maildir,nologin="},
	    {"u::::::: a=1  b=2 ", 1, "u", NULL, NULL, NULL, NULL, "a=1,b=2"},
	    {":pw", -1, NULL, NULL, NULL, NULL, NULL, NULL},
	};
	pool_t pool = pool_create("parse", 1024);

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		struct passwd_user pu;
		const char *error;
		int ret =
		    passwd_file_parse_line(pool, cases[i].line, &pu, &error);

		if (ret != cases[i].ret)
			fail_msg("line '%s': ret %d", cases[i].line, ret);
		if (ret <= 0)
			continue;
		assert_string_equal(pu.user, cases[i].user);
#define CHECK_OPT(field)                                                       \
	if (cases[i].field == NULL)                                            \
		assert_null(pu.field);                                         \
	else                                                                   \
		assert_string_equal(pu.field, cases[i].field)
		CHECK_OPT(password);
		CHECK_OPT(uid);
		CHECK_OPT(gid);
		CHECK_OPT(home);
		string_t *extra = str_new(pool, 64);
		for (unsigned int j = 0; pu.extra_fields[j] != NULL; j++) {
			if (j > 0)
				str_append_c(extra, ',');
			str_append(extra, pu.extra_fields[j]);
		}
		assert_string_equal(str_c(extra), cases[i].extra);
	}
	pool_unref(&pool);
}

static void test_username_checks(void **state)
{
	static const struct {
		const char *name;
		size_t len;
		bool valid;
		const char *user;
	} cases[] = {
	    {"Alice", 5, true, "alice"},
	    {"user@Example.COM", 16, true, "user@example.com"},
	    {"", 0, false, ""},
	    {"a\0b", 3, false, "a"},
	    {"a b", 3, false, "a b"},
	    {"a/b", 3, false, "a/b"},
	    {"\xc3\xa9", 2, false, "\xc3\xa9"}, /* valid UTF-8, not allowed */
	    {"\xc3", 1, false, "\xc3"},		/* invalid UTF-8 */
	    {"\xc0\xaf", 2, false, "\xc0\xaf"}, /* overlong */
	};

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		struct auth_request *request =
		    auth_request_new(test_auth, NULL, NULL, NULL);
		const char *error;
		bool valid = auth_request_set_username(
		    request, (const unsigned char *)cases[i].name, cases[i].len,
		    &error);

		if (valid != cases[i].valid)
			fail_msg("case %u: valid=%d", i, valid);
		assert_string_equal(request->user, cases[i].user);
		assert_int_equal(request->invalid_user, !cases[i].valid);
		auth_request_unref(&request);
	}
	/* too long */
	char longname[300];
	memset(longname, 'a', sizeof(longname));
	struct auth_request *request =
	    auth_request_new(test_auth, NULL, NULL, NULL);
	const char *error;
	assert_false(auth_request_set_username(request,
					       (const unsigned char *)longname,
					       sizeof(longname), &error));
	auth_request_unref(&request);
}

static void test_sasl_plain_decode(void **state)
{
	static const struct {
		const char *data;
		size_t size;
		int ret;
		const char *authcid, *password;
	} cases[] = {
	    {"\0user\0pass", 10, 0, "user", "pass"},
	    {"user\0user\0pass", 14, 0, "user", "pass"},
	    {"\0user\0", 6, 0, "user", ""},
	    {"other\0user\0pass", 15, 0, "user", "pass"},
	    {"\0\0pass", 6, -1, NULL, NULL},
	    {"userpass", 8, -1, NULL, NULL},
	    {"\0userpass", 9, -1, NULL, NULL},
	    {"\0user\0pa\0ss", 11, -1, NULL, NULL},
	    {"", 0, -1, NULL, NULL},
	};
	pool_t pool = pool_create("plain", 512);

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		const char *authzid, *authcid, *password, *error;
		int ret = sasl_plain_decode(
		    pool, (const unsigned char *)cases[i].data, cases[i].size,
		    &authzid, &authcid, &password, &error);

		if (ret != cases[i].ret)
			fail_msg("plain case %u: ret %d", i, ret);
		if (ret == 0) {
			assert_string_equal(authcid, cases[i].authcid);
			assert_string_equal(password, cases[i].password);
		}
	}
	pool_unref(&pool);
}

static void test_sasl_login_decode(void **state)
{
	pool_t pool = pool_create("login", 512);
	const char *value, *error;

	assert_int_equal(sasl_login_decode(pool, (const unsigned char *)"bob",
					   3, &value, &error),
			 0);
	assert_string_equal(value, "bob");
	assert_int_equal(sasl_login_decode(pool, (const unsigned char *)"", 0,
					   &value, &error),
			 0);
	assert_int_equal(sasl_login_decode(pool, (const unsigned char *)"b\0b",
					   3, &value, &error),
			 -1);
	pool_unref(&pool);
}

static void apop_digest(const char *challenge, const char *password,
			unsigned char out[16])
{
	unsigned int len = 16;
	string_t *s = str_new(NULL, 64);

	str_append(s, challenge);
	str_append(s, password);
	EVP_Digest(str_data(s), str_len(s), out, &len, EVP_md5(), NULL);
	str_free(&s);
}

static void test_sasl_apop_decode(void **state)
{
	pool_t pool = pool_create("apop", 1024);
	const char *challenge, *user, *error;
	const unsigned char *digest;
	unsigned char d[16];
	string_t *data = str_new(pool, 128);

	apop_digest("<1.2@host>", "secret", d);
	str_append(data, "<1.2@host>");
	str_append_c(data, '\0');
	str_append(data, "alice");
	str_append_c(data, '\0');
	str_append_n(data, d, 16);
	assert_int_equal(sasl_apop_decode(pool, str_data(data), str_len(data),
					  &challenge, &user, &digest, &error),
			 0);
	assert_string_equal(challenge, "<1.2@host>");
	assert_string_equal(user, "alice");
	assert_memory_equal(digest, d, 16);

	/* hex digest */
	str_truncate(data, 0);
	str_append_n(data, "<1.2@host>\0alice\0", 17);
	binary_to_hex_append(data, d, 16);
	assert_int_equal(sasl_apop_decode(pool, str_data(data), str_len(data),
					  &challenge, &user, &digest, &error),
			 0);
	assert_memory_equal(digest, d, 16);

	static const struct {
		const char *data;
		size_t size;
	} bad[] = {
	    {"", 0},
	    {"<1.2@host>", 10},
	    {"<1.2@host>\0alice", 16},
	    {"<1.2@host>\0alice\0short", 22},
	    {"1.2@host\0alice\0"
	     "0123456789abcdef",
	     31},
	    {"<1.2host>\0alice\0"
	     "0123456789abcdef",
	     32},
	    {"<1.2@host>\0\0"
	     "0123456789abcdef",
	     28},
	    {"<1.2@host>\0alice\0"
	     "zz23456789abcdef0123456789abcdef",
	     49},
	};
	for (unsigned int i = 0; i < N_ELEMENTS(bad); i++) {
		if (sasl_apop_decode(pool, (const unsigned char *)bad[i].data,
				     bad[i].size, &challenge, &user, &digest,
				     &error) != -1)
			fail_msg("bad apop case %u accepted", i);
	}
	pool_unref(&pool);
}

static const char *run_client(pool_t pool, const char *input)
{
	struct auth_client_connection *conn =
	    auth_client_connection_create(test_auth, -1);
	const char *out;

	auth_client_connection_set_peer_pid(conn, 77);
	assert_int_equal(auth_client_connection_input(
			     conn, (const unsigned char *)input, strlen(input)),
			 0);
	out = strstr(str_c(auth_client_connection_get_output(conn)), "DONE\n");
	out = p_strdup(pool, out + 5);
	auth_client_connection_destroy(&conn);
	return out;
}

static void test_apop_exchange(void **state)
{
	pool_t pool = pool_create("apop", 1024);
	unsigned char d[16];
	string_t *data = str_new(pool, 128), *b = str_new(pool, 128);

	/* alice has a PLAIN password: APOP works */
	apop_digest("<9.9@loft>", "secret", d);
	str_append_n(data, "<9.9@loft>\0alice\0", 17);
	str_append_n(data, d, 16);
	base64_encode(str_data(data), str_len(data), b);
	assert_string_equal(
	    run_client(pool, p_strdup_printf(pool,
					     "VERSION\t1\t2\nCPID\t77\nAUTH\t1"
					     "\tAPOP\tservice=pop3\tresp=%s\n",
					     str_c(b))),
	    "OK\t1\tuser=alice\n");

	/* wrong digest */
	apop_digest("<9.9@loft>", "wrong", d);
	str_truncate(data, 0);
	str_truncate(b, 0);
	str_append_n(data, "<9.9@loft>\0alice\0", 17);
	str_append_n(data, d, 16);
	base64_encode(str_data(data), str_len(data), b);
	assert_string_equal(
	    run_client(pool, p_strdup_printf(pool,
					     "VERSION\t1\t2\nCPID\t77\nAUTH\t2"
					     "\tAPOP\tservice=pop3\tresp=%s\n",
					     str_c(b))),
	    "FAIL\t2\tuser=alice\n");

	/* bob's password is hashed: APOP cannot work */
	apop_digest("<9.9@loft>", "Secr3t pass", d);
	str_truncate(data, 0);
	str_truncate(b, 0);
	str_append_n(data, "<9.9@loft>\0bob\0", 15);
	str_append_n(data, d, 16);
	base64_encode(str_data(data), str_len(data), b);
	assert_string_equal(
	    run_client(pool, p_strdup_printf(pool,
					     "VERSION\t1\t2\nCPID\t77\nAUTH\t3"
					     "\tAPOP\tservice=pop3\tresp=%s\n",
					     str_c(b))),
	    "FAIL\t3\tuser=bob\n");

	/* no initial response */
	assert_string_equal(
	    run_client(
		pool, "VERSION\t1\t2\nCPID\t77\nAUTH\t4\tAPOP\tservice=pop3\n"),
	    "FAIL\t4\n");
	pool_unref(&pool);
}

static void test_passwd_file_reread(void **state)
{
	pool_t pool = pool_create("reread", 1024);
	FILE *f;

	assert_string_equal(
	    run_client(pool, p_strdup_printf(pool,
					     "VERSION\t1\t2\nCPID\t77\nAUTH\t1"
					     "\tPLAIN\tservice=pop3\tresp=%s\n",
					     "AGRhdmUAbmV3cGFzcw==")),
	    "FAIL\t1\tuser=dave\n");
	/* add dave; make sure size and mtime change, then wait out the
	 * once-a-second check */
	f = fopen(passwd_path, "a");
	fputs("dave:{PLAIN}newpass\n", f);
	fclose(f);
	sleep(1);
	usleep(100 * 1000);
	assert_string_equal(
	    run_client(pool, p_strdup_printf(pool,
					     "VERSION\t1\t2\nCPID\t77\nAUTH\t2"
					     "\tPLAIN\tservice=pop3\tresp=%s\n",
					     "AGRhdmUAbmV3cGFzcw==")),
	    "OK\t2\tuser=dave\n");
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_passwd_file_parse),
	    cmocka_unit_test(test_username_checks),
	    cmocka_unit_test(test_sasl_plain_decode),
	    cmocka_unit_test(test_sasl_login_decode),
	    cmocka_unit_test(test_sasl_apop_decode),
	    cmocka_unit_test(test_apop_exchange),
	    cmocka_unit_test(test_passwd_file_reread),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
