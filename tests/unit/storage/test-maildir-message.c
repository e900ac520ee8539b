/* Unit tests for the message getters of mailbox.h (maildir-message.c,
 * maildir-cache.c): ENVELOPE / BODYSTRUCTURE / BODY, header fields, the
 * part tree, files vanishing under them, and the expunged seqs a sync
 * reports. Each test works in its own temporary directory. */
#include "lib.h"
#include "pool.h"
#include "mailbox.h"
#include "message-parser.h"
#include "message-part-data.h"
#include "maildir-message.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MAILDIR_TEST_DIR_TEMPLATE "/tmp/loft-message-test.XXXXXX"
#include "maildir-test-dir.h"

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
}

static const char msg_simple[] =
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\n"
    "From: Fred Foobar <foobar@Blurdybloop.example>\n"
    "Subject: afternoon\n meeting\n"
    "To: mooch@owatagu.siam.example\n"
    "Message-Id: <B27397-0100000@Blurdybloop.example>\n"
    "X-Custom: one\n"
    "X-Custom: two\n"
    "\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\n";

static const char msg_multi[] =
    "From: a@b.example\n"
    "Subject: parts\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\n"
    "\n"
    "preamble\n"
    "--XX\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "first\n"
    "--XX\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "AAAA\n"
    "--XX--\n";

static const char *get_field(struct mailbox *box, unsigned int seq,
			     enum mail_imap_field field, pool_t pool)
{
	const char *value, *error;
	bool expunged;

	if (mailbox_get_imap_field(box, seq, field, pool, &value, &expunged,
				   &error) < 0)
		fail_msg("get_imap_field failed: %s", error);
	assert_false(expunged);
	return value;
}

static const char *get_header(struct mailbox *box, unsigned int seq,
			      const char *name, pool_t pool)
{
	const char *value, *error;
	bool expunged;

	if (mailbox_get_header(box, seq, name, pool, &value, &expunged,
			       &error) < 0)
		fail_msg("get_header failed: %s", error);
	assert_false(expunged);
	return value;
}

static void test_imap_fields(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct mailbox *box;

	make_maildir();
	write_file("cur/1.M1P1.h:2,", msg_simple);
	write_file("cur/2.M1P1.h:2,", msg_multi);
	box = open_box();
	assert_int_equal(mailbox_count(box), 2);
	for (unsigned int pass = 0; pass < 2; pass++) {
		/* the second pass may come from the cache: same answers */
		assert_string_equal(
		    get_field(box, 1, MAIL_IMAP_ENVELOPE, pool),
		    "\"Mon, 7 Feb 1994 21:52:25 -0800\" {17}\r\nafternoon "
		    "meeting "
		    "((\"Fred Foobar\" NIL \"foobar\" "
		    "\"Blurdybloop.example\")) "
		    "((\"Fred Foobar\" NIL \"foobar\" "
		    "\"Blurdybloop.example\")) "
		    "((\"Fred Foobar\" NIL \"foobar\" "
		    "\"Blurdybloop.example\")) "
		    "((NIL NIL \"mooch\" \"owatagu.siam.example\")) NIL NIL "
		    "NIL \"<B27397-0100000@Blurdybloop.example>\"");
		assert_string_equal(
		    get_field(box, 1, MAIL_IMAP_BODY, pool),
		    "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		    "\"7bit\" 55 1");
		assert_string_equal(
		    get_field(box, 1, MAIL_IMAP_BODYSTRUCTURE, pool),
		    "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		    "\"7bit\" 55 1 NIL NIL NIL NIL");
		assert_string_equal(
		    get_field(box, 2, MAIL_IMAP_BODY, pool),
		    "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
		    "\"7bit\" 5 0)(\"application\" \"octet-stream\" NIL NIL "
		    "NIL \"base64\" 4) \"mixed\"");
		assert_string_equal(
		    get_field(box, 2, MAIL_IMAP_ENVELOPE, pool),
		    "NIL \"parts\" ((NIL NIL \"a\" \"b.example\")) "
		    "((NIL NIL \"a\" \"b.example\")) "
		    "((NIL NIL \"a\" \"b.example\")) NIL NIL NIL NIL NIL");
	}
	mailbox_close(&box);
	pool_unref(&pool);
}

