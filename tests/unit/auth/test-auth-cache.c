/* test-auth-cache.c - the auth cache: the store (insert, lookup, LRU
 * bound, flush of all or one user, negative TTL 0) and, through the
 * auth-master and auth-client protocols in capture mode, that cache keys
 * hold every variable a lookup used (service in a passwd-file path), that
 * cached data is served until a flush, negative entries, and the retry
 * after a password change. */
#include "lib.h"

#include <setjmp.h>
#include <cmocka.h>
#include <time.h>

#include "pool.h"
#include "str.h"
#include "base64.h"
#include "auth.h"
#include "auth-cache.h"
#include "auth-client-connection.h"
#include "auth-master-connection.h"
#include "test-auth-common.h"

static char test_dir[] = "/tmp/loft-test-authcache-XXXXXX";

/* --- the store --- */

static void test_store_basic(void **state)
{
	struct auth_cache *cache = auth_cache_new(4096, 3600, 3600);
	struct auth_cache_stats stats;
	bool expired, last_success;
	const char *value;

	assert_null(
	    auth_cache_lookup(cache, "P0\talice", &expired, &last_success));
	auth_cache_insert(cache, "P0\talice", "alice", "1\t-\tpsecret", false);
	auth_cache_insert(cache, "P0\tnobody", "nobody", "-3\t-\t-", true);
	value = auth_cache_lookup(cache, "P0\talice", &expired, &last_success);
	assert_non_null(value);
	assert_string_equal(value, "1\t-\tpsecret");
	assert_false(expired);
	assert_false(last_success);
	auth_cache_set_last_success(cache, "P0\talice", true);
	(void)auth_cache_lookup(cache, "P0\talice", &expired, &last_success);
	assert_true(last_success);
	/* replacing keeps one entry */
	auth_cache_insert(cache, "P0\talice", "alice", "1\t-\tpother", false);
	value = auth_cache_lookup(cache, "P0\talice", &expired, &last_success);
	assert_string_equal(value, "1\t-\tpother");
	assert_false(last_success);

	auth_cache_get_stats(cache, &stats);
	assert_int_equal(stats.pos_entries, 1);
	assert_int_equal(stats.neg_entries, 1);
	assert_int_equal(stats.hits, 3);
	assert_int_equal(stats.misses, 1);
	assert_true(stats.used_size > 0 && stats.used_size <= 4096);
	auth_cache_free(&cache);
	assert_null(cache);
}

static void test_store_lru_bound(void **state)
{
	struct auth_cache *cache = auth_cache_new(1024, 3600, 3600);
	struct auth_cache_stats stats;
	bool expired, last_success;
	char key[32];

	for (unsigned int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "P0\tuser%u", i);
		auth_cache_insert(cache, key, key + 3, "1\t-\tpw", false);
		/* keep user0 recently used */
		assert_non_null(auth_cache_lookup(cache, "P0\tuser0", &expired,
						  &last_success));
	}
	auth_cache_get_stats(cache, &stats);
	assert_true(stats.used_size <= 1024);
	assert_true(stats.pos_entries < 100);
	assert_non_null(
	    auth_cache_lookup(cache, "P0\tuser0", &expired, &last_success));
	assert_non_null(
	    auth_cache_lookup(cache, "P0\tuser99", &expired, &last_success));
	assert_null(
	    auth_cache_lookup(cache, "P0\tuser1", &expired, &last_success));
	/* larger than the whole cache: not stored, nothing evicted */
	char big[2048];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	auth_cache_insert(cache, "P0\tbig", "big", big, false);
	assert_null(
	    auth_cache_lookup(cache, "P0\tbig", &expired, &last_success));
	assert_non_null(
	    auth_cache_lookup(cache, "P0\tuser99", &expired, &last_success));
	auth_cache_free(&cache);
}

static void test_store_flush(void **state)
{
	struct auth_cache *cache = auth_cache_new(65536, 3600, 3600);
	bool expired, last_success;

	auth_cache_insert(cache, "P0\talice", "alice", "1", false);
	auth_cache_insert(cache, "U0\talice", "alice", "1", false);
	auth_cache_insert(cache, "P0\tbob", "bob", "1", false);
	assert_int_equal(auth_cache_flush(cache, "ALICE"), 2);
	assert_null(
	    auth_cache_lookup(cache, "P0\talice", &expired, &last_success));
	assert_non_null(
	    auth_cache_lookup(cache, "P0\tbob", &expired, &last_success));
	assert_int_equal(auth_cache_flush(cache, "nobody"), 0);
	assert_int_equal(auth_cache_flush(cache, NULL), 1);
	assert_null(
	    auth_cache_lookup(cache, "P0\tbob", &expired, &last_success));
	auth_cache_free(&cache);
}

