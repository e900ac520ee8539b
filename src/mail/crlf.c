/* crlf.c - LF to CR LF conversion (see crlf.h).
 *
 * The input is copied 32 bytes at a time while a block holds neither an
 * LF nor (when they are replaced) a NUL: with SSE2 (every x86-64) the
 * block is compared and stored with vector instructions, so text with
 * 70-byte lines costs a few vector operations per line instead of a
 * memchr() and a memcpy() call per line. Elsewhere the runs between line
 * ends are found with memchr(). Either way the bytes at a line end are
 * handled one at a time by the same code. */
#include "lib.h"
#include "crlf.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Bytes compared and copied at a time by the block loop. */
#define CRLF_BLOCK 32

void crlf_filter_init(struct crlf_filter *filter, bool replace_nuls)
{
	memset(filter, 0, sizeof(*filter));
	filter->replace_nuls = replace_nuls;
}

#ifdef __SSE2__
/* Copies whole blocks from in to out up to the first LF (or NUL with
 * nuls) while both have a block left; the bytes before it are copied
 * too. Returns how many bytes were copied (the same count in and out):
 * in[result] is then an LF or NUL, or fewer than a block of input or
 * output room is left. */
static size_t copy_blocks(const unsigned char *in, size_t in_size,
			  unsigned char *out, size_t out_size, bool nuls)
{
	const __m128i lf = _mm_set1_epi8('\n');
	const __m128i zero = _mm_setzero_si128();
	size_t n = 0, max = MIN_OF(in_size, out_size);

	while (max - n >= CRLF_BLOCK) {
		/* raw pointer arithmetic: both blocks lie within
		 * [n, n + CRLF_BLOCK) <= max of in and out */
		__m128i a = _mm_loadu_si128((const __m128i *)(in + n));
		__m128i b = _mm_loadu_si128((const __m128i *)(in + n + 16));
		unsigned int mask;

		_mm_storeu_si128((__m128i *)(out + n), a);
		_mm_storeu_si128((__m128i *)(out + n + 16), b);
		mask = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(a, lf)) |
		       ((unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(b, lf))
			<< 16);
		if (nuls) {
			mask |= (unsigned int)_mm_movemask_epi8(
				    _mm_cmpeq_epi8(a, zero)) |
				((unsigned int)_mm_movemask_epi8(
				     _mm_cmpeq_epi8(b, zero))
				 << 16);
		}
		if (mask != 0)
			return n + (size_t)__builtin_ctz(mask);
		n += CRLF_BLOCK;
	}
	return n;
}
#endif

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
	bool nuls = filter->replace_nuls;
	size_t i = 0, o = 0;

	while (i < in_size && o < out_size) {
		const unsigned char *lf;
		size_t n;

#ifdef __SSE2__
		n = copy_blocks(in + i, in_size - i, out + o, out_size - o,
				nuls);
		if (n > 0) {
			i += n;
			o += n;
			last_cr = in[i - 1] == '\r';
			if (i == in_size || o == out_size)
				break;
		}
#endif
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
		if (in[i] == '\0' && nuls) {
			out[o++] = 0x80;
			last_cr = false;
			i++;
			continue;
		}
		/* in[i] starts a run of bytes that ends before the next LF,
		 * the end of the input or the end of the room in out (with
		 * SSE2 only a short one: the block loop took the rest) */
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
