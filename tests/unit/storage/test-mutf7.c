/* Unit tests for modified UTF-7 (RFC 3501 5.1.3): table of valid pairs both
 * ways, and invalid inputs each direction refuses. */
#include "lib.h"
#include "str.h"
#include "mutf7.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static const struct {
	const char *utf8, *mutf7;
} pairs[] = {
    {"INBOX", "INBOX"},
    {"", ""},
    {"a&b", "a&-b"},
    {"&", "&-"},
    {"B\xc3\xa4"
     "d&Name",
     "B&AOQ-d&-Name"},
    {"\xe5\x8f\xb0\xe5\x8c\x97", "&U,BTFw-"},
    {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa"
     "\x9e",
     "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
    {"\xf0\x9f\x98\x80", "&2D3eAA-"},
    {"x\xc3\xa9y\xc3\xa9", "x&AOk-y&AOk-"},
    {"\t", "&AAk-"},
    {"\xc3\xa4\xc3\xa4\xc3\xa4", "&AOQA5ADk-"},
};

static void test_pairs(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(pairs); i++) {
		string_t *str = str_new(NULL, 16);

		assert_int_equal(mutf7_from_utf8(pairs[i].utf8, str), 0);
		assert_string_equal(str_c(str), pairs[i].mutf7);
		str_truncate(str, 0);
		assert_int_equal(mutf7_to_utf8(pairs[i].mutf7, str), 0);
		assert_string_equal(str_c(str), pairs[i].utf8);
		assert_true(mutf7_is_valid(pairs[i].mutf7));
		str_free(&str);
	}
}

static void test_invalid_mutf7(void **state)
{
	static const char *const bad[] = {
	    "&",	  /* unterminated */
	    "&AOQ",	  /* unterminated run */
	    "&AOQ-&AOQ-", /* adjacent runs must be one */
	    "&AGE-",	  /* 'a' encoded */
	    "&AOR-",	  /* non-zero padding bits */
	    "&2D0-",	  /* lone high surrogate */
	    "&3gA-",	  /* lone low surrogate */
	    "&A=Q-",	  /* not base64 */
	    "a\x80",	  /* raw 8-bit */
	    "a\tb",	  /* raw control */
	    "&AOQAAAA-",  /* padding too long: 6+ leftover bits */
	};

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(bad); i++) {
		string_t *str = str_new(NULL, 16);

		assert_int_equal(mutf7_to_utf8(bad[i], str), -1);
		assert_false(mutf7_is_valid(bad[i]));
		str_free(&str);
	}
}

static void test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
	    "\xc3",		/* truncated */
	    "\xc0\xaf",		/* overlong */
	    "\xed\xa0\x80",	/* surrogate */
	    "\xf4\x90\x80\x80", /* > U+10FFFF */
	    "\xff",
	};

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(bad); i++) {
		string_t *str = str_new(NULL, 16);

		assert_int_equal(mutf7_from_utf8(bad[i], str), -1);
		str_free(&str);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pairs),
	    cmocka_unit_test(test_invalid_mutf7),
	    cmocka_unit_test(test_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