static void test_store_ttl_zero(void **state)
{
	struct auth_cache *cache = auth_cache_new(65536, 3600, 0);
	bool expired, last_success;

	auth_cache_insert(cache, "P0\tnobody", "nobody", "-3", true);
	assert_null(
	    auth_cache_lookup(cache, "P0\tnobody", &expired, &last_success));
	auth_cache_free(&cache);
	cache = auth_cache_new(65536, 0, 3600);
	auth_cache_insert(cache, "P0\talice", "alice", "1", false);
	assert_null(
	    auth_cache_lookup(cache, "P0\talice", &expired, &last_success));
	auth_cache_free(&cache);
}

/* --- through the protocols --- */

struct cache_env {
	pool_t pool;
	struct auth *auth;
	char imap_path[256], pop3_path[256];
};

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

/* passwd-file looks at its file again at most once a second: let that
 * second pass so that the database itself sees a rewrite. */
static void passwd_file_recheck_interval(void)
{
	time_t start = time(NULL);
	struct timespec ts = {0, 50 * 1000 * 1000};

	while (time(NULL) < start + 2)
		nanosleep(&ts, NULL);
}

static void env_init(struct cache_env *env)
{
	struct loft_settings *set;
	const char *error, *args;
	char scratch[256];

	snprintf(env->imap_path, sizeof(env->imap_path), "%s/users.imap",
		 test_dir);
	snprintf(env->pop3_path, sizeof(env->pop3_path), "%s/users.pop3",
		 test_dir);
	snprintf(scratch, sizeof(scratch), "%s/unused", test_dir);
	write_file(env->imap_path, "alice:{PLAIN}imap-pw::::::mark=imap\n");
	write_file(env->pop3_path, "alice:{PLAIN}pop3-pw::::::mark=pop3\n");
	env->pool = pool_create("cache test", 4096);
	set = test_auth_settings(env->pool, scratch);
	set->auth_cache_size = 1024 * 1024;
	set->auth_cache_ttl_secs = 3600;
	set->auth_cache_negative_ttl_secs = 3600;
	/* the passdb path depends on the service */
	args = p_strconcat(env->pool, "scheme=PLAIN ", test_dir, "/users.%s",
			   NULL);
	set->passdbs.items[0] =
	    test_db_settings(env->pool, "passwd-file", args, false);
	set->userdbs.count = 0;
	env->auth = auth_init(set, &error);
	assert_non_null(env->auth);
	unlink(scratch);
}

static void env_deinit(struct cache_env *env)
{
	auth_deinit(&env->auth);
	pool_unref(&env->pool);
	unlink(env->imap_path);
	unlink(env->pop3_path);
}

/* One PASS lookup over auth-master; returns the reply line (pool). */
static const char *pass_lookup(struct cache_env *env, const char *user,
			       const char *service)
{
	struct auth_master_connection *conn =
	    auth_master_connection_create(env->auth, -1, false);
	string_t *in = str_new(env->pool, 128);
	const char *out, *line;

	str_printfa(in, "VERSION\t1\t0\nPASS\t7\t%s\tservice=%s\n", user,
		    service);
	assert_int_equal(
	    auth_master_connection_input(conn, str_data(in), str_len(in)), 0);
	out = str_c(auth_master_connection_get_output(conn));
	line = strstr(out, "\nPASS\t7");
	if (line == NULL)
		line = strstr(out, "\nNOTFOUND\t7");
	if (line == NULL)
		line = strstr(out, "\nFAIL\t7");
	assert_non_null(line);
	line = p_strdup(env->pool, line + 1);
	auth_master_connection_destroy(&conn);
	return line;
}

