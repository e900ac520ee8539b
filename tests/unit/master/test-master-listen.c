/* test-master-listen.c - listen address parsing, listener descriptions,
 * LOFT_LISTENERS formatting and binding. */
#include "lib.h"
#include "master-listen.h"
#include "net.h"
#include "pool.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <cmocka.h>

static pool_t pool;

static int setup(void **state)
{
	pool = pool_create("test", 1024);
	return 0;
}

static int teardown(void **state)
{
	pool_unref(&pool);
	return 0;
}

static void test_parse_table(void **state)
{
	static const struct {
		const char *input;
		int ret;
		const char *addrs; /* addresses joined with "|" */
	} tests[] = {
	    {"*", 0, "*"},
	    {"::", 0, "::"},
	    {"[::]", 0, "::"},
	    {"*, ::", 0, "*|::"},
	    {"*,::", 0, "*|::"},
	    {" *  ::\t", 0, "*|::"},
	    {"127.0.0.1", 0, "127.0.0.1"},
	    {"127.0.0.1 ::1", 0, "127.0.0.1|::1"},
	    {"[::1], 10.1.2.3", 0, "::1|10.1.2.3"},
	    {"127.0.0.1,127.0.0.1, 127.0.0.1", 0, "127.0.0.1"},
	    {"0.0.0.0, *", 0, "*"},
	    {"", 0, ""},
	    {" , ,", 0, ""},
	    {"1.2.3.4.5", -1, NULL},
	    {"10.0.0.0/8", -1, NULL},
	    {"127.0.0.1 bad!host", -1, NULL},
	    {"[::1", -1, NULL},
	    {"256.1.1.1", -1, NULL},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		struct ip_addr *ips;
		unsigned int count;
		const char *error = NULL;
		char joined[256] = "";
		int ret;

		ret = master_listen_parse(pool, tests[i].input, &ips, &count,
					  &error);
		if (ret != tests[i].ret)
			fail_msg("'%s': ret %d, expected %d (%s)",
				 tests[i].input, ret, tests[i].ret,
				 error == NULL ? "" : error);
		if (ret < 0) {
			assert_non_null(error);
			assert_non_null(strstr(error, "listen address"));
			continue;
		}
		for (unsigned int j = 0; j < count; j++) {
			if (j > 0)
				strcat(joined, "|");
			strcat(joined, master_listen_addr_str(&ips[j]));
		}
		if (strcmp(joined, tests[i].addrs) != 0)
			fail_msg("'%s': got '%s', expected '%s'",
				 tests[i].input, joined, tests[i].addrs);
	}
}

static void test_parse_null_and_hostname(void **state)
{
	struct ip_addr *ips;
	unsigned int count;
	const char *error;

	assert_int_equal(master_listen_parse(pool, NULL, &ips, &count, &error),
			 0);
	assert_int_equal(count, 0);
	/* localhost comes from /etc/hosts */
	assert_int_equal(
	    master_listen_parse(pool, "localhost", &ips, &count, &error), 0);
	assert_true(count >= 1);
	for (unsigned int i = 0; i < count; i++)
		assert_true(net_ip_is_loopback(&ips[i]));
}

static void test_name_valid(void **state)
{
	assert_true(master_listener_name_valid("pop3"));
	assert_true(master_listener_name_valid("login/pop3"));
	assert_true(master_listener_name_valid("/abs/path"));
	assert_false(master_listener_name_valid(""));
	assert_false(master_listener_name_valid(NULL));
	assert_false(master_listener_name_valid("a:b"));
	assert_false(master_listener_name_valid("a b"));
	assert_false(master_listener_name_valid("a\tb"));
	assert_false(master_listener_name_valid("a\n"));
}

static struct master_listener *inet(const char *name, const char *addr,
				    unsigned int port, bool ssl, bool haproxy)
{
	struct ip_addr ip;

	if (strcmp(addr, "*") == 0) {
		memset(&ip, 0, sizeof(ip));
		ip.family = AF_INET;
	} else {
		assert_int_equal(net_addr2ip(addr, &ip), 0);
	}
	return master_listener_new_inet(pool, "pop3-login", name, &ip, port,
					ssl, haproxy);
}

static void test_describe(void **state)
{
	struct master_listener *l;

	assert_string_equal(
	    master_listener_describe(inet("pop3", "*", 110, false, false)),
	    "listen(*, 110)");
	assert_string_equal(
	    master_listener_describe(inet("pop3s", "::1", 995, true, false)),
	    "listen(::1, 995)");
	l = master_listener_new_unix(pool, "auth", "auth-client",
				     "/run/loft/auth-client", 0666, (uid_t)-1,
				     (gid_t)-1);
	assert_string_equal(master_listener_describe(l),
			    "net_listen_unix(/run/loft/auth-client)");
}

