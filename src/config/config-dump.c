/* config-dump.c - prints the effective configuration (`loft -n`, `-a`).
 *
 * Output is canonical: it is printed from the loaded settings, not from
 * the text, with settings sorted by name and values in canonical form, so
 * the same setup written in 2.3 or in 2.4 syntax prints the same. The
 * generation printed is chosen by the caller. Secrets are not printed.
 * Free-form sections (plugin { } ...) and local/remote filters are printed
 * as written. */
#include "lib.h"
#include "str.h"
#include "config.h"
#include "config-private.h"
#include "loft-config.h"

#define NOT_USED_COMMENT " # not used by loft yet"

struct dump_ctx {
	pool_t pool;
	struct config_loaded *cl;
	bool all;
	bool v24;
	bool secrets; /* print secret values instead of "# hidden" */
	string_t *dest;
};

struct dump_line {
	const char *name;
	const char *text; /* the whole line without indent */
};

static bool value_needs_quotes(const char *value)
{
	size_t len = strlen(value);

	if (len == 0)
		return false;
	if (value[0] == ' ' || value[0] == '\t' || value[len - 1] == ' ' ||
	    value[len - 1] == '\t' || value[0] == '<' || value[0] == '\'')
		return true;
	if (strpbrk(value, "\"#{}$\n\r\t") != NULL || value[len - 1] == '\\')
		return true;
	return strstr(value, " =") != NULL;
}

static const char *fmt_value(pool_t pool, const char *value)
{
	string_t *str;

	if (!value_needs_quotes(value))
		return value;
	str = str_new(pool, strlen(value) + 8);
	str_append_c(str, '"');
	for (const char *p = value; *p != '\0'; p++) {
		switch (*p) {
		case '"':
		case '\\':
			str_append_c(str, '\\');
			str_append_c(str, *p);
			break;
		case '\n':
			str_append(str, "\\n");
			break;
		case '\r':
			str_append(str, "\\r");
			break;
		case '\t':
			str_append(str, "\\t");
			break;
		default:
			str_append_c(str, *p);
		}
	}
	str_append_c(str, '"');
	return str_c(str);
}

/* Section names: quoted when they hold spaces or syntax characters. */
static const char *fmt_name(pool_t pool, const char *name)
{
	if (name[0] != '\0' && strpbrk(name, " \t\"'#{}=\\") == NULL)
		return name;
	string_t *str = str_new(pool, strlen(name) + 8);
	str_append_c(str, '"');
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			str_append_c(str, '\\');
		str_append_c(str, *p);
	}
	str_append_c(str, '"');
	return str_c(str);
}

static void indent(struct dump_ctx *ctx, unsigned int level)
{
	for (unsigned int i = 0; i < level; i++)
		str_append(ctx->dest, "  ");
}

static void line_kv(struct dump_ctx *ctx, unsigned int level, const char *key,
		    const char *value)
{
	indent(ctx, level);
	str_printfa(ctx->dest, "%s = %s\n", key, fmt_value(ctx->pool, value));
}

static int dump_line_cmp(const void *a, const void *b)
{
	const struct dump_line *la = a, *lb = b;

	return strcmp(la->name, lb->name);
}

typedef ARRAY(struct dump_line) dump_lines_t;

static void lines_add(struct dump_ctx *ctx, dump_lines_t *lines,
		      const char *name, const char *text)
{
	struct dump_line *l = array_append_space(lines);

	l->name = name;
	l->text = text;
}

static void lines_print(struct dump_ctx *ctx, dump_lines_t *lines,
			unsigned int level)
{
	if (lines->count > 0)
		qsort(lines->items, lines->count, sizeof(*lines->items),
		      dump_line_cmp);
	for (unsigned int i = 0; i < lines->count; i++) {
		indent(ctx, level);
		str_append(ctx->dest, lines->items[i].text);
		str_append_c(ctx->dest, '\n');
	}
}

