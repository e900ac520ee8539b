/* test-imap-parser.c - the IMAP command parser, table-driven: every case
 * fed all at once, one byte at a time and split in two at every position
 * must give the same events. Then the limits: long lines, deep nesting,
 * thousands of literals before login, huge and malformed literal sizes,
 * LITERAL-, APPENDLIMIT, and memory staying bounded throughout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "imap-parser.h"

static const char *const stream_cmds[] = {"APPEND", NULL};

enum set_kind {
	SET_DEFAULT = 0,
	SET_STREAM, /* APPEND streams, APPENDLIMIT 10 */
	SET_SMALL,  /* max_line 16, max_args 4, max_depth 3 */
	SET_LITERAL_MINUS,
	SET_PRELOGIN,
};

static void get_settings(enum set_kind kind, struct imap_parser_settings *set)
{
	memset(set, 0, sizeof(*set));
	switch (kind) {
	case SET_DEFAULT:
		break;
	case SET_STREAM:
		set->stream_commands = stream_cmds;
		set->max_literal_size = 10;
		break;
	case SET_SMALL:
		set->max_line_length = 16;
		set->max_args = 4;
		set->max_depth = 3;
		break;
	case SET_LITERAL_MINUS:
		set->literal_minus = true;
		break;
	case SET_PRELOGIN:
		*set = imap_parser_prelogin_settings;
		break;
	}
}

static void append_bytes(string_t *out, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c < 0x20 || c >= 0x7f)
			str_printfa(out, "\\x%02x", c);
		else
			str_append_c(out, (char)c);
	}
}

static void append_args(string_t *out, const struct imap_arg *args,
			unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		const struct imap_arg *arg = &args[i];

		if (i > 0)
			str_append_c(out, ' ');
		switch (arg->type) {
		case IMAP_ARG_EOL:
			fail_msg("EOL inside the array");
			break;
		case IMAP_ARG_NIL:
			str_printfa(out, "<NIL:%s>", arg->str);
			break;
		case IMAP_ARG_ATOM:
			str_append(out, arg->str);
			break;
		case IMAP_ARG_STRING:
			str_append_c(out, '"');
			append_bytes(out, arg->str, arg->len);
			str_append_c(out, '"');
			break;
		case IMAP_ARG_LITERAL:
			if (arg->literal_streamed) {
				str_printfa(
				    out, "<stream %llu>",
				    (unsigned long long)arg->literal_size);
				break;
			}
			str_printfa(out, "%s{%zu}", arg->literal8 ? "~" : "",
				    arg->len);
			assert_int_equal(arg->len, arg->literal_size);
			append_bytes(out, arg->str, arg->len);
			break;
		case IMAP_ARG_LIST:
			str_append_c(out, '(');
			append_args(out, arg->list, arg->list_count);
			str_append_c(out, ')');
			break;
		}
	}
	assert_int_equal(args[count].type, IMAP_ARG_EOL);
}

static void add_event(string_t *out, const char *text)
{
	if (str_len(out) > 0)
		str_append_c(out, '\n');
	str_append(out, text);
}

struct runner {
	struct imap_parser *parser;
	string_t *out;
	string_t *literal; /* streamed bytes so far */
	size_t max_memory;
};

