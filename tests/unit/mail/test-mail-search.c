/* test-mail-search.c - SEARCH matching: the case folding fed whole and one
 * byte at a time (the transfer decoders are test-mail-decode.c's), encoded
 * words, charset conversion, and whole messages matched against trees of keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <strings.h>

#include "lib.h"
#include "str.h"
#include "charset-utf8.h"
#include "mail-search.h"
#include "mail-search-decode.h"
#include "message-date.h"

static void test_header_decoding(void **state)
{
	static const struct {
		const char *in, *out;
	} tests[] = {
	    {"plain text", "plain text"},
	    {"=?UTF-8?B?aMOpbGxv?=", "h\xc3\xa9llo"},
	    {"=?iso-8859-1?q?caf=E9_au_lait?=", "caf\xc3\xa9 au lait"},
	    {"a =?utf-8?q?x?= =?utf-8?q?y?= b", "a xy b"},
	    {"=?utf-8?q?x?=\n =?utf-8?q?y?=", "xy"},
	    {"folded\n line", "folded line"},
	    {"=?unknown-cs?q?x?=", "=?unknown-cs?q?x?="},
	    {"=?utf-8?x?bad?=", "=?utf-8?x?bad?="},
	    {"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"},
	    {"=?utf-8*en?q?lang?=", "lang"},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		string_t *dest = str_new(NULL, 64);
		mail_header_decode_utf8((const unsigned char *)tests[i].in,
					strlen(tests[i].in), dest);
		assert_string_equal(str_c(dest), tests[i].out);
		str_free(&dest);
	}
}

static void test_folding(void **state)
{
	const char *in = "MiXeD \xc3\x84\xc3\x96\xc3\x9c \xce\xa3\xce\x91 "
			 "\xe2\x82\xac \xff end";
	const char *out = "mixed \xc3\xa4\xc3\xb6\xc3\xbc \xcf\x83\xce\xb1 "
			  "\xe2\x82\xac \xff end";
	string_t *dest = str_new(NULL, 64);
	struct mail_fold_state st = {0};

	mail_fold_utf8(NULL, in, strlen(in), true, dest);
	assert_string_equal(str_c(dest), out);
	str_clear(dest);
	for (size_t i = 0; i < strlen(in); i++)
		mail_fold_utf8(&st, in + i, 1, false, dest);
	mail_fold_utf8(&st, "", 0, true, dest);
	assert_string_equal(str_c(dest), out);
	str_free(&dest);
}

/* ASCII runs are folded eight bytes at a time: every byte value, at
 * every alignment and run length, against a byte-wise reference. */
static void test_folding_ascii_runs(void **state)
{
	unsigned char in[300], expected[300];
	const char *mixed = "ABCDEFGHIJ\xc3\x84KLMNOPQRSTUVWXYZ@[`{";
	string_t *dest = str_new(NULL, 64);

	for (size_t i = 0; i < sizeof(in); i++) {
		in[i] = (unsigned char)(1 + (i * 37) % 127);
		expected[i] = in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i];
	}
	for (size_t start = 0; start < 16; start++) {
		for (size_t len = 0; start + len <= sizeof(in); len += 7) {
			str_clear(dest);
			mail_fold_utf8(NULL, in + start, len, true, dest);
			assert_int_equal(str_len(dest), len);
			assert_memory_equal(str_data(dest), expected + start,
					    len);
		}
	}
	/* a non-ASCII character inside a run ends it */
	str_clear(dest);
	mail_fold_utf8(NULL, mixed, strlen(mixed), true, dest);
	assert_string_equal(str_c(dest),
			    "abcdefghij\xc3\xa4klmnopqrstuvwxyz@[`{");
	str_free(&dest);
}