/* The text of one registry setting as printed, or NULL to skip it. */
static const char *setting_text(struct dump_ctx *ctx,
				const struct setting_def *def,
				const char *canon, const char **name_r)
{
	const char *name = setting_def_name(def, ctx->v24);
	const char *value = canon;
	const char *suffix =
	    (def->flags & SET_FLAG_IMPLEMENTED) != 0 ? "" : NOT_USED_COMMENT;

	*name_r = name;
	if (ctx->v24 && (def->flags & SET_FLAG_INVERT_V24) != 0 &&
	    def->name24 != NULL)
		value = strcmp(canon, "yes") == 0 ? "no" : "yes";
	if ((def->flags & SET_FLAG_SECRET) != 0 && value[0] != '\0' &&
	    !ctx->secrets)
		return p_strdup_printf(
		    ctx->pool, "%s = # hidden%s", name,
		    suffix[0] == '\0' ? "" : ", not used by loft yet");
	if (!ctx->v24 && (def->flags & SET_FLAG_FILE_PATH) != 0 &&
	    value[0] != '\0')
		return p_strdup_printf(ctx->pool, "%s = <%s%s", name, value,
				       suffix);
	return p_strdup_printf(ctx->pool, "%s = %s%s", name,
			       fmt_value(ctx->pool, value), suffix);
}

/* mail_location in 2.4 syntax: mail_driver, mail_path, mail_*_path. */
static void location_lines(struct dump_ctx *ctx, dump_lines_t *lines,
			   const char *location, const char *suffix)
{
	const char *driver, *path;
	const char *const *params;

	config_location_split(ctx->pool, location, &driver, &path, &params);
	lines_add(ctx, lines, "mail_driver",
		  p_strdup_printf(ctx->pool, "mail_driver = %s%s",
				  fmt_value(ctx->pool, driver), suffix));
	if (path[0] != '\0')
		lines_add(ctx, lines, "mail_path",
			  p_strdup_printf(ctx->pool, "mail_path = %s%s",
					  fmt_value(ctx->pool, path), suffix));
	for (unsigned int i = 0; params[i] != NULL; i++) {
		const char *eq = strchr(params[i], '=');
		const char *key = eq == NULL
				      ? params[i]
				      : p_strndup(ctx->pool, params[i],
						  (size_t)(eq - params[i]));
		const char *name = config_location_param_name24(key);

		if (name == NULL) {
			lines_add(ctx, lines, "~",
				  p_strdup_printf(ctx->pool,
						  "# mail_location parameter "
						  "%s has no 2.4 setting",
						  params[i]));
			continue;
		}
		lines_add(ctx, lines, name,
			  p_strdup_printf(
			      ctx->pool, "%s = %s%s", name,
			      fmt_value(ctx->pool, eq == NULL ? "yes" : eq + 1),
			      suffix));
	}
}

static void dump_globals(struct dump_ctx *ctx)
{
	dump_lines_t lines;

	array_init(&lines, ctx->pool, 64);
	for (unsigned int i = 0; i < settings_registry_count; i++) {
		const struct setting_def *def = &settings_registry[i];
		const char *canon = ctx->cl->global_values[i], *name, *text;

		if (strcmp(def->name, "dovecot_storage_version") == 0)
			continue;
		if (!ctx->all && strcmp(canon, def->default_value) == 0)
			continue;
		if (ctx->v24 && strcmp(def->name, "mail_location") == 0) {
			location_lines(ctx, &lines, canon, "");
			continue;
		}
		text = setting_text(ctx, def, canon, &name);
		if (!ctx->v24 && (def->flags & SET_FLAG_V24_ONLY) != 0)
			text =
			    p_strdup_printf(ctx->pool, "# 2.4 only: %s", text);
		lines_add(ctx, &lines, name, text);
	}
	lines_print(ctx, &lines, 0);
}

/* ---- sections ---- */

