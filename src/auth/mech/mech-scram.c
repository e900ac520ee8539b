/* mech-scram.c - SASL SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677)
 * and their -PLUS variants with tls-exporter channel binding (RFC 9266).
 *
 *   C: n,,n=user,r=cnonce                      (client-first)
 *   S: r=cnonce+snonce,s=salt,i=iterations     (server-first)
 *   C: c=base64(gs2-header[cbind-data]),r=...,p=proof
 *   S: v=server-signature                      (server-final, a challenge)
 *   C: (empty)                                 -> OK
 *
 * Channel binding data comes from the login process (the AUTH parameter
 * channel_binding=tls-exporter:<base64>, sent only on TLS connections),
 * never from the client. An unknown user gets a salt derived from its
 * name with a per-process secret so that the exchange looks the same as
 * for a known one and only fails at the proof. Not here: SASLprep
 * (passwords are used as given, as Dovecot does), mandatory extensions
 * (m=, refused), authorization as another user (authzid must be empty or
 * the user itself). */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "base64.h"
#include "mech.h"
#include "auth.h"
#include "auth-request.h"
#include "password-scheme.h"
#include "schemes/credentials.h"

#include <strings.h>

#define SCRAM_SERVER_NONCE_BYTES 18
#define SCRAM_MAX_NONCE_LEN 256
#define SCRAM_CBIND_EXPORTER_SIZE 32

enum scram_state {
	SCRAM_STATE_FIRST = 0,
	SCRAM_STATE_LOOKUP,
	SCRAM_STATE_FINAL,
	SCRAM_STATE_SERVER_FINAL_SENT,
};

struct scram_variant {
	const char *scheme; /* password scheme of the stored credentials */
	const char *plus_name;
	const EVP_MD *(*md)(void);
	bool plus;
};

struct scram_context {
	const struct scram_variant *variant;
	struct sasl_scram_client_first first;
	string_t *cbind_expected; /* gs2-header [+ cbind-data] */
	const char *server_first;
	const char *nonce; /* cnonce + snonce */
	struct scram_credentials cred;
	unsigned char server_signature[SCRAM_MAX_KEY_SIZE];
};

static unsigned char scram_fake_secret[32];
static bool scram_fake_secret_set = false;

/* --- decoders --- */

/* saslname (RFC 5802 section 7): "=2C" is ',', "=3D" is '='; any other
 * '=' and NUL are invalid. */
static const char *scram_unescape(pool_t pool, const char *s, size_t len)
{
	string_t *out = str_new(pool, len + 1);

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0' || s[i] == ',')
			return NULL;
		if (s[i] != '=') {
			str_append_c(out, s[i]);
			continue;
		}
		if (len - i < 3)
			return NULL;
		if (s[i + 1] == '2' && s[i + 2] == 'C')
			str_append_c(out, ',');
		else if (s[i + 1] == '3' && s[i + 2] == 'D')
			str_append_c(out, '=');
		else
			return NULL;
		i += 2;
	}
	return str_c(out);
}

static bool scram_nonce_valid(const char *s, size_t len)
{
	/* printable = %x21-2B / %x2D-7E */
	if (len == 0 || len > SCRAM_MAX_NONCE_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ',')
			return false;
	}
	return true;
}

/* Splits data at commas into at most max fields. */
static unsigned int scram_split(pool_t pool, const char *data, size_t size,
				const char **fields, size_t *lens,
				unsigned int max)
{
	unsigned int n = 0;
	const char *p = data, *end = data + size;

	while (n < max) {
		const char *comma = memchr(p, ',', end - p);

		fields[n] = p;
		lens[n] = (comma == NULL ? end : comma) - p;
		n++;
		if (comma == NULL)
			return n;
		p = comma + 1;
	}
	return n + 1; /* too many */
}

#define SCRAM_MAX_FIELDS 16

