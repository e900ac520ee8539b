/* test-net.c - address parsing/formatting, CIDR ranges (IPv4, IPv6,
 * IPv4-mapped), loopback, listen/accept/connect on TCP and UNIX sockets,
 * fd passing. */
#include "lib.h"
#include "net.h"
#include "fdpass.h"

#include <setjmp.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <netinet/tcp.h>

static void test_addr(void **state)
{
	static const struct {
		const char *in, *out;
		int family;
	} tests[] = {
	    {"1.2.3.4", "1.2.3.4", AF_INET},
	    {"::1", "::1", AF_INET6},
	    {"[::1]", "::1", AF_INET6},
	    {"2001:DB8::1", "2001:db8::1", AF_INET6},
	    {"::ffff:10.0.0.1", "::ffff:10.0.0.1", AF_INET6},
	    {"1.2.3", NULL, 0},
	    {"256.1.1.1", NULL, 0},
	    {"", NULL, 0},
	    {"[::1", NULL, 0},
	    {"host.example", NULL, 0},
	    {"1.2.3.4 ", NULL, 0},
	};
	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		struct ip_addr ip;
		int ret = net_addr2ip(tests[i].in, &ip);

		if (tests[i].out == NULL) {
			assert_int_equal(ret, -1);
			continue;
		}
		assert_int_equal(ret, 0);
		assert_int_equal(ip.family, tests[i].family);
		assert_string_equal(net_ip2addr(&ip), tests[i].out);
	}
	struct ip_addr a, b;
	assert_int_equal(net_addr2ip("10.0.0.1", &a), 0);
	assert_int_equal(net_addr2ip("10.0.0.1", &b), 0);
	assert_true(net_ip_compare(&a, &b));
	assert_int_equal(net_addr2ip("10.0.0.2", &b), 0);
	assert_false(net_ip_compare(&a, &b));
}

static void test_loopback(void **state)
{
	static const struct {
		const char *ip;
		bool loopback;
	} tests[] = {
	    {"127.0.0.1", true},	{"127.255.0.9", true}, {"::1", true},
	    {"::ffff:127.0.0.1", true}, {"128.0.0.1", false},  {"::2", false},
	    {"10.0.0.1", false},
	};
	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		struct ip_addr ip;

		assert_int_equal(net_addr2ip(tests[i].ip, &ip), 0);
		assert_int_equal(net_ip_is_loopback(&ip), tests[i].loopback);
	}
}

static void test_cidr(void **state)
{
	static const struct {
		const char *network, *ip;
		int parse_ret;
		bool match;
	} tests[] = {
	    {"10.0.0.0/8", "10.200.1.1", 0, true},
	    {"10.0.0.0/8", "11.0.0.1", 0, false},
	    {"192.168.1.0/24", "192.168.1.255", 0, true},
	    {"192.168.1.0/24", "192.168.2.0", 0, false},
	    {"192.168.1.128/25", "192.168.1.129", 0, true},
	    {"192.168.1.128/25", "192.168.1.127", 0, false},
	    {"1.2.3.4", "1.2.3.4", 0, true},
	    {"1.2.3.4", "1.2.3.5", 0, false},
	    {"0.0.0.0/0", "8.8.8.8", 0, true},
	    {"0.0.0.0/0", "::1", 0, false},
	    {"10.0.0.0/8", "::ffff:10.1.2.3", 0, true},
	    {"::ffff:10.0.0.0/104", "10.1.2.3", 0, true},
	    {"2001:db8::/32", "2001:db8:ffff::1", 0, true},
	    {"2001:db8::/32", "2001:db9::1", 0, false},
	    {"2001:db8::/33", "2001:db8:8000::1", 0, false},
	    {"::1/128", "::1", 0, true},
	    {"::/0", "fe80::1", 0, true},
	    {"::/0", "1.2.3.4", 0, false},
	    {"::/0", "::ffff:1.2.3.4", 0, false},
	    {"::ffff:0:0/96", "1.2.3.4", 0, true},
	    {"1.2.3.0/24", "::1", 0, false},
	    {"fe80::/10", "febf::1", 0, true},
	    {"fe80::/10", "fec0::1", 0, false},
	    {"10.0.0.0/33", NULL, -1, false},
	    {"::/129", NULL, -1, false},
	    {"10.0.0.0/", NULL, -1, false},
	    {"10.0.0.0/x", NULL, -1, false},
	    {"10.0.0/8", NULL, -1, false},
	};
	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		struct ip_addr net, ip;
		unsigned int bits;

		assert_int_equal(net_parse_range(tests[i].network, &net, &bits),
				 tests[i].parse_ret);
		if (tests[i].parse_ret < 0)
			continue;
		assert_int_equal(net_addr2ip(tests[i].ip, &ip), 0);
		if (net_is_in_network(&ip, &net, bits) != tests[i].match)
			fail_msg("%s in %s: expected %d", tests[i].ip,
				 tests[i].network, tests[i].match);
	}
}

