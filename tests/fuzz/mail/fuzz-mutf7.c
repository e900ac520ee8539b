/* fuzz-mutf7.c - modified UTF-7 decoding of arbitrary bytes must
 * either refuse them or round-trip: decoding then encoding gives the
 * input back (the decoder accepts only canonical forms). Arbitrary bytes
 * as UTF-8 must either be refused or encode to valid, reversible UTF-7. */
#include "lib.h"
#include "str.h"
#include "mutf7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = i_strndup((const char *)data, size);
	string_t *utf8 = str_new(NULL, 64), *utf7 = str_new(NULL, 64);

	if (mutf7_to_utf8(input, utf8) == 0) {
		if (!mail_utf8_is_valid(str_data(utf8), str_len(utf8)))
			abort();
		if (mutf7_from_utf8(str_c(utf8), utf7) != 0 ||
		    strcmp(str_c(utf7), input) != 0)
			abort();
	}
	str_clear(utf8);
	str_clear(utf7);
	if (mutf7_from_utf8(input, utf7) == 0) {
		if (!mail_utf8_is_valid(input, strlen(input)))
			abort();
		if (mutf7_to_utf8(str_c(utf7), utf8) != 0 ||
		    strcmp(str_c(utf8), input) != 0)
			abort();
	}
	str_free(&utf8);
	str_free(&utf7);
	i_free(input);
	return 0;
}
