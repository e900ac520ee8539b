/* pop3-worker.h - the mail worker process of one uid, and the message the
 * dispatcher sends it for each logged-in client.
 *
 * The dispatcher (pop3-dispatch.c) runs as root, validates a login's
 * hand-off with the auth process and passes the client to the worker of
 * the user's uid over a SOCK_SEQPACKET socketpair: one record carries the
 * client fd (SCM_RIGHTS) and one line
 *
 *   CLIENT \t user \t session_id \t local_ip \t local_port \t remote_ip \t
 *          remote_port \t flags \t leftover_base64 [\t userdb_field]* \n
 *
 * with every field tab-escaped (flags: comma separated "secured", "tls").
 * The worker answers each record with one record "OK\t<pid>\n" (it took
 * the client: from then on the client hears from the worker itself) or
 * "FAIL\t<reason>\n" (the client fd was closed).
 *
 * The worker is started by fork+exec of the pop3 binary with "--worker"
 * and this environment; it drops privileges before touching any mail. */
#ifndef LOFT_POP3_WORKER_H
#define LOFT_POP3_WORKER_H

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "service-env.h"
#include "login-handoff.h"
#include "pop3-client.h"

#define POP3_WORKER_ENV_FD "LOFT_WORKER_FD"
#define POP3_WORKER_ENV_UID "LOFT_WORKER_UID"
#define POP3_WORKER_ENV_GID "LOFT_WORKER_GID"
#define POP3_WORKER_ENV_USER "LOFT_WORKER_USER" /* for initgroups, or unset */
#define POP3_WORKER_ARG "--worker"

/* Largest request record: a full hand-off line plus userdb fields. */
#define POP3_WORKER_MAX_REQUEST (LOGIN_HANDOFF_MAX_LINE * 2)

struct login_handoff;

/* Appends the CLIENT line for a client (with the LF). userdb_fields is
 * NULL-terminated "key=value" (may be NULL). */
void pop3_worker_request_encode(string_t *dest, const char *user,
				const char *const *userdb_fields,
				const struct login_handoff *h);
/* Parses a CLIENT line (without the LF) into params; strings and the
 * decoded leftover are allocated from pool. Returns 0, or -1 with
 * *error_r when any field is malformed. */
int pop3_worker_request_decode(pool_t pool, const char *line,
			       struct pop3_session_params *params_r,
			       const char **error_r);

/* The worker role: reads the environment above, drops privileges, serves
 * clients until told to stop. Never returns (exits 0, or fatal). */
void pop3_worker_main(struct service_env *env) ATTR_NORETURN;

#endif