static void test_tcp(void **state)
{
	struct ip_addr ip, peer;
	unsigned int port = 0, peer_port;
	int lfd, cfd, afd = -1;

	assert_int_equal(net_addr2ip("127.0.0.1", &ip), 0);
	lfd = net_listen(&ip, &port, 0);
	assert_true(lfd >= 0);
	assert_true(port > 0);
	assert_int_equal(net_accept(lfd, NULL, NULL), -1);
	cfd = net_connect_ip(&ip, port);
	assert_true(cfd >= 0);
	for (int i = 0; i < 200 && afd < 0; i++) {
		afd = net_accept(lfd, &peer, &peer_port);
		if (afd < 0)
			usleep(5000);
	}
	assert_true(afd >= 0);
	assert_string_equal(net_ip2addr(&peer), "127.0.0.1");
	assert_true((fcntl(afd, F_GETFL) & O_NONBLOCK) != 0);
	assert_true((fcntl(afd, F_GETFD) & FD_CLOEXEC) != 0);
	unsigned int local_port;
	assert_int_equal(net_getsockname(afd, &ip, &local_port), 0);
	assert_int_equal(local_port, port);
	assert_int_equal(net_getpeername(afd, &ip, &local_port), 0);
	assert_int_equal(local_port, peer_port);
	close(afd);
	close(cfd);
	close(lfd);

	/* IPv6 loopback with V6ONLY: both families can share a port */
	if (net_addr2ip("::1", &ip) == 0) {
		port = 0;
		lfd = net_listen(&ip, &port, 0);
		if (lfd >= 0) {
			struct ip_addr ip4;
			int fd4;

			assert_int_equal(net_addr2ip("127.0.0.1", &ip4), 0);
			fd4 = net_listen(&ip4, &port, 0);
			assert_true(fd4 >= 0);
			close(fd4);
			close(lfd);
		}
	}
}

static void test_tcp_nodelay(void **state)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), val = 0, ufd;
	socklen_t len = sizeof(val);

	assert_true(fd >= 0);
	assert_int_equal(net_set_tcp_nodelay(fd), 0);
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &val, &len),
			 0);
	assert_int_not_equal(val, 0);
	close(fd);
	/* not TCP: refused, not ignored */
	ufd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(ufd >= 0);
	assert_int_equal(net_set_tcp_nodelay(ufd), -1);
	close(ufd);
}

static void test_unix_fdpass(void **state)
{
	char dir[] = "/tmp/loft-test-net-XXXXXX", path[128];
	int lfd, cfd, afd = -1, pfd[2], recv_fd;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char buf[16];
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	lfd = net_listen_unix(path, 0600, 0);
	assert_true(lfd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a live listener is not replaced */
	assert_int_equal(net_listen_unix(path, 0600, 0), -1);
	assert_int_equal(errno, EADDRINUSE);
	/* the liveness probe left a connection behind: drop it */
	for (int i = 0; i < 200 && afd < 0; i++) {
		afd = net_accept(lfd, NULL, NULL);
		if (afd < 0)
			usleep(5000);
	}
	assert_true(afd >= 0);
	close(afd);
	afd = -1;

	cfd = net_connect_unix(path);
	assert_true(cfd >= 0);
	for (int i = 0; i < 200 && afd < 0; i++) {
		afd = net_accept(lfd, NULL, NULL);
		if (afd < 0)
			usleep(5000);
	}
	assert_true(afd >= 0);
	assert_int_equal(net_getunixcred(afd, &pid, &uid, &gid), 0);
	assert_int_equal(pid, getpid());
	assert_int_equal(uid, geteuid());

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(fd_send(cfd, pfd[1], "hello", 5), 5);
	assert_int_equal(fd_send(cfd, -1, "x", 1), 1);
	assert_int_equal(fd_read(afd, buf, 5, &recv_fd), 5);
	assert_true(recv_fd >= 0);
	assert_true((fcntl(recv_fd, F_GETFD) & FD_CLOEXEC) != 0);
	assert_int_equal(write(recv_fd, "p", 1), 1);
	assert_int_equal(read(pfd[0], buf, 1), 1);
	assert_int_equal(buf[0], 'p');
	close(recv_fd);
	assert_int_equal(fd_read(afd, buf, sizeof(buf), &recv_fd), 1);
	assert_int_equal(recv_fd, -1);
	close(cfd);
	assert_int_equal(fd_read(afd, buf, sizeof(buf), &recv_fd), 0);

	close(afd);
	close(lfd);
	/* stale socket (nobody listening) is replaced */
	lfd = net_listen_unix(path, 0666, 0);
	assert_true(lfd >= 0);
	close(lfd);
	close(pfd[0]);
	close(pfd[1]);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr),
	    cmocka_unit_test(test_loopback),
	    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_tcp),
	    cmocka_unit_test(test_unix_fdpass),
	    cmocka_unit_test(test_tcp_nodelay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
