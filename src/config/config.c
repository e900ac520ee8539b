/* config.c - gives the parsed tree its meaning: settings and sections.
 *
 * Global `key = value` lines go through the settings registry; sections
 * (service, passdb, userdb, namespace, protocol, local, remote, plugin ...)
 * are handled here. Protocol blocks that match the caller's filter are
 * applied on top of the global settings; local/remote blocks are checked
 * and kept for config_dump() but not applied yet. Both syntax generations
 * land in the same struct loft_settings, which is what makes the dump
 * canonical. Printing lives in config-dump.c. */
#include "lib.h"
#include "str.h"
#include "config.h"
#include "config-private.h"
#include "loft-config.h"

#include <limits.h>
#include <pwd.h>
#include <strings.h>

/* Sections whose contents belong to plugins or features Loft does not
 * have: accepted with anything inside, kept for the dump. */
static const char *const free_sections[] = {
    "plugin",
    "dict",
    "dict_server",
    "dict_map",
    "metric",
    "event_exporter",
    "fts",
    "sieve_script",
    "quota",
    "quota_rule",
    "quota_warning",
    "acl",
    "mail_attribute",
    "ssl_client",
    "ssl_server",
    "auth_policy",
    "language",
    "imapc",
    "lua",
    "oauth2",
    "ldap",
    "sql_driver",
    "mysql",
    "pgsql",
    "sqlite",
    "cassandra",
    "http_client",
    "fs",
    "mail_lua",
    "welcome",
    "trash",
    "fts_solr",
    "fts_flatcurve",
    "mail_crypt",
    "mail_compress",
    "mail_log",
    "notify_status",
    "push_notification",
    "last_login",
    "replication",
    "doveadm",
    "director",
    "health_check",
    "auth_static",
    "mail_attachment",
    "imap_urlauth",
    NULL,
};

struct config_ctx {
	struct config_loaded *cl;
	pool_t pool;
	bool v24;
	const char *error;
	/* 2.4 mail_driver / mail_path pieces, combined at the end */
	const char *mail_driver, *mail_path;
	ARRAY(const char *) mail_params; /* "INBOX=..." */
	bool mail_pieces_set;
};

static int cfg_error(struct config_ctx *ctx, const struct config_node *node,
		     const char *fmt, ...) ATTR_FORMAT(3, 4);
static int cfg_error(struct config_ctx *ctx, const struct config_node *node,
		     const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	const char *reason = p_strdup_vprintf(ctx->pool, fmt, args);
	va_end(args);
	ctx->error = p_strdup_printf(ctx->pool, "%s:%u: %s", node->file,
				     node->line, reason);
	return -1;
}

bool config_is_free_section(const char *type)
{
	for (unsigned int i = 0; free_sections[i] != NULL; i++) {
		if (strcmp(free_sections[i], type) == 0)
			return true;
	}
	return false;
}

/* ---- mail_location <-> mail_driver / mail_path ---- */

static const struct {
	const char *param; /* in mail_location */
	const char *name24;
} location_params[] = {
    {"INBOX", "mail_inbox_path"},     {"INDEX", "mail_index_path"},
    {"CONTROL", "mail_control_path"}, {"LAYOUT", "mailbox_list_layout"},
    {"ALT", "mail_alt_path"},	      {"VOLATILEDIR", "mail_volatile_path"},
    {"UTF8", "mailbox_list_utf8"},
};

const char *config_location_param_name24(const char *param)
{
	for (unsigned int i = 0; i < N_ELEMENTS(location_params); i++) {
		if (strcasecmp(location_params[i].param, param) == 0)
			return location_params[i].name24;
	}
	return NULL;
}

static const char *location_param_for_name24(const char *name)
{
	for (unsigned int i = 0; i < N_ELEMENTS(location_params); i++) {
		if (strcmp(location_params[i].name24, name) == 0)
			return location_params[i].param;
	}
	return NULL;
}

void config_location_split(pool_t pool, const char *location,
			   const char **driver_r, const char **path_r,
			   const char *const **params_r)
{
	const char *colon = strchr(location, ':');
	char **parts;

	*driver_r = "";
	*path_r = "";
	*params_r = (const char *const *)p_new(pool, char *, 1);
	if (location[0] == '\0')
		return;
	if (colon == NULL) {
		*driver_r = p_strdup(pool, location);
		return;
	}
	*driver_r = p_strndup(pool, location, (size_t)(colon - location));
	parts = p_strsplit(pool, colon + 1, ":");
	*path_r = parts[0];
	*params_r = (const char *const *)(parts + 1);
}

static const char *location_join(pool_t pool, const char *driver,
				 const char *path, const char *const *params,
				 unsigned int count)
{
	string_t *str = str_new(pool, 128);

	if (driver[0] == '\0' && path[0] == '\0' && count == 0)
		return "";
	str_append(str, driver);
	if (path[0] != '\0' || count > 0) {
		str_append_c(str, ':');
		str_append(str, path);
	}
	for (unsigned int i = 0; i < count; i++) {
		str_append_c(str, ':');
		str_append(str, params[i]);
	}
	return str_c(str);
}

/* Handles a 2.4 mail_* location piece; returns 1 if it was one. */
static int location_piece(struct config_ctx *ctx, const char *key,
			  const char *value, const char **driver,
			  const char **path, void *params_arr)
{
	ARRAY_TYPE_STRINGS *params = params_arr;
	const char *param;

	if (strcmp(key, "mail_driver") == 0) {
		*driver = value;
		return 1;
	}
	if (strcmp(key, "mail_path") == 0) {
		*path = value;
		return 1;
	}
	param = location_param_for_name24(key);
	if (param == NULL)
		return 0;
	for (unsigned int i = 0; i < params->count; i++) {
		if (str_begins(params->items[i], param, NULL) &&
		    params->items[i][strlen(param)] == '=') {
			array_delete(params, i, 1);
			break;
		}
	}
	if (value[0] != '\0')
		array_push(params,
			   p_strconcat(ctx->pool, param, "=", value, NULL));
	return 1;
}

