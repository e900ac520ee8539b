/* hash.c - chained hash table with caller-owned keys and values.
 *
 * Buckets double when the table holds more entries than buckets. Nodes
 * removed from a pool-backed table go to a free list for reuse. The table
 * never copies keys or values and never shrinks. */
#include "lib.h"
#include "hash.h"

#include <ctype.h>
#include <strings.h>

struct hash_node {
	struct hash_node *next;
	const void *key;
	void *value;
};

struct hash_table {
	pool_t pool;
	hash_fn_t *hash;
	hash_cmp_fn_t *cmp;
	struct hash_node **buckets;
	unsigned int size; /* number of buckets, power of two */
	unsigned int count;
	struct hash_node *free_nodes;
	unsigned int iterators;
};

struct hash_iterate_context {
	struct hash_table *table;
	unsigned int bucket;
	struct hash_node *next;
};

static void *tbl_alloc(struct hash_table *table, size_t size)
{
	return table->pool != NULL ? p_malloc(table->pool, size)
				   : i_malloc(size);
}

static void tbl_free(struct hash_table *table, void *mem)
{
	if (table->pool == NULL)
		free(mem);
}

static unsigned int round_pow2(unsigned int n)
{
	unsigned int size = 16;

	while (size < n && size < (1U << 30))
		size <<= 1;
	return size;
}

struct hash_table *hash_table_create(pool_t pool, unsigned int initial_size,
				     hash_fn_t *hash, hash_cmp_fn_t *cmp)
{
	struct hash_table *table;

	table = pool != NULL ? p_new(pool, struct hash_table, 1)
			     : i_malloc(sizeof(*table));
	table->pool = pool;
	table->hash = hash != NULL ? hash : direct_hash;
	table->cmp = cmp != NULL ? cmp : direct_cmp;
	table->size = round_pow2(initial_size);
	table->buckets =
	    tbl_alloc(table, size_mul(table->size, sizeof(*table->buckets)));
	return table;
}

static void free_chain(struct hash_table *table, struct hash_node *node)
{
	while (node != NULL) {
		struct hash_node *next = node->next;
		tbl_free(table, node);
		node = next;
	}
}

void hash_table_clear(struct hash_table *table)
{
	for (unsigned int i = 0; i < table->size; i++) {
		struct hash_node *node = table->buckets[i];

		if (table->pool != NULL) {
			while (node != NULL) {
				struct hash_node *next = node->next;
				node->next = table->free_nodes;
				node->key = NULL;
				node->value = NULL;
				table->free_nodes = node;
				node = next;
			}
		} else {
			free_chain(table, node);
		}
		table->buckets[i] = NULL;
	}
	table->count = 0;
}

void hash_table_destroy(struct hash_table **_table)
{
	struct hash_table *table = *_table;

	if (table == NULL)
		return;
	*_table = NULL;
	if (table->pool != NULL)
		return;
	hash_table_clear(table);
	free(table->buckets);
	free(table);
}

static struct hash_node **find_node(const struct hash_table *table,
				    const void *key)
{
	unsigned int idx = table->hash(key) & (table->size - 1);
	struct hash_node **nodep = &table->buckets[idx];

	for (; *nodep != NULL; nodep = &(*nodep)->next) {
		if (table->cmp((*nodep)->key, key) == 0)
			return nodep;
	}
	return NULL;
}

static void hash_table_grow(struct hash_table *table)
{
	unsigned int new_size = table->size * 2;
	struct hash_node **new_buckets;

	if (table->iterators > 0 || table->size >= (1U << 30))
		return;
	new_buckets =
	    tbl_alloc(table, size_mul(new_size, sizeof(*new_buckets)));
	for (unsigned int i = 0; i < table->size; i++) {
		struct hash_node *node = table->buckets[i];
		while (node != NULL) {
			struct hash_node *next = node->next;
			unsigned int idx =
			    table->hash(node->key) & (new_size - 1);
			node->next = new_buckets[idx];
			new_buckets[idx] = node;
			node = next;
		}
	}
	tbl_free(table, table->buckets);
	table->buckets = new_buckets;
	table->size = new_size;
}

