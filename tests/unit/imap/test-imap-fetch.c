/* test-imap-fetch.c - FETCH: item parsing (macros, every item, sections
 * split around header field lists, partials, modifiers, errors, Dovecot's
 * item order) and response writing against a real Maildir (metadata,
 * sections, partials with bare-LF files, BINARY decoding and literal8,
 * \Seen, a big body, a file cut short, a vanished file), with the output
 * stopping at every chunk and resuming, and with bodies written through
 * write() or straight into reserved output room, which must all give the
 * same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "imap-parser.h"
#include "imap-seqset.h"
#include "imap-fetch.h"
#include "mailbox.h"

#include <sys/stat.h>
#include <dirent.h>

/* ---- parsing ---- */

static struct imap_parser *parser;

/* Parses "a FETCH 1 <items>" and returns the args after the seqset. */
static const struct imap_arg *parse_line(const char *items)
{
	static char line[4096];
	struct imap_parser_event ev;
	size_t consumed;
	enum imap_parse_result ret;

	if (parser == NULL) {
		struct imap_parser_settings set;

		memset(&set, 0, sizeof(set));
		parser = imap_parser_create(&set);
	}
	snprintf(line, sizeof(line), "a FETCH 1 %s\r\n", items);
	ret = imap_parser_feed(parser, line, strlen(line), &consumed, &ev);
	assert_int_equal(ret, IMAP_PARSE_COMMAND);
	return ev.args + 1;
}

/* The items of a request as "NAME NAME ..." (simple items by type). */
static const char *describe(pool_t pool, const struct imap_fetch_request *req)
{
	static const char *const names[] = {
	    "UID",    "FLAGS",	  "INTERNALDATE",  "RFC822.SIZE",
	    "MODSEQ", "ENVELOPE", "BODYSTRUCTURE", "BODY",
	};
	string_t *s = str_new(pool, 128);

	for (unsigned int i = 0; i < req->count; i++) {
		const struct imap_fetch_item *item = &req->items[i];

		if (i > 0)
			str_append_c(s, ' ');
		if (item->type <= IMAP_FETCH_ITEM_BODY) {
			str_append(s, names[item->type]);
			if (item->type == IMAP_FETCH_ITEM_FLAGS &&
			    item->name != NULL)
				str_append(s, "?");
		} else {
			str_append(s, item->name);
			if (item->peek && item->type == IMAP_FETCH_ITEM_SECTION)
				str_append(s, "!");
		}
	}
	return str_c(s);
}

struct parse_case {
	const char *items;
	bool uid;
	const char *expected; /* NULL: error */
	const char *error;
};

