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
#include "pool.h"
#include "passdb.h"
#include "db-common.h"
#include "db-nss.h"

struct passwd_passdb {
	struct passdb_module module;
	unsigned int timeout_msecs;
};

struct passwd_lookup {
	passdb_lookup_callback_t *callback;
};

static int passwd_passdb_init(pool_t pool, const struct auth_db_settings *set,
			      const char *default_scheme,
			      struct passdb_module **module_r,
			      const char **error_r)
{
	struct passwd_passdb *p = p_new(pool, struct passwd_passdb, 1);
	struct db_args args;

	db_args_parse(pool, set, &args);
	if (db_lookup_timeout_parse(pool, &args, &p->timeout_msecs, error_r) <
	    0)
		return -1;
	p->module.default_scheme = p_strdup(pool, "CRYPT");
	*module_r = &p->module;
	return 0;
}

static void passwd_lookup_callback(struct auth_request *request, int ret,
				   const struct db_nss_entry *entry,
				   void *context)
{
	struct passwd_lookup *ctx = context;

	if (ret < 0) {
		ctx->callback(request, PASSDB_RESULT_INTERNAL_FAILURE, NULL);
		return;
	}
	if (ret == 0) {
		ctx->callback(request, PASSDB_RESULT_USER_UNKNOWN, NULL);
		return;
	}
	if (!db_nss_password_usable(entry->password)) {
		auth_request_log_info(request, "passwd",
				      "invalid password field");
		ctx->callback(request, PASSDB_RESULT_USER_DISABLED, NULL);
		return;
	}
	auth_request_set_passdb_field(request, "user", entry->name);
	ctx->callback(
	    request, PASSDB_RESULT_OK,
	    p_strconcat(request->pool, "{CRYPT}", entry->password, NULL));
}

static void passwd_passdb_lookup(struct passdb_module *module,
				 struct auth_request *request,
				 passdb_lookup_callback_t *callback)
{
	struct passwd_passdb *p = (struct passwd_passdb *)module;
	struct passwd_lookup *ctx =
	    p_new(request->pool, struct passwd_lookup, 1);

	ctx->callback = callback;
	db_nss_lookup(request, "passwd", DB_NSS_PASSWD, p->timeout_msecs,
		      passwd_lookup_callback, ctx);
}

const struct passdb_module_interface passdb_passwd = {
    .name = "passwd",
    .init = passwd_passdb_init,
    .lookup = passwd_passdb_lookup,
};