static void test_charset(void **state)
{
	string_t *dest = str_new(NULL, 64);
	struct charset_translation *trans;
	/* "caf\xe9" in ISO-8859-1 and "\xe2\x82\xac" in UTF-16BE */
	assert_true(charset_to_utf8_str("ISO-8859-1", "caf\xe9", 4, dest));
	assert_string_equal(str_c(dest), "caf\xc3\xa9");

	str_clear(dest);
	assert_int_equal(charset_to_utf8_create("UTF-16BE", &trans), 0);
	const char u16[] = {0x20, (char)0xac, 0x00, 'x'};
	for (size_t i = 0; i < sizeof(u16); i++)
		charset_to_utf8(trans, u16 + i, 1, false, dest);
	charset_to_utf8(trans, "", 0, true, dest);
	assert_string_equal(str_c(dest), "\xe2\x82\xacx");
	charset_to_utf8_destroy(&trans);

	str_clear(dest);
	assert_true(charset_to_utf8_str("utf-8", "\xc3\xa9", 2, dest));
	assert_string_equal(str_c(dest), "\xc3\xa9");
	assert_false(charset_to_utf8_str("x-no-such-charset", "a", 1, dest));
	assert_true(charset_is_utf8("US-ASCII"));
	assert_false(charset_is_utf8("iso-8859-1"));

	/* invalid input becomes U+FFFD, no failure */
	str_clear(dest);
	assert_true(charset_to_utf8_str("UTF-16BE", "\xd8\x00\x00", 3, dest));
	str_free(&dest);
}

/* ---- matching ---- */

struct mem_msg {
	const char *data;
	size_t size;
	bool vanish;
};

static ssize_t mem_read(void *context, uint64_t offset, void *buf, size_t size,
			bool *expunged_r, const char **error_r)
{
	struct mem_msg *msg = context;

	if (msg->vanish) {
		*expunged_r = true;
		*error_r = "gone";
		return -1;
	}
	if (offset >= msg->size)
		return 0;
	size_t n = MIN_OF(size, msg->size - offset);
	memcpy(buf, msg->data + offset, n);
	return (ssize_t)n;
}

static const char msg_plain[] =
    "From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.com>\r\n"
    "To: Team <team@example.org>\r\n"
    "Subject: Quarterly =?iso-8859-1?q?r=E9sum=E9?=\r\n"
    "Date: Mon, 3 Jun 2024 23:30:00 -0500\r\n"
    "X-Custom: Alpha\r\n"
    "\r\n"
    "Plain BODY with Needle inside.\r\n";

static const char msg_mime[] =
    "From: a@example.com\r\n"
    "Subject: parts\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "preamble secretpreamble\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=FC=DFe aus K=F6ln, soft=\r\nwrapped\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "w4RwZmVsIHVuZCBCaXJuZW4=\r\n"
    "--b1\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner subject\r\n"
    "\r\n"
    "inner body words\r\n"
    "--b1--\r\n"
    "epilogue secretepilogue\r\n";

static struct mail_search_arg *leaf(pool_t pool, enum mail_search_type type,
				    const char *value)
{
	struct mail_search_arg *arg = p_new(pool, struct mail_search_arg, 1);

	arg->type = type;
	arg->value = value;
	return arg;
}

static int match(pool_t pool, struct mail_search_arg *args, const char *msg,
		 const struct mail_search_record *rec)
{
	struct mem_msg mm = {msg, strlen(msg), false};
	bool expunged;
	const char *error;

	mail_search_args_init(pool, args);
	mail_search_args_resolve(pool, args, 10, 100);
	int ret = mail_search_match_record(args, rec);
	if (ret >= 0)
		return ret;
	pool_t mpool = pool_create("msg", 1024);
	ret = mail_search_match_content(args, mpool, mem_read, &mm, &expunged,
					&error);
	pool_unref(&mpool);
	assert_true(ret >= 0);
	return ret;
}

