/* Unit tests for loft.index: the second open comes from the index without
 * scanning, damaged and torn index files are rebuilt, modseqs stay for
 * unchanged messages and rise for changed ones, and a process killed while
 * rewriting the index leaves a valid old or new file. */
#include "lib.h"
#include "pool.h"
#include "mailbox.h"
#include "maildir-index.h"
#include "maildir-filename.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char test_dir[256];
static char location[300];

static int setup(void **state)
{
	(void)state;
	snprintf(test_dir, sizeof(test_dir), "/tmp/loft-index-test.XXXXXX");
	if (mkdtemp(test_dir) == NULL)
		return -1;
	snprintf(location, sizeof(location), "maildir:%s/Maildir", test_dir);
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

static struct mailbox *open_box(void)
{
	struct mailbox *box;
	const char *error;

	assert_int_equal(mailbox_open_inbox(location, NULL, &box, &error), 0);
	return box;
}

static void populate(unsigned int count)
{
	const char *error;

	for (unsigned int i = 0; i < count; i++) {
		char msg[64];
		int len =
		    snprintf(msg, sizeof(msg), "Subject: %u\n\nbody\n", i);

		assert_int_equal(maildir_save_file(path_of(""), msg,
						   (size_t)len,
						   i % 2 == 0 ? MAIL_SEEN : 0,
						   1600000000 + i, &error),
				 0);
	}
}

static unsigned char *read_index(size_t *size_r)
{
	int fd = open(path_of(MAILDIR_INDEX_FNAME), O_RDONLY);
	struct stat st;
	unsigned char *data;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	data = i_malloc((size_t)st.st_size + 1);
	assert_int_equal(read(fd, data, (size_t)st.st_size), st.st_size);
	close(fd);
	*size_r = (size_t)st.st_size;
	return data;
}

static void write_index(const void *data, size_t size)
{
	int fd = open(path_of(MAILDIR_INDEX_FNAME), O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);
}

/* The file in cur/ that gets UID 1: the first in the order a sync gives
 * UIDs (numeric M<usecs>: "M99999" comes before "M100000"). */
static const char *cur_file(void)
{
	static char name[256];
	DIR *d = opendir(path_of("cur"));
	struct dirent *e;

	assert_non_null(d);
	name[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' &&
		    (name[0] == '\0' ||
		     maildir_filename_sort_cmp(e->d_name, name) < 0))
			snprintf(name, sizeof(name), "%s", e->d_name);
	}
	closedir(d);
	return name;
}

static void test_open_from_index(void **state)
{
	struct mailbox *box;
	struct stat st;
	struct timespec ts[2];
	char old_path[512], new_path[600];

	(void)state;
	populate(5);
	box = open_box();
	assert_int_equal(mailbox_count(box), 5);
	mailbox_close(&box);
	assert_int_equal(stat(path_of(MAILDIR_INDEX_FNAME), &st), 0);

	/* change a flag behind the index's back and put cur/'s mtime back:
	 * an open that trusts the index does not see it */
	assert_int_equal(stat(path_of("cur"), &st), 0);
	snprintf(old_path, sizeof(old_path), "%s", path_of("cur"));
	strcat(old_path, "/");
	strcat(old_path, cur_file());
	snprintf(new_path, sizeof(new_path), "%sF", old_path);
	assert_int_equal(rename(old_path, new_path), 0);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, path_of("cur"), ts, 0), 0);
	box = open_box();
	assert_int_equal(mailbox_get(box, 1)->flags & MAIL_FLAGGED, 0);
	mailbox_close(&box);

	/* a real change (mtime moves) is seen */
	ts[1].tv_nsec = (ts[1].tv_nsec + 1) % 1000000000;
	assert_int_equal(utimensat(AT_FDCWD, path_of("cur"), ts, 0), 0);
	box = open_box();
	assert_int_not_equal(mailbox_get(box, 1)->flags & MAIL_FLAGGED, 0);
	mailbox_close(&box);
}