static void test_headers(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct mailbox *box;

	make_maildir();
	write_file("cur/1.M1P1.h:2,", msg_simple);
	write_file("cur/2.M1P1.h:2,", "Subject: no body");
	write_file("cur/3.M1P1.h:2,", "\r\nSubject: in the body\r\n");
	box = open_box();
	for (unsigned int pass = 0; pass < 2; pass++) {
		assert_string_equal(get_header(box, 1, "subject", pool),
				    "afternoon meeting");
		assert_string_equal(get_header(box, 1, "MESSAGE-ID", pool),
				    "<B27397-0100000@Blurdybloop.example>");
		assert_null(get_header(box, 1, "Cc", pool));
		assert_null(get_header(box, 1, "References", pool));
		/* not cached: read from the header, first one wins */
		assert_string_equal(get_header(box, 1, "X-Custom", pool),
				    "one");
		assert_null(get_header(box, 1, "X-Missing", pool));
		assert_string_equal(get_header(box, 2, "Subject", pool),
				    "no body");
		assert_null(get_header(box, 3, "Subject", pool));
		assert_null(get_header(box, 3, "X-Custom", pool));
	}
	mailbox_close(&box);
	pool_unref(&pool);
}

/* The header fields as a whole parse's header callback takes them (what
 * maildir_message_header_fields() must equal): the top part's first
 * occurrence of each cached name, unfolded, NULs as U+FFFD. */
struct ref_context {
	pool_t pool;
	struct maildir_message_fields *fields;
};

static void ref_header_cb(struct message_part *part,
			  const struct message_header_line *hdr, void *context)
{
	struct ref_context *ctx = context;
	struct maildir_message_fields *fields = ctx->fields;
	int idx;

	if (part->parent != NULL)
		return;
	idx = maildir_message_cached_header_idx(hdr->name);
	if (idx < 0 || fields->headers[idx] != NULL)
		return;
	const char *raw =
	    message_header_strdup(ctx->pool, hdr->value, hdr->value_len);
	char *value = p_strdup(ctx->pool, raw), *d = value;
	for (const char *s = raw; *s != '\0'; s++) {
		if (*s != '\r' && *s != '\n')
			*d++ = *s;
	}
	*d = '\0';
	fields->headers[idx] = value;
}

static void check_header_fields(const void *hdr, size_t size)
{
	struct maildir_message_fields ref, got;
	pool_t pool = pool_create("test", 1024);
	struct ref_context ctx = {pool, &ref};
	struct message_parser *parser;

	memset(&ref, 0, sizeof(ref));
	parser = message_parser_init(pool, NULL, ref_header_cb, &ctx);
	message_parser_feed(parser, hdr, size);
	(void)message_parser_finish(&parser);
	maildir_message_header_fields(pool, hdr, size, &got);
	for (unsigned int i = 0; i < MAILDIR_MESSAGE_CACHED_HEADERS; i++) {
		if (ref.headers[i] == NULL)
			assert_null(got.headers[i]);
		else
			assert_string_equal(got.headers[i], ref.headers[i]);
	}
	pool_unref(&pool);
}

/* maildir_message_header_fields() against the parser on odd header
 * blocks, and on random ones made of the bytes that matter. */
