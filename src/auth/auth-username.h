/* auth-username.h - the user name rules applied before any lookup:
 * validity and auth_username_chars, auth_username_translation,
 * auth_default_realm, auth_username_format, auth_realms, the master user
 * separator ("user*master"), the username_filter and wildcard
 * matching that decide whether a passdb/userdb applies to a name, and
 * the allow_nets check of a passdb's answer.
 *
 * Pure functions over the settings: no request, no logging. Not here:
 * what a passdb's "user" field does to the name (auth-request.c). */
#ifndef LOFT_AUTH_USERNAME_H
#define LOFT_AUTH_USERNAME_H

#include "lib.h"
#include "pool.h"
#include "settings.h"

/* Matches str against a pattern where '*' is any run of characters
 * (also none) and '?' exactly one byte. Case-sensitive, as Dovecot's. */
bool auth_wildcard_match(const char *str, const char *pattern);

/* username_filter: space separated patterns; "!pattern" excludes. The
 * name passes when no negative pattern matches and, if there is any
 * positive pattern, at least one matches. NULL or "" passes everything.
 * When the name is refused and why_r is not NULL, *why_r names the
 * pattern that decided (allocated from pool). */
bool auth_username_filter_match(pool_t pool, const char *filter,
				const char *user, const char **why_r);

/* Characters refused while auth_username_chars is empty (which Dovecot
 * documents as "allow all"): a driver could interpret them. */
#define AUTH_USERNAME_UNSAFE_CHARS "\"'\\*%/"

/* Checks a raw name from a client: not empty, at most
 * AUTH_USERNAME_MAX_LEN bytes, no NUL, valid UTF-8, no control
 * characters (C0, DEL), and only characters of auth_username_chars; when
 * that is empty, none of AUTH_USERNAME_UNSAFE_CHARS (except those that
 * auth_username_translation maps) and not "." or "..". Returns NULL when
 * valid, else a static error string. */
const char *auth_username_check(const struct loft_settings *set,
				const unsigned char *name, size_t len);

/* Applies auth_username_translation (pairs of from/to characters). */
const char *auth_username_translate(pool_t pool, const char *map,
				    const char *user);

/* The user name a lookup uses: translation, then auth_default_realm
 * when the name has no '@', then auth_username_format (default %Lu,
 * 2.4's %{user | lower}) expanded with the given request variables (any
 * may be NULL). Returns 0 with *user_r, or -1 with *error_r (format
 * failure or an empty result). */
int auth_username_normalize(pool_t pool, const struct loft_settings *set,
			    const char *user, const char *service,
			    const char *remote_ip, const char *local_ip,
			    const char *session, const char **user_r,
			    const char **error_r);

/* Splits "login*master" at the last auth_master_user_separator. Returns
 * true with both parts (pool) when the separator is set, found, and both
 * parts are non-empty; false otherwise. */
bool auth_username_split_master(pool_t pool, const struct loft_settings *set,
				const char *name, const char **login_user_r,
				const char **master_user_r);

/* Whether realm is one of auth_realms (any realm when auth_realms is
 * empty), for mechanisms that offer realms. */
bool auth_realm_is_allowed(const struct loft_settings *set, const char *realm);

/* allow_nets: comma or space separated IPv4/IPv6 addresses and CIDR
 * networks, and "local" for requests without a remote IP. Returns true
 * when remote_ip (NULL or "" = local) is in the list. A malformed entry
 * never matches and is reported in *error_r (static or pool) when
 * error_r is not NULL; the other entries still count. */
bool auth_allow_nets_match(pool_t pool, const char *nets, const char *remote_ip,
			   const char **error_r);

#endif
