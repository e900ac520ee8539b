/* scheme-sha.c - SHA-1/SHA-256/SHA-512 digests, unsalted (SHA, SHA1,
 * SHA256, SHA512) and salted (SSHA, SSHA256, SSHA512: digest of
 * password+salt followed by the salt). Base64 by default. */
#include "lib.h"
#include "str.h"
#include "password-scheme.h"

#include <openssl/evp.h>

#define SSHA_GEN_SALT_SIZE 4
#define SHA_MAX_DIGEST 64

static int digest_compute(const EVP_MD *md, const char *plaintext,
			  const unsigned char *salt, size_t salt_size,
			  unsigned char *out, unsigned int *out_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (ctx == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	     EVP_DigestUpdate(ctx, plaintext, strlen(plaintext)) == 1 &&
	     (salt_size == 0 || EVP_DigestUpdate(ctx, salt, salt_size) == 1) &&
	     EVP_DigestFinal_ex(ctx, out, out_len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int sha_verify_md(const EVP_MD *md, bool salted, const char *plaintext,
			 const unsigned char *raw, size_t raw_size,
			 const char **error_r)
{
	unsigned char digest[SHA_MAX_DIGEST];
	unsigned int len = 0;
	size_t dsize = (size_t)EVP_MD_get_size(md);

	if (salted ? raw_size <= dsize : raw_size != dsize) {
		*error_r = "Password has an invalid length";
		return -1;
	}
	if (digest_compute(md, plaintext, raw + dsize, raw_size - dsize, digest,
			   &len) < 0 ||
	    len != dsize) {
		*error_r = "Digest failed";
		return -1;
	}
	return mem_equals_timing_safe(digest, raw, dsize) ? 1 : 0;
}

static int sha_generate_md(const EVP_MD *md, bool salted, const char *plaintext,
			   string_t *dest, const char **error_r)
{
	unsigned char digest[SHA_MAX_DIGEST], salt[SSHA_GEN_SALT_SIZE];
	unsigned int len = 0;
	size_t salt_size = salted ? sizeof(salt) : 0;

	if (salted)
		password_random_bytes(salt, sizeof(salt));
	if (digest_compute(md, plaintext, salt, salt_size, digest, &len) < 0) {
		*error_r = "Digest failed";
		return -1;
	}
	str_append_n(dest, digest, len);
	str_append_n(dest, salt, salt_size);
	return 0;
}

#define SHA_SCHEME(sym, namestr, mdfn, salted_, rawsize)                       \
	static int sym##_verify(const char *plaintext,                         \
				const unsigned char *raw, size_t raw_size,     \
				const char **error_r)                          \
	{                                                                      \
		return sha_verify_md(mdfn(), salted_, plaintext, raw,          \
				     raw_size, error_r);                       \
	}                                                                      \
	static int sym##_generate(const char *plaintext, unsigned int rounds,  \
				  string_t *dest, const char **error_r)        \
	{                                                                      \
		return sha_generate_md(mdfn(), salted_, plaintext, dest,       \
				       error_r);                               \
	}                                                                      \
	const struct password_scheme password_scheme_##sym = {                 \
	    .name = namestr,                                                   \
	    .default_encoding = PASSWORD_ENCODING_BASE64,                      \
	    .raw_size = rawsize,                                               \
	    .verify = sym##_verify,                                            \
	    .generate = sym##_generate,                                        \
	}

SHA_SCHEME(sha, "SHA", EVP_sha1, false, 20);
SHA_SCHEME(sha1, "SHA1", EVP_sha1, false, 20);
SHA_SCHEME(ssha, "SSHA", EVP_sha1, true, 0);
SHA_SCHEME(sha256, "SHA256", EVP_sha256, false, 32);
SHA_SCHEME(ssha256, "SSHA256", EVP_sha256, true, 0);
SHA_SCHEME(sha512, "SHA512", EVP_sha512, false, 64);
SHA_SCHEME(ssha512, "SSHA512", EVP_sha512, true, 0);
