/* test-pool.c - arena pools: zeroing, alignment, in-place realloc, clear,
 * refcounting and string helpers. */
#include "lib.h"
#include "pool.h"

#include <setjmp.h>
#include <cmocka.h>

static void test_alloc_aligned_zeroed(void **state)
{
	pool_t pool = pool_create("test", 64);
	static const size_t sizes[] = {1, 3, 15, 16, 17, 100, 1000, 70000};

	for (unsigned int i = 0; i < N_ELEMENTS(sizes); i++) {
		unsigned char *p = p_malloc(pool, sizes[i]);

		assert_int_equal((uintptr_t)p % 16, 0);
		for (size_t j = 0; j < sizes[i]; j++)
			assert_int_equal(p[j], 0);
		memset(p, 0xaa, sizes[i]);
	}
	assert_true(pool_get_used_size(pool) >= 70000);
	pool_unref(&pool);
	assert_null(pool);
}

static void test_p_realloc(void **state)
{
	pool_t pool = pool_create("test", 1024);
	char *a = p_malloc(pool, 10);
	char *b;

	memcpy(a, "123456789", 10);
	/* last allocation grows in place */
	b = p_realloc(pool, a, 10, 100);
	assert_ptr_equal(a, b);
	assert_string_equal(b, "123456789");
	for (int i = 10; i < 100; i++)
		assert_int_equal(b[i], 0);
	/* not the last one any more: moves and copies */
	char *c = p_malloc(pool, 8);
	char *d = p_realloc(pool, b, 100, 200);
	assert_ptr_not_equal(d, b);
	assert_string_equal(d, "123456789");
	(void)c;
	/* grow past the block */
	char *e = p_realloc(pool, d, 200, 5000);
	assert_string_equal(e, "123456789");
	assert_int_equal(e[4999], 0);
	pool_unref(&pool);
}

static void test_clear_ref(void **state)
{
	pool_t pool = pool_create("test", 128);
	pool_t secure = pool_create_secure("secure", 128);
	size_t first;

	first = pool_get_used_size(pool);
	for (int i = 0; i < 100; i++)
		(void)p_malloc(pool, 100);
	assert_true(pool_get_used_size(pool) > first);
	pool_clear(pool);
	assert_int_equal(pool_get_used_size(pool), first);
	char *s = p_strdup(pool, "after clear");
	assert_string_equal(s, "after clear");

	pool_ref(pool);
	pool_t copy = pool;
	pool_unref(&copy);
	assert_null(copy);
	assert_string_equal(s, "after clear");
	pool_unref(&pool);

	char *pw = p_strdup(secure, "secret");
	pw = p_realloc(secure, pw, 7, 3000);
	assert_string_equal(pw, "secret");
	pool_clear(secure);
	pool_unref(&secure);
}

static void test_strings(void **state)
{
	pool_t pool = pool_create("test", 64);
	char **arr;

	assert_null(p_strdup(pool, NULL));
	assert_string_equal(p_strndup(pool, "abcdef", 3), "abc");
	assert_string_equal(p_strdup_printf(pool, "%d-%s", 42, "x"), "42-x");
	assert_string_equal(p_strconcat(pool, "a", "bc", "", "d", NULL),
			    "abcd");

	arr = p_strsplit(pool, "a,,b,", ",");
	assert_int_equal(str_array_length((const char *const *)arr), 4);
	assert_string_equal(arr[0], "a");
	assert_string_equal(arr[1], "");
	assert_string_equal(arr[2], "b");
	assert_string_equal(arr[3], "");

	arr = p_strsplit_spaces(pool, "  one two\t three  ", " \t");
	assert_int_equal(str_array_length((const char *const *)arr), 3);
	assert_string_equal(arr[2], "three");

	arr = p_strsplit_spaces(pool, "", " ");
	assert_int_equal(str_array_length((const char *const *)arr), 0);
	unsigned char *m = p_memdup(pool, "\0\1\2", 3);
	assert_int_equal(m[2], 2);
	pool_unref(&pool);
}

static void test_lib_helpers(void **state)
{
	static const struct {
		const char *in;
		int ret;
		unsigned int val;
	} uints[] = {
	    {"0", 0, 0},	   {"4294967295", 0, 4294967295u},
	    {"4294967296", -1, 0}, {"", -1, 0},
	    {"-1", -1, 0},	   {"12a", -1, 0},
	    {" 1", -1, 0},	   {"007", 0, 7},
	};
	for (unsigned int i = 0; i < N_ELEMENTS(uints); i++) {
		unsigned int v = 0;

		assert_int_equal(str_to_uint(uints[i].in, &v), uints[i].ret);
		if (uints[i].ret == 0)
			assert_int_equal(v, uints[i].val);
	}
	int iv;
	assert_int_equal(str_to_int("-2147483648", &iv), 0);
	assert_int_equal(iv, -2147483647 - 1);
	assert_int_equal(str_to_int("2147483648", &iv), -1);
	uint64_t u64;
	assert_int_equal(str_to_uint64("18446744073709551615", &u64), 0);
	assert_int_equal(str_to_uint64("18446744073709551616", &u64), -1);

	assert_true(mem_equals_timing_safe("abc", "abc", 3));
	assert_false(mem_equals_timing_safe("abc", "abd", 3));
	char secret[8] = "secret";
	safe_memset0(secret, sizeof(secret));
	assert_int_equal(secret[0], 0);
	assert_int_equal(size_add(1, 2), 3);
	char *h = i_strdup_printf("%s=%d", "x", 5);
	assert_string_equal(h, "x=5");
	i_free(h);
	assert_null(h);
	assert_true(time_now_msecs() > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc_aligned_zeroed),
	    cmocka_unit_test(test_p_realloc),
	    cmocka_unit_test(test_clear_ref),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_lib_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
