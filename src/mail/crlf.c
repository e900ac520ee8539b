/* crlf.c - LF to CR LF conversion (see crlf.h). */
#include "lib.h"
#include "crlf.h"

void crlf_filter_init(struct crlf_filter *filter, bool replace_nuls)
{
	memset(filter, 0, sizeof(*filter));
	filter->replace_nuls = replace_nuls;
}

/* NULs in a run just copied become 0x80. */
static void replace_nuls(unsigned char *p, size_t size)
{
	unsigned char *end = p + size;

	while ((p = memchr(p, '\0', (size_t)(end - p))) != NULL)
		*p++ = 0x80;
}

size_t crlf_filter_run(struct crlf_filter *filter, const unsigned char *in,
		       size_t in_size, size_t *in_used_r, unsigned char *out,
		       size_t out_size)
{
	bool last_cr = filter->last_cr;
	/* one scan of the whole input for NULs, which are rare, instead of
	 * one per line */
	bool nuls = filter->replace_nuls && memchr(in, '\0', in_size) != NULL;
	size_t i = 0, o = 0;

	while (i < in_size && o < out_size) {
		const unsigned char *lf;
		size_t n;

		if (in[i] == '\n') {
			if (last_cr) {
				out[o++] = '\n';
			} else {
				if (out_size - o < 2)
					break;
				out[o++] = '\r';
				out[o++] = '\n';
			}
			last_cr = false;
			i++;
			continue;
		}
		/* in[i] starts a run of bytes that ends before the next LF,
		 * the end of the input or the end of the room in out */
		n = MIN_OF(in_size - i, out_size - o);
		lf = memchr(in + i, '\n', n);
		if (lf != NULL)
			n = (size_t)(lf - (in + i));
		memcpy(out + o, in + i, n);
		if (nuls)
			replace_nuls(out + o, n);
		o += n;
		i += n;
		last_cr = in[i - 1] == '\r';
	}
	filter->last_cr = last_cr;
	*in_used_r = i;
	return o;
}
