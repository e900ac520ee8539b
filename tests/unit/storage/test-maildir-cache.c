/* Unit tests for loft.cache (maildir-cache.c): hits across handles and
 * without the message file, damaged and truncated files giving misses and
 * never wrong answers, a writer killed with SIGKILL, UIDVALIDITY changes
 * and compaction after expunges. */
#include "lib.h"
#include "pool.h"
#include "mailbox.h"
#include "maildir-message.h"
#include "maildir-cache.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MAILDIR_TEST_DIR_TEMPLATE "/tmp/loft-cache-test.XXXXXX"
#include "maildir-test-dir.h"

static struct mailbox *open_box(void)
{
	struct mailbox *box;
	const char *error = NULL;

	if (mailbox_open_inbox(location, NULL, &box, &error) < 0)
		fail_msg("open failed: %s", error);
	return box;
}

static const char *msg_name(unsigned int i)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "cur/%u.M%uP1.h:2,", 1600000000 + i, i);
	return buf;
}

/* n messages, message i with Subject "message <i>" */
static void populate(unsigned int n)
{
	struct mailbox *box = open_box();

	mailbox_close(&box);
	for (unsigned int i = 0; i < n; i++) {
		FILE *f = fopen(path_of(msg_name(i)), "w");

		assert_non_null(f);
		fprintf(f,
			"From: Sender %u <s%u@example.org>\nSubject: message "
			"%u\nMessage-ID: <%u@example.org>\n\nbody %u\n",
			i, i, i, i, i);
		assert_int_equal(fclose(f), 0);
	}
}

static const char *expected_envelope(unsigned int i)
{
	static char buf[512];

	snprintf(buf, sizeof(buf),
		 "NIL \"message %u\" ((\"Sender %u\" NIL \"s%u\" "
		 "\"example.org\")) ((\"Sender %u\" NIL \"s%u\" "
		 "\"example.org\")) ((\"Sender %u\" NIL \"s%u\" "
		 "\"example.org\")) NIL NIL NIL NIL \"<%u@example.org>\"",
		 i, i, i, i, i, i, i, i);
	return buf;
}

/* Checks every message's ENVELOPE and Subject (seq i+1 = message i). */
static void check_all(struct mailbox *box, unsigned int n)
{
	pool_t pool = pool_create("test", 4096);
	const char *value, *error;
	char subject[64];
	bool expunged;

	for (unsigned int i = 0; i < n; i++) {
		if (mailbox_get_imap_field(box, i + 1, MAIL_IMAP_ENVELOPE, pool,
					   &value, &expunged, &error) < 0)
			fail_msg("get %u failed: %s", i, error);
		assert_string_equal(value, expected_envelope(i));
		if (mailbox_get_header(box, i + 1, "Subject", pool, &value,
				       &expunged, &error) < 0)
			fail_msg("get %u failed: %s", i, error);
		snprintf(subject, sizeof(subject), "message %u", i);
		assert_string_equal(value, subject);
	}
	pool_unref(&pool);
}

static void delete_messages(unsigned int first, unsigned int n)
{
	for (unsigned int i = first; i < first + n; i++)
		assert_int_equal(unlink(path_of(msg_name(i))), 0);
}

static void test_hit(void **state)
{
	struct mailbox *box, *other;
	struct stat st;

	populate(10);
	box = open_box();
	other = open_box();
	check_all(box, 10);
	assert_int_equal(stat(path_of("loft.cache"), &st), 0);
	assert_int_equal(stat(path_of("loft.cache.idx"), &st), 0);
	/* the files are gone: the other handle answers from the cache what
	 * this one added after it opened */
	delete_messages(0, 10);
	check_all(other, 10);
	mailbox_close(&other);
	mailbox_close(&box);
	/* a new session too (the view still comes from loft.index only
	 * when the directory is unchanged; here the next sync drops them) */
	box = open_box();
	assert_int_equal(mailbox_count(box), 0);
	mailbox_close(&box);
}

