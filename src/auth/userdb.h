/* userdb.h - the user database driver interface.
 *
 * Each driver (db/userdb-*.c) exports one struct userdb_module_interface.
 * lookup() sets the user's fields (uid, gid, home, mail, quota_rule, ...)
 * with auth_request_set_userdb_field() and reports the result. */
#ifndef LOFT_USERDB_H
#define LOFT_USERDB_H

#include "auth-request.h"
#include "settings.h"

typedef void userdb_callback_t(struct auth_request *request,
			       enum userdb_result result);
/* Called once per user name by iterate(); NULL user = end (failed tells
 * whether the listing was complete). */
typedef void userdb_iterate_callback_t(const char *user, bool failed,
				       void *context);

struct userdb_module_interface {
	const char *name;
	int (*init)(pool_t pool, const struct auth_db_settings *set,
		    struct userdb_module **module_r, const char **error_r);
	void (*deinit)(struct userdb_module *module);
	void (*lookup)(struct userdb_module *module,
		       struct auth_request *request,
		       userdb_callback_t *callback);
	/* Optional: lists all users (auth-master LIST). */
	void (*iterate)(struct userdb_module *module,
			userdb_iterate_callback_t *callback, void *context);
};

struct userdb_module {
	const struct userdb_module_interface *iface;
	const struct auth_db_settings *set;
};

extern const struct userdb_module_interface userdb_passwd_file;
extern const struct userdb_module_interface userdb_static;
extern const struct userdb_module_interface userdb_prefetch;
extern const struct userdb_module_interface userdb_passwd;

const struct userdb_module_interface *userdb_interface_find(const char *driver);

#endif
