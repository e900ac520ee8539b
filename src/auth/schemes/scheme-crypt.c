/* scheme-crypt.c - crypt(3) family through libxcrypt: CRYPT (any crypt
 * string: DES, $1$, $5$, $6$, $2y$, $y$ ...), MD5-CRYPT, SHA256-CRYPT,
 * SHA512-CRYPT and BLF-CRYPT. Verification recomputes the hash with the
 * stored string as setting (crypt_rn, thread-safe) and compares in
 * constant time. These are slow: callers use the worker pool. */
#include "lib.h"
#include "str.h"
#include "password-scheme.h"

#include <crypt.h>

#define BLF_DEFAULT_ROUNDS 5
#define BLF_MIN_ROUNDS 4
#define BLF_MAX_ROUNDS 31
#define SHA_CRYPT_DEFAULT_ROUNDS 5000
#define SHA_CRYPT_MIN_ROUNDS 1000
#define SHA_CRYPT_MAX_ROUNDS 999999999

static int crypt_verify_prefix(const char *prefix, const char *plaintext,
			       const unsigned char *raw, size_t raw_size,
			       const char **error_r)
{
	struct crypt_data *data;
	const char *result;
	int ret;

	if (raw_size == 0 || strlen((const char *)raw) != raw_size) {
		*error_r = "Invalid crypt() string";
		return -1;
	}
	if (prefix != NULL &&
	    strncmp((const char *)raw, prefix, strlen(prefix)) != 0) {
		*error_r = "Hash does not match the scheme";
		return -1;
	}
	data = i_calloc(1, sizeof(*data));
	result = crypt_rn(plaintext, (const char *)raw, data, sizeof(*data));
	if (result == NULL || result[0] == '*') {
		*error_r = "crypt() failed: invalid or unsupported hash";
		ret = -1;
	} else if (strlen(result) != raw_size) {
		ret = 0;
	} else {
		ret = mem_equals_timing_safe(result, raw, raw_size) ? 1 : 0;
	}
	safe_memset0(data, sizeof(*data));
	i_free(data);
	return ret;
}

static int crypt_generate_prefix(const char *prefix, unsigned long count,
				 const char *plaintext, string_t *dest,
				 const char **error_r)
{
	struct crypt_data *data;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *result;
	int ret = 0;

	if (crypt_gensalt_rn(prefix, count, NULL, 0, setting,
			     sizeof(setting)) == NULL) {
		*error_r = "crypt_gensalt() failed";
		return -1;
	}
	data = i_calloc(1, sizeof(*data));
	result = crypt_rn(plaintext, setting, data, sizeof(*data));
	if (result == NULL || result[0] == '*') {
		*error_r = "crypt() failed";
		ret = -1;
	} else {
		str_append(dest, result);
	}
	safe_memset0(data, sizeof(*data));
	i_free(data);
	return ret;
}

static int sha_crypt_rounds(unsigned int rounds, unsigned long *count_r,
			    const char **error_r)
{
	if (rounds == 0) {
		/* libxcrypt's 0 picks its own default; ask for 5000 so that
		 * the hash has no rounds= field, as Dovecot writes it. */
		*count_r = SHA_CRYPT_DEFAULT_ROUNDS;
		return 0;
	}
	if (rounds < SHA_CRYPT_MIN_ROUNDS || rounds > SHA_CRYPT_MAX_ROUNDS) {
		*error_r = "Invalid number of rounds (1000..999999999)";
		return -1;
	}
	*count_r = rounds;
	return 0;
}

static int blf_rounds(unsigned int rounds, unsigned long *count_r,
		      const char **error_r)
{
	if (rounds == 0)
		rounds = BLF_DEFAULT_ROUNDS;
	if (rounds < BLF_MIN_ROUNDS || rounds > BLF_MAX_ROUNDS) {
		*error_r = "Invalid number of rounds (4..31)";
		return -1;
	}
	*count_r = rounds;
	return 0;
}

static int any_crypt_verify(const char *plaintext, const unsigned char *raw,
			    size_t raw_size, const char **error_r)
{
	return crypt_verify_prefix(NULL, plaintext, raw, raw_size, error_r);
}

static int blf_generate(const char *plaintext, unsigned int rounds,
			string_t *dest, const char **error_r)
{
	unsigned long count;

	if (blf_rounds(rounds, &count, error_r) < 0)
		return -1;
	return crypt_generate_prefix("$2y$", count, plaintext, dest, error_r);
}

static int md5_crypt_verify(const char *plaintext, const unsigned char *raw,
			    size_t raw_size, const char **error_r)
{
	return crypt_verify_prefix("$1$", plaintext, raw, raw_size, error_r);
}

static int md5_crypt_generate(const char *plaintext, unsigned int rounds,
			      string_t *dest, const char **error_r)
{
	return crypt_generate_prefix("$1$", 0, plaintext, dest, error_r);
}

static int sha256_crypt_verify(const char *plaintext, const unsigned char *raw,
			       size_t raw_size, const char **error_r)
{
	return crypt_verify_prefix("$5$", plaintext, raw, raw_size, error_r);
}

static int sha256_crypt_generate(const char *plaintext, unsigned int rounds,
				 string_t *dest, const char **error_r)
{
	unsigned long count;

	if (sha_crypt_rounds(rounds, &count, error_r) < 0)
		return -1;
	return crypt_generate_prefix("$5$", count, plaintext, dest, error_r);
}

static int sha512_crypt_verify(const char *plaintext, const unsigned char *raw,
			       size_t raw_size, const char **error_r)
{
	return crypt_verify_prefix("$6$", plaintext, raw, raw_size, error_r);
}

static int sha512_crypt_generate(const char *plaintext, unsigned int rounds,
				 string_t *dest, const char **error_r)
{
	unsigned long count;

	if (sha_crypt_rounds(rounds, &count, error_r) < 0)
		return -1;
	return crypt_generate_prefix("$6$", count, plaintext, dest, error_r);
}

static int blf_crypt_verify(const char *plaintext, const unsigned char *raw,
			    size_t raw_size, const char **error_r)
{
	if (raw_size < 4 || raw[0] != '$' || raw[1] != '2' || raw[3] != '$') {
		*error_r = "Hash does not match the scheme";
		return -1;
	}
	return crypt_verify_prefix(NULL, plaintext, raw, raw_size, error_r);
}

const struct password_scheme password_scheme_crypt = {
    .name = "CRYPT",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .slow = true,
    .verify = any_crypt_verify,
    .generate = blf_generate,
};

const struct password_scheme password_scheme_md5_crypt = {
    .name = "MD5-CRYPT",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .slow = true,
    .verify = md5_crypt_verify,
    .generate = md5_crypt_generate,
};

const struct password_scheme password_scheme_sha256_crypt = {
    .name = "SHA256-CRYPT",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .slow = true,
    .verify = sha256_crypt_verify,
    .generate = sha256_crypt_generate,
};

const struct password_scheme password_scheme_sha512_crypt = {
    .name = "SHA512-CRYPT",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .slow = true,
    .verify = sha512_crypt_verify,
    .generate = sha512_crypt_generate,
};

const struct password_scheme password_scheme_blf_crypt = {
    .name = "BLF-CRYPT",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .slow = true,
    .verify = blf_crypt_verify,
    .generate = blf_generate,
};
