/* test-imap-list.c - LIST patterns ("*", "%", INBOX in any case, the
 * reference), LIST-EXTENDED and LSUB argument parsing, STATUS item lists
 * and the STATUS response, and a pathological pattern staying cheap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "imap-parser.h"
#include "imap-list.h"
#include "imap-status.h"

struct match_case {
	const char *pattern;
	const char *name;
	bool match;
};

static const struct match_case match_cases[] = {
    {"*", "INBOX", true},
    {"*", "a/b/c", true},
    {"%", "a", true},
    {"%", "a/b", false},
    {"a/%", "a/b", true},
    {"a/%", "a/b/c", false},
    {"a/*", "a/b/c", true},
    {"a*", "a", true},
    {"a*", "ab/c", true},
    {"a%", "ab/c", false},
    {"%/%", "a/b", true},
    {"%/%", "a", false},
    {"*/c", "a/b/c", true},
    {"%/c", "a/b/c", false},
    {"inbox", "INBOX", true},
    {"InBoX/%", "INBOX/sub", true},
    {"inbox", "inbox2", false},
    {"Inbox*", "INBOXES", false},
    {"inbox*", "INBOX/x", true},
    {"foo", "FOO", false},
    {"", "", true},
    {"", "a", false},
    {"a", "", false},
    {"%*%", "x/y", true},
    {"*%", "x/y", true},
    {"%%", "x/y", false},
    {"Foo&AOQ-", "Foo&AOQ-", true},
    {"F%-", "Foo&AOQ-", true},
    {"a.b", "a.b", true},
    {"a?b", "axb", false},
};

static void test_match(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(match_cases); i++) {
		pool_t pool = pool_create("test", 256);
		const struct match_case *tc = &match_cases[i];
		struct imap_match *m = imap_match_init(pool, tc->pattern, '/');

		if (imap_match(m, tc->name) != tc->match) {
			fail_msg("pattern '%s' name '%s': expected %s",
				 tc->pattern, tc->name,
				 tc->match ? "match" : "no match");
		}
		pool_unref(&pool);
	}
}

static void test_match_separator_dot(void **state)
{
	pool_t pool = pool_create("test", 256);
	struct imap_match *m = imap_match_init(pool, "INBOX.%", '.');

	(void)state;
	assert_true(imap_match(m, "INBOX.Sent"));
	assert_false(imap_match(m, "INBOX.Sent.x"));
	m = imap_match_init(pool, "a/%", '.');
	assert_true(imap_match(m, "a/b/c"));
	pool_unref(&pool);
}

static void test_match_pathological(void **state)
{
	pool_t pool = pool_create("test", 256);
	string_t *pat = str_new(pool, 70000), *name = str_new(pool, 300);
	struct imap_match *m;

	(void)state;
	/* exponential for a backtracking matcher; cheap here */
	for (unsigned int i = 0; i < 200; i++)
		str_append(pat, "a%*");
	str_append(pat, "b");
	for (unsigned int i = 0; i < 250; i++)
		str_append_c(name, 'a');
	m = imap_match_init(pool, str_c(pat), '/');
	assert_false(imap_match(m, str_c(name)));
	str_truncate(name, 200);
	str_append_c(name, 'b');
	assert_true(imap_match(m, str_c(name)));
	/* many literals: refused without work */
	str_clear(pat);
	for (unsigned int i = 0; i < 60000; i++)
		str_append_c(pat, 'x');
	m = imap_match_init(pool, str_c(pat), '/');
	assert_false(imap_match(m, "xxx"));
	pool_unref(&pool);
}

static void test_join_ref(void **state)
{
	pool_t pool = pool_create("test", 256);

	(void)state;
	assert_string_equal(imap_list_join_ref(pool, "", "%", '/'), "%");
	assert_string_equal(imap_list_join_ref(pool, "a/", "%", '/'), "a/%");
	assert_string_equal(imap_list_join_ref(pool, "a", "%", '/'), "a%");
	assert_string_equal(imap_list_join_ref(pool, "a/", "/b", '/'), "a/b");
	pool_unref(&pool);
}

