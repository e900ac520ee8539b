/* mail-session.h - the session base shared by the mail services' clients
 * (imap-client.c, pop3-client.c): what every logged-in session does the
 * same whatever its protocol.
 *
 * A protocol's client struct embeds a struct mail_session and hands it a
 * struct mail_session_vfuncs: the base owns the connection (an iostream
 * with bounded input and output buffers), the input, flush and idle-timer
 * handlers, the session list of the process (user+IP counting, shutdown),
 * the bad-command counter and the disconnect log line; the protocol owns
 * its parser, its commands and its mailbox state, and is called back for
 * them.
 *
 * The rules the base keeps:
 * - Event handlers (input, flush, timers, and a protocol's own through
 *   mail_session_handler_end()) are the only places that destroy a
 *   session: anything below them calls mail_session_disconnect(), which
 *   only marks it; the handler destroys it at its end, once the last reply
 *   has left (or cannot leave).
 * - Output goes out at the end of every handler. A command that has more
 *   output than fits waits (the protocol's command_waiting() says so) and
 *   is continued when the output has drained: from the flush callback,
 *   from the loop when the flush at the end of a handler drained it at
 *   once (then no flush callback comes), and as a safeguard from a slow
 *   timer whenever there is room again.
 * - Input is not read while a command waits, nor while the output is
 *   over the protocol's reserve; reading resumes once it drained.
 *
 * It knows nothing of IMAP or POP3 syntax, commands or mailboxes. */
#ifndef LOFT_MAIL_SESSION_H
#define LOFT_MAIL_SESSION_H

#include "lib.h"
#include "pool.h"
#include "log.h"
#include "mail-service.h"

struct iostream;
struct timeout;
struct mail_session;

/* How often a command waiting for its output is checked for room (the
 * safeguard against a lost flush wake-up). */
#define MAIL_SESSION_OUTPUT_CHECK_MSECS 500

/* What a protocol tells the base. All callbacks get the session; the
 * protocol's client is session->context. */
struct mail_session_vfuncs {
	/* "imap", "pop3": the log prefix "<name>(user)<pid><session>: " */
	const char *name;
	size_t max_input, max_output;
	/* Input is read, and a waiting command continued, only when this
	 * much output space is free. */
	size_t output_reserve;
	/* used when client_idle_timeout is 0 */
	unsigned int default_idle_secs;
	/* The session is disconnected at this many bad commands in a row
	 * (mail_session_bad_command()), with bad_commands_line sent and
	 * bad_commands_reason logged. */
	unsigned int bad_commands_limit;
	const char *bad_commands_line, *bad_commands_reason;
	/* sent at the idle timeout ("Disconnected for inactivity" logged)
	 * and at shutdown ("Server shutting down" logged) */
	const char *idle_line, *shutdown_line;

	/* Parses and runs the buffered input (mail_session_input_data():
	 * the leftover from the login first) until it runs out, a command
	 * waits, or mail_session_input_must_wait() says the output must
	 * drain first. */
	void (*process_input)(struct mail_session *session);
	/* True while a command is running (input is then not parsed and the
	 * stream buffers are kept). */
	bool (*command_running)(struct mail_session *session);
	/* True while a running command waits to be called again (for output
	 * room, or for something it is told about itself): input is not
	 * read then, and the command is continued by command_continue(). */
	bool (*command_waiting)(struct mail_session *session);
	/* Calls the waiting command again; there is output_reserve room. */
	void (*command_continue)(struct mail_session *session);
	/* True when the idle timer is to be ignored (IMAP IDLE keeps the
	 * connection alive itself). May be NULL. */
	bool (*idle_exempt)(struct mail_session *session);
	/* The statistics after the disconnect reason in the log line. */
	const char *(*logout_stats)(struct mail_session *session);
	/* The session is being disconnected (the line is logged): drop the
	 * running command's work, release what must not wait for the last
	 * reply to leave. May be NULL. */
	void (*disconnect)(struct mail_session *session);
	/* Frees the protocol's state (command, parser, mailbox): the session
	 * ends, or was refused before it started. The base then destroys
	 * the stream and unrefs the pool. */
	void (*destroy)(struct mail_session *session);
};

