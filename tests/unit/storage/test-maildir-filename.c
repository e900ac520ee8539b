/* Unit tests for maildir file name parsing and building, and for
 * mail_location parsing. */
#include "lib.h"
#include "pool.h"
#include "maildir-filename.h"
#include "maildir-keywords.h"
#include "mail-location.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

struct name_case {
	const char *name;
	const char *base;
	enum mail_flags flags;
	int64_t size, vsize; /* -1 = absent */
};

static const struct name_case name_cases[] = {
    {"1700000000.M5P5.host", "1700000000.M5P5.host", 0, -1, -1},
    {"1700000000.M5P5.host:2,", "1700000000.M5P5.host", 0, -1, -1},
    {"1700000000.M5P5.host:2,SF", "1700000000.M5P5.host",
     MAIL_SEEN | MAIL_FLAGGED, -1, -1},
    {"1.M1P1.h,S=120,W=124:2,DFRST", "1.M1P1.h,S=120,W=124",
     MAIL_DRAFT | MAIL_FLAGGED | MAIL_ANSWERED | MAIL_SEEN | MAIL_DELETED, 120,
     124},
    {"1.M1P1.h,W=7:2,Sab", "1.M1P1.h,W=7", MAIL_SEEN, -1, 7},
    {"1.M1P1.h,S=x:2,", "1.M1P1.h,S=x", 0, -1, -1},
    {"1.M1P1.h,S=:2,", "1.M1P1.h,S=", 0, -1, -1},
    {"1.M1P1.h,S=12a", "1.M1P1.h,S=12a", 0, -1, -1},
    {"1.M1P1.h:1,S", "1.M1P1.h", 0, -1, -1},
    {"1.h,S=99999999999999999999999", "1.h,S=99999999999999999999999", 0, -1,
     -1},
    {"x:2,S=5", "x", MAIL_SEEN, -1, -1},
    {"", "", 0, -1, -1},
    {"1.M1P1.h,S=5,S=6,W=1:2,S", "1.M1P1.h,S=5,S=6,W=1", MAIL_SEEN, 5, 1},
    {"1.M1P1.h,S=x,S=6,W=1", "1.M1P1.h,S=x,S=6,W=1", 0, -1, 1},
    {"1.M1P1.h,W=2,S=3:2,Tz", "1.M1P1.h,W=2,S=3", MAIL_DELETED, 3, 2},
    {"1.h,X=1,,S=4,W=", "1.h,X=1,,S=4,W=", 0, 4, -1},
    {"1.h:x:2,Sa", "1.h", 0, -1, -1},
    {"1.h:2,S:2,F", "1.h", MAIL_SEEN | MAIL_FLAGGED, -1, -1},
};

static void test_parse(void **state)
{
	static const char *const extra[] = {
	    "1.h:x:2,Sab",
	    "1.h:2,Sab:2,c",
	    "1.h,S=1:2,abzS",
	    "1.h,W=5",
	};
	const unsigned int n = N_ELEMENTS(name_cases) + N_ELEMENTS(extra);

	for (unsigned int i = 0; i < n; i++) {
		const char *name = i < N_ELEMENTS(name_cases)
				       ? name_cases[i].name
				       : extra[i - N_ELEMENTS(name_cases)];
		struct maildir_filename_info info;
		uint64_t size;
		bool has;

		maildir_filename_parse(name, strlen(name), &info);
		assert_int_equal(info.base_len,
				 maildir_filename_base_len(name));
		assert_int_equal(info.flags, maildir_filename_get_flags(name));
		assert_int_equal(info.keywords,
				 maildir_filename_get_keywords(name));
		has = maildir_filename_get_size(name, 'S', &size);
		assert_int_equal(info.has_psize, has);
		if (has)
			assert_int_equal(info.psize, size);
		has = maildir_filename_get_size(name, 'W', &size);
		assert_int_equal(info.has_vsize, has);
		if (has)
			assert_int_equal(info.vsize, size);
	}
}

static void test_names(void **state)
{
	pool_t pool = pool_create("test", 1024);

	for (unsigned int i = 0; i < N_ELEMENTS(name_cases); i++) {
		const struct name_case *c = &name_cases[i];
		uint64_t size;

		assert_string_equal(maildir_filename_base(pool, c->name),
				    c->base);
		assert_int_equal(maildir_filename_get_flags(c->name), c->flags);
		if (c->size < 0)
			assert_false(
			    maildir_filename_get_size(c->name, 'S', &size));
		else {
			assert_true(
			    maildir_filename_get_size(c->name, 'S', &size));
			assert_int_equal(size, c->size);
		}
		if (c->vsize < 0)
			assert_false(
			    maildir_filename_get_size(c->name, 'W', &size));
		else {
			assert_true(
			    maildir_filename_get_size(c->name, 'W', &size));
			assert_int_equal(size, c->vsize);
		}
	}
	pool_unref(&pool);
}