/* Feeds one chunk, recording the events in r->out. */
static void feed_chunk(struct runner *r, const char *data, size_t size)
{
	size_t pos = 0;

	for (;;) {
		struct imap_parser_event ev;
		size_t used = 12345;
		enum imap_parse_result ret = imap_parser_feed(
		    r->parser, data + pos, size - pos, &used, &ev);
		string_t *line = str_new(NULL, 128);

		assert_true(used <= size - pos);
		pos += used;
		switch (ret) {
		case IMAP_PARSE_MORE:
			assert_int_equal(pos, size);
			str_free(&line);
			return;
		case IMAP_PARSE_COMMAND:
			str_printfa(line, "%s %s", ev.tag, ev.name);
			if (ev.args_count > 0) {
				str_append_c(line, ' ');
				append_args(line, ev.args, ev.args_count);
			}
			add_event(r->out, str_c(line));
			break;
		case IMAP_PARSE_ERROR:
			str_printfa(line, "!%s:%s%s%s%s%s",
				    ev.tag == NULL ? "*" : ev.tag,
				    ev.no_reply ? "NO" : "",
				    ev.resp_code == NULL ? "" : "[",
				    ev.resp_code == NULL ? "" : ev.resp_code,
				    ev.resp_code == NULL ? "" : "]", ev.error);
			add_event(r->out, str_c(line));
			break;
		case IMAP_PARSE_CONTINUE:
			add_event(r->out, "+");
			break;
		case IMAP_PARSE_LITERAL:
			str_printfa(line, "L%llu%s",
				    (unsigned long long)ev.literal_size,
				    ev.literal_nonsync ? "+" : "");
			add_event(r->out, str_c(line));
			/* the first argument (APPEND's mailbox) is kept */
			if (ev.args_count == 1)
				imap_parser_literal_buffer(r->parser);
			/* the literal is the last argument, perhaps inside
			 * lists still open */
			{
				const struct imap_arg *last =
				    &ev.args[ev.args_count - 1];

				while (last->type == IMAP_ARG_LIST)
					last =
					    &last->list[last->list_count - 1];
				assert_int_equal(last->type, IMAP_ARG_LITERAL);
				assert_true(last->literal_size ==
					    ev.literal_size);
			}
			break;
		case IMAP_PARSE_LITERAL_DATA:
			str_append_n(r->literal, ev.data, ev.size);
			if (ev.last) {
				str_printfa(line, "D[");
				append_bytes(line, str_c(r->literal),
					     str_len(r->literal));
				str_append_c(line, ']');
				add_event(r->out, str_c(line));
				str_clear(r->literal);
			}
			break;
		}
		str_free(&line);
		if (imap_parser_memory_used(r->parser) > r->max_memory)
			r->max_memory = imap_parser_memory_used(r->parser);
	}
}

static void runner_init(struct runner *r, enum set_kind kind)
{
	struct imap_parser_settings set;

	get_settings(kind, &set);
	memset(r, 0, sizeof(*r));
	r->parser = imap_parser_create(&set);
	r->out = str_new(NULL, 256);
	r->literal = str_new(NULL, 64);
}

static void runner_deinit(struct runner *r)
{
	imap_parser_destroy(&r->parser);
	assert_null(r->parser);
	str_free(&r->out);
	str_free(&r->literal);
}

struct parse_case {
	enum set_kind set;
	const char *input;
	const char *expected;
	size_t input_len; /* 0 = strlen(input); set when input has NULs */
};

#define NUL_CASE(set, in, expected)                                            \
	{                                                                      \
		set, in, expected, sizeof(in) - 1                              \
	}

