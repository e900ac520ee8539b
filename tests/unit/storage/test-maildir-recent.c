/* Unit tests for \Recent (RFC 3501 section 2.3.2) in the maildir storage:
 * the first handle that takes the recent messages gets them and no later
 * one does, a handle that does not take them (EXAMINE, STATUS) sees them
 * and leaves them, messages arriving while a taking handle is open are
 * its own, the first recent UID survives in loft.index and never goes back
 * when an older view rewrites the index, and two processes taking at the
 * same time never share a message. */
#include "lib.h"
#include "pool.h"
#include "mailbox.h"
#include "maildir-index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char test_dir[256];
static char location[300];
static unsigned int delivered;

static int setup(void **state)
{
	(void)state;
	snprintf(test_dir, sizeof(test_dir), "/tmp/loft-recent-test.XXXXXX");
	if (mkdtemp(test_dir) == NULL)
		return -1;
	snprintf(location, sizeof(location), "maildir:%s/Maildir", test_dir);
	delivered = 0;
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *rel)
{
	static char buf[4][512];
	static unsigned int idx;
	char *p = buf[idx++ % 4];

	snprintf(p, 512, "%s/Maildir/%s", test_dir, rel);
	return p;
}

static struct mailbox *open_box(bool take)
{
	struct mailbox *box;
	const char *error;

	assert_int_equal(mailbox_open_inbox(location, NULL, &box, &error), 0);
	if (take)
		mailbox_recent_take(box);
	return box;
}

/* Delivers count messages into new/, as an MTA would. */
static void deliver(unsigned int count)
{
	const char *error;

	for (unsigned int i = 0; i < count; i++) {
		char msg[64];
		int len = snprintf(msg, sizeof(msg), "Subject: %u\n\nbody\n",
				   ++delivered);

		assert_int_equal(
		    maildir_save_file(path_of(""), msg, (size_t)len, 0,
				      1600000000 + delivered, &error),
		    0);
	}
}

static void sync_box(struct mailbox *box)
{
	const char *error;

	assert_int_equal(mailbox_sync(box, &error), 0);
}

/* The UIDs recent in box as "1,2,5" ("" for none). */
static const char *recent_uids(struct mailbox *box)
{
	static char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int seq = 1; seq <= mailbox_count(box); seq++) {
		uint32_t uid = mailbox_get(box, seq)->uid;

		if (!mailbox_is_recent(box, uid))
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%u",
					len > 0 ? "," : "", uid);
	}
	return buf;
}

static void assert_recent(struct mailbox *box, const char *uids,
			  unsigned int count)
{
	struct mailbox_status status;

	assert_string_equal(recent_uids(box), uids);
	assert_int_equal(mailbox_get_recent_count(box), count);
	mailbox_get_status(box, &status);
	assert_int_equal(status.recent, count);
}

static void test_first_session_takes(void **state)
{
	struct mailbox *examine, *select1, *select2, *status;

	(void)state;
	deliver(3);
	/* EXAMINE sees them and leaves them */
	examine = open_box(false);
	assert_recent(examine, "1,2,3", 3);
	select1 = open_box(true);
	assert_recent(select1, "1,2,3", 3);
	/* the read-only handle keeps what it saw */
	sync_box(examine);
	assert_recent(examine, "1,2,3", 3);
	/* later sessions get none, taking or not */
	status = open_box(false);
	assert_recent(status, "", 0);
	select2 = open_box(true);
	assert_recent(select2, "", 0);
	assert_false(mailbox_is_recent(select2, 1));
	assert_false(mailbox_is_recent(select1, 4));
	mailbox_close(&status);
	mailbox_close(&select2);
	mailbox_close(&select1);
	mailbox_close(&examine);

	/* closing does not give them back */
	select1 = open_box(true);
	assert_recent(select1, "", 0);
	mailbox_close(&select1);
}

static void test_arrival_while_selected(void **state)
{
	struct mailbox *a, *b, *look;

	(void)state;
	deliver(2);
	a = open_box(true);
	b = open_box(true);
	assert_recent(a, "1,2", 2);
	assert_recent(b, "", 0);
	deliver(2);
	/* before anyone synced, a new handle sees the new ones */
	look = open_box(false);
	assert_recent(look, "3,4", 2);
	mailbox_close(&look);
	/* the first taking handle that syncs gets them */
	sync_box(b);
	assert_recent(b, "3,4", 2);
	sync_box(a);
	assert_recent(a, "1,2", 2);
	deliver(1);
	sync_box(a);
	assert_recent(a, "1,2,5", 3);
	sync_box(b);
	assert_recent(b, "3,4", 2);
	look = open_box(false);
	assert_recent(look, "", 0);
	mailbox_close(&look);
	mailbox_close(&a);
	mailbox_close(&b);
}

