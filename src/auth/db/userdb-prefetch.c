/* userdb-prefetch.c - the prefetch userdb: uses the userdb_* fields that
 * the passdb returned during authentication. Without them (a lookup
 * that did not authenticate) the user is unknown to it, and the next
 * userdb is tried. */
#include "lib.h"
#include "pool.h"
#include "userdb.h"

static int prefetch_userdb_init(pool_t pool, const struct auth_db_settings *set,
				struct userdb_module **module_r,
				const char **error_r)
{
	*module_r = p_new(pool, struct userdb_module, 1);
	return 0;
}

static void prefetch_userdb_lookup(struct userdb_module *module,
				   struct auth_request *request,
				   userdb_callback_t *callback)
{
	const auth_fields_t *fields = &request->userdb_prefetch;

	if (!request->passdb_success || fields->count == 0) {
		callback(request, USERDB_RESULT_USER_UNKNOWN);
		return;
	}
	for (unsigned int i = 0; i < fields->count; i++) {
		const char *f = fields->items[i], *eq = strchr(f, '=');

		auth_request_set_userdb_field(
		    request, p_strndup(request->pool, f, eq - f), eq + 1);
	}
	callback(request, USERDB_RESULT_OK);
}

const struct userdb_module_interface userdb_prefetch = {
    .name = "prefetch",
    .init = prefetch_userdb_init,
    .lookup = prefetch_userdb_lookup,
};
