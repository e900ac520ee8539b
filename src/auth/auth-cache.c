/* auth-cache.c - the passdb/userdb lookup cache: a hash table of entries
 * on a least-recently-used list bounded by bytes, and the hooks that let
 * the chain in auth-request.c go through it.
 *
 * An entry's value is a tab-separated list, each element tab-escaped:
 *   <result> <"u"new user | "-"> [<"p"password | "-">] {"P"field | "U"field}
 * The password element exists for passdb entries only. "P" fields are
 * replayed with auth_request_set_passdb_field() ("userdb_x" ones become
 * prefetched userdb fields, as when the driver set them), "U" fields with
 * auth_request_set_userdb_field().
 *
 * Not here: what is verified against the cached password
 * (auth-request.c), settings parsing. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "hash.h"
#include "log.h"
#include "auth.h"
#include "auth-request.h"
#include "auth-cache.h"

#include <strings.h>

/* Bookkeeping bytes counted per entry besides key and value. */
#define AUTH_CACHE_NODE_OVERHEAD 64

struct auth_cache_node {
	struct auth_cache_node *prev, *next; /* head = most recently used */
	char *key, *user, *value;
	size_t size;
	uint64_t created_msecs;
	bool negative, last_success;
};

struct auth_cache {
	struct hash_table *hash; /* key -> node */
	struct auth_cache_node *head, *tail;
	size_t max_size, used_size;
	unsigned int ttl_secs, neg_ttl_secs;
	unsigned int hits, misses, pos_entries, neg_entries;
};

/* Per-request state of one cached lookup, in the request's pool. */
struct auth_cache_request {
	const char *key;	   /* NULL = not cacheable */
	const char *expired_value; /* used if the database fails */
	bool from_cache;	   /* the passdb result came from the cache */
	bool last_success;	   /* ... and its previous check succeeded */
	bool bypass;		   /* next lookup goes to the database */
	unsigned int db_idx;
	/* What the request looked like before the driver ran. */
	const char *user_before;
	const char **extra_before, **prefetch_before, **userdb_before;
	unsigned int extra_count, prefetch_count, userdb_count;
	passdb_lookup_callback_t *passdb_callback;
	userdb_callback_t *userdb_callback;
};

/* --- the store --- */

struct auth_cache *auth_cache_new(size_t max_size, unsigned int ttl_secs,
				  unsigned int neg_ttl_secs)
{
	struct auth_cache *cache = i_malloc(sizeof(*cache));

	i_assert(max_size > 0);
	cache->hash = hash_table_create(NULL, 128, str_hash, str_cmp);
	cache->max_size = max_size;
	cache->ttl_secs = ttl_secs;
	cache->neg_ttl_secs = neg_ttl_secs;
	return cache;
}

static void wipe_free(char *s)
{
	if (s != NULL) {
		safe_memset0(s, strlen(s));
		i_free(s);
	}
}

static void node_unlink(struct auth_cache *cache, struct auth_cache_node *node)
{
	if (node->prev != NULL)
		node->prev->next = node->next;
	else
		cache->head = node->next;
	if (node->next != NULL)
		node->next->prev = node->prev;
	else
		cache->tail = node->prev;
	node->prev = node->next = NULL;
}

static void node_link_head(struct auth_cache *cache,
			   struct auth_cache_node *node)
{
	node->prev = NULL;
	node->next = cache->head;
	if (cache->head != NULL)
		cache->head->prev = node;
	cache->head = node;
	if (cache->tail == NULL)
		cache->tail = node;
}

static void node_remove(struct auth_cache *cache, struct auth_cache_node *node)
{
	node_unlink(cache, node);
	(void)hash_table_remove(cache->hash, node->key);
	cache->used_size -= node->size;
	if (node->negative)
		cache->neg_entries--;
	else
		cache->pos_entries--;
	wipe_free(node->key);
	wipe_free(node->user);
	wipe_free(node->value);
	i_free(node);
}

void auth_cache_free(struct auth_cache **_cache)
{
	struct auth_cache *cache = *_cache;

	*_cache = NULL;
	if (cache == NULL)
		return;
	while (cache->head != NULL)
		node_remove(cache, cache->head);
	hash_table_destroy(&cache->hash);
	i_free(cache);
}

