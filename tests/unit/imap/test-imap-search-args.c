/* test-imap-search-args.c - SEARCH argument parsing: every key of RFC
 * 3501 / RFC 9051 section 6.4.4, RETURN options, CHARSET, sequence sets
 * and "$", MODSEQ, the errors and the limits. Commands go through the
 * real command parser first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "str.h"
#include "imap-parser.h"
#include "imap-search-args.h"

static struct imap_parser *parser;

static int setup(void **state)
{
	struct imap_parser_settings set = {0};

	parser = imap_parser_create(&set);
	return 0;
}

static int teardown(void **state)
{
	imap_parser_destroy(&parser);
	return 0;
}

/* Parses "a SEARCH <line>" and then its arguments. */
static enum imap_search_parse_result parse(pool_t pool, const char *line,
					   struct imap_search_program **prog_r,
					   const char **error_r)
{
	const char *cmd = p_strdup_printf(pool, "a SEARCH %s\r\n", line);
	struct imap_parser_event ev;
	size_t consumed;

	imap_parser_reset(parser);
	enum imap_parse_result ret =
	    imap_parser_feed(parser, cmd, strlen(cmd), &consumed, &ev);
	assert_int_equal(ret, IMAP_PARSE_COMMAND);
	return imap_search_args_parse(pool, ev.args, prog_r, error_r);
}

/* A compact dump of the tree, to compare with expectations. */
static void dump(string_t *dest, const struct mail_search_arg *args)
{
	for (const struct mail_search_arg *arg = args; arg != NULL;
	     arg = arg->next) {
		if (arg != args)
			str_append_c(dest, ' ');
		if (arg->not )
			str_append_c(dest, '!');
		switch (arg->type) {
		case MAIL_SEARCH_ALL:
			str_append(dest, "all");
			break;
		case MAIL_SEARCH_SUB:
		case MAIL_SEARCH_OR:
			str_append(dest,
				   arg->type == MAIL_SEARCH_OR ? "or(" : "(");
			dump(dest, arg->subargs);
			str_append_c(dest, ')');
			break;
		case MAIL_SEARCH_SEQSET:
		case MAIL_SEARCH_UIDSET:
			str_append(dest, arg->type == MAIL_SEARCH_SEQSET
					     ? "seq"
					     : "uid");
			if (arg->searchres)
				str_append(dest, "$");
			for (unsigned int i = 0; i < arg->ranges_count; i++)
				str_printfa(dest, "%c%u:%u", i == 0 ? '=' : ',',
					    arg->ranges[i].seq1,
					    arg->ranges[i].seq2);
			break;
		case MAIL_SEARCH_FLAGS:
			str_printfa(dest, "flags=%u", arg->flags);
			break;
		case MAIL_SEARCH_KEYWORD:
			str_printfa(dest, "kw=%s", arg->keyword);
			break;
		case MAIL_SEARCH_BEFORE:
		case MAIL_SEARCH_ON:
		case MAIL_SEARCH_SINCE:
		case MAIL_SEARCH_SENTBEFORE:
		case MAIL_SEARCH_SENTON:
		case MAIL_SEARCH_SENTSINCE:
			str_printfa(dest, "date%d=%lld", (int)arg->type,
				    (long long)arg->day);
			break;
		case MAIL_SEARCH_SMALLER:
			str_printfa(dest, "smaller=%llu",
				    (unsigned long long)arg->number);
			break;
		case MAIL_SEARCH_LARGER:
			str_printfa(dest, "larger=%llu",
				    (unsigned long long)arg->number);
			break;
		case MAIL_SEARCH_HEADER:
			str_printfa(dest, "hdr[%s]=%s", arg->hdr_name,
				    arg->value);
			break;
		case MAIL_SEARCH_BODY:
			str_printfa(dest, "body=%s", arg->value);
			break;
		case MAIL_SEARCH_TEXT:
			str_printfa(dest, "text=%s", arg->value);
			break;
		case MAIL_SEARCH_MODSEQ:
			str_printfa(dest, "modseq=%llu",
				    (unsigned long long)arg->number);
			break;
		}
	}
}