/* Two handles opened from the same loft.index share one view of its
 * records: a change through one (flags, a learned received time) is its
 * own until the other syncs, and the shared records stay as the file
 * has them for a third handle opened from the same mapping. */
static void test_shared_view(void **state)
{
	struct mailbox *first, *a, *b, *c;
	const char *error;

	(void)state;
	populate(4);
	first = open_box(); /* writes loft.index */
	mailbox_close(&first);
	a = open_box();
	b = open_box();
	assert_ptr_equal(mailbox_get(a, 2), mailbox_get(b, 2));
	assert_int_equal(mailbox_get(a, 2)->flags & MAIL_FLAGGED, 0);

	assert_int_equal(mailbox_update_flags(a, 2, MAIL_MODIFY_ADD,
					      MAIL_FLAGGED, 0, &error),
			 0);
	assert_int_not_equal(mailbox_get(a, 2)->flags & MAIL_FLAGGED, 0);
	assert_ptr_not_equal(mailbox_get(a, 2), mailbox_get(b, 2));
	/* b has not synced: its record is the shared one, unchanged */
	assert_int_equal(mailbox_get(b, 2)->flags & MAIL_FLAGGED, 0);
	assert_ptr_equal(mailbox_get(a, 3), mailbox_get(b, 3));
	/* a opened file through its own copy's new name */
	{
		bool expunged;
		int fd = mailbox_open_mail(a, 2, &expunged, &error);

		assert_true(fd >= 0);
		close(fd);
	}
	/* b still has the old name: it finds the file under the new one,
	 * in a record of its own */
	{
		bool expunged;
		int fd = mailbox_open_mail(b, 2, &expunged, &error);

		assert_true(fd >= 0);
		close(fd);
	}
	assert_int_equal(mailbox_get(b, 2)->flags & MAIL_FLAGGED, MAIL_FLAGGED);
	assert_ptr_not_equal(mailbox_get(a, 2), mailbox_get(b, 2));
	assert_ptr_equal(mailbox_get(a, 4), mailbox_get(b, 4));
	assert_int_equal(mailbox_sync(b, &error), 0);
	assert_int_not_equal(mailbox_get(b, 2)->flags & MAIL_FLAGGED, 0);
	mailbox_close(&b);
	mailbox_close(&a);

	/* the file changed (a flag): a new handle sees the change */
	c = open_box();
	assert_int_not_equal(mailbox_get(c, 2)->flags & MAIL_FLAGGED, 0);
	assert_int_equal(mailbox_get(c, 3)->flags & MAIL_FLAGGED, 0);
	mailbox_close(&c);
}

/* An index larger than the buffer it is written through (records and
 * strings both span several buffers): valid, and the next open comes
 * from it. */
static void test_big_index(void **state)
{
	const unsigned int count = 6000;
	struct timespec ts[2];
	struct stat st;
	struct mailbox *box;
	unsigned char *data;
	size_t size;
	char name[128];

	(void)state;
	box = open_box();
	mailbox_close(&box);
	for (unsigned int i = 0; i < count; i++) {
		snprintf(name, sizeof(name),
			 "cur/%u.M%uP7.host-with-a-longer-name,S=9,W=10:2,%s",
			 1600000000 + i / 3, i, i % 2 == 0 ? "S" : "");
		int fd = open(path_of(name), O_WRONLY | O_CREAT, 0600);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "Subject: \n", 9), 9);
		close(fd);
	}
	box = open_box();
	assert_int_equal(mailbox_count(box), count);
	mailbox_close(&box);
	data = read_index(&size);
	assert_true(size > 2 * 256 * 1024);
	assert_true(maildir_index_image_is_valid(data, size));
	i_free(data);

	/* a file removed behind the index's back with cur/'s mtime put
	 * back: the open comes from the index, which still lists it */
	assert_int_equal(stat(path_of("cur"), &st), 0);
	snprintf(name, sizeof(name),
		 "cur/%u.M%uP7.host-with-a-longer-name,S=9,W=10:2,S",
		 1600000000, 0);
	assert_int_equal(unlink(path_of(name)), 0);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, path_of("cur"), ts, 0), 0);
	box = open_box();
	assert_int_equal(mailbox_count(box), count);
	snprintf(name, sizeof(name),
		 "%u.M%uP7.host-with-a-longer-name,S=9,W=10",
		 1600000000 + (count - 1) / 3, count - 1);
	assert_string_equal(mailbox_get(box, count)->basename, name);
	assert_int_equal(mailbox_get(box, count)->virtual_size, 10);
	assert_int_equal(mailbox_get(box, 1)->flags, MAIL_SEEN);
	mailbox_close(&box);
}

