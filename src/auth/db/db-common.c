/* db-common.c - driver settings in both configuration generations. */
#include "lib.h"
#include "pool.h"
#include "array.h"
#include "db-common.h"

#include <strings.h>

void db_args_parse(pool_t pool, const struct auth_db_settings *set,
		   struct db_args *args_r)
{
	ARRAY(const char *) keys;
	ARRAY(const char *) values;

	array_init(&keys, pool, 8);
	array_init(&values, pool, 8);
	if (set->args != NULL) {
		char **words = p_strsplit_spaces(pool, set->args, " \t");

		for (unsigned int i = 0; words[i] != NULL; i++) {
			char *eq = strchr(words[i], '=');

			if (eq != NULL && words[i][0] != '/') {
				*eq = '\0';
				array_push(&keys, words[i]);
				array_push(&values, eq + 1);
			} else {
				array_push(&keys, words[i]);
				array_push(&values, NULL);
			}
		}
	}
	if (array_is_created(&set->driver_settings)) {
		for (unsigned int i = 0; i < set->driver_settings.count; i++) {
			const char *kv = set->driver_settings.items[i];
			const char *eq = strchr(kv, '=');

			if (eq == NULL) {
				array_push(&keys, kv);
				array_push(&values, "yes");
			} else {
				array_push(&keys, p_strndup(pool, kv, eq - kv));
				array_push(&values, eq + 1);
			}
		}
	}
	args_r->count = keys.count;
	array_push(&keys, NULL);
	array_push(&values, NULL);
	args_r->keys = keys.items;
	args_r->values = values.items;
}

const char *db_args_get(const struct db_args *args, const char *key)
{
	const char *value = NULL;

	/* the last one wins */
	for (unsigned int i = 0; i < args->count; i++) {
		if (args->values[i] != NULL && strcmp(args->keys[i], key) == 0)
			value = args->values[i];
	}
	return value;
}

const char *db_args_get_bare(const struct db_args *args)
{
	const char *value = NULL;

	for (unsigned int i = 0; i < args->count; i++) {
		if (args->values[i] == NULL)
			value = args->keys[i];
	}
	return value;
}

bool db_args_get_bool(const struct db_args *args, const char *key)
{
	const char *value = db_args_get(args, key);

	for (unsigned int i = 0; value == NULL && i < args->count; i++) {
		if (args->values[i] == NULL && strcmp(args->keys[i], key) == 0)
			return true;
	}
	return value != NULL &&
	       (strcasecmp(value, "yes") == 0 || strcasecmp(value, "y") == 0 ||
		strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0);
}
