/* test-base64.c - RFC 4648 test vectors, strict decoding errors, hex. */
#include "lib.h"
#include "base64.h"

#include <ctype.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

static const struct {
	const char *plain, *b64;
} vectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
    {"\0user\0pass", "AHVzZXIAcGFzcw=="},
};

static void test_vectors(void **state)
{
	pool_t pool = pool_create("b64", 256);

	for (unsigned int i = 0; i < N_ELEMENTS(vectors); i++) {
		size_t plen = i == N_ELEMENTS(vectors) - 1
				  ? 10
				  : strlen(vectors[i].plain);
		string_t *enc = str_new(pool, 8), *dec = str_new(pool, 8);

		base64_encode(vectors[i].plain, plen, enc);
		assert_string_equal(str_c(enc), vectors[i].b64);
		assert_int_equal(str_len(enc), BASE64_ENCODED_SIZE(plen));
		assert_int_equal(
		    base64_decode(vectors[i].b64, strlen(vectors[i].b64), dec),
		    0);
		assert_int_equal(str_len(dec), plen);
		assert_memory_equal(str_data(dec), vectors[i].plain, plen);
	}
	pool_unref(&pool);
}

static void test_invalid(void **state)
{
	static const char *const bad[] = {
	    "Zg=",	"Zg",	 "Z===",   "====",
	    "Zg==Zg==", "Zm 9v", "Zm9v\n", "Zh==", /* non-zero trailing bits */
	    "Zm9=",	"Z*9v",	 "=m9v",   "Zm=v",
	};
	string_t *dec = str_new(NULL, 8);

	for (unsigned int i = 0; i < N_ELEMENTS(bad); i++) {
		str_clear(dec);
		assert_int_equal(base64_decode(bad[i], strlen(bad[i]), dec),
				 -1);
	}
	str_free(&dec);
}

/* The shared value table: the 64 characters in order, nothing else. */
static void test_values(void **state)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char hex[] = "0123456789abcdef";

	for (unsigned int c = 0; c < 256; c++) {
		const char *p = c == 0 ? NULL : strchr(alphabet, (int)c);
		int want = p == NULL ? -1 : (int)(p - alphabet);

		assert_int_equal(base64_char_value((unsigned char)c), want);
	}
	for (unsigned int c = 0; c < 256; c++) {
		const char *p = c == 0 ? NULL : strchr(hex, tolower((int)c));
		int want = p == NULL ? -1 : (int)(p - hex);

		assert_int_equal(hex_digit_value((unsigned char)c), want);
	}
}

static void test_hex(void **state)
{
	string_t *str = str_new(NULL, 8);

	binary_to_hex_append(str, "\x00\x01\xfe\xff", 4);
	assert_string_equal(str_c(str), "0001feff");
	str_clear(str);
	assert_int_equal(hex_to_binary("0001FeFf", str), 0);
	assert_memory_equal(str_data(str), "\x00\x01\xfe\xff", 4);
	assert_int_equal(hex_to_binary("0g", str), -1);
	assert_int_equal(hex_to_binary("abc", str), -1);
	str_free(&str);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