static void test_header_fields(void **state)
{
	static const char *const blocks[] = {
	    "Subject: plain\nFrom: a@b\n\n",
	    "subject:no space\r\nTO :  x  \r\n\r\nSubject: body\n",
	    "Subject: first\nSubject: second\n\n",
	    "Subject: folded\n\tonce\r\n  twice\n\n",
	    "Subject:\n  only folds\n\n",
	    "Subject\n\n",
	    "Subject\n folded without a colon\nSubject: real\n\n",
	    " Subject: leading space\n\n",
	    "\tfold first\nDate: d\n\n",
	    "Subject: cr\rin the middle\r\n\r\n",
	    "Subject: no end of line",
	    "Subject: ends in cr\r",
	    "Subject: x\n\r\n",
	    "\n",
	    "\r\nSubject: in the body\n",
	    "Subject \t: spaced name\nMessage-ID:<a@b>\nIn-Reply-To:\n\n",
	    "X-Other: a\n b\nReferences: <1>\n <2>\n\n",
	};
	char big[200000];

	for (unsigned int i = 0; i < N_ELEMENTS(blocks); i++)
		check_header_fields(blocks[i], strlen(blocks[i]));
		/* NULs in names and values */
#define CHECK_LITERAL(s) check_header_fields(s, sizeof(s) - 1)
	CHECK_LITERAL("Subject\0x: nul in the name\n\n");
	CHECK_LITERAL("Subject\0\n cont: value\n\n");
	CHECK_LITERAL("Sub\0ject: x\nSubject: y\n\n");
	CHECK_LITERAL("Subject: nul \0 in value\n\n");
	CHECK_LITERAL("Subject \0 \t: x\nDate\0\n\n");

	/* fields longer than the parser keeps */
	memset(big, 'a', sizeof(big));
	memcpy(big, "Subject: ", 9);
	big[70000] = '\n';
	big[70001] = ' ';
	big[140000] = '\n';
	memcpy(big + 140001, "To: t\n\n", 8);
	check_header_fields(big, 140009);
	memcpy(big + 60000, "\n Subject: x\n\tmore", 18);
	check_header_fields(big, 140009);
	memcpy(big, "Subject", 7); /* no colon on the first line */
	big[7] = 'x';
	check_header_fields(big, 140009);

	/* random blocks over the bytes the scan looks at */
	static const char alphabet[] = "Subject:To \t\r\n\0aB";
	unsigned int seed = 12345;
	char buf[256];
	for (unsigned int round = 0; round < 20000; round++) {
		size_t len;

		seed = seed * 1103515245 + 12345;
		len = (seed >> 16) % sizeof(buf);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			unsigned int r = (seed >> 16) % 64;
			/* a whole cached name now and then */
			static const char *const names[] = {
			    "Subject",	  "subJECT",	 "Date", "From",
			    "Message-ID", "In-Reply-To", "Cc",	 "References"};
			if (r < N_ELEMENTS(names) &&
			    i + strlen(names[r]) <= len) {
				memcpy(buf + i, names[r], strlen(names[r]));
				i += strlen(names[r]) - 1;
			} else {
				buf[i] = alphabet[r % (sizeof(alphabet) - 1)];
			}
		}
		check_header_fields(buf, len);
	}
	(void)state;
}

static void test_parts(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct message_part *parts;
	struct mailbox *box;
	const char *error;
	bool expunged;

	make_maildir();
	write_file("cur/1.M1P1.h:2,", msg_multi);
	box = open_box();
	assert_int_equal(
	    mailbox_get_parts(box, 1, pool, &parts, &expunged, &error), 0);
	assert_non_null(parts);
	assert_int_equal(parts->children_count, 2);
	assert_int_equal(message_part_count(parts), 3);
	/* offsets are into the file */
	assert_int_equal(parts->children->physical_pos,
			 strstr(msg_multi, "Content-Type: text/plain") -
			     msg_multi);
	assert_int_equal(
	    mailbox_get_parts(box, 2, pool, &parts, &expunged, &error), -1);
	assert_false(expunged);
	mailbox_close(&box);
	pool_unref(&pool);
}