static const struct parse_case parse_cases[] = {
    {0, "a1 NOOP\r\n", "a1 NOOP"},
    {0, "a1 noop\n", "a1 NOOP"},
    {0, "\r\n\n\r\na NOOP\r\n", "a NOOP"},
    {0, "a NOOP", ""},
    {0, "a LOGIN user \"pa\\\"s\\\\s\"\r\n", "a LOGIN user \"pa\"s\\s\""},
    {0, "a LOGIN \"\" \"\"\r\n", "a LOGIN \"\" \"\""},
    {0, "a LOGIN {4}\r\nuser {3+}\r\npas\r\n", "+\na LOGIN {4}user {3}pas"},
    {0, "a LOGIN {0}\r\n {0+}\r\n\r\n", "+\na LOGIN {0} {0}"},
    {0, "a FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.10>)\r\n",
     "a FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To) ]<0.10>)"},
    {0, "a SELECT nil\r\n", "a SELECT <NIL:nil>"},
    {0, "a SELECT NILS\r\n", "a SELECT NILS"},
    {0, "a STORE 1 +FLAGS (\\Seen \\Deleted)\r\n",
     "a STORE 1 +FLAGS (\\Seen \\Deleted)"},
    {0, "a LIST \"\" %/*\r\n", "a LIST \"\" %/*"},
    {0, "a X ~abc ~\r\n", "a X ~abc ~"},
    {0, "a X ()(a)((b) c)\r\n", "a X () (a) ((b) c)"},
    {0, "a NOOP  x  \r\n", "a NOOP x"},
    {0, "a X \"caf\xc3\xa9\"\r\n", "a X \"caf\\xc3\\xa9\""},
    NUL_CASE(0, "a APPEND INBOX ~{3+}\r\na\0b\r\n",
	     "a APPEND INBOX ~{3}a\\x00b"),
    {0, "a X {2}\r\n\r\n\r\n", "+\na X {2}\\x0d\\x0a"},
    {0, "t] NOOP\r\n", "t] NOOP"},
    {0, "a NOOP\r\nb NOOP\nc CAPABILITY\r\n", "a NOOP\nb NOOP\nc CAPABILITY"},
    /* errors, each followed by a command to show the parser is in sync */
    {0, "a NOOP )\r\nb NOOP\r\n", "!a:Unexpected ')'\nb NOOP"},
    {0, "a NOOP (x\r\nb NOOP\r\n", "!a:Missing ')'\nb NOOP"},
    {0, "a NOOP \"abc\r\nb NOOP\r\n", "!a:Missing '\"'\nb NOOP"},
    {0, "a NOOP \"abc\nb NOOP\r\n", "!a:Missing '\"'\nb NOOP"},
    {0, "a X \"a\\b\"\r\nb NOOP\r\n",
     "!a:Invalid escape in quoted string\nb NOOP"},
    NUL_CASE(0, "a X \"a\0b\"\r\nb NOOP\r\n",
	     "!a:NUL characters not allowed in strings\nb NOOP"),
    {0, "+ NOOP\r\nb NOOP\r\n", "!*:Invalid tag\nb NOOP"},
    {0, " NOOP\r\nb NOOP\r\n", "!*:Invalid tag\nb NOOP"},
    {0, "a(b NOOP\r\nb NOOP\r\n", "!*:Invalid tag\nb NOOP"},
    {0, "a\r\nb NOOP\r\n", "!a:Missing command name\nb NOOP"},
    {0, "a \r\nb NOOP\r\n", "!a:Missing command name\nb NOOP"},
    {0, "a  NOOP\r\nb NOOP\r\n", "!a:Invalid command name\nb NOOP"},
    {0, "a NO(OP\r\nb NOOP\r\n", "!a:Invalid command name\nb NOOP"},
    {0, "a SELECT \xff\r\nb NOOP\r\n", "!a:Invalid characters in atom\nb NOOP"},
    {0, "a SELECT in\"box\r\nb NOOP\r\n",
     "!a:Invalid characters in atom\nb NOOP"},
    {0, "a X a(b)\r\nb NOOP\r\n", "!a:Invalid characters in atom\nb NOOP"},
    {0, "a NOOP\rb\r\nb NOOP\r\n", "!a:CR without LF\nb NOOP"},
    {0, "a LOGIN {-1}\r\nb NOOP\r\n", "!a:Invalid literal size\nb NOOP"},
    {0, "a LOGIN {}\r\nb NOOP\r\n", "!a:Invalid literal size\nb NOOP"},
    {0, "a LOGIN {+}\r\nb NOOP\r\n", "!a:Invalid literal size\nb NOOP"},
    {0, "a LOGIN {1x}\r\nb NOOP\r\n", "!a:Invalid literal size\nb NOOP"},
    {0, "a LOGIN {1++}\r\nb NOOP\r\n", "!a:Invalid literal size\nb NOOP"},
    {0, "a LOGIN {1}x\r\nb NOOP\r\n",
     "!a:Missing CRLF after literal size\nb NOOP"},
    {0, "a LOGIN {1}\rx\r\nb NOOP\r\n",
     "!a:Missing CRLF after literal size\nb NOOP"},
    {0, "a LOGIN {4294967296}\r\nb NOOP\r\n",
     "!a:[TOOBIG]Literal size too large\nb NOOP"},
    {0, "a LOGIN {18446744073709551615}\r\nb NOOP\r\n",
     "!a:[TOOBIG]Literal size too large\nb NOOP"},
    {0, "a LOGIN {18446744073709551616}\r\nb NOOP\r\n",
     "!a:[TOOBIG]Literal size too large\nb NOOP"},
    {0, "a LOGIN {99999999999999999999999999}\r\nb NOOP\r\n",
     "!a:[TOOBIG]Literal size too large\nb NOOP"},
    /* the rest of a bad command is skipped, with the non-synchronising
     * literal ending its line; a synchronising one is never sent */
    {0, "a NOOP ) {5+}\r\nb X\r\n\r\nc NOOP\r\n", "!a:Unexpected ')'\nc NOOP"},
    {0, "a NOOP ) {5+}\r\n)\r\n\r\n {2+}\nxy\nc NOOP\r\n",
     "!a:Unexpected ')'\nc NOOP"},
    {0, "a NOOP ) {5}\r\nc NOOP\r\n", "!a:Unexpected ')'\nc NOOP"},
    {0, "a NOOP ) {5+} x\r\nc NOOP\r\n", "!a:Unexpected ')'\nc NOOP"},
    NUL_CASE(0, "a LOGIN {3+}\r\na\0b x\r\nc NOOP\r\n",
	     "!a:NUL characters not allowed in literals\nc NOOP"),
    /* streaming (APPEND) */
    {SET_STREAM, "a APPEND INBOX {5}\r\nhello\r\n",
     "L5\n+\nD[hello]\na APPEND INBOX <stream 5>"},
    {SET_STREAM, "a APPEND INBOX (\\Seen) {3+}\r\nabc\r\n",
     "L3+\nD[abc]\na APPEND INBOX (\\Seen) <stream 3>"},
    NUL_CASE(SET_STREAM, "a APPEND {5+}\r\nINBOX {3+}\r\na\0c {2+}\r\nde\r\n",
	     "L5+\nL3+\nD[a\\x00c]\nL2+\nD[de]\na APPEND {5}INBOX <stream 3> "
	     "<stream 2>"),
    {SET_STREAM, "a APPEND INBOX {0+}\r\n\r\n",
     "L0+\nD[]\na APPEND INBOX <stream 0>"},
    {SET_STREAM, "a APPEND INBOX {10}\r\n0123456789\r\n",
     "L10\n+\nD[0123456789]\na APPEND INBOX <stream 10>"},
    {SET_STREAM, "a APPEND INBOX {11}\r\nb NOOP\r\n",
     "L11\n!a:NO[TOOBIG]Literal size too large\nb NOOP"},
    {SET_STREAM, "a APPEND INBOX {11+}\r\n0123456789X\r\nb NOOP\r\n",
     "L11+\n!a:NO[TOOBIG]Literal size too large\nb NOOP"},
    {SET_STREAM, "a LOGIN {5}\r\nhello\r\n", "+\na LOGIN {5}hello"},
    {SET_STREAM, "a APPEND INBOX CATENATE (TEXT {3+}\r\nabc URL \"/x\")\r\n",
     "L3+\nD[abc]\na APPEND INBOX CATENATE (TEXT <stream 3> URL \"/x\")"},
    /* limits */
    {SET_SMALL, "a NOOP 123456789\r\n", "a NOOP 123456789"},
    {SET_SMALL, "a NOOP 1234567890\r\nb NOOP\r\n",
     "!a:[TOOBIG]Command line too long\nb NOOP"},
    {SET_SMALL, "a X {8}\r\n12345678\r\n", "+\na X {8}12345678"},
    {SET_SMALL, "a X {10}\r\nb NOOP\r\n",
     "!a:[TOOBIG]Literal size too large\nb NOOP"},
    {SET_SMALL, "a X {10+}\r\n1234567890\r\nb NOOP\r\n",
     "!a:[TOOBIG]Literal size too large\nb NOOP"},
    {SET_SMALL, "a X {1+}\r\n1 {9+}\r\n123456789 x\r\nb NOOP\r\n",
     "!a:[TOOBIG]Literal size too large\nb NOOP"},
    {SET_SMALL, "a X (((x)))\r\n", "a X (((x)))"},
    {SET_SMALL, "a X ((((x))))\r\nb NOOP\r\n",
     "!a:Too deep parenthesis nesting\nb NOOP"},
    {SET_SMALL, "a X 1 2 3 4\r\n", "a X 1 2 3 4"},
    {SET_SMALL, "a X 1 2 3 4 5\r\nb NOOP\r\n", "!a:Too many arguments\nb NOOP"},
    {SET_SMALL, "a X 1 2 3 4 {2+}\r\nxy\r\nb NOOP\r\n",
     "!a:Too many arguments\nb NOOP"},
    {SET_SMALL, "a X (1 2)\r\n", "a X (1 2)"},
    {SET_SMALL, "a X (1 2 3 4)\r\nb NOOP\r\n", "!a:Too many arguments\nb NOOP"},
    {SET_LITERAL_MINUS, "a X {4096+}\r\n", ""},
    {SET_LITERAL_MINUS, "a X {4097}\r\nb NOOP\r\n", "+"},
};

