/* net.c - IP address parsing and formatting, CIDR matching, and TCP/UNIX
 * sockets (listen, accept, connect, peer credentials).
 *
 * Every socket returned is non-blocking and close-on-exec. Does no name
 * resolution: addresses are numeric. */
#include "lib.h"
#include "net.h"

#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define NET_DEFAULT_BACKLOG 128

int net_addr2ip(const char *addr, struct ip_addr *ip_r)
{
	char buf[INET6_ADDRSTRLEN + 1];
	size_t len;

	memset(ip_r, 0, sizeof(*ip_r));
	if (addr == NULL)
		return -1;
	if (addr[0] == '[') {
		len = strlen(addr);
		if (len < 3 || addr[len - 1] != ']' || len - 2 >= sizeof(buf))
			return -1;
		memcpy(buf, addr + 1, len - 2);
		buf[len - 2] = '\0';
		if (inet_pton(AF_INET6, buf, &ip_r->u.ip6) != 1)
			return -1;
		ip_r->family = AF_INET6;
		return 0;
	}
	if (strchr(addr, ':') != NULL) {
		if (inet_pton(AF_INET6, addr, &ip_r->u.ip6) != 1)
			return -1;
		ip_r->family = AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, addr, &ip_r->u.ip4) != 1)
		return -1;
	ip_r->family = AF_INET;
	return 0;
}

const char *net_ip2addr(const struct ip_addr *ip)
{
	static char buf[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (ip->family == AF_INET || ip->family == AF_INET6) {
		if (inet_ntop(ip->family, &ip->u, buf, sizeof(buf)) == NULL)
			buf[0] = '\0';
	}
	return buf;
}

bool net_ip_compare(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->u.ip4.s_addr == b->u.ip4.s_addr;
	if (a->family == AF_INET6)
		return memcmp(&a->u.ip6, &b->u.ip6, sizeof(a->u.ip6)) == 0;
	return true;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as plain IPv4. */
static void ip_unmap(const struct ip_addr *ip, struct ip_addr *out)
{
	*out = *ip;
	if (ip->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&ip->u.ip6)) {
		memset(out, 0, sizeof(*out));
		out->family = AF_INET;
		memcpy(&out->u.ip4, &ip->u.ip6.s6_addr[12], 4);
	}
}

bool net_ip_is_loopback(const struct ip_addr *ip)
{
	struct ip_addr u;

	ip_unmap(ip, &u);
	if (u.family == AF_INET)
		return (ntohl(u.u.ip4.s_addr) >> 24) == 127;
	if (u.family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&u.u.ip6);
	return false;
}

int net_parse_range(const char *network, struct ip_addr *ip_r,
		    unsigned int *bits_r)
{
	char buf[INET6_ADDRSTRLEN + 3];
	const char *slash = strchr(network, '/');
	unsigned int bits, max_bits;
	size_t len;

	len = slash == NULL ? strlen(network) : (size_t)(slash - network);
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, network, len);
	buf[len] = '\0';
	if (net_addr2ip(buf, ip_r) < 0)
		return -1;
	max_bits = ip_r->family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		*bits_r = max_bits;
		return 0;
	}
	if (str_to_uint(slash + 1, &bits) < 0 || bits > max_bits)
		return -1;
	*bits_r = bits;
	return 0;
}

/* 16-byte form: IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
static bool ip_to16(const struct ip_addr *ip, unsigned char out[16])
{
	if (ip->family == AF_INET) {
		memset(out, 0, 10);
		out[10] = 0xff;
		out[11] = 0xff;
		memcpy(out + 12, &ip->u.ip4, 4);
		return true;
	}
	if (ip->family == AF_INET6) {
		memcpy(out, ip->u.ip6.s6_addr, 16);
		return true;
	}
	return false;
}

bool net_is_in_network(const struct ip_addr *ip, const struct ip_addr *net_ip,
		       unsigned int bits)
{
	unsigned char a[16], n[16];
	unsigned int full, rest;

	if (!ip_to16(ip, a) || !ip_to16(net_ip, n))
		return false;
	/* IPv4 (plain or IPv4-mapped) only matches IPv4 networks, which
	   include ::ffff:0:0/96 and longer */
	bool ip_v4 = ip->family == AF_INET || IN6_IS_ADDR_V4MAPPED(&ip->u.ip6);
	bool net_v4 = net_ip->family == AF_INET ||
		      (IN6_IS_ADDR_V4MAPPED(&net_ip->u.ip6) && bits >= 96);
	if (ip_v4 != net_v4)
		return false;
	if (net_ip->family == AF_INET)
		bits = MIN_OF(bits, 32U) + 96;
	else if (bits > 128)
		bits = 128;
	full = bits / 8;
	rest = bits % 8;
	if (memcmp(a, n, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (n[full] & mask);
}

static socklen_t ip_to_sockaddr(const struct ip_addr *ip, unsigned int port,
				struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ip != NULL && ip->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = ip->u.ip6;
		sin6->sin6_port = htons((uint16_t)port);
		return sizeof(*sin6);
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	sin->sin_family = AF_INET;
	if (ip != NULL && ip->family == AF_INET)
		sin->sin_addr = ip->u.ip4;
	else
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	sin->sin_port = htons((uint16_t)port);
	return sizeof(*sin);
}

static void sockaddr_to_ip(const struct sockaddr_storage *ss,
			   struct ip_addr *ip_r, unsigned int *port_r)
{
	unsigned int port = 0;

	if (ip_r != NULL)
		memset(ip_r, 0, sizeof(*ip_r));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		if (ip_r != NULL) {
			ip_r->family = AF_INET;
			ip_r->u.ip4 = sin->sin_addr;
		}
		port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)ss;

		if (ip_r != NULL) {
			ip_r->family = AF_INET6;
			ip_r->u.ip6 = sin6->sin6_addr;
		}
		port = ntohs(sin6->sin6_port);
	}
	if (port_r != NULL)
		*port_r = port;
}