static void test_expunge_and_save(void **state)
{
	struct mailbox *box;
	const char *error;
	uint32_t uid, uids[1];

	(void)state;
	deliver(3);
	box = open_box(true);
	assert_recent(box, "1,2,3", 3);
	uids[0] = 2;
	assert_int_equal(mailbox_expunge_uids(box, uids, 1, &error), 0);
	assert_recent(box, "1,3", 2);
	/* an APPEND into the open mailbox is recent in it after the sync */
	assert_int_equal(mailbox_save(box, "Subject: x\n\nx\n", 14, MAIL_SEEN,
				      NULL, 0, &uid, &error),
			 0);
	assert_int_equal(uid, 4);
	sync_box(box);
	assert_recent(box, "1,3,4", 3);
	mailbox_close(&box);
}

/* A handle opened before the messages were taken, rewriting loft.index
 * after a later change, must not make them recent again. */
static void test_older_view_writes_index(void **state)
{
	struct mailbox *old, *taker, *look;

	(void)state;
	deliver(3);
	old = open_box(false);
	taker = open_box(true);
	assert_recent(taker, "1,2,3", 3);
	mailbox_close(&taker);
	deliver(1); /* old's next sync is a full one: it writes the index */
	sync_box(old);
	assert_recent(old, "1,2,3,4", 4);
	look = open_box(false);
	assert_recent(look, "4", 1);
	mailbox_close(&look);
	mailbox_close(&old);
}

static void test_index_lost(void **state)
{
	struct mailbox *box;

	(void)state;
	deliver(2);
	box = open_box(true);
	mailbox_close(&box);
	box = open_box(false);
	assert_recent(box, "", 0);
	mailbox_close(&box);
	/* the index is a cache: without it the messages are recent again
	 * (as in Dovecot when its index is lost) */
	assert_int_equal(unlink(path_of(MAILDIR_INDEX_FNAME)), 0);
	box = open_box(false);
	assert_recent(box, "1,2", 2);
	mailbox_close(&box);
}

/* MAILBOX_OPEN_FLAG_TAKE_RECENT: the same as mailbox_recent_take() right
 * after opening. */
static void test_open_flag(void **state)
{
	struct mailbox *a, *b;
	const char *error;

	(void)state;
	deliver(2);
	assert_int_equal(mailbox_open_inbox_flags(location, NULL,
						  MAILBOX_OPEN_FLAG_TAKE_RECENT,
						  &a, &error),
			 0);
	assert_recent(a, "1,2", 2);
	assert_int_equal(mailbox_open_inbox_flags(location, NULL,
						  MAILBOX_OPEN_FLAG_TAKE_RECENT,
						  &b, &error),
			 0);
	assert_recent(b, "", 0);
	deliver(1);
	sync_box(b);
	assert_recent(b, "3", 1);
	sync_box(a);
	assert_recent(a, "1,2", 2);
	mailbox_close(&a);
	mailbox_close(&b);
	a = open_box(false);
	assert_recent(a, "", 0);
	mailbox_close(&a);
}

/* Two processes taking over and over while messages arrive: every message
 * is recent in exactly one handle. */
static void test_concurrent_takers(void **state)
{
	/* each child opens until it has seen every message (at most
	 * MAX_OPENS times) */
	enum { MESSAGES = 30, MAX_OPENS = 5000 };
	unsigned int seen[MESSAGES + 1];
	struct mailbox *box;
	uint32_t uid;
	int fds[2];

	(void)state;
	memset(seen, 0, sizeof(seen));
	assert_int_equal(pipe(fds), 0);
	box = open_box(false); /* creates the maildir before the children */
	mailbox_close(&box);
	for (unsigned int c = 0; c < 2; c++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			unsigned int count = 0;

			for (unsigned int i = 0;
			     i < MAX_OPENS && count < MESSAGES; i++) {
				const char *error;

				if (mailbox_open_inbox(location, NULL, &box,
						       &error) < 0)
					_exit(1);
				mailbox_recent_take(box);
				count = mailbox_count(box);
				for (unsigned int seq = 1;
				     seq <= mailbox_count(box); seq++) {
					uid = mailbox_get(box, seq)->uid;
					if (mailbox_is_recent(box, uid) &&
					    write(fds[1], &uid, sizeof(uid)) !=
						sizeof(uid))
						_exit(1);
				}
				mailbox_close(&box);
			}
			_exit(0);
		}
	}
	close(fds[1]);
	deliver(MESSAGES);
	for (unsigned int c = 0; c < 2; c++) {
		int status;

		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	while (read(fds[0], &uid, sizeof(uid)) == sizeof(uid)) {
		assert_true(uid >= 1 && uid <= MESSAGES);
		seen[uid]++;
	}
	close(fds[0]);
	/* what the children did not take is still there for the next one */
	box = open_box(true);
	for (unsigned int seq = 1; seq <= mailbox_count(box); seq++) {
		uid = mailbox_get(box, seq)->uid;
		if (mailbox_is_recent(box, uid))
			seen[uid]++;
	}
	assert_int_equal(mailbox_count(box), MESSAGES);
	mailbox_close(&box);
	for (unsigned int i = 1; i <= MESSAGES; i++) {
		if (seen[i] != 1)
			fail_msg("UID %u was recent in %u sessions", i,
				 seen[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_first_session_takes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_arrival_while_selected, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_expunge_and_save, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_older_view_writes_index, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_index_lost, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_flag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_takers, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
