/* master-listen.c - listen address parsing and listener sockets. Does not
 * decide which listeners a service has (master-service.c does) and never
 * accepts connections. */
#include "master-listen.h"
#include "master-common.h"
#include "str.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define LISTEN_SEPARATORS ", \t\r\n"
#define LISTEN_MAX_ADDRESSES 64

static bool ip_any4(const struct ip_addr *ip)
{
	return ip->family == AF_INET && ip->u.ip4.s_addr == htonl(INADDR_ANY);
}

static bool ip_any6(const struct ip_addr *ip)
{
	return ip->family == AF_INET6 &&
	       memcmp(&ip->u.ip6, &in6addr_any, sizeof(in6addr_any)) == 0;
}

static bool looks_like_hostname(const char *s)
{
	bool letter = false;

	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			letter = true;
		else if (!((*s >= '0' && *s <= '9') || *s == '.' || *s == '-'))
			return false;
	}
	return letter;
}

static bool ip_list_has(const struct ip_addr *ips, unsigned int count,
			const struct ip_addr *ip)
{
	for (unsigned int i = 0; i < count; i++) {
		if (net_ip_compare(&ips[i], ip))
			return true;
	}
	return false;
}

static int ip_list_add(struct ip_addr *ips, unsigned int *count,
		       const struct ip_addr *ip, const char **error_r)
{
	if (ip_list_has(ips, *count, ip))
		return 0;
	if (*count >= LISTEN_MAX_ADDRESSES) {
		*error_r = master_errorf("Too many listen addresses (max %u)",
					 LISTEN_MAX_ADDRESSES);
		return -1;
	}
	ips[(*count)++] = *ip;
	return 0;
}

static int resolve_host(const char *host, struct ip_addr *ips,
			unsigned int *count, const char **error_r)
{
	struct addrinfo hints, *res, *ai;
	struct ip_addr ip;
	int ret;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	ret = getaddrinfo(host, NULL, &hints, &res);
	if (ret != 0) {
		*error_r = master_errorf("Can't resolve listen address %s: %s",
					 host, gai_strerror(ret));
		return -1;
	}
	ret = 0;
	for (ai = res; ai != NULL && ret == 0; ai = ai->ai_next) {
		memset(&ip, 0, sizeof(ip));
		if (ai->ai_family == AF_INET) {
			ip.family = AF_INET;
			ip.u.ip4 = ((struct sockaddr_in *)(void *)ai->ai_addr)
				       ->sin_addr;
		} else if (ai->ai_family == AF_INET6) {
			ip.family = AF_INET6;
			ip.u.ip6 = ((struct sockaddr_in6 *)(void *)ai->ai_addr)
				       ->sin6_addr;
		} else {
			continue;
		}
		ret = ip_list_add(ips, count, &ip, error_r);
	}
	freeaddrinfo(res);
	return ret;
}

int master_listen_parse(pool_t pool, const char *list, struct ip_addr **ips_r,
			unsigned int *count_r, const char **error_r)
{
	struct ip_addr ips[LISTEN_MAX_ADDRESSES], ip;
	unsigned int count = 0;
	char **tokens;

	tokens = p_strsplit_spaces(pool, list == NULL ? "" : list,
				   LISTEN_SEPARATORS);
	for (unsigned int i = 0; tokens[i] != NULL; i++) {
		const char *tok = tokens[i];

		memset(&ip, 0, sizeof(ip));
		if (strcmp(tok, "*") == 0) {
			ip.family = AF_INET;
			ip.u.ip4.s_addr = htonl(INADDR_ANY);
		} else if (strcmp(tok, "::") == 0 || strcmp(tok, "[::]") == 0) {
			ip.family = AF_INET6;
			ip.u.ip6 = in6addr_any;
		} else if (net_addr2ip(tok, &ip) < 0) {
			if (!looks_like_hostname(tok)) {
				*error_r = master_errorf(
				    "Invalid listen address: %s", tok);
				return -1;
			}
			if (resolve_host(tok, ips, &count, error_r) < 0)
				return -1;
			continue;
		}
		if (ip_list_add(ips, &count, &ip, error_r) < 0)
			return -1;
	}
	*ips_r =
	    count == 0 ? NULL : p_memdup(pool, ips, sizeof(ips[0]) * count);
	*count_r = count;
	return 0;
}

const char *master_listen_addr_str(const struct ip_addr *ip)
{
	static char buf[INET6_ADDRSTRLEN + 1];

	if (ip_any4(ip))
		return "*";
	if (ip_any6(ip))
		return "::";
	snprintf(buf, sizeof(buf), "%s", net_ip2addr(ip));
	return buf;
}

bool master_listener_name_valid(const char *name)
{
	if (name == NULL || name[0] == '\0')
		return false;
	for (; *name != '\0'; name++) {
		if (*name == ':' || *name == ' ' || *name == '\t' ||
		    *name == '\r' || *name == '\n')
			return false;
	}
	return true;
}

