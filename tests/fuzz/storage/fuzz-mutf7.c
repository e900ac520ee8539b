/* Fuzzes modified UTF-7 decoding and checks the round trip: whatever
 * decodes must encode back to the same bytes, and any valid UTF-8 must
 * survive encode + decode. */
#include "lib.h"
#include "str.h"
#include "mutf7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = i_malloc(size + 1);
	string_t *a = str_new(NULL, 64), *b = str_new(NULL, 64);

	memcpy(input, data, size);
	input[size] = '\0';
	if (strlen(input) == size) {
		if (mutf7_to_utf8(input, a) == 0) {
			if (mutf7_from_utf8(str_c(a), b) != 0 ||
			    strcmp(str_c(b), input) != 0)
				abort();
		}
		str_truncate(a, 0);
		str_truncate(b, 0);
		if (mutf7_from_utf8(input, a) == 0) {
			if (mutf7_to_utf8(str_c(a), b) != 0 ||
			    strcmp(str_c(b), input) != 0)
				abort();
		}
	}
	str_free(&a);
	str_free(&b);
	i_free(input);
	return 0;
}
