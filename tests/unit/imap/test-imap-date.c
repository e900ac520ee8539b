/* test-imap-date.c - INTERNALDATE date-time written and parsed, SEARCH
 * dates parsed, with calendar and zone edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "str.h"
#include "imap-date.h"

struct datetime_case {
	const char *input;
	bool valid;
	int64_t time;
	int tz;
	const char *formatted;
};

static const struct datetime_case dt_cases[] = {
    {"01-Jan-1970 00:00:00 +0000", true, 0, 0, NULL},
    {"17-Jul-1996 02:44:25 -0700", true, 837596665, -420, NULL},
    {"07-Feb-2024 13:05:09 +0100", true, 1707307509, 60, NULL},
    {" 7-Feb-2024 13:05:09 +0100", true, 1707307509, 60,
     "07-Feb-2024 13:05:09 +0100"},
    {"7-feb-2024 13:05:09 +0100", true, 1707307509, 60,
     "07-Feb-2024 13:05:09 +0100"},
    {"29-Feb-2024 23:59:59 +0000", true, 1709251199, 0, NULL},
    {"31-Dec-1969 23:59:59 +0000", true, -1, 0, NULL},
    {"01-Jan-2000 00:00:00 +0530", true, 946665000, 330, NULL},
    {"01-Mar-2100 00:00:00 -2359", true, 4107628740, -1439, NULL},
    {"29-Feb-2023 00:00:00 +0000", false, 0, 0, NULL},
    {"29-Feb-2100 00:00:00 +0000", false, 0, 0, NULL},
    {"31-Apr-2024 00:00:00 +0000", false, 0, 0, NULL},
    {"00-Jan-2024 00:00:00 +0000", false, 0, 0, NULL},
    {"01-Foo-2024 00:00:00 +0000", false, 0, 0, NULL},
    {"01-Jan-24 00:00:00 +0000", false, 0, 0, NULL},
    {"01-Jan-2024 24:00:00 +0000", false, 0, 0, NULL},
    {"01-Jan-2024 00:60:00 +0000", false, 0, 0, NULL},
    {"01-Jan-2024 00:00:00 +2400", false, 0, 0, NULL},
    {"01-Jan-2024 00:00:00 +0060", false, 0, 0, NULL},
    {"01-Jan-2024 00:00:00 0000", false, 0, 0, NULL},
    {"01-Jan-2024 00:00:00 +000", false, 0, 0, NULL},
    {"01-Jan-2024 00:00:00 +00000", false, 0, 0, NULL},
    {"01-Jan-2024 0:00:00 +0000", false, 0, 0, NULL},
    {"01-Jan-2024  00:00:00 +0000", false, 0, 0, NULL},
    {"001-Jan-2024 00:00:00 +0000", false, 0, 0, NULL},
    {"", false, 0, 0, NULL},
};

static void test_datetime(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(dt_cases); i++) {
		const struct datetime_case *tc = &dt_cases[i];
		time_t t = 12345;
		int tz = 12345;
		string_t *out;

		if (!tc->valid) {
			if (imap_parse_datetime(tc->input, &t, &tz))
				fail_msg("'%s' accepted", tc->input);
			continue;
		}
		if (!imap_parse_datetime(tc->input, &t, &tz))
			fail_msg("'%s' refused", tc->input);
		if ((int64_t)t != tc->time)
			fail_msg("'%s': %lld", tc->input, (long long)t);
		assert_int_equal(tz, tc->tz);
		out = str_new(NULL, 64);
		imap_append_datetime(out, t, tz);
		assert_string_equal(str_c(out), tc->formatted != NULL
						    ? tc->formatted
						    : tc->input);
		str_free(&out);
	}
}

static void test_date(void **state)
{
	time_t t;

	assert_true(imap_parse_date("1-Feb-1994", &t));
	assert_int_equal((int64_t)t, 760060800);
	assert_true(imap_parse_date("01-feb-1994", &t));
	assert_int_equal((int64_t)t, 760060800);
	assert_true(imap_parse_date("29-Feb-2000", &t));
	assert_false(imap_parse_date("29-Feb-1900", &t));
	assert_false(imap_parse_date(" 1-Feb-1994", &t));
	assert_false(imap_parse_date("1-Feb-1994 ", &t));
	assert_false(imap_parse_date("1-February-1994", &t));
	assert_false(imap_parse_date("1-Feb-94", &t));
	assert_false(imap_parse_date("32-Jan-1994", &t));
	assert_false(imap_parse_date("", &t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_datetime),
	    cmocka_unit_test(test_date),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