/* Checks every message's Subject and From through the header getter. */
static void check_headers(struct mailbox *box, unsigned int n)
{
	pool_t pool = pool_create("test", 4096);
	const char *value, *error;
	char expected[64];
	bool expunged;

	for (unsigned int i = 0; i < n; i++) {
		if (mailbox_get_header(box, i + 1, "Subject", pool, &value,
				       &expunged, &error) < 0)
			fail_msg("get %u failed: %s", i, error);
		snprintf(expected, sizeof(expected), "message %u", i);
		assert_string_equal(value, expected);
		if (mailbox_get_header(box, i + 1, "from", pool, &value,
				       &expunged, &error) < 0)
			fail_msg("get %u failed: %s", i, error);
		snprintf(expected, sizeof(expected),
			 "Sender %u <s%u@example.org>", i, i);
		assert_string_equal(value, expected);
		if (mailbox_get_header(box, i + 1, "Cc", pool, &value,
				       &expunged, &error) < 0)
			fail_msg("get %u failed: %s", i, error);
		assert_null(value);
	}
	pool_unref(&pool);
}

static void test_headers_only(void **state)
{
	struct mailbox *box, *other;
	pool_t pool = pool_create("test", 1024);
	const char *value, *error;
	bool expunged;

	/* more than one batch of header-only records */
	populate(700);
	box = open_box();
	other = open_box();
	check_headers(box, 700);
	/* answered from the pending records too */
	check_headers(box, 700);
	maildir_cache_flush(box);
	/* message 0 gets a full record after its header-only one */
	check_all(box, 1);
	delete_messages(0, 700);
	/* the other handle finds them all in the cache */
	check_headers(other, 700);
	check_all(other, 1);
	/* a header-only record has no ENVELOPE: the file is needed */
	assert_int_equal(mailbox_get_imap_field(other, 2, MAIL_IMAP_ENVELOPE,
						pool, &value, &expunged,
						&error),
			 -1);
	assert_true(expunged);
	mailbox_close(&other);
	mailbox_close(&box);
	pool_unref(&pool);
}

static void test_headers_flushed_at_close(void **state)
{
	struct mailbox *box, *other;

	populate(20);
	box = open_box();
	other = open_box();
	check_headers(box, 20);
	/* pending records are written when the handle closes */
	mailbox_close(&box);
	delete_messages(0, 20);
	check_headers(other, 20);
	mailbox_close(&other);
}

static unsigned char *read_all(const char *rel, size_t *size_r)
{
	int fd = open(path_of(rel), O_RDONLY);
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

static void write_all(const char *rel, const unsigned char *data, size_t size)
{
	int fd = open(path_of(rel), O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);
}

static void test_damaged(void **state)
{
	static const char *const files[] = {"loft.cache", "loft.cache.idx"};
	struct mailbox *box;

	populate(6);
	box = open_box();
	check_all(box, 6);
	mailbox_close(&box);
	for (unsigned int f = 0; f < N_ELEMENTS(files); f++) {
		size_t size;
		unsigned char *orig = read_all(files[f], &size);

		/* flipped bytes all over: misses, never wrong values */
		for (size_t pos = 0; pos < size; pos += 41) {
			orig[pos] ^= 0x21;
			write_all(files[f], orig, size);
			orig[pos] ^= 0x21;
			box = open_box();
			check_all(box, 6);
			mailbox_close(&box);
			write_all(files[f], orig, size);
		}
		/* cut off anywhere (a crash in the middle of an append) */
		for (size_t len = 0; len < size; len += 67) {
			write_all(files[f], orig, len);
			box = open_box();
			check_all(box, 6);
			mailbox_close(&box);
			write_all(files[f], orig, size);
		}
		i_free(orig);
	}
	/* after all that the cache still works: answers without files */
	box = open_box();
	check_all(box, 6);
	delete_messages(0, 6);
	check_all(box, 6);
	mailbox_close(&box);
}

static void test_kill_while_appending(void **state)
{
	struct mailbox *box;

	populate(100);
	/* UIDs assigned now: the children never take the uidlist lock, so a
	 * kill cannot leave it behind */
	box = open_box();
	mailbox_close(&box);
	srand((unsigned int)getpid());
	for (unsigned int round = 0; round < 10; round++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			/* keep filling the cache from scratch */
			for (;;) {
				(void)unlink(path_of("loft.cache"));
				(void)unlink(path_of("loft.cache.idx"));
				box = open_box();
				check_all(box, 100);
				mailbox_close(&box);
			}
		}
		struct timespec ts = {0, (rand() % 50000) * 1000L};
		nanosleep(&ts, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, NULL, 0), pid);
		box = open_box();
		check_all(box, 100);
		mailbox_close(&box);
	}
}