static size_t case_len(const struct parse_case *tc)
{
	return tc->input_len != 0 ? tc->input_len : strlen(tc->input);
}

static void run_case(const struct parse_case *tc, const size_t *cuts,
		     unsigned int cut_count)
{
	struct runner r;
	size_t len = case_len(tc), pos = 0;

	runner_init(&r, tc->set);
	for (unsigned int c = 0; c <= cut_count; c++) {
		size_t end = c < cut_count ? cuts[c] : len;

		feed_chunk(&r, tc->input + pos, end - pos);
		pos = end;
	}
	if (strcmp(str_c(r.out), tc->expected) != 0) {
		fail_msg("input '%s' (%u cuts): got\n%s\nexpected\n%s",
			 tc->input, cut_count, str_c(r.out), tc->expected);
	}
	runner_deinit(&r);
}

static void test_parse_whole(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(parse_cases); i++)
		run_case(&parse_cases[i], NULL, 0);
}

static void test_parse_byte_at_a_time(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(parse_cases); i++) {
		size_t cuts[128], len = case_len(&parse_cases[i]);
		unsigned int n = 0;

		assert_true(len <= N_ELEMENTS(cuts));
		for (size_t c = 1; c < len; c++)
			cuts[n++] = c;
		run_case(&parse_cases[i], cuts, n);
	}
}

