/* auth-master-client.h - client side of the auth process's master socket
 * (base_dir/auth-master), used by mail services and loftadm.
 *
 * Speaks Dovecot's auth-master protocol:
 *   C: VERSION\t1\t0
 *   C: REQUEST\t<id>\t<client_pid>\t<client_auth_id>\t<cookie>
 *   S: USER\t<id>\t<user>\t<userdb fields...> | NOTFOUND\t<id> |
 * FAIL\t<id>\treason=... C: USER\t<id>\t<user>\tservice=<s>[\trip=..] S:
 * USER\t<id>\t<user>\t<fields> | NOTFOUND\t<id> | FAIL\t<id>\t... C:
 * PASS\t<id>\t<user>\tservice=<s> S: PASS\t<id>\t<user>\t<passdb fields> |
 * NOTFOUND | FAIL Lookups here are blocking with a timeout: they are used once
 * per login hand-off before a session starts, or by command-line tools. */
#ifndef LOFT_AUTH_MASTER_CLIENT_H
#define LOFT_AUTH_MASTER_CLIENT_H

#include "lib.h"
#include "pool.h"

struct auth_user_reply {
	const char *user;
	/* "key=value" userdb fields (uid, gid, home, mail, quota_rule, ...),
	 * NULL-terminated, unescaped. */
	const char *const *fields;
};

/* Returns the value of a field ("uid") or NULL. */
const char *auth_user_reply_field(const struct auth_user_reply *reply,
				  const char *key);

enum auth_master_result {
	AUTH_MASTER_RESULT_INTERNAL_ERROR = -1,
	AUTH_MASTER_RESULT_NOTFOUND = 0,
	AUTH_MASTER_RESULT_OK = 1,
};

/* Turns a login's successful authentication into its user and userdb
 * fields. socket_path is base_dir/auth-master. */
enum auth_master_result
auth_master_request(pool_t pool, const char *socket_path, pid_t client_pid,
		    unsigned int client_auth_id, const char *cookie,
		    unsigned int timeout_msecs, struct auth_user_reply *reply_r,
		    const char **error_r);

/* userdb lookup (USER). extra_fields: NULL-terminated "key=value" list
 * sent along (service=, rip=, lip=), may be NULL. */
enum auth_master_result
auth_master_user_lookup(pool_t pool, const char *socket_path, const char *user,
			const char *const *extra_fields,
			unsigned int timeout_msecs,
			struct auth_user_reply *reply_r, const char **error_r);

/* passdb lookup (PASS), same shape. */
enum auth_master_result
auth_master_pass_lookup(pool_t pool, const char *socket_path, const char *user,
			const char *const *extra_fields,
			unsigned int timeout_msecs,
			struct auth_user_reply *reply_r, const char **error_r);

#endif
