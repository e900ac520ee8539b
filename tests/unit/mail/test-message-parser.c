/* Unit tests for the MIME parser, ENVELOPE and BODYSTRUCTURE output and
 * section locating. Every message is parsed whole, byte at a time and in
 * 3-byte chunks; the expected strings are what Debian's Dovecot answers
 * for the same messages. */
#include "lib.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "imap-bodystructure.h"
#include "imap-envelope.h"
#include "message-parser.h"
#include "message-part-data.h"
#include "message-section.h"
#include "pool.h"
#include "str.h"

struct parse_case {
	const char *input;
	const char *envelope, *bodystructure, *body;
};

static const struct parse_case parse_cases[] = {
    {"Subject: x\n\n", "NIL \"x\" NIL NIL NIL NIL NIL NIL NIL NIL",
     "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL "
     "NIL NIL NIL",
     "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"},
    {"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
     "text/plain\n\nhello\n--b\n\n--b--\n",
     "NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL "
     "NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
     "\"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL "
     "NIL",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 "
     "0)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) "
     "\"mixed\""},
    {"From: a@b.c\r\nContent-Type: message/rfc822\r\n\r\nSubject: "
     "in\r\n\r\nx\r\ny",
     "NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) ((NIL NIL "
     "\"a\" \"b.c\")) NIL NIL NIL NIL NIL",
     "\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 19 (NIL \"in\" NIL NIL NIL "
     "NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
     "NIL \"7bit\" 4 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL",
     "\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 19 (NIL \"in\" NIL NIL NIL "
     "NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
     "NIL \"7bit\" 4 1) 3"},
    {"To: g: a@b.c, <d@e.f>;, x\nSubject: \t \n\n",
     "NIL \"\" NIL NIL NIL ((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"b.c\")(NIL "
     "NIL \"d\" \"e.f\")(NIL NIL NIL NIL)(NIL NIL \"x\" \"MISSING_DOMAIN\")) "
     "NIL NIL NIL NIL",
     "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL "
     "NIL NIL NIL",
     "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"},
    {"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
     "text/plain\n--b--\n",
     "NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL "
     "NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) "
     "\"mixed\""},
    /* multipart without a boundary: one empty text/plain part */
    {"Content-Type: multipart/mixed\n\n--x\n\nbody\n",
     "NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL "
     "NIL NIL NIL) \"mixed\" NIL NIL NIL NIL",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) "
     "\"mixed\""},
};

static struct message_part *parse_chunked(pool_t pool, const char *input,
					  size_t chunk)
{
	struct message_parser *parser =
	    message_parser_init(pool, NULL, NULL, NULL);
	size_t len = strlen(input);

	if (chunk == 0)
		chunk = len > 0 ? len : 1;
	for (size_t i = 0; i < len; i += chunk)
		message_parser_feed(parser, input + i, MIN_OF(chunk, len - i));
	return message_parser_finish(&parser);
}

static void test_parse_cases(void **state)
{
	static const size_t chunks[] = {0, 1, 3};

	for (unsigned int i = 0; i < N_ELEMENTS(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];

		for (unsigned int j = 0; j < N_ELEMENTS(chunks); j++) {
			pool_t pool = pool_create("test", 1024);
			struct message_part *root =
			    parse_chunked(pool, c->input, chunks[j]);
			string_t *env = str_new(pool, 256);
			string_t *bs = str_new(pool, 256);
			string_t *body = str_new(pool, 256);

			imap_envelope_write(root->data->envelope, env);
			imap_bodystructure_write(root, bs, true);
			imap_bodystructure_write(root, body, false);
			assert_string_equal(str_c(env), c->envelope);
			assert_string_equal(str_c(bs), c->bodystructure);
			assert_string_equal(str_c(body), c->body);
			assert_int_equal(root->header_size.physical_size +
					     root->body_size.physical_size,
					 strlen(c->input));
			pool_unref(&pool);
		}
	}
}

static void test_sizes(void **state)
{
	pool_t pool = pool_create("test", 1024);
	/* bare LFs count as CRLF in virtual sizes */
	struct message_part *root =
	    parse_chunked(pool, "A: b\nC: d\r\n\nline1\nline2\r\nno-eol", 1);

	assert_int_equal(root->header_size.physical_size, 12);
	assert_int_equal(root->header_size.virtual_size, 14);
	assert_int_equal(root->header_size.lines, 3);
	assert_int_equal(root->body_size.physical_size, 19);
	assert_int_equal(root->body_size.virtual_size, 20);
	assert_int_equal(root->body_size.lines, 2);
	pool_unref(&pool);
}

