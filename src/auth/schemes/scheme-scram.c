/* scheme-scram.c - the SCRAM-SHA-1 and SCRAM-SHA-256 password schemes
 * (RFC 5802 section 3, RFC 7677): "iter,salt,StoredKey,ServerKey" in
 * Dovecot's stored format. A passdb storing them serves the SCRAM
 * mechanisms without the plaintext; verifying a plaintext password runs
 * PBKDF2, so the schemes are marked slow. */
#include "lib.h"
#include "str.h"
#include "base64.h"
#include "password-scheme.h"
#include "credentials.h"

#include <openssl/hmac.h>

#define SCRAM_STORED_MAX 512

int scram_hmac(const EVP_MD *md, const unsigned char *key, size_t key_size,
	       const void *data, size_t data_size, unsigned char *out)
{
	unsigned int len = 0;

	if (HMAC(md, key, (int)key_size, data, data_size, out, &len) == NULL ||
	    len != (unsigned int)EVP_MD_get_size(md))
		return -1;
	return 0;
}

int scram_credentials_derive(const EVP_MD *md, const char *password,
			     const unsigned char *salt, size_t salt_size,
			     unsigned int iterations,
			     struct scram_credentials *cred_r)
{
	unsigned char salted[SCRAM_MAX_KEY_SIZE],
	    client_key[SCRAM_MAX_KEY_SIZE];
	size_t key_size = (size_t)EVP_MD_get_size(md);
	unsigned int len = 0;
	int ret = -1;

	i_assert(salt_size <= SCRAM_MAX_SALT_SIZE);
	memset(cred_r, 0, sizeof(*cred_r));
	cred_r->iterations = iterations;
	memcpy(cred_r->salt, salt, salt_size);
	cred_r->salt_size = salt_size;
	cred_r->key_size = key_size;
	/* SaltedPassword := Hi(Normalize(password), salt, i) = PBKDF2 */
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
			      (int)salt_size, (int)iterations, md,
			      (int)key_size, salted) != 1)
		goto out;
	if (scram_hmac(md, salted, key_size, "Client Key", 10, client_key) <
		0 ||
	    EVP_Digest(client_key, key_size, cred_r->stored_key, &len, md,
		       NULL) != 1 ||
	    scram_hmac(md, salted, key_size, "Server Key", 10,
		       cred_r->server_key) < 0)
		goto out;
	ret = 0;
out:
	safe_memset0(salted, sizeof(salted));
	safe_memset0(client_key, sizeof(client_key));
	return ret;
}

static int decode_fixed(const char *b64, size_t len, unsigned char *out,
			size_t max, size_t *size_r)
{
	string_t *tmp = str_new_secure(len + 1);
	int ret = -1;

	if (base64_decode(b64, len, tmp) == 0 && str_len(tmp) <= max) {
		memcpy(out, str_data(tmp), str_len(tmp));
		*size_r = str_len(tmp);
		ret = 0;
	}
	str_free(&tmp);
	return ret;
}