/* The fields that commands read (and direct writers into the stream
 * update), first in struct mail_session: a protocol's client may also
 * name them directly through MAIL_SESSION_CLIENT_FIELDS. */
#define MAIL_SESSION_SHARED_FIELDS                                             \
	struct iostream *stream;                                               \
	uint64_t input_bytes, output_bytes; /* for the logout line */          \
	bool output_error;                                                     \
	bool disconnecting /* flushing the last reply, then destroy */

struct mail_session {
	MAIL_SESSION_SHARED_FIELDS;
	struct mail_session *prev, *next;
	const struct mail_session_vfuncs *v;
	void *context; /* the protocol's client */
	/* the session's pool: the protocol's client is allocated from it */
	pool_t pool;
	struct timeout *to_idle;
	/* continues a waiting command from the loop (see the rules above) */
	struct timeout *to_continue;

	const char *user, *session_id, *remote_ip, *local_ip;
	const char *log_prefix; /* "imap(user)<pid><session>: " */
	/* input pipelined after login, parsed before the stream's */
	const unsigned char *leftover;
	size_t leftover_size;
	unsigned int bad_counter;

	bool started; /* in the session list */
	bool input_eof;
	bool input_paused;
	bool output_wait; /* input waits for the output to drain */
	bool destroyed;
};

/* Embeds the session in a protocol's client as "session", with its shared
 * fields also reachable as client->stream, client->disconnecting, ... (the
 * anonymous struct is the named one's common initial sequence). */
#define MAIL_SESSION_CLIENT_FIELDS                                             \
	union {                                                                \
		struct mail_session session;                                   \
		struct {                                                       \
			MAIL_SESSION_SHARED_FIELDS;                            \
		};                                                             \
	}

/* Sets up a session in the protocol's client (context, allocated from
 * pool, which the session then owns): the stream on fd (made non-blocking,
 * taken over), names for the log prefix and a copy of the leftover input
 * from params. Nothing is sent and no handler runs yet: the protocol sets
 * up its own state, then calls mail_session_start() or
 * mail_session_refuse(). */
void mail_session_init(struct mail_session *session,
		       const struct mail_session_vfuncs *v, void *context,
		       pool_t pool, int fd,
		       const struct mail_session_params *params);
/* Puts the session in the list, starts the idle timer (idle_secs, or the
 * protocol's default when 0) and the handlers, sends greeting (a line
 * without CR LF) and processes the leftover input. The session may be
 * gone when this returns. */
void mail_session_start(struct mail_session *session, unsigned int idle_secs,
			const char *greeting);
/* Refuses a session that was never started: logs reason with type, sends
 * line (without CR LF), flushes what it can and frees everything
 * (vfuncs->destroy, stream, pool). */
void mail_session_refuse(struct mail_session *session, const char *line,
			 enum log_type type, const char *reason);

/* Sessions of this process (of the one protocol it serves). */
unsigned int mail_sessions_count(void);
/* Live (not disconnecting) sessions of user, and of user from remote_ip
 * (NULL matches sessions without an address). */
unsigned int mail_sessions_count_user(const char *user);
unsigned int mail_sessions_count_user_ip(const char *user,
					 const char *remote_ip);
/* Closes every session: shutdown_line, "Server shutting down" logged. */
void mail_sessions_destroy_all(void);
/* Called whenever a session ends and none is left (graceful shutdown). */
void mail_sessions_set_empty_callback(void (*callback)(void));

/* ---- output ---- */

/* Bytes of output buffer still free. */
size_t mail_session_output_free(const struct mail_session *session);
/* Flushes; returns 1 all written, 0 some left (the flush callback
 * follows), -1 on error (the session is then disconnecting). */