static void test_uidvalidity(void **state)
{
	struct mailbox *box;
	size_t size;
	unsigned char *data;
	char *p;

	populate(3);
	box = open_box();
	check_all(box, 3);
	mailbox_close(&box);
	/* a new UIDVALIDITY: message 0 now has a different UID 1 content */
	data = read_all("dovecot-uidlist", &size);
	p = strchr((char *)data, 'V');
	assert_non_null(p);
	p[1] = p[1] == '9' ? '8' : '9';
	write_all("dovecot-uidlist", data, size);
	i_free(data);
	delete_messages(0, 1);
	{
		FILE *f = fopen(path_of(msg_name(0)), "w");

		assert_non_null(f);
		fputs("From: Sender 0 <s0@example.org>\nSubject: message 0\n"
		      "Message-ID: <0@example.org>\n\nother body\n",
		      f);
		assert_int_equal(fclose(f), 0);
	}
	box = open_box();
	check_all(box, 3);
	/* nothing of the old cache is used: the files were reset */
	delete_messages(1, 2);
	check_all(box, 1);
	mailbox_close(&box);
}

static void test_compact(void **state)
{
	struct mailbox_sync_changes changes;
	struct mailbox *box, *other;
	pool_t pool = pool_create("test", 1024);
	unsigned int seqs[400];
	const char *error;
	struct stat st1, st2;

	populate(600);
	box = open_box();
	other = open_box();
	check_all(box, 600);
	assert_int_equal(stat(path_of("loft.cache"), &st1), 0);
	/* expunge the last 400 through one handle; the other's sync sees
	 * them go and compacts */
	for (unsigned int i = 0; i < 400; i++)
		seqs[i] = 201 + i;
	assert_int_equal(mailbox_expunge_seqs(box, seqs, 400, &error), 0);
	assert_int_equal(mailbox_sync_changes(other, pool, &changes, &error),
			 0);
	assert_int_equal(changes.expunged_count, 400);
	assert_int_equal(stat(path_of("loft.cache"), &st2), 0);
	assert_true(st2.st_size < st1.st_size / 2);
	assert_true(st2.st_ino != st1.st_ino);
	/* what is left is still cached, for both handles */
	delete_messages(0, 200);
	check_all(other, 200);
	check_all(box, 200);
	mailbox_close(&other);
	mailbox_close(&box);
	pool_unref(&pool);
}

static void test_payload_decode(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct maildir_message_fields fields;
	unsigned char buf[256];
	uint32_t len;
	size_t pos = 0;

	/* 3 empty IMAP fields, 11 NULL headers */
	for (unsigned int i = 0; i < 14; i++) {
		len = i < 3 ? 0 : 0xffffffffu;
		memcpy(buf + pos, &len, 4);
		pos += 4;
	}
	assert_true(maildir_cache_payload_decode(buf, pos, pool, &fields));
	assert_string_equal(fields.imap[MAIL_IMAP_BODY], "");
	assert_null(fields.headers[0]);
	assert_false(maildir_cache_payload_decode(buf, pos - 1, pool, &fields));
	buf[pos] = 0;
	assert_false(maildir_cache_payload_decode(buf, pos + 1, pool, &fields));
	/* an IMAP field may not be NULL; lengths past the end fail */
	len = 0xffffffffu;
	memcpy(buf, &len, 4);
	assert_false(maildir_cache_payload_decode(buf, pos, pool, &fields));
	len = 1000;
	memcpy(buf, &len, 4);
	assert_false(maildir_cache_payload_decode(buf, pos, pool, &fields));
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kill_while_appending, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_uidvalidity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_headers_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_headers_flushed_at_close,
					    setup, teardown),
	    cmocka_unit_test(test_payload_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
