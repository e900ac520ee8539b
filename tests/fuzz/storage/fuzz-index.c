/* Fuzzes the loft.index validator: any image must be judged without
 * reading out of bounds; the seed is a real two-message index. */
#include "lib.h"
#include "maildir-index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size heap copy lets ASan catch any overread */
	void *copy = i_malloc(size + 1);

	memcpy(copy, data, size);
	(void)maildir_index_image_is_valid(copy, size);
	i_free(copy);
	return 0;
}
