/* userdb-static.c - the static userdb: the same fields for every user
 * (args uid=vmail gid=vmail home=/var/vmail/%d/%n ...). Unless
 * allow_all_users=yes, a lookup that is not part of a successful
 * authentication first asks the passdbs whether the user exists. */
#include "lib.h"
#include "pool.h"
#include "auth.h"
#include "userdb.h"
#include "db-common.h"

struct static_userdb {
	struct userdb_module module;
	struct db_args args;
	bool allow_all_users;
};

static int static_userdb_init(pool_t pool, const struct auth_db_settings *set,
			      struct userdb_module **module_r,
			      const char **error_r)
{
	struct static_userdb *u = p_new(pool, struct static_userdb, 1);

	db_args_parse(pool, set, &u->args);
	u->allow_all_users = db_args_get_bool(&u->args, "allow_all_users");
	*module_r = &u->module;
	return 0;
}

static bool static_userdb_set_fields(struct static_userdb *u,
				     struct auth_request *request)
{
	const char *value, *error;

	for (unsigned int i = 0; i < u->args.count; i++) {
		const char *key = u->args.keys[i];

		if (u->args.values[i] == NULL ||
		    strcmp(key, "allow_all_users") == 0)
			continue;
		value =
		    auth_request_var_expand(request, u->args.values[i], &error);
		if (value == NULL) {
			auth_request_log_error(request, "static",
					       "Failed to expand %s: %s", key,
					       error);
			return false;
		}
		auth_request_set_userdb_field(request, key, value);
	}
	return true;
}

struct static_lookup_ctx {
	struct static_userdb *u;
	userdb_callback_t *callback;
	auth_request_lookup_callback_t *saved_callback;
};

static void static_userdb_finish(struct static_userdb *u,
				 struct auth_request *request,
				 userdb_callback_t *callback)
{
	if (!static_userdb_set_fields(u, request)) {
		callback(request, USERDB_RESULT_INTERNAL_FAILURE);
		return;
	}
	callback(request, USERDB_RESULT_OK);
}

static void static_userdb_exists_callback(struct auth_request *request,
					  enum auth_lookup_result result)
{
	struct static_lookup_ctx *ctx = request->db_context;

	request->db_context = NULL;
	request->lookup_callback = ctx->saved_callback;
	switch (result) {
	case AUTH_LOOKUP_OK:
		static_userdb_finish(ctx->u, request, ctx->callback);
		break;
	case AUTH_LOOKUP_NOTFOUND:
		ctx->callback(request, USERDB_RESULT_USER_UNKNOWN);
		break;
	case AUTH_LOOKUP_INTERNAL_FAIL:
		ctx->callback(request, USERDB_RESULT_INTERNAL_FAILURE);
		break;
	}
}

static void static_userdb_lookup(struct userdb_module *module,
				 struct auth_request *request,
				 userdb_callback_t *callback)
{
	struct static_userdb *u = (struct static_userdb *)module;
	struct static_lookup_ctx *ctx;

	if (u->allow_all_users || request->passdb_success ||
	    request->auth->passdbs.count == 0) {
		static_userdb_finish(u, request, callback);
		return;
	}
	/* Not part of a login: ask the passdbs whether the user exists. */
	ctx = p_new(request->pool, struct static_lookup_ctx, 1);
	ctx->u = u;
	ctx->callback = callback;
	ctx->saved_callback = request->lookup_callback;
	request->db_context = ctx;
	auth_request_lookup_passdb(request, static_userdb_exists_callback);
}

const struct userdb_module_interface userdb_static = {
    .name = "static",
    .init = static_userdb_init,
    .lookup = static_userdb_lookup,
};
