/* userdb-passwd.c - the passwd userdb: a system user's uid, gid and home
 * from getpwnam_r() (NSS), plus system_groups_user so that the mail
 * process gets the user's supplementary groups, as Dovecot does.
 * 2.3: args = [blocking=yes|no] [lookup_timeout=TIME]
 * 2.4: userdb passwd { lookup_timeout = TIME }
 * The lookup runs in the worker pool with a deadline. Whether a uid may
 * read mail at all (first_valid_uid, root) is the mail process's
 * decision, not this driver's. */
#include "lib.h"
#include "pool.h"
#include "userdb.h"
#include "db-common.h"
#include "db-nss.h"

struct passwd_userdb {
	struct userdb_module module;
	unsigned int timeout_msecs;
};

struct passwd_userdb_lookup {
	userdb_callback_t *callback;
};

static int passwd_userdb_init(pool_t pool, const struct auth_db_settings *set,
			      struct userdb_module **module_r,
			      const char **error_r)
{
	struct passwd_userdb *u = p_new(pool, struct passwd_userdb, 1);
	struct db_args args;

	db_args_parse(pool, set, &args);
	if (db_lookup_timeout_parse(pool, &args, &u->timeout_msecs, error_r) <
	    0)
		return -1;
	*module_r = &u->module;
	return 0;
}

static void passwd_userdb_callback(struct auth_request *request, int ret,
				   const struct db_nss_entry *entry,
				   void *context)
{
	struct passwd_userdb_lookup *ctx = context;
	char num[32];

	if (ret < 0) {
		ctx->callback(request, USERDB_RESULT_INTERNAL_FAILURE);
		return;
	}
	if (ret == 0) {
		ctx->callback(request, USERDB_RESULT_USER_UNKNOWN);
		return;
	}
	auth_request_set_userdb_field(request, "user", entry->name);
	snprintf(num, sizeof(num), "%lu", (unsigned long)entry->uid);
	auth_request_set_userdb_field(request, "uid", num);
	snprintf(num, sizeof(num), "%lu", (unsigned long)entry->gid);
	auth_request_set_userdb_field(request, "gid", num);
	if (entry->home != NULL && entry->home[0] != '\0')
		auth_request_set_userdb_field(request, "home", entry->home);
	auth_request_set_userdb_field(request, "system_groups_user",
				      entry->name);
	ctx->callback(request, USERDB_RESULT_OK);
}

static void passwd_userdb_lookup(struct userdb_module *module,
				 struct auth_request *request,
				 userdb_callback_t *callback)
{
	struct passwd_userdb *u = (struct passwd_userdb *)module;
	struct passwd_userdb_lookup *ctx =
	    p_new(request->pool, struct passwd_userdb_lookup, 1);

	ctx->callback = callback;
	db_nss_lookup(request, "passwd", DB_NSS_PASSWD, u->timeout_msecs,
		      passwd_userdb_callback, ctx);
}

const struct userdb_module_interface userdb_passwd = {
    .name = "passwd",
    .init = passwd_userdb_init,
    .lookup = passwd_userdb_lookup,
};
