/* test-auth-common.h - builds an in-memory auth setup for the unit tests:
 * settings with one passwd-file passdb and userdb over a temporary file. */
#ifndef LOFT_TEST_AUTH_COMMON_H
#define LOFT_TEST_AUTH_COMMON_H

#include "lib.h"
#include "pool.h"
#include "array.h"
#include "settings.h"
#include "auth.h"

#define TEST_PASSWD_CONTENT                                                    \
	"# comment\n"                                                          \
	"\n"                                                                   \
	"alice:{PLAIN}secret:1000:1000::/home/"                                \
	"alice::userdb_quota_rule=*:storage=1G\n"                              \
	"bob:{SSHA}CiTsF79qYdI9HwwoZxUeHt+tpZvsmN0z:1001:1001::/home/bob\n"    \
	"carol:{SHA}E9oxvVU+dGVyeSr1xAkhL4yiLfU=\n"

static inline struct auth_db_settings *
test_db_settings(pool_t pool, const char *driver, const char *args, bool userdb)
{
	struct auth_db_settings *db = p_new(pool, struct auth_db_settings, 1);

	db->name = driver;
	db->driver = driver;
	db->args = args;
	db->userdb = userdb;
	db->result_success = DB_RESULT_RETURN_OK;
	db->result_failure = DB_RESULT_CONTINUE;
	db->result_internalfail = DB_RESULT_CONTINUE;
	array_init(&db->driver_settings, pool, 2);
	array_init(&db->default_fields, pool, 2);
	array_init(&db->override_fields, pool, 2);
	return db;
}

/* Writes the passwd file and returns settings using it (pool). The
 * default scheme is SSHA so that no slow scheme is involved. */
static inline struct loft_settings *test_auth_settings(pool_t pool,
						       const char *passwd_path)
{
	struct loft_settings *set = p_new(pool, struct loft_settings, 1);
	const char *args = p_strconcat(pool, "scheme=SSHA ", passwd_path, NULL);
	FILE *f = fopen(passwd_path, "w");

	if (f == NULL)
		abort();
	fputs(TEST_PASSWD_CONTENT, f);
	fclose(f);

	set->pool = pool;
	set->auth_mechanisms = "plain login apop";
	set->auth_username_format = "%Lu";
	set->auth_username_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
				   "RSTUVWXYZ01234567890.-_@";
	set->auth_failure_delay_msecs = 0;
	set->default_pass_scheme = "SSHA";
	array_init(&set->passdbs, pool, 2);
	array_init(&set->userdbs, pool, 2);
	array_push(&set->passdbs,
		   test_db_settings(pool, "passwd-file", args, false));
	array_push(&set->userdbs,
		   test_db_settings(pool, "passwd-file", args, true));
	return set;
}

#endif