void auth_cache_insert(struct auth_cache *cache, const char *key,
		       const char *user, const char *value, bool negative)
{
	struct auth_cache_node *node;
	size_t size;

	if (negative && cache->neg_ttl_secs == 0)
		return;
	if (!negative && cache->ttl_secs == 0)
		return;
	node = hash_table_lookup(cache->hash, key);
	if (node != NULL)
		node_remove(cache, node);
	size = strlen(key) + strlen(user) + strlen(value) +
	       AUTH_CACHE_NODE_OVERHEAD;
	if (size > cache->max_size)
		return;
	while (cache->used_size + size > cache->max_size && cache->tail != NULL)
		node_remove(cache, cache->tail);

	node = i_malloc(sizeof(*node));
	node->key = i_strdup(key);
	node->user = i_strdup(user);
	node->value = i_strdup(value);
	node->size = size;
	node->negative = negative;
	node->created_msecs = time_now_msecs();
	node_link_head(cache, node);
	hash_table_insert(cache->hash, node->key, node);
	cache->used_size += size;
	if (negative)
		cache->neg_entries++;
	else
		cache->pos_entries++;
}

const char *auth_cache_lookup(struct auth_cache *cache, const char *key,
			      bool *expired_r, bool *last_success_r)
{
	struct auth_cache_node *node = hash_table_lookup(cache->hash, key);
	unsigned int ttl;

	*expired_r = false;
	*last_success_r = false;
	if (node == NULL) {
		cache->misses++;
		return NULL;
	}
	ttl = node->negative ? cache->neg_ttl_secs : cache->ttl_secs;
	*expired_r = time_now_msecs() - node->created_msecs >= ttl * 1000ULL;
	*last_success_r = node->last_success;
	if (*expired_r) {
		cache->misses++;
	} else {
		cache->hits++;
		node_unlink(cache, node);
		node_link_head(cache, node);
	}
	return node->value;
}

void auth_cache_set_last_success(struct auth_cache *cache, const char *key,
				 bool success)
{
	struct auth_cache_node *node = hash_table_lookup(cache->hash, key);

	if (node != NULL)
		node->last_success = success;
}

unsigned int auth_cache_flush(struct auth_cache *cache, const char *user)
{
	struct auth_cache_node *node, *next;
	unsigned int count = 0;

	for (node = cache->head; node != NULL; node = next) {
		next = node->next;
		if (user == NULL || strcasecmp(node->user, user) == 0) {
			node_remove(cache, node);
			count++;
		}
	}
	return count;
}

void auth_cache_get_stats(const struct auth_cache *cache,
			  struct auth_cache_stats *stats_r)
{
	stats_r->hits = cache->hits;
	stats_r->misses = cache->misses;
	stats_r->pos_entries = cache->pos_entries;
	stats_r->neg_entries = cache->neg_entries;
	stats_r->used_size = cache->used_size;
	stats_r->max_size = cache->max_size;
}

/* --- keys --- */

static bool key_add_expansion(struct auth_request *request, string_t *key,
			      const char *tmpl)
{
	const char *value, *error;

	if (tmpl == NULL || strchr(tmpl, '%') == NULL)
		return true;
	value = auth_request_var_expand(request, tmpl, &error);
	if (value == NULL)
		return false;
	str_append_c(key, '\t');
	str_append_tabescaped(key, value);
	return true;
}

static bool key_add_list(struct auth_request *request, string_t *key,
			 const char *const *items, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		if (!key_add_expansion(request, key, items[i]))
			return false;
	}
	return true;
}

#define KEY_ADD_LIST(request, key, list)                                       \
	(!array_is_created(list) ||                                            \
	 key_add_list(request, key, (const char *const *)(list)->items,        \
		      (list)->count))

/* "P<idx>\t<user>" and the expansion of every setting of the db that has
 * a %-variable, or NULL when one cannot be expanded (then the lookup is
 * not cached). */
static const char *cache_key(struct auth_request *request, char type,
			     unsigned int idx,
			     const struct auth_db_settings *set)
{
	string_t *key = str_new(request->pool, 128);

	str_printfa(key, "%c%u\t", type, idx);
	str_append_tabescaped(key, request->user);
	if (!key_add_expansion(request, key, set->args) ||
	    !KEY_ADD_LIST(request, key, &set->driver_settings) ||
	    !KEY_ADD_LIST(request, key, &set->default_fields) ||
	    !KEY_ADD_LIST(request, key, &set->override_fields))
		return NULL;
	return str_c(key);
}

/* --- capturing what a driver set --- */

static const char **snapshot(pool_t pool, const auth_fields_t *fields,
			     unsigned int *count_r)
{
	const char **copy = p_new(pool, const char *, fields->count + 1);

	for (unsigned int i = 0; i < fields->count; i++)
		copy[i] = fields->items[i];
	*count_r = fields->count;
	return copy;
}

/* Appends "<prefix><field>" for each field that is new or replaced. */
static void append_changed(string_t *value, const auth_fields_t *fields,
			   const char **before, unsigned int before_count,
			   const char *prefix)
{
	for (unsigned int i = 0; i < fields->count; i++) {
		const char *f = fields->items[i];

		if (i < before_count && before[i] == f)
			continue;
		str_append_c(value, '\t');
		str_append(value, prefix);
		str_append_tabescaped(value, f);
	}
}