static const struct parse_case parse_cases[] = {
    {"FAST", false, "FLAGS INTERNALDATE RFC822.SIZE", NULL},
    {"all", false, "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE", NULL},
    {"FULL", false, "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY", NULL},
    {"(FLAGS UID)", false, "FLAGS UID", NULL},
    {"(FLAGS UID)", true, "UID FLAGS", NULL},
    {"FLAGS", true, "UID FLAGS", NULL},
    {"(flags flags uid)", false, "FLAGS UID", NULL},
    {"(BODY[] INTERNALDATE)", false, "INTERNALDATE FLAGS? BODY[]", NULL},
    {"(BODY.PEEK[] INTERNALDATE)", false, "INTERNALDATE BODY[]!", NULL},
    {"(ENVELOPE RFC822.SIZE BODYSTRUCTURE MODSEQ)", false,
     "RFC822.SIZE MODSEQ ENVELOPE BODYSTRUCTURE", NULL},
    {"BODY[HEADER.FIELDS (From To)]<0.10>", false,
     "FLAGS? BODY[HEADER.FIELDS (FROM TO)]<0>", NULL},
    {"(BODY.PEEK[1.2.HEADER.FIELDS.NOT (X-A \"Y B\")] UID)", false,
     "UID BODY[1.2.HEADER.FIELDS.NOT (X-A \"Y B\")]!", NULL},
    {"(body.peek[1.2.mime] BODY.PEEK[3.TEXT]<5.7> BODY.PEEK[HEADER])", false,
     "BODY[1.2.MIME]! BODY[3.TEXT]<5>! BODY[HEADER]!", NULL},
    {"(RFC822 RFC822.HEADER RFC822.TEXT)", false,
     "FLAGS? RFC822 RFC822.HEADER! RFC822.TEXT", NULL},
    {"(BINARY[1] BINARY.PEEK[2]<0.4> BINARY.SIZE[1])", false,
     "FLAGS? BINARY[1] BINARY[2]<0>! BINARY.SIZE[1]", NULL},
    {"(FLAGS) (CHANGEDSINCE 5)", false, "FLAGS MODSEQ", NULL},
    {"(FLAGS) (CHANGEDSINCE 5 VANISHED)", true, "UID FLAGS MODSEQ", NULL},
    {"(FOO)", false, NULL, "Unknown parameter: FOO"},
    {"(FLAGS FAST)", false, NULL, "Unknown parameter: FAST"},
    {"()", false, NULL, "Invalid arguments"},
    {"\"FLAGS\"", false, NULL, "Invalid arguments"},
    {"FLAGS extra", false, NULL, "Invalid arguments"},
    {"BODY[", false, NULL, "Invalid BODY[..] parameter: Missing ']'"},
    {"BODY[HEADER.FIELDS]", false, NULL, "Invalid BODY[..] section"},
    {"BODY[HEADER.FIELDS ()]", false, NULL, "Invalid BODY[..] section"},
    {"BODY[TEXT (A)]", false, NULL, "Invalid BODY[..] section"},
    {"BODY[MIME]", false, NULL, "Invalid BODY[..] section"},
    {"BODY[0]", false, NULL, "Invalid BODY[..] section"},
    {"BODY[1.]", false, NULL, "Invalid BODY[..] section"},
    {"BODY[1.FOO]", false, NULL, "Invalid BODY[..] section"},
    {"BODY[]<a>", false, NULL, "Invalid BODY[..] parameter: Invalid partial"},
    {"BODY[]<1.>", false, NULL, "Invalid BODY[..] parameter: Invalid partial"},
    {"BODY[]x", false, NULL, "Invalid BODY[..] parameter: Invalid partial"},
    {"BINARY.SIZE[1]<0.1>", false, NULL,
     "Invalid BINARY[..] parameter: Invalid partial"},
    {"(FLAGS) (VANISHED)", true, NULL, "VANISHED used without CHANGEDSINCE"},
    {"(FLAGS) (CHANGEDSINCE 1 VANISHED)", false, NULL,
     "VANISHED only allowed with UID FETCH"},
    {"(FLAGS) (CHANGEDSINCE x)", false, NULL, "Invalid CHANGEDSINCE modseq"},
    {"(FLAGS) (CHANGEDSINCE 9223372036854775808)", false, NULL,
     "Invalid CHANGEDSINCE modseq"},
    {"(FLAGS) (FOO)", false, NULL, "Unknown FETCH modifier"},
};

