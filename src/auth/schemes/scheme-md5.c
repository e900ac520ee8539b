/* scheme-md5.c - unsalted MD5 digests: PLAIN-MD5 (hex by default) and
 * LDAP-MD5 (base64 by default). Both store the 16-byte MD5 of the
 * password. MD5-CRYPT lives in scheme-crypt.c. */
#include "lib.h"
#include "str.h"
#include "password-scheme.h"

#include <openssl/evp.h>

#define MD5_SIZE 16

static int md5_verify(const char *plaintext, const unsigned char *raw,
		      size_t raw_size, const char **error_r)
{
	unsigned char digest[MD5_SIZE];
	unsigned int len = 0;

	if (raw_size != MD5_SIZE) {
		*error_r = "Password has an invalid length";
		return -1;
	}
	if (EVP_Digest(plaintext, strlen(plaintext), digest, &len, EVP_md5(),
		       NULL) != 1 ||
	    len != MD5_SIZE) {
		*error_r = "MD5 digest failed";
		return -1;
	}
	return mem_equals_timing_safe(digest, raw, MD5_SIZE) ? 1 : 0;
}

static int md5_generate(const char *plaintext, unsigned int rounds,
			string_t *dest, const char **error_r)
{
	unsigned char digest[MD5_SIZE];
	unsigned int len = 0;

	if (EVP_Digest(plaintext, strlen(plaintext), digest, &len, EVP_md5(),
		       NULL) != 1) {
		*error_r = "MD5 digest failed";
		return -1;
	}
	str_append_n(dest, digest, len);
	return 0;
}

const struct password_scheme password_scheme_plain_md5 = {
    .name = "PLAIN-MD5",
    .default_encoding = PASSWORD_ENCODING_HEX,
    .raw_size = MD5_SIZE,
    .verify = md5_verify,
    .generate = md5_generate,
};

const struct password_scheme password_scheme_ldap_md5 = {
    .name = "LDAP-MD5",
    .default_encoding = PASSWORD_ENCODING_BASE64,
    .raw_size = MD5_SIZE,
    .verify = md5_verify,
    .generate = md5_generate,
};
