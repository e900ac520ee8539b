/* Unit tests for the streamed save (maildir-save.c): each message gets the
 * next UID by a record appended to dovecot-uidlist, the CR LF of the input
 * is stored as LF, nothing stays in tmp/ and no dovecot-uidlist.lock stays
 * behind; the lock is taken by hard-linking this process's helper file,
 * which is left alone when it is linked elsewhere (the ordinary dotlock is
 * used then), a stale lock is removed, and saves finished in the save
 * threads (mailbox_save_finish_async) get distinct ascending UIDs. */
#include "lib.h"
#include "pool.h"
#include "ioloop.h"
#include "mailbox.h"
#include "dotlock.h"

#include <dirent.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MAILDIR_TEST_DIR_TEMPLATE "/tmp/loft-save-test.XXXXXX"
#include "maildir-test-dir.h"

static const char msg[] = "Subject: save\r\n\r\nline one\r\nline two\r\n";

static struct mailbox *open_box(enum mailbox_open_flags flags)
{
	struct mailbox *box;
	const char *error;

	assert_int_equal(
	    mailbox_open_inbox_flags(location, NULL, flags, &box, &error), 0);
	return box;
}

/* Saves msg in two pieces (the CR LF split between them). */
static uint32_t save_one(struct mailbox *box)
{
	struct mailbox_save *save;
	const char *error;
	uint32_t uid = 0;

	assert_int_equal(mailbox_save_begin(box, &save, &error), 0);
	assert_int_equal(mailbox_save_continue(save, msg, 15, &error), 0);
	assert_int_equal(
	    mailbox_save_continue(save, msg + 15, sizeof(msg) - 1 - 15, &error),
	    0);
	assert_int_equal(
	    mailbox_save_finish(&save, MAIL_SEEN, NULL, 0, &uid, &error), 0);
	assert_null(save);
	return uid;
}

/* The number of entries of Maildir/rel whose names start with prefix. */
static unsigned int count_names(const char *rel, const char *prefix)
{
	DIR *dir = opendir(path_of(rel));
	struct dirent *d;
	unsigned int n = 0;

	assert_non_null(dir);
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] != '.' &&
		    strncmp(d->d_name, prefix, strlen(prefix)) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

/* The UIDs of the last n records of dovecot-uidlist. */
static void last_uids(unsigned int n, uint32_t *uids)
{
	char buf[65536], *p, *lines[64];
	unsigned int count = 0;
	FILE *f = fopen(path_of("dovecot-uidlist"), "r");
	size_t len;

	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	for (p = strtok(buf, "\n"); p != NULL; p = strtok(NULL, "\n")) {
		if (count < N_ELEMENTS(lines))
			lines[count++] = p;
	}
	assert_true(count > n); /* the header and n records at least */
	for (unsigned int i = 0; i < n; i++)
		uids[i] = (uint32_t)strtoul(lines[count - n + i], NULL, 10);
}

static void test_save_appends_records(void **state)
{
	struct mailbox *box = open_box(0);
	uint32_t uids[3], rec[3];
	char name[200], file[1024], buf[256];
	struct stat st;
	FILE *f;

	for (unsigned int i = 0; i < 3; i++)
		uids[i] = save_one(box);
	assert_int_equal(uids[0], 1);
	assert_int_equal(uids[1], 2);
	assert_int_equal(uids[2], 3);
	last_uids(3, rec);
	assert_memory_equal(rec, uids, sizeof(uids));
	assert_int_equal(count_names("tmp", ""), 0);
	assert_int_equal(count_names("cur", ""), 3);
	assert_int_equal(count_names("", "dovecot-uidlist.lock"), 0);
	/* the helper file the lock is linked from, linked nowhere else */
	snprintf(name, sizeof(name), "loft-uidlist-lock.%s.%ld",
		 dotlock_hostname(), (long)getpid());
	assert_int_equal(stat(path_of(name), &st), 0);
	assert_int_equal(st.st_nlink, 1);
	/* "<pid>:<host>", for the stale checks of other lockers */
	f = fopen(path_of(name), "r");
	assert_non_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	snprintf(file, sizeof(file), "%ld:%s", (long)getpid(),
		 dotlock_hostname());
	assert_string_equal(buf, file);
	/* stored with LF line ends */
	{
		DIR *dir = opendir(path_of("cur"));
		struct dirent *d;

		while ((d = readdir(dir)) != NULL && d->d_name[0] == '.')
			;
		assert_non_null(d);
		snprintf(file, sizeof(file), "%s/Maildir/cur/%s", test_dir,
			 d->d_name);
		closedir(dir);
	}
	f = fopen(file, "r");
	assert_non_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	assert_string_equal(buf, "Subject: save\n\nline one\nline two\n");
	mailbox_close(&box);
}

