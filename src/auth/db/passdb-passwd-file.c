/* passdb-passwd-file.c - the passwd-file passdb.
 * 2.3: args = [scheme=X] [username_format=%u] /path/%d/users
 * 2.4: passwd_file_path, passdb_default_password_scheme (driver settings).
 * Extra fields become passdb fields; userdb_* ones are prefetched for the
 * userdb. */
#include "lib.h"
#include "pool.h"
#include "passdb.h"
#include "db-common.h"
#include "db-passwd-file.h"

struct passwd_file_passdb {
	struct passdb_module module;
	struct passwd_file_db *db;
};

static int passwd_file_passdb_init(pool_t pool,
				   const struct auth_db_settings *set,
				   const char *default_scheme,
				   struct passdb_module **module_r,
				   const char **error_r)
{
	struct passwd_file_passdb *p =
	    p_new(pool, struct passwd_file_passdb, 1);
	struct db_args args;
	const char *path, *scheme;

	db_args_parse(pool, set, &args);
	path = db_args_get(&args, "passwd_file_path");
	if (path == NULL)
		path = db_args_get_bare(&args);
	if (path == NULL || path[0] == '\0') {
		*error_r = "passwd-file: no file path given";
		return -1;
	}
	scheme = db_args_get(&args, "scheme");
	if (scheme == NULL)
		scheme = db_args_get(&args, "passdb_default_password_scheme");
	if (scheme == NULL)
		scheme = db_args_get(&args, "default_password_scheme");
	/* Dovecot's passwd-file default is CRYPT. */
	p->module.default_scheme =
	    p_strdup(pool, scheme != NULL ? scheme : "CRYPT");
	p->db =
	    passwd_file_db_init(path, db_args_get(&args, "username_format"));
	*module_r = &p->module;
	return 0;
}

static void passwd_file_passdb_deinit(struct passdb_module *module)
{
	struct passwd_file_passdb *p = (struct passwd_file_passdb *)module;

	passwd_file_db_deinit(&p->db);
}

static void passwd_file_passdb_lookup(struct passdb_module *module,
				      struct auth_request *request,
				      passdb_lookup_callback_t *callback)
{
	struct passwd_file_passdb *p = (struct passwd_file_passdb *)module;
	const struct passwd_user *pu;
	int ret;

	ret = passwd_file_db_lookup(p->db, request, &pu);
	if (ret < 0) {
		callback(request, PASSDB_RESULT_INTERNAL_FAILURE, NULL);
		return;
	}
	if (ret == 0) {
		callback(request, PASSDB_RESULT_USER_UNKNOWN, NULL);
		return;
	}
	for (unsigned int i = 0; pu->extra_fields[i] != NULL; i++) {
		const char *f = pu->extra_fields[i];
		const char *eq = strchr(f, '=');

		auth_request_set_passdb_field(
		    request, p_strndup(request->pool, f, eq - f), eq + 1);
	}
	callback(request, PASSDB_RESULT_OK, pu->password);
}

const struct passdb_module_interface passdb_passwd_file = {
    .name = "passwd-file",
    .init = passwd_file_passdb_init,
    .deinit = passwd_file_passdb_deinit,
    .lookup = passwd_file_passdb_lookup,
};
