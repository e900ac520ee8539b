/* test-pop3-parser.c - the POP3 command line parser, fed all at once, one
 * byte at a time and in every two-piece split; and the number parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "pop3-parser.h"

/* Input and the expected events: "NAME|ARGS" per command and "!" per
 * too-long error, joined with '\n'. */
struct parse_case {
	const char *input;
	size_t max_line;
	const char *expected;
	size_t input_len; /* 0 = strlen(input); set when input has NULs */
};

static const struct parse_case parse_cases[] = {
    {"STAT\r\n", 0, "STAT|"},
    {"stat\n", 0, "STAT|"},
    {"Retr 1\r\n", 0, "RETR|1"},
    {"TOP   2  10\r\n", 0, "TOP|2  10"},
    {"\r\n", 0, "|"},
    {"\n\n", 0, "|\n|"},
    {"LIST\r\nUIDL 3\r\nQUIT\r\n", 0, "LIST|\nUIDL|3\nQUIT|"},
    {"NOOP", 0, ""}, /* incomplete */
    {"noop x\r\r\n", 0, "NOOP|x\r"},
    {"a\0b c\r\n", 0, "A|", 7},
    {"uidl 1\0 2\n", 0, "UIDL|1", 10},
    {"dele \xff\r\n", 0, "DELE|\xff"},
    /* limits: exactly max fits, with or without CR */
    {"ABCD\r\n", 4, "ABCD|"},
    {"ABCD\n", 4, "ABCD|"},
    {"ABCDE\r\nSTAT\r\n", 4, "!\nSTAT|"},
    {"ABCD\rX\r\nNOOP\n", 4, "!\nNOOP|"},
    {"ABCDEFGHIJKLMNOP\nRSET\n", 4, "!\nRSET|"},
    {"ABCDEFGH", 4, "!"},
};

static size_t case_len(const struct parse_case *tc)
{
	return tc->input_len != 0 ? tc->input_len : strlen(tc->input);
}

static void run_case(const struct parse_case *tc, const size_t *cuts,
		     unsigned int cut_count)
{
	pool_t pool = pool_create("test", 1024);
	struct pop3_parser *parser = pop3_parser_create(pool, tc->max_line);
	string_t *got = str_new(pool, 128);
	size_t input_len = case_len(tc);
	size_t pos = 0;

	for (unsigned int c = 0; c <= cut_count; c++) {
		size_t end = c < cut_count ? cuts[c] : input_len;

		while (pos < end) {
			struct pop3_command cmd;
			const char *error;
			size_t used;
			int ret =
			    pop3_parser_feed(parser, tc->input + pos, end - pos,
					     &used, &cmd, &error);

			assert_true(used > 0 && used <= end - pos);
			pos += used;
			if (ret == 1) {
				if (str_len(got) > 0)
					str_append_c(got, '\n');
				str_printfa(got, "%s|%s", cmd.name, cmd.args);
			} else if (ret == -1) {
				assert_string_equal(error,
						    "Input line too long.");
				if (str_len(got) > 0)
					str_append_c(got, '\n');
				str_append_c(got, '!');
			} else {
				assert_int_equal(ret, 0);
				assert_int_equal(pos, end);
			}
		}
	}
	assert_string_equal(str_c(got), tc->expected);
	pool_unref(&pool);
}

static void test_parse_whole(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(parse_cases); i++)
		run_case(&parse_cases[i], NULL, 0);
}

static void test_parse_byte_at_a_time(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(parse_cases); i++) {
		size_t cuts[64], len = case_len(&parse_cases[i]);
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

static void test_parse_partial_and_reset(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct pop3_parser *parser = pop3_parser_create(pool, 8);
	struct pop3_command cmd;
	const char *error;
	size_t used;

	assert_false(pop3_parser_has_partial(parser));
	assert_int_equal(pop3_parser_feed(parser, "RE", 2, &used, &cmd, &error),
			 0);
	assert_true(pop3_parser_has_partial(parser));
	pop3_parser_reset(parser);
	assert_false(pop3_parser_has_partial(parser));
	assert_int_equal(
	    pop3_parser_feed(parser, "TR 1\n", 5, &used, &cmd, &error), 1);
	assert_string_equal(cmd.name, "TR");
	assert_string_equal(cmd.args, "1");
	/* overlong: skipping state counts as partial */
	assert_int_equal(
	    pop3_parser_feed(parser, "123456789", 9, &used, &cmd, &error), -1);
	assert_int_equal(used, 9);
	assert_true(pop3_parser_has_partial(parser));
	pool_unref(&pool);
}

struct number_case {
	const char *args;
	bool then_space;
	uint64_t max;
	enum pop3_number_result result;
	uint64_t num;
	const char *rest;
};

static const struct number_case number_cases[] = {
    {"1", false, UINT_MAX, POP3_NUMBER_OK, 1, ""},
    {"0", false, UINT_MAX, POP3_NUMBER_OK, 0, ""},
    {"007", false, UINT_MAX, POP3_NUMBER_OK, 7, ""},
    {"", false, UINT_MAX, POP3_NUMBER_INVALID, 0, ""},
    {"x", false, UINT_MAX, POP3_NUMBER_INVALID, 0, "x"},
    {"-1", false, UINT_MAX, POP3_NUMBER_INVALID, 0, "-1"},
    {" 1", false, UINT_MAX, POP3_NUMBER_INVALID, 0, " 1"},
    {"4294967295", false, UINT_MAX, POP3_NUMBER_OK, 4294967295u, ""},
    {"4294967296", false, UINT_MAX, POP3_NUMBER_TOO_LARGE, 0, "4294967296"},
    {"99999999999999999999999", false, UINT64_MAX, POP3_NUMBER_TOO_LARGE, 0,
     "99999999999999999999999"},
    {"18446744073709551615", false, UINT64_MAX, POP3_NUMBER_OK, UINT64_MAX, ""},
    {"1x", false, UINT_MAX, POP3_NUMBER_NOISE, 0, "x"},
    {"1 2", false, UINT_MAX, POP3_NUMBER_NOISE, 0, " 2"},
    {"1 2", true, UINT_MAX, POP3_NUMBER_OK, 1, "2"},
    {"1   2", true, UINT_MAX, POP3_NUMBER_OK, 1, "2"},
    {"1", true, UINT_MAX, POP3_NUMBER_NOISE, 0, ""},
    {"1x 2", true, UINT_MAX, POP3_NUMBER_NOISE, 0, "x 2"},
    {"5", false, 3, POP3_NUMBER_TOO_LARGE, 0, "5"},
    {"3", false, 3, POP3_NUMBER_OK, 3, ""},
};

static void test_parse_number(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(number_cases); i++) {
		const struct number_case *tc = &number_cases[i];
		uint64_t num = 12345;
		const char *rest;

		assert_int_equal(pop3_parse_number(tc->args, tc->then_space,
						   tc->max, &num, &rest),
				 tc->result);
		assert_string_equal(rest, tc->rest);
		if (tc->result == POP3_NUMBER_OK)
			assert_true(num == tc->num);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_whole),
	    cmocka_unit_test(test_parse_byte_at_a_time),
	    cmocka_unit_test(test_parse_two_pieces),
	    cmocka_unit_test(test_parse_partial_and_reset),
	    cmocka_unit_test(test_parse_number),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
