/* service-env.c - a service process's start: environment, config, logging.
 *
 * Reads what the master passes (LOFT_CONFIG, LOFT_LISTENERS,
 * LOFT_SERVICE) or "-c FILE" from argv, loads the config with the
 * service's protocol filter, sets the log prefix and targets, and ignores
 * SIGPIPE. It does not open sockets nor drop privileges. */
#include "lib.h"
#include "str.h"
#include "log.h"
#include "ioloop.h"
#include "config.h"
#include "service-env.h"

#include <fcntl.h>
#include <signal.h>

#define SERVICE_MAX_LISTENERS 64

/* Parses one "name:fd[:ssl][:haproxy]" entry. */
static int parse_listener(pool_t pool, const char *entry,
			  struct service_listener *l_r, const char **error_r)
{
	char **parts = p_strsplit(pool, entry, ":");
	unsigned int fd;

	memset(l_r, 0, sizeof(*l_r));
	if (parts[0] == NULL || parts[0][0] == '\0' || parts[1] == NULL) {
		*error_r = p_strdup_printf(
		    pool, "Invalid listener '%s' (expected name:fd)", entry);
		return -1;
	}
	if (str_to_uint(parts[1], &fd) < 0 || fd < 3 || fd > 65535) {
		*error_r =
		    p_strdup_printf(pool, "Invalid listener fd in '%s'", entry);
		return -1;
	}
	if (fcntl((int)fd, F_GETFD) < 0) {
		*error_r = p_strdup_printf(
		    pool, "Listener '%s': fd %u is not open", entry, fd);
		return -1;
	}
	l_r->name = parts[0];
	l_r->fd = (int)fd;
	for (unsigned int i = 2; parts[i] != NULL; i++) {
		if (strcmp(parts[i], "ssl") == 0)
			l_r->ssl = true;
		else if (strcmp(parts[i], "haproxy") == 0)
			l_r->haproxy = true;
		else {
			*error_r = p_strdup_printf(
			    pool, "Invalid listener flag '%s' in '%s'",
			    parts[i], entry);
			return -1;
		}
	}
	return 0;
}

int service_env_parse_listeners(pool_t pool, const char *value,
				void *listeners_arr, const char **error_r)
{
	ARRAY(struct service_listener) *listeners = listeners_arr;
	char **entries = p_strsplit_spaces(pool, value, " ");

	for (unsigned int i = 0; entries[i] != NULL; i++) {
		struct service_listener l;

		if (i >= SERVICE_MAX_LISTENERS) {
			*error_r = "Too many listeners";
			return -1;
		}
		if (parse_listener(pool, entries[i], &l, error_r) < 0)
			return -1;
		for (unsigned int j = 0; j < listeners->count; j++) {
			if (strcmp(listeners->items[j].name, l.name) == 0 ||
			    listeners->items[j].fd == l.fd) {
				*error_r = p_strdup_printf(
				    pool, "Duplicate listener '%s'",
				    entries[i]);
				return -1;
			}
		}
		array_push(listeners, l);
	}
	return 0;
}

static const char *argv_config_path(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2] != '\0')
			return argv[i] + 2;
	}
	return NULL;
}

struct service_env *service_env_init(const char *service_name,
				     const char *protocol, int argc,
				     char **argv)
{
	struct config_filter filter = {.protocol = protocol};
	struct service_env *env;
	const char *path, *value, *error;
	struct loft_settings *set;
	pool_t pool;

	char *prefix = i_strdup_printf("%s: ", service_name);
	log_set_prefix(prefix); /* copies */
	i_free(prefix);
	signal_ignore(SIGPIPE);

	path = argv_config_path(argc, argv);
	if (path == NULL)
		path = getenv(SERVICE_ENV_CONFIG);
	if (path == NULL || path[0] == '\0')
		path = config_default_path();
	if (config_load(path, &filter, &set, &error) < 0)
		i_fatal("Error in configuration: %s", error);

	pool = set->pool;
	env = p_new(pool, struct service_env, 1);
	env->name = p_strdup(pool, service_name);
	env->protocol = p_strdup(pool, protocol);
	env->config_path = p_strdup(pool, path);
	env->set = set;
	array_init(&env->listeners, pool, 4);

	value = getenv(SERVICE_ENV_LISTENERS);
	if (value != NULL && service_env_parse_listeners(
				 pool, value, &env->listeners, &error) < 0)
		i_fatal("%s: %s", SERVICE_ENV_LISTENERS, error);

	if (set->log_timestamp[0] != '\0')
		log_set_timestamp_format(set->log_timestamp);
	if (log_set_targets(set->log_path, set->info_log_path,
			    set->debug_log_path, &error) < 0)
		i_fatal("Can't open log: %s", error);
	log_set_debug(set->mail_debug || set->auth_debug);
	return env;
}

const struct service_listener *
service_env_find_listener(const struct service_env *env, const char *name)
{
	for (unsigned int i = 0; i < env->listeners.count; i++) {
		if (strcmp(env->listeners.items[i].name, name) == 0)
			return &env->listeners.items[i];
	}
	return NULL;
}

const char *service_env_socket_path(const struct service_env *env,
				    const char *name)
{
	const char *base = env->set->base_dir;
	size_t len = strlen(base);

	if (name[0] == '/')
		return name;
	while (len > 1 && base[len - 1] == '/')
		len--;
	return p_strdup_printf(env->set->pool, "%.*s/%s", (int)len, base, name);
}