/* ---- global settings ---- */

/* Canonical value for a registry setting written as node. */
static int global_value(struct config_ctx *ctx, const struct config_node *node,
			const struct setting_def **def_r, const char **canon_r)
{
	const struct setting_def *def;
	const char *error;
	bool v24_name;

	def = settings_registry_find(node->key, &v24_name);
	if (def == NULL)
		return cfg_error(ctx, node, "Unknown setting: %s", node->key);
	if ((def->flags & SET_FLAG_FILE_PATH) != 0 &&
	    node->value_path == NULL &&
	    strstr(node->value, "-----BEGIN") != NULL) {
		return cfg_error(
		    ctx, node,
		    "%s: inline PEM data is not supported, use %s = </path",
		    node->key, def->name);
	}
	if (setting_canonicalize(def, node->key, node->value,
				 v24_name &&
				     (def->flags & SET_FLAG_INVERT_V24) != 0,
				 ctx->pool, canon_r, &error) < 0)
		return cfg_error(ctx, node, "%s", error);
	*def_r = def;
	return 0;
}

static int apply_global_key(struct config_ctx *ctx,
			    const struct config_node *node, const char **values,
			    bool store)
{
	const struct setting_def *def;
	const char *canon;
	int ret;

	if (strcmp(node->key, "dovecot_config_version") == 0) {
		if (!ctx->v24 ||
		    node != ctx->cl->tree->root->children.items[0] ||
		    node->parent != ctx->cl->tree->root)
			return cfg_error(
			    ctx, node,
			    "dovecot_config_version must be the first setting");
		ctx->cl->set.dovecot_config_version =
		    p_strdup(ctx->pool, node->value);
		return 0;
	}
	if (node->parent == ctx->cl->tree->root) {
		ret = location_piece(ctx, node->key, node->value,
				     &ctx->mail_driver, &ctx->mail_path,
				     &ctx->mail_params);
		if (ret > 0) {
			ctx->mail_pieces_set = true;
			return 0;
		}
	}
	if (global_value(ctx, node, &def, &canon) < 0)
		return -1;
	if (store) {
		unsigned int idx = (unsigned int)(def - settings_registry);
		values[idx] = canon;
		if (strcmp(def->name, "mail_location") == 0)
			ctx->mail_pieces_set = false;
	}
	return 0;
}

/* 2.4 boolean-list sections: `protocols { imap = yes pop3 = no }`. */
static int apply_list_section(struct config_ctx *ctx,
			      const struct config_node *sec,
			      const struct setting_def *def,
			      const char **values)
{
	unsigned int idx = (unsigned int)(def - settings_registry);
	const char *cur =
	    values[idx] != NULL ? values[idx] : def->default_value;
	ARRAY(const char *) words;
	char **parts = p_strsplit_spaces(ctx->pool, cur, " ");

	array_init(&words, ctx->pool, 8);
	for (unsigned int i = 0; parts[i] != NULL; i++)
		array_push(&words, (const char *)parts[i]);
	for (unsigned int i = 0; i < sec->children.count; i++) {
		const struct config_node *n = sec->children.items[i];
		bool enable;

		if (n->type != CONFIG_NODE_KEY)
			return cfg_error(ctx, n, "Unexpected section in %s { }",
					 sec->key);
		if (strcmp(n->key, "remove") == 0 ||
		    strcmp(n->key, "clear") == 0) {
			array_clear(&words);
			continue;
		}
		if (setting_parse_bool(n->value, &enable) < 0)
			return cfg_error(ctx, n,
					 "Invalid value for %s/%s: '%s' "
					 "(expected yes or no)",
					 sec->key, n->key, n->value);
		for (unsigned int j = 0; j < words.count; j++) {
			if (strcmp(words.items[j], n->key) == 0) {
				array_delete(&words, j, 1);
				break;
			}
		}
		if (enable)
			array_push(&words, n->key);
	}
	string_t *str = str_new(ctx->pool, 64);
	for (unsigned int i = 0; i < words.count; i++) {
		if (i > 0)
			str_append_c(str, ' ');
		str_append(str, words.items[i]);
	}
	values[idx] = str_c(str);
	return 0;
}

/* ---- services ---- */

static struct service_settings *service_new(pool_t pool, const char *name)
{
	struct service_settings *s = p_new(pool, struct service_settings, 1);

	s->name = p_strdup(pool, name);
	s->executable = "";
	s->user = "";
	array_init(&s->inet_listeners, pool, 2);
	array_init(&s->unix_listeners, pool, 2);
	array_init(&s->extra_settings, pool, 2);
	return s;
}

static void service_add_inet(pool_t pool, struct service_settings *s,
			     const char *name, unsigned int port, bool ssl)
{
	struct inet_listener_settings *l =
	    p_new(pool, struct inet_listener_settings, 1);

	l->name = p_strdup(pool, name);
	l->address = "";
	l->port = port;
	l->ssl = ssl;
	array_push(&s->inet_listeners, l);
}

static void service_add_unix(pool_t pool, struct service_settings *s,
			     const char *path, unsigned int mode)
{
	struct unix_listener_settings *l =
	    p_new(pool, struct unix_listener_settings, 1);

	l->path = p_strdup(pool, path);
	l->mode = mode;
	l->user = "";
	l->group = "";
	array_push(&s->unix_listeners, l);
}

