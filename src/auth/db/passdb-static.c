/* passdb-static.c - the static passdb: every user has the same password
 * (args password=...), or any password is accepted (nopassword). */
#include "lib.h"
#include "pool.h"
#include "passdb.h"
#include "db-common.h"

struct static_passdb {
	struct passdb_module module;
	const char *password; /* template, may contain %-variables */
	bool nopassword;
};

static int static_passdb_init(pool_t pool, const struct auth_db_settings *set,
			      const char *default_scheme,
			      struct passdb_module **module_r,
			      const char **error_r)
{
	struct static_passdb *p = p_new(pool, struct static_passdb, 1);
	struct db_args args;

	db_args_parse(pool, set, &args);
	p->password = db_args_get(&args, "password");
	p->nopassword = db_args_get_bool(&args, "nopassword");
	if (p->password == NULL && !p->nopassword) {
		*error_r = "static: password=... or nopassword required";
		return -1;
	}
	p->module.default_scheme = p_strdup(pool, "PLAIN");
	*module_r = &p->module;
	return 0;
}

static void static_passdb_lookup(struct passdb_module *module,
				 struct auth_request *request,
				 passdb_lookup_callback_t *callback)
{
	struct static_passdb *p = (struct static_passdb *)module;
	const char *password = NULL, *error;

	if (p->nopassword) {
		auth_request_set_passdb_field(request, "nopassword", "yes");
	} else {
		password =
		    auth_request_var_expand(request, p->password, &error);
		if (password == NULL) {
			auth_request_log_error(request, "static",
					       "Failed to expand password: %s",
					       error);
			callback(request, PASSDB_RESULT_INTERNAL_FAILURE, NULL);
			return;
		}
	}
	callback(request, PASSDB_RESULT_OK, password);
}

const struct passdb_module_interface passdb_static = {
    .name = "static",
    .init = static_passdb_init,
    .lookup = static_passdb_lookup,
};
