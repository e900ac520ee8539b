/* config-private.h - shared between config.c and config-dump.c.
 *
 * Not for other modules: they use config.h and settings.h. */
#ifndef LOFT_CONFIG_PRIVATE_H
#define LOFT_CONFIG_PRIVATE_H

#include "config.h"
#include "config-parser.h"
#include "settings-registry.h"

/* Any ARRAY(const char *) has this layout. */
typedef ARRAY(const char *) string_array_t;
typedef ARRAY(struct service_settings *) service_array_t;
#define ARRAY_TYPE_STRINGS string_array_t
#define ARRAY_TYPE_SERVICES service_array_t

struct config_loaded {
	struct loft_settings set; /* first: config_free() gets &set */
	struct config_tree *tree;
	/* canonical value of each registry entry, after the filter */
	const char **values;
	/* the same before protocol blocks were applied */
	const char **global_values;
	/* protocol/local/remote sections in file order */
	ARRAY(const struct config_node *) filters;
	/* plugin {} and other free-form sections */
	ARRAY(const struct config_node *) free_sections;
};

/* Parses nothing: gives meaning to tree (allocated in tree->pool). */
int config_load_tree(struct config_tree *tree,
		     const struct config_filter *filter,
		     struct config_loaded **cl_r, const char **error_r);

/* Copies an error out of a pool about to be freed into a static buffer
 * (valid until the next failing config call). */
const char *config_error_copy(const char *error);
/* config_dump() of an already loaded config. */
void config_dump_loaded(struct config_loaded *cl, bool all, int as_v24,
			string_t *dest);
bool config_is_free_section(const char *type);
bool config_protocol_matches(const char *names, const char *protocol);
void config_default_services(pool_t pool, ARRAY_TYPE_SERVICES *services);
const char *config_result_name(enum db_result_action action);
const char *config_skip_name(enum db_skip skip);
void config_db_set_driver_setting(pool_t pool, struct auth_db_settings *db,
				  const char *key, const char *value);

/* "maildir:~/Maildir:INBOX=/x" -> "maildir", "~/Maildir", {"INBOX=/x"} */
void config_location_split(pool_t pool, const char *location,
			   const char **driver_r, const char **path_r,
			   const char *const **params_r);
/* 2.4 setting name for a mail_location parameter ("INBOX"), or NULL. */
const char *config_location_param_name24(const char *param);

#endif
