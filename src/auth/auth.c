/* auth.c - the auth process's global state: creates the passdb and
 * userdb instances from the settings, the list of enabled mechanisms,
 * each passdb's dummy hash, and the table of recent successful logins
 * for auth-master REQUEST. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "hash.h"
#include "base64.h"
#include "log.h"
#include "ioloop.h"
#include "password-scheme.h"
#include "mech.h"
#include "auth.h"
#include "auth-cache.h"

#include <strings.h>

struct auth_success {
	pool_t pool;
	char *key;
	char cookie[64];
	const char *user;
	bool found, internal_failure;
	const char **fields;
	uint64_t created_msecs;
};

static const struct passdb_module_interface *const passdb_interfaces[] = {
    &passdb_passwd_file, &passdb_static, &passdb_passwd,
    &passdb_shadow,	 &passdb_pam,
};

static const struct userdb_module_interface *const userdb_interfaces[] = {
    &userdb_passwd_file,
    &userdb_static,
    &userdb_prefetch,
    &userdb_passwd,
};

const struct passdb_module_interface *passdb_interface_find(const char *driver)
{
	for (unsigned int i = 0; i < N_ELEMENTS(passdb_interfaces); i++) {
		if (strcmp(passdb_interfaces[i]->name, driver) == 0)
			return passdb_interfaces[i];
	}
	return NULL;
}

const struct userdb_module_interface *userdb_interface_find(const char *driver)
{
	for (unsigned int i = 0; i < N_ELEMENTS(userdb_interfaces); i++) {
		if (strcmp(userdb_interfaces[i]->name, driver) == 0)
			return userdb_interfaces[i];
	}
	return NULL;
}

bool auth_verbose_enabled(const struct auth *auth,
			  const struct auth_db_settings *db)
{
	if (db != NULL && db->auth_verbose != NULL) {
		if (strcmp(db->auth_verbose, "yes") == 0)
			return true;
		if (strcmp(db->auth_verbose, "no") == 0)
			return false;
	}
	return auth->set->auth_verbose || auth->set->auth_debug;
}

/* A hash of a random password, so that verifying an unknown user costs
 * the same as a known one in this passdb's default scheme. */
static void passdb_make_dummy(struct auth *auth, struct passdb_module *passdb)
{
	unsigned char rnd[16];
	string_t *pw = str_new(auth->pool, 40);
	const char *hash, *error;

	password_random_bytes(rnd, sizeof(rnd));
	binary_to_hex_append(pw, rnd, sizeof(rnd));
	if (password_generate(auth->pool, str_c(pw), passdb->default_scheme, 0,
			      &hash, &error) < 0) {
		i_warning(
		    "passdb %s: cannot make a dummy hash in scheme %s: %s",
		    passdb->iface->name, passdb->default_scheme, error);
		return;
	}
	passdb->dummy_hash = hash;
}

static const char *default_scheme_for(const struct loft_settings *set)
{
	return set->default_pass_scheme != NULL &&
		       set->default_pass_scheme[0] != '\0'
		   ? set->default_pass_scheme
		   : "CRYPT";
}

static int auth_mechs_init(struct auth *auth, const char **error_r)
{
	const char *setting = auth->set->auth_mechanisms;
	char **names;

	if (setting == NULL || setting[0] == '\0')
		setting = "plain";
	names = p_strsplit_spaces(auth->pool, setting, " ,");
	for (unsigned int i = 0; names[i] != NULL; i++) {
		const struct mech_module *mech = mech_module_find(names[i]);

		if (mech == NULL) {
			*error_r = p_strdup_printf(
			    auth->pool,
			    "auth_mechanisms: Unknown mechanism: %s", names[i]);
			return -1;
		}
		if (auth_find_mech(auth, mech->name) == NULL)
			array_push(&auth->mechs, mech);
	}
	return 0;
}