static void test_match_content(void **state)
{
	pool_t pool = pool_create("test", 4096);
	struct mail_search_record rec = {.seq = 1, .uid = 7, .size = 100};
	static const struct {
		enum mail_search_type type;
		const char *hdr, *value;
		bool not ;
		const char *msg;
		int expect;
	} tests[] = {
	    {MAIL_SEARCH_HEADER, "From", "j\xc3\x9crgen", false, msg_plain, 1},
	    {MAIL_SEARCH_HEADER, "FROM", "jurgen@EXAMPLE", false, msg_plain, 1},
	    {MAIL_SEARCH_HEADER, "To", "jurgen", false, msg_plain, 0},
	    {MAIL_SEARCH_HEADER, "Subject", "R\xc3\x89SUM\xc3\x89", false,
	     msg_plain, 1},
	    {MAIL_SEARCH_HEADER, "x-custom", "", false, msg_plain, 1},
	    {MAIL_SEARCH_HEADER, "x-missing", "", false, msg_plain, 0},
	    {MAIL_SEARCH_HEADER, "x-missing", "", true, msg_plain, 1},
	    {MAIL_SEARCH_BODY, NULL, "needle", false, msg_plain, 1},
	    {MAIL_SEARCH_BODY, NULL, "quarterly", false, msg_plain, 0},
	    {MAIL_SEARCH_TEXT, NULL, "quarterly", false, msg_plain, 1},
	    {MAIL_SEARCH_TEXT, NULL, "NEEDLE", false, msg_plain, 1},
	    {MAIL_SEARCH_TEXT, NULL, "absent", false, msg_plain, 0},
	    {MAIL_SEARCH_TEXT, NULL, "absent", true, msg_plain, 1},
	    {MAIL_SEARCH_BODY, NULL,
	     "gr\xc3\xbc\xc3\x9f"
	     "e aus k\xc3\xb6ln",
	     false, msg_mime, 1},
	    {MAIL_SEARCH_BODY, NULL, "softwrapped", false, msg_mime, 1},
	    {MAIL_SEARCH_BODY, NULL, "\xc3\xa4pfel und", false, msg_mime, 1},
	    {MAIL_SEARCH_BODY, NULL, "inner body", false, msg_mime, 1},
	    {MAIL_SEARCH_BODY, NULL, "inner subject", false, msg_mime, 0},
	    {MAIL_SEARCH_TEXT, NULL, "inner subject", false, msg_mime, 1},
	    {MAIL_SEARCH_BODY, NULL, "secretpreamble", false, msg_mime, 0},
	    {MAIL_SEARCH_BODY, NULL, "secretepilogue", false, msg_mime, 0},
	    {MAIL_SEARCH_BODY, NULL, "w4RwZmVs", false, msg_mime, 0},
	    {MAIL_SEARCH_HEADER, "Subject", "inner", false, msg_mime, 0},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		struct mail_search_arg *arg =
		    leaf(pool, tests[i].type, tests[i].value);
		arg->hdr_name = tests[i].hdr;
		arg->not = tests[i].not ;
		int ret = match(pool, arg, tests[i].msg, &rec);
		if (ret != tests[i].expect)
			fail_msg("test %u (%s): got %d", i, tests[i].value,
				 ret);
	}
	pool_unref(&pool);
}

static void test_match_dates(void **state)
{
	pool_t pool = pool_create("test", 4096);
	struct mail_search_record rec = {.seq = 1, .uid = 1};
	time_t d;

	/* Date: Mon, 3 Jun 2024 23:30 -0500 is 3 Jun in its own zone (4 Jun
	 * in UTC): SENTON compares the date as written */
	assert_true(message_date_imap_parse_date("3-Jun-2024", &d));
	struct mail_search_arg *arg = leaf(pool, MAIL_SEARCH_SENTON, NULL);
	arg->day = mail_search_day_from_utc(d);
	assert_int_equal(match(pool, arg, msg_plain, &rec), 1);
	arg = leaf(pool, MAIL_SEARCH_SENTBEFORE, NULL);
	arg->day = mail_search_day_from_utc(d);
	assert_int_equal(match(pool, arg, msg_plain, &rec), 0);
	arg = leaf(pool, MAIL_SEARCH_SENTSINCE, NULL);
	arg->day = mail_search_day_from_utc(d);
	assert_int_equal(match(pool, arg, msg_plain, &rec), 1);
	/* no Date: field: sent on 1-Jan-1970, as Dovecot has it */
	arg = leaf(pool, MAIL_SEARCH_SENTSINCE, NULL);
	arg->day = 1;
	assert_int_equal(match(pool, arg, msg_mime, &rec), 0);
	arg = leaf(pool, MAIL_SEARCH_SENTBEFORE, NULL);
	arg->day = 1;
	assert_int_equal(match(pool, arg, msg_mime, &rec), 1);

	/* INTERNALDATE in the server's zone */
	setenv("TZ", "UTC", 1);
	tzset();
	rec.received_time = d + 3600;
	arg = leaf(pool, MAIL_SEARCH_ON, NULL);
	arg->day = mail_search_day_from_utc(d);
	assert_int_equal(match(pool, arg, msg_plain, &rec), 1);
	arg = leaf(pool, MAIL_SEARCH_BEFORE, NULL);
	arg->day = mail_search_day_from_utc(d);
	assert_int_equal(match(pool, arg, msg_plain, &rec), 0);
	arg = leaf(pool, MAIL_SEARCH_SINCE, NULL);
	arg->day = mail_search_day_from_utc(d) + 1;
	assert_int_equal(match(pool, arg, msg_plain, &rec), 0);
	assert_int_equal(mail_search_day_from_utc(-1), -1);
	assert_int_equal(mail_search_day_from_utc(86400), 1);
	pool_unref(&pool);
}