static void kv_add(struct dump_ctx *ctx, dump_lines_t *lines, const char *key,
		   const char *value, const char *suffix)
{
	lines_add(ctx, lines, key,
		  p_strdup_printf(ctx->pool, "%s = %s%s", key,
				  fmt_value(ctx->pool, value), suffix));
}

static void extras_add(struct dump_ctx *ctx, dump_lines_t *lines,
		       const string_array_t *extras)
{
	for (unsigned int i = 0; i < extras->count; i++) {
		const char *kv = extras->items[i], *eq = strchr(kv, '=');
		const char *key = p_strndup(ctx->pool, kv, (size_t)(eq - kv));

		kv_add(ctx, lines, key, eq + 1, NOT_USED_COMMENT);
	}
}

static void section_open(struct dump_ctx *ctx, unsigned int level,
			 const char *type, const char *name)
{
	indent(ctx, level);
	if (name == NULL)
		str_printfa(ctx->dest, "%s {\n", type);
	else
		str_printfa(ctx->dest, "%s %s {\n", type,
			    fmt_name(ctx->pool, name));
}

static void section_close(struct dump_ctx *ctx, unsigned int level)
{
	indent(ctx, level);
	str_append(ctx->dest, "}\n");
}

static void dump_namespaces(struct dump_ctx *ctx)
{
	const struct loft_settings *set = &ctx->cl->set;

	for (unsigned int i = 0; i < set->namespaces.count; i++) {
		const struct namespace_settings *ns = set->namespaces.items[i];
		dump_lines_t lines;

		array_init(&lines, ctx->pool, 8);
		if (ctx->all || ns->inbox)
			kv_add(ctx, &lines, "inbox", ns->inbox ? "yes" : "no",
			       "");
		if (ctx->all || ns->hidden)
			kv_add(ctx, &lines, "hidden", ns->hidden ? "yes" : "no",
			       "");
		if (ctx->all || !ns->list)
			kv_add(ctx, &lines, "list", ns->list ? "yes" : "no",
			       "");
		if (ctx->all || !ns->subscriptions)
			kv_add(ctx, &lines, "subscriptions",
			       ns->subscriptions ? "yes" : "no", "");
		if (ctx->all || strcmp(ns->type, "private") != 0)
			kv_add(ctx, &lines, "type", ns->type, "");
		if (ctx->all || ns->separator[0] != '\0')
			kv_add(ctx, &lines, "separator", ns->separator, "");
		if (ctx->all || ns->prefix[0] != '\0')
			kv_add(ctx, &lines, "prefix", ns->prefix, "");
		if (ns->location[0] != '\0' || ctx->all) {
			if (ctx->v24 && ns->location[0] != '\0')
				location_lines(ctx, &lines, ns->location, "");
			else
				kv_add(ctx, &lines, "location", ns->location,
				       "");
		}
		extras_add(ctx, &lines, (const void *)&ns->extra_settings);
		section_open(ctx, 0, "namespace", ns->name);
		lines_print(ctx, &lines, 1);
		for (unsigned int j = 0; j < ns->mailboxes.count; j++) {
			const struct mailbox_settings *mb =
			    ns->mailboxes.items[j];
			dump_lines_t mlines;

			array_init(&mlines, ctx->pool, 4);
			if (ctx->all || mb->special_use[0] != '\0')
				kv_add(ctx, &mlines, "special_use",
				       mb->special_use, "");
			if (ctx->all || strcmp(mb->autocreate, "no") != 0)
				kv_add(ctx, &mlines, "auto", mb->autocreate,
				       "");
			extras_add(ctx, &mlines,
				   (const void *)&mb->extra_settings);
			section_open(ctx, 1, "mailbox", mb->name);
			lines_print(ctx, &mlines, 2);
			section_close(ctx, 1);
		}
		section_close(ctx, 0);
	}
}

