/* auth-cache.h - the passdb/userdb lookup cache (auth_cache_size,
 * auth_cache_ttl, auth_cache_negative_ttl), as Dovecot documents it.
 *
 * What a driver returned for a lookup (result, stored password, the user
 * name it set and the fields it added) is remembered under a key made of
 * the db's position in the chain, the user name and the expansion of
 * every db setting that contains a %-variable (driver settings, 2.3 args,
 * default_fields, override_fields). Two lookups therefore share an entry
 * only when every variable that could change the lookup is the same:
 * user@a and user@b with a path of /etc/%d/users, or service imap and
 * pop3 with a path of /etc/users.%s, get different entries.
 *
 * Positive entries (user found) live auth_cache_ttl seconds, negative ones
 * (user unknown) auth_cache_negative_ttl seconds (0 = not cached).
 * Internal failures are never cached; when the database fails and an
 * expired entry exists, the expired entry is used. When a password check
 * fails against a cached entry whose previous check succeeded, the
 * database is asked again (the password may have changed). The least
 * recently used entries are dropped when the cache outgrows
 * auth_cache_size. Entries may hold password hashes: their memory is
 * wiped when freed.
 *
 * Not here: password verification (auth-request.c), the flush command's
 * protocol (auth-master-connection.c). */
#ifndef LOFT_AUTH_CACHE_H
#define LOFT_AUTH_CACHE_H

#include "lib.h"
#include "passdb.h"
#include "userdb.h"

struct auth_cache;

struct auth_cache_stats {
	unsigned int hits, misses;
	unsigned int pos_entries, neg_entries;
	size_t used_size, max_size;
};

/* --- the store (no knowledge of requests; unit-tested directly) --- */

/* max_size in bytes (> 0). */
struct auth_cache *auth_cache_new(size_t max_size, unsigned int ttl_secs,
				  unsigned int neg_ttl_secs);
/* Frees (wiping) every entry; *cache = NULL. */
void auth_cache_free(struct auth_cache **cache);

/* Stores value under key (both copied), replacing an older entry. user is
 * the name a flush of one user matches (case-insensitively). negative
 * entries use the negative TTL; with a negative TTL of 0 they are not
 * stored. A value larger than the whole cache is not stored. */
void auth_cache_insert(struct auth_cache *cache, const char *key,
		       const char *user, const char *value, bool negative);
/* Returns the value (owned by the cache, valid until the next insert,
 * flush or free) or NULL. *expired_r tells whether the entry is past its
 * TTL (it is still returned: the caller decides); NULL is returned only
 * when no entry exists. Counts a hit for a live entry, else a miss. */
const char *auth_cache_lookup(struct auth_cache *cache, const char *key,
			      bool *expired_r, bool *last_success_r);
/* Records whether the last password check against the entry succeeded. */
void auth_cache_set_last_success(struct auth_cache *cache, const char *key,
				 bool success);
/* Removes every entry (user NULL) or one user's entries. Returns how
 * many were removed. */
unsigned int auth_cache_flush(struct auth_cache *cache, const char *user);
void auth_cache_get_stats(const struct auth_cache *cache,
			  struct auth_cache_stats *stats_r);

/* --- the chain's hooks; cache NULL (auth_cache_size = 0) = pass-through
 * --- */

/* Looks the user up in the passdb at request->passdb_idx through the
 * cache: replays a live entry (fields and result) or calls the driver
 * and remembers what it returned. */
void auth_cache_passdb_lookup(struct auth_request *request,
			      struct passdb_module *passdb,
			      passdb_lookup_callback_t *callback);
/* The same for the userdb at request->userdb_idx. */
void auth_cache_userdb_lookup(struct auth_request *request,
			      struct userdb_module *userdb,
			      userdb_callback_t *callback);
/* Called with the outcome of a password check for the passdb at
 * request->passdb_idx. Returns true when the check used a cached entry
 * whose previous check succeeded and now failed: the caller then repeats
 * the lookup, which goes to the database this time. */
bool auth_cache_passdb_verified(struct auth_request *request,
				enum passdb_result result);

#endif