static void test_match_record_logic(void **state)
{
	pool_t pool = pool_create("test", 4096);
	struct mail_search_record rec = {
	    .seq = 3,
	    .uid = 30,
	    .flags = MAIL_SEARCH_FLAG_SEEN | MAIL_SEARCH_FLAG_FLAGGED,
	    .keywords = 0x4,
	    .size = 500,
	    .modseq = 12,
	};
	struct mail_search_range r1 = {2, 4}, r2 = {0, 0}, r3 = {40, 0};

	struct mail_search_arg *seq = leaf(pool, MAIL_SEARCH_SEQSET, NULL);
	seq->ranges = &r1;
	seq->ranges_count = 1;
	assert_int_equal(match(pool, seq, msg_plain, &rec), 1);
	/* "*" is the last message (10 in match()) */
	seq->ranges = &r2;
	assert_int_equal(match(pool, seq, msg_plain, &rec), 0);
	/* UID 40:* with highest UID 100 holds 40..100 */
	struct mail_search_arg *uid = leaf(pool, MAIL_SEARCH_UIDSET, NULL);
	uid->ranges = &r3;
	uid->ranges_count = 1;
	assert_int_equal(match(pool, uid, msg_plain, &rec), 0);
	rec.uid = 100;
	assert_int_equal(match(pool, uid, msg_plain, &rec), 1);

	struct mail_search_arg *fl = leaf(pool, MAIL_SEARCH_FLAGS, NULL);
	fl->flags = MAIL_SEARCH_FLAG_SEEN;
	assert_int_equal(match(pool, fl, msg_plain, &rec), 1);
	fl->flags = MAIL_SEARCH_FLAG_SEEN | MAIL_SEARCH_FLAG_DRAFT;
	assert_int_equal(match(pool, fl, msg_plain, &rec), 0);
	fl->not = true;
	assert_int_equal(match(pool, fl, msg_plain, &rec), 1);

	struct mail_search_arg *kw = leaf(pool, MAIL_SEARCH_KEYWORD, NULL);
	kw->keyword_mask = 0x4;
	assert_int_equal(match(pool, kw, msg_plain, &rec), 1);
	kw->keyword_mask = 0; /* unknown keyword */
	assert_int_equal(match(pool, kw, msg_plain, &rec), 0);

	struct mail_search_arg *sm = leaf(pool, MAIL_SEARCH_SMALLER, NULL);
	sm->number = 500;
	assert_int_equal(match(pool, sm, msg_plain, &rec), 0);
	sm->type = MAIL_SEARCH_LARGER;
	sm->number = 499;
	assert_int_equal(match(pool, sm, msg_plain, &rec), 1);
	struct mail_search_arg *ms = leaf(pool, MAIL_SEARCH_MODSEQ, NULL);
	ms->number = 12;
	assert_int_equal(match(pool, ms, msg_plain, &rec), 1);
	ms->number = 13;
	assert_int_equal(match(pool, ms, msg_plain, &rec), 0);
	assert_true(mail_search_args_have_modseq(ms));

	/* OR (BODY absent) SEEN: decided by the record alone */
	struct mail_search_arg *body = leaf(pool, MAIL_SEARCH_BODY, "absent");
	struct mail_search_arg *seen = leaf(pool, MAIL_SEARCH_FLAGS, NULL);
	seen->flags = MAIL_SEARCH_FLAG_SEEN;
	body->next = seen;
	struct mail_search_arg * or = leaf(pool, MAIL_SEARCH_OR, NULL);
	or->subargs = body;
	mail_search_args_init(pool, or);
	mail_search_args_resolve(pool, or, 10, 100);
	assert_int_equal(mail_search_match_record(or, &rec), 1);
	seen->not = true;
	assert_int_equal(mail_search_match_record(or, &rec), -1);
	assert_int_equal(match(pool, or, msg_plain, &rec), 0);
	or->not = true;
	assert_int_equal(match(pool, or, msg_plain, &rec), 1);
	assert_true(mail_search_args_need_content(or));
	assert_false(mail_search_args_need_content(seen));
	pool_unref(&pool);
}