static void test_set_flags(void **state)
{
	static const struct {
		const char *name;
		enum mail_flags flags;
		const char *result;
	} cases[] = {
	    {"a", 0, "a:2,"},
	    {"a", MAIL_SEEN, "a:2,S"},
	    {"a:2,", MAIL_SEEN | MAIL_FLAGGED | MAIL_DRAFT, "a:2,DFS"},
	    {"a:2,S", MAIL_ANSWERED | MAIL_SEEN, "a:2,RS"},
	    {"a:2,Sb", MAIL_SEEN | MAIL_DELETED, "a:2,STb"},
	    {"a:2,PSa", MAIL_ANSWERED, "a:2,PRa"},
	    {"a:2,FS", 0, "a:2,"},
	    {"a:1,xyz", MAIL_SEEN, "a:2,S"},
	    {"a,S=5,W=6:2,T", MAIL_SEEN, "a,S=5,W=6:2,S"},
	};
	pool_t pool = pool_create("test", 1024);
	char letters[16];

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		assert_string_equal(maildir_filename_set_flags(
					pool, cases[i].name, cases[i].flags),
				    cases[i].result);
	}
	maildir_flags_to_letters(MAIL_SEEN | MAIL_DRAFT | MAIL_DELETED, letters,
				 sizeof(letters));
	assert_string_equal(letters, "DST");
	pool_unref(&pool);
}

static void test_sort(void **state)
{
	static const struct {
		const char *a, *b;
		int sign;
	} cases[] = {
	    {"1700000002.M2P2.host", "1700000002.M10P2.host", -1},
	    {"999999999.M9P2.host", "1700000002.M1P2.host", -1},
	    {"1700000002.M2P2.a", "1700000002.M2P2.b", -1},
	    {"1700000002.M2P2.a", "1700000002.M2P2.a", 0},
	    {"abc", "1700000002.M2P2.a", 1},
	    {"17.x", "17.M1", 1},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		int r = maildir_filename_sort_cmp(cases[i].a, cases[i].b);
		int r2 = maildir_filename_sort_cmp(cases[i].b, cases[i].a);

		assert_int_equal(r < 0 ? -1 : r > 0 ? 1 : 0, cases[i].sign);
		assert_int_equal(r2 < 0 ? -1 : r2 > 0 ? 1 : 0, -cases[i].sign);
	}
}

static void test_generate(void **state)
{
	pool_t pool = pool_create("test", 1024);
	char *prev = maildir_filename_generate(pool);

	for (unsigned int i = 0; i < 100; i++) {
		char *name = maildir_filename_generate(pool);

		assert_true(strcmp(name, prev) != 0);
		assert_true(maildir_filename_sort_cmp(prev, name) < 0);
		assert_null(strchr(name, ':'));
		assert_null(strchr(name, '/'));
		assert_non_null(strstr(name, ".M"));
		prev = name;
	}
	pool_unref(&pool);
}

static void test_location(void **state)
{
	static const struct {
		const char *location, *home;
		const char *root, *inbox, *control, *index;
		enum mail_location_layout layout;
	} ok_cases[] = {
	    {"maildir:~/Maildir", "/home/u", "/home/u/Maildir",
	     "/home/u/Maildir", NULL, NULL, MAIL_LOCATION_LAYOUT_MAILDIRPP},
	    {"maildir:/var/mail/u/:INBOX=/var/mail/u/inbox:LAYOUT=fs", NULL,
	     "/var/mail/u", "/var/mail/u/inbox", NULL, NULL,
	     MAIL_LOCATION_LAYOUT_FS},
	    {"maildir:~:CONTROL=~/ctl:INDEX=/idx/u", "/h", "/h", "/h", "/h/ctl",
	     "/idx/u", MAIL_LOCATION_LAYOUT_MAILDIRPP},
	    {"maildir:/m::x:INDEX=MEMORY:LAYOUT=maildir++:DIRNAME=d", NULL,
	     "/m:x", "/m:x", NULL, "MEMORY", MAIL_LOCATION_LAYOUT_MAILDIRPP},
	};
	static const char *const bad_cases[] = {
	    "",
	    "/var/mail",
	    "mbox:~/mail",
	    "maildir:",
	    "maildir:~/M",
	    "maildir:/m:LAYOUT=index",
	    "maildir:/m:FOO=bar",
	    "maildir:/m:INBOX=",
	};
	pool_t pool = pool_create("test", 1024);
	struct mail_location *loc;
	const char *error;

	for (unsigned int i = 0; i < N_ELEMENTS(ok_cases); i++) {
		assert_int_equal(mail_location_parse(pool, ok_cases[i].location,
						     ok_cases[i].home, &loc,
						     &error),
				 0);
		assert_string_equal(loc->root, ok_cases[i].root);
		assert_string_equal(loc->inbox, ok_cases[i].inbox);
		if (ok_cases[i].control == NULL)
			assert_null(loc->control);
		else
			assert_string_equal(loc->control, ok_cases[i].control);
		if (ok_cases[i].index == NULL)
			assert_null(loc->index);
		else
			assert_string_equal(loc->index, ok_cases[i].index);
		assert_int_equal(loc->layout, ok_cases[i].layout);
	}
	for (unsigned int i = 0; i < N_ELEMENTS(bad_cases); i++) {
		assert_int_equal(
		    mail_location_parse(pool, bad_cases[i], NULL, &loc, &error),
		    -1);
		assert_non_null(error);
	}
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),    cmocka_unit_test(test_set_flags),
	    cmocka_unit_test(test_sort),     cmocka_unit_test(test_generate),
	    cmocka_unit_test(test_location), cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