static void test_keys(void **state)
{
	static const struct {
		const char *in, *out;
	} tests[] = {
	    {"ALL", "all"},
	    {"all", "all"},
	    {"ANSWERED DELETED DRAFT FLAGGED SEEN RECENT",
	     "flags=1 flags=4 flags=16 flags=2 flags=8 flags=32"},
	    {"UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN",
	     "!flags=1 !flags=4 !flags=16 !flags=2 !flags=8"},
	    {"NEW", "(flags=32 !flags=8)"},
	    {"OLD", "!flags=32"},
	    {"NOT NEW", "!(flags=32 !flags=8)"},
	    {"KEYWORD $Junk UNKEYWORD work", "kw=$Junk !kw=work"},
	    {"FROM x TO \"y z\" CC {1+}\r\nc BCC d SUBJECT e",
	     "hdr[FROM]=x hdr[TO]=y z hdr[CC]=c hdr[BCC]=d hdr[SUBJECT]=e"},
	    {"HEADER X-Spam \"\"", "hdr[X-Spam]="},
	    {"BODY hello TEXT \"two words\"", "body=hello text=two words"},
	    {"BEFORE 1-Jan-1970 ON 2-Jan-1970 SINCE \"3-Jan-1970\"",
	     "date7=0 date8=1 date9=2"},
	    {"SENTBEFORE 1-Feb-1970 SENTON 1-Feb-1970 SENTSINCE 1-Feb-1970",
	     "date10=31 date11=31 date12=31"},
	    {"LARGER 100 SMALLER 18446744073709551615",
	     "larger=100 smaller=18446744073709551615"},
	    {"1:3,5 *", "seq=1:3,5:5 seq=0:0"},
	    {"UID 10:* $", "uid=10:0 uid$"},
	    {"UID $", "uid$"},
	    {"OR SEEN FLAGGED", "or(flags=8 flags=2)"},
	    {"OR (SEEN DRAFT) NOT FLAGGED", "or((flags=8 flags=16) !flags=2)"},
	    {"NOT NOT SEEN", "flags=8"},
	    {"(ALL)", "(all)"},
	    {"MODSEQ 5", "modseq=5"},
	    {"MODSEQ \"/flags/\\\\draft\" all 620162338", "modseq=620162338"},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		pool_t pool = pool_create("test", 1024);
		struct imap_search_program *prog;
		const char *error;
		string_t *out = str_new(pool, 64);

		if (parse(pool, tests[i].in, &prog, &error) !=
		    IMAP_SEARCH_PARSE_OK)
			fail_msg("%s: %s", tests[i].in, error);
		dump(out, prog->args);
		assert_string_equal(str_c(out), tests[i].out);
		assert_false(prog->return_given);
		pool_unref(&pool);
	}
}

static void test_program(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct imap_search_program *prog;
	const char *error;

	assert_int_equal(
	    parse(pool, "RETURN (MIN MAX) CHARSET UTF-8 ALL", &prog, &error),
	    IMAP_SEARCH_PARSE_OK);
	assert_true(prog->return_given);
	assert_int_equal(prog->return_options,
			 IMAP_SEARCH_RETURN_MIN | IMAP_SEARCH_RETURN_MAX);
	assert_int_equal(parse(pool, "RETURN () ALL", &prog, &error),
			 IMAP_SEARCH_PARSE_OK);
	assert_int_equal(prog->return_options, IMAP_SEARCH_RETURN_ALL);
	assert_int_equal(
	    parse(pool, "return (count save all) seen", &prog, &error),
	    IMAP_SEARCH_PARSE_OK);
	assert_int_equal(prog->return_options, IMAP_SEARCH_RETURN_COUNT |
						   IMAP_SEARCH_RETURN_SAVE |
						   IMAP_SEARCH_RETURN_ALL);
	assert_int_equal(parse(pool, "CHARSET us-ascii ALL", &prog, &error),
			 IMAP_SEARCH_PARSE_OK);
	assert_false(prog->have_modseq);
	assert_int_equal(parse(pool, "OR MODSEQ 1 $", &prog, &error),
			 IMAP_SEARCH_PARSE_OK);
	assert_true(prog->have_modseq);
	assert_true(prog->have_searchres);
	/* the strings are prepared for matching */
	assert_int_equal(parse(pool, "BODY x", &prog, &error),
			 IMAP_SEARCH_PARSE_OK);
	assert_non_null(prog->args->matcher);
	pool_unref(&pool);
}

