/* scheme-plain.c - plaintext password schemes: PLAIN, CLEARTEXT, CLEAR.
 * The stored value is the password itself; comparison is constant-time
 * over the stored length. */
#include "lib.h"
#include "str.h"
#include "password-scheme.h"

static int plain_verify(const char *plaintext, const unsigned char *raw,
			size_t raw_size, const char **error_r)
{
	size_t len = strlen(plaintext);
	bool equal;

	/* Compare over the stored length so that the time does not depend
	 * on where the first difference is. */
	if (len != raw_size) {
		(void)mem_equals_timing_safe(raw, raw, raw_size);
		return 0;
	}
	equal = mem_equals_timing_safe(plaintext, raw, raw_size);
	return equal ? 1 : 0;
}

static int plain_generate(const char *plaintext, unsigned int rounds,
			  string_t *dest, const char **error_r)
{
	str_append(dest, plaintext);
	return 0;
}

const struct password_scheme password_scheme_plain = {
    .name = "PLAIN",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .verify = plain_verify,
    .generate = plain_generate,
};

const struct password_scheme password_scheme_cleartext = {
    .name = "CLEARTEXT",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .verify = plain_verify,
    .generate = plain_generate,
};

const struct password_scheme password_scheme_clear = {
    .name = "CLEAR",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .verify = plain_verify,
    .generate = plain_generate,
};