static void test_parse(void **state)
{
	pool_t pool = pool_create("test", 4096);

	for (unsigned int i = 0; i < N_ELEMENTS(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct imap_fetch_request req;
		const char *error = NULL;
		int ret = imap_fetch_parse(pool, parse_line(c->items), c->uid,
					   &req, &error);

		if (c->expected == NULL) {
			if (ret == 0)
				fail_msg("%s: parsed as %s", c->items,
					 describe(pool, &req));
			assert_string_equal(error, c->error);
		} else {
			if (ret < 0)
				fail_msg("%s: %s", c->items, error);
			assert_string_equal(describe(pool, &req), c->expected);
		}
	}
	pool_unref(&pool);
}

static void test_parse_details(void **state)
{
	pool_t pool = pool_create("test", 4096);
	struct imap_fetch_request req;
	const char *error;

	assert_int_equal(imap_fetch_parse(pool,
					  parse_line("(BODY[1.2]<3.10> MODSEQ) "
						     "(CHANGEDSINCE 12)"),
					  false, &req, &error),
			 0);
	assert_true(req.need_parse);
	assert_true(req.set_seen);
	assert_true(req.modseq);
	assert_true(req.changedsince_set);
	assert_int_equal(req.changedsince, 12);
	assert_string_equal(req.items[2].section, "1.2");
	assert_true(req.items[2].partial);
	assert_int_equal(req.items[2].partial_offset, 3);
	assert_int_equal(req.items[2].partial_size, 10);

	/* the whole message needs no parsing */
	assert_int_equal(imap_fetch_parse(pool, parse_line("BODY.PEEK[]"),
					  false, &req, &error),
			 0);
	assert_false(req.need_parse);
	assert_false(req.set_seen);
	pool_unref(&pool);
}

/* ---- writing ---- */

static char test_dir[256];
static char location[300];

struct sink {
	string_t *out;
	unsigned int calls, stop_every;
	size_t max_chunk;
	bool stopped;
	/* reserve()/commit() offered: room in scratch, just over what was
	 * asked (bodies are converted in small pieces), or none at every
	 * third call */
	unsigned int reserves;
	size_t reserved;
	unsigned char scratch[8192 + 8];
};

static bool sink_wait(void *context, size_t need)
{
	struct sink *s = context;

	if (need > s->max_chunk)
		s->max_chunk = need;
	/* stop now and then (never twice in a row), to exercise resuming */
	if (s->stopped) {
		s->stopped = false;
		return false;
	}
	s->stopped = s->stop_every != 0 && ++s->calls % s->stop_every == 0;
	return s->stopped;
}

static void sink_write(void *context, const void *data, size_t size)
{
	struct sink *s = context;

	str_append_n(s->out, data, size);
}

static unsigned char *sink_reserve(void *context, size_t min_size,
				   size_t *size_r)
{
	struct sink *s = context;

	assert_true(min_size > 0 && min_size <= 8192);
	if (min_size > s->max_chunk)
		s->max_chunk = min_size;
	*size_r = 0;
	if (++s->reserves % 3 == 0)
		return NULL;
	*size_r = s->reserved = min_size + s->reserves % 7;
	memset(s->scratch, 'X', sizeof(s->scratch));
	return s->scratch;
}

static void sink_commit(void *context, size_t size)
{
	struct sink *s = context;

	assert_true(size <= s->reserved);
	str_append_n(s->out, s->scratch, size);
	s->reserved = 0;
}

static const char msg1[] = "From: Alice <alice@example.org>\n"
			   "To: Bob <bob@example.net>\n"
			   "Subject: Hello\n"
			   "\n"
			   "Hi Bob,\n"
			   "just a plain message.\n";

static const char msg2[] = "From: a@example.org\n"
			   "Subject: mixed\n"
			   "Content-Type: multipart/mixed; boundary=\"b\"\n"
			   "\n"
			   "--b\n"
			   "Content-Type: text/plain\n"
			   "Content-Transfer-Encoding: quoted-printable\n"
			   "\n"
			   "caf=C3=A9 soft=\n"
			   "break\n"
			   "--b\n"
			   "Content-Type: application/octet-stream\n"
			   "Content-Transfer-Encoding: base64\n"
			   "\n"
			   "AAECAwQ=\n"
			   "--b\n"
			   "Content-Type: application/x-odd\n"
			   "Content-Transfer-Encoding: x-uuencode\n"
			   "\n"
			   "begin\n"
			   "--b--\n";

static int setup(void **state)
{
	struct mailbox *box;
	const char *error;
	char path[400];

	snprintf(test_dir, sizeof(test_dir), "/tmp/loft-fetch-test.XXXXXX");
	if (mkdtemp(test_dir) == NULL)
		return -1;
	snprintf(location, sizeof(location), "maildir:%s/Maildir", test_dir);
	if (mailbox_open_inbox(location, NULL, &box, &error) < 0)
		return -1;
	mailbox_close(&box);
	snprintf(path, sizeof(path), "%s/Maildir", test_dir);
	if (maildir_save_file(path, msg1, strlen(msg1), 0, 1700000000, &error) <
		0 ||
	    maildir_save_file(path, msg2, strlen(msg2), MAIL_SEEN, 1700000100,
			      &error) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	if (parser != NULL)
		imap_parser_destroy(&parser);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs "FETCH <set> <items>" and returns the output. */
static const char *run_fetch_box(struct mailbox *box, pool_t pool,
				 const char *seqset, bool uid,
				 const char *items, unsigned int stop_every,
				 bool readonly, unsigned int *expunged_r);

/* reserve()/commit() offered by the output in run_fetch_box() */
static bool sink_direct;

static const char *run_fetch(pool_t pool, const char *seqset, bool uid,
			     const char *items, unsigned int stop_every,
			     bool readonly, unsigned int *expunged_r)
{
	struct mailbox *box;
	const char *error = NULL, *out;

	if (mailbox_open_inbox(location, NULL, &box, &error) < 0)
		fail_msg("open: %s", error);
	out = run_fetch_box(box, pool, seqset, uid, items, stop_every, readonly,
			    expunged_r);
	mailbox_close(&box);
	return out;
}

static const char *run_fetch_box(struct mailbox *box, pool_t pool,
				 const char *seqset, bool uid,
				 const char *items, unsigned int stop_every,
				 bool readonly, unsigned int *expunged_r)
{
	struct imap_fetch_request req;
	struct imap_seqset set;
	struct imap_fetch_output output;
	struct imap_fetch_ctx *ctx;
	struct sink sink;
	const char *error = NULL;
	int ret;

	if (imap_fetch_parse(pool, parse_line(items), uid, &req, &error) < 0)
		fail_msg("parse %s: %s", items, error);
	assert_int_equal(imap_seqset_parse(pool, seqset, &set, &error), 0);
	imap_seqset_resolve(&set, uid ? mailbox_get_uid_next(box) - 1
				      : mailbox_count(box));
	memset(&sink, 0, sizeof(sink));
	sink.out = str_new(pool, 1024);
	sink.stop_every = stop_every;
	memset(&output, 0, sizeof(output));
	output.wait = sink_wait;
	output.write = sink_write;
	if (sink_direct) {
		output.reserve = sink_reserve;
		output.commit = sink_commit;
	}
	output.context = &sink;
	ctx =
	    imap_fetch_begin(pool, box, &req, &set, uid, readonly, 0, &output);
	while ((ret = imap_fetch_more(ctx, &error)) == 0)
		;
	if (ret < 0)
		fail_msg("fetch: %s", error);
	if (expunged_r != NULL)
		*expunged_r = imap_fetch_get_expunged_count(ctx);
	assert_true(sink.max_chunk <= 8192);
	imap_fetch_deinit(&ctx);
	return str_c(sink.out);
}

static void check_fetch(const char *seqset, bool uid, const char *items,
			const char *expected)
{
	pool_t pool = pool_create("test", 4096);

	/* through write() only, then also into reserved room */
	for (unsigned int direct = 0; direct < 2; direct++) {
		const char *all, *s1, *s3;

		sink_direct = direct != 0;
		/* all at once, then stopping at every wait and every third */
		all = run_fetch(pool, seqset, uid, items, 0, true, NULL);
		s1 = run_fetch(pool, seqset, uid, items, 1, true, NULL);
		s3 = run_fetch(pool, seqset, uid, items, 3, true, NULL);
		assert_string_equal(all, expected);
		assert_string_equal(s1, expected);
		assert_string_equal(s3, expected);
	}
	sink_direct = false;
	pool_unref(&pool);
}

static void test_fetch_metadata(void **state)
{
	check_fetch("1:*", false, "(UID FLAGS RFC822.SIZE INTERNALDATE)",
		    "* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 110 INTERNALDATE "
		    "\"14-Nov-2023 22:13:20 +0000\")\r\n"
		    "* 2 FETCH (UID 2 FLAGS (\\Seen) RFC822.SIZE 371 "
		    "INTERNALDATE \"14-Nov-2023 22:15:00 +0000\")\r\n");
	check_fetch("2", true, "FLAGS", "* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n");
	check_fetch("3:5", true, "FLAGS", "");
}

static void test_fetch_sections(void **state)
{
	check_fetch("1", false, "BODY.PEEK[]",
		    "* 1 FETCH (BODY[] {110}\r\n"
		    "From: Alice <alice@example.org>\r\n"
		    "To: Bob <bob@example.net>\r\n"
		    "Subject: Hello\r\n"
		    "\r\n"
		    "Hi Bob,\r\n"
		    "just a plain message.\r\n)\r\n");
	/* partials count CRLF bytes: byte 31 is the CR the file lacks */
	check_fetch("1", false, "BODY.PEEK[]<31.4>",
		    "* 1 FETCH (BODY[]<31> {4}\r\n\r\nTo)\r\n");
	check_fetch("1", false, "BODY.PEEK[]<500.4>",
		    "* 1 FETCH (BODY[]<500> {0}\r\n)\r\n");
	check_fetch("1", false, "(BODY.PEEK[TEXT] RFC822.HEADER)",
		    "* 1 FETCH (BODY[TEXT] {32}\r\n"
		    "Hi Bob,\r\njust a plain message.\r\n"
		    " RFC822.HEADER {78}\r\n"
		    "From: Alice <alice@example.org>\r\n"
		    "To: Bob <bob@example.net>\r\n"
		    "Subject: Hello\r\n\r\n)\r\n");
	check_fetch("1", false, "BODY.PEEK[HEADER.FIELDS (subject X)]<2.5>",
		    "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT X)]<2> {5}\r\n"
		    "bject)\r\n");
	check_fetch("1", false, "BODY.PEEK[HEADER.FIELDS.NOT (From To)]",
		    "* 1 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO)] {18}\r\n"
		    "Subject: Hello\r\n\r\n)\r\n");
	check_fetch("2", false, "(BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[9])",
		    "* 2 FETCH (BODY[1] {22}\r\n"
		    "caf=C3=A9 soft=\r\nbreak"
		    " BODY[2.MIME] {77}\r\n"
		    "Content-Type: application/octet-stream\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n"
		    " BODY[9] {0}\r\n)\r\n");
}

static void test_fetch_binary(void **state)
{
	check_fetch("2", false,
		    "(BINARY.PEEK[1] BINARY.SIZE[1] BINARY.PEEK[2] "
		    "BINARY.SIZE[2] BINARY.PEEK[2]<1.2>)",
		    "* 2 FETCH (BINARY[1] ~{15}\r\ncaf\xc3\xa9 softbreak"
		    " BINARY.SIZE[1] 15"
		    " BINARY[2] ~{5}\r\n"
		    "\x00\x01\x02\x03\x04"
		    " BINARY.SIZE[2] 5"
		    " BINARY[2]<1> ~{2}\r\n\x01\x02)\r\n");
}

static void test_fetch_binary_nuls(void **state)
{
	pool_t pool = pool_create("test", 4096);
	const char *out =
	    run_fetch(pool, "2", false, "BINARY.PEEK[2]", 1, true, NULL);
	static const char expected[] =
	    "* 2 FETCH (BINARY[2] ~{5}\r\n\x00\x01\x02\x03\x04)\r\n";

	/* str_c stops at the NUL: compare the bytes */
	assert_memory_equal(out, expected, sizeof(expected) - 1);
	pool_unref(&pool);
}

static void test_fetch_unknown_cte(void **state)
{
	pool_t pool = pool_create("test", 4096);
	struct imap_fetch_request req;
	struct imap_seqset set;
	struct imap_fetch_output output;
	struct imap_fetch_ctx *ctx;
	struct sink sink;
	struct mailbox *box;
	const char *error;

	assert_int_equal(mailbox_open_inbox(location, NULL, &box, &error), 0);
	assert_int_equal(imap_fetch_parse(pool, parse_line("BINARY.PEEK[3]"),
					  false, &req, &error),
			 0);
	assert_int_equal(imap_seqset_parse(pool, "1:2", &set, &error), 0);
	imap_seqset_resolve(&set, 2);
	memset(&sink, 0, sizeof(sink));
	sink.out = str_new(pool, 1024);
	memset(&output, 0, sizeof(output));
	output.wait = sink_wait;
	output.write = sink_write;
	output.context = &sink;
	ctx = imap_fetch_begin(pool, box, &req, &set, false, true, 0, &output);
	assert_int_equal(imap_fetch_more(ctx, &error), 1);
	assert_true(imap_fetch_get_unknown_cte(ctx));
	/* message 1 has no part 3: empty; message 2 is skipped */
	assert_string_equal(str_c(sink.out),
			    "* 1 FETCH (BINARY[3] {0}\r\n)\r\n");
	imap_fetch_deinit(&ctx);
	mailbox_close(&box);
	pool_unref(&pool);
}

static void test_fetch_seen(void **state)
{
	pool_t pool = pool_create("test", 4096);
	const char *out;

	/* read-only: no \Seen */
	out = run_fetch(pool, "1", false, "(FLAGS BODY[TEXT]<0.2>)", 0, true,
			NULL);
	assert_string_equal(out,
			    "* 1 FETCH (FLAGS () BODY[TEXT]<0> {2}\r\nHi)\r\n");
	/* read-write: \Seen set and FLAGS reported */
	out = run_fetch(pool, "1", false, "BODY[TEXT]<0.2>", 0, false, NULL);
	assert_string_equal(
	    out, "* 1 FETCH (FLAGS (\\Seen) BODY[TEXT]<0> {2}\r\nHi)\r\n");
	/* already seen: no FLAGS */
	out = run_fetch(pool, "1", false, "BODY[TEXT]<0.2>", 0, false, NULL);
	assert_string_equal(out, "* 1 FETCH (BODY[TEXT]<0> {2}\r\nHi)\r\n");
	pool_unref(&pool);
}

static void test_fetch_vanished_file(void **state)
{
	pool_t pool = pool_create("test", 4096);
	struct mailbox *box;
	const char *error, *out;
	unsigned int expunged = 0;
	char dir[400];
	DIR *d;
	struct dirent *de;

	/* message 1's file is deleted by hand after the handle listed it:
	 * FETCH skips it and counts it */
	assert_int_equal(mailbox_open_inbox(location, NULL, &box, &error), 0);
	snprintf(dir, sizeof(dir), "%s/Maildir/cur", test_dir);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[700];

		if (de->d_name[0] == '.' ||
		    strstr(de->d_name, ",S=104") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(unlink(path), 0);
	}
	closedir(d);
	out = run_fetch_box(box, pool, "1:2", false,
			    "(UID BODY.PEEK[HEADER.FIELDS (Subject)])", 0, true,
			    &expunged);
	assert_string_equal(out,
			    "* 2 FETCH (UID 2 BODY[HEADER.FIELDS "
			    "(SUBJECT)] {18}\r\nSubject: mixed\r\n\r\n)\r\n");
	assert_int_equal(expunged, 1);
	/* metadata alone needs no file */
	out = run_fetch_box(box, pool, "1", false, "UID", 0, true, &expunged);
	assert_string_equal(out, "* 1 FETCH (UID 1)\r\n");
	assert_int_equal(expunged, 0);
	mailbox_close(&box);
	pool_unref(&pool);
}

/* A message of 200 KB (several reads, many output pieces): lines of any
 * length, some already ending in CR LF, NULs, no LF at the end. */
static size_t big_message(unsigned char *msg, size_t size)
{
	unsigned int seed = 4242;
	size_t len = 0;

	len += (size_t)snprintf((char *)msg, size, "Subject: big\n\n");
	while (len < size - 1) {
		size_t line;

		seed = seed * 1103515245u + 12345u;
		line = (seed >> 8) % 300;
		for (size_t i = 0; i < line && len < size - 1; i++) {
			seed = seed * 1103515245u + 12345u;
			msg[len++] =
			    (seed >> 16) % 997 == 0
				? '\0'
				: (unsigned char)('a' + (seed >> 20) % 26);
		}
		if (len < size - 2 && (seed >> 24) % 5 == 0)
			msg[len++] = '\r';
		if (len < size - 1)
			msg[len++] = '\n';
	}
	msg[len - 1] = 'z';
	return len;
}

/* What BODY[] sends for msg: CR LF line ends, NULs as 0x80. */
static const char *crlf_of(pool_t pool, const unsigned char *msg, size_t size)
{
	string_t *str = str_new(pool, size * 2);

	for (size_t i = 0; i < size; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			str_append_c(str, '\r');
		str_append_c(str, msg[i] == '\0' ? 0x80 : msg[i]);
	}
	return str_c(str);
}

static void test_fetch_big_body(void **state)
{
	static unsigned char msg[200 * 1024];
	pool_t pool = pool_create("test", 4096);
	char path[400], loc[450], cmd[900];
	const char *error, *body, *out, *expected;
	struct mailbox *box;
	size_t len = big_message(msg, sizeof(msg));

	snprintf(path, sizeof(path), "%s/Big", test_dir);
	snprintf(loc, sizeof(loc), "maildir:%s", path);
	assert_int_equal(mailbox_open_inbox(loc, NULL, &box, &error), 0);
	mailbox_close(&box);
	assert_int_equal(
	    maildir_save_file(path, msg, len, 0, 1700000000, &error), 0);
	body = crlf_of(pool, msg, len);
	expected = p_strdup_printf(pool, "* 1 FETCH (BODY[] {%zu}\r\n%s)\r\n",
				   strlen(body), body);
	for (unsigned int direct = 0; direct < 2; direct++) {
		sink_direct = direct != 0;
		for (unsigned int stop = 0; stop < 4; stop += 3) {
			assert_int_equal(
			    mailbox_open_inbox(loc, NULL, &box, &error), 0);
			out = run_fetch_box(box, pool, "1", false,
					    "BODY.PEEK[]", stop, true, NULL);
			assert_int_equal(strlen(out), strlen(expected));
			assert_memory_equal(out, expected, strlen(expected));
			out = run_fetch_box(box, pool, "1", false,
					    "BODY.PEEK[]<70000.100000>", stop,
					    true, NULL);
			assert_string_equal(
			    out, p_strdup_printf(
				     pool,
				     "* 1 FETCH (BODY[]<70000> {100000}\r\n"
				     "%.100000s)\r\n",
				     body + 70000));
			mailbox_close(&box);
		}
	}

	/* the file cut short after the size was recorded: the literal
	 * still has the promised size, padded with spaces */
	assert_int_equal(mailbox_open_inbox(loc, NULL, &box, &error), 0);
	snprintf(cmd, sizeof(cmd),
		 "for f in '%s'/cur/* '%s'/new/*; do [ -f \"$f\" ] && "
		 "truncate -s 100000 \"$f\"; done; true",
		 path, path);
	assert_int_equal(system(cmd), 0);
	for (unsigned int direct = 0; direct < 2; direct++) {
		const char *got;
		size_t head = strlen(crlf_of(pool, msg, 100000));

		sink_direct = direct != 0;
		out = run_fetch_box(box, pool, "1", false, "BODY.PEEK[]", 3,
				    true, NULL);
		got = strstr(out, "}\r\n") + 3;
		assert_int_equal(strlen(out), strlen(expected));
		assert_memory_equal(got, body, head);
		for (size_t i = head; i < strlen(body); i++)
			assert_int_equal(got[i], ' ');
	}
	sink_direct = false;
	mailbox_close(&box);
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_details),
	    cmocka_unit_test(test_fetch_metadata),
	    cmocka_unit_test(test_fetch_sections),
	    cmocka_unit_test(test_fetch_binary),
	    cmocka_unit_test(test_fetch_binary_nuls),
	    cmocka_unit_test(test_fetch_unknown_cte),
	    cmocka_unit_test(test_fetch_seen),
	    cmocka_unit_test(test_fetch_big_body),
	    cmocka_unit_test(test_fetch_vanished_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
