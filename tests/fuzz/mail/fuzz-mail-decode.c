/* Fuzzes the transfer decoder shared by BINARY and SEARCH (mail-decode.h):
 * for each encoding, the input decoded at once and in chunks whose sizes
 * come from the input must give the same bytes, and no call may write
 * more than MAIL_DECODE_MAX_OUTPUT allows. */
#include "lib.h"
#include "mail-decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 8192

static size_t decode(enum mail_cte cte, const uint8_t *data, size_t size,
		     bool chunked, unsigned char *out)
{
	struct mail_decoder dec;
	size_t pos = 0, o = 0;

	mail_decoder_init(&dec, cte);
	while (pos < size) {
		/* chunks of 1-8 bytes, sized by the input itself */
		size_t n = chunked ? (size_t)(data[pos] % 8) + 1 : size - pos;
		size_t written;

		if (n > size - pos)
			n = size - pos;
		written = mail_decoder_run(&dec, data + pos, n, out + o);
		if (written > MAIL_DECODE_MAX_OUTPUT(n))
			abort();
		o += written;
		pos += n;
	}
	size_t written = mail_decoder_finish(&dec, out + o);
	if (written > MAIL_DECODE_MAX_OUTPUT(0))
		abort();
	return o + written;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char whole[MAIL_DECODE_MAX_OUTPUT(FUZZ_MAX_INPUT)];
	static unsigned char chunked[MAIL_DECODE_MAX_OUTPUT(FUZZ_MAX_INPUT)];

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	for (int cte = MAIL_CTE_IDENTITY; cte <= MAIL_CTE_QP; cte++) {
		size_t a = decode((enum mail_cte)cte, data, size, false, whole);
		size_t b =
		    decode((enum mail_cte)cte, data, size, true, chunked);

		if (a != b || memcmp(whole, chunked, a) != 0)
			abort();
	}
	return 0;
}
