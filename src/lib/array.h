/* array.h - typed growable arrays.
 *
 *     ARRAY(struct foo *) list;
 *     array_init(&list, pool, 8);
 *     array_push(&list, foo);
 *     for (unsigned i = 0; i < list.count; i++) use(list.items[i]);
 *
 * Memory comes from the pool given to array_init (heap when NULL; then
 * array_free() releases it). */
#ifndef LOFT_ARRAY_H
#define LOFT_ARRAY_H

#include "lib.h"
#include "pool.h"

#define ARRAY(type)                                                            \
	struct {                                                               \
		type *items;                                                   \
		unsigned int count, alloc;                                     \
		pool_t pool;                                                   \
	}

/* Ensures room for `need` elements in total. */
void array_reserve_(void **items, unsigned int *alloc, pool_t pool,
		    size_t elem_size, unsigned int need);

#define array_init(a, p, n)                                                    \
	do {                                                                   \
		(a)->items = NULL;                                             \
		(a)->count = (a)->alloc = 0;                                   \
		(a)->pool = (p);                                               \
		array_reserve_((void **)&(a)->items, &(a)->alloc, (a)->pool,   \
			       sizeof(*(a)->items), (n) > 0 ? (n) : 4);        \
	} while (0)
#define array_is_created(a) ((a)->items != NULL)
#define array_push(a, val)                                                     \
	do {                                                                   \
		array_reserve_((void **)&(a)->items, &(a)->alloc, (a)->pool,   \
			       sizeof(*(a)->items), (a)->count + 1);           \
		(a)->items[(a)->count++] = (val);                              \
	} while (0)
/* Appends a zeroed element and returns a pointer to it. */
#define array_append_space(a)                                                  \
	(array_reserve_((void **)&(a)->items, &(a)->alloc, (a)->pool,          \
			sizeof(*(a)->items), (a)->count + 1),                  \
	 memset(&(a)->items[(a)->count], 0, sizeof(*(a)->items)),              \
	 &(a)->items[(a)->count++])
#define array_delete(a, idx, n)                                                \
	do {                                                                   \
		i_assert((idx) + (n) <= (a)->count);                           \
		memmove(&(a)->items[idx], &(a)->items[(idx) + (n)],            \
			sizeof(*(a)->items) * ((a)->count - (idx) - (n)));     \
		(a)->count -= (n);                                             \
	} while (0)
#define array_clear(a) ((a)->count = 0)
#define array_free(a)                                                          \
	do {                                                                   \
		i_assert((a)->pool == NULL);                                   \
		i_free((a)->items);                                            \
		(a)->count = (a)->alloc = 0;                                   \
	} while (0)

#endif