/* AUTH PLAIN over auth-client; returns true for OK. */
static bool plain_auth(struct cache_env *env, const char *user,
		       const char *password, const char *service)
{
	struct auth_client_connection *conn =
	    auth_client_connection_create(env->auth, -1);
	string_t *resp = str_new(env->pool, 64), *in = str_new(env->pool, 256);
	bool ok;

	str_append_c(resp, '\0');
	str_append(resp, user);
	str_append_c(resp, '\0');
	str_append(resp, password);
	str_printfa(in,
		    "VERSION\t1\t2\nCPID\t42\nAUTH\t1\tPLAIN\tservice=%s\t"
		    "resp=",
		    service);
	base64_encode(str_data(resp), str_len(resp), in);
	str_append_c(in, '\n');
	auth_client_connection_set_peer_pid(conn, 0);
	assert_int_equal(
	    auth_client_connection_input(conn, str_data(in), str_len(in)), 0);
	ok = strstr(str_c(auth_client_connection_get_output(conn)),
		    "\nOK\t1\t") != NULL;
	auth_client_connection_destroy(&conn);
	return ok;
}

static void test_key_has_service(void **state)
{
	struct cache_env env;
	struct auth_cache_stats stats;

	env_init(&env);
	/* The same user name under two services: two entries. */
	assert_non_null(
	    strstr(pass_lookup(&env, "alice", "imap"), "mark=imap"));
	assert_non_null(
	    strstr(pass_lookup(&env, "alice", "pop3"), "mark=pop3"));
	assert_non_null(
	    strstr(pass_lookup(&env, "alice", "imap"), "mark=imap"));
	assert_non_null(
	    strstr(pass_lookup(&env, "alice", "pop3"), "mark=pop3"));
	auth_cache_get_stats(env.auth->cache, &stats);
	assert_int_equal(stats.pos_entries, 2);
	assert_int_equal(stats.hits, 2);

	assert_true(plain_auth(&env, "alice", "imap-pw", "imap"));
	assert_false(plain_auth(&env, "alice", "pop3-pw", "imap"));
	assert_true(plain_auth(&env, "alice", "pop3-pw", "pop3"));
	assert_false(plain_auth(&env, "alice", "imap-pw", "pop3"));
	env_deinit(&env);
}

static void test_cached_until_flush(void **state)
{
	struct cache_env env;

	env_init(&env);
	assert_non_null(
	    strstr(pass_lookup(&env, "alice", "imap"), "mark=imap"));
	assert_string_equal(pass_lookup(&env, "carl", "imap"), "NOTFOUND\t7\n");
	write_file(env.imap_path, "alice:{PLAIN}imap-pw::::::mark=changed\n"
				  "carl:{PLAIN}carl-pw\n");
	passwd_file_recheck_interval();
	/* served from the cache, positive and negative */
	assert_non_null(
	    strstr(pass_lookup(&env, "alice", "imap"), "mark=imap"));
	assert_string_equal(pass_lookup(&env, "carl", "imap"), "NOTFOUND\t7\n");
	assert_int_equal(auth_cache_flush(env.auth->cache, "alice"), 1);
	assert_non_null(
	    strstr(pass_lookup(&env, "alice", "imap"), "mark=changed"));
	assert_string_equal(pass_lookup(&env, "carl", "imap"), "NOTFOUND\t7\n");
	assert_int_equal(auth_cache_flush(env.auth->cache, NULL), 2);
	assert_non_null(strstr(pass_lookup(&env, "carl", "imap"), "PASS\t7"));
	env_deinit(&env);
}

static void test_password_change(void **state)
{
	struct cache_env env;

	env_init(&env);
	assert_true(plain_auth(&env, "alice", "imap-pw", "imap"));
	write_file(env.imap_path, "alice:{PLAIN}a-new-password::::::mark=n\n");
	passwd_file_recheck_interval();
	/* the previous check succeeded: a failure asks the database */
	assert_true(plain_auth(&env, "alice", "a-new-password", "imap"));
	assert_false(plain_auth(&env, "alice", "imap-pw", "imap"));
	assert_true(plain_auth(&env, "alice", "a-new-password", "imap"));
	env_deinit(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_store_basic),
	    cmocka_unit_test(test_store_lru_bound),
	    cmocka_unit_test(test_store_flush),
	    cmocka_unit_test(test_store_ttl_zero),
	    cmocka_unit_test(test_key_has_service),
	    cmocka_unit_test(test_cached_until_flush),
	    cmocka_unit_test(test_password_change),
	};
	int ret;

	if (mkdtemp(test_dir) == NULL)
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(test_dir);
	return ret;
}
