/* test-imap-quote.c - atom, quoted string or literal, chosen correctly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "str.h"
#include "imap-quote.h"

struct quote_case {
	const char *input;
	enum imap_quote_flags flags;
	const char *astring, *string;
};

static const struct quote_case cases[] = {
    {"INBOX", 0, "INBOX", "\"INBOX\""},
    {"", 0, "\"\"", "\"\""},
    {"NIL", 0, "\"NIL\"", "\"NIL\""},
    {"nil", 0, "\"nil\"", "\"nil\""},
    {"a b", 0, "\"a b\"", "\"a b\""},
    {"[Gmail]/Sent", 0, "[Gmail]/Sent", "\"[Gmail]/Sent\""},
    {"a\"b\\c", 0, "\"a\\\"b\\\\c\"", "\"a\\\"b\\\\c\""},
    {"x*", 0, "\"x*\"", "\"x*\""},
    {"50%", 0, "\"50%\"", "\"50%\""},
    {"(a)", 0, "\"(a)\"", "\"(a)\""},
    {"{5}", 0, "\"{5}\"", "\"{5}\""},
    {"line\r\nnext", 0, "{10}\r\nline\r\nnext", "{10}\r\nline\r\nnext"},
    {"\xc3\xa4", 0, "{2}\r\n\xc3\xa4", "{2}\r\n\xc3\xa4"},
    {"\xc3\xa4", IMAP_QUOTE_UTF8, "\"\xc3\xa4\"", "\"\xc3\xa4\""},
    {"\xff", IMAP_QUOTE_UTF8, "{1}\r\n\xff", "{1}\r\n\xff"},
};

static void test_quote_cases(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		const struct quote_case *tc = &cases[i];
		string_t *out = str_new(NULL, 64);

		imap_append_astring(out, tc->input, tc->flags);
		assert_string_equal(str_c(out), tc->astring);
		str_clear(out);
		imap_append_string(out, tc->input, tc->flags);
		assert_string_equal(str_c(out), tc->string);
		str_clear(out);
		imap_append_nstring(out, tc->input, tc->flags);
		assert_string_equal(str_c(out), tc->string);
		str_free(&out);
	}
}

static void test_quote_nil_and_binary(void **state)
{
	string_t *out = str_new(NULL, 64);

	imap_append_nstring(out, NULL, 0);
	assert_string_equal(str_c(out), "NIL");
	str_clear(out);
	imap_append_string_n(out, "a\0b", 3, 0);
	assert_int_equal(str_len(out), 8);
	assert_memory_equal(str_data(out), "{3}\r\na\0b", 8);
	str_clear(out);
	imap_append_literal8(out, "a\0b", 3);
	assert_memory_equal(str_data(out), "~{3}\r\na\0b", 9);
	str_clear(out);
	imap_append_literal(out, "", 0);
	assert_string_equal(str_c(out), "{0}\r\n");
	assert_true(imap_is_astring_atom("a]b"));
	assert_false(imap_is_astring_atom("a b"));
	str_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quote_cases),
	    cmocka_unit_test(test_quote_nil_and_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
