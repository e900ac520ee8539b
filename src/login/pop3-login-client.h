/* pop3-login-client.h - the POP3 side of the login process: the greeting
 * and the commands allowed before login (RFC 1939, 2449, 2595, 5034):
 * CAPA, STLS, USER, PASS, AUTH, APOP, QUIT.
 *
 * Lines are read through pop3-login-parser.c; authentication goes through
 * login-common.c to the auth process. Nothing after login happens here:
 * the mail service sends "+OK Logged in." itself. */
#ifndef LOFT_POP3_LOGIN_CLIENT_H
#define LOFT_POP3_LOGIN_CLIENT_H

#include "login-common.h"

extern const struct login_binary pop3_login_binary;

/* The greeting's APOP challenge "<pid.random.time@hostname>" into pool. */
const char *pop3_login_apop_challenge(pool_t pool);

#endif
