/* db-common.h - helpers shared by the passdb/userdb drivers: reading a
 * driver's settings in both configuration generations (2.3 "args" string
 * of space-separated key=value words and a path; 2.4 typed
 * driver_settings "key=value"). */
#ifndef LOFT_DB_COMMON_H
#define LOFT_DB_COMMON_H

#include "lib.h"
#include "pool.h"
#include "settings.h"

/* Parsed driver arguments: key=value pairs and bare words, in order. */
struct db_args {
	const char *const *keys;   /* NULL-terminated */
	const char *const *values; /* NULL for a bare word */
	unsigned int count;
};

/* Merges the 2.3 args string and the 2.4 driver_settings into one list
 * (pool). A bare word in args (no '=') is kept with a NULL value. */
void db_args_parse(pool_t pool, const struct auth_db_settings *set,
		   struct db_args *args_r);
/* Value of key, or NULL. */
const char *db_args_get(const struct db_args *args, const char *key);
/* The last bare word (a path in 2.3 args), or NULL. */
const char *db_args_get_bare(const struct db_args *args);
/* Boolean: "yes", "y", "1", "true" or a bare word equal to key. */
bool db_args_get_bool(const struct db_args *args, const char *key);

#endif