/* Parses "t LIST <args>" and returns the arguments. */
static const struct imap_arg *parse_line(struct imap_parser *parser,
					 const char *line)
{
	struct imap_parser_event ev;
	size_t consumed;
	enum imap_parse_result ret;

	size_t len = strlen(line);

	for (;;) {
		ret = imap_parser_feed(parser, line, len, &consumed, &ev);
		line += consumed;
		len -= consumed;
		if (ret != IMAP_PARSE_CONTINUE)
			break;
	}
	assert_int_equal(ret, IMAP_PARSE_COMMAND);
	return ev.args;
}

struct args_case {
	const char *line;
	bool lsub;
	const char *error; /* NULL = ok */
	enum imap_list_select select;
	enum imap_list_return ret;
	bool extended;
	unsigned int patterns;
	enum imap_status_items status;
};

static const struct args_case args_cases[] = {
    {"t LIST \"\" *\r\n", false, NULL, 0, 0, false, 1, 0},
    {"t LIST \"\" \"\"\r\n", false, NULL, 0, 0, false, 1, 0},
    {"t LIST {1}\r\nx %\r\n", false, NULL, 0, 0, false, 1, 0},
    {"t LIST (SUBSCRIBED) \"\" *\r\n", false, NULL, IMAP_LIST_SELECT_SUBSCRIBED,
     IMAP_LIST_RETURN_SUBSCRIBED, true, 1, 0},
    {"t LIST (subscribed recursivematch) \"\" %\r\n", false, NULL,
     IMAP_LIST_SELECT_SUBSCRIBED | IMAP_LIST_SELECT_RECURSIVEMATCH,
     IMAP_LIST_RETURN_SUBSCRIBED, true, 1, 0},
    {"t LIST (SPECIAL-USE REMOTE) \"\" *\r\n", false, NULL,
     IMAP_LIST_SELECT_SPECIAL_USE | IMAP_LIST_SELECT_REMOTE,
     IMAP_LIST_RETURN_SPECIAL_USE, true, 1, 0},
    {"t LIST () \"\" *\r\n", false, NULL, 0, 0, true, 1, 0},
    {"t LIST \"\" (a b \"c d\")\r\n", false, NULL, 0, 0, true, 3, 0},
    {"t LIST \"\" * RETURN (CHILDREN SUBSCRIBED SPECIAL-USE)\r\n", false, NULL,
     0,
     IMAP_LIST_RETURN_CHILDREN | IMAP_LIST_RETURN_SUBSCRIBED |
	 IMAP_LIST_RETURN_SPECIAL_USE,
     true, 1, 0},
    {"t LIST \"\" * RETURN (STATUS (MESSAGES SIZE))\r\n", false, NULL, 0,
     IMAP_LIST_RETURN_STATUS, true, 1, IMAP_STATUS_MESSAGES | IMAP_STATUS_SIZE},
    {"t LIST \"\" * RETURN ()\r\n", false, NULL, 0, 0, true, 1, 0},
    {"t LIST (RECURSIVEMATCH) \"\" *\r\n", false,
     "RECURSIVEMATCH must not be the only selection", 0, 0, false, 0, 0},
    {"t LIST (RECURSIVEMATCH REMOTE) \"\" *\r\n", false,
     "RECURSIVEMATCH must not be the only selection", 0, 0, false, 0, 0},
    {"t LIST (FOO) \"\" *\r\n", false, "Unknown select options", 0, 0, false, 0,
     0},
    {"t LIST \"\" * RETURN (FOO)\r\n", false, "Unknown return options", 0, 0,
     false, 0, 0},
    {"t LIST \"\" * RETURN (STATUS)\r\n", false,
     "STATUS option has no arguments", 0, 0, false, 0, 0},
    {"t LIST \"\" * RETURN (STATUS (FOO))\r\n", false,
     "Invalid status item FOO", 0, 0, false, 0, 0},
    {"t LIST \"\" * RETURN\r\n", false, "Invalid return options", 0, 0, false,
     0, 0},
    {"t LIST \"\" * extra\r\n", false, "Invalid arguments.", 0, 0, false, 0, 0},
    {"t LIST \"\"\r\n", false, "Invalid arguments.", 0, 0, false, 0, 0},
    {"t LIST\r\n", false, "Invalid arguments.", 0, 0, false, 0, 0},
    {"t LIST \"\" ()\r\n", false, "Invalid pattern list", 0, 0, false, 0, 0},
    {"t LIST \"\" ((a))\r\n", false, "Invalid pattern list", 0, 0, false, 0, 0},
    {"t LSUB \"\" *\r\n", true, NULL, 0, 0, false, 1, 0},
    {"t LSUB (SUBSCRIBED) \"\" *\r\n", true, "Invalid arguments.", 0, 0, false,
     0, 0},
    {"t LSUB \"\" * RETURN (CHILDREN)\r\n", true, "Invalid arguments.", 0, 0,
     false, 0, 0},
};

