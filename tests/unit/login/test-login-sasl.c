/* test-login-sasl.c - the base64 text check and the NUL-joined
 * credentials that LOGIN, USER/PASS and APOP send to auth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "str.h"
#include "login-sasl.h"

static void test_is_base64_text(void **state ATTR_UNUSED)
{
	static const struct {
		const char *text;
		bool ok;
	} tests[] = {
	    {"", true},	      {"AGFsaWNl", true}, {"a+/=", true},  {"*", false},
	    {"AB CD", false}, {"AB-_", false},	  {"AB\r", false}, {"=", true},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		if (login_sasl_is_base64_text(tests[i].text) != tests[i].ok)
			fail_msg("\"%s\" should be %s", tests[i].text,
				 tests[i].ok ? "base64" : "refused");
	}
}

static void test_fields_base64(void **state ATTR_UNUSED)
{
	const char *plain[] = {"", "alice", "secret"};
	const char *apop[] = {"<1.2@h>", "bob",
			      "00000000000000000000000000000000"};
	const char *one[] = {"x"};
	string_t *b64;

	/* RFC 4616 section 2: NUL authcid NUL passwd */
	b64 = login_sasl_fields_base64(plain, N_ELEMENTS(plain));
	assert_string_equal(str_c(b64), "AGFsaWNlAHNlY3JldA==");
	str_free(&b64);
	b64 = login_sasl_fields_base64(apop, N_ELEMENTS(apop));
	assert_string_equal(str_c(b64), "PDEuMkBoPgBib2IAMDAwMDAwMDAwMDAwMDAw"
					"MDAwMDAwMDAwMDAwMDAwMDA=");
	str_free(&b64);
	b64 = login_sasl_fields_base64(one, N_ELEMENTS(one));
	assert_string_equal(str_c(b64), "eA==");
	str_free(&b64);
	assert_null(b64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_is_base64_text),
	    cmocka_unit_test(test_fields_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
