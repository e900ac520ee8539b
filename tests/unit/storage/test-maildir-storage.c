/* Unit tests for the maildir mailbox: sync, UID order, save, flags,
 * expunge, files vanishing, damaged uidlists, locks and POP3 UIDLs. Each
 * test works in its own temporary directory. */
#include "lib.h"
#include "pool.h"
#include "mailbox.h"
#include "dotlock.h"
#include "maildir-filename.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <utime.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MAILDIR_TEST_DIR_TEMPLATE "/tmp/loft-storage-test.XXXXXX"
#include "maildir-test-dir.h"

static bool file_exists(const char *rel)
{
	struct stat st;

	return stat(path_of(rel), &st) == 0;
}

static unsigned int count_dir(const char *rel)
{
	DIR *d = opendir(path_of(rel));
	struct dirent *e;
	unsigned int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return n;
}

static struct mailbox *open_box(void)
{
	struct mailbox *box;
	const char *error = NULL;

	if (mailbox_open_inbox(location, NULL, &box, &error) < 0)
		fail_msg("open failed: %s", error);
	return box;
}

static void make_maildir(void)
{
	struct mailbox *box = open_box();

	mailbox_close(&box);
	assert_int_equal(unlink(path_of("dovecot-uidlist")), 0);
}

static void test_open_creates(void **state)
{
	struct mailbox *box = open_box();
	struct stat st;

	assert_int_equal(stat(path_of("cur"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path_of("tmp"), &st), 0);
	assert_int_equal(stat(path_of("new"), &st), 0);
	assert_int_equal(mailbox_count(box), 0);
	assert_int_equal(mailbox_get_uid_next(box), 1);
	assert_true(mailbox_get_uid_validity(box) >= (uint32_t)time(NULL) - 5);
	assert_true(strncmp(read_file("dovecot-uidlist"), "3 V", 3) == 0);
	mailbox_close(&box);
	assert_null(box);
}

/* Missing directories a few levels up are made, and with CONTROL= the
 * control directory elsewhere (where dovecot-uidlist goes) too. */
static void test_open_creates_parents_and_control(void **state)
{
	char loc[700];
	struct mailbox *box;
	const char *error = NULL;
	struct stat st;

	(void)state;
	snprintf(loc, sizeof(loc), "maildir:%s/a/b/Maildir:CONTROL=%s/ctl/x",
		 test_dir, test_dir);
	if (mailbox_open_inbox(loc, NULL, &box, &error) < 0)
		fail_msg("open failed: %s", error);
	mailbox_close(&box);
	snprintf(loc, sizeof(loc), "%s/a/b/Maildir/cur", test_dir);
	assert_int_equal(stat(loc, &st), 0);
	snprintf(loc, sizeof(loc), "%s/a/b/Maildir/tmp", test_dir);
	assert_int_equal(stat(loc, &st), 0);
	snprintf(loc, sizeof(loc), "%s/ctl/x/dovecot-uidlist", test_dir);
	assert_int_equal(stat(loc, &st), 0);
	/* opened again, as it is now */
	snprintf(loc, sizeof(loc), "maildir:%s/a/b/Maildir:CONTROL=%s/ctl/x",
		 test_dir, test_dir);
	if (mailbox_open_inbox(loc, NULL, &box, &error) < 0)
		fail_msg("second open failed: %s", error);
	mailbox_close(&box);
	/* a file where the mailbox's directory should be: a clear error */
	snprintf(loc, sizeof(loc), "%s/file", test_dir);
	assert_int_equal(close(open(loc, O_CREAT | O_WRONLY, 0600)), 0);
	snprintf(loc, sizeof(loc), "maildir:%s/file/Maildir", test_dir);
	assert_int_equal(mailbox_open_inbox(loc, NULL, &box, &error), -1);
	assert_non_null(strstr(error, "mkdir("));
}

static void test_sync_order(void **state)
{
	struct mailbox *box;
	const struct mail_record *rec;
	const char *error;

	make_maildir();
	/* new/ files get UIDs by time, then microseconds, then name */
	write_file("new/1700000002.M10P1.host", "Subject: 3\n\nbody\n");
	write_file("new/1700000002.M2P1.host", "Subject: 2\r\n\r\nbody\r\n");
	write_file("cur/1700000001.M99P1.host:2,S", "Subject: 1\n\nx\n");
	write_file("new/999999999.M5P1.host,S=11,W=12", "Subject: 0\n");
	box = open_box();
	assert_int_equal(mailbox_count(box), 4);
	rec = mailbox_get(box, 1);
	assert_int_equal(rec->uid, 1);
	assert_string_equal(rec->basename, "999999999.M5P1.host,S=11,W=12");
	assert_int_equal(rec->virtual_size, 12);
	assert_int_equal(rec->physical_size, 11);
	rec = mailbox_get(box, 2);
	assert_string_equal(rec->basename, "1700000001.M99P1.host");
	assert_int_equal(rec->flags, MAIL_SEEN);
	assert_int_equal(rec->virtual_size, 17);
	rec = mailbox_get(box, 3);
	assert_string_equal(rec->basename, "1700000002.M2P1.host");
	assert_int_equal(rec->physical_size, 20);
	assert_int_equal(rec->virtual_size, 20);
	rec = mailbox_get(box, 4);
	assert_int_equal(rec->uid, 4);
	assert_string_equal(rec->basename, "1700000002.M10P1.host");
	assert_int_equal(rec->physical_size, 17);
	assert_int_equal(rec->virtual_size, 20);
	assert_int_equal(mailbox_get_uid_next(box), 5);

	/* new/ was emptied into cur/ with ":2," */
	assert_int_equal(count_dir("new"), 0);
	assert_true(file_exists("cur/1700000002.M10P1.host:2,"));
	/* virtual sizes cached like Dovecot does */
	assert_non_null(strstr(read_file("dovecot-uidlist"),
			       "\n4 W20 :1700000002.M10P1.host\n"));
	assert_non_null(strstr(read_file("dovecot-uidlist"),
			       "\n1 :999999999.M5P1.host,S=11,W=12\n"));

	/* a later arrival gets the next UID, existing ones stay */
	write_file("new/1600000000.M1P1.host", "late\n");
	assert_int_equal(mailbox_sync(box, &error), 0);
	assert_int_equal(mailbox_count(box), 5);
	assert_int_equal(mailbox_get(box, 5)->uid, 5);
	assert_string_equal(mailbox_get(box, 5)->basename,
			    "1600000000.M1P1.host");
	assert_string_equal(mailbox_get(box, 1)->basename,
			    "999999999.M5P1.host,S=11,W=12");

	/* removed by someone else */
	assert_int_equal(unlink(path_of("cur/1700000001.M99P1.host:2,S")), 0);
	assert_int_equal(mailbox_sync(box, &error), 0);
	assert_int_equal(mailbox_count(box), 4);
	assert_int_equal(mailbox_get(box, 2)->uid, 3);
	mailbox_close(&box);
}

/* The first scan (no uidlist) sorts without a hash table: UIDs still
 * follow maildir_filename_sort_cmp() (seconds, microseconds, then the
 * whole base name) and a base name found twice is one message. unpackable:
 * one name has no "<secs>.M<usecs>" (the hash-table path). */
static void check_first_scan(bool unpackable)
{
	static const char *const names[] = {
	    "cur/1700000005.M7P2.b,S=1,W=1:2,S",
	    "cur/1700000005.M7P1.z,S=1,W=1:2,",
	    "cur/1700000005.M7P1.a,S=1,W=1:2,F",
	    "cur/1700000005.M7P1.a,S=1,W=1:2,FS", /* duplicate base */
	    "cur/1700000005.M16P1.a:2,S",
	    "cur/1700000004.M999999P1.a:2,S",
	    "cur/256.M0P1.a:2,S",
	    "cur/1.M1P1.a:2,",
	    "cur/1700000005.M7P1.n:2,S", /* also in new/ */
	    "new/1700000005.M7P1.n",
	    "new/1700000006.M1P1.n",
	};
	static const char *const order[] = {
	    "1.M1P1.a",
	    "256.M0P1.a",
	    "1700000004.M999999P1.a",
	    "1700000005.M7P1.a,S=1,W=1",
	    "1700000005.M7P1.n",
	    "1700000005.M7P1.z,S=1,W=1",
	    "1700000005.M7P2.b,S=1,W=1",
	    "1700000005.M16P1.a",
	    "1700000006.M1P1.n",
	};
	struct mailbox *box;
	unsigned int first = 0;

	make_maildir();
	for (unsigned int i = 0; i < N_ELEMENTS(names); i++)
		write_file(names[i], "Subject: x\n\nbody\n");
	if (unpackable)
		write_file("cur/abc:2,S", "Subject: y\n\nbody\n");
	box = open_box();
	assert_int_equal(mailbox_count(box),
			 N_ELEMENTS(order) + (unpackable ? 1 : 0));
	for (unsigned int i = 0; i < N_ELEMENTS(order); i++) {
		const struct mail_record *rec = mailbox_get(box, i + 1);

		assert_int_equal(rec->uid, i + 1);
		assert_string_equal(rec->basename, order[i]);
		if (i > 0) {
			assert_true(maildir_filename_sort_cmp(order[i - 1],
							      order[i]) < 0);
		}
		if (strcmp(order[i], "1700000005.M7P1.a,S=1,W=1") == 0) {
			/* the first file of the two read decides */
			assert_true(rec->flags == MAIL_FLAGGED ||
				    rec->flags == (MAIL_FLAGGED | MAIL_SEEN));
			assert_int_equal(rec->physical_size, 1);
			first = i + 1;
		}
	}
	assert_int_not_equal(first, 0);
	if (unpackable) {
		assert_string_equal(
		    mailbox_get(box, N_ELEMENTS(order) + 1)->basename, "abc");
	}
	/* new/ moved to cur/; the n message is in cur/ once */
	assert_int_equal(count_dir("new"), 0);
	assert_true(file_exists("cur/1700000005.M7P1.n:2,S"));
	mailbox_close(&box);

	/* the uidlist written keeps them */
	box = open_box();
	assert_int_equal(mailbox_count(box),
			 N_ELEMENTS(order) + (unpackable ? 1 : 0));
	assert_string_equal(mailbox_get(box, 5)->basename, order[4]);
	mailbox_close(&box);
}

static void test_first_scan(void **state)
{
	check_first_scan(false);
}

static void test_first_scan_unpackable(void **state)
{
	check_first_scan(true);
}

static void test_reopen_keeps_uids(void **state)
{
	struct mailbox *box;
	uint32_t uidv;
	const char *error;

	make_maildir();
	write_file("new/1.M1P1.h", "a\n");
	write_file("new/2.M1P1.h", "b\n");
	box = open_box();
	uidv = mailbox_get_uid_validity(box);
	mailbox_close(&box);
	box = open_box();
	assert_int_equal(mailbox_get_uid_validity(box), uidv);
	assert_int_equal(mailbox_count(box), 2);
	assert_int_equal(mailbox_get(box, 2)->uid, 2);
	assert_int_equal(mailbox_sync(box, &error), 0);
	assert_int_equal(mailbox_get(box, 2)->uid, 2);
	mailbox_close(&box);
}

static void test_save(void **state)
{
	static const char msg[] = "Subject: hi\n\nline1\r\nline2\n";
	struct mailbox *box;
	const struct mail_record *rec;
	const char *error;
	char buf[128];
	ssize_t ret;
	bool expunged;
	int fd;

	box = open_box();
	assert_int_equal(maildir_save_file(path_of(""), msg, sizeof(msg) - 1, 0,
					   1500000000, &error),
			 0);
	assert_int_equal(maildir_save_file(path_of(""), msg, sizeof(msg) - 1,
					   MAIL_SEEN | MAIL_FLAGGED, 0, &error),
			 0);
	assert_int_equal(count_dir("new"), 1);
	assert_int_equal(count_dir("cur"), 1);
	assert_int_equal(count_dir("tmp"), 0);
	assert_int_equal(mailbox_sync(box, &error), 0);
	assert_int_equal(mailbox_count(box), 2);
	rec = mailbox_get(box, 1);
	assert_int_equal(rec->physical_size, sizeof(msg) - 1);
	assert_int_equal(rec->virtual_size, sizeof(msg) - 1 + 3);
	assert_int_equal(mailbox_get_received_time(box, 1), 1500000000);
	assert_int_equal(rec->flags, 0);
	assert_non_null(strstr(rec->basename, ",S=26,W=29"));
	rec = mailbox_get(box, 2);
	assert_int_equal(rec->flags, MAIL_SEEN | MAIL_FLAGGED);
	/* sizes came from the name: nothing cached in the uidlist */
	assert_null(strstr(read_file("dovecot-uidlist"), " W"));

	fd = mailbox_open_mail(box, 1, &expunged, &error);
	assert_true(fd >= 0);
	ret = read(fd, buf, sizeof(buf));
	assert_int_equal(ret, sizeof(msg) - 1);
	assert_memory_equal(buf, msg, sizeof(msg) - 1);
	close(fd);

	/* a message can't be saved where the directories can't be made */
	assert_int_equal(
	    maildir_save_file("/proc/loft-no-such/x", msg, 3, 0, 0, &error),
	    -1);
	mailbox_close(&box);
}

static void test_flags(void **state)
{
	struct mailbox *box;
	const char *error;

	make_maildir();
	write_file("cur/1.M1P1.h:2,Sa", "a\n");
	write_file("cur/2.M1P1.h:2,", "b\n");
	box = open_box();
	assert_int_equal(mailbox_add_flags(box, 1, MAIL_ANSWERED, &error), 0);
	assert_int_equal(mailbox_get(box, 1)->flags, MAIL_SEEN | MAIL_ANSWERED);
	assert_true(file_exists("cur/1.M1P1.h:2,RSa"));
	assert_false(file_exists("cur/1.M1P1.h:2,Sa"));
	assert_int_equal(mailbox_add_flags(box, 1, MAIL_SEEN, &error), 0);
	assert_true(file_exists("cur/1.M1P1.h:2,RSa"));
	assert_int_equal(
	    mailbox_add_flags(box, 2, MAIL_DELETED | MAIL_DRAFT, &error), 0);
	assert_true(file_exists("cur/2.M1P1.h:2,DT"));

	/* renamed by another process: found again by base name */
	assert_int_equal(
	    rename(path_of("cur/2.M1P1.h:2,DT"), path_of("cur/2.M1P1.h:2,DFT")),
	    0);
	assert_int_equal(mailbox_add_flags(box, 2, MAIL_SEEN, &error), 0);
	assert_true(file_exists("cur/2.M1P1.h:2,DFST"));
	assert_int_equal(mailbox_get(box, 2)->flags,
			 MAIL_DRAFT | MAIL_FLAGGED | MAIL_SEEN | MAIL_DELETED);
	/* gone: error */
	assert_int_equal(unlink(path_of("cur/2.M1P1.h:2,DFST")), 0);
	assert_int_equal(mailbox_add_flags(box, 2, MAIL_ANSWERED, &error), -1);
	mailbox_close(&box);

	box = open_box();
	assert_int_equal(mailbox_count(box), 1);
	assert_int_equal(mailbox_get(box, 1)->flags, MAIL_SEEN | MAIL_ANSWERED);
	mailbox_close(&box);
}

static void test_vanish_open(void **state)
{
	struct mailbox *box;
	const char *error;
	bool expunged;
	int fd;

	make_maildir();
	write_file("cur/1.M1P1.h:2,", "a\n");
	write_file("cur/2.M1P1.h:2,", "b\n");
	box = open_box();
	/* renamed between sync and open */
	assert_int_equal(
	    rename(path_of("cur/1.M1P1.h:2,"), path_of("cur/1.M1P1.h:2,S")), 0);
	fd = mailbox_open_mail(box, 1, &expunged, &error);
	assert_true(fd >= 0);
	assert_false(expunged);
	close(fd);
	assert_int_equal(mailbox_get(box, 1)->flags, MAIL_SEEN);
	/* deleted between sync and open */
	assert_int_equal(unlink(path_of("cur/2.M1P1.h:2,")), 0);
	assert_int_equal(mailbox_open_mail(box, 2, &expunged, &error), -1);
	assert_true(expunged);
	mailbox_close(&box);
}

static void test_expunge(void **state)
{
	struct mailbox *box;
	const char *error;
	unsigned int seqs[] = {3, 1, 3};

	make_maildir();
	write_file("cur/1.M1P1.h:2,", "a\n");
	write_file("cur/2.M1P1.h:2,", "b\n");
	write_file("cur/3.M1P1.h:2,", "c\n");
	write_file("cur/4.M1P1.h:2,", "d\n");
	box = open_box();
	/* one of them is already gone */
	assert_int_equal(unlink(path_of("cur/3.M1P1.h:2,")), 0);
	assert_int_equal(mailbox_expunge_seqs(box, seqs, 3, &error), 0);
	assert_int_equal(mailbox_count(box), 2);
	assert_int_equal(mailbox_get(box, 1)->uid, 2);
	assert_int_equal(mailbox_get(box, 2)->uid, 4);
	assert_int_equal(count_dir("cur"), 2);
	assert_non_null(strstr(read_file("dovecot-uidlist"), " N5 "));
	assert_null(strstr(read_file("dovecot-uidlist"), ":1.M1P1.h"));
	assert_non_null(
	    strstr(read_file("dovecot-uidlist"), "\n2 W3 :2.M1P1.h\n"));
	seqs[0] = 9;
	assert_int_equal(mailbox_expunge_seqs(box, seqs, 1, &error), -1);
	mailbox_close(&box);

	/* UIDs are never reused */
	write_file("new/5.M1P1.h", "e\n");
	box = open_box();
	assert_int_equal(mailbox_get(box, 3)->uid, 5);
	mailbox_close(&box);
}

static void test_damaged_uidlist(void **state)
{
	struct mailbox *box;
	uint32_t uidv;

	make_maildir();
	write_file("cur/1.M1P1.h:2,", "a\n");
	write_file("cur/2.M1P1.h:2,", "b\n");
	write_file("cur/3.M1P1.h:2,", "c\n");
	/* readable header, one broken line: UIDVALIDITY and the good UIDs
	 * are kept, the file of the broken line gets a new UID */
	write_file("dovecot-uidlist",
		   "3 V12345 N10 G0123456789abcdef0123456789abcdef\n"
		   "4 :1.M1P1.h\n5 \001garbage\n7 :3.M1P1.h\n");
	box = open_box();
	assert_int_equal(mailbox_get_uid_validity(box), 12345);
	assert_int_equal(mailbox_count(box), 3);
	assert_int_equal(mailbox_get(box, 1)->uid, 4);
	assert_int_equal(mailbox_get(box, 2)->uid, 7);
	assert_int_equal(mailbox_get(box, 3)->uid, 10);
	assert_string_equal(mailbox_get(box, 3)->basename, "2.M1P1.h");
	mailbox_close(&box);
	assert_non_null(
	    strstr(read_file("dovecot-uidlist"),
		   "3 V12345 N11 G0123456789abcdef0123456789abcdef\n"));

	/* unreadable header: rebuilt with a new UIDVALIDITY */
	write_file("dovecot-uidlist", "\377\376garbage\n1 :1.M1P1.h\n");
	box = open_box();
	uidv = mailbox_get_uid_validity(box);
	assert_true(uidv != 12345 && uidv != 0);
	assert_int_equal(mailbox_count(box), 3);
	assert_int_equal(mailbox_get(box, 1)->uid, 1);
	assert_int_equal(mailbox_get(box, 3)->uid, 3);
	mailbox_close(&box);

	/* a second rebuild gets a different UIDVALIDITY even in the same
	 * second */
	write_file("dovecot-uidlist", "");
	box = open_box();
	assert_true(mailbox_get_uid_validity(box) > uidv);
	mailbox_close(&box);
}

static void test_uidlist_lock(void **state)
{
	struct mailbox *box;
	struct utimbuf ut;
	const char *error;

	make_maildir();
	write_file("new/1.M1P1.h", "a\n");
	/* an abandoned lock is taken over once it is stale */
	write_file("dovecot-uidlist.lock", "");
	ut.actime = ut.modtime = time(NULL) - 1000;
	assert_int_equal(utime(path_of("dovecot-uidlist.lock"), &ut), 0);
	box = open_box();
	assert_int_equal(mailbox_count(box), 1);
	assert_false(file_exists("dovecot-uidlist.lock"));
	mailbox_close(&box);
	(void)error;
}

static void test_session_lock(void **state)
{
	struct mailbox *box1, *box2;
	const char *error;
	char content[64];
	pid_t pid;

	box1 = open_box();
	box2 = open_box();
	assert_int_equal(mailbox_lock_session(box1, &error), 1);
	assert_true(file_exists("dovecot-pop3-session.lock"));
	assert_int_equal(mailbox_lock_session(box1, &error), 1);
	assert_int_equal(mailbox_lock_session(box2, &error), 0);
	assert_int_equal(mailbox_lock_session_refresh(box1), 0);
	snprintf(content, sizeof(content), "%ld:%s", (long)getpid(),
		 dotlock_hostname());
	assert_string_equal(read_file("dovecot-pop3-session.lock"), content);
	mailbox_close(&box1);
	assert_false(file_exists("dovecot-pop3-session.lock"));
	assert_int_equal(mailbox_lock_session(box2, &error), 1);
	mailbox_close(&box2);

	/* the owner died: the lock is stale */
	pid = fork();
	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	snprintf(content, sizeof(content), "%ld:%s", (long)pid,
		 dotlock_hostname());
	write_file("dovecot-pop3-session.lock", content);
	box1 = open_box();
	assert_int_equal(mailbox_lock_session(box1, &error), 1);
	mailbox_close(&box1);

	/* another host's live-looking lock is respected until it is old */
	write_file("dovecot-pop3-session.lock", "1:some-other-host");
	box1 = open_box();
	assert_int_equal(mailbox_lock_session(box1, &error), 0);
	mailbox_close(&box1);
	assert_true(file_exists("dovecot-pop3-session.lock"));
}

static void test_pop3_uidl(void **state)
{
	static const struct {
		const char *format;
		const char *result; /* NULL = error */
	} cases[] = {
	    {"%08Xu%08Xv", "0000001a6b023cb7"},
	    {"%u", "26"},
	    {"%v.%u", "1795308727.26"},
	    {"%Xv", "6b023cb7"},
	    {"%g", "1.M1P1.host,S=2"},
	    {"%f", "1.M1P1.host,S=2"},
	    {"%{uid}-%{uidvalidity}-%{guid}", "26-1795308727-1.M1P1.host,S=2"},
	    {"%04u", "0026"},
	    {"%1u", "2"},
	    {"%Ug", "1.M1P1.HOST,S=2"},
	    {"%2.3g", "M1P"},
	    {"%-3.2g", "S="},
	    {"x%%y%u", "x%y26"},
	    {"%m", NULL},
	    {"%{md5}", NULL},
	    {"%q", NULL},
	    {"%{nope}", NULL},
	    {"%", NULL},
	    {"%08", NULL},
	    {"%{uid", NULL},
	    {"%Zu", NULL},
	    {"", NULL},
	};
	struct mailbox *box;
	const char *error;
	char buf[128];

	make_maildir();
	write_file("cur/1.M1P1.host,S=2:2,", "a\n");
	write_file("dovecot-uidlist",
		   "3 V1795308727 N30\n26 :1.M1P1.host,S=2\n");
	box = open_box();
	assert_int_equal(mailbox_count(box), 1);
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		int ret =
		    mailbox_pop3_uidl(box, mailbox_get(box, 1), cases[i].format,
				      buf, sizeof(buf), &error);

		if (cases[i].result == NULL)
			assert_int_equal(ret, -1);
		else {
			if (ret < 0)
				fail_msg("%s: %s", cases[i].format, error);
			assert_string_equal(buf, cases[i].result);
		}
	}
	assert_int_equal(
	    mailbox_pop3_uidl(box, mailbox_get(box, 1), "%g", buf, 5, &error),
	    -1);
	mailbox_close(&box);

	/* a UIDL stored in the uidlist (migration) wins */
	write_file(
	    "dovecot-uidlist",
	    "3 V1795308727 N30\n26 W3 Pmigrated-uidl :1.M1P1.host,S=2\n");
	box = open_box();
	assert_int_equal(mailbox_pop3_uidl(box, mailbox_get(box, 1),
					   "%08Xu%08Xv", buf, sizeof(buf),
					   &error),
			 0);
	assert_string_equal(buf, "migrated-uidl");
	mailbox_close(&box);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_creates, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_open_creates_parents_and_control, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sync_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_scan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_scan_unpackable, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_keeps_uids, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_save, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vanish_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expunge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_uidlist, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_uidlist_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_session_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pop3_uidl, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
