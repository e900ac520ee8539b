/* hash.h - hash table with caller-owned keys and values (void pointers).
 *
 * Open hashing with chaining; grows automatically. Keys and values are not
 * copied: the caller keeps them alive (typically in the same pool). */
#ifndef LOFT_HASH_H
#define LOFT_HASH_H

#include "lib.h"
#include "pool.h"

struct hash_table;
typedef unsigned int hash_fn_t(const void *key);
typedef int hash_cmp_fn_t(const void *a, const void *b); /* 0 = equal */

/* pool NULL = heap; then hash_table_destroy() frees the table memory. */
struct hash_table *hash_table_create(pool_t pool, unsigned int initial_size,
				     hash_fn_t *hash, hash_cmp_fn_t *cmp);
void hash_table_destroy(struct hash_table **table);
/* Inserts or replaces. */
void hash_table_insert(struct hash_table *table, const void *key, void *value);
void *hash_table_lookup(const struct hash_table *table, const void *key);
/* Returns true when found; the stored key and value are returned. */
bool hash_table_lookup_full(const struct hash_table *table,
			    const void *lookup_key, const void **key_r,
			    void **value_r);
bool hash_table_remove(struct hash_table *table, const void *key);
unsigned int hash_table_count(const struct hash_table *table);
void hash_table_clear(struct hash_table *table);

/* Iteration: removing the current element during iteration is allowed. */
struct hash_iterate_context;
struct hash_iterate_context *hash_table_iterate_init(struct hash_table *table);
bool hash_table_iterate(struct hash_iterate_context *ctx, const void **key_r,
			void **value_r);
void hash_table_iterate_deinit(struct hash_iterate_context **ctx);

unsigned int str_hash(const void *s);
unsigned int strcase_hash(const void *s);
int str_cmp(const void *a, const void *b);     /* strcmp */
int strcase_cmp(const void *a, const void *b); /* strcasecmp */
unsigned int direct_hash(const void *p);       /* pointer/integer key */
int direct_cmp(const void *a, const void *b);

#endif