static void test_damaged_index(void **state)
{
	struct mailbox *box;
	unsigned char *data;
	size_t size;

	(void)state;
	populate(4);
	box = open_box();
	mailbox_close(&box);
	data = read_index(&size);
	assert_true(maildir_index_image_is_valid(data, size));

	/* every single-byte flip is caught */
	for (size_t i = 0; i < size; i++) {
		data[i] ^= 0x40;
		assert_false(maildir_index_image_is_valid(data, size));
		data[i] ^= 0x40;
	}
	/* torn writes: every truncation is caught */
	for (size_t len = 0; len < size; len++)
		assert_false(maildir_index_image_is_valid(data, len));

	/* a damaged file is rebuilt with the same UIDs */
	data[size / 2] ^= 0xff;
	write_index(data, size);
	box = open_box();
	assert_int_equal(mailbox_count(box), 4);
	for (unsigned int seq = 1; seq <= 4; seq++)
		assert_int_equal(mailbox_get(box, seq)->uid, seq);
	mailbox_close(&box);
	i_free(data);
	data = read_index(&size);
	assert_true(maildir_index_image_is_valid(data, size));
	i_free(data);

	/* missing: rebuilt too */
	assert_int_equal(unlink(path_of(MAILDIR_INDEX_FNAME)), 0);
	box = open_box();
	assert_int_equal(mailbox_count(box), 4);
	mailbox_close(&box);
}

static void test_modseq(void **state)
{
	struct mailbox *box, *other;
	const char *error;
	uint64_t m1, m2, m3, highest;

	(void)state;
	populate(3);
	box = open_box();
	m1 = mailbox_get(box, 1)->modseq;
	m2 = mailbox_get(box, 2)->modseq;
	m3 = mailbox_get(box, 3)->modseq;
	highest = mailbox_get_highest_modseq(box);
	assert_true(m1 > 0 && m2 > 0 && m3 > 0);
	assert_true(highest >= m1 && highest >= m2 && highest >= m3);

	/* another session changes message 2 */
	other = open_box();
	assert_int_equal(mailbox_update_flags(other, 2, MAIL_MODIFY_ADD,
					      MAIL_FLAGGED, 0, &error),
			 0);
	assert_true(mailbox_get(other, 2)->modseq > highest);
	mailbox_close(&other);

	assert_int_equal(mailbox_sync(box, &error), 0);
	assert_int_equal(mailbox_get(box, 1)->modseq, m1);
	assert_int_equal(mailbox_get(box, 3)->modseq, m3);
	assert_true(mailbox_get(box, 2)->modseq > highest);
	highest = mailbox_get_highest_modseq(box);

	/* expunge raises HIGHESTMODSEQ; it survives reopening */
	unsigned int seq = 3;
	assert_int_equal(mailbox_expunge_seqs(box, &seq, 1, &error), 0);
	assert_int_equal(mailbox_sync(box, &error), 0);
	assert_true(mailbox_get_highest_modseq(box) > highest);
	highest = mailbox_get_highest_modseq(box);
	mailbox_close(&box);
	box = open_box();
	assert_int_equal(mailbox_get_highest_modseq(box), highest);
	assert_int_equal(mailbox_get(box, 1)->modseq, m1);
	mailbox_close(&box);
}

