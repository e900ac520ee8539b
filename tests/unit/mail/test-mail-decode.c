/* test-mail-decode.c - base64 and quoted-printable decoding (RFC 2045
 * section 6): table of inputs, each decoded all at once and one byte at a
 * time, which must agree; encoding names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "mail-decode.h"
#include "message-section.h"
#include "pool.h"
#include "str.h"

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
    /* soft line breaks with blanks before the line break (rule 3) */
    {MAIL_CTE_QP, "soft= \t\r\nbreak", "softbreak", 0},
    {MAIL_CTE_QP, "soft=  \nbreak", "softbreak", 0},
    {MAIL_CTE_QP, "not= soft", "not= soft", 0},
    {MAIL_CTE_QP, "not= \rsoft", "not= \rsoft", 0},
    {MAIL_CTE_QP, "end= ", "end=", 0},
    /* a broken escape is kept as it came, case included */
    {MAIL_CTE_QP, "a=zz b", "a=zz b", 0},
    {MAIL_CTE_QP, "a=4g =a", "a=4g =a", 0},
    {MAIL_CTE_QP, "a=4", "a=4", 0},
    {MAIL_CTE_QP, "x=", "x=", 0},
    {MAIL_CTE_QP, "=\n=\r\n", "", 0},
    {MAIL_CTE_BASE64, "aGVs\r\nbG8g\r\nd29y\nbGQ=\r\n", "hello world", 0},
    {MAIL_CTE_BASE64, "aGV!!sbG8", "hello", 0},
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

/* The largest outputs stay within MAIL_DECODE_MAX_OUTPUT: line breaks
 * doubled, and a long run of blanks held after "=" let out at once. */
static void test_max_output(void **state)
{
	unsigned char in[1024], out[MAIL_DECODE_MAX_OUTPUT(1024)];
	struct mail_decoder dec;
	size_t n;

	memset(in, '\n', sizeof(in));
	mail_decoder_init(&dec, MAIL_CTE_QP);
	n = mail_decoder_run(&dec, in, sizeof(in), out);
	assert_int_equal(n, 2 * sizeof(in));
	assert_true(n <= MAIL_DECODE_MAX_OUTPUT(sizeof(in)));

	in[0] = '=';
	memset(in + 1, ' ', MAIL_DECODE_QP_HOLD_MAX);
	mail_decoder_init(&dec, MAIL_CTE_QP);
	n = mail_decoder_run(&dec, in, MAIL_DECODE_QP_HOLD_MAX + 1, out);
	assert_int_equal(n, 0);
	n = mail_decoder_run(&dec, (const unsigned char *)"\r", 1, out);
	assert_int_equal(n, 0);
	n = mail_decoder_run(&dec, (const unsigned char *)"\n", 1, out);
	assert_true(n <= MAIL_DECODE_MAX_OUTPUT(1));
	n = mail_decoder_run(&dec, in, MAIL_DECODE_QP_HOLD_MAX + 1, out);
	n = mail_decoder_run(&dec, (const unsigned char *)"\rx", 2, out);
	assert_true(n <= MAIL_DECODE_MAX_OUTPUT(2));
	assert_int_equal(n, 1 + MAIL_DECODE_QP_HOLD_MAX + 2);
	assert_int_equal(mail_decoder_finish(&dec, out), 0);
	(void)state;
}

