/* test-pop3-login-parser.c - the pop3-login line parser fed all at once,
 * one byte at a time and in every two-piece split; and the split of a line
 * into command name and arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "pop3-login-parser.h"

/* Events joined with '\n': a line as "L:<text>", an error as "E:<msg>". */
struct parse_case {
	const char *input;
	size_t input_len; /* 0 = strlen */
	size_t max_line;
	const char *expected;
};

#define TL "E:" POP3_LOGIN_ERROR_TOO_LONG
#define NUL "E:" POP3_LOGIN_ERROR_NUL

static const struct parse_case parse_cases[] = {
    {"CAPA\r\n", 0, 0, "L:CAPA"},
    {"capa\n", 0, 0, "L:capa"},
    {"USER bob\r\nPASS a b c\r\n", 0, 0, "L:USER bob\nL:PASS a b c"},
    {"\r\n", 0, 0, "L:"},
    {"\n\n", 0, 0, "L:\nL:"},
    {"QUIT", 0, 0, ""},
    {"A\rB\r\n", 0, 0, "L:A\rB"},
    {"X\r\r\n", 0, 0, "L:X\r"},
    {"AUTH\0PLAIN\r\nCAPA\r\n", 18, 0, NUL "\nL:CAPA"},
    {"\0\n", 2, 0, NUL},
    {"\xff\xfe\r\n", 0, 0, "L:\xff\xfe"},
    /* limits */
    {"ABCD\r\n", 0, 4, "L:ABCD"},
    {"ABCD\n", 0, 4, "L:ABCD"},
    {"ABCDE\r\nCAPA\r\n", 0, 4, TL "\nL:CAPA"},
    {"ABCD\rX\r\nNOOP\n", 0, 4, TL "\nL:NOOP"},
    {"ABCDEFGHIJKLMNOP\nQUIT\n", 0, 4, TL "\nL:QUIT"},
    {"ABCDEFGH", 0, 4, TL},
    {"ABCDEFGH\r\n\r\n", 0, 4, TL "\nL:"},
    {"AB\0DEFGH\nX\n", 11, 4, TL "\nL:X"},
    {"ABC\r\n", 0, 4, "L:ABC"},
};

static void run_case(const struct parse_case *c, const size_t *splits,
		     unsigned int nsplits, unsigned int idx, const char *mode)
{
	pool_t pool = pool_create("test", 1024);
	struct pop3_login_parser parser;
	string_t *events = str_new(pool, 128);
	size_t len = c->input_len != 0 ? c->input_len : strlen(c->input);
	size_t start = 0;

	pop3_login_parser_init(&parser, pool, c->max_line);
	for (unsigned int s = 0; s <= nsplits; s++) {
		size_t end = s < nsplits ? splits[s] : len;
		const unsigned char *data =
		    (const unsigned char *)c->input + start;
		size_t size = end - start;

		while (size > 0) {
			const char *line, *error;
			size_t consumed = 0;
			int ret = pop3_login_parser_feed(
			    &parser, data, size, &consumed, &line, &error);

			assert_true(consumed <= size);
			if (ret == 0) {
				assert_int_equal(consumed, size);
			} else {
				if (str_len(events) > 0)
					str_append_c(events, '\n');
				if (ret > 0)
					str_printfa(events, "L:%s", line);
				else
					str_printfa(events, "E:%s", error);
			}
			data += consumed;
			size -= consumed;
		}
		start = end;
	}
	if (strcmp(str_c(events), c->expected) != 0) {
		fail_msg("case %u (%s): got '%s', expected '%s'", idx, mode,
			 str_c(events), c->expected);
	}
	pool_unref(&pool);
}

static void test_parser(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t len =
		    c->input_len != 0 ? c->input_len : strlen(c->input);
		size_t *bytes = test_malloc(sizeof(size_t) * (len + 1));

		run_case(c, NULL, 0, i, "all at once");
		for (size_t k = 0; k < len; k++)
			bytes[k] = k + 1;
		run_case(c, bytes, len > 0 ? (unsigned int)len - 1 : 0, i,
			 "byte at a time");
		for (size_t k = 1; k < len; k++) {
			size_t split = k;
			run_case(c, &split, 1, i, "two pieces");
		}
		test_free(bytes);
	}
}

static void test_reset(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct pop3_login_parser parser;
	const char *line, *error;
	size_t consumed;

	pop3_login_parser_init(&parser, pool, 4);
	assert_false(pop3_login_parser_has_partial(&parser));
	assert_int_equal(pop3_login_parser_feed(&parser,
						(const unsigned char *)"AB", 2,
						&consumed, &line, &error),
			 0);
	assert_true(pop3_login_parser_has_partial(&parser));
	pop3_login_parser_reset(&parser);
	assert_false(pop3_login_parser_has_partial(&parser));
	assert_int_equal(pop3_login_parser_feed(&parser,
						(const unsigned char *)"CD\n",
						3, &consumed, &line, &error),
			 1);
	assert_string_equal(line, "CD");
	/* skipping state is also reset */
	assert_int_equal(pop3_login_parser_feed(&parser,
						(const unsigned char *)"ABCDEF",
						6, &consumed, &line, &error),
			 -1);
	assert_true(pop3_login_parser_has_partial(&parser));
	pop3_login_parser_reset(&parser);
	assert_int_equal(pop3_login_parser_feed(&parser,
						(const unsigned char *)"Q\n", 2,
						&consumed, &line, &error),
			 1);
	assert_string_equal(line, "Q");
	pool_unref(&pool);
}

struct cmd_case {
	const char *line;
	int ret;
	const char *name, *args;
};

static const struct cmd_case cmd_cases[] = {
    {"CAPA", 0, "CAPA", ""},
    {"capa", 0, "CAPA", ""},
    {"uSeR bob", 0, "USER", "bob"},
    {"PASS  two  spaces ", 0, "PASS", " two  spaces "},
    {"AUTH PLAIN =", 0, "AUTH", "PLAIN ="},
    {"USER ", 0, "USER", ""},
    {"X1 y", 0, "X1", "y"},
    {"", -1, NULL, NULL},
    {" USER bob", -1, NULL, NULL},
    {"US-ER", -1, NULL, NULL},
    {"US\xc3\xa9R x", -1, NULL, NULL},
    {"ABCDEFGHIJKLMNOP", 0, "ABCDEFGHIJKLMNOP", ""},
    {"ABCDEFGHIJKLMNOPQ", -1, NULL, NULL},
    {"\tUSER", -1, NULL, NULL},
};

static void test_command_parse(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(cmd_cases); i++) {
		char buf[64];
		struct pop3_login_command cmd;
		int ret;

		snprintf(buf, sizeof(buf), "%s", cmd_cases[i].line);
		ret = pop3_login_command_parse(buf, &cmd);
		if (ret != cmd_cases[i].ret)
			fail_msg("case %u: ret %d", i, ret);
		if (ret == 0) {
			assert_string_equal(cmd.name, cmd_cases[i].name);
			assert_string_equal(cmd.args, cmd_cases[i].args);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parser),
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_command_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