static void test_kill_while_writing(void **state)
{
	struct mailbox *box;
	unsigned char *data;
	size_t size;

	(void)state;
	populate(200);
	box = open_box();
	mailbox_close(&box);
	srand((unsigned int)getpid());
	for (unsigned int round = 0; round < 20; round++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			/* keep changing a flag and rewriting the index */
			for (;;) {
				const char *error;

				box = open_box();
				(void)mailbox_update_flags(
				    box, 1, MAIL_MODIFY_REPLACE,
				    (enum mail_flags)(rand() % 2 ? MAIL_SEEN
								 : 0),
				    0, &error);
				(void)mailbox_sync(box, &error);
				mailbox_close(&box);
			}
		}
		/* kill -9 at a random point of the loop */
		struct timespec ts = {0, (rand() % 20000) * 1000L};
		nanosleep(&ts, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, NULL, 0), pid);
		data = read_index(&size);
		assert_true(maildir_index_image_is_valid(data, size));
		i_free(data);
		box = open_box();
		assert_int_equal(mailbox_count(box), 200);
		mailbox_close(&box);
	}
}

static void test_sync_changes(void **state)
{
	struct mailbox_sync_changes ch;
	struct mailbox *box, *other;
	pool_t pool = pool_create("test", 1024);
	const char *error;
	unsigned int seq = 1;

	(void)state;
	populate(4);
	box = open_box();
	assert_int_equal(mailbox_sync_changes(box, pool, &ch, &error), 0);
	assert_int_equal(ch.expunged_count + ch.changed_count + ch.new_count,
			 0);

	/* someone else: flags on 3, expunge 1, deliver one */
	other = open_box();
	assert_int_equal(mailbox_update_flags(other, 3, MAIL_MODIFY_ADD,
					      MAIL_FLAGGED, 0, &error),
			 0);
	assert_int_equal(mailbox_expunge_seqs(other, &seq, 1, &error), 0);
	mailbox_close(&other);
	populate(1);
	/* and this handle changes 2 itself */
	assert_int_equal(mailbox_update_flags(box, 2, MAIL_MODIFY_ADD,
					      MAIL_ANSWERED, 0, &error),
			 0);

	assert_int_equal(mailbox_sync_changes(box, pool, &ch, &error), 0);
	assert_int_equal(ch.expunged_count, 1);
	assert_int_equal(ch.expunged_uids[0], 1);
	assert_int_equal(ch.changed_count, 1);
	assert_int_equal(ch.changed_uids[0], 3);
	assert_int_equal(ch.new_count, 1);
	assert_int_equal(mailbox_count(box), 4);
	assert_int_equal(mailbox_get(box, 4)->uid, 5);
	mailbox_close(&box);
	pool_unref(&pool);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Two handles changing flags in turn: every change gets its own modseq,
 * above all earlier ones, whichever handle made it (RFC 7162 3.1.1). */
static void test_modseq_two_handles(void **state)
{
	struct mailbox *a, *b;
	const char *error;
	uint64_t last = 0, m;

	(void)state;
	populate(4);
	a = open_box();
	b = open_box();
	for (unsigned int i = 0; i < 20; i++) {
		struct mailbox *box = i % 2 == 0 ? a : b;
		unsigned int seq = i % 2 == 0 ? 1 : 2;

		assert_int_equal(
		    mailbox_update_flags(box, seq, MAIL_MODIFY_REPLACE,
					 (i / 2) % 2 == 0 ? MAIL_FLAGGED : 0, 0,
					 &error),
		    0);
		m = mailbox_get(box, seq)->modseq;
		assert_true(m > last);
		last = m;
		assert_true(mailbox_get_highest_modseq(box) >= m);
	}
	/* a change by the other is seen with a modseq above its own */
	assert_int_equal(mailbox_update_flags(b, 2, MAIL_MODIFY_REPLACE,
					      MAIL_ANSWERED, 0, &error),
			 0);
	assert_int_equal(mailbox_sync(a, &error), 0);
	assert_int_equal(mailbox_get(a, 2)->flags, MAIL_ANSWERED);
	assert_true(mailbox_get(a, 2)->modseq > mailbox_get(a, 1)->modseq);
	mailbox_close(&a);
	mailbox_close(&b);
}

/* Two processes changing flags at the same time never hand out the same
 * modseq. */
static void test_modseq_concurrent(void **state)
{
	enum { PER_CHILD = 100 };
	uint64_t all[2 * PER_CHILD];
	unsigned int n = 0;
	int fds[2];

	(void)state;
	populate(4);
	assert_int_equal(pipe(fds), 0);
	for (unsigned int c = 0; c < 2; c++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			struct mailbox *box = open_box();
			const char *error;

			close(fds[0]);
			for (unsigned int i = 0; i < PER_CHILD; i++) {
				uint64_t m;

				if (mailbox_update_flags(
					box, c + 1, MAIL_MODIFY_REPLACE,
					i % 2 == 0 ? MAIL_SEEN : 0, 0,
					&error) < 0)
					_exit(1);
				m = mailbox_get(box, c + 1)->modseq;
				if (write(fds[1], &m, sizeof(m)) != sizeof(m))
					_exit(1);
			}
			mailbox_close(&box);
			_exit(0);
		}
	}
	close(fds[1]);
	for (;;) {
		ssize_t ret = read(fds[0], &all[n], sizeof(all[0]));

		if (ret <= 0)
			break;
		assert_int_equal(ret, sizeof(all[0]));
		assert_true(++n <= 2 * PER_CHILD);
	}
	close(fds[0]);
	for (unsigned int c = 0; c < 2; c++) {
		int status;

		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(n, 2 * PER_CHILD);
	qsort(all, n, sizeof(all[0]), cmp_u64);
	for (unsigned int i = 1; i < n; i++)
		assert_true(all[i] > all[i - 1]);
}

/* A message whose sizes are in its name is not stat'ed at open: its
 * received time is read when asked for, and kept in loft.index from the
 * close on. */
static void test_received_lazy(void **state)
{
	struct mailbox *box;

	(void)state;
	populate(3);
	box = open_box();
	assert_int_equal(mailbox_get(box, 2)->received_time, 0);
	assert_int_equal(mailbox_get_received_time(box, 2), 1600000001);
	assert_int_equal(mailbox_get(box, 2)->received_time, 1600000001);
	mailbox_close(&box);

	box = open_box();
	assert_int_equal(mailbox_get(box, 2)->received_time, 1600000001);
	assert_int_equal(mailbox_get(box, 1)->received_time, 0);
	assert_int_equal(mailbox_get_received_time(box, 1), 1600000000);
	assert_int_equal(mailbox_get_received_time(box, 3), 1600000002);
	mailbox_close(&box);
}

/* The check value is the same on the crc32 instruction and in portable
 * code, for every length and alignment, and every single-byte change
 * alters it. */
static void test_checksum(void **state)
{
	unsigned char buf[300];
	uint32_t seed = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; off + len <= 290; len++) {
			uint32_t c = maildir_index_checksum(buf + off, len);

			assert_int_equal(
			    c, maildir_index_checksum_sw(buf + off, len));
			if (len == 0 || len % 7 != 0)
				continue;
			for (size_t i = 0; i < len; i++) {
				buf[off + i] ^= 0x01;
				assert_int_not_equal(
				    c, maildir_index_checksum(buf + off, len));
				buf[off + i] ^= 0x01;
			}
		}
	}
	/* the size counts: zeros of different lengths differ */
	memset(buf, 0, sizeof(buf));
	assert_int_not_equal(maildir_index_checksum(buf, 8),
			     maildir_index_checksum(buf, 16));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_from_index, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_shared_view, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_big_index, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_index, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_modseq, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kill_while_writing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_sync_changes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modseq_two_handles, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_modseq_concurrent, setup,
					    teardown),
	    cmocka_unit_test(test_checksum),
	    cmocka_unit_test_setup_teardown(test_received_lazy, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
