/* imap-login-client.h - the IMAP side of the login process: the greeting
 * "* OK [CAPABILITY ...] <login_greeting>" and the commands allowed before
 * login (RFC 3501 section 6.1 and 6.2, RFC 9051): CAPABILITY, NOOP,
 * LOGOUT, ID (RFC 2971), ENABLE (ignored, as Dovecot does), STARTTLS,
 * LOGIN and AUTHENTICATE with SASL-IR (RFC 4959), with Dovecot's reply
 * texts and RFC 5530 response codes.
 *
 * Commands are read with imap-parser.h under imap_parser_prelogin_settings,
 * so a client that has not logged in costs little memory whatever it
 * sends. Authentication and the hand-off go through login-common.c; the
 * hand-off carries the tag of the command that logged in and the input
 * the client pipelined after it, and the mail service sends the tagged
 * "OK [CAPABILITY ...] Logged in" itself. */
#ifndef LOFT_IMAP_LOGIN_CLIENT_H
#define LOFT_IMAP_LOGIN_CLIENT_H

#include "login-common.h"

extern const struct login_binary imap_login_binary;

#endif
