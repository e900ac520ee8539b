/* mech-cram-md5.c - SASL CRAM-MD5 (RFC 2195). The server sends a unique
 * challenge "<random.time@host>"; the client answers
 * "user SP hex(HMAC-MD5(password, challenge))". The server needs the
 * credentials in the CRAM-MD5 scheme (or the plaintext, converted); a
 * passdb holding only other hashes makes the mechanism fail. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "base64.h"
#include "mech.h"
#include "auth-request.h"
#include "password-scheme.h"
#include "schemes/credentials.h"

#include <time.h>
#include <unistd.h>

#define CRAM_HOSTNAME_MAX 255

struct cram_context {
	const char *challenge;
	unsigned char digest[CRAM_MD5_DIGEST_SIZE];
};

int sasl_cram_md5_decode(pool_t pool, const unsigned char *data, size_t size,
			 const char **username_r,
			 const unsigned char **digest_r, const char **error_r)
{
	const unsigned char *space = NULL;
	string_t *bin;
	char *hex;

	/* RFC 2195: the user name may contain spaces; the digest is the
	 * last space-separated word. */
	for (size_t i = size; i > 0; i--) {
		if (data[i - 1] == ' ') {
			space = data + i - 1;
			break;
		}
	}
	if (space == NULL || memchr(data, '\0', size) != NULL) {
		*error_r = "invalid input";
		return -1;
	}
	if (space == data) {
		*error_r = "empty username";
		return -1;
	}
	if ((size_t)(data + size - (space + 1)) != CRAM_MD5_DIGEST_SIZE * 2) {
		*error_r = "invalid digest length";
		return -1;
	}
	hex = p_strndup(pool, space + 1, CRAM_MD5_DIGEST_SIZE * 2);
	bin = str_new(pool, CRAM_MD5_DIGEST_SIZE + 1);
	if (hex_to_binary(hex, bin) < 0 ||
	    str_len(bin) != CRAM_MD5_DIGEST_SIZE) {
		*error_r = "invalid digest";
		return -1;
	}
	*username_r = p_strndup(pool, data, space - data);
	*digest_r = str_data(bin);
	return 0;
}

static void cram_credentials_callback(struct auth_request *request,
				      enum passdb_result result,
				      const unsigned char *credentials,
				      size_t size)
{
	struct cram_context *ctx = request->mech_context;
	unsigned char digest[CRAM_MD5_DIGEST_SIZE];

	switch (result) {
	case PASSDB_RESULT_OK:
		break;
	case PASSDB_RESULT_INTERNAL_FAILURE:
		auth_request_internal_failure(request);
		return;
	case PASSDB_RESULT_SCHEME_NOT_AVAILABLE:
		auth_request_fail(request,
				  "CRAM-MD5 needs CRAM-MD5 or "
				  "plaintext credentials in the passdb");
		return;
	default:
		auth_request_fail(request, NULL);
		return;
	}
	if (size != CRAM_MD5_CONTEXT_SIZE) {
		auth_request_log_error(request, "cram-md5",
				       "Invalid CRAM-MD5 credentials");
		auth_request_internal_failure(request);
		return;
	}
	cram_md5_context_hmac(credentials, ctx->challenge,
			      strlen(ctx->challenge), digest);
	if (!mem_equals_timing_safe(digest, ctx->digest, sizeof(digest))) {
		safe_memset0(digest, sizeof(digest));
		auth_request_fail(request, "Password mismatch");
		return;
	}
	safe_memset0(digest, sizeof(digest));
	auth_request_success(request);
}

static void mech_cram_md5_auth_continue(struct auth_request *request,
					const unsigned char *data, size_t size)
{
	struct cram_context *ctx = request->mech_context;
	const unsigned char *digest;
	const char *user, *error;

	if (ctx == NULL || request->mech_state != 1) {
		auth_request_fail(request, "unexpected response");
		return;
	}
	request->mech_state = 2;
	if (sasl_cram_md5_decode(request->pool, data, size, &user, &digest,
				 &error) < 0) {
		auth_request_fail(request, error);
		return;
	}
	memcpy(ctx->digest, digest, CRAM_MD5_DIGEST_SIZE);
	if (!auth_request_set_username(request, (const unsigned char *)user,
				       strlen(user), &error)) {
		/* goes on as an unknown user */
	}
	auth_request_lookup_credentials_scheme(request, "CRAM-MD5",
					       cram_credentials_callback);
}

static void mech_cram_md5_auth_initial(struct auth_request *request,
				       const unsigned char *data, size_t size,
				       bool have_data)
{
	struct cram_context *ctx;
	unsigned char rnd[8];
	char host[CRAM_HOSTNAME_MAX + 1];
	string_t *str = str_new(request->pool, 128);

	if (have_data && size > 0) {
		/* RFC 2195 has no initial response */
		auth_request_fail(request, "unexpected initial response");
		return;
	}
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	password_random_bytes(rnd, sizeof(rnd));
	str_append_c(str, '<');
	binary_to_hex_append(str, rnd, sizeof(rnd));
	str_printfa(str, ".%lld@%s>", (long long)time(NULL),
		    host[0] != '\0' ? host : "localhost");

	ctx = p_new(request->pool, struct cram_context, 1);
	ctx->challenge = str_c(str);
	request->mech_context = ctx;
	request->mech_state = 1;
	auth_request_challenge(request, str_data(str), str_len(str));
}

const struct mech_module mech_cram_md5 = {
    .name = "CRAM-MD5",
    .flags = "dictionary\tactive",
    .plaintext = false,
    .auth_initial = mech_cram_md5_auth_initial,
    .auth_continue = mech_cram_md5_auth_continue,
};