void config_default_services(pool_t pool, ARRAY_TYPE_SERVICES *services)
{
	struct service_settings *s;

	array_init(services, pool, 8);
	s = service_new(pool, "auth");
	s->process_limit = 1;
	service_add_unix(pool, s, "auth-client", 0666);
	service_add_unix(pool, s, "auth-master", 0600);
	service_add_unix(pool, s, "auth-userdb", 0666);
	/* the login processes' auth socket, inside their chroot */
	service_add_unix(pool, s, "login/login", 0666);
	array_push(services, s);

	s = service_new(pool, "pop3-login");
	s->service_count = 1;
	service_add_inet(pool, s, "pop3", 110, false);
	service_add_inet(pool, s, "pop3s", 995, true);
	array_push(services, s);

	s = service_new(pool, "pop3");
	s->process_limit = 1024;
	s->service_count = 1;
	service_add_unix(pool, s, "login/pop3", 0666);
	array_push(services, s);

	s = service_new(pool, "imap-login");
	s->service_count = 1;
	service_add_inet(pool, s, "imap", 143, false);
	service_add_inet(pool, s, "imaps", 993, true);
	array_push(services, s);

	s = service_new(pool, "imap");
	s->process_limit = 1024;
	service_add_unix(pool, s, "login/imap", 0666);
	array_push(services, s);

	s = service_new(pool, "lmtp");
	service_add_unix(pool, s, "lmtp", 0666);
	array_push(services, s);
}

static const char *const service_extra_keys[] = {
    "group",
    "privileged_group",
    "extra_groups",
    "chroot",
    "drop_priv_before_exec",
    "idle_kill",
    "protocol",
    "type",
    "process_shutdown_filter",
    "login_dump_core",
    "idle_kill_interval",
    NULL,
};

static bool str_in(const char *const *list, const char *s)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, s) == 0)
			return true;
	}
	return false;
}

/* Replaces or adds "key=value" in an extras array. */
static void extra_set(pool_t pool, void *extras_arr, const char *key,
		      const char *value)
{
	ARRAY_TYPE_STRINGS *extras = extras_arr;
	size_t klen = strlen(key);
	const char *kv = p_strconcat(pool, key, "=", value, NULL);

	for (unsigned int i = 0; i < extras->count; i++) {
		if (strncmp(extras->items[i], key, klen) == 0 &&
		    extras->items[i][klen] == '=') {
			extras->items[i] = kv;
			return;
		}
	}
	array_push(extras, kv);
}

static int parse_uint_node(struct config_ctx *ctx, const struct config_node *n,
			   unsigned int *num_r)
{
	if (strcmp(n->value, "unlimited") == 0) {
		*num_r = 0;
		return 0;
	}
	if (str_to_uint(n->value, num_r) < 0)
		return cfg_error(
		    ctx, n, "Invalid value for %s: '%s' (expected a number)",
		    n->key, n->value);
	return 0;
}

static int parse_bool_node(struct config_ctx *ctx, const struct config_node *n,
			   bool *b_r)
{
	if (setting_parse_bool(n->value, b_r) < 0)
		return cfg_error(
		    ctx, n, "Invalid value for %s: '%s' (expected yes or no)",
		    n->key, n->value);
	return 0;
}

static int apply_inet_listener(struct config_ctx *ctx,
			       struct service_settings *s,
			       const struct config_node *sec)
{
	const char *name = sec->value == NULL ? "" : sec->value;
	struct inet_listener_settings *l = NULL;

	for (unsigned int i = 0; i < s->inet_listeners.count; i++) {
		if (strcmp(s->inet_listeners.items[i]->name, name) == 0)
			l = s->inet_listeners.items[i];
	}
	if (l == NULL) {
		service_add_inet(ctx->pool, s, name, 0, false);
		l = s->inet_listeners.items[s->inet_listeners.count - 1];
	}
	for (unsigned int i = 0; i < sec->children.count; i++) {
		const struct config_node *n = sec->children.items[i];
		bool ignored;

		if (n->type != CONFIG_NODE_KEY)
			return cfg_error(ctx, n, "Unknown section: %s", n->key);
		if (strcmp(n->key, "port") == 0) {
			if (parse_uint_node(ctx, n, &l->port) < 0)
				return -1;
			if (l->port > 65535)
				return cfg_error(ctx, n,
						 "Invalid value for port: '%s' "
						 "(expected 0-65535)",
						 n->value);
		} else if (strcmp(n->key, "address") == 0) {
			l->address = p_strdup(ctx->pool, n->value);
		} else if (strcmp(n->key, "ssl") == 0) {
			if (parse_bool_node(ctx, n, &l->ssl) < 0)
				return -1;
		} else if (strcmp(n->key, "haproxy") == 0) {
			if (parse_bool_node(ctx, n, &l->haproxy) < 0)
				return -1;
		} else if (strcmp(n->key, "reuse_port") == 0) {
			if (parse_bool_node(ctx, n, &ignored) < 0)
				return -1;
		} else if (strcmp(n->key, "type") == 0) {
			/* listener type (2.4): not used */
		} else {
			return cfg_error(ctx, n, "Unknown setting: %s", n->key);
		}
	}
	return 0;
}

