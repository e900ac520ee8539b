/* Unit tests for RFC 5322 date parsing and IMAP date(-time) strings. */
#include "lib.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "message-date.h"
#include "pool.h"

static const struct {
	const char *input;
	bool ok;
	time_t t;
	int tz;
} cases[] = {
    {"Mon, 3 Jun 2024 10:00:00 +0200", true, 1717401600, 120},
    {"3 Jun 2024 08:00:00 +0000", true, 1717401600, 0},
    {"  Mon (comment) ,  03 jun 2024 08:00 GMT", true, 1717401600, 0},
    {"Mon, 3 Jun 24 04:00:00 EDT", true, 1717401600, -240},
    {"Sun, 3 Jun 99 00:00:00 -0000", true, 928368000, 0},
    {"Mon, 3 Jun 2024 08:00:00", true, 1717401600, 0},
    {"Mon, 3 Jun 2024 08:00:00 Z", true, 1717401600, 0},
    {"", false, 0, 0},
    {"yesterday", false, 0, 0},
    {"Mon, 31 Feb 2024 08:00:00 +0000", false, 0, 0},
    {"Mon, 3 Foo 2024 08:00:00 +0000", false, 0, 0},
    {"Mon, 3 Jun 2024 25:00:00 +0000", false, 0, 0},
    {"Mon, 3 Jun 2024 08:00:00 +0099", false, 0, 0},
};

static void test_message_date_parse(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		time_t t = 0;
		int tz = 0;
		bool ok = message_date_parse(cases[i].input,
					     strlen(cases[i].input), &t, &tz);

		assert_int_equal(ok, cases[i].ok);
		if (ok) {
			assert_int_equal(t, cases[i].t);
			assert_int_equal(tz, cases[i].tz);
		}
	}
}

static void test_create(void **state)
{
	pool_t pool = pool_create("test", 256);
	time_t t;
	int tz;

	assert_string_equal(message_date_create(pool, 1717401600, 120),
			    "Mon, 3 Jun 2024 10:00:00 +0200");
	assert_string_equal(message_date_imap_create(pool, 1717401600, -330),
			    "03-Jun-2024 02:30:00 -0530");
	assert_true(message_date_imap_parse_datetime(
	    "03-Jun-2024 02:30:00 -0530", &t, &tz));
	assert_int_equal(t, 1717401600);
	assert_int_equal(tz, -330);
	assert_true(message_date_imap_parse_datetime(
	    " 3-Jun-2024 08:00:00 +0000", &t, &tz));
	assert_int_equal(t, 1717401600);
	assert_false(message_date_imap_parse_datetime("3-Jun-2024 08:00 +0000",
						      &t, &tz));
	assert_true(message_date_imap_parse_date("1-Feb-1994", &t));
	assert_int_equal(t, 760060800);
	assert_false(message_date_imap_parse_date("1-Feb-94", &t));
	assert_false(message_date_imap_parse_date("30-Feb-1994x", &t));
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_message_date_parse),
	    cmocka_unit_test(test_create),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