int sasl_scram_client_first_parse(pool_t pool, const unsigned char *data,
				  size_t size,
				  struct sasl_scram_client_first *first_r,
				  const char **error_r)
{
	const char *msg, *fields[SCRAM_MAX_FIELDS];
	size_t lens[SCRAM_MAX_FIELDS];
	unsigned int n;

	memset(first_r, 0, sizeof(*first_r));
	if (memchr(data, '\0', size) != NULL) {
		*error_r = "NUL in client-first-message";
		return -1;
	}
	msg = p_strndup(pool, data, size);
	n = scram_split(pool, msg, size, fields, lens, SCRAM_MAX_FIELDS);
	if (n < 4 || n > SCRAM_MAX_FIELDS) {
		*error_r = "Invalid client-first-message";
		return -1;
	}
	/* gs2-cbind-flag */
	if (lens[0] == 1 && (fields[0][0] == 'n' || fields[0][0] == 'y')) {
		first_r->cbind_flag = fields[0][0];
		first_r->cbind_name = "";
	} else if (lens[0] > 2 && fields[0][0] == 'p' && fields[0][1] == '=') {
		for (size_t i = 2; i < lens[0]; i++) {
			char c = fields[0][i];

			if (!((c >= 'a' && c <= 'z') ||
			      (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '-')) {
				*error_r = "Invalid channel binding name";
				return -1;
			}
		}
		first_r->cbind_flag = 'p';
		first_r->cbind_name =
		    p_strndup(pool, fields[0] + 2, lens[0] - 2);
	} else {
		*error_r = "Invalid GS2 header";
		return -1;
	}
	/* [ "a=" saslname ] */
	if (lens[1] == 0) {
		first_r->authzid = "";
	} else if (lens[1] > 2 && fields[1][0] == 'a' && fields[1][1] == '=') {
		first_r->authzid =
		    scram_unescape(pool, fields[1] + 2, lens[1] - 2);
		if (first_r->authzid == NULL || first_r->authzid[0] == '\0') {
			*error_r = "Invalid authzid";
			return -1;
		}
	} else {
		*error_r = "Invalid GS2 header";
		return -1;
	}
	first_r->gs2_header = p_strndup(pool, msg, fields[2] - msg);
	first_r->bare = fields[2];
	if (lens[2] >= 2 && fields[2][0] == 'm' && fields[2][1] == '=') {
		*error_r = "Mandatory extension not supported";
		return -1;
	}
	if (lens[2] < 3 || fields[2][0] != 'n' || fields[2][1] != '=') {
		*error_r = "Invalid username field";
		return -1;
	}
	first_r->username = scram_unescape(pool, fields[2] + 2, lens[2] - 2);
	if (first_r->username == NULL || first_r->username[0] == '\0') {
		*error_r = "Invalid username";
		return -1;
	}
	if (lens[3] < 3 || fields[3][0] != 'r' || fields[3][1] != '=' ||
	    !scram_nonce_valid(fields[3] + 2, lens[3] - 2)) {
		*error_r = "Invalid client nonce";
		return -1;
	}
	first_r->cnonce = p_strndup(pool, fields[3] + 2, lens[3] - 2);
	/* optional extensions after the nonce are ignored (RFC 5802 5.1) */
	for (unsigned int i = 4; i < n; i++) {
		if (lens[i] < 2 || fields[i][1] != '=') {
			*error_r = "Invalid extension";
			return -1;
		}
	}
	return 0;
}

int sasl_scram_client_final_parse(pool_t pool, const unsigned char *data,
				  size_t size,
				  struct sasl_scram_client_final *final_r,
				  const char **error_r)
{
	const char *msg, *fields[SCRAM_MAX_FIELDS];
	size_t lens[SCRAM_MAX_FIELDS];
	unsigned int n;
	string_t *cbind, *proof;

	memset(final_r, 0, sizeof(*final_r));
	if (memchr(data, '\0', size) != NULL) {
		*error_r = "NUL in client-final-message";
		return -1;
	}
	msg = p_strndup(pool, data, size);
	n = scram_split(pool, msg, size, fields, lens, SCRAM_MAX_FIELDS);
	if (n < 3 || n > SCRAM_MAX_FIELDS) {
		*error_r = "Invalid client-final-message";
		return -1;
	}
	if (lens[0] < 2 || fields[0][0] != 'c' || fields[0][1] != '=') {
		*error_r = "Invalid channel binding field";
		return -1;
	}
	cbind = str_new(pool, lens[0]);
	if (base64_decode(fields[0] + 2, lens[0] - 2, cbind) < 0) {
		*error_r = "Invalid channel binding base64";
		return -1;
	}
	if (lens[1] < 3 || fields[1][0] != 'r' || fields[1][1] != '=' ||
	    !scram_nonce_valid(fields[1] + 2, lens[1] - 2)) {
		*error_r = "Invalid nonce field";
		return -1;
	}
	/* the proof is the last attribute */
	if (lens[n - 1] < 3 || fields[n - 1][0] != 'p' ||
	    fields[n - 1][1] != '=') {
		*error_r = "Invalid proof field";
		return -1;
	}
	for (unsigned int i = 2; i + 1 < n; i++) {
		if (lens[i] < 2 || fields[i][1] != '=') {
			*error_r = "Invalid extension";
			return -1;
		}
	}
	proof = str_new(pool, lens[n - 1]);
	if (base64_decode(fields[n - 1] + 2, lens[n - 1] - 2, proof) < 0 ||
	    str_len(proof) == 0 || str_len(proof) > SCRAM_MAX_KEY_SIZE) {
		*error_r = "Invalid proof";
		return -1;
	}
	final_r->cbind = str_data(cbind);
	final_r->cbind_size = str_len(cbind);
	final_r->nonce = p_strndup(pool, fields[1] + 2, lens[1] - 2);
	/* client-final-message-without-proof: all before ",p=" */
	final_r->without_proof = p_strndup(pool, msg, fields[n - 1] - 1 - msg);
	final_r->proof = str_data(proof);
	final_r->proof_size = str_len(proof);
	return 0;
}

/* --- the exchange --- */

static void scram_fail_internal(struct auth_request *request, const char *why)
{
	auth_request_log_error(request, "scram", "%s", why);
	auth_request_internal_failure(request);
}

static void scram_fake_credentials(struct auth_request *request,
				   struct scram_context *ctx)
{
	const EVP_MD *md = ctx->variant->md();
	unsigned char salt[SCRAM_MAX_KEY_SIZE];
	const char *user = request->user != NULL ? request->user : "";

	if (!scram_fake_secret_set) {
		password_random_bytes(scram_fake_secret,
				      sizeof(scram_fake_secret));
		scram_fake_secret_set = true;
	}
	memset(&ctx->cred, 0, sizeof(ctx->cred));
	(void)scram_hmac(md, scram_fake_secret, sizeof(scram_fake_secret), user,
			 strlen(user), salt);
	ctx->cred.iterations = SCRAM_DEFAULT_ITERATIONS;
	ctx->cred.salt_size = SCRAM_GEN_SALT_SIZE;
	memcpy(ctx->cred.salt, salt, SCRAM_GEN_SALT_SIZE);
	ctx->cred.key_size = (size_t)EVP_MD_get_size(md);
	/* random keys: no proof can match */
	password_random_bytes(ctx->cred.stored_key, ctx->cred.key_size);
	password_random_bytes(ctx->cred.server_key, ctx->cred.key_size);
}

static void scram_send_server_first(struct auth_request *request,
				    struct scram_context *ctx)
{
	unsigned char rnd[SCRAM_SERVER_NONCE_BYTES];
	string_t *nonce = str_new(request->pool, 64);
	string_t *msg = str_new(request->pool, 128);

	password_random_bytes(rnd, sizeof(rnd));
	str_append(nonce, ctx->first.cnonce);
	base64_encode(rnd, sizeof(rnd), nonce); /* no ',' in base64 */
	ctx->nonce = str_c(nonce);
	str_printfa(msg, "r=%s,s=", ctx->nonce);
	base64_encode(ctx->cred.salt, ctx->cred.salt_size, msg);
	str_printfa(msg, ",i=%u", ctx->cred.iterations);
	ctx->server_first = str_c(msg);
	request->mech_state = SCRAM_STATE_FINAL;
	auth_request_challenge(request, str_data(msg), str_len(msg));
}

static void scram_credentials_callback(struct auth_request *request,
				       enum passdb_result result,
				       const unsigned char *credentials,
				       size_t size)
{
	struct scram_context *ctx = request->mech_context;
	const char *error;

	switch (result) {
	case PASSDB_RESULT_OK:
		if (scram_credentials_parse(ctx->variant->md(), credentials,
					    size, &ctx->cred, &error) < 0) {
			scram_fail_internal(
			    request,
			    p_strdup_printf(request->pool,
					    "Invalid %s credentials: %s",
					    ctx->variant->scheme, error));
			return;
		}
		break;
	case PASSDB_RESULT_USER_UNKNOWN:
	case PASSDB_RESULT_USER_DISABLED:
	case PASSDB_RESULT_PASSWORD_MISMATCH:
		scram_fake_credentials(request, ctx);
		break;
	case PASSDB_RESULT_SCHEME_NOT_AVAILABLE:
		auth_request_fail(request,
				  p_strdup_printf(request->pool,
						  "%s needs %s or plaintext "
						  "credentials in the passdb",
						  request->mech->name,
						  ctx->variant->scheme));
		return;
	case PASSDB_RESULT_INTERNAL_FAILURE:
	default:
		auth_request_internal_failure(request);
		return;
	}
	scram_send_server_first(request, ctx);
}

/* RFC 5802 section 6 and RFC 9266: checks the GS2 channel binding flag
 * against what this connection can do. */
static bool scram_check_cbind(struct auth_request *request,
			      struct scram_context *ctx, const char **error_r)
{
	const struct sasl_scram_client_first *first = &ctx->first;
	const char *cb = request->channel_binding, *b64;
	string_t *data;

	ctx->cbind_expected = str_new(request->pool, 64);
	str_append(ctx->cbind_expected, first->gs2_header);
	if (first->cbind_flag != 'p') {
		if (ctx->variant->plus) {
			*error_r =
			    "PLUS mechanism used without channel binding";
			return false;
		}
		/* "y": the client supports channel binding but thinks the
		 * server does not. When this server offers -PLUS here, a
		 * man in the middle removed it from the list. */
		if (first->cbind_flag == 'y' && cb != NULL &&
		    auth_find_mech(request->auth, ctx->variant->plus_name) !=
			NULL) {
			*error_r = "Channel binding downgrade detected "
				   "(client sent 'y' but the server "
				   "offers -PLUS)";
			return false;
		}
		return true;
	}
	if (!ctx->variant->plus) {
		*error_r =
		    "Channel binding requested with a non-PLUS mechanism";
		return false;
	}
	if (strcmp(first->cbind_name, "tls-exporter") != 0) {
		*error_r = "Unsupported channel binding type";
		return false;
	}
	if (cb == NULL || !str_begins(cb, "tls-exporter:", &b64)) {
		*error_r = "No channel binding data for this connection";
		return false;
	}
	data = str_new(request->pool, 64);
	if (base64_decode(b64, strlen(b64), data) < 0 ||
	    str_len(data) != SCRAM_CBIND_EXPORTER_SIZE) {
		*error_r = "Invalid channel binding data from the login";
		return false;
	}
	str_append_str(ctx->cbind_expected, data);
	return true;
}

static void scram_handle_first(struct auth_request *request,
			       struct scram_context *ctx,
			       const unsigned char *data, size_t size)
{
	const char *error;

	if (sasl_scram_client_first_parse(request->pool, data, size,
					  &ctx->first, &error) < 0) {
		auth_request_fail(request, error);
		return;
	}
	if (!scram_check_cbind(request, ctx, &error)) {
		auth_request_fail(request, error);
		return;
	}
	if (ctx->first.authzid[0] != '\0' &&
	    strcmp(ctx->first.authzid, ctx->first.username) != 0) {
		auth_request_fail(
		    request, "authorization as another user not supported");
		return;
	}
	if (!auth_request_set_username(
		request, (const unsigned char *)ctx->first.username,
		strlen(ctx->first.username), &error)) {
		/* goes on as an unknown user */
	}
	request->mech_state = SCRAM_STATE_LOOKUP;
	auth_request_lookup_credentials_scheme(request, ctx->variant->scheme,
					       scram_credentials_callback);
}

static void scram_handle_final(struct auth_request *request,
			       struct scram_context *ctx,
			       const unsigned char *data, size_t size)
{
	const EVP_MD *md = ctx->variant->md();
	struct sasl_scram_client_final final;
	unsigned char client_sig[SCRAM_MAX_KEY_SIZE];
	unsigned char client_key[SCRAM_MAX_KEY_SIZE];
	unsigned char stored_key[SCRAM_MAX_KEY_SIZE];
	size_t key_size = ctx->cred.key_size;
	unsigned int len = 0;
	string_t *auth_msg, *reply;
	const char *error;
	bool ok;

	if (sasl_scram_client_final_parse(request->pool, data, size, &final,
					  &error) < 0) {
		auth_request_fail(request, error);
		return;
	}
	if (final.cbind_size != str_len(ctx->cbind_expected) ||
	    !mem_equals_timing_safe(final.cbind, str_data(ctx->cbind_expected),
				    final.cbind_size)) {
		auth_request_fail(request, "Channel binding data mismatch");
		return;
	}
	if (strcmp(final.nonce, ctx->nonce) != 0) {
		auth_request_fail(request, "Nonce mismatch");
		return;
	}
	if (final.proof_size != key_size) {
		auth_request_fail(request, "Invalid proof length");
		return;
	}
	/* AuthMessage := client-first-message-bare + "," +
	 *                server-first-message + "," +
	 *                client-final-message-without-proof */
	auth_msg = str_new(request->pool, 256);
	str_printfa(auth_msg, "%s,%s,%s", ctx->first.bare, ctx->server_first,
		    final.without_proof);
	if (scram_hmac(md, ctx->cred.stored_key, key_size, str_data(auth_msg),
		       str_len(auth_msg), client_sig) < 0 ||
	    scram_hmac(md, ctx->cred.server_key, key_size, str_data(auth_msg),
		       str_len(auth_msg), ctx->server_signature) < 0) {
		scram_fail_internal(request, "HMAC failed");
		return;
	}
	/* ClientKey := ClientProof XOR ClientSignature;
	 * verify H(ClientKey) == StoredKey */
	for (size_t i = 0; i < key_size; i++)
		client_key[i] = final.proof[i] ^ client_sig[i];
	ok =
	    EVP_Digest(client_key, key_size, stored_key, &len, md, NULL) == 1 &&
	    len == key_size &&
	    mem_equals_timing_safe(stored_key, ctx->cred.stored_key, key_size);
	safe_memset0(client_key, sizeof(client_key));
	safe_memset0(client_sig, sizeof(client_sig));
	if (!ok) {
		auth_request_fail(request, "Password mismatch");
		return;
	}
	reply = str_new(request->pool, 128);
	str_append(reply, "v=");
	base64_encode(ctx->server_signature, key_size, reply);
	request->mech_state = SCRAM_STATE_SERVER_FINAL_SENT;
	auth_request_challenge(request, str_data(reply), str_len(reply));
}

static void mech_scram_auth_continue(struct auth_request *request,
				     const unsigned char *data, size_t size)
{
	struct scram_context *ctx = request->mech_context;

	switch ((enum scram_state)request->mech_state) {
	case SCRAM_STATE_FIRST:
		scram_handle_first(request, ctx, data, size);
		return;
	case SCRAM_STATE_FINAL:
		scram_handle_final(request, ctx, data, size);
		return;
	case SCRAM_STATE_SERVER_FINAL_SENT:
		if (size != 0) {
			auth_request_fail(request,
					  "Unexpected data after server-final");
			return;
		}
		safe_memset0(&ctx->cred, sizeof(ctx->cred));
		auth_request_success(request);
		return;
	case SCRAM_STATE_LOOKUP:
	default:
		auth_request_fail(request, "Unexpected response");
		return;
	}
}

static void mech_scram_auth_initial(struct auth_request *request,
				    const struct scram_variant *variant,
				    const unsigned char *data, size_t size,
				    bool have_data)
{
	struct scram_context *ctx =
	    p_new(request->pool, struct scram_context, 1);

	ctx->variant = variant;
	request->mech_context = ctx;
	request->mech_state = SCRAM_STATE_FIRST;
	if (!have_data) {
		auth_request_challenge(request, "", 0);
		return;
	}
	scram_handle_first(request, ctx, data, size);
}

#define SCRAM_MECH(sym, mechname, schemename, plusname, mdfn, isplus)          \
	static const struct scram_variant sym##_variant = {                    \
	    .scheme = schemename,                                              \
	    .plus_name = plusname,                                             \
	    .md = mdfn,                                                        \
	    .plus = isplus,                                                    \
	};                                                                     \
	static void sym##_auth_initial(struct auth_request *request,           \
				       const unsigned char *data, size_t size, \
				       bool have_data)                         \
	{                                                                      \
		mech_scram_auth_initial(request, &sym##_variant, data, size,   \
					have_data);                            \
	}                                                                      \
	const struct mech_module sym = {                                       \
	    .name = mechname,                                                  \
	    .flags = "mutual-auth",                                            \
	    .plaintext = false,                                                \
	    .auth_initial = sym##_auth_initial,                                \
	    .auth_continue = mech_scram_auth_continue,                         \
	}

SCRAM_MECH(mech_scram_sha1, "SCRAM-SHA-1", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS",
	   EVP_sha1, false);
SCRAM_MECH(mech_scram_sha1_plus, "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1",
	   "SCRAM-SHA-1-PLUS", EVP_sha1, true);
SCRAM_MECH(mech_scram_sha256, "SCRAM-SHA-256", "SCRAM-SHA-256",
	   "SCRAM-SHA-256-PLUS", EVP_sha256, false);
SCRAM_MECH(mech_scram_sha256_plus, "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256",
	   "SCRAM-SHA-256-PLUS", EVP_sha256, true);