static int apply_unix_listener(struct config_ctx *ctx,
			       struct service_settings *s,
			       const struct config_node *sec)
{
	const char *path = sec->value;
	struct unix_listener_settings *l = NULL;
	const struct config_node *pn = config_node_find_key(sec, "path");

	if (pn != NULL)
		path = pn->value;
	if (path == NULL || path[0] == '\0')
		return cfg_error(ctx, sec, "unix_listener requires a path");
	for (unsigned int i = 0; i < s->unix_listeners.count; i++) {
		if (strcmp(s->unix_listeners.items[i]->path, path) == 0)
			l = s->unix_listeners.items[i];
	}
	if (l == NULL) {
		service_add_unix(ctx->pool, s, path, 0600);
		l = s->unix_listeners.items[s->unix_listeners.count - 1];
	}
	for (unsigned int i = 0; i < sec->children.count; i++) {
		const struct config_node *n = sec->children.items[i];

		if (n->type != CONFIG_NODE_KEY)
			return cfg_error(ctx, n, "Unknown section: %s", n->key);
		if (strcmp(n->key, "mode") == 0) {
			char *end;
			errno = 0;
			unsigned long mode = strtoul(n->value, &end, 8);
			if (n->value[0] < '0' || n->value[0] > '7' ||
			    *end != '\0' || errno != 0 || mode > 07777)
				return cfg_error(
				    ctx, n,
				    "Invalid value for mode: '%s' (expected an "
				    "octal mode such as 0600)",
				    n->value);
			l->mode = (unsigned int)mode;
		} else if (strcmp(n->key, "user") == 0) {
			l->user = p_strdup(ctx->pool, n->value);
		} else if (strcmp(n->key, "group") == 0) {
			l->group = p_strdup(ctx->pool, n->value);
		} else if (strcmp(n->key, "path") == 0 ||
			   strcmp(n->key, "type") == 0) {
			/* path handled above; type (2.4) not used */
		} else {
			return cfg_error(ctx, n, "Unknown setting: %s", n->key);
		}
	}
	return 0;
}

static int apply_service(struct config_ctx *ctx, const struct config_node *sec)
{
	struct loft_settings *set = &ctx->cl->set;
	struct service_settings *s = NULL;

	if (sec->value == NULL)
		return cfg_error(ctx, sec, "service section requires a name");
	for (unsigned int i = 0; i < set->services.count; i++) {
		if (strcmp(set->services.items[i]->name, sec->value) == 0)
			s = set->services.items[i];
	}
	if (s == NULL) {
		s = service_new(ctx->pool, sec->value);
		array_push(&set->services, s);
	}
	for (unsigned int i = 0; i < sec->children.count; i++) {
		const struct config_node *n = sec->children.items[i];
		int ret = 0;

		if (n->type == CONFIG_NODE_SECTION) {
			if (strcmp(n->key, "inet_listener") == 0)
				ret = apply_inet_listener(ctx, s, n);
			else if (strcmp(n->key, "unix_listener") == 0)
				ret = apply_unix_listener(ctx, s, n);
			else if (strcmp(n->key, "fifo_listener") == 0)
				ret = 0; /* not used by Loft */
			else
				ret = cfg_error(ctx, n, "Unknown section: %s",
						n->key);
			if (ret < 0)
				return -1;
			continue;
		}
		if (strcmp(n->key, "executable") == 0) {
			s->executable = p_strdup(ctx->pool, n->value);
		} else if (strcmp(n->key, "user") == 0) {
			s->user = p_strdup(ctx->pool, n->value);
		} else if (strcmp(n->key, "process_limit") == 0) {
			ret = parse_uint_node(ctx, n, &s->process_limit);
		} else if (strcmp(n->key, "client_limit") == 0) {
			ret = parse_uint_node(ctx, n, &s->client_limit);
		} else if (strcmp(n->key, "service_count") == 0 ||
			   strcmp(n->key, "restart_request_count") == 0) {
			ret = parse_uint_node(ctx, n, &s->service_count);
		} else if (strcmp(n->key, "process_min_avail") == 0) {
			ret = parse_uint_node(ctx, n, &s->process_min_avail);
		} else if (strcmp(n->key, "vsz_limit") == 0) {
			uint64_t bytes = 0;
			if (strcmp(n->value, "unlimited") != 0 &&
			    setting_parse_size(n->value, &bytes) < 0)
				return cfg_error(
				    ctx, n,
				    "Invalid value for vsz_limit: '%s' "
				    "(expected a size such as '256 M')",
				    n->value);
			s->vsz_limit_mb = (unsigned int)MIN_OF(
			    bytes / (1024 * 1024), UINT_MAX);
		} else if (str_in(service_extra_keys, n->key)) {
			extra_set(ctx->pool, &s->extra_settings, n->key,
				  n->value);
		} else {
			ret = cfg_error(ctx, n, "Unknown setting: %s", n->key);
		}
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* ---- passdb / userdb ---- */

static const char *const result_names[] = {
    "return-ok",     "return-fail", "return", "continue-ok",
    "continue-fail", "continue",    NULL,
};
static const char *const skip_names[] = {
    "never", "authenticated", "unauthenticated", "found", "notfound", NULL,
};

const char *config_result_name(enum db_result_action action)
{
	return result_names[action];
}

const char *config_skip_name(enum db_skip skip)
{
	return skip_names[skip];
}

static int parse_word(struct config_ctx *ctx, const struct config_node *n,
		      const char *const *names, int *idx_r)
{
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], n->value) == 0) {
			*idx_r = i;
			return 0;
		}
	}
	string_t *exp = str_new(ctx->pool, 64);
	for (int i = 0; names[i] != NULL; i++) {
		if (i > 0)
			str_append(exp, ", ");
		str_append(exp, names[i]);
	}
	return cfg_error(ctx, n, "Invalid value for %s: '%s' (expected %s)",
			 n->key, n->value, str_c(exp));
}

/* Appends space-separated "k=v" words to a fields array. */
static void fields_add_words(pool_t pool, void *fields_arr, const char *value)
{
	ARRAY_TYPE_STRINGS *fields = fields_arr;
	char **words = p_strsplit_spaces(pool, value, " \t");

	for (unsigned int i = 0; words[i] != NULL; i++) {
		const char *w = words[i];
		if (strchr(w, '=') == NULL)
			w = p_strconcat(pool, w, "=yes", NULL);
		array_push(fields, w);
	}
}

void config_db_set_driver_setting(pool_t pool, struct auth_db_settings *db,
				  const char *key, const char *value)
{
	extra_set(pool, &db->driver_settings, key, value);
}