void hash_table_insert(struct hash_table *table, const void *key, void *value)
{
	struct hash_node **nodep = find_node(table, key);
	struct hash_node *node;
	unsigned int idx;

	if (nodep != NULL) {
		(*nodep)->key = key;
		(*nodep)->value = value;
		return;
	}
	if (table->count >= table->size)
		hash_table_grow(table);

	if (table->free_nodes != NULL) {
		node = table->free_nodes;
		table->free_nodes = node->next;
	} else {
		node = tbl_alloc(table, sizeof(*node));
	}
	idx = table->hash(key) & (table->size - 1);
	node->key = key;
	node->value = value;
	node->next = table->buckets[idx];
	table->buckets[idx] = node;
	table->count++;
}

void *hash_table_lookup(const struct hash_table *table, const void *key)
{
	struct hash_node **nodep = find_node(table, key);

	return nodep == NULL ? NULL : (*nodep)->value;
}

bool hash_table_lookup_full(const struct hash_table *table,
			    const void *lookup_key, const void **key_r,
			    void **value_r)
{
	struct hash_node **nodep = find_node(table, lookup_key);

	if (nodep == NULL)
		return false;
	if (key_r != NULL)
		*key_r = (*nodep)->key;
	if (value_r != NULL)
		*value_r = (*nodep)->value;
	return true;
}

bool hash_table_remove(struct hash_table *table, const void *key)
{
	struct hash_node **nodep = find_node(table, key);
	struct hash_node *node;

	if (nodep == NULL)
		return false;
	node = *nodep;
	*nodep = node->next;
	table->count--;
	if (table->pool != NULL) {
		node->key = NULL;
		node->value = NULL;
		node->next = table->free_nodes;
		table->free_nodes = node;
	} else {
		free(node);
	}
	return true;
}

unsigned int hash_table_count(const struct hash_table *table)
{
	return table->count;
}

struct hash_iterate_context *hash_table_iterate_init(struct hash_table *table)
{
	struct hash_iterate_context *ctx = i_malloc(sizeof(*ctx));

	ctx->table = table;
	ctx->bucket = 0;
	ctx->next = table->buckets[0];
	table->iterators++;
	return ctx;
}

bool hash_table_iterate(struct hash_iterate_context *ctx, const void **key_r,
			void **value_r)
{
	struct hash_table *table = ctx->table;
	struct hash_node *node;

	while (ctx->next == NULL) {
		if (++ctx->bucket >= table->size)
			return false;
		ctx->next = table->buckets[ctx->bucket];
	}
	node = ctx->next;
	/* remember the follower now so that the caller may remove node */
	ctx->next = node->next;
	if (key_r != NULL)
		*key_r = node->key;
	if (value_r != NULL)
		*value_r = node->value;
	return true;
}

void hash_table_iterate_deinit(struct hash_iterate_context **_ctx)
{
	struct hash_iterate_context *ctx = *_ctx;

	if (ctx == NULL)
		return;
	*_ctx = NULL;
	ctx->table->iterators--;
	free(ctx);
}

unsigned int str_hash(const void *p)
{
	const unsigned char *s = p;
	unsigned int h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= *s;
		h *= 16777619u;
	}
	return h;
}

unsigned int strcase_hash(const void *p)
{
	const unsigned char *s = p;
	unsigned int h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)tolower(*s);
		h *= 16777619u;
	}
	return h;
}

int str_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int strcase_cmp(const void *a, const void *b)
{
	return strcasecmp(a, b);
}

unsigned int direct_hash(const void *p)
{
	uintptr_t v = (uintptr_t)p;

	v ^= v >> 33;
	v *= (uintptr_t)0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return (unsigned int)v;
}

int direct_cmp(const void *a, const void *b)
{
	return a == b ? 0 : (a < b ? -1 : 1);
}
