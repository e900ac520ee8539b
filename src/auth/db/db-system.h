/* db-system.h - the shared body of the passwd and shadow passdbs: a
 * system user's password field from NSS, verified by the chain as a
 * crypt(3) string. A locked or empty field refuses the user.
 *
 * Not here: the NSS lookup itself (db-nss.h). */
#ifndef LOFT_DB_SYSTEM_H
#define LOFT_DB_SYSTEM_H

#include "lib.h"
#include "passdb.h"
#include "db-nss.h"

/* Reads the driver settings ("lookup_timeout"; "blocking" is accepted
 * and ignored) and creates a module looking users up in the kind
 * database. driver names the log prefix. */
int db_system_passdb_init(pool_t pool, const struct auth_db_settings *set,
			  const char *driver, enum db_nss_kind kind,
			  struct passdb_module **module_r,
			  const char **error_r);

/* The lookup for a module made by db_system_passdb_init(). */
void db_system_passdb_lookup(struct passdb_module *module,
			     struct auth_request *request,
			     passdb_lookup_callback_t *callback);

#endif