struct master_listener *
master_listener_new_inet(pool_t pool, const char *service_name,
			 const char *name, const struct ip_addr *ip,
			 unsigned int port, bool ssl, bool haproxy)
{
	struct master_listener *l = p_new(pool, struct master_listener, 1);

	i_assert(master_listener_name_valid(name));
	l->type = MASTER_LISTENER_INET;
	l->service_name = p_strdup(pool, service_name);
	l->name = p_strdup(pool, name);
	l->ip = *ip;
	l->port = port;
	l->ssl = ssl;
	l->haproxy = haproxy;
	l->uid = (uid_t)-1;
	l->gid = (gid_t)-1;
	l->fd = -1;
	return l;
}

struct master_listener *master_listener_new_unix(pool_t pool,
						 const char *service_name,
						 const char *name,
						 const char *path, mode_t mode,
						 uid_t uid, gid_t gid)
{
	struct master_listener *l = p_new(pool, struct master_listener, 1);

	i_assert(master_listener_name_valid(name));
	l->type = MASTER_LISTENER_UNIX;
	l->service_name = p_strdup(pool, service_name);
	l->name = p_strdup(pool, name);
	l->path = p_strdup(pool, path);
	l->mode = mode;
	l->uid = uid;
	l->gid = gid;
	l->fd = -1;
	return l;
}

const char *master_listener_describe(const struct master_listener *l)
{
	static char buf[4200];

	if (l->type == MASTER_LISTENER_INET) {
		snprintf(buf, sizeof(buf), "listen(%s, %u)",
			 master_listen_addr_str(&l->ip), l->port);
	} else {
		snprintf(buf, sizeof(buf), "net_listen_unix(%s)", l->path);
	}
	return buf;
}

int master_listener_apply_perms(struct master_listener *l, const char **error_r)
{
	if (l->type != MASTER_LISTENER_UNIX)
		return 0;
	if (chmod(l->path, l->mode) < 0) {
		*error_r = master_errorf(
		    "service(%s): chmod(%s, 0%o) failed: %s", l->service_name,
		    l->path, (unsigned int)l->mode, strerror(errno));
		return -1;
	}
	if ((l->uid != (uid_t)-1 || l->gid != (gid_t)-1) &&
	    chown(l->path, l->uid, l->gid) < 0) {
		*error_r =
		    master_errorf("service(%s): chown(%s, %ld, %ld) failed: %s",
				  l->service_name, l->path, (long)l->uid,
				  (long)l->gid, strerror(errno));
		return -1;
	}
	return 0;
}

int master_listener_bind(struct master_listener *l, const char **error_r)
{
	unsigned int port = l->port;
	int fd;

	i_assert(l->fd == -1);
	if (l->type == MASTER_LISTENER_INET) {
		i_assert(port != 0);
		fd = net_listen(&l->ip, &port, 0);
	} else {
		fd = net_listen_unix(l->path, l->mode, 0);
	}
	if (fd < 0) {
		*error_r =
		    master_errorf("service(%s): %s failed: %s", l->service_name,
				  master_listener_describe(l), strerror(errno));
		return -1;
	}
	fd_close_on_exec(fd, true);
	l->fd = fd;
	if (master_listener_apply_perms(l, error_r) < 0) {
		master_listener_close(l, true);
		return -1;
	}
	return 0;
}

void master_listener_close(struct master_listener *l, bool unlink_socket)
{
	if (l->fd == -1)
		return;
	i_close_fd(&l->fd);
	if (unlink_socket && l->type == MASTER_LISTENER_UNIX)
		(void)unlink(l->path);
}

bool master_listener_same_socket(const struct master_listener *a,
				 const struct master_listener *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == MASTER_LISTENER_UNIX)
		return strcmp(a->path, b->path) == 0;
	return a->port == b->port && net_ip_compare(&a->ip, &b->ip);
}

const char *master_listeners_env(pool_t pool,
				 struct master_listener *const *listeners,
				 unsigned int count, int first_fd)
{
	string_t *str = str_new(pool, 64);

	for (unsigned int i = 0; i < count; i++) {
		const struct master_listener *l = listeners[i];

		unsigned int seen = 0;

		for (unsigned int j = 0; j < i; j++) {
			if (strcmp(listeners[j]->name, l->name) == 0)
				seen++;
		}
		if (i > 0)
			str_append_c(str, ' ');
		str_append(str, l->name);
		if (seen > 0)
			str_printfa(str, "#%u", seen + 1);
		str_printfa(str, ":%d", first_fd + (int)i);
		if (l->ssl)
			str_append(str, ":ssl");
		if (l->haproxy)
			str_append(str, ":haproxy");
	}
	return str_c(str);
}
