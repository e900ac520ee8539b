/* mech-anonymous.c - SASL ANONYMOUS (RFC 4505). Off unless listed in
 * auth_mechanisms. The client's trace message (an email address or other
 * text, at most 255 characters, RFC 4505 section 2) is only logged; the
 * session logs in as auth_anonymous_username without a passdb lookup,
 * and the userdb chain gives it its home and mail. */
#include "lib.h"
#include "pool.h"
#include "mech.h"
#include "auth.h"
#include "auth-request.h"
#include "settings.h"

/* 255 UTF-8 characters are at most 4 * 255 bytes. */
#define ANONYMOUS_TRACE_MAX_BYTES (255 * 4)

int sasl_anonymous_decode(pool_t pool, const unsigned char *data, size_t size,
			  const char **trace_r, const char **error_r)
{
	size_t chars = 0;

	if (size > ANONYMOUS_TRACE_MAX_BYTES ||
	    memchr(data, '\0', size) != NULL) {
		*error_r = "Invalid trace information";
		return -1;
	}
	for (size_t i = 0; i < size; i++) {
		/* count characters: every byte but UTF-8 continuations */
		if ((data[i] & 0xc0) != 0x80)
			chars++;
	}
	if (chars > 255) {
		*error_r = "Trace information too long";
		return -1;
	}
	*trace_r = p_strndup(pool, data, size);
	return 0;
}

/* Control characters in the trace would forge log lines. */
static const char *trace_sanitize(pool_t pool, const char *trace)
{
	char *out = p_strdup(pool, trace);

	for (char *p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return out;
}

static void mech_anonymous_auth_continue(struct auth_request *request,
					 const unsigned char *data, size_t size)
{
	const char *user = request->auth->set->auth_anonymous_username;
	const char *trace, *error;

	if (sasl_anonymous_decode(request->pool, data, size, &trace, &error) <
	    0) {
		auth_request_fail(request, error);
		return;
	}
	if (user == NULL || user[0] == '\0') {
		auth_request_fail(request, "auth_anonymous_username is empty");
		return;
	}
	if (!auth_request_set_username(request, (const unsigned char *)user,
				       strlen(user), &error)) {
		auth_request_fail(request, error);
		return;
	}
	if (trace[0] != '\0')
		auth_request_log_info(request, "anonymous", "login: trace=%s",
				      trace_sanitize(request->pool, trace));
	auth_request_success(request);
}

static void mech_anonymous_auth_initial(struct auth_request *request,
					const unsigned char *data, size_t size,
					bool have_data)
{
	if (!have_data) {
		auth_request_challenge(request, "", 0);
		return;
	}
	mech_anonymous_auth_continue(request, data, size);
}

const struct mech_module mech_anonymous = {
    .name = "ANONYMOUS",
    .flags = "anonymous",
    .plaintext = false,
    .auth_initial = mech_anonymous_auth_initial,
    .auth_continue = mech_anonymous_auth_continue,
};
