/* userdb-passwd-file.c - the passwd-file userdb: uid, gid and home from
 * the standard fields, and userdb_* extra fields (prefix stripped). */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "userdb.h"
#include "db-common.h"
#include "db-passwd-file.h"

struct passwd_file_userdb {
	struct userdb_module module;
	struct passwd_file_db *db;
};

static int passwd_file_userdb_init(pool_t pool,
				   const struct auth_db_settings *set,
				   struct userdb_module **module_r,
				   const char **error_r)
{
	struct passwd_file_userdb *u =
	    p_new(pool, struct passwd_file_userdb, 1);
	struct db_args args;
	const char *path;

	db_args_parse(pool, set, &args);
	path = db_args_get(&args, "passwd_file_path");
	if (path == NULL)
		path = db_args_get_bare(&args);
	if (path == NULL || path[0] == '\0') {
		*error_r = "passwd-file: no file path given";
		return -1;
	}
	u->db =
	    passwd_file_db_init(path, db_args_get(&args, "username_format"));
	*module_r = &u->module;
	return 0;
}

static void passwd_file_userdb_deinit(struct userdb_module *module)
{
	struct passwd_file_userdb *u = (struct passwd_file_userdb *)module;

	passwd_file_db_deinit(&u->db);
}

static void passwd_file_userdb_lookup(struct userdb_module *module,
				      struct auth_request *request,
				      userdb_callback_t *callback)
{
	struct passwd_file_userdb *u = (struct passwd_file_userdb *)module;
	const struct passwd_user *pu;
	const char *key;
	int ret;

	ret = passwd_file_db_lookup(u->db, request, &pu);
	if (ret < 0) {
		callback(request, USERDB_RESULT_INTERNAL_FAILURE);
		return;
	}
	if (ret == 0) {
		callback(request, USERDB_RESULT_USER_UNKNOWN);
		return;
	}
	if (pu->uid != NULL)
		auth_request_set_userdb_field(request, "uid", pu->uid);
	if (pu->gid != NULL)
		auth_request_set_userdb_field(request, "gid", pu->gid);
	if (pu->home != NULL)
		auth_request_set_userdb_field(request, "home", pu->home);
	for (unsigned int i = 0; pu->extra_fields[i] != NULL; i++) {
		const char *f = pu->extra_fields[i];
		const char *eq = strchr(f, '=');

		if (!str_begins(f, "userdb_", &key) || key[0] == '=')
			continue;
		auth_request_set_userdb_field(
		    request, p_strndup(request->pool, key, eq - key), eq + 1);
	}
	callback(request, USERDB_RESULT_OK);
}

struct iterate_ctx {
	userdb_iterate_callback_t *callback;
	void *context;
};

static void passwd_file_iterate_user(const char *user, void *context)
{
	struct iterate_ctx *ctx = context;

	ctx->callback(user, false, ctx->context);
}

static void passwd_file_userdb_iterate(struct userdb_module *module,
				       userdb_iterate_callback_t *callback,
				       void *context)
{
	struct passwd_file_userdb *u = (struct passwd_file_userdb *)module;
	struct iterate_ctx ctx = {callback, context};
	int ret;

	ret = passwd_file_db_iterate(u->db, passwd_file_iterate_user, &ctx);
	callback(NULL, ret < 0, context);
}

const struct userdb_module_interface userdb_passwd_file = {
    .name = "passwd-file",
    .init = passwd_file_userdb_init,
    .deinit = passwd_file_userdb_deinit,
    .lookup = passwd_file_userdb_lookup,
    .iterate = passwd_file_userdb_iterate,
};
