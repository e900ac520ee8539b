/* mail-service.h - the process framework shared by the mail services
 * (pop3, imap): a dispatcher that takes logged-in clients from the login
 * processes, and per-uid workers that serve the sessions.
 *
 * The service binary calls mail_service_main() with its hooks. Without
 * arguments it is the dispatcher: it accepts connections from login
 * processes on "login/<protocol>", reads the client fd and the LOGIN line
 * (login-handoff.h), asks the auth process (auth-master REQUEST) who the
 * user is, and hands the client to the worker process of the user's uid,
 * starting it on demand (fork+exec of the same binary with
 * MAIL_WORKER_ARG). The worker's answer is relayed to the login
 * ("OK\t<pid>" or "FAIL\t<reason>"). The dispatcher never reads mail and
 * never parses client bytes.
 *
 * The dispatcher passes a client to the worker over a SOCK_SEQPACKET
 * socketpair: one record carries the client fd (SCM_RIGHTS) and one line
 *
 *   CLIENT \t user \t session_id \t local_ip \t local_port \t remote_ip \t
 *          remote_port \t flags \t leftover_base64 \t tag
 *          [\t userdb_field]* \n
 *
 * with every field tab-escaped (flags: comma separated "secured", "tls";
 * tag: the IMAP tag of the login command, empty for POP3). The worker
 * answers each record with one record "OK\t<pid>\n" (it took the client)
 * or "FAIL\t<reason>\n" (the client fd was closed). The worker changes to
 * its uid/gid before touching any mail and calls hooks->client_create()
 * for each client.
 *
 * Users sharing a uid are spread over mail_workers_per_uid workers; a
 * user always goes to the same one, so per-user limits see all of that
 * user's sessions.
 *
 * SIGTERM: workers are told to stop and the dispatcher exits. SIGQUIT:
 * no new logins; exits when the last worker has gone. A worker stops at
 * once on SIGTERM, and on SIGQUIT or when the dispatcher is gone when its
 * last session ends. The protocol's sessions are not this module's
 * business. */
#ifndef LOFT_MAIL_SERVICE_H
#define LOFT_MAIL_SERVICE_H

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "settings.h"
#include "login-handoff.h"

#define MAIL_WORKER_ENV_FD "LOFT_WORKER_FD"
#define MAIL_WORKER_ENV_UID "LOFT_WORKER_UID"
#define MAIL_WORKER_ENV_GID "LOFT_WORKER_GID"
#define MAIL_WORKER_ENV_USER "LOFT_WORKER_USER" /* for initgroups, or unset */
#define MAIL_WORKER_ARG "--worker"

/* Largest request record: a full hand-off line plus userdb fields. */
#define MAIL_WORKER_MAX_REQUEST (LOGIN_HANDOFF_MAX_LINE * 2)

/* What a worker knows about a logged-in client. */
struct mail_session_params {
	const char *user;
	const char *session_id;
	const char *local_ip;  /* may be NULL */
	const char *remote_ip; /* may be NULL */
	unsigned int local_port, remote_port;
	bool secured, tls;
	/* the tag of the IMAP command that logged in ("" for POP3) */
	const char *tag;
	/* userdb fields "key=value", NULL-terminated (may be NULL) */
	const char *const *userdb_fields;
	const unsigned char *leftover; /* input pipelined after login */
	size_t leftover_size;
};

/* What a protocol plugs into the framework. */
struct mail_service_hooks {
	/* "pop3", "imap": the service/protocol name, the config filter and
	 * the login socket "login/<protocol>" */
	const char *protocol;
	/* Starts a session on fd, which it takes over (and closes on any
	 * failure; refusing the client is its own business). */
	void (*client_create)(int fd, const struct loft_settings *set,
			      const struct mail_session_params *params);
	unsigned int (*clients_count)(void);
	/* closes every session (server shutting down) */
	void (*clients_destroy_all)(void);
	/* the callback is called whenever the last session has ended */
	void (*clients_set_empty_callback)(void (*callback)(void));
};

/* Runs the dispatcher, or the worker when argv[1] is MAIL_WORKER_ARG.
 * Never returns. */
void mail_service_main(const struct mail_service_hooks *hooks, int argc,
		       char **argv) ATTR_NORETURN;

/* The value of a userdb field of params, or NULL. */
const char *mail_session_userdb_field(const struct mail_session_params *params,
				      const char *key);

/* Decides the uid/gid a user's mail is served as: userdb "uid"/"gid"
 * (numbers or names), else mail_uid/mail_gid, else, when not running as
 * root, the current ones (as they are when not root anyway). Returns 0,
 * or -1 with *error_r (for the log) when there is none or the uid is
 * refused (0, or below first_valid_uid / above last_valid_uid). */
int mail_service_get_ids(const struct loft_settings *set, const char *uid_field,
			 const char *gid_field, uid_t *uid_r, gid_t *gid_r,
			 const char **error_r);

/* Appends the CLIENT line for a client (with the LF). userdb_fields is
 * NULL-terminated "key=value" (may be NULL). */
void mail_worker_request_encode(string_t *dest, const char *user,
				const char *const *userdb_fields,
				const struct login_handoff *h);
/* Parses a CLIENT line (without the LF) into params; strings and the
 * decoded leftover are allocated from pool. Returns 0, or -1 with
 * *error_r when any field is malformed. */
int mail_worker_request_decode(pool_t pool, const char *line,
			       struct mail_session_params *params_r,
			       const char **error_r);

#endif