struct auth *auth_init(const struct loft_settings *set, const char **error_r)
{
	pool_t pool = pool_create("auth", 4096);
	struct auth *auth = p_new(pool, struct auth, 1);

	auth->pool = pool;
	auth->set = set;
	auth->pid = getpid();
	array_init(&auth->passdbs, pool, 4);
	array_init(&auth->userdbs, pool, 4);
	array_init(&auth->mechs, pool, 4);
	auth->successes = hash_table_create(NULL, 64, str_hash, str_cmp);

	if (auth_mechs_init(auth, error_r) < 0)
		goto fail;
	if (set->auth_cache_size > 0) {
		auth->cache = auth_cache_new(set->auth_cache_size,
					     set->auth_cache_ttl_secs,
					     set->auth_cache_negative_ttl_secs);
	}

	for (unsigned int i = 0;
	     array_is_created(&set->passdbs) && i < set->passdbs.count; i++) {
		const struct auth_db_settings *dbset = set->passdbs.items[i];
		const struct passdb_module_interface *iface;
		struct passdb_module *passdb;
		const char *error;

		iface = passdb_interface_find(dbset->driver);
		if (iface == NULL) {
			*error_r = p_strdup_printf(
			    pool, "Unknown passdb driver '%s'", dbset->driver);
			goto fail;
		}
		if (iface->init(pool, dbset, default_scheme_for(set), &passdb,
				&error) < 0) {
			*error_r = p_strdup_printf(pool, "passdb %s: %s",
						   dbset->driver, error);
			goto fail;
		}
		passdb->iface = iface;
		passdb->set = dbset;
		if (passdb->default_scheme == NULL)
			passdb->default_scheme = default_scheme_for(set);
		passdb_make_dummy(auth, passdb);
		array_push(&auth->passdbs, passdb);
	}
	for (unsigned int i = 0;
	     array_is_created(&set->userdbs) && i < set->userdbs.count; i++) {
		const struct auth_db_settings *dbset = set->userdbs.items[i];
		const struct userdb_module_interface *iface;
		struct userdb_module *userdb;
		const char *error;

		iface = userdb_interface_find(dbset->driver);
		if (iface == NULL) {
			*error_r = p_strdup_printf(
			    pool, "Unknown userdb driver '%s'", dbset->driver);
			goto fail;
		}
		if (iface->init(pool, dbset, &userdb, &error) < 0) {
			*error_r = p_strdup_printf(pool, "userdb %s: %s",
						   dbset->driver, error);
			goto fail;
		}
		userdb->iface = iface;
		userdb->set = dbset;
		array_push(&auth->userdbs, userdb);
	}
	return auth;
fail:
	/* The error lives in the pool freed below; this happens once at
	 * startup before exiting, so the copy is not freed. */
	*error_r = i_strdup(*error_r);
	auth_deinit(&auth);
	return NULL;
}

void auth_deinit(struct auth **_auth)
{
	struct auth *auth = *_auth;
	struct hash_iterate_context *iter;
	const void *key;
	void *value;

	*_auth = NULL;
	if (auth == NULL)
		return;
	for (unsigned int i = 0; i < auth->passdbs.count; i++) {
		if (auth->passdbs.items[i]->iface->deinit != NULL)
			auth->passdbs.items[i]->iface->deinit(
			    auth->passdbs.items[i]);
	}
	for (unsigned int i = 0; i < auth->userdbs.count; i++) {
		if (auth->userdbs.items[i]->iface->deinit != NULL)
			auth->userdbs.items[i]->iface->deinit(
			    auth->userdbs.items[i]);
	}
	iter = hash_table_iterate_init(auth->successes);
	while (hash_table_iterate(iter, &key, &value)) {
		struct auth_success *s = value;
		hash_table_remove(auth->successes, key);
		pool_unref(&s->pool);
	}
	hash_table_iterate_deinit(&iter);
	hash_table_destroy(&auth->successes);
	auth_cache_free(&auth->cache);
	pool_unref(&auth->pool);
}