/* The value of a driver setting, or NULL. */
static const char *db_setting(const struct auth_db_settings *db,
			      const char *key)
{
	size_t klen = strlen(key);

	for (unsigned int i = 0; i < db->driver_settings.count; i++) {
		const char *kv = db->driver_settings.items[i];
		if (strncmp(kv, key, klen) == 0 && kv[klen] == '=')
			return kv + klen + 1;
	}
	return NULL;
}

static const char *fields_join(struct dump_ctx *ctx, const string_array_t *f)
{
	string_t *str = str_new(ctx->pool, 64);

	for (unsigned int i = 0; i < f->count; i++) {
		if (i > 0)
			str_append_c(str, ' ');
		str_append(str, f->items[i]);
	}
	return str_c(str);
}

/* 2.3 args rebuilt from the typed settings, for drivers Loft converts. */
static const char *db_args23(struct dump_ctx *ctx,
			     const struct auth_db_settings *db,
			     bool *converted_r)
{
	*converted_r = true;
	if (strcmp(db->driver, "passwd-file") == 0) {
		string_t *str = str_new(ctx->pool, 64);
		const char *path = db_setting(db, "passwd_file_path");

		for (unsigned int i = 0; i < db->driver_settings.count; i++) {
			const char *kv = db->driver_settings.items[i];
			const char *v;
			if (str_begins(kv, "passwd_file_path=", NULL))
				continue;
			if (str_len(str) > 0)
				str_append_c(str, ' ');
			if (str_begins(kv,
				       "passdb_default_password_scheme=", &v) ||
			    str_begins(kv, "default_password_scheme=", &v))
				str_printfa(str, "scheme=%s", v);
			else
				str_append(str, kv);
		}
		if (path != NULL) {
			if (str_len(str) > 0)
				str_append_c(str, ' ');
			str_append(str, path);
		}
		return str_c(str);
	}
	if (strcmp(db->driver, "static") == 0)
		return fields_join(ctx, (const void *)&db->override_fields);
	*converted_r = false;
	return db->args != NULL ? db->args : db_setting(db, "args");
}