static void test_parse_two_pieces(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(parse_cases); i++) {
		size_t len = case_len(&parse_cases[i]);

		for (size_t c = 1; c < len; c++)
			run_case(&parse_cases[i], &c, 1);
	}
}

/* Feeds a generated input in chunks of chunk bytes. */
static void run_big(struct runner *r, const string_t *input, size_t chunk)
{
	for (size_t pos = 0; pos < str_len(input); pos += chunk) {
		size_t n = str_len(input) - pos;

		feed_chunk(r, str_c(input) + pos, n < chunk ? n : chunk);
	}
}

static void test_long_line(void **state)
{
	string_t *input = str_new(NULL, 110000);
	struct runner r;

	/* 100 KB in one atom: over the default 64 KB limit */
	str_append(input, "a SELECT ");
	for (unsigned int i = 0; i < 100 * 1024; i++)
		str_append_c(input, 'x');
	str_append(input, "\r\nb NOOP\r\n");
	runner_init(&r, SET_DEFAULT);
	run_big(&r, input, 4096);
	assert_string_equal(str_c(r.out),
			    "!a:[TOOBIG]Command line too long\nb NOOP");
	assert_true(r.max_memory < 2 * IMAP_PARSER_DEFAULT_MAX_LINE + 8192);
	/* the buffers of a large command are not kept afterwards */
	feed_chunk(&r, "c NOOP\r\n", 8);
	assert_true(imap_parser_memory_used(r.parser) < 16384);
	runner_deinit(&r);

	/* the same line byte by byte */
	runner_init(&r, SET_DEFAULT);
	run_big(&r, input, 1);
	assert_string_equal(str_c(r.out),
			    "!a:[TOOBIG]Command line too long\nb NOOP");
	runner_deinit(&r);

	/* with a higher limit it is one argument */
	{
		struct imap_parser_settings set = {.max_line_length = 200000};
		struct imap_parser_event ev;
		size_t used;

		struct imap_parser *parser = imap_parser_create(&set);
		assert_int_equal(imap_parser_feed(parser, str_c(input),
						  str_len(input), &used, &ev),
				 IMAP_PARSE_COMMAND);
		assert_int_equal(ev.args_count, 1);
		assert_int_equal(ev.args[0].len, 100 * 1024);
		imap_parser_destroy(&parser);
	}
	str_free(&input);
}

