/* scheme-argon2.c - ARGON2I and ARGON2ID through libargon2, stored in the
 * encoded form "$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>".
 * Slow and memory-hungry: callers use the worker pool. */
#include "lib.h"
#include "str.h"
#include "password-scheme.h"

#include <argon2.h>

#define ARGON2_SALT_SIZE 16
#define ARGON2_HASH_SIZE 32
#define ARGON2_LANES 1

static int argon2_verify_type(argon2_type type, const char *prefix,
			      const char *plaintext, const unsigned char *raw,
			      size_t raw_size, const char **error_r)
{
	int ret;

	if (strncmp((const char *)raw, prefix, strlen(prefix)) != 0) {
		*error_r = "Hash does not match the scheme";
		return -1;
	}
	ret = argon2_verify((const char *)raw, plaintext, strlen(plaintext),
			    type);
	if (ret == ARGON2_OK)
		return 1;
	if (ret == ARGON2_VERIFY_MISMATCH)
		return 0;
	*error_r = argon2_error_message(ret);
	return -1;
}

static int argon2_generate_type(argon2_type type, uint32_t t_cost,
				uint32_t m_cost, const char *plaintext,
				string_t *dest, const char **error_r)
{
	unsigned char salt[ARGON2_SALT_SIZE];
	size_t enclen;
	char *encoded;
	int ret;

	password_random_bytes(salt, sizeof(salt));
	enclen = argon2_encodedlen(t_cost, m_cost, ARGON2_LANES, sizeof(salt),
				   ARGON2_HASH_SIZE, type);
	encoded = i_malloc(enclen + 1);
	ret = argon2_hash(t_cost, m_cost, ARGON2_LANES, plaintext,
			  strlen(plaintext), salt, sizeof(salt), NULL,
			  ARGON2_HASH_SIZE, encoded, enclen, type,
			  ARGON2_VERSION_NUMBER);
	if (ret != ARGON2_OK) {
		*error_r = argon2_error_message(ret);
		i_free(encoded);
		return -1;
	}
	str_append(dest, encoded);
	i_free(encoded);
	return 0;
}

static int scheme_argon2i_verify(const char *plaintext,
				 const unsigned char *raw, size_t raw_size,
				 const char **error_r)
{
	return argon2_verify_type(Argon2_i, "$argon2i$", plaintext, raw,
				  raw_size, error_r);
}

static int scheme_argon2i_generate(const char *plaintext, unsigned int rounds,
				   string_t *dest, const char **error_r)
{
	return argon2_generate_type(Argon2_i, rounds == 0 ? 4 : rounds, 32768,
				    plaintext, dest, error_r);
}

static int scheme_argon2id_verify(const char *plaintext,
				  const unsigned char *raw, size_t raw_size,
				  const char **error_r)
{
	return argon2_verify_type(Argon2_id, "$argon2id$", plaintext, raw,
				  raw_size, error_r);
}

static int scheme_argon2id_generate(const char *plaintext, unsigned int rounds,
				    string_t *dest, const char **error_r)
{
	return argon2_generate_type(Argon2_id, rounds == 0 ? 3 : rounds, 65536,
				    plaintext, dest, error_r);
}

const struct password_scheme password_scheme_argon2i = {
    .name = "ARGON2I",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .slow = true,
    .verify = scheme_argon2i_verify,
    .generate = scheme_argon2i_generate,
};

const struct password_scheme password_scheme_argon2id = {
    .name = "ARGON2ID",
    .default_encoding = PASSWORD_ENCODING_NONE,
    .slow = true,
    .verify = scheme_argon2id_verify,
    .generate = scheme_argon2id_generate,
};