static void dump_db(struct dump_ctx *ctx, const struct auth_db_settings *db)
{
	const char *type = db->userdb ? "userdb" : "passdb";
	dump_lines_t lines;
	bool converted;
	unsigned int level = 1;

	array_init(&lines, ctx->pool, 8);
	if (db->deny)
		kv_add(ctx, &lines, "deny", "yes", "");
	if (db->master)
		kv_add(ctx, &lines, "master", "yes", "");
	if (db->pass)
		kv_add(ctx, &lines, "pass", "yes", "");
	if (db->skip != DB_SKIP_NEVER || ctx->all)
		kv_add(ctx, &lines, "skip", config_skip_name(db->skip), "");
	if (db->mechanisms != NULL)
		kv_add(ctx, &lines,
		       ctx->v24 ? "mechanisms_filter" : "mechanisms",
		       db->mechanisms, "");
	if (db->username_filter != NULL)
		kv_add(ctx, &lines, "username_filter", db->username_filter, "");
	if (db->auth_verbose != NULL)
		kv_add(ctx, &lines, "auth_verbose", db->auth_verbose, "");
	if (db->result_success != DB_RESULT_RETURN_OK || ctx->all)
		kv_add(ctx, &lines, "result_success",
		       config_result_name(db->result_success), "");
	if (db->result_failure != DB_RESULT_CONTINUE || ctx->all)
		kv_add(ctx, &lines, "result_failure",
		       config_result_name(db->result_failure), "");
	if (db->result_internalfail != DB_RESULT_CONTINUE || ctx->all)
		kv_add(ctx, &lines, "result_internalfail",
		       config_result_name(db->result_internalfail), "");

	if (ctx->v24) {
		if (strcmp(db->driver, db->name) != 0)
			kv_add(ctx, &lines, "driver", db->driver, "");
		if (db->args != NULL && db->args[0] != '\0' &&
		    strcmp(db->driver, "passwd-file") != 0 &&
		    strcmp(db->driver, "static") != 0)
			kv_add(ctx, &lines, "args", db->args, "");
		for (unsigned int i = 0; i < db->driver_settings.count; i++) {
			const char *kv = db->driver_settings.items[i];
			const char *eq = strchr(kv, '=');
			kv_add(ctx, &lines,
			       p_strndup(ctx->pool, kv, (size_t)(eq - kv)),
			       eq + 1, "");
		}
		section_open(ctx, 0, type, db->name);
		lines_print(ctx, &lines, 1);
		if (db->default_fields.count > 0 ||
		    db->override_fields.count > 0) {
			dump_lines_t flines;

			array_init(&flines, ctx->pool, 8);
			for (unsigned int i = 0; i < db->override_fields.count;
			     i++) {
				const char *kv = db->override_fields.items[i];
				const char *eq = strchr(kv, '=');
				kv_add(
				    ctx, &flines,
				    p_strndup(ctx->pool, kv, (size_t)(eq - kv)),
				    eq + 1, "");
			}
			for (unsigned int i = 0; i < db->default_fields.count;
			     i++) {
				const char *kv = db->default_fields.items[i];
				const char *eq = strchr(kv, '=');
				kv_add(ctx, &flines,
				       p_strconcat(ctx->pool,
						   p_strndup(ctx->pool, kv,
							     (size_t)(eq - kv)),
						   ":default", NULL),
				       eq + 1, "");
			}
			section_open(ctx, level, "fields", NULL);
			lines_print(ctx, &flines, level + 1);
			section_close(ctx, level);
		}
		section_close(ctx, 0);
		return;
	}

	const char *args = db_args23(ctx, db, &converted);
	kv_add(ctx, &lines, "driver", db->driver, "");
	if (strcmp(db->name, db->driver) != 0)
		kv_add(ctx, &lines, "name", db->name, "");
	if (args != NULL && args[0] != '\0')
		kv_add(ctx, &lines, "args", args, "");
	if (!converted) {
		for (unsigned int i = 0; i < db->driver_settings.count; i++) {
			const char *kv = db->driver_settings.items[i];
			if (str_begins(kv, "args=", NULL))
				continue;
			lines_add(
			    ctx, &lines, kv,
			    p_strdup_printf(ctx->pool, "# 2.4 only: %s", kv));
		}
	}
	if (db->default_fields.count > 0)
		kv_add(ctx, &lines, "default_fields",
		       fields_join(ctx, (const void *)&db->default_fields), "");
	if (db->override_fields.count > 0 && strcmp(db->driver, "static") != 0)
		kv_add(ctx, &lines, "override_fields",
		       fields_join(ctx, (const void *)&db->override_fields),
		       "");
	section_open(ctx, 0, type, NULL);
	lines_print(ctx, &lines, 1);
	section_close(ctx, 0);
}

static void dump_dbs(struct dump_ctx *ctx)
{
	const struct loft_settings *set = &ctx->cl->set;

	for (unsigned int i = 0; i < set->passdbs.count; i++)
		dump_db(ctx, set->passdbs.items[i]);
	for (unsigned int i = 0; i < set->userdbs.count; i++)
		dump_db(ctx, set->userdbs.items[i]);
}

static const char *uint_str(struct dump_ctx *ctx, unsigned int n)
{
	return p_strdup_printf(ctx->pool, "%u", n);
}