static void test_deep_nesting(void **state)
{
	string_t *input = str_new(NULL, 30000);
	struct runner r;

	str_append(input, "a SEARCH ");
	for (unsigned int i = 0; i < 10000; i++)
		str_append_c(input, '(');
	for (unsigned int i = 0; i < 10000; i++)
		str_append_c(input, ')');
	str_append(input, "\r\nb NOOP\r\n");

	runner_init(&r, SET_PRELOGIN);
	run_big(&r, input, 1);
	assert_string_equal(str_c(r.out),
			    "!a:Too deep parenthesis nesting\nb NOOP");
	assert_true(r.max_memory < 32768);
	runner_deinit(&r);

	runner_init(&r, SET_DEFAULT);
	run_big(&r, input, 1000);
	assert_string_equal(str_c(r.out),
			    "!a:Too deep parenthesis nesting\nb NOOP");
	assert_true(r.max_memory < 65536);
	runner_deinit(&r);
	str_free(&input);
}

static void test_many_literals_prelogin(void **state)
{
	string_t *input = str_new(NULL, 100000);
	struct runner r;
	size_t plus_count = 0;

	/* 10,000 non-synchronising literals in one command */
	str_append(input, "a LOGIN");
	for (unsigned int i = 0; i < 10000; i++)
		str_append(input, " {1+}\r\nx");
	str_append(input, "\r\nb NOOP\r\n");
	runner_init(&r, SET_PRELOGIN);
	run_big(&r, input, 7);
	assert_string_equal(str_c(r.out), "!a:Too many arguments\nb NOOP");
	assert_true(r.max_memory < 32768);
	runner_deinit(&r);

	/* and synchronising ones: the parser asks for each in turn until
	 * the limit, then the client's literal bytes are commands */
	str_clear(input);
	str_append(input, "a LOGIN");
	for (unsigned int i = 0; i < 10000; i++)
		str_append(input, " {1}\r\nx");
	str_append(input, "\r\n");
	runner_init(&r, SET_PRELOGIN);
	run_big(&r, input, 1);
	for (const char *p = str_c(r.out); (p = strchr(p, '+')) != NULL; p++)
		plus_count++;
	assert_int_equal(plus_count, imap_parser_prelogin_settings.max_args);
	assert_true(strstr(str_c(r.out), "!a:Too many arguments") != NULL);
	assert_true(r.max_memory < 32768);
	runner_deinit(&r);
	str_free(&input);
}

