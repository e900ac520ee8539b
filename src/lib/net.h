/* net.h - IP addresses, CIDR networks and sockets (TCP and UNIX).
 *
 * All sockets are created non-blocking and close-on-exec. */
#ifndef LOFT_NET_H
#define LOFT_NET_H

#include "lib.h"
#include <netinet/in.h>

struct ip_addr {
	unsigned short family; /* AF_INET, AF_INET6, or 0 = unset */
	union {
		struct in_addr ip4;
		struct in6_addr ip6;
	} u;
};

/* Parses "1.2.3.4", "::1", "[::1]". Returns 0 or -1. */
int net_addr2ip(const char *addr, struct ip_addr *ip_r);
/* Text form (static buffer for ip_to_str, pool-free). */
const char *net_ip2addr(const struct ip_addr *ip);
bool net_ip_compare(const struct ip_addr *a, const struct ip_addr *b);
bool net_ip_is_loopback(const struct ip_addr *ip);
/* Parses "10.0.0.0/8", "::1/128", "1.2.3.4" (full length). 0 or -1. */
int net_parse_range(const char *network, struct ip_addr *ip_r,
		    unsigned int *bits_r);
bool net_is_in_network(const struct ip_addr *ip, const struct ip_addr *net_ip,
		       unsigned int bits);

/* Listens on ip:port (ip NULL = any IPv4; "*" and "::" handled by caller
 * through net_addr2ip). port 0 picks an ephemeral port, returned in
 * *port_r. backlog <= 0 = default. Returns fd or -1 with errno. IPv6
 * sockets are IPV6_V6ONLY so that "*, ::" binds both. SO_REUSEADDR set. */
int net_listen(const struct ip_addr *ip, unsigned int *port, int backlog);
/* Listens on a UNIX socket path (removes a stale socket first), mode is
 * applied with chmod. Returns fd or -1 with errno. */
int net_listen_unix(const char *path, mode_t mode, int backlog);
/* Accepts one connection. Returns fd, -1 when none is pending (EAGAIN),
 * -2 on error (errno set). ip/port may be NULL. */
int net_accept(int listen_fd, struct ip_addr *ip_r, unsigned int *port_r);
/* Local/remote address of a connected socket. 0 or -1. UNIX sockets give
 * family 0. */
int net_getsockname(int fd, struct ip_addr *ip_r, unsigned int *port_r);
int net_getpeername(int fd, struct ip_addr *ip_r, unsigned int *port_r);
/* Blocking connect to a UNIX socket (for short local IPC set-up); the
 * returned fd is then set non-blocking. Returns fd or -1 with errno. */
int net_connect_unix(const char *path);
/* Non-blocking connect to ip:port. Returns fd or -1 with errno. */
int net_connect_ip(const struct ip_addr *ip, unsigned int port);
/* Disables Nagle's algorithm on a TCP socket: replies are already
 * buffered into whole responses, so the last small segment of one must not
 * wait for the peer's delayed ACK. 0 or -1 (not a TCP socket). */
int net_set_tcp_nodelay(int fd);
/* Credentials of a UNIX socket peer. 0 or -1. */
int net_getunixcred(int fd, pid_t *pid_r, uid_t *uid_r, gid_t *gid_r);

#endif
