/* login-handoff.h - the message a login process sends to a mail service
 * when a client has logged in, and the answer it gets.
 *
 * The login process connects to the mail service's UNIX socket
 * (base_dir/login/pop3, base_dir/login/imap) and sends, with
 * fd_send(), the client connection's fd and one line:
 *
 *   LOGIN \t auth_pid \t auth_id \t cookie \t session_id \t local_ip \t
 *         local_port \t remote_ip \t remote_port \t flags \t leftover \t
 *         tag \n
 *
 * auth_pid/auth_id/cookie identify the successful authentication at the
 * auth process (CPID pid and request id of the login's auth client
 * connection, cookie from the auth server's COOKIE line); the mail service
 * turns them into the user and userdb fields with an auth-master REQUEST,
 * so a login process cannot pick the user. flags is a comma separated list
 * of "secured" (TLS or trusted), "tls" (the fd is a proxy socketpair of a
 * TLS connection). leftover is base64 of input the client pipelined after
 * its login command (may be empty). tag is the IMAP tag of the command that
 * logged in, for the mail service's tagged OK (empty for POP3). Fields are
 * tab-escaped (str_append_tabescaped). Maximum line length
 * LOGIN_HANDOFF_MAX_LINE.
 *
 * The service answers one line: "OK\n", or "FAIL\t<reason>\n" where
 * reason is safe to show to the client (e.g. "[SYS/TEMP] ..."). */
#ifndef LOFT_LOGIN_HANDOFF_H
#define LOFT_LOGIN_HANDOFF_H

#include "lib.h"
#include "pool.h"
#include "str.h"

#define LOGIN_HANDOFF_MAX_LINE 65536

struct login_handoff {
	pid_t auth_pid;
	unsigned int auth_id;
	const char *cookie; /* 32 hex chars */
	const char *session_id;
	const char *local_ip;
	unsigned int local_port;
	const char *remote_ip;
	unsigned int remote_port;
	bool secured;
	bool tls;
	const unsigned char *leftover;
	size_t leftover_size;
	const char *tag; /* NULL or "" when the protocol has none */
};

/* Appends the LOGIN line (with the trailing LF). */
void login_handoff_encode(const struct login_handoff *h, string_t *dest);
/* Parses one line (without the LF). Strings are allocated from pool.
 * Returns 0, or -1 with *error_r on any malformed field. */
int login_handoff_decode(pool_t pool, const char *line,
			 struct login_handoff *h_r, const char **error_r);

/* The mail service's answer. login_handoff_reply_ok() appends "OK\n", or
 * "OK\t<mail_pid>\n" when mail_pid > 0; login_handoff_reply_fail() appends
 * "FAIL\t<reason>\n" with reason tab-escaped. */
void login_handoff_reply_ok(string_t *dest, pid_t mail_pid);
void login_handoff_reply_fail(string_t *dest, const char *reason);
/* Parses an answer line (without the LF). Returns 1 for OK with *mail_pid_r
 * (0 when the service did not give one), 0 for FAIL with *reason_r
 * allocated from pool, -1 when the line is malformed (*reason_r then says
 * why). */
int login_handoff_parse_reply(pool_t pool, const char *line, pid_t *mail_pid_r,
			      const char **reason_r);

#endif
