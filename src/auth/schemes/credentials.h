/* credentials.h - the stored-credential formats that challenge-response
 * mechanisms need, shared by the password schemes (schemes/scheme-cram.c,
 * schemes/scheme-scram.c) and the SASL mechanisms (mech/mech-cram-md5.c,
 * mech/mech-scram.c).
 *
 * CRAM-MD5 is stored as Dovecot does: the two MD5 states of HMAC-MD5 after
 * the inner (key XOR ipad) and outer (key XOR opad) blocks, each as four
 * little-endian 32-bit words, 32 bytes in all (hex in "{CRAM-MD5}...").
 * SCRAM-SHA-1/-256 are stored as "iter,salt,StoredKey,ServerKey" with
 * base64 salt and keys (RFC 5802 section 3), as Dovecot's doveadm pw
 * writes them. Nothing here does I/O or uses pools; all functions are
 * thread-safe. */
#ifndef LOFT_CREDENTIALS_H
#define LOFT_CREDENTIALS_H

#include "lib.h"
#include "str.h"

#include <openssl/evp.h>

#define CRAM_MD5_CONTEXT_SIZE 32
#define CRAM_MD5_DIGEST_SIZE 16

/* Fills ctx_r with the HMAC-MD5 context for password. */
void cram_md5_context_from_password(const char *password,
				    unsigned char ctx_r[CRAM_MD5_CONTEXT_SIZE]);
/* HMAC-MD5(key, msg) computed from a stored context. */
void cram_md5_context_hmac(const unsigned char ctx[CRAM_MD5_CONTEXT_SIZE],
			   const void *msg, size_t msg_size,
			   unsigned char digest_r[CRAM_MD5_DIGEST_SIZE]);

#define SCRAM_MAX_KEY_SIZE EVP_MAX_MD_SIZE
#define SCRAM_MAX_SALT_SIZE 64
#define SCRAM_MIN_ITERATIONS 1
#define SCRAM_MAX_ITERATIONS 10000000
#define SCRAM_DEFAULT_ITERATIONS 4096
#define SCRAM_GEN_SALT_SIZE 16

struct scram_credentials {
	unsigned int iterations;
	unsigned char salt[SCRAM_MAX_SALT_SIZE];
	size_t salt_size;
	unsigned char stored_key[SCRAM_MAX_KEY_SIZE];
	unsigned char server_key[SCRAM_MAX_KEY_SIZE];
	size_t key_size; /* the digest size of the hash */
};

/* Parses "iter,salt,storedkey,serverkey" (size bytes, need not be
 * NUL-terminated) for hash md. Returns 0, or -1 with *error_r for a
 * malformed value (iteration count out of range, bad base64, key sizes
 * that do not match the hash). */
int scram_credentials_parse(const EVP_MD *md, const void *data, size_t size,
			    struct scram_credentials *cred_r,
			    const char **error_r);
/* Derives credentials from password with the given salt and iteration
 * count (salt_size at most SCRAM_MAX_SALT_SIZE). Returns 0, or -1 when
 * OpenSSL fails. */
int scram_credentials_derive(const EVP_MD *md, const char *password,
			     const unsigned char *salt, size_t salt_size,
			     unsigned int iterations,
			     struct scram_credentials *cred_r);
/* Appends the stored form of cred to dest. */
void scram_credentials_append(string_t *dest,
			      const struct scram_credentials *cred);
/* HMAC(key, data) into out (EVP_MD_size(md) bytes). Returns 0 or -1. */
int scram_hmac(const EVP_MD *md, const unsigned char *key, size_t key_size,
	       const void *data, size_t data_size, unsigned char *out);

#endif