/* 2.3 args -> typed driver settings where Loft knows the driver. */
static void db_convert_args(pool_t pool, struct auth_db_settings *db)
{
	char **words;

	if (db->args == NULL || db->args[0] == '\0')
		return;
	if (strcmp(db->driver, "passwd-file") == 0) {
		words = p_strsplit_spaces(pool, db->args, " \t");
		for (unsigned int i = 0; words[i] != NULL; i++) {
			const char *w = words[i], *v;

			if (str_begins(w, "scheme=", &v))
				config_db_set_driver_setting(
				    pool, db, "passdb_default_password_scheme",
				    v);
			else if (strchr(w, '=') != NULL &&
				 words[i + 1] != NULL) {
				const char *eq = strchr(w, '=');
				config_db_set_driver_setting(
				    pool, db,
				    p_strndup(pool, w, (size_t)(eq - w)),
				    eq + 1);
			} else
				config_db_set_driver_setting(
				    pool, db, "passwd_file_path", w);
		}
	} else if (strcmp(db->driver, "static") == 0) {
		fields_add_words(pool, &db->override_fields, db->args);
	}
	/* other drivers keep args as written */
}

static int apply_db_fields(struct config_ctx *ctx, struct auth_db_settings *db,
			   const struct config_node *sec)
{
	for (unsigned int i = 0; i < sec->children.count; i++) {
		const struct config_node *n = sec->children.items[i];
		const char *colon;

		if (n->type != CONFIG_NODE_KEY)
			return cfg_error(ctx, n, "Unknown section: %s", n->key);
		colon = strchr(n->key, ':');
		if (colon != NULL && strcmp(colon, ":default") == 0) {
			array_push(
			    &db->default_fields,
			    p_strconcat(ctx->pool,
					p_strndup(ctx->pool, n->key,
						  (size_t)(colon - n->key)),
					"=", n->value, NULL));
		} else if (colon != NULL) {
			return cfg_error(ctx, n, "Unknown field modifier: %s",
					 n->key);
		} else {
			array_push(&db->override_fields,
				   p_strconcat(ctx->pool, n->key, "=", n->value,
					       NULL));
		}
	}
	return 0;
}

static int apply_db(struct config_ctx *ctx, const struct config_node *sec,
		    bool userdb)
{
	struct loft_settings *set = &ctx->cl->set;
	struct auth_db_settings *db =
	    p_new(ctx->pool, struct auth_db_settings, 1);
	int idx = 0, ret;

	db->userdb = userdb;
	db->name = sec->value;
	db->driver = NULL;
	array_init(&db->driver_settings, ctx->pool, 4);
	array_init(&db->default_fields, ctx->pool, 4);
	array_init(&db->override_fields, ctx->pool, 4);
	db->result_success = DB_RESULT_RETURN_OK;
	db->result_failure = DB_RESULT_CONTINUE;
	db->result_internalfail = DB_RESULT_CONTINUE;

	for (unsigned int i = 0; i < sec->children.count; i++) {
		const struct config_node *n = sec->children.items[i];
		const char *k = n->key;

		ret = 0;
		if (n->type == CONFIG_NODE_SECTION) {
			if (strcmp(k, "fields") == 0)
				ret = apply_db_fields(ctx, db, n);
			else
				ret =
				    cfg_error(ctx, n, "Unknown section: %s", k);
		} else if (strcmp(k, "driver") == 0) {
			db->driver = p_strdup(ctx->pool, n->value);
		} else if (strcmp(k, "name") == 0) {
			db->name = p_strdup(ctx->pool, n->value);
		} else if (strcmp(k, "args") == 0) {
			db->args = p_strdup(ctx->pool, n->value);
		} else if (strcmp(k, "default_fields") == 0) {
			fields_add_words(ctx->pool, &db->default_fields,
					 n->value);
		} else if (strcmp(k, "override_fields") == 0) {
			fields_add_words(ctx->pool, &db->override_fields,
					 n->value);
		} else if (strcmp(k, "deny") == 0) {
			ret = parse_bool_node(ctx, n, &db->deny);
		} else if (strcmp(k, "master") == 0) {
			ret = parse_bool_node(ctx, n, &db->master);
		} else if (strcmp(k, "pass") == 0) {
			ret = parse_bool_node(ctx, n, &db->pass);
		} else if (strcmp(k, "skip") == 0) {
			ret = parse_word(ctx, n, skip_names, &idx);
			db->skip = (enum db_skip)idx;
			/* found/notfound are the userdb's words */
			if (ret == 0 && idx != DB_SKIP_NEVER &&
			    (idx >= DB_SKIP_FOUND) != userdb) {
				ret =
				    cfg_error(ctx, n,
					      "Invalid value for skip: '%s' "
					      "(expected %s)",
					      n->value,
					      userdb ? "never, found, notfound"
						     : "never, authenticated, "
						       "unauthenticated");
			}
		} else if (strcmp(k, "mechanisms") == 0 ||
			   strcmp(k, "mechanisms_filter") == 0) {
			db->mechanisms = p_strdup(ctx->pool, n->value);
		} else if (strcmp(k, "username_filter") == 0) {
			db->username_filter = p_strdup(ctx->pool, n->value);
		} else if (strcmp(k, "result_success") == 0) {
			ret = parse_word(ctx, n, result_names, &idx);
			db->result_success = (enum db_result_action)idx;
		} else if (strcmp(k, "result_failure") == 0) {
			ret = parse_word(ctx, n, result_names, &idx);
			db->result_failure = (enum db_result_action)idx;
		} else if (strcmp(k, "result_internalfail") == 0) {
			ret = parse_word(ctx, n, result_names, &idx);
			db->result_internalfail = (enum db_result_action)idx;
		} else if (strcmp(k, "auth_verbose") == 0) {
			bool b;
			if (strcmp(n->value, "default") == 0)
				db->auth_verbose = NULL;
			else if ((ret = parse_bool_node(ctx, n, &b)) == 0)
				db->auth_verbose = b ? "yes" : "no";
		} else if (ctx->v24) {
			/* 2.4 typed driver settings */
			config_db_set_driver_setting(ctx->pool, db, k,
						     n->value);
		} else {
			ret = cfg_error(ctx, n, "Unknown setting: %s", k);
		}
		if (ret < 0)
			return -1;
	}
	if (db->driver == NULL || db->driver[0] == '\0') {
		if (db->name == NULL || !ctx->v24)
			return cfg_error(ctx, sec, "%s: driver not set",
					 userdb ? "userdb" : "passdb");
		db->driver = db->name;
	}
	if (db->name == NULL)
		db->name = db->driver;
	if (!ctx->v24)
		db_convert_args(ctx->pool, db);
	if (userdb)
		array_push(&set->userdbs, db);
	else
		array_push(&set->passdbs, db);
	return 0;
}