int mail_session_flush(struct mail_session *session);
/* Makes room for need bytes of output: returns false when they fit now,
 * true when the caller must stop and wait to be called again (or the
 * session is closing). */
bool mail_session_output_wait(struct mail_session *session, size_t need);
/* Appends raw bytes; false when they do not fit (the client then does not
 * read what it asked for: disconnected, "Output buffer full"). */
bool mail_session_send_raw(struct mail_session *session, const void *data,
			   size_t size);
/* Appends line and CR LF, flushing first when they do not fit. */
void mail_session_send_line(struct mail_session *session, const char *line);
/* Direct writing into the output buffer, for producers that transform
 * data (FETCH and RETR bodies): returns where at least min_size bytes can
 * be written, with *size_r the room there; NULL (*size_r 0) when nothing
 * can be written now: the caller waits with mail_session_output_wait(),
 * which also tells a session that is closing (a closed stream is flushed
 * here, so that its error ends the session). */
unsigned char *mail_session_output_reserve(struct mail_session *session,
					   size_t min_size, size_t *size_r);
/* Appends size bytes written at mail_session_output_reserve()'s pointer
 * (counted in output_bytes). An error of the flush this may start shows
 * at the next wait or flush. */
void mail_session_output_commit(struct mail_session *session, size_t size);

/* ---- input, for process_input() ---- */

/* True when the output is over the reserve even after a flush: the caller
 * stops parsing; input is paused and resumes once the output drained. */
bool mail_session_input_must_wait(struct mail_session *session);
/* The input to parse next: the leftover from the login while any is
 * left, then the stream's buffer. */
const unsigned char *mail_session_input_data(struct mail_session *session,
					     size_t *size_r);
/* Consumes count bytes of what mail_session_input_data() returned. */
void mail_session_input_skip(struct mail_session *session, size_t count);
/* Stops reading input (a command runs); it resumes by itself when the
 * command is done and the session waits for the next one. */
void mail_session_stop_input(struct mail_session *session);

/* ---- commands ---- */

/* A command returned without finishing: it is continued when there is
 * room (arms the safeguard timer). */
void mail_session_command_waits(struct mail_session *session);
/* The command finished (drops the safeguard timer). */
void mail_session_command_done(struct mail_session *session);
/* Counts a bad command; at the protocol's limit the session is
 * disconnected. Returns true then. */
bool mail_session_bad_command(struct mail_session *session);
/* For a command that returned to wait for something other than its output
 * (APPEND waiting for a storage thread): does what the flush callback does
 * (continues the command, then reads on) and ends the handler: do not
 * touch the session afterwards. */
void mail_session_wakeup(struct mail_session *session);
/* For event handlers a protocol sets up itself (IMAP IDLE's change
 * notification and timer): call at their end. Flushes, and destroys the
 * session when it has been disconnected meanwhile: do not touch the
 * session afterwards. */
void mail_session_handler_end(struct mail_session *session);

/* ---- end and log ---- */

/* Sends last_line (may be NULL; without CR LF), logs "Disconnected:
 * <reason> <stats>" (or "<reason> <stats>" when reason starts with
 * "Disconnected", as Dovecot's "Disconnected for inactivity"), stops
 * input, lets the protocol drop its command, and destroys the session
 * once the output is flushed (at the end of the running handler).
 * Nothing happens when it is already disconnecting. */
void mail_session_disconnect(struct mail_session *session,
			     const char *last_line, const char *reason);

/* Logs with the session's prefix. */
void mail_session_log(struct mail_session *session, enum log_type type,
		      const char *fmt, ...) ATTR_FORMAT(3, 4);
void mail_session_logv(struct mail_session *session, enum log_type type,
		       const char *fmt, va_list args) ATTR_FORMAT(3, 0);

#endif
