/* db-system.c - the shared body of the passwd and shadow passdbs. */
#include "lib.h"
#include "pool.h"
#include "passdb.h"
#include "db-common.h"
#include "db-nss.h"
#include "db-system.h"

struct system_passdb {
	struct passdb_module module;
	const char *driver;
	enum db_nss_kind kind;
	unsigned int timeout_msecs;
};

struct system_lookup {
	const char *driver;
	passdb_lookup_callback_t *callback;
};

int db_system_passdb_init(pool_t pool, const struct auth_db_settings *set,
			  const char *driver, enum db_nss_kind kind,
			  struct passdb_module **module_r, const char **error_r)
{
	struct system_passdb *p = p_new(pool, struct system_passdb, 1);
	struct db_args args;

	db_args_parse(pool, set, &args);
	if (db_lookup_timeout_parse(pool, &args, &p->timeout_msecs, error_r) <
	    0)
		return -1;
	p->driver = driver;
	p->kind = kind;
	p->module.default_scheme = p_strdup(pool, "CRYPT");
	*module_r = &p->module;
	return 0;
}

static void system_lookup_callback(struct auth_request *request, int ret,
				   const struct db_nss_entry *entry,
				   void *context)
{
	struct system_lookup *ctx = context;

	if (ret < 0) {
		ctx->callback(request, PASSDB_RESULT_INTERNAL_FAILURE, NULL);
		return;
	}
	if (ret == 0) {
		ctx->callback(request, PASSDB_RESULT_USER_UNKNOWN, NULL);
		return;
	}
	if (!db_nss_password_usable(entry->password)) {
		auth_request_log_info(request, ctx->driver,
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

void db_system_passdb_lookup(struct passdb_module *module,
			     struct auth_request *request,
			     passdb_lookup_callback_t *callback)
{
	struct system_passdb *p = (struct system_passdb *)module;
	struct system_lookup *ctx =
	    p_new(request->pool, struct system_lookup, 1);

	ctx->driver = p->driver;
	ctx->callback = callback;
	db_nss_lookup(request, p->driver, p->kind, p->timeout_msecs,
		      system_lookup_callback, ctx);
}