static void test_errors(void **state)
{
	static const struct {
		const char *in, *error;
		enum imap_search_parse_result result;
	} tests[] = {
	    {"CHARSET ISO-8859-1 ALL", "Unknown charset",
	     IMAP_SEARCH_PARSE_BADCHARSET},
	    {"CHARSET", "Missing CHARSET parameter", IMAP_SEARCH_PARSE_BAD},
	    {"CHARSET UTF-8", "Missing search parameters",
	     IMAP_SEARCH_PARSE_BAD},
	    {"FOO", "Unknown argument FOO", IMAP_SEARCH_PARSE_BAD},
	    {"SUBJECT",
	     "Missing parameter for search key (for search key: "
	     "SUBJECT)",
	     IMAP_SEARCH_PARSE_BAD},
	    {"HEADER X",
	     "Missing parameter for search key (for search key: "
	     "HEADER)",
	     IMAP_SEARCH_PARSE_BAD},
	    {"BEFORE 1-Foo-2000", "Invalid search date parameter",
	     IMAP_SEARCH_PARSE_BAD},
	    {"SINCE 2000-01-01", "Invalid search date parameter",
	     IMAP_SEARCH_PARSE_BAD},
	    {"LARGER abc", "Invalid search size parameter",
	     IMAP_SEARCH_PARSE_BAD},
	    {"SMALLER -1", "Invalid search size parameter",
	     IMAP_SEARCH_PARSE_BAD},
	    {"LARGER 99999999999999999999", "Invalid search size parameter",
	     IMAP_SEARCH_PARSE_BAD},
	    {"0", "Invalid messageset", IMAP_SEARCH_PARSE_BAD},
	    {"1:", "Invalid messageset", IMAP_SEARCH_PARSE_BAD},
	    {"UID x", "Invalid messageset", IMAP_SEARCH_PARSE_BAD},
	    {"RETURN (FOO) ALL", "Unknown SEARCH return option",
	     IMAP_SEARCH_PARSE_BAD},
	    {"RETURN ALL", "Invalid SEARCH return options",
	     IMAP_SEARCH_PARSE_BAD},
	    {"OR SEEN", "Missing search parameters", IMAP_SEARCH_PARSE_BAD},
	    {"NOT", "Missing search parameters", IMAP_SEARCH_PARSE_BAD},
	    {"()", "Missing search parameters", IMAP_SEARCH_PARSE_BAD},
	    {"MODSEQ x", "Invalid MODSEQ parameter", IMAP_SEARCH_PARSE_BAD},
	    {"MODSEQ 9223372036854775808", "Invalid MODSEQ parameter",
	     IMAP_SEARCH_PARSE_BAD},
	    {"MODSEQ \"/x\" all 5", "Invalid MODSEQ entry",
	     IMAP_SEARCH_PARSE_BAD},
	    {"MODSEQ \"/flags/x\" any 5", "Invalid MODSEQ type",
	     IMAP_SEARCH_PARSE_BAD},
	    {"KEYWORD", "Invalid keyword", IMAP_SEARCH_PARSE_BAD},
	    {"KEYWORD \"a b\"", "Invalid keyword", IMAP_SEARCH_PARSE_BAD},
	    {"\"ALL\"", "Unknown argument", IMAP_SEARCH_PARSE_BAD},
	    {"HEADER \"\" x", "Invalid header name", IMAP_SEARCH_PARSE_BAD},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		pool_t pool = pool_create("test", 1024);
		struct imap_search_program *prog;
		const char *error = NULL;

		enum imap_search_parse_result ret =
		    parse(pool, tests[i].in, &prog, &error);
		if (ret != tests[i].result)
			fail_msg("%s: %d", tests[i].in, ret);
		assert_null(prog);
		assert_string_equal(error, tests[i].error);
		pool_unref(&pool);
	}
}

static void test_limits(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct imap_search_program *prog;
	const char *error;
	string_t *line = str_new(pool, 1024);

	/* NOT chains and nested lists are bounded */
	for (unsigned int i = 0; i < IMAP_SEARCH_MAX_DEPTH - 1; i++)
		str_append(line, "NOT ");
	str_append(line, "ALL");
	assert_int_equal(parse(pool, str_c(line), &prog, &error),
			 IMAP_SEARCH_PARSE_OK);
	str_clear(line);
	for (unsigned int i = 0; i < IMAP_SEARCH_MAX_DEPTH; i++)
		str_append(line, "NOT ");
	str_append(line, "ALL");
	assert_int_equal(parse(pool, str_c(line), &prog, &error),
			 IMAP_SEARCH_PARSE_BAD);
	assert_string_equal(error, "Too deep nesting in search keys");

	str_clear(line);
	for (unsigned int i = 0; i < 40; i++)
		str_append(line, "(");
	str_append(line, "ALL");
	for (unsigned int i = 0; i < 40; i++)
		str_append(line, ")");
	assert_int_equal(parse(pool, str_c(line), &prog, &error),
			 IMAP_SEARCH_PARSE_BAD);

	str_clear(line);
	for (unsigned int i = 0; i < IMAP_SEARCH_MAX_KEYS + 1; i++)
		str_append(line, "SEEN ");
	str_truncate(line, str_len(line) - 1);
	assert_int_equal(parse(pool, str_c(line), &prog, &error),
			 IMAP_SEARCH_PARSE_BAD);
	assert_string_equal(error, "Too many search keys");
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_program),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