static void test_huge_nonsync_literal_skipped(void **state)
{
	string_t *input = str_new(NULL, 110000);
	struct runner r;

	/* over the line limit: refused, its 100,000 bytes skipped unread */
	str_append(input, "a X {100000+}\r\n");
	for (unsigned int i = 0; i < 100000; i++)
		str_append_c(input, i % 100 == 0 ? '\n' : 'a');
	str_append(input, "\r\nb NOOP\r\n");
	runner_init(&r, SET_DEFAULT);
	run_big(&r, input, 999);
	assert_string_equal(str_c(r.out),
			    "!a:[TOOBIG]Literal size too large\nb NOOP");
	assert_true(r.max_memory < 16384);
	runner_deinit(&r);
	str_free(&input);
}

static void test_literal_minus(void **state)
{
	string_t *input = str_new(NULL, 10000);
	struct runner r;

	/* RFC 7888 section 4: over 4096 bytes is refused, but the bytes
	 * are sent anyway and must be skipped */
	str_append(input, "a X {4097+}\r\n");
	for (unsigned int i = 0; i < 4097; i++)
		str_append_c(input, 'z');
	str_append(input, "\r\nb X {4096+}\r\n");
	for (unsigned int i = 0; i < 4096; i++)
		str_append_c(input, 'z');
	str_append(input, "\r\n");
	runner_init(&r, SET_LITERAL_MINUS);
	run_big(&r, input, 512);
	assert_true(str_begins(str_c(r.out),
			       "!a:[TOOBIG]Non-synchronizing literal over "
			       "4096 bytes\nb X {4096}zzz",
			       NULL));
	runner_deinit(&r);
	str_free(&input);
}

static void test_pipelined(void **state)
{
	string_t *input = str_new(NULL, 100000);
	struct runner r;
	unsigned int lines = 1;

	for (unsigned int i = 0; i < 10000; i++)
		str_printfa(input, "t%u NOOP\r\n", i);
	runner_init(&r, SET_PRELOGIN);
	run_big(&r, input, str_len(input));
	for (const char *p = str_c(r.out); (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 10000);
	assert_true(str_begins(str_c(r.out), "t0 NOOP\nt1 NOOP\n", NULL));
	runner_deinit(&r);
	str_free(&input);
}

/* Feeds input, refusing APPEND's first streamed literal with
 * imap_parser_skip_command(), and returns the names of the commands that
 * follow, one per line ("+" for a continuation request). */
static void run_refuse(const char *input, size_t chunk, string_t *out)
{
	struct imap_parser_settings set;
	struct imap_parser *parser;
	struct imap_parser_event ev;
	size_t pos = 0, len = strlen(input), used;
	enum imap_parse_result ret;

	get_settings(SET_STREAM, &set);
	set.max_literal_size = 0;
	parser = imap_parser_create(&set);
	str_truncate(out, 0);
	for (;;) {
		size_t n = len - pos < chunk ? len - pos : chunk;

		ret = imap_parser_feed(parser, input + pos, n, &used, &ev);
		pos += used;
		if (ret == IMAP_PARSE_MORE && pos == len)
			break;
		if (ret == IMAP_PARSE_LITERAL) {
			str_append(out, "L\n");
			imap_parser_skip_command(parser);
		} else if (ret == IMAP_PARSE_CONTINUE) {
			str_append(out, "+\n");
		} else if (ret == IMAP_PARSE_COMMAND) {
			str_printfa(out, "%s %s\n", ev.tag, ev.name);
		} else if (ret == IMAP_PARSE_LITERAL_DATA) {
			str_append(out, "D\n");
		} else if (ret == IMAP_PARSE_ERROR) {
			str_append(out, "E\n");
		}
	}
	imap_parser_destroy(&parser);
}

static void test_skip_command(void **state)
{
	static const struct {
		const char *input, *output;
	} cases[] = {
	    /* synchronising: no "+", the client sends the next command */
	    {"a APPEND x {5}\r\nb NOOP\r\n", "L\nb NOOP\n"},
	    /* non-synchronising: its bytes and the rest of the line go */
	    {"a APPEND x {5+}\r\nhello\r\nb NOOP\r\n", "L\nb NOOP\n"},
	    {"a APPEND x {5+}\r\nhe\nlo (\\Seen) {3+}\r\nabc\r\nb NOOP\r\n",
	     "L\nb NOOP\n"},
	    {"a APPEND x {0+}\r\n\r\nb NOOP\r\n", "L\nb NOOP\n"},
	};
	string_t *out = str_new(NULL, 64);

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		static const size_t chunks[] = {1, 2, 3, 7, 1000};

		for (unsigned int j = 0; j < N_ELEMENTS(chunks); j++) {
			run_refuse(cases[i].input, chunks[j], out);
			assert_string_equal(str_c(out), cases[i].output);
		}
	}
	str_free(&out);
}