static void cache_snapshot(struct auth_request *request,
			   struct auth_cache_request *ctx, bool passdb)
{
	pool_t pool = request->pool;

	ctx->user_before = request->user;
	if (passdb) {
		ctx->extra_before =
		    snapshot(pool, &request->extra_fields, &ctx->extra_count);
		ctx->prefetch_before = snapshot(pool, &request->userdb_prefetch,
						&ctx->prefetch_count);
	} else {
		ctx->userdb_before =
		    snapshot(pool, &request->userdb_fields, &ctx->userdb_count);
	}
}

static void append_user(string_t *value, struct auth_request *request,
			const struct auth_cache_request *ctx)
{
	str_append_c(value, '\t');
	if (request->user != ctx->user_before && request->user != NULL) {
		str_append_c(value, 'u');
		str_append_tabescaped(value, request->user);
	} else {
		str_append_c(value, '-');
	}
}

/* --- replaying an entry --- */

static void replay_field(struct auth_request *request, const char *elem)
{
	const char *field = elem + 1, *eq = strchr(field, '=');
	const char *key =
	    eq == NULL ? field : p_strndup(request->pool, field, eq - field);
	const char *value = eq == NULL ? "" : eq + 1;

	if (elem[0] == 'P')
		auth_request_set_passdb_field(request, key, value);
	else if (elem[0] == 'R')
		auth_request_set_passdb_field(
		    request, p_strconcat(request->pool, "userdb_", key, NULL),
		    value);
	else if (elem[0] == 'U')
		auth_request_set_userdb_field(request, key, value);
}

/* Applies an entry to the request. Returns the stored result; *password_r
 * (passdb entries) is the stored password or NULL. */
static int replay(struct auth_request *request, const char *value, bool passdb,
		  const char **password_r)
{
	char **elems = p_strsplit(request->pool, value, "\t");
	unsigned int i = 0;
	int result = 0;

	*password_r = NULL;
	if (elems[i] == NULL || str_to_int(elems[i++], &result) < 0)
		i_unreached();
	if (elems[i] != NULL && elems[i++][0] == 'u') {
		request->user =
		    str_tabunescape(request->pool, elems[i - 1] + 1);
	}
	if (passdb && elems[i] != NULL) {
		if (elems[i][0] == 'p')
			*password_r =
			    str_tabunescape(request->pool, elems[i] + 1);
		i++;
	}
	for (; elems[i] != NULL; i++)
		replay_field(request, str_tabunescape(request->pool, elems[i]));
	return result;
}

/* --- passdb hook --- */

static struct auth_cache_request *cache_ctx(struct auth_request *request)
{
	struct auth_cache_request *ctx = request->cache_context;

	if (ctx == NULL) {
		ctx = p_new(request->pool, struct auth_cache_request, 1);
		request->cache_context = ctx;
	}
	return ctx;
}

static void passdb_cache_callback(struct auth_request *request,
				  enum passdb_result result,
				  const char *password)
{
	struct auth_cache_request *ctx = request->cache_context;
	struct auth_cache *cache = request->auth->cache;
	const char *user = ctx->user_before;
	string_t *value;

	if (result == PASSDB_RESULT_INTERNAL_FAILURE &&
	    ctx->expired_value != NULL) {
		auth_request_log_info(request, "cache",
				      "Database failed, using an expired "
				      "cache entry");
		result = replay(request, ctx->expired_value, true, &password);
		ctx->passdb_callback(request, result, password);
		return;
	}
	if (result == PASSDB_RESULT_OK ||
	    result == PASSDB_RESULT_USER_UNKNOWN) {
		value = str_new(request->pool, 256);
		str_printfa(value, "%d", (int)result);
		append_user(value, request, ctx);
		str_append_c(value, '\t');
		if (password == NULL) {
			str_append_c(value, '-');
		} else {
			str_append_c(value, 'p');
			str_append_tabescaped(value, password);
		}
		append_changed(value, &request->extra_fields, ctx->extra_before,
			       ctx->extra_count, "P");
		append_changed(value, &request->userdb_prefetch,
			       ctx->prefetch_before, ctx->prefetch_count, "R");
		auth_cache_insert(cache, ctx->key, user, str_c(value),
				  result == PASSDB_RESULT_USER_UNKNOWN);
		safe_memset0(value->data, str_len(value));
	}
	ctx->passdb_callback(request, result, password);
}