/* mail_decoder_run_str() appends, and with last flushes what was held. */
static void test_run_str(void **state)
{
	string_t *dest = str_new(NULL, 4);
	struct mail_decoder dec;

	str_append(dest, ">");
	mail_decoder_init(&dec, MAIL_CTE_QP);
	mail_decoder_run_str(&dec, "caf=C3=A", 8, false, dest);
	assert_string_equal(str_c(dest), ">caf\xc3");
	mail_decoder_run_str(&dec, "9 =", 3, true, dest);
	assert_string_equal(str_c(dest), ">caf\xc3\xa9 =");
	str_free(&dest);
	(void)state;
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

/* BINARY of sections holding more than one body (RFC 3516 section 4.2):
 * the expected bytes are what Debian's Dovecot answers for the same
 * messages. */
struct binary_case {
	const char *input;
	/* "" = the whole message with its header, "TEXT", or part numbers */
	const char *section;
	const char *output;
	size_t output_len; /* 0: strlen(output) */
	bool decodes;
};

#define B64_HELLO "aGVsbG8Ad29ybGQ=\n"
#define NESTED                                                                 \
	"From: a@example.org\nContent-Type: multipart/mixed; boundary=b\n\n"   \
	"--b\nContent-Type: multipart/alternative; boundary=c\n\n--c\n"        \
	"Content-Type: text/plain\nContent-Transfer-Encoding: "                \
	"quoted-printable\n\nA=3DB\n--c\nContent-Type: text/html\n"            \
	"Content-Transfer-Encoding: base64\n\nPHA+aGk8L3A+\n\n--c--\n--b\n"    \
	"Content-Type: text/plain\n\nplain\n--b--\n"
#define NESTED_PART1                                                           \
	"--c\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: "       \
	"binary\r\n\r\nA=B\r\n--c\r\nContent-Type: text/html\r\n"              \
	"Content-Transfer-Encoding: binary\r\n\r\n<p>hi</p>\r\n--c--\r\n"

static const struct binary_case binary_cases[] = {
    {NESTED, "",
     "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n"
     "\r\n--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
     "" NESTED_PART1 "--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
     "--b--\r\n",
     0, true},
    {NESTED, "1", NESTED_PART1, 0, true},
    {NESTED, "TEXT",
     "--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
     "" NESTED_PART1 "--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
     "--b--\r\n",
     0, true},
    {NESTED, "2", "plain", 0, false},
    /* message/rfc822: the message inside with its header rewritten */
    {"Subject: d\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
     "Content-Type: message/rfc822\n\nSubject: inner\n"
     "Content-Transfer-Encoding: base64\n\n" B64_HELLO "--b--\n",
     "1",
     "Subject: inner\r\nContent-Transfer-Encoding: binary\r\n\r\n"
     "hello\0world",
     64, true},
    /* one part: the field is left out wherever it is, the new one ends
     * the header */
    {"From: a@example.org\nContent-Transfer-Encoding: BASE64\nX-Z: 1\n\n"
     "" B64_HELLO,
     "",
     "From: a@example.org\r\nX-Z: 1\r\nContent-Transfer-Encoding: "
     "binary\r\n\r\nhello\0world",
     77, true},
    /* folded, with whitespace before the colon, CRLF; look-alikes kept */
    {"Subject: f\r\nContent-Transfer-Encoding\t :\r\n base64\r\n"
     "Content-Transfer-Encodingx: y\r\nX-Content-Transfer-Encoding: z\r\n"
     "Content-Transfer: w\r\nNo colon\r\n\r\n" B64_HELLO,
     "",
     "Subject: f\r\nContent-Transfer-Encodingx: y\r\n"
     "X-Content-Transfer-Encoding: z\r\nContent-Transfer: w\r\n"
     "No colon\r\nContent-Transfer-Encoding: binary\r\n\r\nhello\0world",
     154, true},
    /* a header without its empty line gets no new field */
    {"From: a@example.org\nContent-Transfer-Encoding: base64", "",
     "From: a@example.org\r\n", 0, false},
    /* nothing to decode: as BODY sends it */
    {"Content-Type: multipart/mixed; boundary=b\n\npre\n--b\n\nx\n--b--\n"
     "epi",
     "",
     "Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\n"
     "\r\nx\r\n--b--\r\nepi",
     0, false},
};

/* Runs the plan's filters over the message, feeding `chunk` bytes at a
 * time (0 = each step at once). */
static size_t binary_run(const char *input, const struct mail_binary_plan *plan,
			 size_t chunk, unsigned char *out)
{
	size_t o = 0;

	for (unsigned int i = 0; i < plan->count; i++) {
		const struct mail_binary_step *step = &plan->steps[i];
		const unsigned char *in =
		    (const unsigned char *)input + step->offset;
		struct mail_binary_filter f;
		size_t size = (size_t)step->size;
		size_t n = chunk == 0 ? size : chunk;

		mail_binary_filter_init(&f, step);
		for (size_t pos = 0; pos < size; pos += n) {
			o += mail_binary_filter_run(
			    &f, in + pos, MIN_OF(n, size - pos), out + o);
		}
		o += mail_binary_filter_finish(&f, out + o);
	}
	return o;
}

static void test_binary(void **state)
{
	static const size_t chunks[] = {0, 1, 5};

	for (unsigned int i = 0; i < N_ELEMENTS(binary_cases); i++) {
		const struct binary_case *c = &binary_cases[i];
		pool_t pool = pool_create("test", 1024);
		struct message_part *root =
		    message_parse(pool, c->input, strlen(c->input));
		size_t want =
		    c->output_len != 0 ? c->output_len : strlen(c->output);
		struct mail_binary_plan plan;
		struct message_section s;
		const struct message_part *part = root;
		const char *error;
		unsigned char out[2048];

		if (c->section[0] != '\0') {
			assert_int_equal(
			    message_section_find(root, c->section, &s, &error),
			    0);
			part = s.part;
		}
		assert_int_equal(
		    mail_binary_plan(pool, part, c->section[0] == '\0', &plan),
		    0);
		assert_int_equal(plan.decodes, c->decodes);
		for (unsigned int j = 0; j < N_ELEMENTS(chunks); j++) {
			size_t n = binary_run(c->input, &plan, chunks[j], out);

			if (n != want || memcmp(out, c->output, n) != 0)
				fail_msg("case %u chunk %zu: got %zu bytes "
					 "'%.*s'",
					 i, chunks[j], n, (int)n,
					 (const char *)out);
		}
		pool_unref(&pool);
	}
}

static void test_binary_unknown_cte(void **state)
{
	const char *msg = "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
			  "Content-Transfer-Encoding: x-uuencode\n\nabc\n"
			  "--b\n\nz\n--b--\n";
	pool_t pool = pool_create("test", 1024);
	struct message_part *root = message_parse(pool, msg, strlen(msg));
	struct mail_binary_plan plan;

	/* RFC 3516 section 4.3: anything containing the part fails */
	assert_int_equal(mail_binary_plan(pool, root, true, &plan), -1);
	assert_int_equal(mail_binary_plan(pool, root, false, &plan), -1);
	assert_int_equal(
	    mail_binary_plan(pool, root->children->next, false, &plan), 0);
	pool_unref(&pool);
}

static void test_binary_long_names(void **state)
{
	/* field names longer than what is held back pass unchanged */
	pool_t pool = pool_create("test", 4096);
	string_t *msg = str_new(pool, 1024), *want = str_new(pool, 1024);
	struct mail_binary_step step;
	struct mail_binary_filter f;
	unsigned char out[MAIL_BINARY_MAX_OUTPUT(1024)];
	size_t n;

	str_append(msg, "Content-Transfer-Encoding");
	for (unsigned int i = 0; i < 100; i++)
		str_append_c(msg, ' ');
	str_append(msg, ": base64\nContent-Transfer-Encoding-Is-Long");
	for (unsigned int i = 0; i < 100; i++)
		str_append_c(msg, 'x');
	str_append(msg, ": 1\n\n");
	memset(&step, 0, sizeof(step));
	step.kind = MAIL_BINARY_STEP_HEADER;
	step.size = str_len(msg);
	mail_binary_filter_init(&f, &step);
	n = mail_binary_filter_run(&f, str_data(msg), str_len(msg), out);
	n += mail_binary_filter_finish(&f, out + n);
	for (size_t i = 0; i + 1 < str_len(msg); i++) {
		if (str_data(msg)[i] == '\n')
			str_append(want, "\r\n");
		else
			str_append_c(want, (char)str_data(msg)[i]);
	}
	str_append(want, "Content-Transfer-Encoding: binary\r\n\r\n");
	assert_int_equal(n, str_len(want));
	assert_memory_equal(out, str_data(want), n);
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_max_output),
	    cmocka_unit_test(test_run_str),
	    cmocka_unit_test(test_long_whitespace),
	    cmocka_unit_test(test_cte_names),
	    cmocka_unit_test(test_binary),
	    cmocka_unit_test(test_binary_unknown_cte),
	    cmocka_unit_test(test_binary_long_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
