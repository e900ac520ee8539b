/* fuzz-crlf.c - the LF to CR LF filter on arbitrary bytes, fed in pieces
 * and into output room that both come from the input, with the vector
 * code the input chooses, must give what a byte at a time conversion
 * gives. */
#include "lib.h"
#include "crlf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crlf_filter filter;
	unsigned char *want, *got;
	size_t piece, room, i = 0, o = 0, w = 0;
	bool nuls, last_cr = false;

	if (size < 3)
		return 0;
	piece = 1 + data[0];
	room = 2 + data[1];
	nuls = (data[2] & 1) != 0;
	/* the vector code too, at each level the CPU has */
	crlf_filter_set_vector_level((data[2] >> 1) % 3);
	data += 3;
	size -= 3;
	want = i_malloc(CRLF_MAX_OUTPUT(size) + 1);
	got = i_malloc(CRLF_MAX_OUTPUT(size) + 1);
	for (size_t j = 0; j < size; j++) {
		unsigned char c = data[j];

		if (c == '\n' && !last_cr)
			want[w++] = '\r';
		if (c == '\0' && nuls)
			c = 0x80;
		want[w++] = c;
		last_cr = c == '\r';
	}
	crlf_filter_init(&filter, nuls);
	while (i < size) {
		size_t used, n = MIN_OF(size - i, piece);

		o +=
		    crlf_filter_run(&filter, data + i, n, &used, got + o, room);
		if (used == 0 || o > w)
			abort();
		i += used;
	}
	if (o != w || memcmp(got, want, w) != 0)
		abort();
	i_free(want);
	i_free(got);
	return 0;
}
