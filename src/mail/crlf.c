/* crlf.c - LF to CR LF conversion (see crlf.h).
 *
 * On x86-64 the input is converted a block at a time: a block is stored
 * to the output whole, compared with LF (and NUL, when they are replaced)
 * with vector instructions, and where one is found the bytes before it
 * stay, the LF gets its CR (or the NUL becomes 0x80) and the next block
 * starts after it. Text with 70-byte lines then costs a few vector
 * operations per line. Blocks are 64 bytes with AVX2 (chosen at run time
 * when the CPU has it), 32 with SSE2, which every x86-64 has. The last
 * bytes, where a block would not fit in the input or the output, and
 * other CPUs go through runs between line ends found with memchr(). */
#include "lib.h"
#include "crlf.h"

#if defined(__x86_64__) && defined(__SSE2__) &&                                \
    (defined(__GNUC__) || defined(__clang__))
#define CRLF_BLOCKS 1
#include <immintrin.h>
#endif

void crlf_filter_init(struct crlf_filter *filter, bool replace_nuls)
{
	memset(filter, 0, sizeof(*filter));
	filter->replace_nuls = replace_nuls;
}

/* Where a conversion is: bytes taken from in, bytes written to out, and
 * whether the last byte written was CR. */
struct crlf_pos {
	size_t i, o;
	bool last_cr;
};

#ifdef CRLF_BLOCKS
/* Converts 32-byte blocks (two SSE2 registers) while two blocks of input
 * and three of output room are left. A block is stored whole; then for
 * each LF in it that needs a CR (in input order) the CR is written where
 * the LF was and the input from the LF on is stored again one byte
 * further: the bytes written past the block's output are rewritten by the
 * next block. Raw pointer arithmetic: loads stay within in[i, i + 64) <=
 * in_size, stores within out[o, o + 96) <= out_size. */
static void convert_blocks_sse2(const unsigned char *in, size_t in_size,
				unsigned char *out, size_t out_size, bool nuls,
				struct crlf_pos *pos)
{
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	const __m128i zero = _mm_setzero_si128();
	const __m128i high = _mm_set1_epi8((char)0x80);
	size_t i = pos->i, o = pos->o;
	/* bit 0: the byte before in[i] is a CR */
	uint32_t carry = pos->last_cr ? 1 : 0;

	while (in_size - i >= 2 * 32 && out_size - o >= 3 * 32) {
		__m128i a = _mm_loadu_si128((const __m128i *)(in + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(in + i + 16));
		uint32_t lfs, crs, need, shift = 0;

		lfs =
		    (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(a, lf)) |
		    ((uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, lf)) << 16);
		crs =
		    (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(a, cr)) |
		    ((uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, cr)) << 16);
		need = lfs & ~((crs << 1) | carry);
		carry = crs >> 31;
		if (nuls) {
			/* NUL | 0x80 = 0x80, anything else unchanged */
			a = _mm_or_si128(
			    a, _mm_and_si128(_mm_cmpeq_epi8(a, zero), high));
			b = _mm_or_si128(
			    b, _mm_and_si128(_mm_cmpeq_epi8(b, zero), high));
		}
		_mm_storeu_si128((__m128i *)(out + o), a);
		_mm_storeu_si128((__m128i *)(out + o + 16), b);
		while (need != 0) {
			unsigned int k = (unsigned int)__builtin_ctz(need);
			unsigned char *dest = out + o + k + shift;

			need &= need - 1;
			a = _mm_loadu_si128((const __m128i *)(in + i + k));
			b = _mm_loadu_si128((const __m128i *)(in + i + k + 16));
			if (nuls) {
				a = _mm_or_si128(
				    a, _mm_and_si128(_mm_cmpeq_epi8(a, zero),
						     high));
				b = _mm_or_si128(
				    b, _mm_and_si128(_mm_cmpeq_epi8(b, zero),
						     high));
			}
			dest[0] = '\r';
			_mm_storeu_si128((__m128i *)(dest + 1), a);
			_mm_storeu_si128((__m128i *)(dest + 17), b);
			shift++;
		}
		i += 32;
		o += 32 + shift;
	}
	pos->i = i;
	pos->o = o;
}

/* The same with 64-byte blocks in two AVX2 registers: loads within
 * in[i, i + 128), stores within out[o, o + 192). */
