/* master-listen.h - the sockets the master binds for its services.
 *
 * Parses the `listen` setting (and a listener's own `address`) into IP
 * addresses, binds inet and UNIX listeners, matches listeners between two
 * configurations so that a reload keeps the sockets whose address did not
 * change, and formats the LOFT_LISTENERS value handed to a service (see
 * config/service-env.h). Knows nothing about processes. */
#ifndef LOFT_MASTER_LISTEN_H
#define LOFT_MASTER_LISTEN_H

#include "lib.h"
#include "pool.h"
#include "net.h"

enum master_listener_type {
	MASTER_LISTENER_INET,
	MASTER_LISTENER_UNIX,
};

struct master_listener {
	enum master_listener_type type;
	/* Name given to the service in LOFT_LISTENERS: the inet listener's
	 * name ("pop3s") or the UNIX listener's path as written in the
	 * config ("login/pop3", "auth-client"). Never contains ':' or
	 * white space. */
	const char *name;
	const char *service_name;

	/* inet */
	struct ip_addr ip;
	unsigned int port;
	bool ssl, haproxy;

	/* unix */
	const char *path; /* absolute */
	mode_t mode;
	uid_t uid; /* (uid_t)-1 = leave as created */
	gid_t gid;

	int fd; /* -1 while not bound (or after the fd moved on reload) */
};

/* Parses a list of addresses separated by commas and/or white space:
 * "*" = 0.0.0.0, "::" or "[::]" = all IPv6 addresses, IPv4/IPv6 literals
 * (IPv6 optionally in brackets), or host names resolved with
 * getaddrinfo(). Duplicates are dropped. An empty list gives 0 addresses.
 * Returns 0 with *ips_r (allocated from pool) and *count_r, or -1 with
 * *error_r. */
int master_listen_parse(pool_t pool, const char *list, struct ip_addr **ips_r,
			unsigned int *count_r, const char **error_r);

/* Returns "*" for 0.0.0.0, "::" for the IPv6 any address and the text
 * form otherwise (static buffer, valid until the next call). */
const char *master_listen_addr_str(const struct ip_addr *ip);

/* Creates an unbound listener from pool. name must be a valid listener
 * name (master_listener_name_valid()). */
struct master_listener *
master_listener_new_inet(pool_t pool, const char *service_name,
			 const char *name, const struct ip_addr *ip,
			 unsigned int port, bool ssl, bool haproxy);
struct master_listener *master_listener_new_unix(pool_t pool,
						 const char *service_name,
						 const char *name,
						 const char *path, mode_t mode,
						 uid_t uid, gid_t gid);
/* True when name is non-empty and has no ':' or white space. */
bool master_listener_name_valid(const char *name);

/* "listen(*, 110)" or "listen(/run/loft/auth-client)" for log lines
 * (static buffer, valid until the next call). */
const char *master_listener_describe(const struct master_listener *l);

/* Binds (and for UNIX sockets chmods and chowns) the listener. Returns 0,
 * or -1 with *error_r like
 * "service(pop3-login): listen(*, 110) failed: Address already in use". */
int master_listener_bind(struct master_listener *l, const char **error_r);
/* Re-applies mode and owner of a UNIX listener that is kept over a
 * reload. Returns 0, or -1 with *error_r. */
int master_listener_apply_perms(struct master_listener *l,
				const char **error_r);
/* Closes the fd when open; a UNIX listener's socket file is unlinked when
 * unlink_socket is true and this listener still owned the fd. */
void master_listener_close(struct master_listener *l, bool unlink_socket);

/* True when a and b are the same socket: same type and address and port,
 * or the same path. */
bool master_listener_same_socket(const struct master_listener *a,
				 const struct master_listener *b);

/* The LOFT_LISTENERS value for listeners that will be dup2()ed to
 * first_fd, first_fd+1, ... in order: "name:fd[:ssl][:haproxy]" entries
 * separated by one space, e.g. "pop3:3 pop3s:4:ssl". Names are unique: a
 * listener bound on several addresses keeps its name on the first and
 * gets "#2", "#3" ... appended on the others ("pop3:3 pop3#2:4").
 * Allocated from pool. */
const char *master_listeners_env(pool_t pool,
				 struct master_listener *const *listeners,
				 unsigned int count, int first_fd);

#endif
