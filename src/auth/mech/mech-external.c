/* mech-external.c - SASL EXTERNAL (RFC 4422 appendix A) for TLS client
 * certificates. The login verifies the certificate against ssl_ca_file and
 * tells auth with "valid-client-cert" and "cert_username=<CN>". The
 * client's message is an authorization identity (may be empty). With
 * auth_ssl_username_from_cert the user is the certificate's CN and a
 * non-empty authzid must name the same user; without it the authzid names
 * the user (any holder of a certificate from the configured CA may then
 * log in as any user the passdb knows). The passdb chain runs without a
 * password, with all its rules (deny passdbs, allow_nets, nologin ...);
 * the userdb chain follows. */
#include "lib.h"
#include "pool.h"
#include "mech.h"
#include "auth.h"
#include "auth-request.h"
#include "settings.h"

int sasl_external_decode(pool_t pool, const unsigned char *data, size_t size,
			 const char **authzid_r, const char **error_r)
{
	if (memchr(data, '\0', size) != NULL) {
		*error_r = "NUL in authorization identity";
		return -1;
	}
	*authzid_r = p_strndup(pool, data, size);
	return 0;
}

static void mech_external_auth_continue(struct auth_request *request,
					const unsigned char *data, size_t size)
{
	const struct loft_settings *set = request->auth->set;
	const char *authzid, *user, *error;

	if (sasl_external_decode(request->pool, data, size, &authzid, &error) <
	    0) {
		auth_request_fail(request, error);
		return;
	}
	if (!request->valid_client_cert) {
		auth_request_fail(request, "No valid client certificate");
		return;
	}
	if (set->auth_ssl_username_from_cert) {
		user = request->cert_username;
		if (user == NULL || user[0] == '\0') {
			auth_request_fail(request, "No username in the client "
						   "certificate");
			return;
		}
		if (authzid[0] != '\0' && strcmp(authzid, user) != 0) {
			auth_request_fail(
			    request,
			    "authorization as another user not supported");
			return;
		}
	} else {
		user = authzid;
		if (user[0] == '\0') {
			auth_request_fail(request,
					  "No authorization identity given and "
					  "auth_ssl_username_from_cert=no");
			return;
		}
	}
	if (!auth_request_set_username(request, (const unsigned char *)user,
				       strlen(user), &error)) {
		auth_request_fail(request, error);
		return;
	}
	auth_request_verify_nopassword(request);
}

static void mech_external_auth_initial(struct auth_request *request,
				       const unsigned char *data, size_t size,
				       bool have_data)
{
	if (!have_data) {
		auth_request_challenge(request, "", 0);
		return;
	}
	mech_external_auth_continue(request, data, size);
}

const struct mech_module mech_external = {
    .name = "EXTERNAL",
    .flags = NULL,
    .plaintext = false,
    .auth_initial = mech_external_auth_initial,
    .auth_continue = mech_external_auth_continue,
};