__attribute__((target("avx2"))) static void
convert_blocks_avx2(const unsigned char *in, size_t in_size, unsigned char *out,
		    size_t out_size, bool nuls, struct crlf_pos *pos)
{
	const __m256i lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
	const __m256i zero = _mm256_setzero_si256();
	const __m256i high = _mm256_set1_epi8((char)0x80);
	size_t i = pos->i, o = pos->o;
	uint64_t carry = pos->last_cr ? 1 : 0;

	while (in_size - i >= 2 * 64 && out_size - o >= 3 * 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(in + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(in + i + 32));
		uint64_t lfs, crs, need;
		size_t shift = 0;

		lfs = (uint64_t)(uint32_t)_mm256_movemask_epi8(
			  _mm256_cmpeq_epi8(a, lf)) |
		      ((uint64_t)(uint32_t)_mm256_movemask_epi8(
			   _mm256_cmpeq_epi8(b, lf))
		       << 32);
		crs = (uint64_t)(uint32_t)_mm256_movemask_epi8(
			  _mm256_cmpeq_epi8(a, cr)) |
		      ((uint64_t)(uint32_t)_mm256_movemask_epi8(
			   _mm256_cmpeq_epi8(b, cr))
		       << 32);
		need = lfs & ~((crs << 1) | carry);
		carry = crs >> 63;
		if (nuls) {
			a = _mm256_or_si256(
			    a,
			    _mm256_and_si256(_mm256_cmpeq_epi8(a, zero), high));
			b = _mm256_or_si256(
			    b,
			    _mm256_and_si256(_mm256_cmpeq_epi8(b, zero), high));
		}
		_mm256_storeu_si256((__m256i *)(out + o), a);
		_mm256_storeu_si256((__m256i *)(out + o + 32), b);
		while (need != 0) {
			unsigned int k = (unsigned int)__builtin_ctzll(need);
			unsigned char *dest = out + o + k + shift;

			need &= need - 1;
			a = _mm256_loadu_si256((const __m256i *)(in + i + k));
			b = _mm256_loadu_si256(
			    (const __m256i *)(in + i + k + 32));
			if (nuls) {
				a = _mm256_or_si256(
				    a, _mm256_and_si256(
					   _mm256_cmpeq_epi8(a, zero), high));
				b = _mm256_or_si256(
				    b, _mm256_and_si256(
					   _mm256_cmpeq_epi8(b, zero), high));
			}
			dest[0] = '\r';
			_mm256_storeu_si256((__m256i *)(dest + 1), a);
			_mm256_storeu_si256((__m256i *)(dest + 33), b);
			shift++;
		}
		i += 64;
		o += 64 + shift;
	}
	/* no AVX state left dirty for SSE code that follows */
	_mm256_zeroupper();
	pos->i = i;
	pos->o = o;
}
#endif

/* 0 no vector code, 1 SSE2, 2 AVX2; -1 = not chosen yet (the best the
 * CPU has). Written once by the first conversion (any thread writes the
 * same value) or by a test. */
static int crlf_vector_level = -1;

static int vector_level_best(void)
{
#ifdef CRLF_BLOCKS
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") ? 2 : 1;
#else
	return 0;
#endif
}

void crlf_filter_set_vector_level(unsigned int max_level)
{
	int best = vector_level_best();

	__atomic_store_n(&crlf_vector_level,
			 (int)max_level < best ? (int)max_level : best,
			 __ATOMIC_RELAXED);
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
	bool nuls = filter->replace_nuls;
	struct crlf_pos pos = {0, 0, filter->last_cr};

#ifdef CRLF_BLOCKS
	int level = __atomic_load_n(&crlf_vector_level, __ATOMIC_RELAXED);

	if (level < 0) {
		level = vector_level_best();
		__atomic_store_n(&crlf_vector_level, level, __ATOMIC_RELAXED);
	}
	if (level == 2)
		convert_blocks_avx2(in, in_size, out, out_size, nuls, &pos);
	else if (level == 1)
		convert_blocks_sse2(in, in_size, out, out_size, nuls, &pos);
	if (pos.i > 0)
		pos.last_cr = in[pos.i - 1] == '\r';
#endif
	/* the rest: a short tail where a block did not fit, or all of it
	 * without vector code; NULs are rare, so one scan for them first */
	if (nuls && pos.i < in_size)
		nuls = memchr(in + pos.i, '\0', in_size - pos.i) != NULL;
	while (pos.i < in_size && pos.o < out_size) {
		const unsigned char *lf;
		size_t n;

		if (in[pos.i] == '\n') {
			if (pos.last_cr) {
				out[pos.o++] = '\n';
			} else {
				if (out_size - pos.o < 2)
					break;
				out[pos.o++] = '\r';
				out[pos.o++] = '\n';
			}
			pos.last_cr = false;
			pos.i++;
			continue;
		}
		/* in[i] starts a run of bytes that ends before the next LF,
		 * the end of the input or the end of the room in out */
		n = MIN_OF(in_size - pos.i, out_size - pos.o);
		lf = memchr(in + pos.i, '\n', n);
		if (lf != NULL)
			n = (size_t)(lf - (in + pos.i));
		memcpy(out + pos.o, in + pos.i, n);
		if (nuls)
			replace_nuls(out + pos.o, n);
		pos.o += n;
		pos.i += n;
		pos.last_cr = in[pos.i - 1] == '\r';
	}
	filter->last_cr = pos.last_cr;
	*in_used_r = pos.i;
	return pos.o;
}