const struct mech_module *auth_find_mech(const struct auth *auth,
					 const char *name)
{
	for (unsigned int i = 0; i < auth->mechs.count; i++) {
		if (strcasecmp(auth->mechs.items[i]->name, name) == 0)
			return auth->mechs.items[i];
	}
	return NULL;
}

static char *success_key(pool_t pool, pid_t pid, unsigned int id)
{
	string_t *key = str_new(pool, 24);

	/* "pid/id", without printf: one per successful login */
	str_append_uint(key, (unsigned long long)pid);
	str_append_c(key, '/');
	str_append_uint(key, id);
	return (char *)key->data;
}

void auth_success_add(struct auth *auth, pid_t client_pid, unsigned int id,
		      const char *cookie, const char *user, bool found,
		      bool internal_failure, const auth_fields_t *fields)
{
	pool_t pool = pool_create_secure("auth success", 512);
	struct auth_success *s = p_new(pool, struct auth_success, 1);
	const void *old_key;
	void *old_value;

	s->pool = pool;
	s->key = success_key(pool, client_pid, id);
	snprintf(s->cookie, sizeof(s->cookie), "%s", cookie);
	s->user = p_strdup(pool, user);
	s->found = found;
	s->internal_failure = internal_failure;
	s->fields = p_new(pool, const char *, fields->count + 1);
	for (unsigned int i = 0; i < fields->count; i++)
		s->fields[i] = p_strdup(pool, fields->items[i]);
	s->created_msecs = time_now_msecs();

	if (hash_table_lookup_full(auth->successes, s->key, &old_key,
				   &old_value)) {
		struct auth_success *old = old_value;
		hash_table_remove(auth->successes, s->key);
		pool_unref(&old->pool);
	}
	hash_table_insert(auth->successes, s->key, s);
}

int auth_success_take(struct auth *auth, pool_t pool, pid_t client_pid,
		      unsigned int id, const char *cookie, const char **user_r,
		      bool *found_r, const char *const **fields_r)
{
	pool_t tmp = pool_create("success key", 64);
	char *key = success_key(tmp, client_pid, id);
	struct auth_success *s = hash_table_lookup(auth->successes, key);
	size_t clen = strlen(cookie);
	const char **fields;
	unsigned int n;
	int ret;

	pool_unref(&tmp);
	if (s == NULL)
		return 0;
	if (clen != strlen(s->cookie) ||
	    !mem_equals_timing_safe(cookie, s->cookie, clen)) {
		/* Wrong cookie: the entry stays for the real owner. */
		return 0;
	}
	hash_table_remove(auth->successes, s->key);
	if (time_now_msecs() - s->created_msecs >
	    AUTH_REQUEST_TIMEOUT_SECS * 1000ULL) {
		ret = 0;
	} else if (s->internal_failure && !s->found) {
		ret = -1;
	} else {
		*user_r = p_strdup(pool, s->user);
		*found_r = s->found;
		for (n = 0; s->fields[n] != NULL; n++)
			;
		fields = p_new(pool, const char *, n + 1);
		for (unsigned int i = 0; i < n; i++)
			fields[i] = p_strdup(pool, s->fields[i]);
		*fields_r = fields;
		ret = 1;
	}
	pool_unref(&s->pool);
	return ret;
}

void auth_success_expire(struct auth *auth)
{
	struct hash_iterate_context *iter;
	uint64_t now = time_now_msecs();
	const void *key;
	void *value;

	iter = hash_table_iterate_init(auth->successes);
	while (hash_table_iterate(iter, &key, &value)) {
		struct auth_success *s = value;

		if (now - s->created_msecs >
		    AUTH_REQUEST_TIMEOUT_SECS * 1000ULL) {
			hash_table_remove(auth->successes, key);
			pool_unref(&s->pool);
		}
	}
	hash_table_iterate_deinit(&iter);
}
