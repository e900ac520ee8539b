/* Unit tests for mailbox_error_get_kind(): the storage's error texts of a
 * full filesystem, an exceeded quota, the storage limits and a path too
 * long for the filesystem, told from everything else. */
#include "lib.h"
#include "mailbox-error.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static void test_kinds(void **state)
{
	char nospc[256], dquot[256], eacces[256], bare[256], nametoolong[256];
	const struct {
		const char *error;
		enum mailbox_error_kind kind;
	} tests[] = {
	    {NULL, MAILBOX_ERROR_INTERNAL},
	    {"", MAILBOX_ERROR_INTERNAL},
	    {nospc, MAILBOX_ERROR_NOSPACE},
	    {dquot, MAILBOX_ERROR_NOQUOTA},
	    {eacces, MAILBOX_ERROR_INTERNAL},
	    /* only a system call's failure: ": <strerror>" at the end */
	    {bare, MAILBOX_ERROR_INTERNAL},
	    {"Too many keywords in mailbox (max 26)", MAILBOX_ERROR_LIMIT},
	    {nametoolong, MAILBOX_ERROR_NAMETOOLONG},
	    {"Mailbox name too long", MAILBOX_ERROR_INTERNAL},
	    {"Invalid keyword: a b", MAILBOX_ERROR_INTERNAL},
	};

	(void)state;
	snprintf(nospc, sizeof(nospc), "write(/m/tmp/1.x) failed: %s",
		 strerror(ENOSPC));
	snprintf(dquot, sizeof(dquot), "link(/m/cur/1, /m/.A/tmp/2) failed: %s",
		 strerror(EDQUOT));
	snprintf(eacces, sizeof(eacces), "open(/m/tmp/1.x) failed: %s",
		 strerror(EACCES));
	snprintf(nametoolong, sizeof(nametoolong), "mkdir(/m/.a.b) failed: %s",
		 strerror(ENAMETOOLONG));
	snprintf(bare, sizeof(bare), "%s", strerror(ENOSPC));
	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		if (mailbox_error_get_kind(tests[i].error) != tests[i].kind)
			fail_msg("case %u: \"%s\"", i,
				 tests[i].error == NULL ? "(null)"
							: tests[i].error);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
