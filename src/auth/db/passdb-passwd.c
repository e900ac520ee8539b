/* passdb-passwd.c - the passwd passdb: the password field of a system
 * user from getpwnam_r() (NSS), verified by the chain as a crypt(3)
 * string. On systems with shadow passwords the field is "x" and nothing
 * matches it (use the shadow or pam passdb there); Dovecot keeps this
 * driver for NSS sources that do return hashes.
 * 2.3: args = [blocking=yes|no] [lookup_timeout=TIME]
 * 2.4: passdb passwd { lookup_timeout = TIME }
 * The lookup runs in the worker pool with a deadline; blocking= is
 * accepted and has no effect. A locked or empty field refuses the
 * user. */
#include "lib.h"
#include "passdb.h"
#include "db-system.h"

static int passwd_passdb_init(pool_t pool, const struct auth_db_settings *set,
			      const char *default_scheme,
			      struct passdb_module **module_r,
			      const char **error_r)
{
	return db_system_passdb_init(pool, set, "passwd", DB_NSS_PASSWD,
				     module_r, error_r);
}

const struct passdb_module_interface passdb_passwd = {
    .name = "passwd",
    .init = passwd_passdb_init,
    .lookup = db_system_passdb_lookup,
};