static void dump_service(struct dump_ctx *ctx, const struct service_settings *s,
			 const struct service_settings *def)
{
	dump_lines_t lines;
	string_t *listeners = str_new(ctx->pool, 256);
	string_t *saved = ctx->dest;

	array_init(&lines, ctx->pool, 8);
#define SVC_STR(field, key)                                                    \
	if (ctx->all || strcmp(s->field, def == NULL ? "" : def->field) != 0)  \
	kv_add(ctx, &lines, key, s->field, "")
#define SVC_UINT(field, key)                                                   \
	if (ctx->all || s->field != (def == NULL ? 0 : def->field))            \
	kv_add(ctx, &lines, key, uint_str(ctx, s->field), "")
	SVC_STR(executable, "executable");
	SVC_STR(user, "user");
	SVC_UINT(process_limit, "process_limit");
	SVC_UINT(client_limit, "client_limit");
	SVC_UINT(service_count,
		 ctx->v24 ? "restart_request_count" : "service_count");
	SVC_UINT(process_min_avail, "process_min_avail");
	if (ctx->all ||
	    s->vsz_limit_mb != (def == NULL ? 0 : def->vsz_limit_mb))
		kv_add(ctx, &lines, "vsz_limit",
		       setting_format_size(
			   ctx->pool, (uint64_t)s->vsz_limit_mb * 1024 * 1024),
		       "");
	extras_add(ctx, &lines, (const void *)&s->extra_settings);

	ctx->dest = listeners;
	for (unsigned int i = 0; i < s->inet_listeners.count; i++) {
		const struct inet_listener_settings *l =
		    s->inet_listeners.items[i];
		const struct inet_listener_settings *dl = NULL;
		dump_lines_t ll;

		for (unsigned int j = 0;
		     def != NULL && j < def->inet_listeners.count; j++) {
			if (strcmp(def->inet_listeners.items[j]->name,
				   l->name) == 0)
				dl = def->inet_listeners.items[j];
		}
		array_init(&ll, ctx->pool, 4);
		if (ctx->all ||
		    strcmp(l->address, dl == NULL ? "" : dl->address) != 0)
			kv_add(ctx, &ll, "address", l->address, "");
		if (ctx->all || l->port != (dl == NULL ? 0 : dl->port))
			kv_add(ctx, &ll, "port", uint_str(ctx, l->port), "");
		if (ctx->all || l->ssl != (dl == NULL ? false : dl->ssl))
			kv_add(ctx, &ll, "ssl", l->ssl ? "yes" : "no", "");
		if (ctx->all ||
		    l->haproxy != (dl == NULL ? false : dl->haproxy))
			kv_add(ctx, &ll, "haproxy", l->haproxy ? "yes" : "no",
			       "");
		if (ll.count == 0 && !ctx->all)
			continue;
		section_open(ctx, 1, "inet_listener",
			     l->name[0] == '\0' ? NULL : l->name);
		lines_print(ctx, &ll, 2);
		section_close(ctx, 1);
	}
	for (unsigned int i = 0; i < s->unix_listeners.count; i++) {
		const struct unix_listener_settings *l =
		    s->unix_listeners.items[i];
		const struct unix_listener_settings *dl = NULL;
		dump_lines_t ll;

		for (unsigned int j = 0;
		     def != NULL && j < def->unix_listeners.count; j++) {
			if (strcmp(def->unix_listeners.items[j]->path,
				   l->path) == 0)
				dl = def->unix_listeners.items[j];
		}
		array_init(&ll, ctx->pool, 4);
		if (ctx->all || l->mode != (dl == NULL ? 0600 : dl->mode))
			kv_add(ctx, &ll, "mode",
			       p_strdup_printf(ctx->pool, "0%o", l->mode), "");
		if (ctx->all ||
		    strcmp(l->user, dl == NULL ? "" : dl->user) != 0)
			kv_add(ctx, &ll, "user", l->user, "");
		if (ctx->all ||
		    strcmp(l->group, dl == NULL ? "" : dl->group) != 0)
			kv_add(ctx, &ll, "group", l->group, "");
		if (ll.count == 0 && !ctx->all)
			continue;
		section_open(ctx, 1, "unix_listener", l->path);
		lines_print(ctx, &ll, 2);
		section_close(ctx, 1);
	}
	ctx->dest = saved;
	if (lines.count == 0 && str_len(listeners) == 0 && !ctx->all)
		return;
	section_open(ctx, 0, "service", s->name);
	lines_print(ctx, &lines, 1);
	str_append_str(ctx->dest, listeners);
	section_close(ctx, 0);
}

