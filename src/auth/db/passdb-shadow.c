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
#include "pool.h"
#include "passdb.h"
#include "db-common.h"
#include "db-nss.h"

struct shadow_passdb {
	struct passdb_module module;
	unsigned int timeout_msecs;
};

struct shadow_lookup {
	passdb_lookup_callback_t *callback;
};

static int shadow_passdb_init(pool_t pool, const struct auth_db_settings *set,
			      const char *default_scheme,
			      struct passdb_module **module_r,
			      const char **error_r)
{
	struct shadow_passdb *p = p_new(pool, struct shadow_passdb, 1);
	struct db_args args;

	db_args_parse(pool, set, &args);
	if (db_lookup_timeout_parse(pool, &args, &p->timeout_msecs, error_r) <
	    0)
		return -1;
	p->module.default_scheme = p_strdup(pool, "CRYPT");
	*module_r = &p->module;
	return 0;
}

static void shadow_lookup_callback(struct auth_request *request, int ret,
				   const struct db_nss_entry *entry,
				   void *context)
{
	struct shadow_lookup *ctx = context;

	if (ret < 0) {
		ctx->callback(request, PASSDB_RESULT_INTERNAL_FAILURE, NULL);
		return;
	}
	if (ret == 0) {
		ctx->callback(request, PASSDB_RESULT_USER_UNKNOWN, NULL);
		return;
	}
	if (!db_nss_password_usable(entry->password)) {
		auth_request_log_info(request, "shadow",
				      "invalid password field");
		ctx->callback(request, PASSDB_RESULT_USER_DISABLED, NULL);
		return;
	}
	/* the user name exactly as the system spells it */
	auth_request_set_passdb_field(request, "user", entry->name);
	ctx->callback(
	    request, PASSDB_RESULT_OK,
	    p_strconcat(request->pool, "{CRYPT}", entry->password, NULL));
}

static void shadow_passdb_lookup(struct passdb_module *module,
				 struct auth_request *request,
				 passdb_lookup_callback_t *callback)
{
	struct shadow_passdb *p = (struct shadow_passdb *)module;
	struct shadow_lookup *ctx =
	    p_new(request->pool, struct shadow_lookup, 1);

	ctx->callback = callback;
	db_nss_lookup(request, "shadow", DB_NSS_SHADOW, p->timeout_msecs,
		      shadow_lookup_callback, ctx);
}

const struct passdb_module_interface passdb_shadow = {
    .name = "shadow",
    .init = shadow_passdb_init,
    .lookup = shadow_passdb_lookup,
};
