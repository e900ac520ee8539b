/* test-pop3-fetch.c - the RETR/TOP byte filter: LF to CR LF, dot-stuffing,
 * the final ".", and TOP's line count, with input and output buffers cut
 * at every position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "pop3-fetch.h"

#define RETR UINT64_MAX

struct fetch_case {
	const char *input;
	uint64_t top_lines; /* RETR = whole message */
	const char *expected;
};

static const struct fetch_case fetch_cases[] = {
    {"", RETR, ".\r\n"},
    {"a", RETR, "a\r\n.\r\n"},
    {"a\n", RETR, "a\r\n.\r\n"},
    {"a\r\n", RETR, "a\r\n.\r\n"},
    {"Subject: x\n\nbody\n", RETR, "Subject: x\r\n\r\nbody\r\n.\r\n"},
    {"H: 1\r\n\r\nline\r\n", RETR, "H: 1\r\n\r\nline\r\n.\r\n"},
    {".\n", RETR, "..\r\n.\r\n"},
    {"H: 1\n\n.\n..x\n.", RETR, "H: 1\r\n\r\n..\r\n...x\r\n..\r\n.\r\n"},
    {"a.b\n x.\n", RETR, "a.b\r\n x.\r\n.\r\n"},
    {"bare\rcr\n", RETR, "bare\rcr\r\n.\r\n"},
    {"\r.\n", RETR, "\r.\r\n.\r\n"},
    {"\n\n\n", RETR, "\r\n\r\n\r\n.\r\n"},
    {"mixed\r\nlf\nend", RETR, "mixed\r\nlf\r\nend\r\n.\r\n"},
    /* files already in CR LF form, with and without dots to stuff */
    {"H: 1\r\n\r\nbody line\r\nmore\r\n", RETR,
     "H: 1\r\n\r\nbody line\r\nmore\r\n.\r\n"},
    {"H: 1\r\n\r\n.\r\n..\r\n.x.\r\n", RETR,
     "H: 1\r\n\r\n..\r\n...\r\n..x.\r\n.\r\n"},
    {".a\r\n.b\n.c", RETR, "..a\r\n..b\r\n..c\r\n.\r\n"},
    {"long line without any line end at all", RETR,
     "long line without any line end at all\r\n.\r\n"},
    {"x\r\r\n.\r\r\n", RETR, "x\r\r\n..\r\r\n.\r\n"},
    {"\r\n\r\n.", RETR, "\r\n\r\n..\r\n.\r\n"},
    {"a\n\r\n\n.\n", RETR, "a\r\n\r\n\r\n..\r\n.\r\n"},
    /* TOP */
    {"H: 1\nH: 2\n\nb1\nb2\nb3\n", 0, "H: 1\r\nH: 2\r\n\r\n.\r\n"},
    {"H: 1\nH: 2\n\nb1\nb2\nb3\n", 1, "H: 1\r\nH: 2\r\n\r\nb1\r\n.\r\n"},
    {"H: 1\nH: 2\n\nb1\nb2\nb3\n", 2, "H: 1\r\nH: 2\r\n\r\nb1\r\nb2\r\n.\r\n"},
    {"H: 1\nH: 2\n\nb1\nb2\nb3\n", 3,
     "H: 1\r\nH: 2\r\n\r\nb1\r\nb2\r\nb3\r\n.\r\n"},
    {"H: 1\nH: 2\n\nb1\nb2\nb3\n", 100,
     "H: 1\r\nH: 2\r\n\r\nb1\r\nb2\r\nb3\r\n.\r\n"},
    {"H: 1\r\n\r\nb1\r\nb2\r\n", 1, "H: 1\r\n\r\nb1\r\n.\r\n"},
    {"H: 1\nno body", 0, "H: 1\r\nno body\r\n.\r\n"},
    {"H: 1\n\nno end", 5, "H: 1\r\n\r\nno end\r\n.\r\n"},
    {"\nbody1\nbody2\n", 1, "\r\nbody1\r\n.\r\n"},
    {"H: 1\n\n\n\nx\n", 2, "H: 1\r\n\r\n\r\n\r\n.\r\n"},
    {"H: 1\n\n.dot\n.\n", 2, "H: 1\r\n\r\n..dot\r\n..\r\n.\r\n"},
    {"H: 1\r\n\r\n", 0, "H: 1\r\n\r\n.\r\n"},
};

/* Runs the filter with input cut into pieces of in_step bytes and an
 * output buffer of out_size bytes, and returns the whole output. */
