/* passdb-shadow.c - the shadow passdb: the password hash of a system
 * user from getspnam_r() (/etc/shadow through NSS; reading it needs
 * root), verified by the chain as a crypt(3) string.
 * 2.3: args = [blocking=yes|no] [lookup_timeout=TIME]
 * 2.4: passdb shadow { lookup_timeout = TIME }
 * The lookup runs in the worker pool with a deadline (lookup_timeout,
 * a Loft setting; blocking= is accepted for Dovecot configs and has no
 * effect: lookups never block the ioloop). A locked or empty password
 * field ('!', '*', "") refuses the user; account expiry is left to PAM,
 * as in Dovecot. */
#include "lib.h"
#include "passdb.h"
#include "db-system.h"

static int shadow_passdb_init(pool_t pool, const struct auth_db_settings *set,
			      const char *default_scheme,
			      struct passdb_module **module_r,
			      const char **error_r)
{
	return db_system_passdb_init(pool, set, "shadow", DB_NSS_SHADOW,
				     module_r, error_r);
}

const struct passdb_module_interface passdb_shadow = {
    .name = "shadow",
    .init = shadow_passdb_init,
    .lookup = db_system_passdb_lookup,
};
