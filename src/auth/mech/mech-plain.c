/* mech-plain.c - SASL PLAIN (RFC 4616). One message:
 * authzid NUL authcid NUL passwd. An authzid that differs from the authcid
 * asks to log in as another user: as in Dovecot, that is a master user
 * login (the authcid must be accepted by a master passdb), refused when
 * no master passdb accepts it. */
#include "lib.h"
#include "pool.h"
#include "mech.h"
#include "auth-request.h"

int sasl_plain_decode(pool_t pool, const unsigned char *data, size_t size,
		      const char **authzid_r, const char **authcid_r,
		      const char **password_r, const char **error_r)
{
	const unsigned char *nul1, *nul2;
	size_t authcid_len;

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
	if (memchr(nul2 + 1, '\0', size - (nul2 + 1 - data)) != NULL) {
		*error_r = "invalid input (too many NULs)";
		return -1;
	}
	authcid_len = nul2 - (nul1 + 1);
	if (authcid_len == 0) {
		*error_r = "empty username";
		return -1;
	}
	*authzid_r = p_strndup(pool, data, nul1 - data);
	*authcid_r = p_strndup(pool, nul1 + 1, authcid_len);
	*password_r = p_strndup(pool, nul2 + 1, size - (nul2 + 1 - data));
	return 0;
}

static void mech_plain_auth_continue(struct auth_request *request,
				     const unsigned char *data, size_t size)
{
	const char *authzid, *authcid, *password, *error;

	if (sasl_plain_decode(request->pool, data, size, &authzid, &authcid,
			      &password, &error) < 0) {
		auth_request_fail(request, error);
		return;
	}
	if (!auth_request_set_username(request, (const unsigned char *)authcid,
				       strlen(authcid), &error)) {
		/* Goes on as an unknown user so that the answer and its
		 * timing do not reveal the check. */
	} else if (authzid[0] != '\0' &&
		   !auth_request_set_login_user(request,
						(const unsigned char *)authzid,
						strlen(authzid), &error)) {
		/* likewise: an unknown user */
		request->invalid_user = true;
	}
	auth_request_verify_plain(request, password);
	safe_memset0((char *)password, strlen(password));
}

static void mech_plain_auth_initial(struct auth_request *request,
				    const unsigned char *data, size_t size,
				    bool have_data)
{
	if (!have_data) {
		/* Ask for the message with an empty challenge. */
		auth_request_challenge(request, "", 0);
		return;
	}
	mech_plain_auth_continue(request, data, size);
}

const struct mech_module mech_plain = {
    .name = "PLAIN",
    .flags = "plaintext",
    .plaintext = true,
    .auth_initial = mech_plain_auth_initial,
    .auth_continue = mech_plain_auth_continue,
};