/* ---- namespaces ---- */

static const char *const mailbox_extra_keys[] = {
    "autoexpunge", "autoexpunge_max_mails", "comment", "driver", "quota_rule",
    NULL,
};
static const char *const namespace_extra_keys[] = {
    "ignore_on_failure", "disabled", "alias_for", "order", NULL,
};

static struct namespace_settings *namespace_get(struct config_ctx *ctx,
						const char *name)
{
	struct loft_settings *set = &ctx->cl->set;
	struct namespace_settings *ns;

	for (unsigned int i = 0; i < set->namespaces.count; i++) {
		if (strcmp(set->namespaces.items[i]->name, name) == 0)
			return set->namespaces.items[i];
	}
	ns = p_new(ctx->pool, struct namespace_settings, 1);
	ns->name = p_strdup(ctx->pool, name);
	ns->type = "private";
	ns->separator = "";
	ns->prefix = "";
	ns->location = "";
	ns->list = true;
	ns->subscriptions = true;
	array_init(&ns->mailboxes, ctx->pool, 4);
	array_init(&ns->extra_settings, ctx->pool, 2);
	array_push(&set->namespaces, ns);
	return ns;
}

static int apply_mailbox(struct config_ctx *ctx, struct namespace_settings *ns,
			 const struct config_node *sec)
{
	struct mailbox_settings *mb = NULL;

	if (sec->value == NULL)
		return cfg_error(ctx, sec, "mailbox section requires a name");
	for (unsigned int i = 0; i < ns->mailboxes.count; i++) {
		if (strcmp(ns->mailboxes.items[i]->name, sec->value) == 0)
			mb = ns->mailboxes.items[i];
	}
	if (mb == NULL) {
		mb = p_new(ctx->pool, struct mailbox_settings, 1);
		mb->name = p_strdup(ctx->pool, sec->value);
		mb->special_use = "";
		mb->autocreate = "no";
		array_init(&mb->extra_settings, ctx->pool, 2);
		array_push(&ns->mailboxes, mb);
	}
	for (unsigned int i = 0; i < sec->children.count; i++) {
		const struct config_node *n = sec->children.items[i];

		if (n->type != CONFIG_NODE_KEY)
			return cfg_error(ctx, n, "Unknown section: %s", n->key);
		if (strcmp(n->key, "special_use") == 0) {
			mb->special_use = p_strdup(ctx->pool, n->value);
		} else if (strcmp(n->key, "auto") == 0) {
			static const char *const autos[] = {"no", "create",
							    "subscribe", NULL};
			int idx = 0;
			if (parse_word(ctx, n, autos, &idx) < 0)
				return -1;
			mb->autocreate = autos[idx];
		} else if (str_in(mailbox_extra_keys, n->key)) {
			extra_set(ctx->pool, &mb->extra_settings, n->key,
				  n->value);
		} else {
			return cfg_error(ctx, n, "Unknown setting: %s", n->key);
		}
	}
	return 0;
}

static int apply_namespace(struct config_ctx *ctx,
			   const struct config_node *sec)
{
	const char *name = sec->value;
	struct namespace_settings *ns;
	const char *driver = NULL, *path = NULL;
	ARRAY(const char *) params;
	bool pieces = false;

	if (name == NULL) {
		const struct config_node *pn =
		    config_node_find_key(sec, "prefix");
		name = pn != NULL ? pn->value : "";
	}
	ns = namespace_get(ctx, name);
	array_init(&params, ctx->pool, 2);
	for (unsigned int i = 0; i < sec->children.count; i++) {
		const struct config_node *n = sec->children.items[i];
		const char *k = n->key;
		int ret = 0;

		if (n->type == CONFIG_NODE_SECTION) {
			if (strcmp(k, "mailbox") == 0)
				ret = apply_mailbox(ctx, ns, n);
			else
				ret =
				    cfg_error(ctx, n, "Unknown section: %s", k);
		} else if (strcmp(k, "type") == 0) {
			static const char *const types[] = {"private", "shared",
							    "public", NULL};
			int idx = 0;
			ret = parse_word(ctx, n, types, &idx);
			ns->type = types[idx < 0 ? 0 : idx];
		} else if (strcmp(k, "separator") == 0) {
			ns->separator = p_strdup(ctx->pool, n->value);
		} else if (strcmp(k, "prefix") == 0) {
			ns->prefix = p_strdup(ctx->pool, n->value);
		} else if (strcmp(k, "location") == 0) {
			ns->location = p_strdup(ctx->pool, n->value);
		} else if (strcmp(k, "inbox") == 0) {
			ret = parse_bool_node(ctx, n, &ns->inbox);
		} else if (strcmp(k, "hidden") == 0) {
			ret = parse_bool_node(ctx, n, &ns->hidden);
		} else if (strcmp(k, "subscriptions") == 0) {
			ret = parse_bool_node(ctx, n, &ns->subscriptions);
		} else if (strcmp(k, "list") == 0) {
			static const char *const lists[] = {"no", "yes",
							    "children", NULL};
			int idx = 0;
			ret = parse_word(ctx, n, lists, &idx);
			ns->list = idx != 0;
			if (idx == 2)
				extra_set(ctx->pool, &ns->extra_settings,
					  "list", "children");
		} else if (location_piece(ctx, k, n->value, &driver, &path,
					  &params) > 0) {
			pieces = true;
		} else if (str_in(namespace_extra_keys, k)) {
			extra_set(ctx->pool, &ns->extra_settings, k, n->value);
		} else {
			ret = cfg_error(ctx, n, "Unknown setting: %s", k);
		}
		if (ret < 0)
			return -1;
	}
	if (pieces) {
		const char *odriver, *opath;
		const char *const *oparams;

		config_location_split(ctx->pool, ns->location, &odriver, &opath,
				      &oparams);
		ns->location = location_join(
		    ctx->pool, driver != NULL ? driver : odriver,
		    path != NULL ? path : opath, params.items, params.count);
	}
	return 0;
}

