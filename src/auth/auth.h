/* auth.h - the auth process's global state: settings, the configured
 * passdb and userdb instances in order, the enabled SASL mechanisms, and
 * the table of recent successful logins that auth-master REQUEST turns
 * into users.
 *
 * Not here: sockets and protocols (auth-*-connection.c), the main loop. */
#ifndef LOFT_AUTH_H
#define LOFT_AUTH_H

#include "lib.h"
#include "array.h"
#include "settings.h"
#include "passdb.h"
#include "userdb.h"

struct mech_module;
struct hash_table;
struct auth_cache;

#define AUTH_REQUEST_TIMEOUT_SECS 60
#define AUTH_USERNAME_MAX_LEN 255

struct auth {
	pool_t pool;
	const struct loft_settings *set;
	ARRAY(struct passdb_module *) passdbs;
	ARRAY(struct userdb_module *) userdbs;
	ARRAY(const struct mech_module *) mechs;
	/* "cpid/id" -> struct auth_success (REQUEST hand-off). */
	struct hash_table *successes;
	/* passdb/userdb lookup cache, NULL when auth_cache_size = 0 */
	struct auth_cache *cache;
	pid_t pid;
};

/* Creates the instances. Returns the auth, or NULL with *error_r when the
 * configuration names an unknown driver or mechanism or a driver refuses
 * its settings. */
struct auth *auth_init(const struct loft_settings *set, const char **error_r);
void auth_deinit(struct auth **auth);

/* Enabled mechanism by name (case-insensitive), or NULL. */
const struct mech_module *auth_find_mech(const struct auth *auth,
					 const char *name);
/* Whether auth_verbose applies (global or the db's own setting). */
bool auth_verbose_enabled(const struct auth *auth,
			  const struct auth_db_settings *db);

/* Remembers a successful login for REQUEST: key is the client pid and
 * auth id, cookie the connection's cookie; fields are the userdb fields
 * (copied). found=false records that the userdb did not know the user. */
void auth_success_add(struct auth *auth, pid_t client_pid, unsigned int id,
		      const char *cookie, const char *user, bool found,
		      bool internal_failure, const auth_fields_t *fields);
/* Takes (removes) a remembered login. Returns 1 with user and fields
 * (allocated from pool), 0 when not found, expired or the cookie differs,
 * -1 when the userdb lookup had failed internally. *found_r false =
 * the userdb did not know the user. */
int auth_success_take(struct auth *auth, pool_t pool, pid_t client_pid,
		      unsigned int id, const char *cookie, const char **user_r,
		      bool *found_r, const char *const **fields_r);
/* Drops remembered logins older than AUTH_REQUEST_TIMEOUT_SECS. */
void auth_success_expire(struct auth *auth);

#endif