static void test_partial_reset_and_helpers(void **state)
{
	struct imap_parser_settings set = {0};
	struct imap_parser *parser = imap_parser_create(&set);
	struct imap_parser_event ev;
	const struct imap_arg *list;
	unsigned int count;
	const char *str;
	size_t used;
	const char *in = "a X atom \"q\" {1+}\r\nl NIL (x)\r\n";

	assert_false(imap_parser_has_partial(parser));
	assert_int_equal(imap_parser_feed(parser, "a NO", 4, &used, &ev),
			 IMAP_PARSE_MORE);
	assert_true(imap_parser_has_partial(parser));
	imap_parser_reset(parser);
	assert_false(imap_parser_has_partial(parser));

	assert_int_equal(imap_parser_feed(parser, in, strlen(in), &used, &ev),
			 IMAP_PARSE_COMMAND);
	assert_int_equal(used, strlen(in));
	assert_int_equal(ev.args_count, 5);
	assert_true(imap_arg_get_atom(&ev.args[0], &str));
	assert_string_equal(str, "atom");
	assert_true(imap_arg_atom_equals(&ev.args[0], "ATOM"));
	assert_false(imap_arg_get_string(&ev.args[0], &str));
	assert_true(imap_arg_get_astring(&ev.args[0], &str));
	assert_true(imap_arg_get_string(&ev.args[1], &str));
	assert_string_equal(str, "q");
	assert_false(imap_arg_get_atom(&ev.args[1], &str));
	assert_true(imap_arg_get_astring(&ev.args[2], &str));
	assert_string_equal(str, "l");
	assert_true(imap_arg_get_nstring(&ev.args[3], &str));
	assert_null(str);
	assert_true(imap_arg_get_astring(&ev.args[3], &str));
	assert_string_equal(str, "NIL");
	assert_false(imap_arg_get_list(&ev.args[3], &list, &count));
	assert_true(imap_arg_get_list(&ev.args[4], &list, &count));
	assert_int_equal(count, 1);
	assert_true(imap_arg_atom_equals(&list[0], "x"));
	assert_int_equal(list[1].type, IMAP_ARG_EOL);
	assert_int_equal(ev.args[5].type, IMAP_ARG_EOL);
	imap_parser_destroy(&parser);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_whole),
	    cmocka_unit_test(test_parse_byte_at_a_time),
	    cmocka_unit_test(test_parse_two_pieces),
	    cmocka_unit_test(test_long_line),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_many_literals_prelogin),
	    cmocka_unit_test(test_huge_nonsync_literal_skipped),
	    cmocka_unit_test(test_literal_minus),
	    cmocka_unit_test(test_pipelined),
	    cmocka_unit_test(test_partial_reset_and_helpers),
	    cmocka_unit_test(test_skip_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
