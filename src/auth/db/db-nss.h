/* db-nss.h - system user lookups for the passwd and shadow drivers:
 * getpwnam_r() / getspnam_r() run in the auth worker pool (NSS may be
 * backed by LDAP or other network services), with a deadline, and the
 * "lookup_timeout" driver setting shared by the blocking drivers.
 *
 * Not here: what a driver does with the entry. */
#ifndef LOFT_DB_NSS_H
#define LOFT_DB_NSS_H

#include "lib.h"
#include "db-common.h"
#include "auth-request.h"

#include <sys/types.h>

/* Default deadline for one blocking lookup (NSS, PAM). */
#define DB_LOOKUP_TIMEOUT_DEFAULT_MSECS (30 * 1000)

enum db_nss_kind {
	DB_NSS_PASSWD, /* getpwnam_r */
	DB_NSS_SHADOW, /* getspnam_r */
};

/* An entry, allocated from the request's pool. password is the passwd
 * or shadow password field (a crypt string, "x", "*", "!..." ...). */
struct db_nss_entry {
	const char *name;
	const char *password;
	const char *home;  /* passwd only */
	const char *shell; /* passwd only */
	uid_t uid;	   /* passwd only */
	gid_t gid;	   /* passwd only */
};

/* ret: 1 found (entry set), 0 no such user, -1 internal failure (already
 * logged: lookup error or timeout). Not called if the request was
 * aborted meanwhile. */
typedef void db_nss_callback_t(struct auth_request *request, int ret,
			       const struct db_nss_entry *entry, void *context);

/* Looks request->user up. The request is referenced until the callback
 * (or the abort) has been handled. driver names the log prefix. */
void db_nss_lookup(struct auth_request *request, const char *driver,
		   enum db_nss_kind kind, unsigned int timeout_msecs,
		   db_nss_callback_t *callback, void *context);

/* Reads the "lookup_timeout" driver setting ("30 secs", "500 ms", a bare
 * number is seconds). Returns 0 with *msecs_r (the default when unset),
 * or -1 with *error_r (pool) for a bad or zero value. */
int db_lookup_timeout_parse(pool_t pool, const struct db_args *args,
			    unsigned int *msecs_r, const char **error_r);

/* Whether a passwd/shadow password field can match any password: not
 * empty, not locked ('*' or '!' first, as passwd(5) and shadow(5)
 * describe) and not "x" (kept in the shadow database). */
bool db_nss_password_usable(const char *password);

#endif