static void test_limits(void **state)
{
	pool_t pool = pool_create("test", 4096);
	struct message_parser_settings set = {.max_nesting = 3,
					      .max_header_field_size = 64};
	string_t *msg = str_new(pool, 4096);
	struct message_parser *parser;
	struct message_part *root, *p;
	unsigned int depth = 0;

	for (unsigned int i = 0; i < 10; i++)
		str_printfa(msg,
			    "Content-Type: multipart/mixed; boundary=b%u\n\n"
			    "--b%u\n",
			    i, i);
	str_append(msg, "Subject: ");
	for (unsigned int i = 0; i < 1000; i++)
		str_append_c(msg, 'x');
	str_append(msg, "\n\nbody\n");
	parser = message_parser_init(pool, &set, NULL, NULL);
	for (size_t i = 0; i < str_len(msg); i++)
		message_parser_feed(parser, str_data(msg) + i, 1);
	root = message_parser_finish(&parser);
	for (p = root; p->children != NULL; p = p->children)
		depth++;
	assert_int_equal(depth, 3);
	assert_int_equal(root->header_size.physical_size +
			     root->body_size.physical_size,
			 str_len(msg));
	pool_unref(&pool);
}

static const char section_msg[] = "Subject: top\n"
				  "Content-Type: multipart/mixed; boundary=b\n"
				  "\n"
				  "--b\n"
				  "Content-Type: text/plain\n"
				  "\n"
				  "one\n"
				  "--b\n"
				  "Content-Type: message/rfc822\n"
				  "\n"
				  "Subject: inner\n"
				  "X-A: 1\n"
				  "\n"
				  "inner body\n"
				  "--b--\n";

static const char *section_text(pool_t pool, const struct message_part *root,
				const char *section)
{
	struct message_section s;
	const char *error;

	if (message_section_find(root, section, &s, &error) < 0)
		return NULL;
	return p_strndup(pool, section_msg + s.offset, (size_t)s.size);
}

static void test_sections(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct message_part *root = parse_chunked(pool, section_msg, 1);
	const char *const fields[] = {"x-a", NULL};
	struct message_section s;
	const char *error;
	string_t *str = str_new(pool, 64);

	assert_string_equal(section_text(pool, root, ""), section_msg);
	assert_string_equal(section_text(pool, root, "1"), "one");
	assert_string_equal(section_text(pool, root, "1.MIME"),
			    "Content-Type: text/plain\n\n");
	assert_string_equal(section_text(pool, root, "2.HEADER"),
			    "Subject: inner\nX-A: 1\n\n");
	assert_string_equal(section_text(pool, root, "2.TEXT"), "inner body");
	assert_string_equal(section_text(pool, root, "2.1"), "inner body");
	assert_string_equal(section_text(pool, root, "header"),
			    "Subject: top\nContent-Type: multipart/mixed; "
			    "boundary=b\n\n");
	assert_null(section_text(pool, root, "3"));
	assert_null(section_text(pool, root, "1.HEADER"));
	assert_null(section_text(pool, root, "0"));
	assert_null(section_text(pool, root, "1..2"));
	assert_null(section_text(pool, root, "MIME"));
	/* "1" then "1" of a leaf is the leaf; no further numbers below it;
	 * inside message/rfc822 the numbers go on */
	assert_string_equal(section_text(pool, root, "1.1"), "one");
	assert_string_equal(section_text(pool, root, "1.1.MIME"),
			    "Content-Type: text/plain\n\n");
	assert_null(section_text(pool, root, "1.1.1"));
	assert_null(section_text(pool, root, "2.1.1"));

	assert_int_equal(
	    message_section_find(root, "2.HEADER.FIELDS.NOT", &s, &error), 0);
	assert_true(s.header_fields && s.header_fields_not);
	message_header_filter((const unsigned char *)section_msg + s.offset,
			      (size_t)s.size, fields, false, str);
	assert_string_equal(str_c(str), "X-A: 1\r\n\r\n");
	str_truncate(str, 0);
	message_header_filter((const unsigned char *)section_msg + s.offset,
			      (size_t)s.size, fields, true, str);
	assert_string_equal(str_c(str), "Subject: inner\r\n\r\n");
	pool_unref(&pool);
}

/* RFC 2046 section 5.1.1 boundary rules, with the part ranges Debian's
 * Dovecot gives (BODY[section] over IMAP). A boundary line owns its
 * whole line, line break included; the line break before a boundary line
 * belongs to it unless that line break ended a boundary line itself (a
 * close delimiter directly followed by an outer boundary). */
struct boundary_case {
	const char *input;
	const char *section, *text;
};

