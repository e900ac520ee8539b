/* service-env.h - what the master hands to every service process it starts.
 *
 * The master fork+execs each service binary with:
 *   LOFT_CONFIG     the config file path (already validated by the master)
 *   LOFT_LISTENERS  space-separated "name:fd[:ssl][:haproxy]" entries for the
 *                   inherited listening sockets, e.g.
 *                   "pop3:3 pop3s:4:ssl" or "auth-client:3 auth-master:4"
 *   LOFT_SERVICE    the service name ("pop3-login", "auth", ...)
 * and stderr connected to the master's log target. A service started by
 * hand without LOFT_LISTENERS creates its own UNIX listeners under
 * base_dir (used by unit tests); inet listeners exist only under the
 * master. */
#ifndef LOFT_SERVICE_ENV_H
#define LOFT_SERVICE_ENV_H

#include "settings.h"

#define SERVICE_ENV_CONFIG "LOFT_CONFIG"
#define SERVICE_ENV_LISTENERS "LOFT_LISTENERS"
#define SERVICE_ENV_SERVICE "LOFT_SERVICE"

struct service_listener {
	const char *name;
	int fd;
	bool ssl;
	bool haproxy;
};

struct service_env {
	const char *name;     /* service name */
	const char *protocol; /* protocol filter applied ("pop3") or NULL */
	const char *config_path;
	struct loft_settings *set;
	ARRAY(struct service_listener) listeners;
};

/* Called first in every service's main(): reads the environment (or
 * "-c FILE" in argv), loads the config with the protocol filter, sets the
 * log prefix "<name>: " and the log targets, ignores SIGPIPE. Exits with
 * a fatal log line when anything is wrong. The result lives until exit. */
struct service_env *service_env_init(const char *service_name,
				     const char *protocol, int argc,
				     char **argv);
/* Parses a LOFT_LISTENERS value into listeners (an
 * ARRAY(struct service_listener), initialised by the caller), validating
 * names, fd numbers (>= 3, open) and flags. Returns 0, or -1 with
 * *error_r (from pool). Used by service_env_init() and tests. */
int service_env_parse_listeners(pool_t pool, const char *value, void *listeners,
				const char **error_r);
/* Listener by name, or NULL. */
const struct service_listener *
service_env_find_listener(const struct service_env *env, const char *name);
/* Full path of a socket under base_dir, e.g. "auth-client" ->
 * "/run/loft/auth-client"; absolute names are returned as they are. */
const char *service_env_socket_path(const struct service_env *env,
				    const char *name);

#endif
