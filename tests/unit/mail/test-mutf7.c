/* test-mutf7.c - modified UTF-7 both ways with RFC 3501 section
 * 5.1.3's examples, the non-canonical forms that must be refused, and
 * UTF-8 validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "str.h"
#include "mutf7.h"

struct pair {
	const char *utf8, *utf7;
};

static const struct pair pairs[] = {
    {"", ""},
    {"INBOX", "INBOX"},
    {"&", "&-"},
    {"a&b&&", "a&-b&-&-"},
    {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
     "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
     "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
    {"Entw\xc3\xbc"
     "rfe",
     "Entw&APw-rfe"},
    {"\xc3\xa4", "&AOQ-"},
    {"\xc3\xa4\xc3\xb6\xc3\xbc", "&AOQA9gD8-"},
    {"\xf0\x9f\x98\x80", "&2D3eAA-"},
    {"a\xf0\x9f\x98\x80z", "a&2D3eAA-z"},
    {"\x7f", "&AH8-"},
    {"tab\there", "tab&AAk-here"},
    {"Sent &\xc3\xa4", "Sent &-&AOQ-"},
    {"a&b", "a&-b"},
    {"B\xc3\xa4"
     "d&Name",
     "B&AOQ-d&-Name"},
    {"\xe5\x8f\xb0\xe5\x8c\x97", "&U,BTFw-"},
    {"x\xc3\xa9y\xc3\xa9", "x&AOk-y&AOk-"},
    {"\t", "&AAk-"},
    {"\xc3\xa4\xc3\xa4\xc3\xa4", "&AOQA5ADk-"},
};

static const char *const bad_utf7[] = {
    "&",	   /* unterminated */
    "&AOQ",	   /* unterminated */
    "&AOQ-&",	   /* unterminated */
    "&AGE-",	   /* 'a' encoded */
    "&ACY-",	   /* '&' encoded */
    "&AOR-",	   /* non-zero padding bits */
    "&AOQA-",	   /* extra base64 char */
    "&AOQA9g-x&=", /* a bare & */
    "&2D0-",	   /* lone high surrogate */
    "&3gA-",	   /* lone low surrogate */
    "&2D3YPQ-",	   /* high surrogate followed by high */
    "&AOQ/-",	   /* '/' is not modified base64 */
    "&AOQ=-",	   /* padding */
    "\xc3\xa4",	   /* raw 8-bit */
    "a\tb",	   /* control character */
    "&AOQ-&APY-",  /* two runs where one belongs */
    "&AAA-",	   /* NUL */
    "&A-",	   /* too short for a character */
    "&AOQ-&AOQ-",  /* adjacent runs must be one */
    "&A=Q-",	   /* not base64 */
    "a\x80",	   /* raw 8-bit */
    "&AOQAAAA-",   /* padding too long: 6+ leftover bits */
};

static void test_utf7_pairs(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(pairs); i++) {
		string_t *out = str_new(NULL, 64);

		assert_int_equal(mutf7_from_utf8(pairs[i].utf8, out), 0);
		assert_string_equal(str_c(out), pairs[i].utf7);
		str_clear(out);
		if (mutf7_to_utf8(pairs[i].utf7, out) != 0)
			fail_msg("'%s' refused", pairs[i].utf7);
		assert_string_equal(str_c(out), pairs[i].utf8);
		assert_true(mutf7_is_valid(pairs[i].utf7));
		str_free(&out);
	}
}

static void test_utf7_invalid(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(bad_utf7); i++) {
		string_t *out = str_new(NULL, 64);

		if (mutf7_to_utf8(bad_utf7[i], out) != -1)
			fail_msg("'%s' accepted", bad_utf7[i]);
		assert_false(mutf7_is_valid(bad_utf7[i]));
		str_free(&out);
	}
}

static void test_utf8_validation(void **state)
{
	static const char *const good[] = {
	    "",
	    "abc",
	    "\xc3\xa4",
	    "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80",
	    "\xf4\x8f\xbf\xbf",
	};
	static const char *const bad[] = {
	    "\x80",		/* continuation alone */
	    "\xc3",		/* truncated */
	    "\xc0\xaf",		/* overlong '/' */
	    "\xe0\x80\xaf",	/* overlong */
	    "\xed\xa0\x80",	/* surrogate */
	    "\xf4\x90\x80\x80", /* > U+10FFFF */
	    "\xff",
	    "\xe2\x82",
	};
	string_t *out = str_new(NULL, 64);

	for (unsigned int i = 0; i < N_ELEMENTS(good); i++)
		assert_true(mail_utf8_is_valid(good[i], strlen(good[i])));
	for (unsigned int i = 0; i < N_ELEMENTS(bad); i++) {
		assert_false(mail_utf8_is_valid(bad[i], strlen(bad[i])));
		assert_int_equal(mutf7_from_utf8(bad[i], out), -1);
	}
	assert_false(mail_utf8_is_valid("a\0b", 3));
	str_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf7_pairs),
	    cmocka_unit_test(test_utf7_invalid),
	    cmocka_unit_test(test_utf8_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
