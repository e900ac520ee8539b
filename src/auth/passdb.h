/* passdb.h - the password database driver interface.
 *
 * Each driver (db/passdb-*.c) exports one struct passdb_module_interface.
 * An instance is created per configured passdb from its
 * struct auth_db_settings. lookup() finds the user, sets extra fields on
 * the request with auth_request_set_passdb_field() and hands the stored
 * password (e.g. "{SHA512-CRYPT}$6$...", or NULL when the entry has none)
 * to the callback; the chain in auth-request.c verifies it. A driver that
 * checks passwords itself (PAM, later) sets verify_plain instead. */
#ifndef LOFT_PASSDB_H
#define LOFT_PASSDB_H

#include "auth-request.h"
#include "settings.h"

/* result OK: password is the stored password (may be NULL: no password,
 * which only the "nopassword" field accepts). */
typedef void passdb_lookup_callback_t(struct auth_request *request,
				      enum passdb_result result,
				      const char *password);
typedef void passdb_verify_callback_t(struct auth_request *request,
				      enum passdb_result result);

struct passdb_module_interface {
	const char *name;
	/* Creates the instance. Returns 0, or -1 with *error_r for a bad
	 * configuration. */
	int (*init)(pool_t pool, const struct auth_db_settings *set,
		    const char *default_scheme, struct passdb_module **module_r,
		    const char **error_r);
	void (*deinit)(struct passdb_module *module);
	void (*lookup)(struct passdb_module *module,
		       struct auth_request *request,
		       passdb_lookup_callback_t *callback);
	/* Optional. */
	void (*verify_plain)(struct passdb_module *module,
			     struct auth_request *request, const char *password,
			     passdb_verify_callback_t *callback);
};

/* Common part of every instance (drivers embed it first). */
struct passdb_module {
	const struct passdb_module_interface *iface;
	const struct auth_db_settings *set;
	/* Scheme of stored passwords without a {SCHEME} prefix. */
	const char *default_scheme;
	/* A hash of a random password in default_scheme, verified for
	 * unknown users so that they take as long as known ones. */
	const char *dummy_hash;
};

extern const struct passdb_module_interface passdb_passwd_file;
extern const struct passdb_module_interface passdb_static;
extern const struct passdb_module_interface passdb_passwd;
extern const struct passdb_module_interface passdb_shadow;
extern const struct passdb_module_interface passdb_pam;

const struct passdb_module_interface *passdb_interface_find(const char *driver);

#endif