static const char *run_filter(pool_t pool, const struct fetch_case *tc,
			      size_t in_step, size_t out_size)
{
	struct pop3_fetch_filter filter;
	const unsigned char *in = (const unsigned char *)tc->input;
	size_t in_len = strlen(tc->input), pos = 0;
	unsigned char out[64], end[POP3_FETCH_FINISH_MAX];
	string_t *result = str_new(pool, 128);
	unsigned int loops = 0;

	assert_true(out_size <= sizeof(out));
	pop3_fetch_filter_init(&filter, tc->top_lines != RETR, tc->top_lines);
	while (pos < in_len) {
		size_t chunk = MIN_OF(in_step, in_len - pos), used = 0;
		size_t n = pop3_fetch_filter_run(&filter, in + pos, chunk,
						 &used, out, out_size);

		assert_true(used <= chunk);
		assert_true(n <= out_size);
		assert_true(used > 0 || n > 0 || filter.done);
		str_append_n(result, out, n);
		pos += used;
		assert_true(++loops < 10000);
	}
	str_append_n(result, end, pop3_fetch_filter_finish(&filter, end));
	return str_c(result);
}

static void test_fetch_whole(void **state)
{
	pool_t pool = pool_create("test", 1024);

	for (unsigned int i = 0; i < N_ELEMENTS(fetch_cases); i++) {
		assert_string_equal(run_filter(pool, &fetch_cases[i], 1000, 64),
				    fetch_cases[i].expected);
	}
	pool_unref(&pool);
}

static void test_fetch_all_boundaries(void **state)
{
	pool_t pool = pool_create("test", 1024);

	for (unsigned int i = 0; i < N_ELEMENTS(fetch_cases); i++) {
		for (size_t in_step = 1; in_step <= 8; in_step++) {
			for (size_t out_size = 2; out_size <= 9; out_size++) {
				assert_string_equal(
				    run_filter(pool, &fetch_cases[i], in_step,
					       out_size),
				    fetch_cases[i].expected);
			}
		}
	}
	pool_unref(&pool);
}

/* A large message streamed through small buffers: the output equals the
 * transformation done in one go, and the filter never needs more. */
static void test_fetch_large(void **state)
{
	pool_t pool = pool_create("test", 1 << 16);
	string_t *msg = str_new(pool, 1 << 16), *want = str_new(pool, 1 << 17);
	struct fetch_case tc;

	str_append(msg, "Subject: big\n\n");
	str_append(want, "Subject: big\r\n\r\n");
	for (unsigned int i = 0; i < 2000; i++) {
		str_printfa(msg, "%s%u\n", i % 7 == 0 ? "." : "", i);
		str_printfa(want, "%s%u\r\n", i % 7 == 0 ? ".." : "", i);
	}
	str_append(want, ".\r\n");
	tc.input = str_c(msg);
	tc.top_lines = RETR;
	tc.expected = str_c(want);
	assert_string_equal(run_filter(pool, &tc, 4096, 64), tc.expected);
	assert_string_equal(run_filter(pool, &tc, 3, 7), tc.expected);
	pool_unref(&pool);
}

/* The transformation byte by byte, as RFC 1939 states it: the reference
 * the filter's run-copying must agree with. */
static void reference_retr(const unsigned char *in, size_t len, string_t *dest)
{
	unsigned char last = '\n';

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\n') {
			if (last != '\r')
				str_append_c(dest, '\r');
			str_append_c(dest, '\n');
		} else {
			if (in[i] == '.' && last == '\n')
				str_append_c(dest, '.');
			str_append_c(dest, (char)in[i]);
		}
		last = in[i];
	}
	if (last != '\n')
		str_append(dest, "\r\n");
	str_append(dest, ".\r\n");
}

/* Random messages made of the bytes that matter (LF, CR, '.') and plain
 * ones, LF and CR LF files alike, cut at random input and output sizes:
 * the output always equals the reference. */
static void test_fetch_random(void **state)
{
	static const char alphabet[] = "\n\n\r..abc";
	pool_t pool = pool_create("test", 1 << 16);
	unsigned int seed = 12345;

	for (unsigned int round = 0; round < 2000; round++) {
		string_t *msg = str_new(pool, 256), *want = str_new(pool, 512);
		size_t len = (seed = seed * 1103515245 + 12345) % 200;
		bool crlf = round % 2 == 0;
		struct fetch_case tc;

		for (size_t i = 0; i < len; i++) {
			char c = alphabet[(seed = seed * 1103515245 + 12345) %
					  (sizeof(alphabet) - 1)];

			if (c == '\n' && crlf)
				str_append_c(msg, '\r');
			str_append_c(msg, c);
		}
		reference_retr(str_data(msg), str_len(msg), want);
		tc.input = str_c(msg);
		tc.top_lines = RETR;
		tc.expected = str_c(want);
		for (size_t in_step = 1; in_step <= 13; in_step += 3) {
			for (size_t out_size = 2; out_size <= 64;
			     out_size = out_size * 2 + 1) {
				assert_string_equal(
				    run_filter(pool, &tc, in_step, out_size),
				    tc.expected);
			}
		}
		assert_string_equal(run_filter(pool, &tc, 1000, 64),
				    tc.expected);
		pool_clear(pool);
	}
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fetch_whole),
	    cmocka_unit_test(test_fetch_all_boundaries),
	    cmocka_unit_test(test_fetch_large),
	    cmocka_unit_test(test_fetch_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
