/* test-imap-seqset.c - sequence sets: parsing, "*" resolution, merging,
 * counting, membership and iteration, including ranges up to 2^32-1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "imap-seqset.h"

struct seqset_case {
	const char *input;
	uint32_t star;
	const char *resolved; /* NULL = parse error */
	uint64_t count;
};

static const struct seqset_case cases[] = {
    {"1", 10, "1", 1},
    {"1:*", 10, "1:10", 10},
    {"*", 10, "10", 1},
    {"*:5", 10, "5:10", 6},
    {"5:*", 3, "3:5", 3},
    {"*:*", 7, "7", 1},
    {"3,5:7", 10, "3,5:7", 4},
    {"7:5,3", 10, "3,5:7", 4},
    {"1:3,2:6,8,9,10:12", 100, "1:6,8:12", 11},
    {"4,3,2,1", 10, "1:4", 4},
    {"1:4294967295", 1, "1:4294967295", 4294967295ULL},
    {"4294967295,1:4294967294", 1, "1:4294967295", 4294967295ULL},
    {"4294967295:*", 4294967295u, "4294967295", 1},
    {"2,*", 1, "1:2", 2},
    {"", 1, NULL, 0},
    {"0", 1, NULL, 0},
    {"0:5", 1, NULL, 0},
    {"01", 1, NULL, 0},
    {"4294967296", 1, NULL, 0},
    {"99999999999999999999", 1, NULL, 0},
    {"1,", 1, NULL, 0},
    {",1", 1, NULL, 0},
    {"1::2", 1, NULL, 0},
    {"1:", 1, NULL, 0},
    {":1", 1, NULL, 0},
    {"1 2", 1, NULL, 0},
    {"-1", 1, NULL, 0},
    {"1:2:3", 1, NULL, 0},
    {"**", 1, NULL, 0},
    {"$,1", 1, NULL, 0},
    {"1:$", 1, NULL, 0},
};

static void test_seqset_cases(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		const struct seqset_case *tc = &cases[i];
		pool_t pool = pool_create("test", 256);
		struct imap_seqset set;
		const char *error = NULL;
		string_t *out = str_new(pool, 64);
		int ret = imap_seqset_parse(pool, tc->input, &set, &error);

		if (tc->resolved == NULL) {
			if (ret != -1)
				fail_msg("'%s' parsed", tc->input);
			assert_non_null(error);
			pool_unref(&pool);
			continue;
		}
		if (ret != 0)
			fail_msg("'%s': %s", tc->input, error);
		imap_seqset_resolve(&set, tc->star);
		imap_seqset_append(out, &set);
		if (strcmp(str_c(out), tc->resolved) != 0)
			fail_msg("'%s': got %s", tc->input, str_c(out));
		assert_true(imap_seqset_count(&set) == tc->count);
		pool_unref(&pool);
	}
}

static void test_seqset_searchres_and_unresolved(void **state)
{
	pool_t pool = pool_create("test", 256);
	struct imap_seqset set;
	const char *error;
	string_t *out = str_new(pool, 64);

	assert_int_equal(imap_seqset_parse(pool, "$", &set, &error), 0);
	assert_true(set.searchres);
	assert_int_equal(set.count, 0);
	imap_seqset_append(out, &set);
	assert_string_equal(str_c(out), "$");

	str_clear(out);
	assert_int_equal(imap_seqset_parse(pool, "*:4,1:*,*", &set, &error), 0);
	assert_true(set.has_star);
	imap_seqset_append(out, &set);
	assert_string_equal(str_c(out), "4:*,1:*,*");
	pool_unref(&pool);
}

static void test_seqset_contains_iter(void **state)
{
	pool_t pool = pool_create("test", 256);
	struct imap_seqset set;
	struct imap_seqset_iter iter;
	const char *error;
	uint32_t num, expect[] = {2, 3, 4, 10, 4294967294u, 4294967295u};
	unsigned int n = 0;

	assert_int_equal(
	    imap_seqset_parse(pool, "4294967294:*,10,2:4", &set, &error), 0);
	imap_seqset_resolve(&set, 4294967295u);
	assert_true(imap_seqset_contains(&set, 2));
	assert_true(imap_seqset_contains(&set, 4));
	assert_true(imap_seqset_contains(&set, 10));
	assert_true(imap_seqset_contains(&set, 4294967295u));
	assert_false(imap_seqset_contains(&set, 1));
	assert_false(imap_seqset_contains(&set, 5));
	assert_false(imap_seqset_contains(&set, 11));
	assert_false(imap_seqset_contains(&set, 4294967293u));
	assert_int_equal(imap_seqset_max(&set), 4294967295u);

	/* the iterator stops after 2^32-1 without wrapping */
	imap_seqset_iter_init(&iter, &set);
	while (imap_seqset_iter_next(&iter, &num)) {
		assert_true(n < N_ELEMENTS(expect));
		assert_int_equal(num, expect[n++]);
	}
	assert_int_equal(n, N_ELEMENTS(expect));
	assert_false(imap_seqset_iter_next(&iter, &num));

	/* a huge range costs one entry */
	assert_int_equal(imap_seqset_parse(pool, "1:*", &set, &error), 0);
	imap_seqset_resolve(&set, 4294967295u);
	assert_int_equal(set.count, 1);
	assert_true(imap_seqset_count(&set) == 4294967295ULL);
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seqset_cases),
	    cmocka_unit_test(test_seqset_searchres_and_unresolved),
	    cmocka_unit_test(test_seqset_contains_iter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
