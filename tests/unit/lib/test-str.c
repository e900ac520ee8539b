/* test-str.c - string_t growth, printf, truncation, deletion, tab
 * escaping and the small C string helpers. */
#include "lib.h"
#include "str.h"

#include <setjmp.h>
#include <cmocka.h>

static void test_append(void **state)
{
	pool_t pool = pool_create("test", 32);
	string_t *str = str_new(pool, 2);

	for (int i = 0; i < 1000; i++)
		str_append_c(str, (char)('a' + i % 26));
	assert_int_equal(str_len(str), 1000);
	assert_int_equal(str_c(str)[1000], '\0');
	str_truncate(str, 3);
	assert_string_equal(str_c(str), "abc");
	str_append_n(str, "d\0e", 3);
	assert_int_equal(str_len(str), 6);
	assert_memory_equal(str_data(str), "abcd\0e", 6);
	str_clear(str);
	str_printfa(str, "%s:%05d", "x", 42);
	assert_string_equal(str_c(str), "x:00042");
	/* long printf goes past the internal stack buffer */
	str_clear(str);
	str_printfa(str, "%0500d|%s", 7, "end");
	assert_int_equal(str_len(str), 504);
	assert_string_equal(str_c(str) + 500, "|end");

	str_clear(str);
	str_append(str, "hello world");
	str_delete(str, 2, 3);
	assert_string_equal(str_c(str), "he world");
	str_delete(str, 5, 100);
	assert_string_equal(str_c(str), "he wo");

	unsigned char *p = str_reserve(str, 3);
	memcpy(p, "xyz", 3);
	str_commit(str, 3);
	assert_string_equal(str_c(str), "he woxyz");

	string_t *other = str_new(pool, 0);
	str_append_str(other, str);
	assert_string_equal(str_c(other), "he woxyz");
	pool_unref(&pool);
}

static void test_heap_secure(void **state)
{
	string_t *str = str_new_secure(4);

	for (int i = 0; i < 100; i++)
		str_append(str, "secret");
	assert_int_equal(str_len(str), 600);
	str_free(&str);
	assert_null(str);

	str = str_new(NULL, 0);
	str_append(str, "heap");
	assert_string_equal(str_c(str), "heap");
	str_free(&str);
}

static void test_helpers(void **state)
{
	const char *suffix;
	char buf[16];

	assert_true(str_begins("USER joe", "USER ", &suffix));
	assert_string_equal(suffix, "joe");
	assert_false(str_begins("USE", "USER", &suffix));
	assert_true(str_begins_icase("user joe", "USER"));
	strcpy(buf, "MiXeD");
	assert_string_equal(str_lcase(buf), "mixed");
	assert_string_equal(str_ucase(buf), "MIXED");
}

static void test_tabescape(void **state)
{
	static const struct {
		const char *in, *out;
	} tests[] = {
	    {"", ""},
	    {"plain", "plain"},
	    {"a\tb", "a\001tb"},
	    {"\r\n", "\001r\001n"},
	    {"\001x", "\0011x"},
	    {"ab\tcd\t", "ab\001tcd\001t"},
	    {"x\n\n\001yz", "x\001n\001n\0011yz"},
	};
	pool_t pool = pool_create("test", 64);

	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		string_t *str = str_new(pool, 8);

		str_append_tabescaped(str, tests[i].in);
		assert_string_equal(str_c(str), tests[i].out);
		assert_string_equal(str_tabunescape(pool, str_c(str)),
				    tests[i].in);
	}
	pool_unref(&pool);
}

static void test_append_uint(void **state)
{
	pool_t pool = pool_create("test", 64);
	string_t *str = str_new(pool, 4);

	(void)state;
	str_append_uint(str, 0);
	str_append_c(str, ' ');
	str_append_uint(str, 7);
	str_append_c(str, ' ');
	str_append_uint(str, 4294967295U);
	str_append_c(str, ' ');
	str_append_uint(str, 18446744073709551615ULL);
	assert_string_equal(str_c(str), "0 7 4294967295 18446744073709551615");
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append),
	    cmocka_unit_test(test_heap_secure),
	    cmocka_unit_test(test_helpers),
	    cmocka_unit_test(test_tabescape),
	    cmocka_unit_test(test_append_uint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
