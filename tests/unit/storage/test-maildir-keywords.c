/* Unit tests for dovecot-keywords parsing/writing, keyword letters in file
 * names, and the mailbox operations on keywords: save with keywords and
 * internaldate, flag/keyword updates, copy (hard link), expunge by UID,
 * status, and the 26-keyword limit. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "mailbox.h"
#include "mailbox-error.h"
#include "maildir-keywords.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char test_dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(test_dir, sizeof(test_dir), "/tmp/loft-kw-test.XXXXXX");
	return mkdtemp(test_dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_parse(void **state)
{
	static const struct {
		const char *input;
		unsigned int skipped;
		const char *output; /* rewritten file */
	} tests[] = {
	    {"", 0, ""},
	    {"0 $Label1\n1 Junk\n", 0, "0 $Label1\n1 Junk\n"},
	    {"0 $Label1\n1 Junk", 0, "0 $Label1\n1 Junk\n"}, /* no final LF */
	    {"3 c\n0 a\n", 0, "0 a\n3 c\n"},
	    {"26 z\n", 1, ""},		     /* index out of range */
	    {"0 a\n0 b\n", 1, "0 a\n"},	     /* index twice */
	    {"0 a\n1 A\n", 1, "0 a\n"},	     /* same keyword */
	    {"x a\n1 b\n", 1, "1 b\n"},	     /* no index */
	    {"0\n1 b\n", 1, "1 b\n"},	     /* no name */
	    {"0 \\Seen\n1 b\n", 1, "1 b\n"}, /* system flag */
	    {"0 a b\n", 1, ""},		     /* space in name */
	    {"0 a(\n", 1, ""},		     /* atom-special */
	    {"\n\n2 x\n\n", 0, "2 x\n"},     /* empty lines */
	    {"0001 a\n", 1, ""},	     /* too many digits */
	    {"5 a\r\n", 1, ""},		     /* CR is not allowed */
	};
	pool_t pool = pool_create("test", 1024);

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		struct maildir_keywords kw;
		string_t *str = str_new(pool, 64);

		assert_int_equal(maildir_keywords_parse(pool, tests[i].input,
							strlen(tests[i].input),
							&kw),
				 tests[i].skipped);
		maildir_keywords_write(&kw, str);
		assert_string_equal(str_c(str), tests[i].output);
	}
	pool_unref(&pool);
}

static void test_add_lookup(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct maildir_keywords kw;
	char name[8];

	(void)state;
	(void)maildir_keywords_parse(pool, "1 b\n", 4, &kw);
	assert_int_equal(maildir_keywords_add(pool, &kw, "new"), 0);
	assert_int_equal(maildir_keywords_add(pool, &kw, "B"), 1);
	assert_int_equal(maildir_keywords_lookup(&kw, "NEW"), 0);
	assert_int_equal(maildir_keywords_lookup(&kw, "none"), -1);
	assert_int_equal(maildir_keywords_add(pool, &kw, "bad kw"), -1);
	for (unsigned int i = 2; i < MAILDIR_KEYWORDS_MAX; i++) {
		snprintf(name, sizeof(name), "k%u", i);
		assert_int_equal(maildir_keywords_add(pool, &kw, name), (int)i);
	}
	assert_int_equal(maildir_keywords_add(pool, &kw, "full"), -1);
	pool_unref(&pool);
}

static void test_filename(void **state)
{
	static const struct {
		const char *in;
		unsigned int flags;
		uint32_t kw;
		const char *out;
	} tests[] = {
	    {"1.M1P1.h", MAIL_SEEN, 0x3, "1.M1P1.h:2,Sab"},
	    {"1.M1P1.h:2,PSbz", MAIL_FLAGGED, 0x1, "1.M1P1.h:2,FPa"},
	    {"1.M1P1.h,S=5:2,Ta", 0, 0, "1.M1P1.h,S=5:2,"},
	    {"1.M1P1.h:2,", MAIL_DRAFT | MAIL_DELETED, 1u << 25,
	     "1.M1P1.h:2,DTz"},
	};
	pool_t pool = pool_create("test", 1024);

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		assert_string_equal(
		    maildir_filename_set_flags_keywords(
			pool, tests[i].in, tests[i].flags, tests[i].kw),
		    tests[i].out);
		assert_int_equal(maildir_filename_get_keywords(tests[i].out),
				 tests[i].kw);
	}
	assert_int_equal(maildir_filename_get_keywords("1.x:2,Sz"), 1u << 25);
	assert_int_equal(maildir_filename_get_keywords("1.x"), 0);
	pool_unref(&pool);
}

static struct mailbox *open_at(const char *sub)
{
	char location[400];
	struct mailbox *box;
	const char *error;

	snprintf(location, sizeof(location), "maildir:%s/%s", test_dir, sub);
	assert_int_equal(mailbox_open_inbox(location, NULL, &box, &error), 0);
	return box;
}