/* ---- filters ---- */

bool config_protocol_matches(const char *names, const char *protocol)
{
	char words[256];
	bool matched = false;

	if (protocol == NULL || names == NULL)
		return false;
	for (const char *p = names; *p != '\0';) {
		size_t len = strcspn(p, " \t,");
		if (len > 0 && len < sizeof(words)) {
			memcpy(words, p, len);
			words[len] = '\0';
			if (words[0] == '!') {
				if (strcmp(words + 1, protocol) != 0)
					matched = true;
			} else if (strcmp(words, protocol) == 0) {
				matched = true;
			}
		}
		p += len;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
	}
	return matched;
}

/* Checks (store=false) or applies a filter block's contents. */
static int apply_filter_block(struct config_ctx *ctx,
			      const struct config_node *sec,
			      const char **values, bool store)
{
	for (unsigned int i = 0; i < sec->children.count; i++) {
		const struct config_node *n = sec->children.items[i];
		const struct setting_def *def;

		if (n->type == CONFIG_NODE_KEY) {
			const char *canon;
			if (global_value(ctx, n, &def, &canon) < 0)
				return -1;
			if (store)
				values[def - settings_registry] = canon;
			continue;
		}
		if (config_is_free_section(n->key))
			continue;
		if (strcmp(n->key, "protocol") == 0 ||
		    strcmp(n->key, "local") == 0 ||
		    strcmp(n->key, "remote") == 0 ||
		    strcmp(n->key, "local_name") == 0) {
			/* nested filters are checked, not applied */
			if (apply_filter_block(ctx, n, values, false) < 0)
				return -1;
			continue;
		}
		def = settings_registry_find(n->key, NULL);
		if (def != NULL && def->type == SET_LIST) {
			if (store &&
			    apply_list_section(ctx, n, def, values) < 0)
				return -1;
			continue;
		}
		if (strcmp(n->key, "passdb") == 0 ||
		    strcmp(n->key, "userdb") == 0 ||
		    strcmp(n->key, "namespace") == 0 ||
		    strcmp(n->key, "service") == 0) {
			/* accepted inside filters but not applied yet */
			continue;
		}
		return cfg_error(ctx, n, "Unknown section: %s", n->key);
	}
	return 0;
}

/* ---- the whole tree ---- */

static int apply_root(struct config_ctx *ctx, const char **values)
{
	const struct config_node *root = ctx->cl->tree->root;

	for (unsigned int i = 0; i < root->children.count; i++) {
		const struct config_node *n = root->children.items[i];
		const struct setting_def *def;
		int ret = 0;

		if (n->type == CONFIG_NODE_KEY) {
			ret = apply_global_key(ctx, n, values, true);
		} else if (strcmp(n->key, "service") == 0) {
			ret = apply_service(ctx, n);
		} else if (strcmp(n->key, "passdb") == 0) {
			ret = apply_db(ctx, n, false);
		} else if (strcmp(n->key, "userdb") == 0) {
			ret = apply_db(ctx, n, true);
		} else if (strcmp(n->key, "namespace") == 0) {
			ret = apply_namespace(ctx, n);
		} else if (strcmp(n->key, "protocol") == 0 ||
			   strcmp(n->key, "local") == 0 ||
			   strcmp(n->key, "remote") == 0 ||
			   strcmp(n->key, "local_name") == 0) {
			if (n->value == NULL)
				ret = cfg_error(ctx, n,
						"%s section requires a name",
						n->key);
			else
				ret = apply_filter_block(ctx, n, values, false);
			if (ret == 0)
				array_push(&ctx->cl->filters, n);
		} else if (config_is_free_section(n->key)) {
			array_push(&ctx->cl->free_sections, n);
		} else if ((def = settings_registry_find(n->key, NULL)) !=
			       NULL &&
			   def->type == SET_LIST) {
			ret = apply_list_section(ctx, n, def, values);
		} else {
			ret = cfg_error(ctx, n, "Unknown section: %s", n->key);
		}
		if (ret < 0)
			return -1;
	}
	return 0;
}

static void finish_mail_location(struct config_ctx *ctx, const char **values)
{
	unsigned int idx;
	const char *driver, *path;
	const char *const *params;

	if (!ctx->mail_pieces_set)
		return;
	const struct setting_def *def =
	    settings_registry_find("mail_location", NULL);
	idx = (unsigned int)(def - settings_registry);
	config_location_split(ctx->pool, values[idx] != NULL ? values[idx] : "",
			      &driver, &path, &params);
	values[idx] = location_join(
	    ctx->pool, ctx->mail_driver != NULL ? ctx->mail_driver : driver,
	    ctx->mail_path != NULL ? ctx->mail_path : path,
	    ctx->mail_params.items, ctx->mail_params.count);
}

