/* mech-login.c - the LOGIN mechanism (draft-murchison-sasl-login): the
 * server challenges "Username:" then "Password:"; an initial response is
 * taken as the user name. */
#include "lib.h"
#include "pool.h"
#include "mech.h"
#include "auth-request.h"

enum login_state { LOGIN_STATE_USER = 0, LOGIN_STATE_PASS };

#define LOGIN_USER_PROMPT "Username:"
#define LOGIN_PASS_PROMPT "Password:"

int sasl_login_decode(pool_t pool, const unsigned char *data, size_t size,
		      const char **value_r, const char **error_r)
{
	if (memchr(data, '\0', size) != NULL) {
		*error_r = "NUL in response";
		return -1;
	}
	*value_r = p_strndup(pool, data, size);
	return 0;
}

static void mech_login_auth_continue(struct auth_request *request,
				     const unsigned char *data, size_t size)
{
	const char *value, *error;

	if (request->mech_state == LOGIN_STATE_USER) {
		if (size == 0) {
			auth_request_fail(request, "empty username");
			return;
		}
		/* An invalid name (NUL bytes included) goes on as an
		 * unknown user: the client learns nothing before the
		 * password, and gets the answer of a wrong one. */
		(void)auth_request_set_username(request, data, size, &error);
		request->mech_state = LOGIN_STATE_PASS;
		auth_request_challenge(request, LOGIN_PASS_PROMPT,
				       strlen(LOGIN_PASS_PROMPT));
		return;
	}
	if (sasl_login_decode(request->pool, data, size, &value, &error) < 0) {
		auth_request_fail(request, error);
		return;
	}
	auth_request_verify_plain(request, value);
	safe_memset0((char *)value, size);
}

static void mech_login_auth_initial(struct auth_request *request,
				    const unsigned char *data, size_t size,
				    bool have_data)
{
	request->mech_state = LOGIN_STATE_USER;
	if (!have_data || size == 0) {
		auth_request_challenge(request, LOGIN_USER_PROMPT,
				       strlen(LOGIN_USER_PROMPT));
		return;
	}
	mech_login_auth_continue(request, data, size);
}

const struct mech_module mech_login = {
    .name = "LOGIN",
    .flags = "plaintext",
    .plaintext = true,
    .auth_initial = mech_login_auth_initial,
    .auth_continue = mech_login_auth_continue,
};
