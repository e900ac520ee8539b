/* pop3-client.h - one POP3 session in a mail worker, after login.
 *
 * A session owns the client connection (an iostream with an 8 KB input and
 * a 64 KB output limit), its pool, the user's INBOX and the session's view
 * of it: the messages that existed at login, their sizes, and which of them
 * are marked deleted or retrieved. Commands (pop3-commands.h) act on this
 * view; QUIT applies it (RFC 1939 UPDATE state). A session never blocks:
 * long output (RETR, LIST, UIDL) continues when the output has drained.
 *
 * The connection, its handlers, the idle timeout, the bad-command counter,
 * the logout line and the list of the process's sessions (user+IP
 * counting, shutdown) are the session base's, embedded as client->session
 * (src/mailsvc/mail-session.h); this module is what is POP3's. It does
 * not know how the connection arrived (see mail-service.h). */
#ifndef LOFT_POP3_CLIENT_H
#define LOFT_POP3_CLIENT_H

#include "lib.h"
#include "pool.h"
#include "log.h"
#include "settings.h"
#include "mail-service.h"
#include "mail-session.h"

#define POP3_CLIENT_MAX_INPUT 8192
#define POP3_CLIENT_MAX_OUTPUT 65536
/* How often a session refreshes its POP3 session lock. */
#define POP3_LOCK_REFRESH_MSECS (60 * 1000)
/* A command runs only when this much output space is free; lines of
 * LIST/UIDL are produced while it is. */
#define POP3_CLIENT_OUTPUT_RESERVE 4096
#define POP3_CLIENT_MAX_BAD_COMMANDS 20
#define POP3_CLIENT_DEFAULT_IDLE_SECS 600
/* Client text echoed in -ERR lines is cut to this length. */
#define POP3_CLIENT_MAX_ECHO 64
#define POP3_DEFAULT_UIDL_FORMAT "%08Xu%08Xv"
#define POP3_INTERNAL_ERROR                                                    \
	"Internal error occurred. Refer to server log for more information."

struct mailbox;
struct iostream;
struct timeout;
struct pop3_parser;
struct pop3_client;

/* A command that could not finish because the output buffer filled up.
 * Returns 1 when done (also when it ended the session with
 * client_disconnect()), 0 to be called again when the output drains. */
typedef int pop3_command_continue_t(struct pop3_client *client);

struct pop3_client {
	/* the connection, handlers, output bounds, idle timer, the session
	 * list and the logout line (src/mailsvc/mail-session.h): "session",
	 * with stream, input_bytes, output_bytes, output_error and
	 * disconnecting also named directly */
	MAIL_SESSION_CLIENT_FIELDS;
	pool_t pool; /* the session's pool (session.pool) */
	const struct loft_settings *set;
	struct pop3_parser *parser;
	struct mailbox *box;
	/* keeps the POP3 session lock fresh while the session lives */
	struct timeout *to_lock_refresh;

	/* the mailbox as it was at login: message i is seq i+1 */
	unsigned int msg_count;
	uint64_t *msg_sizes; /* CRLF sizes */
	uint64_t total_size;
	uint8_t *deleted; /* bitmap */
	unsigned int deleted_count;
	uint64_t deleted_size;
	uint8_t *seen; /* retrieved, \Seen to be added */
	unsigned int seen_count;
	unsigned int highest_expunged_fetch; /* msg index + 1 */

	/* the running command that waits for the output to drain */
	pop3_command_continue_t *cmd_continue;
	/* called when a running command is dropped (session ends) */
	void (*cmd_abort)(struct pop3_client *client);
	void *cmd_context;
	pool_t cmd_pool; /* freed when the command finishes */

	unsigned int top_count, retr_count;
	uint64_t top_bytes, retr_bytes;

	char echo_buf[POP3_CLIENT_MAX_ECHO + 1];

	bool quit_seen;
	bool delete_success;
};

/* Starts a session on fd, which is taken over (closed on any failure).
 * On success "+OK Logged in." has been sent and leftover input is being
 * processed. When the session cannot start (mailbox error, session lock
 * held, too many connections from user+IP) the client gets an -ERR line,
 * the reason is logged and the connection is closed: the caller need not
 * tell the two cases apart. */
void pop3_client_create(int fd, const struct loft_settings *set,
			const struct mail_session_params *params);

/* Number of sessions of this process. */
unsigned int pop3_clients_count(void);
/* Closes every session ("-ERR Server shutting down." to the client). */
void pop3_clients_destroy_all(void);
/* Called whenever a session ends and none is left (graceful shutdown). */
void pop3_clients_set_empty_callback(void (*callback)(void));

/* Appends one reply line (CR LF added). A reply that does not fit in the
 * output buffer disconnects the client. */
void client_send_line(struct pop3_client *client, const char *fmt, ...)
    ATTR_FORMAT(2, 3);
/* Appends raw bytes; false when they do not fit (client then closing). */
bool client_send_raw(struct pop3_client *client, const void *data, size_t size);
/* Bytes of output buffer still free. */
size_t client_output_free(const struct pop3_client *client);
/* Direct writing into the output buffer (RETR and TOP): see
 * mail_session_output_reserve() and mail_session_output_commit(). */
unsigned char *client_output_reserve(struct pop3_client *client,
				     size_t min_size, size_t *size_r);
void client_output_commit(struct pop3_client *client, size_t size);
/* Makes room for need bytes of output: returns false when they fit now,
 * true when the caller must stop and wait for the flush callback (or the
 * session is closing because writing failed). */
bool client_output_wait(struct pop3_client *client, size_t need);
/* Flushes; returns 1 all written, 0 some left (the flush callback
 * follows), -1 on error. */
int client_flush(struct pop3_client *client);

/* Client text made safe to echo in a reply: control characters become
 * '?', cut to POP3_CLIENT_MAX_ECHO bytes. The result lives in the client
 * until the next call. */
const char *client_echo(struct pop3_client *client, const char *text);

/* Logs with the session's prefix. */
void client_log(struct pop3_client *client, enum log_type type, const char *fmt,
		...) ATTR_FORMAT(3, 4);

/* Sends the final reply already queued, logs "Disconnected: <reason>
 * <stats>" (or "<reason> <stats>" when reason starts with
 * "Disconnected"), and destroys the session once the output is flushed. */
void client_disconnect(struct pop3_client *client, const char *reason);

/* Parses a message number at the start of args (Dovecot's rules: see
 * pop3_parse_number). On success returns true with *idx_r the 0-based
 * message index and *rest_r the arguments after it; on failure the -ERR
 * line has been sent and false is returned. Deleted messages are refused
 * ("-ERR Message is deleted."). */
bool client_get_msgnum(struct pop3_client *client, const char *args,
		       bool then_space, unsigned int *idx_r,
		       const char **rest_r);

static inline bool client_msg_is_deleted(const struct pop3_client *client,
					 unsigned int idx)
{
	return (client->deleted[idx / 8] & (1u << (idx % 8))) != 0;
}

/* Applies the session: \Seen to retrieved messages (unless
 * pop3_no_flag_updates), and with QUIT also expunges the deleted ones.
 * Returns 0, or -1 when expunging failed (logged). */
int client_update_mailbox(struct pop3_client *client);

#endif