int net_listen(const struct ip_addr *ip, unsigned int *port, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, opt = 1, family;

	if (*port > 65535) {
		errno = EINVAL;
		return -1;
	}
	sslen = ip_to_sockaddr(ip, *port, &ss);
	family = ss.ss_family;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &opt, sizeof(opt));
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &opt, sizeof(opt)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0)
		goto fail;
	if (listen(fd, backlog > 0 ? backlog : NET_DEFAULT_BACKLOG) < 0)
		goto fail;
	if (*port == 0) {
		sslen = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0)
			goto fail;
		sockaddr_to_ip(&ss, NULL, port);
	}
	return fd;
fail:
	i_close_fd(&fd);
	return -1;
}

static int unix_sockaddr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int net_listen_unix(const char *path, mode_t mode, int backlog)
{
	struct sockaddr_un sa;
	int fd;

	if (unix_sockaddr(path, &sa) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int test_fd;

		if (errno != EADDRINUSE)
			goto fail;
		/* stale socket? only remove it when nobody listens there */
		test_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (test_fd < 0)
			goto fail;
		if (connect(test_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			i_close_fd(&test_fd);
			errno = EADDRINUSE;
			goto fail;
		}
		i_close_fd(&test_fd);
		if (unlink(path) < 0 && errno != ENOENT)
			goto fail;
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
	}
	if (chmod(path, mode) < 0)
		goto fail;
	if (listen(fd, backlog > 0 ? backlog : NET_DEFAULT_BACKLOG) < 0)
		goto fail;
	return fd;
fail:
	i_close_fd(&fd);
	return -1;
}

int net_accept(int listen_fd, struct ip_addr *ip_r, unsigned int *port_r)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int fd;

	memset(&ss, 0, sizeof(ss));
	fd = accept4(listen_fd, (struct sockaddr *)&ss, &sslen,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED)
			return -1;
		return -2;
	}
	sockaddr_to_ip(&ss, ip_r, port_r);
	return fd;
}

int net_getsockname(int fd, struct ip_addr *ip_r, unsigned int *port_r)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0)
		return -1;
	sockaddr_to_ip(&ss, ip_r, port_r);
	return 0;
}

int net_getpeername(int fd, struct ip_addr *ip_r, unsigned int *port_r)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &sslen) < 0)
		return -1;
	sockaddr_to_ip(&ss, ip_r, port_r);
	return 0;
}

int net_connect_unix(const char *path)
{
	struct sockaddr_un sa;
	int fd, ret;

	if (unix_sockaddr(path, &sa) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	for (unsigned int tries = 0;; tries++) {
		ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		if (ret == 0)
			break;
		/* EAGAIN: the listener's backlog is full; retry briefly */
		if (errno == EINTR || (errno == EAGAIN && tries < 20)) {
			if (errno == EAGAIN)
				usleep(10000);
			continue;
		}
		i_close_fd(&fd);
		return -1;
	}
	fd_set_nonblock(fd, true);
	return fd;
}

int net_connect_ip(const struct ip_addr *ip, unsigned int port)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd;

	if (ip == NULL || (ip->family != AF_INET && ip->family != AF_INET6) ||
	    port == 0 || port > 65535) {
		errno = EINVAL;
		return -1;
	}
	sslen = ip_to_sockaddr(ip, port, &ss);
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sslen) < 0 &&
	    errno != EINPROGRESS && errno != EINTR) {
		i_close_fd(&fd);
		return -1;
	}
	return fd;
}

int net_getunixcred(int fd, pid_t *pid_r, uid_t *uid_r, gid_t *gid_r)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	if (pid_r != NULL)
		*pid_r = cred.pid;
	if (uid_r != NULL)
		*uid_r = cred.uid;
	if (gid_r != NULL)
		*gid_r = cred.gid;
	return 0;
}

int net_set_tcp_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}
