/* login-sasl.h - SASL text helpers shared by the login protocols: the
 * base64 check of a client's response and the NUL-joined credentials that
 * LOGIN, USER/PASS (PLAIN) and APOP send to the auth process. No I/O and
 * no auth-process state: login-common.h picks mechanisms and talks to
 * auth. */
#ifndef LOFT_LOGIN_SASL_H
#define LOFT_LOGIN_SASL_H

#include "lib.h"
#include "str.h"

/* True when every character of s is in the RFC 4648 base64 alphabet or
 * '='; the empty string is true (callers that refuse it check first). */
bool login_sasl_is_base64_text(const char *s);

/* base64 of fields[0] NUL fields[1] NUL ... fields[count-1], in a secure
 * string the caller frees with str_free() (wiped then). PLAIN without an
 * authorization identity is {"", user, password} (RFC 4616 section 2);
 * Loft's APOP request is {challenge, user, digest}. */
string_t *login_sasl_fields_base64(const char *const *fields,
				   unsigned int count);

#endif