void auth_cache_passdb_lookup(struct auth_request *request,
			      struct passdb_module *passdb,
			      passdb_lookup_callback_t *callback)
{
	struct auth_cache *cache = request->auth->cache;
	struct auth_cache_request *ctx;
	const char *value, *password;
	bool expired, last_success, bypass;
	int result;

	if (cache == NULL) {
		passdb->iface->lookup(passdb, request, callback);
		return;
	}
	ctx = cache_ctx(request);
	bypass = ctx->bypass && ctx->db_idx == request->passdb_idx;
	ctx->bypass = false;
	ctx->from_cache = false;
	ctx->expired_value = NULL;
	ctx->db_idx = request->passdb_idx;
	ctx->key = cache_key(request, 'P', request->passdb_idx, passdb->set);
	if (ctx->key == NULL) {
		passdb->iface->lookup(passdb, request, callback);
		return;
	}
	value = bypass ? NULL
		       : auth_cache_lookup(cache, ctx->key, &expired,
					   &last_success);
	if (value != NULL && !expired) {
		if (request->auth->set->auth_debug) {
			auth_request_log_info(request, "cache",
					      "hit (passdb %u)",
					      request->passdb_idx);
		}
		ctx->from_cache = true;
		ctx->last_success = last_success;
		result = replay(request, value, true, &password);
		callback(request, result, password);
		return;
	}
	if (value != NULL)
		ctx->expired_value = p_strdup(request->pool, value);
	ctx->passdb_callback = callback;
	cache_snapshot(request, ctx, true);
	passdb->iface->lookup(passdb, request, passdb_cache_callback);
}

bool auth_cache_passdb_verified(struct auth_request *request,
				enum passdb_result result)
{
	struct auth_cache_request *ctx = request->cache_context;
	struct auth_cache *cache = request->auth->cache;

	if (cache == NULL || ctx == NULL || ctx->key == NULL ||
	    ctx->db_idx != request->passdb_idx)
		return false;
	if (result == PASSDB_RESULT_PASSWORD_MISMATCH && ctx->from_cache &&
	    ctx->last_success) {
		/* Maybe the password changed: ask the database. */
		ctx->bypass = true;
		ctx->from_cache = false;
		return true;
	}
	if (result == PASSDB_RESULT_OK)
		auth_cache_set_last_success(cache, ctx->key, true);
	else if (result == PASSDB_RESULT_PASSWORD_MISMATCH)
		auth_cache_set_last_success(cache, ctx->key, false);
	return false;
}

/* --- userdb hook --- */

static void userdb_cache_callback(struct auth_request *request,
				  enum userdb_result result)
{
	struct auth_cache_request *ctx = request->cache_context;
	struct auth_cache *cache = request->auth->cache;
	const char *password;
	string_t *value;

	if (result == USERDB_RESULT_INTERNAL_FAILURE &&
	    ctx->expired_value != NULL) {
		auth_request_log_info(request, "cache",
				      "Database failed, using an expired "
				      "cache entry");
		result = replay(request, ctx->expired_value, false, &password);
		ctx->userdb_callback(request, result);
		return;
	}
	if (result == USERDB_RESULT_OK ||
	    result == USERDB_RESULT_USER_UNKNOWN) {
		value = str_new(request->pool, 256);
		str_printfa(value, "%d", (int)result);
		append_user(value, request, ctx);
		append_changed(value, &request->userdb_fields,
			       ctx->userdb_before, ctx->userdb_count, "U");
		auth_cache_insert(cache, ctx->key, ctx->user_before,
				  str_c(value),
				  result == USERDB_RESULT_USER_UNKNOWN);
	}
	ctx->userdb_callback(request, result);
}

void auth_cache_userdb_lookup(struct auth_request *request,
			      struct userdb_module *userdb,
			      userdb_callback_t *callback)
{
	struct auth_cache *cache = request->auth->cache;
	struct auth_cache_request *ctx;
	const char *value, *password, *key;
	bool expired, last_success;
	int result;

	/* prefetch reads what the passdb returned: nothing to cache. */
	if (cache == NULL || strcmp(userdb->iface->name, "prefetch") == 0) {
		userdb->iface->lookup(userdb, request, callback);
		return;
	}
	key = cache_key(request, 'U', request->userdb_idx, userdb->set);
	if (key == NULL) {
		userdb->iface->lookup(userdb, request, callback);
		return;
	}
	ctx = cache_ctx(request);
	value = auth_cache_lookup(cache, key, &expired, &last_success);
	if (value != NULL && !expired) {
		result = replay(request, value, false, &password);
		callback(request, result);
		return;
	}
	/* The passdb part of the context is done with; reuse it. */
	ctx->key = key;
	ctx->db_idx = (unsigned int)-1;
	ctx->from_cache = false;
	ctx->expired_value =
	    value == NULL ? NULL : p_strdup(request->pool, value);
	ctx->userdb_callback = callback;
	cache_snapshot(request, ctx, false);
	userdb->iface->lookup(userdb, request, userdb_cache_callback);
}
