/* test-crlf.c - the LF to CR LF filter: table cases, and random input
 * (short runs, and long ones for the block copy) fed in random pieces into
 * random output room compared with a byte at a time reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "crlf.h"

#include <limits.h>

/* The definition: every LF not preceded by CR gets one; NUL -> 0x80. */
static size_t reference(const unsigned char *in, size_t size, bool nuls,
			unsigned char *out)
{
	bool last_cr = false;
	size_t o = 0;

	for (size_t i = 0; i < size; i++) {
		unsigned char c = in[i];

		if (c == '\n' && !last_cr)
			out[o++] = '\r';
		if (c == '\0' && nuls)
			c = 0x80;
		out[o++] = c;
		last_cr = c == '\r';
	}
	return o;
}

/* Runs the filter over in, in pieces of at most in_piece bytes into room
 * of at most out_room bytes at a time. */
static size_t run_pieces(const unsigned char *in, size_t size, bool nuls,
			 size_t in_piece, size_t out_room, unsigned char *out)
{
	struct crlf_filter filter;
	size_t i = 0, o = 0;

	crlf_filter_init(&filter, nuls);
	while (i < size) {
		size_t n = MIN_OF(size - i, in_piece), used;
		size_t w = crlf_filter_run(&filter, in + i, n, &used, out + o,
					   out_room);

		assert_true(used <= n);
		assert_true(w <= out_room);
		if (out_room >= 2)
			assert_true(used > 0);
		assert_true(used > 0 || out_room < 2);
		i += used;
		o += w;
	}
	return o;
}

static void test_table(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", ""},
	    {"a", "a"},
	    {"\n", "\r\n"},
	    {"a\nb\n", "a\r\nb\r\n"},
	    {"a\r\nb", "a\r\nb"},
	    {"\r", "\r"},
	    {"\r\r\n", "\r\r\n"},
	    {"\n\n\n", "\r\n\r\n\r\n"},
	    {"a\rb\n", "a\rb\r\n"},
	    {"x\r\n\ny", "x\r\n\r\ny"},
	};
	unsigned char out[64];

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		const unsigned char *in = (const unsigned char *)cases[i].in;
		size_t len = strlen(cases[i].in);

		for (size_t piece = 1; piece <= len + 1; piece++) {
			for (size_t room = 2; room <= 2 * len + 2; room++) {
				size_t n = run_pieces(in, len, false, piece,
						      room, out);

				assert_int_equal(n, strlen(cases[i].out));
				assert_memory_equal(out, cases[i].out, n);
			}
		}
	}
}

static void test_nuls(void **state)
{
	static const unsigned char in[] = {'a', 0, '\n', 0, 0, 'b'};
	static const unsigned char want[] = {'a',  0x80, '\r', '\n',
					     0x80, 0x80, 'b'};
	unsigned char out[32];
	struct crlf_filter filter;
	size_t used, n;

	(void)state;
	n = run_pieces(in, sizeof(in), true, 64, 64, out);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, n);
	/* without replacement NULs pass */
	crlf_filter_init(&filter, false);
	n = crlf_filter_run(&filter, in, sizeof(in), &used, out, sizeof(out));
	assert_int_equal(used, sizeof(in));
	assert_int_equal(n, sizeof(in) + 1);
	assert_int_equal(out[1], 0);
}

/* An LF with one byte of room left waits for more room. */
static void test_room(void **state)
{
	struct crlf_filter filter;
	unsigned char out[4];
	size_t used, n;

	(void)state;
	crlf_filter_init(&filter, false);
	n = crlf_filter_run(&filter, (const unsigned char *)"ab\n", 3, &used,
			    out, 3);
	assert_int_equal(n, 2);
	assert_int_equal(used, 2);
	n = crlf_filter_run(&filter, (const unsigned char *)"\n", 1, &used, out,
			    1);
	assert_int_equal(n, 0);
	assert_int_equal(used, 0);
	n = crlf_filter_run(&filter, (const unsigned char *)"\n", 1, &used, out,
			    2);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\r\n", 2);
}

static void test_random(void **state)
{
	static const unsigned char alphabet[] = {'a', 'b', '\r', '\n', 0, '.'};
	unsigned char in[600], want[1200], got[1200];
	unsigned int seed = 12345;

	(void)state;
	for (unsigned int round = 0; round < 2000; round++) {
		size_t len, wlen, glen, piece, room;
		bool nuls = (round & 1) != 0;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % sizeof(in);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly text, with line ends and NULs */
			in[i] = (seed >> 16) % 4 == 0
				    ? alphabet[(seed >> 8) % sizeof(alphabet)]
				    : (unsigned char)('a' + (seed >> 20) % 26);
		}
		seed = seed * 1103515245u + 12345u;
		piece = 1 + (seed >> 8) % 700;
		room = 2 + (seed >> 4) % 1300;
		wlen = reference(in, len, nuls, want);
		crlf_filter_set_vector_level(round % 3);
		glen = run_pieces(in, len, nuls, piece, room, got);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
	}
	crlf_filter_set_vector_level(UINT_MAX);
}

/* Long runs between line ends (the block copy), a line end or NUL at
 * every position of a block, in pieces and into room of every size. */
static void test_long_runs(void **state)
{
	unsigned char in[4096], want[8192], got[8192];
	unsigned int seed = 777;

	(void)state;
	for (unsigned int round = 0; round < 6000; round++) {
		size_t len, wlen, glen, piece, room, pos = 0;
		bool nuls = (round & 1) != 0;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % sizeof(in);
		while (pos < len) {
			size_t run;

			seed = seed * 1103515245u + 12345u;
			run = (seed >> 8) % 150;
			for (size_t i = 0; i < run && pos < len; i++)
				in[pos++] = (unsigned char)('A' + i % 50);
			if (pos == len)
				break;
			/* LF, CR LF, bare CR, NUL, CR CR LF */
			switch ((seed >> 20) % 5) {
			case 0:
				in[pos++] = '\n';
				break;
			case 1:
				in[pos++] = '\r';
				if (pos < len)
					in[pos++] = '\n';
				break;
			case 2:
				in[pos++] = '\r';
				break;
			case 3:
				in[pos++] = '\0';
				break;
			default:
				in[pos++] = '\r';
				if (pos < len)
					in[pos++] = '\r';
				if (pos < len)
					in[pos++] = '\n';
				break;
			}
		}
		seed = seed * 1103515245u + 12345u;
		piece = 1 + (seed >> 8) % (round % 3 == 0 ? 40 : 5000);
		room = 2 + (seed >> 4) % (round % 5 == 0 ? 40 : 9000);
		wlen = reference(in, len, nuls, want);
		/* each vector level in turn (those the CPU lacks give the
		 * best it has) */
		crlf_filter_set_vector_level(round % 3);
		glen = run_pieces(in, len, nuls, piece, room, got);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
	}
	crlf_filter_set_vector_level(UINT_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),     cmocka_unit_test(test_nuls),
	    cmocka_unit_test(test_room),      cmocka_unit_test(test_random),
	    cmocka_unit_test(test_long_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