static void test_save_copy(void **state)
{
	static const char msg[] = "Subject: x\n\nbody\n";
	const char *kws[] = {"$Label1", "Work", NULL},
		   *kws2[] = {"Other", NULL};
	struct mailbox *box = open_at("A"), *dest = open_at("B");
	struct mailbox_status st;
	const char *error;
	uint32_t uid, mask;
	struct stat sb;
	char path[512];
	int fd;

	(void)state;
	/* dest already knows another keyword at index 0 */
	assert_int_equal(
	    mailbox_keywords_to_mask(dest, kws2, true, &mask, &error), 0);
	assert_int_equal(mask, 1);
	assert_int_equal(mailbox_save(box, msg, sizeof(msg) - 1, MAIL_SEEN, kws,
				      1500000000, &uid, &error),
			 0);
	assert_int_equal(uid, 1);
	assert_int_equal(
	    mailbox_save(box, msg, sizeof(msg) - 1, 0, NULL, 0, &uid, &error),
	    0);
	assert_int_equal(uid, 2);
	assert_int_equal(mailbox_count(box), 0); /* until the next sync */
	assert_int_equal(mailbox_sync(box, &error), 0);
	assert_int_equal(mailbox_count(box), 2);
	assert_int_equal(mailbox_get(box, 1)->flags, MAIL_SEEN);
	assert_int_equal(mailbox_get(box, 1)->keywords, 0x3);
	assert_int_equal(mailbox_get_received_time(box, 1), 1500000000);
	assert_string_equal(mailbox_get_keyword_name(box, 1), "Work");
	assert_null(mailbox_get_keyword_name(box, 2));
	assert_int_equal(mailbox_get(box, 2)->virtual_size, sizeof(msg) + 2);

	mailbox_get_status(box, &st);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.unseen, 1);
	assert_int_equal(st.uid_next, 3);
	assert_int_equal(st.size, 2 * (sizeof(msg) + 2));

	/* copy maps keywords to dest's indexes and hard-links */
	assert_int_equal(mailbox_copy(dest, box, 1, &uid, &error), 0);
	assert_int_equal(uid, 1);
	assert_int_equal(mailbox_sync(dest, &error), 0);
	assert_int_equal(mailbox_get(dest, 1)->keywords, 0x6);
	assert_string_equal(mailbox_get_keyword_name(dest, 1), "$Label1");
	assert_int_equal(mailbox_get_received_time(dest, 1), 1500000000);
	fd = mailbox_open_mail(box, 1, &(bool){false}, &error);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_nlink, 2);
	close(fd);

	/* flag updates */
	assert_int_equal(mailbox_update_flags(box, 2, MAIL_MODIFY_ADD,
					      MAIL_FLAGGED, 0x2, &error),
			 0);
	assert_int_equal(mailbox_update_flags(box, 1, MAIL_MODIFY_REMOVE,
					      MAIL_SEEN, 0x1, &error),
			 0);
	assert_int_equal(mailbox_sync(box, &error), 0);
	assert_int_equal(mailbox_get(box, 2)->flags, MAIL_FLAGGED);
	assert_int_equal(mailbox_get(box, 2)->keywords, 0x2);
	assert_int_equal(mailbox_get(box, 1)->flags, 0);
	assert_int_equal(mailbox_get(box, 1)->keywords, 0x2);
	assert_int_equal(mailbox_update_flags(box, 1, MAIL_MODIFY_REPLACE,
					      MAIL_DRAFT, 0, &error),
			 0);
	assert_int_equal(mailbox_get(box, 1)->flags, MAIL_DRAFT);

	/* expunge by UID */
	assert_int_equal(mailbox_seq_by_uid(box, 2), 2);
	assert_int_equal(mailbox_seq_by_uid(box, 9), 0);
	uint32_t uids[] = {1, 9};
	assert_int_equal(mailbox_expunge_uids(box, uids, 2, &error), 0);
	assert_int_equal(mailbox_count(box), 1);
	assert_int_equal(mailbox_get(box, 1)->uid, 2);
	snprintf(path, sizeof(path), "%s/A/dovecot-keywords", test_dir);
	assert_int_equal(stat(path, &sb), 0);
	mailbox_close(&box);
	mailbox_close(&dest);
}

static void test_keyword_limit(void **state)
{
	struct mailbox *box = open_at("L");
	const char *names[MAILBOX_KEYWORDS_MAX + 2], *error;
	char buf[MAILBOX_KEYWORDS_MAX + 1][8];
	uint32_t mask;

	(void)state;
	for (unsigned int i = 0; i < MAILBOX_KEYWORDS_MAX; i++) {
		snprintf(buf[i], sizeof(buf[i]), "k%u", i);
		names[i] = buf[i];
	}
	names[MAILBOX_KEYWORDS_MAX] = NULL;
	assert_int_equal(
	    mailbox_keywords_to_mask(box, names, true, &mask, &error), 0);
	assert_int_equal(mask, 0x3ffffff);
	names[0] = "overflow";
	names[1] = NULL;
	assert_int_equal(
	    mailbox_keywords_to_mask(box, names, true, &mask, &error), -1);
	/* answered "NO [LIMIT]" (RFC 5530) by IMAP */
	assert_int_equal(mailbox_error_get_kind(error), MAILBOX_ERROR_LIMIT);
	assert_int_equal(
	    mailbox_keywords_to_mask(box, names, false, &mask, &error), 0);
	assert_int_equal(mask, 0);
	names[0] = "bad\\kw";
	assert_int_equal(
	    mailbox_keywords_to_mask(box, names, false, &mask, &error), -1);
	assert_int_equal(mailbox_error_get_kind(error), MAILBOX_ERROR_INTERNAL);
	mailbox_close(&box);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_add_lookup),
	    cmocka_unit_test(test_filename),
	    cmocka_unit_test_setup_teardown(test_save_copy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keyword_limit, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