static void test_env_format(void **state)
{
	struct master_listener *list[4];

	assert_string_equal(master_listeners_env(pool, list, 0, 3), "");

	list[0] = inet("pop3", "*", 110, false, false);
	list[1] = inet("pop3s", "*", 995, true, false);
	assert_string_equal(master_listeners_env(pool, list, 2, 3),
			    "pop3:3 pop3s:4:ssl");

	list[0] = inet("pop3", "*", 110, false, true);
	list[1] = inet("pop3", "::1", 110, false, true);
	list[2] = inet("pop3s", "*", 995, true, true);
	list[3] = master_listener_new_unix(pool, "pop3", "login/pop3",
					   "/run/loft/login/pop3", 0666,
					   (uid_t)-1, (gid_t)-1);
	assert_string_equal(
	    master_listeners_env(pool, list, 4, 3),
	    "pop3:3:haproxy pop3#2:4:haproxy pop3s:5:ssl:haproxy "
	    "login/pop3:6");
	assert_string_equal(master_listeners_env(pool, list + 3, 1, 7),
			    "login/pop3:7");
	list[3] = inet("pop3", "10.0.0.1", 110, false, false);
	assert_string_equal(
	    master_listeners_env(pool, list, 4, 3),
	    "pop3:3:haproxy pop3#2:4:haproxy pop3s:5:ssl:haproxy "
	    "pop3#3:6");
}

static void test_same_socket(void **state)
{
	struct master_listener *a =
	    inet("pop3", "127.0.0.1", 110, false, false);
	struct master_listener *b =
	    inet("other", "127.0.0.1", 110, true, false);
	struct master_listener *c =
	    inet("pop3", "127.0.0.1", 111, false, false);
	struct master_listener *d = inet("pop3", "::1", 110, false, false);
	struct master_listener *u1 = master_listener_new_unix(
	    pool, "auth", "auth-client", "/x/auth-client", 0666, -1, -1);
	struct master_listener *u2 = master_listener_new_unix(
	    pool, "auth", "auth-client", "/x/auth-client", 0600, -1, -1);
	struct master_listener *u3 = master_listener_new_unix(
	    pool, "auth", "auth-master", "/x/auth-master", 0600, -1, -1);

	assert_true(master_listener_same_socket(a, b));
	assert_false(master_listener_same_socket(a, c));
	assert_false(master_listener_same_socket(a, d));
	assert_true(master_listener_same_socket(u1, u2));
	assert_false(master_listener_same_socket(u1, u3));
	assert_false(master_listener_same_socket(a, u1));
}

static void test_bind_inet(void **state)
{
	struct ip_addr ip;
	struct master_listener *l;
	unsigned int port = 0;
	const char *error = NULL;
	char expect[128];
	int fd;

	assert_int_equal(net_addr2ip("127.0.0.1", &ip), 0);
	fd = net_listen(&ip, &port, 0);
	assert_true(fd >= 0);
	assert_true(port != 0);

	l = master_listener_new_inet(pool, "pop3-login", "pop3", &ip, port,
				     false, false);
	assert_int_equal(master_listener_bind(l, &error), -1);
	snprintf(expect, sizeof(expect),
		 "service(pop3-login): listen(127.0.0.1, %u) failed: "
		 "Address already in use",
		 port);
	assert_string_equal(error, expect);
	assert_int_equal(l->fd, -1);

	i_close_fd(&fd);
	assert_int_equal(master_listener_bind(l, &error), 0);
	assert_true(l->fd >= 3);
	master_listener_close(l, true);
	assert_int_equal(l->fd, -1);
}

static void test_bind_unix(void **state)
{
	char dir[] = "/tmp/test-master-listen.XXXXXX";
	char path[128];
	struct master_listener *l;
	const char *error;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/auth-master", dir);
	l = master_listener_new_unix(pool, "auth", "auth-master", path, 0600,
				     (uid_t)-1, (gid_t)-1);
	assert_int_equal(master_listener_bind(l, &error), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	/* a kept socket gets a changed mode on reload */
	l->mode = 0666;
	assert_int_equal(master_listener_apply_perms(l, &error), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0666);

	master_listener_close(l, true);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_null_and_hostname),
	    cmocka_unit_test(test_name_valid),
	    cmocka_unit_test(test_describe),
	    cmocka_unit_test(test_env_format),
	    cmocka_unit_test(test_same_socket),
	    cmocka_unit_test(test_bind_inet),
	    cmocka_unit_test(test_bind_unix),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