#define BC_HDR "Subject: x\nContent-Type: multipart/mixed; boundary="
#define BC_INNER(b, body)                                                      \
	"Content-Type: multipart/mixed; boundary=" b "\n\n--" b                \
	"\nContent-Type: text/plain\n\n" body

static const struct boundary_case boundary_cases[] = {
    /* the inner boundary "abc" is longer than the outer "ab" */
    {BC_HDR "ab\n\n--ab\n" BC_INNER(
	 "abc", "inner\n--abc--\n--ab\n") "Content-Type: "
					  "text/plain\n\nouter\n--ab--\n",
     "1", "--abc\nContent-Type: text/plain\n\ninner\n--abc--\n"},
    {BC_HDR "ab\n\n--ab\n" BC_INNER(
	 "abc", "inner\n--abc--\n--ab\n") "Content-Type: "
					  "text/plain\n\nouter\n--ab--\n",
     "2", "outer"},
    /* the same with CRLF */
    {"Subject: x\r\nContent-Type: multipart/mixed; boundary=ab\r\n\r\n"
     "--ab\r\nContent-Type: multipart/mixed; boundary=abc\r\n\r\n--abc\r\n"
     "Content-Type: text/plain\r\n\r\ninner\r\n--abc--\r\n--ab\r\n"
     "Content-Type: text/plain\r\n\r\nouter\r\n--ab--\r\n",
     "1", "--abc\r\nContent-Type: text/plain\r\n\r\ninner\r\n--abc--\r\n"},
    /* the inner boundary is a prefix of the outer one */
    {BC_HDR "abc\n\n--abc\n" BC_INNER(
	 "ab", "inner\n--ab--\n--abc\n") "Content-Type: "
					 "text/plain\n\nouter\n--abc--\n",
     "1", "--ab\nContent-Type: text/plain\n\ninner\n--ab--\n"},
    /* text after a close delimiter is part of its line */
    {BC_HDR "o\n\n--o\n" BC_INNER(
	 "i",
	 "in\n--i-- junk\n--o\n") "Content-Type: text/plain\n\nout\n--o--\n",
     "1", "--i\nContent-Type: text/plain\n\nin\n--i-- junk\n"},
    /* an empty line between: its line break goes to the outer boundary */
    {BC_HDR "o\n\n--o\n" BC_INNER(
	 "i", "in\n--i--\n\n--o\n") "Content-Type: text/plain\n\nout\n--o--\n",
     "1", "--i\nContent-Type: text/plain\n\nin\n--i--\n"},
    /* an epilogue line between */
    {BC_HDR "o\n\n--o\n" BC_INNER(
	 "i", "in\n--i--\nepilogue\n--o\n") "Content-Type: "
					    "text/plain\n\nout\n--o--\n",
     "1", "--i\nContent-Type: text/plain\n\nin\n--i--\nepilogue"},
    /* a "--" line that is no boundary */
    {BC_HDR "o\n\n--o\n" BC_INNER(
	 "i",
	 "in\n--i--\n--\n--o\n") "Content-Type: text/plain\n\nout\n--o--\n",
     "1", "--i\nContent-Type: text/plain\n\nin\n--i--\n--"},
    /* three close delimiters in a row */
    {BC_HDR
     "a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\n" BC_INNER(
	 "c",
	 "c1\n--c--\n--b--\n--a\n") "Content-Type: text/plain\n\nlast\n--a--\n",
     "1.1", "--c\nContent-Type: text/plain\n\nc1\n--c--\n"},
    {BC_HDR
     "a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\n" BC_INNER(
	 "c",
	 "c1\n--c--\n--b--\n--a\n") "Content-Type: text/plain\n\nlast\n--a--\n",
     "1",
     "--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\n"
     "Content-Type: text/plain\n\nc1\n--c--\n--b--\n"},
    /* the inner multipart never closed: the outer boundary ends it */
    {BC_HDR "ab\n\n--ab\n" BC_INNER(
	 "abc", "inner\n--ab\n") "Content-Type: text/plain\n\nouter\n--ab--\n",
     "1", "--abc\nContent-Type: text/plain\n\ninner"},
    /* the inner close delimiter ends the message */
    {BC_HDR "o\n\n--o\n" BC_INNER("i", "in\n--i--"), "1",
     "--i\nContent-Type: text/plain\n\nin\n--i--"},
    /* message/rfc822 whose multipart closes right before the boundary */
    {BC_HDR "o\n\n--o\nContent-Type: message/rfc822\n\nSubject: in\n" BC_INNER(
	 "i", "in\n--i--\n--o\n") "Content-Type: text/plain\n\nout\n--o--\n",
     "1",
     "Subject: in\nContent-Type: multipart/mixed; boundary=i\n\n--i\n"
     "Content-Type: text/plain\n\nin\n--i--\n"},
    /* a boundary interrupts a header: the header's last line break
     * belongs to the boundary */
    {BC_HDR "ab\n\n--ab\nContent-Type: text/plain\n--ab\n"
	    "Content-Type: text/plain\n\ny\n--ab--\n",
     "1.MIME", "Content-Type: text/plain"},
    /* two boundary lines in a row: an empty part */
    {BC_HDR "ab\n\n--ab\n--ab\nContent-Type: text/plain\n\nx\n--ab--\n",
     "1.MIME", ""},
    /* a boundary is a prefix of the line; more after a close delimiter
     * is the epilogue */
    {BC_HDR "ab\n\n--ab  x\nContent-Type: text/plain\n\nx\n--abXY\n"
	    "Content-Type: text/plain\n\ny\n--ab--tail\nepi\n",
     "2", "y"},
};

