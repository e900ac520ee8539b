/* Unit tests for RFC 5322 address list parsing, checked through the IMAP
 * ENVELOPE address list form (as Dovecot writes it). */
#include "lib.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "imap-envelope.h"
#include "message-address.h"
#include "pool.h"
#include "str.h"

static const struct {
	const char *input, *output;
} cases[] = {
    {"", "NIL"},
    {"  (only a comment) ", "NIL"},
    {"a@b.c", "((NIL NIL \"a\" \"b.c\"))"},
    {"Name <a@b.c>", "((\"Name\" NIL \"a\" \"b.c\"))"},
    {"\"Last, First\" <a@b.c>", "((\"Last, First\" NIL \"a\" \"b.c\"))"},
    {"<a@b.c>", "((NIL NIL \"a\" \"b.c\"))"},
    {"a@b.c (Comment)", "((\"Comment\" NIL \"a\" \"b.c\"))"},
    {"<@r1,@r2:a@b.c>", "((NIL \"@r1,@r2\" \"a\" \"b.c\"))"},
    {"g: a@b.c, d@e.f;",
     "((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"b.c\")(NIL NIL \"d\" \"e.f\")"
     "(NIL NIL NIL NIL))"},
    {"undisclosed-recipients:;", "((NIL NIL \"undisclosed-recipients\" NIL)"
				 "(NIL NIL NIL NIL))"},
    {"user", "((NIL NIL \"user\" \"MISSING_DOMAIN\"))"},
    {"two words", "((\"two words\" NIL \"MISSING_MAILBOX\" "
		  "\"MISSING_DOMAIN\"))"},
    {"a@b.c, d@e.f", "((NIL NIL \"a\" \"b.c\")(NIL NIL \"d\" \"e.f\"))"},
    {"=?utf-8?q?x?= <a@b.c>", "((\"=?utf-8?q?x?=\" NIL \"a\" \"b.c\"))"},
    {"Name <broken", "((\"Name\" NIL \"broken\" \"SYNTAX_ERROR\"))"},
};

static void test_address_cases(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		pool_t pool = pool_create("test", 1024);
		struct message_address *addr = message_address_parse(
		    pool, cases[i].input, strlen(cases[i].input), UINT_MAX,
		    MESSAGE_ADDRESS_PARSE_FLAG_FILL_MISSING);
		string_t *str = str_new(pool, 128);

		imap_write_address_list(addr, str);
		assert_string_equal(str_c(str), cases[i].output);
		pool_unref(&pool);
	}
}

static void test_address_max(void **state)
{
	pool_t pool = pool_create("test", 1024);
	const char *in = "a@b, c@d, e@f";
	struct message_address *addr =
	    message_address_parse(pool, in, strlen(in), 2, 0);

	assert_non_null(addr);
	assert_non_null(addr->next);
	assert_null(addr->next->next);
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_address_cases),
	    cmocka_unit_test(test_address_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