static void test_vanished(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct message_part *parts;
	struct mailbox *box;
	const char *error, *value;
	bool expunged;

	make_maildir();
	write_file("cur/1.M1P1.h:2,", msg_simple);
	write_file("cur/2.M1P1.h:2,", msg_multi);
	box = open_box();
	/* deleted by hand between the sync and the read */
	assert_int_equal(unlink(path_of("cur/2.M1P1.h:2,")), 0);
	assert_int_equal(mailbox_get_imap_field(box, 2, MAIL_IMAP_ENVELOPE,
						pool, &value, &expunged,
						&error),
			 -1);
	assert_true(expunged);
	expunged = false;
	assert_int_equal(mailbox_get_header(box, 2, "X-Custom", pool, &value,
					    &expunged, &error),
			 -1);
	assert_true(expunged);
	expunged = false;
	assert_int_equal(mailbox_get_header(box, 2, "Subject", pool, &value,
					    &expunged, &error),
			 -1);
	assert_true(expunged);
	expunged = false;
	assert_int_equal(
	    mailbox_get_parts(box, 2, pool, &parts, &expunged, &error), -1);
	assert_true(expunged);
	/* the other message still reads */
	assert_string_equal(get_header(box, 1, "Subject", pool),
			    "afternoon meeting");
	/* renamed (flags changed by someone else): still found */
	assert_int_equal(
	    rename(path_of("cur/1.M1P1.h:2,"), path_of("cur/1.M1P1.h:2,S")), 0);
	assert_string_equal(get_header(box, 1, "X-Custom", pool), "one");
	/* the next sync drops the vanished one */
	assert_int_equal(mailbox_sync(box, &error), 0);
	assert_int_equal(mailbox_count(box), 1);
	assert_int_equal(mailbox_get(box, 1)->uid, 1);
	mailbox_close(&box);
	pool_unref(&pool);
}

static void test_expunged_seqs(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct mailbox_sync_changes changes;
	struct mailbox *box;
	const char *error;

	make_maildir();
	write_file("cur/1.M1P1.h:2,", "a\n");
	write_file("cur/2.M1P1.h:2,", "b\n");
	write_file("cur/3.M1P1.h:2,", "c\n");
	write_file("cur/4.M1P1.h:2,", "d\n");
	box = open_box();
	assert_int_equal(mailbox_count(box), 4);
	assert_int_equal(unlink(path_of("cur/2.M1P1.h:2,")), 0);
	assert_int_equal(unlink(path_of("cur/4.M1P1.h:2,")), 0);
	write_file("new/5.M1P1.h", "e\n");
	assert_int_equal(mailbox_sync_changes(box, pool, &changes, &error), 0);
	assert_int_equal(changes.expunged_count, 2);
	assert_int_equal(changes.expunged_uids[0], 2);
	assert_int_equal(changes.expunged_uids[1], 4);
	assert_int_equal(changes.expunged_seqs[0], 2);
	assert_int_equal(changes.expunged_seqs[1], 4);
	assert_int_equal(changes.new_count, 1);
	assert_int_equal(mailbox_count(box), 3);
	mailbox_close(&box);
	pool_unref(&pool);
}

static bool fd_readable(int fd, int timeout_msecs)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, timeout_msecs) == 1;
}

static void test_notify(void **state)
{
	struct mailbox *box;
	const char *error;
	int fd;

	make_maildir();
	write_file("cur/1.M1P1.h:2,", "a\n");
	box = open_box();
	fd = mailbox_notify_fd(box, &error);
	assert_true(fd >= 0);
	assert_int_equal(mailbox_notify_fd(box, &error), fd);
	assert_false(fd_readable(fd, 0));
	/* a delivery */
	write_file("new/2.M1P1.h", "b\n");
	assert_true(fd_readable(fd, 5000));
	mailbox_notify_clear(box);
	assert_false(fd_readable(fd, 0));
	assert_int_equal(mailbox_sync(box, &error), 0);
	mailbox_notify_clear(box);
	assert_false(fd_readable(fd, 0));
	/* flags changed by someone else */
	assert_int_equal(
	    rename(path_of("cur/1.M1P1.h:2,"), path_of("cur/1.M1P1.h:2,S")), 0);
	assert_true(fd_readable(fd, 5000));
	mailbox_notify_clear(box);
	/* deleted by hand */
	assert_int_equal(unlink(path_of("cur/1.M1P1.h:2,S")), 0);
	assert_true(fd_readable(fd, 5000));
	mailbox_notify_clear(box);
	assert_false(fd_readable(fd, 0));
	mailbox_close(&box);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_imap_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
	    cmocka_unit_test(test_header_fields),
	    cmocka_unit_test_setup_teardown(test_parts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vanished, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expunged_seqs, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