int scram_credentials_parse(const EVP_MD *md, const void *data, size_t size,
			    struct scram_credentials *cred_r,
			    const char **error_r)
{
	const char *p = data, *end = p + size, *fields[4];
	size_t lens[4], key_size = (size_t)EVP_MD_get_size(md), got;
	unsigned int n = 0;
	unsigned long iter = 0;

	memset(cred_r, 0, sizeof(*cred_r));
	if (size > SCRAM_STORED_MAX) {
		*error_r = "SCRAM credentials too long";
		return -1;
	}
	while (n < 4) {
		const char *comma = memchr(p, ',', end - p);

		fields[n] = p;
		lens[n] = (comma == NULL ? end : comma) - p;
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (n != 4 || memchr(fields[3], ',', lens[3]) != NULL) {
		*error_r = "Invalid SCRAM credentials format";
		return -1;
	}
	if (lens[0] == 0 || lens[0] > 8) {
		*error_r = "Invalid SCRAM iteration count";
		return -1;
	}
	for (size_t i = 0; i < lens[0]; i++) {
		if (fields[0][i] < '0' || fields[0][i] > '9') {
			*error_r = "Invalid SCRAM iteration count";
			return -1;
		}
		iter = iter * 10 + (unsigned long)(fields[0][i] - '0');
	}
	if (iter < SCRAM_MIN_ITERATIONS || iter > SCRAM_MAX_ITERATIONS) {
		*error_r = "Invalid SCRAM iteration count";
		return -1;
	}
	cred_r->iterations = (unsigned int)iter;
	cred_r->key_size = key_size;
	if (decode_fixed(fields[1], lens[1], cred_r->salt, sizeof(cred_r->salt),
			 &cred_r->salt_size) < 0 ||
	    cred_r->salt_size == 0) {
		*error_r = "Invalid SCRAM salt";
		return -1;
	}
	if (decode_fixed(fields[2], lens[2], cred_r->stored_key,
			 sizeof(cred_r->stored_key), &got) < 0 ||
	    got != key_size ||
	    decode_fixed(fields[3], lens[3], cred_r->server_key,
			 sizeof(cred_r->server_key), &got) < 0 ||
	    got != key_size) {
		*error_r = "Invalid SCRAM keys";
		return -1;
	}
	return 0;
}

void scram_credentials_append(string_t *dest,
			      const struct scram_credentials *cred)
{
	str_printfa(dest, "%u,", cred->iterations);
	base64_encode(cred->salt, cred->salt_size, dest);
	str_append_c(dest, ',');
	base64_encode(cred->stored_key, cred->key_size, dest);
	str_append_c(dest, ',');
	base64_encode(cred->server_key, cred->key_size, dest);
}

static int scram_verify_md(const EVP_MD *md, const char *plaintext,
			   const unsigned char *raw, size_t raw_size,
			   const char **error_r)
{
	struct scram_credentials stored, derived;
	bool equal;

	if (scram_credentials_parse(md, raw, raw_size, &stored, error_r) < 0)
		return -1;
	if (scram_credentials_derive(md, plaintext, stored.salt,
				     stored.salt_size, stored.iterations,
				     &derived) < 0) {
		*error_r = "PBKDF2 failed";
		return -1;
	}
	equal = mem_equals_timing_safe(stored.stored_key, derived.stored_key,
				       stored.key_size);
	safe_memset0(&derived, sizeof(derived));
	return equal ? 1 : 0;
}

static int scram_generate_md(const EVP_MD *md, const char *plaintext,
			     unsigned int rounds, string_t *dest,
			     const char **error_r)
{
	struct scram_credentials cred;
	unsigned char salt[SCRAM_GEN_SALT_SIZE];

	if (rounds == 0)
		rounds = SCRAM_DEFAULT_ITERATIONS;
	if (rounds > SCRAM_MAX_ITERATIONS) {
		*error_r = "Too many SCRAM iterations";
		return -1;
	}
	password_random_bytes(salt, sizeof(salt));
	if (scram_credentials_derive(md, plaintext, salt, sizeof(salt), rounds,
				     &cred) < 0) {
		*error_r = "PBKDF2 failed";
		return -1;
	}
	scram_credentials_append(dest, &cred);
	safe_memset0(&cred, sizeof(cred));
	return 0;
}

static int scram_sha1_verify(const char *plaintext, const unsigned char *raw,
			     size_t raw_size, const char **error_r)
{
	return scram_verify_md(EVP_sha1(), plaintext, raw, raw_size, error_r);
}

static int scram_sha1_generate(const char *plaintext, unsigned int rounds,
			       string_t *dest, const char **error_r)
{
	return scram_generate_md(EVP_sha1(), plaintext, rounds, dest, error_r);
}

static int scram_sha256_verify(const char *plaintext, const unsigned char *raw,
			       size_t raw_size, const char **error_r)
{
	return scram_verify_md(EVP_sha256(), plaintext, raw, raw_size, error_r);
}

static int scram_sha256_generate(const char *plaintext, unsigned int rounds,
				 string_t *dest, const char **error_r)
{
	return scram_generate_md(EVP_sha256(), plaintext, rounds, dest,
				 error_r);
}

const struct password_scheme password_scheme_scram_sha1 = {
    .name = "SCRAM-SHA-1",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .slow = true,
    .verify = scram_sha1_verify,
    .generate = scram_sha1_generate,
};

const struct password_scheme password_scheme_scram_sha256 = {
    .name = "SCRAM-SHA-256",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .slow = true,
    .verify = scram_sha256_verify,
    .generate = scram_sha256_generate,
};