static void test_parse_args(void **state)
{
	struct imap_parser_settings set = {0};

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(args_cases); i++) {
		const struct args_case *tc = &args_cases[i];
		struct imap_parser *parser = imap_parser_create(&set);
		pool_t pool = pool_create("test", 256);
		struct imap_list_request req;
		const char *error = NULL;
		int ret;

		ret = imap_list_parse_args(pool, parse_line(parser, tc->line),
					   tc->lsub, &req, &error);
		if (tc->error != NULL) {
			if (ret != -1)
				fail_msg("%s: expected an error", tc->line);
			assert_string_equal(error, tc->error);
		} else {
			if (ret != 0)
				fail_msg("%s: %s", tc->line, error);
			assert_int_equal(req.select, tc->select);
			assert_int_equal(req.ret, tc->ret);
			assert_int_equal(req.extended, tc->extended);
			assert_int_equal(req.pattern_count, tc->patterns);
			assert_int_equal(req.status_items, tc->status);
		}
		pool_unref(&pool);
		imap_parser_destroy(&parser);
	}
}

static void test_status_items(void **state)
{
	struct imap_parser_settings set = {0};
	struct imap_parser *parser = imap_parser_create(&set);
	const struct imap_arg *args, *list;
	unsigned int count;
	enum imap_status_items items;
	const char *error;
	struct imap_status_values v = {
	    .messages = 6,
	    .recent = 1,
	    .uidnext = 7,
	    .uidvalidity = 1700000000,
	    .unseen = 3,
	    .deleted = 2,
	    .size = 5000000000ULL,
	    .highestmodseq = 42,
	};
	string_t *str = str_new(NULL, 128);

	(void)state;
	args = parse_line(parser, "t STATUS x (size Messages DELETED "
				  "HIGHESTMODSEQ UIDVALIDITY UNSEEN RECENT "
				  "UIDNEXT)\r\n");
	assert_true(imap_arg_get_list(&args[1], &list, &count));
	assert_int_equal(imap_status_parse_items(list, count, &items, &error),
			 0);
	imap_status_append_values(str, items, &v);
	assert_string_equal(str_c(str),
			    "(MESSAGES 6 RECENT 1 UIDNEXT 7 UIDVALIDITY "
			    "1700000000 UNSEEN 3 HIGHESTMODSEQ 42 SIZE "
			    "5000000000 DELETED 2)");
	str_clear(str);
	imap_status_append_values(str, IMAP_STATUS_UNSEEN, &v);
	assert_string_equal(str_c(str), "(UNSEEN 3)");

	args = parse_line(parser, "t STATUS x ()\r\n");
	assert_true(imap_arg_get_list(&args[1], &list, &count));
	assert_int_equal(imap_status_parse_items(list, count, &items, &error),
			 -1);
	assert_string_equal(error, "Empty status list");
	args = parse_line(parser, "t STATUS x (MESSAGES foo)\r\n");
	assert_true(imap_arg_get_list(&args[1], &list, &count));
	assert_int_equal(imap_status_parse_items(list, count, &items, &error),
			 -1);
	assert_string_equal(error, "Invalid status item FOO");
	args = parse_line(parser, "t STATUS x (MESSAGES (x))\r\n");
	assert_true(imap_arg_get_list(&args[1], &list, &count));
	assert_int_equal(imap_status_parse_items(list, count, &items, &error),
			 -1);
	str_free(&str);
	imap_parser_destroy(&parser);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_match_separator_dot),
	    cmocka_unit_test(test_match_pathological),
	    cmocka_unit_test(test_join_ref),
	    cmocka_unit_test(test_parse_args),
	    cmocka_unit_test(test_status_items),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
