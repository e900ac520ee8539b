/* mech-apop.c - POP3 APOP (RFC 1939) as Dovecot's auth mechanism: the
 * login sends one message "challenge NUL user NUL digest" where digest is
 * MD5(challenge password). The server needs the plaintext password from
 * the passdb (PLAIN/CLEARTEXT schemes); other schemes fail. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "base64.h"
#include "mech.h"
#include "auth-request.h"

#include <openssl/evp.h>

#define APOP_DIGEST_SIZE 16
#define APOP_CHALLENGE_MAX 255

struct apop_context {
	const char *challenge;
	unsigned char digest[APOP_DIGEST_SIZE];
};

int sasl_apop_decode(pool_t pool, const unsigned char *data, size_t size,
		     const char **challenge_r, const char **username_r,
		     const unsigned char **digest_r, const char **error_r)
{
	const unsigned char *nul1, *nul2, *digest;
	size_t clen, ulen, dlen;

	nul1 = memchr(data, '\0', size);
	if (nul1 == NULL) {
		*error_r = "invalid input";
		return -1;
	}
	nul2 = memchr(nul1 + 1, '\0', size - (nul1 + 1 - data));
	if (nul2 == NULL) {
		*error_r = "invalid input";
		return -1;
	}
	clen = nul1 - data;
	ulen = nul2 - (nul1 + 1);
	digest = nul2 + 1;
	dlen = size - (digest - data);
	if (clen < 3 || clen > APOP_CHALLENGE_MAX || data[0] != '<' ||
	    data[clen - 1] != '>' || memchr(data, '@', clen) == NULL) {
		*error_r = "invalid challenge";
		return -1;
	}
	if (ulen == 0) {
		*error_r = "empty username";
		return -1;
	}
	if (dlen == APOP_DIGEST_SIZE) {
		*digest_r = p_memdup(pool, digest, dlen);
	} else if (dlen == APOP_DIGEST_SIZE * 2) {
		string_t *bin = str_new(pool, APOP_DIGEST_SIZE + 1);
		char *hex = p_strndup(pool, digest, dlen);

		if (strlen(hex) != dlen || hex_to_binary(hex, bin) < 0 ||
		    str_len(bin) != APOP_DIGEST_SIZE) {
			*error_r = "invalid digest";
			return -1;
		}
		*digest_r = str_data(bin);
	} else {
		*error_r = "invalid digest length";
		return -1;
	}
	*challenge_r = p_strndup(pool, data, clen);
	*username_r = p_strndup(pool, nul1 + 1, ulen);
	return 0;
}

static void apop_credentials_callback(struct auth_request *request,
				      enum passdb_result result,
				      const char *password)
{
	struct apop_context *ctx = request->mech_context;
	unsigned char digest[APOP_DIGEST_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *md;
	bool ok;

	switch (result) {
	case PASSDB_RESULT_OK:
		break;
	case PASSDB_RESULT_INTERNAL_FAILURE:
		auth_request_internal_failure(request);
		return;
	case PASSDB_RESULT_SCHEME_NOT_AVAILABLE:
		auth_request_fail(
		    request, "APOP needs a plaintext password in the passdb");
		return;
	default:
		auth_request_fail(request, NULL);
		return;
	}

	md = EVP_MD_CTX_new();
	ok =
	    md != NULL && EVP_DigestInit_ex(md, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(md, ctx->challenge, strlen(ctx->challenge)) == 1 &&
	    EVP_DigestUpdate(md, password, strlen(password)) == 1 &&
	    EVP_DigestFinal_ex(md, digest, &len) == 1 &&
	    len == APOP_DIGEST_SIZE;
	EVP_MD_CTX_free(md);
	if (!ok) {
		auth_request_internal_failure(request);
		return;
	}
	if (!mem_equals_timing_safe(digest, ctx->digest, APOP_DIGEST_SIZE)) {
		auth_request_fail(request, "Password mismatch");
		return;
	}
	auth_request_success(request);
}

static void mech_apop_auth_continue(struct auth_request *request,
				    const unsigned char *data, size_t size)
{
	struct apop_context *ctx;
	const char *challenge, *user, *error;
	const unsigned char *digest;

	if (sasl_apop_decode(request->pool, data, size, &challenge, &user,
			     &digest, &error) < 0) {
		auth_request_fail(request, error);
		return;
	}
	ctx = p_new(request->pool, struct apop_context, 1);
	ctx->challenge = challenge;
	memcpy(ctx->digest, digest, APOP_DIGEST_SIZE);
	request->mech_context = ctx;
	if (!auth_request_set_username(request, (const unsigned char *)user,
				       strlen(user), &error)) {
		auth_request_fail(request, error);
		return;
	}
	auth_request_lookup_credentials(request, apop_credentials_callback);
}

static void mech_apop_auth_initial(struct auth_request *request,
				   const unsigned char *data, size_t size,
				   bool have_data)
{
	if (!have_data) {
		/* APOP has no challenge of its own: the data must come
		 * with the request. */
		auth_request_fail(request, "APOP needs an initial response");
		return;
	}
	mech_apop_auth_continue(request, data, size);
}

const struct mech_module mech_apop = {
    .name = "APOP",
    .flags = "private\tdictionary\tactive",
    .plaintext = false,
    .auth_initial = mech_apop_auth_initial,
    .auth_continue = mech_apop_auth_continue,
};
