/* mech.h - the SASL mechanism interface and the mechanisms' pure
 * decoders.
 *
 * Each mechanism (mech/mech-*.c) exports one struct mech_module. The
 * server calls auth_initial() once (have_data false when the client sent
 * no initial response) and auth_continue() for every CONT; the mechanism
 * answers through auth_request_challenge(), auth_request_verify_plain(),
 * auth_request_lookup_credentials(), auth_request_fail() ... Data given
 * to a mechanism is already base64-decoded and bounded by
 * MECH_MAX_RESPONSE_SIZE; it is untrusted. */
#ifndef LOFT_MECH_H
#define LOFT_MECH_H

#include "lib.h"
#include "pool.h"

struct auth_request;

#define MECH_MAX_RESPONSE_SIZE 8192

struct mech_module {
	const char *name;
	/* MECH flags sent to clients, e.g. "plaintext" or
	 * "private\tdictionary\tactive"; NULL for none. */
	const char *flags;
	/* Whether the password crosses the wire in the clear (such
	 * mechanisms are refused on insecure connections by the login). */
	bool plaintext;
	void (*auth_initial)(struct auth_request *request,
			     const unsigned char *data, size_t size,
			     bool have_data);
	void (*auth_continue)(struct auth_request *request,
			      const unsigned char *data, size_t size);
};

extern const struct mech_module mech_plain;
extern const struct mech_module mech_login;
extern const struct mech_module mech_apop;
extern const struct mech_module mech_cram_md5;
extern const struct mech_module mech_scram_sha1;
extern const struct mech_module mech_scram_sha1_plus;
extern const struct mech_module mech_scram_sha256;
extern const struct mech_module mech_scram_sha256_plus;
extern const struct mech_module mech_external;
extern const struct mech_module mech_anonymous;

/* Mechanism by name among all that Loft implements, or NULL. */
const struct mech_module *mech_module_find(const char *name);

/* RFC 4616 message "authzid NUL authcid NUL passwd". Returns 0 with the
 * parts (strings allocated from pool; password in a pool the caller wipes)
 * or -1 with *error_r. authzid is "" when absent. Refuses a wrong number
 * of NULs and an empty authcid. */
int sasl_plain_decode(pool_t pool, const unsigned char *data, size_t size,
		      const char **authzid_r, const char **authcid_r,
		      const char **password_r, const char **error_r);

/* LOGIN mechanism response (user name or password): refuses NUL bytes.
 * Returns 0 with the string (pool) or -1 with *error_r. */
int sasl_login_decode(pool_t pool, const unsigned char *data, size_t size,
		      const char **value_r, const char **error_r);

/* Dovecot's APOP mechanism data:
 * "<challenge>" NUL username NUL digest, digest = 16 raw bytes of
 * MD5(challenge password) (32 hex digits also accepted). The challenge
 * must look like "<...@...>" and at most 255 bytes. Returns 0 with the
 * parts (digest_r 16 bytes from pool) or -1 with *error_r. */
int sasl_apop_decode(pool_t pool, const unsigned char *data, size_t size,
		     const char **challenge_r, const char **username_r,
		     const unsigned char **digest_r, const char **error_r);

/* CRAM-MD5 response "user SP 32-hex-digest" (RFC 2195; the user name
 * may contain spaces). Returns 0 with the user (pool) and the 16-byte
 * digest (pool), or -1 with *error_r. */
int sasl_cram_md5_decode(pool_t pool, const unsigned char *data, size_t size,
			 const char **username_r,
			 const unsigned char **digest_r, const char **error_r);

/* SCRAM client-first-message (RFC 5802 section 7), strings from pool. */
struct sasl_scram_client_first {
	char cbind_flag;	/* 'n', 'y' or 'p' */
	const char *cbind_name; /* with 'p', e.g. "tls-exporter"; else "" */
	const char *authzid;	/* unescaped, "" when absent */
	const char *username;	/* unescaped, not empty */
	const char *cnonce;
	const char *gs2_header; /* "n,," as sent, for the c= check */
	const char *bare;	/* client-first-message-bare */
};
/* Returns 0, or -1 with *error_r: bad GS2 header, m= extension, bad
 * saslname escapes, NUL bytes, missing or non-printable nonce. */
int sasl_scram_client_first_parse(pool_t pool, const unsigned char *data,
				  size_t size,
				  struct sasl_scram_client_first *first_r,
				  const char **error_r);

/* SCRAM client-final-message. */
struct sasl_scram_client_final {
	const unsigned char *cbind; /* decoded c= */
	size_t cbind_size;
	const char *nonce;
	const char *without_proof; /* client-final-message-without-proof */
	const unsigned char *proof;
	size_t proof_size;
};
/* Returns 0, or -1 with *error_r (bad base64, missing fields, the proof
 * not last, a proof longer than any digest). */
int sasl_scram_client_final_parse(pool_t pool, const unsigned char *data,
				  size_t size,
				  struct sasl_scram_client_final *final_r,
				  const char **error_r);

/* EXTERNAL message: the authorization identity ("" allowed), no NULs. */
int sasl_external_decode(pool_t pool, const unsigned char *data, size_t size,
			 const char **authzid_r, const char **error_r);
/* ANONYMOUS trace (RFC 4505): at most 255 characters, no NULs. */
int sasl_anonymous_decode(pool_t pool, const unsigned char *data, size_t size,
			  const char **trace_r, const char **error_r);

#endif