static void test_save_unselected_mailbox(void **state)
{
	struct mailbox *box = open_box(0);
	uint32_t uid;

	assert_int_equal(save_one(box), 1);
	mailbox_close(&box);
	/* opened for the save only, as APPEND opens a mailbox */
	box = open_box(MAILBOX_OPEN_FLAG_NO_SYNC);
	uid = save_one(box);
	assert_int_equal(uid, 2);
	assert_int_not_equal(mailbox_get_uid_validity(box), 0);
	mailbox_close(&box);
	box = open_box(0);
	assert_int_equal(mailbox_count(box), 2);
	mailbox_close(&box);
}

static void test_save_stale_lock_removed(void **state)
{
	struct mailbox *box = open_box(0);
	struct timespec old[2] = {{.tv_sec = time(NULL) - 600},
				  {.tv_sec = time(NULL) - 600}};
	int fd;

	assert_int_equal(save_one(box), 1);
	/* left by a process that died holding it */
	fd = open(path_of("dovecot-uidlist.lock"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(futimens(fd, old), 0);
	close(fd);
	assert_int_equal(save_one(box), 2);
	assert_int_equal(count_names("", "dovecot-uidlist.lock"), 0);
	mailbox_close(&box);
}

static void test_save_helper_linked_elsewhere(void **state)
{
	struct mailbox *box = open_box(0);
	char name[200];
	struct stat st;
	int fd;

	/* a helper file of this name (as a killed process with our pid
	 * would have left it) that is still linked as a lock elsewhere: a
	 * lock linked from it could not be told apart, so the ordinary
	 * dotlock is used */
	snprintf(name, sizeof(name), "loft-uidlist-lock.%s.%ld",
		 dotlock_hostname(), (long)getpid());
	fd = open(path_of(name), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(link(path_of(name), path_of("other.lock")), 0);
	assert_int_equal(save_one(box), 1);
	assert_int_equal(save_one(box), 2);
	assert_int_equal(save_one(box), 3);
	assert_int_equal(stat(path_of(name), &st), 0);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(count_names("", "dovecot-uidlist.lock"), 0);
	assert_int_equal(count_names("tmp", ""), 0);
	mailbox_close(&box);
}

static void test_save_lock_of_killed_process(void **state)
{
	struct mailbox *box = open_box(0);
	char name[200], content[300];
	pid_t pid;
	int fd, status;

	assert_int_equal(save_one(box), 1);
	/* a process that took the lock as saves do and was killed holding
	 * it (its helper file names it) */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	snprintf(name, sizeof(name), "loft-uidlist-lock.%s.%ld",
		 dotlock_hostname(), (long)pid);
	fd = open(path_of(name), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	snprintf(content, sizeof(content), "%ld:%s", (long)pid,
		 dotlock_hostname());
	assert_int_equal(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	close(fd);
	assert_int_equal(link(path_of(name), path_of("dovecot-uidlist.lock")),
			 0);
	/* not two minutes: the owner is gone */
	assert_int_equal(save_one(box), 2);
	assert_int_equal(count_names("", "dovecot-uidlist.lock"), 0);
	mailbox_close(&box);
}

/* Writes an empty file Maildir/loft-uidlist-lock.<host>.<suffix>. */
static void make_helper(const char *host, const char *suffix)
{
	char name[200];
	int fd;

	snprintf(name, sizeof(name), "loft-uidlist-lock.%s.%s", host, suffix);
	fd = open(path_of(name), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static bool helper_exists(const char *host, const char *suffix)
{
	char name[200];
	struct stat st;

	snprintf(name, sizeof(name), "loft-uidlist-lock.%s.%s", host, suffix);
	return stat(path_of(name), &st) == 0;
}

static void test_save_sweeps_dead_helpers(void **state)
{
	struct mailbox *box = open_box(0);
	const char *host = dotlock_hostname();
	char dead[32], alive[32], self[32];
	pid_t pid;
	int status;

	/* helper files left by killed processes: this host's with a pid
	 * that is gone go when this process makes its own there */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	snprintf(dead, sizeof(dead), "%ld", (long)pid);
	snprintf(alive, sizeof(alive), "%ld", (long)getppid());
	snprintf(self, sizeof(self), "%ld", (long)getpid());
	make_helper(host, dead);
	make_helper(host, alive);
	make_helper("other-host.example", dead);
	make_helper(host, "12x");
	assert_int_equal(save_one(box), 1);
	assert_false(helper_exists(host, dead));
	assert_true(helper_exists(host, alive));
	assert_true(helper_exists("other-host.example", dead));
	assert_true(helper_exists(host, "12x"));
	assert_true(helper_exists(host, self));
	assert_int_equal(count_names("", "dovecot-uidlist.lock"), 0);
	mailbox_close(&box);
}

static void test_save_joins_view(void **state)
{
	struct mailbox *box = open_box(0);
	const char *error;
	uint32_t uid;

	assert_int_equal(save_one(box), 1);
	assert_int_equal(mailbox_sync(box, &error), 0);
	assert_int_equal(mailbox_count(box), 1);
	/* nothing else changed: in the view at once, no sync */
	uid = save_one(box);
	assert_int_equal(mailbox_count(box), 2);
	assert_int_equal(mailbox_get(box, 2)->uid, uid);
	assert_int_equal(mailbox_get(box, 2)->flags, MAIL_SEEN);
	assert_int_equal(mailbox_get(box, 2)->virtual_size, sizeof(msg) - 1);
	assert_int_equal(mailbox_get_uid_next(box), uid + 1);
	/* a delivery meanwhile: the save waits for the sync, which finds
	 * both */
	write_file("new/1700000000.Mdelivered.test", "Subject: d\n\nd\n");
	uid = save_one(box);
	assert_int_equal(mailbox_count(box), 2);
	assert_int_equal(mailbox_sync(box, &error), 0);
	assert_int_equal(mailbox_count(box), 4);
	assert_int_equal(mailbox_seq_by_uid(box, uid), 3);
	mailbox_close(&box);
	/* what a new handle reads agrees */
	box = open_box(0);
	assert_int_equal(mailbox_count(box), 4);
	mailbox_close(&box);
}

/* ---- mailbox_save_finish_async ---- */

#define ASYNC_SAVES 6

static struct ioloop *ioloop;
static unsigned int async_done;

static void async_callback(void *context)
{
	(void)context;
	if (++async_done == ASYNC_SAVES)
		ioloop_stop(ioloop);
}

static void async_timeout(void *context)
{
	(void)context;
	ioloop_stop(ioloop);
}

static void test_save_async_threads(void **state)
{
	struct mailbox *box = open_box(0);
	struct mailbox_save *saves[ASYNC_SAVES];
	uint32_t uids[ASYNC_SAVES], rec[ASYNC_SAVES];
	struct timeout *to;
	const char *error;

	/* the save threads stay attached to the first loop */
	if (ioloop == NULL)
		ioloop = ioloop_create();
	/* the first save creates dovecot-uidlist */
	assert_int_equal(save_one(box), 1);
	async_done = 0;
	for (unsigned int i = 0; i < ASYNC_SAVES; i++) {
		assert_int_equal(mailbox_save_begin(box, &saves[i], &error), 0);
		assert_int_equal(mailbox_save_continue(saves[i], msg,
						       sizeof(msg) - 1, &error),
				 0);
		assert_int_equal(mailbox_save_finish_async(
				     &saves[i], 0, NULL, 0, async_callback,
				     NULL, &uids[i], &error),
				 0);
		assert_true(mailbox_save_is_running(saves[i]));
	}
	to = timeout_add(30000, async_timeout, NULL);
	ioloop_run(ioloop);
	timeout_remove(&to);
	assert_int_equal(async_done, ASYNC_SAVES);
	for (unsigned int i = 0; i < ASYNC_SAVES; i++) {
		assert_false(mailbox_save_is_running(saves[i]));
		assert_int_equal(
		    mailbox_save_finish_result(&saves[i], &uids[i], &error), 0);
	}
	/* distinct, 2..7 in some order, and the records say the same */
	last_uids(ASYNC_SAVES, rec);
	for (unsigned int i = 0; i < ASYNC_SAVES; i++) {
		bool found = false;

		assert_true(uids[i] >= 2 && uids[i] < 2 + ASYNC_SAVES);
		for (unsigned int j = 0; j < ASYNC_SAVES; j++)
			found = found || rec[j] == uids[i];
		assert_true(found);
		for (unsigned int j = 0; j < i; j++)
			assert_int_not_equal(uids[j], uids[i]);
	}
	assert_int_equal(count_names("tmp", ""), 0);
	assert_int_equal(count_names("", "dovecot-uidlist.lock"), 0);
	mailbox_close(&box);
	box = open_box(0);
	assert_int_equal(mailbox_count(box), 1 + ASYNC_SAVES);
	mailbox_close(&box);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_save_appends_records, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_save_unselected_mailbox, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_save_stale_lock_removed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_save_helper_linked_elsewhere,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_save_sweeps_dead_helpers,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_save_joins_view, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_save_lock_of_killed_process,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_save_async_threads, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
