/* test-mail-decode.c - base64 and quoted-printable decoding (RFC 2045
 * section 6): table of inputs, each decoded all at once and one byte at a
 * time, which must agree; encoding names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "mail-decode.h"

struct decode_case {
	enum mail_cte cte;
	const char *input;
	const char *output;
	size_t output_len; /* 0: strlen(output) */
};

static const struct decode_case cases[] = {
    {MAIL_CTE_BASE64, "SGVsbG8=", "Hello", 0},
    {MAIL_CTE_BASE64, "SGVs\r\nbG8h\r\n", "Hello!", 0},
    {MAIL_CTE_BASE64, "SGV sbG\n8gd29y bGQ=\n", "Hello world", 0},
    {MAIL_CTE_BASE64, "AAECAwQ=", "\x00\x01\x02\x03\x04", 5},
    {MAIL_CTE_BASE64, "SGk", "Hi", 0},	      /* no padding */
    {MAIL_CTE_BASE64, "SGk=junk!!", "Hi", 0}, /* stops at '=' */
    {MAIL_CTE_BASE64, "*S*G*k*", "Hi", 0},    /* junk skipped */
    {MAIL_CTE_BASE64, "", "", 0},
    {MAIL_CTE_QP, "caf=C3=A9", "caf\xc3\xa9", 0},
    {MAIL_CTE_QP, "soft=\nbreak\n", "softbreak\r\n", 0},
    {MAIL_CTE_QP, "soft=\r\nbreak\r\n", "softbreak\r\n", 0},
    {MAIL_CTE_QP, "trailing   \nspace\t\r\n", "trailing\r\nspace\r\n", 0},
    {MAIL_CTE_QP, "in  the middle", "in  the middle", 0},
    {MAIL_CTE_QP, "lower =c3=a9", "lower \xc3\xa9", 0},
    {MAIL_CTE_QP, "bad =ZZ =4", "bad =ZZ =4", 0},
    {MAIL_CTE_QP, "end=", "end=", 0},
    {MAIL_CTE_QP, "a=\rb", "a=\rb", 0},
    {MAIL_CTE_QP, "bare\rcr", "bare\rcr", 0},
    {MAIL_CTE_QP, "nul=00x", "nul\0x", 5},
    {MAIL_CTE_IDENTITY, "as\nis", "as\nis", 0},
};

static size_t decode(const struct decode_case *c, bool bytewise,
		     unsigned char *out)
{
	struct mail_decoder dec;
	const unsigned char *in = (const unsigned char *)c->input;
	size_t len = strlen(c->input), o = 0;

	mail_decoder_init(&dec, c->cte);
	if (bytewise) {
		for (size_t i = 0; i < len; i++)
			o += mail_decoder_run(&dec, in + i, 1, out + o);
	} else {
		o = mail_decoder_run(&dec, in, len, out);
	}
	o += mail_decoder_finish(&dec, out + o);
	return o;
}

static void test_decode(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		const struct decode_case *c = &cases[i];
		size_t want =
		    c->output_len != 0 ? c->output_len : strlen(c->output);
		unsigned char out[1024];

		for (int bytewise = 0; bytewise < 2; bytewise++) {
			size_t n = decode(c, bytewise != 0, out);

			if (n != want || memcmp(out, c->output, n) != 0)
				fail_msg("case %u (%s) bytewise=%d: got %zu "
					 "bytes '%.*s'",
					 i, c->input, bytewise, n, (int)n,
					 (const char *)out);
		}
	}
}

static void test_long_whitespace(void **state)
{
	/* more whitespace than is held back: written out, never lost
	 * inside a line */
	char in[1200], out[MAIL_DECODE_MAX_OUTPUT(1200) + 16];
	struct mail_decoder dec;
	size_t n;

	memset(in, ' ', 1000);
	memcpy(in + 1000, "x", 2);
	mail_decoder_init(&dec, MAIL_CTE_QP);
	n = mail_decoder_run(&dec, (const unsigned char *)in, 1001,
			     (unsigned char *)out);
	n += mail_decoder_finish(&dec, (unsigned char *)out + n);
	assert_int_equal(n, 1001);
	assert_int_equal(out[1000], 'x');
}

static void test_cte_names(void **state)
{
	enum mail_cte cte;

	assert_int_equal(mail_cte_parse(NULL, &cte), 0);
	assert_int_equal(cte, MAIL_CTE_IDENTITY);
	assert_int_equal(mail_cte_parse("7BIT", &cte), 0);
	assert_int_equal(mail_cte_parse("8bit", &cte), 0);
	assert_int_equal(mail_cte_parse("Binary", &cte), 0);
	assert_int_equal(cte, MAIL_CTE_IDENTITY);
	assert_int_equal(mail_cte_parse("BASE64", &cte), 0);
	assert_int_equal(cte, MAIL_CTE_BASE64);
	assert_int_equal(mail_cte_parse("Quoted-Printable", &cte), 0);
	assert_int_equal(cte, MAIL_CTE_QP);
	assert_int_equal(mail_cte_parse("x-uuencode", &cte), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_long_whitespace),
	    cmocka_unit_test(test_cte_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