static void dump_services(struct dump_ctx *ctx)
{
	const struct loft_settings *set = &ctx->cl->set;
	service_array_t defaults;

	config_default_services(ctx->pool, &defaults);
	for (unsigned int i = 0; i < set->services.count; i++) {
		const struct service_settings *s = set->services.items[i];
		const struct service_settings *def = NULL;

		for (unsigned int j = 0; j < defaults.count; j++) {
			if (strcmp(defaults.items[j]->name, s->name) == 0)
				def = defaults.items[j];
		}
		dump_service(ctx, s, ctx->all ? NULL : def);
	}
}

/* A section as written (free-form sections, nested filters). */
static void dump_raw(struct dump_ctx *ctx, const struct config_node *sec,
		     unsigned int level)
{
	section_open(ctx, level, sec->key, sec->value);
	for (unsigned int i = 0; i < sec->children.count; i++) {
		const struct config_node *n = sec->children.items[i];

		if (n->type == CONFIG_NODE_SECTION)
			dump_raw(ctx, n, level + 1);
		else
			line_kv(ctx, level + 1, n->key, n->value);
	}
	section_close(ctx, level);
}

static bool section_is_empty(const struct config_node *sec)
{
	for (unsigned int i = 0; i < sec->children.count; i++) {
		const struct config_node *n = sec->children.items[i];
		if (n->type == CONFIG_NODE_KEY || !section_is_empty(n))
			return false;
	}
	return true;
}

/* Protocol/local/remote blocks merged by (type, name), settings canonical. */
static void dump_filters(struct dump_ctx *ctx)
{
	const struct config_loaded *cl = ctx->cl;
	ARRAY(const struct config_node *) done;

	array_init(&done, ctx->pool, 8);
	for (unsigned int i = 0; i < cl->filters.count; i++) {
		const struct config_node *f = cl->filters.items[i];
		bool seen = false;
		const char **vals;
		dump_lines_t lines;
		ARRAY(const struct config_node *) subs;

		for (unsigned int j = 0; j < done.count && !seen; j++) {
			seen = strcmp(done.items[j]->key, f->key) == 0 &&
			       strcmp(done.items[j]->value, f->value) == 0;
		}
		if (seen)
			continue;
		array_push(&done, f);
		vals = p_new(ctx->pool, const char *, settings_registry_count);
		array_init(&subs, ctx->pool, 4);
		for (unsigned int j = i; j < cl->filters.count; j++) {
			const struct config_node *g = cl->filters.items[j];
			if (strcmp(g->key, f->key) != 0 ||
			    strcmp(g->value, f->value) != 0)
				continue;
			for (unsigned int k = 0; k < g->children.count; k++) {
				const struct config_node *n =
				    g->children.items[k];
				const struct setting_def *def;
				bool v24_name;
				const char *canon, *error;

				if (n->type == CONFIG_NODE_SECTION) {
					if (!section_is_empty(n))
						array_push(&subs, n);
					continue;
				}
				def = settings_registry_find(n->key, &v24_name);
				if (def == NULL ||
				    setting_canonicalize(
					def, n->key, n->value,
					v24_name && (def->flags &
						     SET_FLAG_INVERT_V24) != 0,
					ctx->pool, &canon, &error) < 0)
					continue;
				vals[def - settings_registry] = canon;
			}
		}
		array_init(&lines, ctx->pool, 8);
		for (unsigned int k = 0; k < settings_registry_count; k++) {
			const char *name;
			if (vals[k] == NULL)
				continue;
			if (ctx->v24 && strcmp(settings_registry[k].name,
					       "mail_location") == 0) {
				location_lines(ctx, &lines, vals[k], "");
				continue;
			}
			const char *text = setting_text(
			    ctx, &settings_registry[k], vals[k], &name);
			lines_add(ctx, &lines, name, text);
		}
		if (lines.count == 0 && subs.count == 0)
			continue;
		section_open(ctx, 0, f->key, f->value);
		lines_print(ctx, &lines, 1);
		for (unsigned int k = 0; k < subs.count; k++)
			dump_raw(ctx, subs.items[k], 1);
		section_close(ctx, 0);
	}
}

