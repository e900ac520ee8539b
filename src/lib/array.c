/* array.c - growth for the typed arrays of array.h.
 *
 * Doubles the capacity until `need` fits, from the array's pool or the
 * heap. Does not shrink. */
#include "lib.h"
#include "array.h"

#include <limits.h>

void array_reserve_(void **items, unsigned int *alloc, pool_t pool,
		    size_t elem_size, unsigned int need)
{
	unsigned int new_alloc;
	size_t old_size, new_size;

	if (need <= *alloc && *items != NULL)
		return;
	new_alloc = *alloc < 4 ? 4 : *alloc;
	while (new_alloc < need) {
		if (new_alloc > UINT_MAX / 2)
			i_panic("array_reserve_: too many elements (%u)", need);
		new_alloc *= 2;
	}
	old_size = size_mul(elem_size, *alloc);
	new_size = size_mul(elem_size, new_alloc);
	if (pool != NULL) {
		*items = p_realloc(pool, *items, old_size, new_size);
	} else {
		*items = i_realloc(*items, new_size);
		memset((unsigned char *)*items + old_size, 0,
		       new_size - old_size);
	}
	*alloc = new_alloc;
}