static int validate(struct config_ctx *ctx)
{
	struct loft_settings *set = &ctx->cl->set;
	const char *path = ctx->cl->tree->path;

	if (set->ssl != SSL_MODE_NO) {
		if (set->ssl_cert_file[0] == '\0' &&
		    set->ssl == SSL_MODE_REQUIRED) {
			ctx->error = p_strdup_printf(
			    ctx->pool, "%s: ssl enabled, but ssl_cert not set",
			    path);
			return -1;
		}
		if (set->ssl_cert_file[0] != '\0' &&
		    set->ssl_key_file[0] == '\0') {
			ctx->error = p_strdup_printf(
			    ctx->pool, "%s: ssl enabled, but ssl_key not set",
			    path);
			return -1;
		}
	}
	if (set->last_valid_uid != 0 &&
	    set->first_valid_uid > set->last_valid_uid) {
		ctx->error = p_strdup_printf(
		    ctx->pool,
		    "%s: first_valid_uid (%u) is above last_valid_uid (%u)",
		    path, set->first_valid_uid, set->last_valid_uid);
		return -1;
	}
	for (unsigned int i = 0; i < set->services.count; i++) {
		const struct service_settings *s = set->services.items[i];
		for (unsigned int j = 0; j < s->inet_listeners.count; j++) {
			const struct inet_listener_settings *l =
			    s->inet_listeners.items[j];
			if (l->ssl && l->port != 0 && set->ssl == SSL_MODE_NO)
				continue; /* disabled at runtime, as Dovecot */
		}
	}
	return 0;
}

static void resolve_mail_uid(struct loft_settings *set)
{
	unsigned int uid;

	if (set->mail_uid[0] == '\0')
		return;
	if (str_to_uint(set->mail_uid, &uid) == 0) {
		set->mail_uid_num = uid;
		return;
	}
	struct passwd *pw = getpwnam(set->mail_uid);
	if (pw != NULL)
		set->mail_uid_num = (unsigned int)pw->pw_uid;
}

int config_load_tree(struct config_tree *tree,
		     const struct config_filter *filter,
		     struct config_loaded **cl_r, const char **error_r)
{
	struct config_ctx ctx;
	struct config_loaded *cl = p_new(tree->pool, struct config_loaded, 1);
	struct loft_settings *set = &cl->set;
	pool_t pool = tree->pool;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cl = cl;
	ctx.pool = pool;
	ctx.v24 = tree->v24;
	array_init(&ctx.mail_params, pool, 2);

	cl->tree = tree;
	cl->values = p_new(pool, const char *, settings_registry_count);
	cl->global_values = p_new(pool, const char *, settings_registry_count);
	array_init(&cl->filters, pool, 8);
	array_init(&cl->free_sections, pool, 8);
	set->pool = pool;
	set->config_path = tree->path;
	set->config_v24 = tree->v24;
	set->dovecot_config_version = "";
	array_init(&set->passdbs, pool, 4);
	array_init(&set->userdbs, pool, 4);
	array_init(&set->namespaces, pool, 4);
	config_default_services(pool, (void *)&set->services);

	if (apply_root(&ctx, cl->values) < 0) {
		*error_r = ctx.error;
		return -1;
	}
	finish_mail_location(&ctx, cl->values);
	memcpy(cl->global_values, cl->values,
	       sizeof(const char *) * settings_registry_count);
	if (filter != NULL && filter->protocol != NULL) {
		for (unsigned int i = 0; i < cl->filters.count; i++) {
			const struct config_node *f = cl->filters.items[i];
			if (strcmp(f->key, "protocol") == 0 &&
			    config_protocol_matches(f->value,
						    filter->protocol) &&
			    apply_filter_block(&ctx, f, cl->values, true) < 0) {
				*error_r = ctx.error;
				return -1;
			}
		}
	}
	for (unsigned int i = 0; i < settings_registry_count; i++) {
		const struct setting_def *def = &settings_registry[i];
		if (cl->values[i] == NULL)
			cl->values[i] = def->default_value;
		if (cl->global_values[i] == NULL)
			cl->global_values[i] = def->default_value;
		setting_store(def, set, cl->values[i]);
	}
	resolve_mail_uid(set);
	if (validate(&ctx) < 0) {
		*error_r = ctx.error;
		return -1;
	}
	*cl_r = cl;
	return 0;
}

const char *config_error_copy(const char *error)
{
	static char errbuf[1024];

	snprintf(errbuf, sizeof(errbuf), "%s", error);
	return errbuf;
}

int config_load(const char *path, const struct config_filter *filter,
		struct loft_settings **set_r, const char **error_r)
{
	pool_t pool = pool_create("config", 16384);
	struct config_tree *tree;
	struct config_loaded *cl;
	const char *error;

	if (config_parse_file(pool, path, &tree, &error) < 0 ||
	    config_load_tree(tree, filter, &cl, &error) < 0) {
		*error_r = config_error_copy(error);
		pool_unref(&pool);
		return -1;
	}
	*set_r = &cl->set;
	return 0;
}

int config_load_buffer(const char *name, const void *data, size_t size,
		       const struct config_filter *filter,
		       struct loft_settings **set_r, const char **error_r)
{
	pool_t pool = pool_create("config", 16384);
	struct config_tree *tree;
	struct config_loaded *cl;
	const char *error;

	if (config_parse_buffer(pool, name, data, size, 0, &tree, &error) < 0 ||
	    config_load_tree(tree, filter, &cl, &error) < 0) {
		*error_r = config_error_copy(error);
		pool_unref(&pool);
		return -1;
	}
	*set_r = &cl->set;
	return 0;
}

void config_free(struct loft_settings **set)
{
	pool_t pool;

	if (*set == NULL)
		return;
	pool = (*set)->pool;
	*set = NULL;
	pool_unref(&pool);
}

const char *config_default_path(void)
{
	return LOFT_SYSCONFDIR "/loft.conf";
}