static void dump_free_sections(struct dump_ctx *ctx)
{
	for (unsigned int i = 0; i < ctx->cl->free_sections.count; i++) {
		const struct config_node *sec = ctx->cl->free_sections.items[i];

		if (!section_is_empty(sec))
			dump_raw(ctx, sec, 0);
	}
}

static void dump_loaded(struct config_loaded *cl, bool all, int as_v24,
			bool secrets, string_t *dest)
{
	struct dump_ctx ctx = {
	    .pool = cl->set.pool,
	    .cl = cl,
	    .all = all,
	    .v24 = as_v24 != 0,
	    .secrets = secrets,
	    .dest = dest,
	};

	str_printfa(dest, "# Loft %s: %s\n", LOFT_VERSION, cl->set.config_path);
	if (ctx.v24) {
		const struct setting_def *sv =
		    settings_registry_find("dovecot_storage_version", NULL);
		const char *storage = cl->global_values[sv - settings_registry];
		str_append(dest, "dovecot_config_version = 2.4.0\n");
		str_printfa(dest, "dovecot_storage_version = %s\n",
			    storage[0] == '\0' ? "2.4.0" : storage);
	}
	dump_globals(&ctx);
	dump_namespaces(&ctx);
	dump_dbs(&ctx);
	dump_services(&ctx);
	dump_free_sections(&ctx);
	dump_filters(&ctx);
}

void config_dump_loaded(struct config_loaded *cl, bool all, int as_v24,
			string_t *dest)
{
	dump_loaded(cl, all, as_v24, false, dest);
}

int config_dump(const char *path, bool all_settings, int as_v24, string_t *dest,
		const char **error_r)
{
	pool_t pool = pool_create("config dump", 16384);
	struct config_tree *tree;
	struct config_loaded *cl;
	const char *error;

	if (config_parse_file(pool, path, &tree, &error) < 0 ||
	    config_load_tree(tree, NULL, &cl, &error) < 0) {
		*error_r = config_error_copy(error);
		pool_unref(&pool);
		return -1;
	}
	config_dump_loaded(cl, all_settings, as_v24, dest);
	pool_unref(&pool);
	return 0;
}

int config_dump_buffer(const char *name, const void *data, size_t size,
		       bool all_settings, int as_v24, string_t *dest,
		       const char **error_r)
{
	pool_t pool = pool_create("config dump", 16384);
	struct config_tree *tree;
	struct config_loaded *cl;
	const char *error;

	if (config_parse_buffer(pool, name, data, size, 0, &tree, &error) < 0 ||
	    config_load_tree(tree, NULL, &cl, &error) < 0) {
		*error_r = config_error_copy(error);
		pool_unref(&pool);
		return -1;
	}
	config_dump_loaded(cl, all_settings, as_v24, dest);
	pool_unref(&pool);
	return 0;
}

int config_dump_snapshot(const char *path, string_t *dest, const char **error_r)
{
	pool_t pool = pool_create("config snapshot", 16384);
	struct config_tree *tree;
	struct config_loaded *cl;
	const char *error;

	if (config_parse_file(pool, path, &tree, &error) < 0 ||
	    config_load_tree(tree, NULL, &cl, &error) < 0) {
		*error_r = config_error_copy(error);
		pool_unref(&pool);
		return -1;
	}
	dump_loaded(cl, false, cl->set.config_v24 ? 1 : 0, true, dest);
	pool_unref(&pool);
	return 0;
}
