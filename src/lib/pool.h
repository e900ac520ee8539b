/* pool.h - memory pools: every allocation belongs to a lifetime.
 *
 * A pool is an arena: allocations are zeroed, never freed one by one, and
 * all released together by pool_unref(). Use one pool per connection, per
 * command and per auth request. pool_clear() keeps the first block for
 * reuse. Allocation aborts on out-of-memory and size overflow.
 *
 * A pool created with pool_create_secure() wipes every block with
 * safe_memset0() before releasing it: use it for anything holding
 * credentials. */
#ifndef LOFT_POOL_H
#define LOFT_POOL_H

#include "lib.h"

typedef struct pool *pool_t;

/* name is used in debugging only; initial_size is the first block size. */
pool_t pool_create(const char *name, size_t initial_size);
pool_t pool_create_secure(const char *name, size_t initial_size);
/* Reference counting: pool_unref() frees at zero and sets *pool to NULL. */
void pool_ref(pool_t pool);
void pool_unref(pool_t *pool);
/* Frees everything allocated so far but keeps the pool usable. */
void pool_clear(pool_t pool);
/* Bytes currently allocated from the system for this pool. */
size_t pool_get_used_size(pool_t pool);

/* Zeroed memory, aligned for any type. */
void *p_malloc(pool_t pool, size_t size);
/* Grows (or shrinks) mem allocated from pool; new bytes are zeroed. When mem
 * is the last allocation it grows in place. Old contents are copied. */
void *p_realloc(pool_t pool, void *mem, size_t old_size, size_t new_size);
#define p_new(pool, type, count)                                               \
	((type *)p_malloc(pool, size_mul(sizeof(type), (count))))

char *p_strdup(pool_t pool, const char *s); /* NULL -> NULL */
char *p_strndup(pool_t pool, const void *s, size_t max_len);
void *p_memdup(pool_t pool, const void *data, size_t size);
char *p_strdup_printf(pool_t pool, const char *fmt, ...) ATTR_FORMAT(2, 3);
char *p_strdup_vprintf(pool_t pool, const char *fmt, va_list args)
    ATTR_FORMAT(2, 0);
/* Concatenates NULL-terminated list of strings. */
char *p_strconcat(pool_t pool, const char *s1, ...) __attribute__((sentinel));
/* Splits str at any of the separator characters. Empty fields are kept.
 * Returns a NULL-terminated array. */
char **p_strsplit(pool_t pool, const char *str, const char *separators);
/* Same, but drops empty fields (splitting on runs of spaces). */
char **p_strsplit_spaces(pool_t pool, const char *str, const char *separators);
unsigned int str_array_length(const char *const *arr);

#endif
