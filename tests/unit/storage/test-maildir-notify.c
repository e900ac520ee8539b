/* Unit tests for change notification (maildir-notify.c): handles of one
 * process share one inotify instance read from the ioloop, each handle
 * wakes through its own descriptor, watches are shared and refcounted,
 * more handles than fs.inotify.max_user_instances work, a queue overflow
 * wakes everyone, and without an ioloop a handle gets its own instance.
 * Each test works in its own temporary directory. */
#include "lib.h"
#include "ioloop.h"
#include "mailbox.h"
#include "maildir-private.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define WAIT_MSECS 5000
#define MANY_HANDLES 300

static char test_dir[256];
static struct ioloop *ioloop;

static int setup(void **state ATTR_UNUSED)
{
	snprintf(test_dir, sizeof(test_dir), "/tmp/loft-notify-test.XXXXXX");
	if (mkdtemp(test_dir) == NULL)
		return -1;
	ioloop = ioloop_create();
	return 0;
}

static int setup_no_ioloop(void **state ATTR_UNUSED)
{
	snprintf(test_dir, sizeof(test_dir), "/tmp/loft-notify-test.XXXXXX");
	return mkdtemp(test_dir) == NULL ? -1 : 0;
}

static int teardown(void **state ATTR_UNUSED)
{
	char cmd[400];

	if (ioloop != NULL)
		ioloop_destroy(&ioloop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *box_path(unsigned int n, const char *rel)
{
	static char buf[4][512];
	static unsigned int idx;
	char *p = buf[idx++ % 4];

	snprintf(p, 512, "%s/m%u/%s", test_dir, n, rel);
	return p;
}

static struct mailbox *open_box(unsigned int n)
{
	struct mailbox *box;
	char location[400];
	const char *error = NULL;

	snprintf(location, sizeof(location), "maildir:%s/m%u", test_dir, n);
	if (mailbox_open_inbox(location, NULL, &box, &error) < 0)
		fail_msg("open failed: %s", error);
	return box;
}

static int notify_fd(struct mailbox *box)
{
	const char *error = NULL;
	int fd = mailbox_notify_fd(box, &error);

	if (fd < 0)
		fail_msg("mailbox_notify_fd() failed: %s", error);
	return fd;
}

static void deliver(unsigned int n, const char *name)
{
	int fd = open(box_path(n, name), O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a\n", 2), 2);
	assert_int_equal(close(fd), 0);
}

static bool readable_now(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, 0) == 1;
}

static void wait_stop(void *context ATTR_UNUSED)
{
	ioloop_stop(ioloop);
}

/* Runs the loop (so the shared reader passes events on) until fd is
 * readable or WAIT_MSECS passed. */
static bool wait_readable(int fd)
{
	struct timeout *to = NULL;
	struct io *io;

	if (readable_now(fd))
		return true;
	io = io_add(fd, IO_READ, wait_stop, NULL);
	to = timeout_add_once(WAIT_MSECS, wait_stop, NULL, &to);
	ioloop_run(ioloop);
	io_remove(&io);
	if (to != NULL)
		timeout_remove(&to);
	return readable_now(fd);
}

/* How many inotify instances this process holds. */
static unsigned int inotify_instances(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *d;
	unsigned int count = 0;

	assert_non_null(dir);
	while ((d = readdir(dir)) != NULL) {
		char path[PATH_MAX], target[64];
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:inotify") == 0)
			count++;
	}
	closedir(dir);
	return count;
}

static void test_same_mailbox(void **state ATTR_UNUSED)
{
	struct mailbox *box1 = open_box(1), *box2 = open_box(1);
	int fd1, fd2;

	assert_int_equal(inotify_instances(), 0);
	fd1 = notify_fd(box1);
	fd2 = notify_fd(box2);
	assert_int_not_equal(fd1, fd2);
	assert_int_equal(notify_fd(box1), fd1);
	/* one instance; new/ and cur/ watched once for both handles */
	assert_int_equal(inotify_instances(), 1);
	assert_int_equal(maildir_notify_shared_watch_count(), 2);
	assert_false(readable_now(fd1));
	assert_false(readable_now(fd2));

	/* a delivery wakes both */
	deliver(1, "new/1.M1P1.h");
	assert_true(wait_readable(fd1));
	assert_true(wait_readable(fd2));
	mailbox_notify_clear(box1);
	assert_false(readable_now(fd1));
	assert_true(readable_now(fd2));
	mailbox_notify_clear(box2);
	assert_false(readable_now(fd2));

	/* flags changed (rename in cur/) and an expunge (unlink) */
	assert_int_equal(rename(box_path(1, "new/1.M1P1.h"),
				box_path(1, "cur/1.M1P1.h:2,S")),
			 0);
	assert_true(wait_readable(fd1));
	assert_true(wait_readable(fd2));
	mailbox_notify_clear(box1);
	mailbox_notify_clear(box2);
	assert_int_equal(unlink(box_path(1, "cur/1.M1P1.h:2,S")), 0);
	assert_true(wait_readable(fd2));
	mailbox_notify_clear(box2);

	/* closing one leaves the watches to the other, which still wakes */
	mailbox_close(&box1);
	assert_int_equal(maildir_notify_shared_watch_count(), 2);
	assert_int_equal(inotify_instances(), 1);
	mailbox_notify_clear(box2);
	assert_false(readable_now(fd2));
	deliver(1, "new/2.M1P1.h");
	assert_true(wait_readable(fd2));
	mailbox_notify_clear(box2);
	assert_false(readable_now(fd2));

	/* the last handle takes the watches and the instance with it */
	mailbox_close(&box2);
	assert_int_equal(maildir_notify_shared_watch_count(), 0);
	assert_int_equal(inotify_instances(), 0);

	/* and a new handle starts over */
	box1 = open_box(1);
	fd1 = notify_fd(box1);
	assert_int_equal(inotify_instances(), 1);
	deliver(1, "new/3.M1P1.h");
	assert_true(wait_readable(fd1));
	mailbox_close(&box1);
	assert_int_equal(inotify_instances(), 0);
}

static void test_only_own_mailbox(void **state ATTR_UNUSED)
{
	struct mailbox *box1 = open_box(1), *box2 = open_box(2);
	int fd1 = notify_fd(box1), fd2 = notify_fd(box2);

	assert_int_equal(maildir_notify_shared_watch_count(), 4);
	deliver(1, "new/1.M1P1.h");
	assert_true(wait_readable(fd1));
	/* the event was read from the one shared queue: box2 has none */
	assert_false(readable_now(fd2));
	deliver(2, "new/1.M1P1.h");
	assert_true(wait_readable(fd2));
	mailbox_close(&box1);
	mailbox_close(&box2);
	assert_int_equal(maildir_notify_shared_watch_count(), 0);
}

static void test_many_handles(void **state ATTR_UNUSED)
{
	struct mailbox *boxes[MANY_HANDLES];
	int fds[MANY_HANDLES];

	for (unsigned int i = 0; i < MANY_HANDLES; i++) {
		boxes[i] = open_box(i);
		fds[i] = notify_fd(boxes[i]);
	}
	/* more handles than fs.inotify.max_user_instances' default (128),
	 * one instance */
	assert_int_equal(inotify_instances(), 1);
	assert_int_equal(maildir_notify_shared_watch_count(), MANY_HANDLES * 2);
	for (unsigned int i = 0; i < MANY_HANDLES; i++)
		deliver(i, "new/1.M1P1.h");
	for (unsigned int i = 0; i < MANY_HANDLES; i++) {
		if (!wait_readable(fds[i]))
			fail_msg("handle %u was not woken", i);
		mailbox_notify_clear(boxes[i]);
		assert_false(readable_now(fds[i]));
	}
	/* one more change, to every other mailbox only */
	for (unsigned int i = 0; i < MANY_HANDLES; i += 2)
		deliver(i, "new/2.M1P1.h");
	assert_true(wait_readable(fds[MANY_HANDLES - 2]));
	for (unsigned int i = 0; i < MANY_HANDLES; i++) {
		if (i % 2 == 0)
			assert_true(wait_readable(fds[i]));
		else
			assert_false(readable_now(fds[i]));
	}
	for (unsigned int i = 0; i < MANY_HANDLES; i++)
		mailbox_close(&boxes[i]);
	assert_int_equal(inotify_instances(), 0);
	assert_int_equal(maildir_notify_shared_watch_count(), 0);
}

static unsigned int max_queued_events(void)
{
	FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	unsigned int n = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%u", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

static void test_overflow(void **state ATTR_UNUSED)
{
	struct mailbox *box1 = open_box(1), *box2 = open_box(2);
	unsigned int max = max_queued_events();
	int fd1 = notify_fd(box1), fd2 = notify_fd(box2);

	if (max == 0 || max > 200000) {
		mailbox_close(&box1);
		mailbox_close(&box2);
		print_message("skipped: fs.inotify.max_queued_events is %u, "
			      "unreadable or too big to fill in a test\n",
			      max);
		skip();
	}
	/* Without running the loop, queue more events than inotify holds,
	 * all in box1's new/: 3 per round (IN_CREATE, IN_CLOSE_WRITE,
	 * IN_DELETE). The queue ends in IN_Q_OVERFLOW. */
	for (unsigned int i = 0; i < max / 3 + 100; i++) {
		int fd = open(box_path(1, "new/x"), O_WRONLY | O_CREAT, 0600);

		assert_true(fd >= 0);
		assert_int_equal(close(fd), 0);
		assert_int_equal(unlink(box_path(1, "new/x")), 0);
	}
	/* box2 saw no event of its own: only the overflow wakes it */
	assert_true(wait_readable(fd2));
	assert_true(wait_readable(fd1));
	mailbox_notify_clear(box1);
	mailbox_notify_clear(box2);
	assert_false(readable_now(fd1));
	assert_false(readable_now(fd2));
	/* and notification goes on afterwards */
	deliver(2, "new/1.M1P1.h");
	assert_true(wait_readable(fd2));
	assert_false(readable_now(fd1));
	mailbox_close(&box1);
	mailbox_close(&box2);
	assert_int_equal(inotify_instances(), 0);
}

static void test_mailbox_removed(void **state ATTR_UNUSED)
{
	struct mailbox *box1 = open_box(1), *box2 = open_box(2);
	int fd1 = notify_fd(box1), fd2 = notify_fd(box2);
	char cmd[600];

	/* the directory goes away under the handle (mailbox deleted): the
	 * handle wakes, the kernel drops the watches (IN_IGNORED) */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/m1'", test_dir);
	assert_int_equal(system(cmd), 0);
	assert_true(wait_readable(fd1));
	mailbox_notify_clear(box1);
	/* what the kernel dropped is gone from the table once read */
	deliver(2, "new/1.M1P1.h");
	assert_true(wait_readable(fd2));
	mailbox_notify_clear(box2);
	assert_int_equal(maildir_notify_shared_watch_count(), 2);
	mailbox_close(&box1);
	assert_int_equal(maildir_notify_shared_watch_count(), 2);
	deliver(2, "new/2.M1P1.h");
	assert_true(wait_readable(fd2));
	mailbox_close(&box2);
	assert_int_equal(maildir_notify_shared_watch_count(), 0);
	assert_int_equal(inotify_instances(), 0);
}

static void test_no_ioloop(void **state ATTR_UNUSED)
{
	struct mailbox *box1, *box2;
	struct pollfd pfd = {.events = POLLIN};
	int fd1, fd2;

	assert_null(current_ioloop);
	box1 = open_box(1);
	box2 = open_box(1);
	/* an instance each, readable without a loop */
	fd1 = notify_fd(box1);
	fd2 = notify_fd(box2);
	assert_int_equal(inotify_instances(), 2);
	assert_int_equal(maildir_notify_shared_watch_count(), 0);
	deliver(1, "new/1.M1P1.h");
	pfd.fd = fd1;
	assert_int_equal(poll(&pfd, 1, WAIT_MSECS), 1);
	pfd.fd = fd2;
	assert_int_equal(poll(&pfd, 1, WAIT_MSECS), 1);
	mailbox_notify_clear(box1);
	assert_false(readable_now(fd1));
	assert_true(readable_now(fd2));
	mailbox_close(&box1);
	mailbox_close(&box2);
	assert_int_equal(inotify_instances(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_same_mailbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_only_own_mailbox, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_many_handles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mailbox_removed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_no_ioloop, setup_no_ioloop,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
