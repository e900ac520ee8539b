/* imap-login-cmd.h - the pure part of imap-login: which pre-login command a
 * parsed IMAP command is and what its arguments say (RFC 3501 section 6.1
 * and 6.2, RFC 4959 SASL-IR, RFC 2971 ID, RFC 5161 ENABLE), the
 * CAPABILITY list before login and the ID reply built from imap_id_send.
 *
 * The command's tag, name and arguments come from imap-parser.h (with
 * imap_parser_prelogin_settings); nothing here does I/O, talks to auth or
 * knows the connection. Replies are imap-login-client.c's business. */
#ifndef LOFT_IMAP_LOGIN_CMD_H
#define LOFT_IMAP_LOGIN_CMD_H

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "imap-parser.h"

/* Dovecot's imap-login closes the connection at the third bad command. */
#define IMAP_LOGIN_MAX_BAD_COMMANDS 3
/* ID (RFC 2971 section 3.3): at most 30 field/value pairs; field names at
 * most 30 bytes, values at most 1024. */
#define IMAP_LOGIN_ID_MAX_PAIRS 30
#define IMAP_LOGIN_ID_MAX_KEY_LEN 30
#define IMAP_LOGIN_ID_MAX_VALUE_LEN 1024

/* The pre-login capabilities that do not depend on the connection, as
 * Dovecot's imap-login lists them (LITERAL+ becomes LITERAL- with
 * imap_literal_minus). */
#define IMAP_LOGIN_CAPABILITY_BANNER                                           \
	"IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE"

/* The reply to an unknown command or bad arguments, Dovecot's wording. */
#define IMAP_LOGIN_MSG_BAD_COMMAND "Error in IMAP command received by server."

enum imap_login_cmd_type {
	IMAP_LOGIN_CMD_UNKNOWN = 0,
	IMAP_LOGIN_CMD_CAPABILITY,
	IMAP_LOGIN_CMD_NOOP,
	IMAP_LOGIN_CMD_LOGOUT,
	IMAP_LOGIN_CMD_ID,
	IMAP_LOGIN_CMD_ENABLE,
	IMAP_LOGIN_CMD_STARTTLS,
	IMAP_LOGIN_CMD_LOGIN,
	IMAP_LOGIN_CMD_AUTHENTICATE,
};

struct imap_login_cmd {
	enum imap_login_cmd_type type;
	/* LOGIN: the astrings, pointing into the parser's arguments (the
	 * caller wipes the password there when done). */
	const char *user, *password;
	/* AUTHENTICATE: the mechanism (as sent) and the initial response:
	 * NULL when none was given, "" for "=" (RFC 4959 section 3). */
	const char *mech;
	const char *initial_resp;
	/* ID: field/value pairs (value NULL for NIL), id_count of them;
	 * NULL for "ID NIL". Allocated from the pool given. */
	const char **id_fields;
	unsigned int id_count;
};

/* Looks the command up by its upper-case name and checks its arguments.
 * Returns 1 with *cmd_r filled, 0 for an unknown command, -1 for a known
 * one with bad arguments (*error_r: the text for "<tag> BAD"; the fields
 * read before the error stay set, so that a password can be wiped).
 * Arguments that a command does not take are ignored, as Dovecot does. */
int imap_login_cmd_parse(pool_t pool, const char *name,
			 const struct imap_arg *args,
			 struct imap_login_cmd *cmd_r, const char **error_r);

/* True when s is non-empty base64 text (RFC 4648 alphabet and '='). */
bool imap_login_is_base64(const char *s);

struct imap_login_capability_params {
	/* imap_capability: "" = the banner, "+X Y" = banner plus X Y,
	 * otherwise the list itself */
	const char *imap_capability;
	bool literal_minus;
	bool starttls;	    /* TLS can be started */
	bool logindisabled; /* LOGIN is refused (RFC 3501 section 6.2.3) */
	const char *const *mechs; /* AUTH= mechanisms, NULL-terminated */
};

/* Appends the pre-login CAPABILITY list (no "CAPABILITY" word, no CRLF). */
void imap_login_capability_append(string_t *dest,
				  const struct imap_login_capability_params *p);

/* Appends the ID reply's argument (RFC 2971 section 3.2) for the
 * imap_id_send setting: "NIL" when it is empty, else a parenthesised list
 * of quoted field/value pairs. The setting is "field value" pairs
 * separated by spaces, values optionally double-quoted; the value "*" is
 * the built-in one for name, version, os and os-version (other fields
 * given "*" are left out). */
void imap_login_id_reply_append(string_t *dest, const char *imap_id_send);

/* Appends the client's ID fields that the imap_id_log setting selects
 * ("*" = all, else field names separated by spaces, any case) as
 * "name=value, name2=NIL", with control characters as '?'. Returns false
 * (nothing appended) when none is selected. */
bool imap_login_id_log_append(string_t *dest, const char *imap_id_log,
			      const struct imap_login_cmd *cmd);

#endif