static void test_match_vanished(void **state)
{
	pool_t pool = pool_create("test", 4096);
	struct mail_search_record rec = {.seq = 1, .uid = 1};
	struct mail_search_arg *arg = leaf(pool, MAIL_SEARCH_BODY, "x");
	struct mem_msg mm = {msg_plain, sizeof(msg_plain) - 1, true};
	bool expunged;
	const char *error;

	mail_search_args_init(pool, arg);
	assert_int_equal(mail_search_match_record(arg, &rec), -1);
	assert_int_equal(mail_search_match_content(arg, pool, mem_read, &mm,
						   &expunged, &error),
			 -1);
	assert_true(expunged);
	pool_unref(&pool);
}

/* A body much larger than one read, with the needle across a read
 * boundary. */
static void test_match_big(void **state)
{
	pool_t pool = pool_create("test", 4096);
	struct mail_search_record rec = {.seq = 1, .uid = 1};
	string_t *msg = str_new(NULL, 300 * 1024);

	str_append(msg, "Subject: big\r\n\r\n");
	while (str_len(msg) < 64 * 1024 - 3)
		str_append_c(msg, 'a');
	str_append(msg, "NEEDLE");
	for (unsigned int i = 0; i < 200 * 1024; i++)
		str_append_c(msg, 'b');
	struct mail_search_arg *arg = leaf(pool, MAIL_SEARCH_BODY, "aneedleb");
	assert_int_equal(match(pool, arg, str_c(msg), &rec), 1);
	arg = leaf(pool, MAIL_SEARCH_BODY, "aab");
	assert_int_equal(match(pool, arg, str_c(msg), &rec), 0);
	str_free(&msg);
	pool_unref(&pool);
}

static int fake_get_header(void *context, const char *name,
			   const char **value_r, bool *expunged_r,
			   const char **error_r)
{
	if (strcasecmp(name, "Subject") == 0)
		*value_r = "=?utf-8?q?Gr=C3=BC=C3=9Fe?= all";
	else if (strcasecmp(name, "Date") == 0)
		*value_r = "Mon, 3 Jun 2024 23:30:00 -0500";
	else
		*value_r = NULL;
	return 0;
}

static void test_match_cached_headers(void **state)
{
	static const char *const names[] = {"Subject", "Date", NULL};
	pool_t pool = pool_create("test", 4096);
	struct mail_search_record rec = {.seq = 1, .uid = 1};
	bool expunged;
	const char *error;
	time_t d;

	struct mail_search_arg *subj = leaf(pool, MAIL_SEARCH_HEADER,
					    "GR\xc3\x9c\xc3\x9f"
					    "E ALL");
	subj->hdr_name = "SUBJECT";
	struct mail_search_arg *on = leaf(pool, MAIL_SEARCH_SENTON, NULL);
	assert_true(message_date_imap_parse_date("3-Jun-2024", &d));
	on->day = mail_search_day_from_utc(d);
	subj->next = on;
	assert_true(mail_search_args_headers_only(subj, names));
	mail_search_args_init(pool, subj);
	assert_int_equal(mail_search_match_record(subj, &rec), -1);
	assert_int_equal(mail_search_match_headers(subj, pool, fake_get_header,
						   NULL, &expunged, &error),
			 1);
	on->day++;
	assert_int_equal(mail_search_match_record(subj, &rec), -1);
	assert_int_equal(mail_search_match_headers(subj, pool, fake_get_header,
						   NULL, &expunged, &error),
			 0);

	struct mail_search_arg *to = leaf(pool, MAIL_SEARCH_HEADER, "");
	to->hdr_name = "To";
	assert_false(mail_search_args_headers_only(to, names));
	struct mail_search_arg *body = leaf(pool, MAIL_SEARCH_BODY, "x");
	assert_false(mail_search_args_headers_only(body, names));
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_decoding),
	    cmocka_unit_test(test_folding),
	    cmocka_unit_test(test_folding_ascii_runs),
	    cmocka_unit_test(test_charset),
	    cmocka_unit_test(test_match_content),
	    cmocka_unit_test(test_match_dates),
	    cmocka_unit_test(test_match_record_logic),
	    cmocka_unit_test(test_match_vanished),
	    cmocka_unit_test(test_match_big),
	    cmocka_unit_test(test_match_cached_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