static void test_boundary_rules(void **state)
{
	static const size_t chunks[] = {0, 1, 3};

	for (unsigned int i = 0; i < N_ELEMENTS(boundary_cases); i++) {
		const struct boundary_case *c = &boundary_cases[i];

		for (unsigned int j = 0; j < N_ELEMENTS(chunks); j++) {
			pool_t pool = pool_create("test", 1024);
			struct message_part *root =
			    parse_chunked(pool, c->input, chunks[j]);
			struct message_section s;
			const char *error;

			assert_int_equal(
			    message_section_find(root, c->section, &s, &error),
			    0);
			assert_int_equal(s.size, strlen(c->text));
			assert_memory_equal(c->input + s.offset, c->text,
					    strlen(c->text));
			if (s.kind == MESSAGE_SECTION_BODY) {
				/* lines are LFs, as BODYSTRUCTURE counts */
				uint64_t lf = 0;

				for (const char *t = c->text; *t != '\0'; t++)
					lf += *t == '\n';
				assert_int_equal(s.part->body_size.lines, lf);
			}
			assert_int_equal(root->header_size.physical_size +
					     root->body_size.physical_size,
					 strlen(c->input));
			pool_unref(&pool);
		}
	}
}

/* Part numbers of messages that are not multipart (RFC 3501 section
 * 6.4.5), as Dovecot resolves them. */
static void test_section_numbers_single(void **state)
{
	pool_t pool = pool_create("test", 1024);
	const char *msg = "Subject: x\n\nbody\n";
	const char *rfc = "Content-Type: message/rfc822\n\nSubject: in\n"
			  "Content-Type: multipart/mixed; boundary=i\n\n--i\n\n"
			  "text\n--i--\n";
	struct message_part *root = parse_chunked(pool, msg, 1);
	struct message_section s;
	const char *error;

	assert_int_equal(message_section_find(root, "1", &s, &error), 0);
	assert_int_equal(s.offset, 12);
	assert_int_equal(s.size, 5);
	assert_int_equal(message_section_find(root, "1.MIME", &s, &error), 0);
	assert_int_equal(message_section_find(root, "1.1", &s, &error), -1);
	assert_int_equal(message_section_find(root, "1.1.MIME", &s, &error),
			 -1);
	assert_int_equal(message_section_find(root, "2", &s, &error), -1);

	/* a message that is one message/rfc822: "1" is the message inside,
	 * "1.1" its first part, and "1.1.1" that part again */
	root = parse_chunked(pool, rfc, 1);
	assert_int_equal(message_section_find(root, "1", &s, &error), 0);
	assert_int_equal(s.offset, 30);
	assert_int_equal(message_section_find(root, "1.1", &s, &error), 0);
	assert_memory_equal(rfc + s.offset, "text", 4);
	assert_int_equal(s.size, 4);
	assert_int_equal(message_section_find(root, "1.1.1", &s, &error), 0);
	assert_int_equal(s.size, 4);
	assert_int_equal(message_section_find(root, "1.1.1.1", &s, &error), -1);
	assert_int_equal(message_section_find(root, "1.2", &s, &error), -1);
	pool_unref(&pool);
}

static void test_header_get_first(void **state)
{
	pool_t pool = pool_create("test", 1024);
	const char hdr[] = "A: 1\nSubject:  folded\n\tvalue\nSubject: 2\n\n";

	assert_string_equal(message_header_get_first(pool,
						     (const unsigned char *)hdr,
						     strlen(hdr), "subject"),
			    "folded\tvalue");
	assert_null(message_header_get_first(pool, (const unsigned char *)hdr,
					     strlen(hdr), "To"));
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_cases),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_sections),
	    cmocka_unit_test(test_boundary_rules),
	    cmocka_unit_test(test_section_numbers_single),
	    cmocka_unit_test(test_header_get_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
