/* password-scheme.h - password schemes: parsing "{SCHEME}data" strings,
 * verifying a plaintext password against them and generating new hashes.
 *
 * Stored passwords follow Dovecot's format: an optional "{SCHEME}" prefix
 * (case-insensitive, with an optional ".b64"/".hex" suffix selecting the
 * encoding of binary schemes), else the caller's default scheme. Each
 * scheme family lives in its own file under schemes/ and exports one
 * struct password_scheme. This module does not know about passdbs,
 * threads or the ioloop: slow schemes are marked so that the caller can
 * run their verify() in the auth worker pool. */
#ifndef LOFT_PASSWORD_SCHEME_H
#define LOFT_PASSWORD_SCHEME_H

#include "lib.h"
#include "pool.h"
#include "str.h"

enum password_encoding {
	PASSWORD_ENCODING_NONE, /* the stored text is the raw value */
	PASSWORD_ENCODING_BASE64,
	PASSWORD_ENCODING_HEX,
};

struct password_scheme {
	const char *name;
	/* How the binary value is written when no suffix says otherwise. */
	enum password_encoding default_encoding;
	/* Size of the raw value when fixed (digests), 0 = variable. Used to
	 * detect a hex value written where base64 was expected and back. */
	size_t raw_size;
	/* True for schemes that take milliseconds or more (crypt family,
	 * argon2): callers run them in the worker pool. */
	bool slow;
	/* Compares plaintext against the raw stored value (raw is also
	 * NUL-terminated at raw[raw_size]). Must be thread-safe and must not
	 * allocate from pools. Returns 1 match, 0 mismatch, -1 when the stored
	 * value is malformed (*error_r a static string). Comparisons run in
	 * constant time with respect to the stored value. */
	int (*verify)(const char *plaintext, const unsigned char *raw,
		      size_t raw_size, const char **error_r);
	/* Appends a new raw value for plaintext to dest. rounds 0 = the
	 * scheme's default cost. Returns 0, or -1 with *error_r. */
	int (*generate)(const char *plaintext, unsigned int rounds,
			string_t *dest, const char **error_r);
};

/* A stored password split into its parts. raw is allocated from the
 * pool given to password_parse() (use a secure pool: it may be a
 * plaintext password). */
struct password_stored {
	const struct password_scheme *scheme;
	unsigned char *raw;
	size_t raw_size;
};

/* Scheme by name (case-insensitive, without suffix), or NULL. */
const struct password_scheme *password_scheme_find(const char *name);
/* NULL-terminated list of all schemes. */
const struct password_scheme *const *password_schemes_get(void);

/* Extracts "SCHEME" from "{SCHEME}..." into *scheme_r (pool) and returns
 * a pointer to the data after the prefix; without a prefix returns stored
 * and sets *scheme_r NULL. */
const char *password_split_scheme(pool_t pool, const char *stored,
				  const char **scheme_r);

/* Parses stored (with default_scheme applied when there is no prefix).
 * Returns 1 on success, 0 when the scheme is unknown, -1 when the value
 * cannot be decoded; *error_r says why. */
int password_parse(pool_t pool, const char *stored, const char *default_scheme,
		   struct password_stored *pw_r, const char **error_r);

/* Synchronous verify: parse + scheme verify. Returns 1 match, 0 mismatch,
 * -1 on unknown scheme or malformed stored value (*error_r). */
int password_verify(const char *plaintext, const char *stored,
		    const char *default_scheme, const char **error_r);
/* Verify a parsed password (thread-safe; no pool use). */
int password_verify_parsed(const char *plaintext,
			   const struct password_stored *pw,
			   const char **error_r);

/* Returns the plaintext when the stored password is in a plaintext scheme
 * (PLAIN, CLEARTEXT, CLEAR), else NULL. */
const char *password_get_plaintext(const struct password_stored *pw);

/* Generates "{SCHEME}encoded" into *hash_r (pool). scheme may carry a
 * ".b64"/".hex" suffix. Returns 0 or -1 with *error_r. */
int password_generate(pool_t pool, const char *plaintext, const char *scheme,
		      unsigned int rounds, const char **hash_r,
		      const char **error_r);

/* Fills buf with cryptographically strong random bytes; aborts when the
 * system cannot provide them. */
void password_random_bytes(void *buf, size_t size);

/* Scheme interfaces, one per scheme (schemes/scheme-*.c). */
extern const struct password_scheme password_scheme_plain;
extern const struct password_scheme password_scheme_cleartext;
extern const struct password_scheme password_scheme_clear;
extern const struct password_scheme password_scheme_plain_md5;
extern const struct password_scheme password_scheme_ldap_md5;
extern const struct password_scheme password_scheme_sha;
extern const struct password_scheme password_scheme_sha1;
extern const struct password_scheme password_scheme_ssha;
extern const struct password_scheme password_scheme_sha256;
extern const struct password_scheme password_scheme_ssha256;
extern const struct password_scheme password_scheme_sha512;
extern const struct password_scheme password_scheme_ssha512;
extern const struct password_scheme password_scheme_crypt;
extern const struct password_scheme password_scheme_md5_crypt;
extern const struct password_scheme password_scheme_sha256_crypt;
extern const struct password_scheme password_scheme_sha512_crypt;
extern const struct password_scheme password_scheme_blf_crypt;
extern const struct password_scheme password_scheme_argon2i;
extern const struct password_scheme password_scheme_argon2id;
extern const struct password_scheme password_scheme_cram_md5;
extern const struct password_scheme password_scheme_scram_sha1;
extern const struct password_scheme password_scheme_scram_sha256;

#endif
