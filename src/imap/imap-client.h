/* imap-client.h - one IMAP session in a mail worker, after login.
 *
 * A session owns the client connection (an iostream whose output buffer is
 * bounded: a client that never reads is disconnected), its pool, its
 * command parser (imap-parser.h, with the post-login limits), the user's
 * mailbox list and, in the selected state, one mailbox handle. Sequence
 * numbers the client sees are the handle's: the handle is synced only
 * where RFC 3501 section 7.4.1 / RFC 9051 section 7.5.1 allow reporting
 * expunges, so seqs never shift under a command.
 *
 * Commands (imap-commands.h, one file each) run one at a time, in input
 * order. A command that produces more output than fits (FETCH of bodies,
 * SEARCH, LIST of a big tree) returns false and is called again when the
 * output has drained: nothing blocks and memory stays bounded. Input is
 * not read while a command runs, except for the streamed literals of
 * APPEND and the DONE that ends IDLE.
 *
 * The connection, its handlers, the idle timeout, the bad-command counter,
 * the logout line and the list of the process's sessions (user+IP
 * counting, shutdown) are the session base's, embedded as client->session
 * (src/mailsvc/mail-session.h); this module is what is IMAP's. */
#ifndef LOFT_IMAP_CLIENT_H
#define LOFT_IMAP_CLIENT_H

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "log.h"
#include "settings.h"
#include "mail-service.h"
#include "mail-session.h"

/* Bytes of output queued before the session is considered not reading
 * (then it is disconnected, "Disconnected: Output buffer full"). The
 * buffer grows to this only while a large response waits for a slow
 * socket, and is freed between commands. A FETCH of bodies hands the
 * kernel up to half of it per send(): a quarter as many sends (and
 * wake-ups of the reader) as with 256 KiB, about 10% more MB/s on
 * loopback (doc/performance.md). */
#define IMAP_CLIENT_MAX_OUTPUT (1024 * 1024)
/* A command runs (or continues) only when this much output space is
 * free; one FETCH response line of metadata must fit in it. */
#define IMAP_CLIENT_OUTPUT_RESERVE 8192
#define IMAP_CLIENT_MAX_BAD_COMMANDS 20
/* Input buffer: commands are parsed incrementally, so this bounds only
 * how much is read at once. */
#define IMAP_CLIENT_MAX_INPUT 32768
/* Largest message APPEND accepts (RFC 7889 APPENDLIMIT=n; the parser
 * refuses a larger streamed literal with NO [TOOBIG]). */
#define IMAP_CLIENT_APPENDLIMIT (64ULL * 1024 * 1024)
/* RFC 3501 section 5.4: at least 30 minutes of inactivity. */
#define IMAP_CLIENT_DEFAULT_IDLE_SECS (30 * 60)
#define IMAP_INTERNAL_ERROR                                                    \
	"Internal error occurred. Refer to server log for more information."

struct mailbox;
struct mailbox_list;
struct iostream;
struct timeout;
struct imap_parser;
struct imap_arg;
struct imap_parser_event;
struct client;
struct client_command;
struct command;

/* What the worker knows about a logged-in client comes from the hand-off
 * (struct mail_session_params in mail-service.h); its tag is that of the
 * LOGIN/AUTHENTICATE command, for the tagged "OK [CAPABILITY ...] Logged
 * in" the session sends first. */

enum client_state {
	CLIENT_STATE_AUTHENTICATED = 0,
	CLIENT_STATE_SELECTED,
	CLIENT_STATE_LOGOUT,
};

/* ENABLEd extensions (RFC 5161). CONDSTORE is also enabled implicitly by
 * the first command that uses it (RFC 7162 section 3.1). */
enum client_enabled {
	CLIENT_ENABLED_CONDSTORE = 0x01,
	CLIENT_ENABLED_QRESYNC = 0x02,
	CLIENT_ENABLED_UTF8_ACCEPT = 0x04,
	CLIENT_ENABLED_IMAP4REV2 = 0x08,
};

struct client {
	/* the connection, handlers, output bounds, idle timer, the session
	 * list and the logout line (src/mailsvc/mail-session.h): "session",
	 * with stream, input_bytes, output_bytes, output_error and
	 * disconnecting also named directly */
	MAIL_SESSION_CLIENT_FIELDS;
	pool_t pool; /* the session's pool (session.pool) */
	const struct loft_settings *set;
	struct imap_parser *parser;

	const char *home; /* userdb home, or NULL */

	/* The user's private namespace: mailbox names the client sends are
	 * prefix + storage name (client_mailbox_name_*). */
	struct mailbox_list *list;
	char separator;
	const char *ns_prefix; /* "" or e.g. "INBOX." */

	enum client_state state;
	enum client_enabled enabled;

	/* SELECTED state */
	struct mailbox *box;
	const char *box_name; /* storage name (UTF-8) */
	bool box_readonly;    /* EXAMINE */
	/* the EXISTS count last reported to the client (a command that
	 * sends EXPUNGE or EXISTS itself updates it) */
	unsigned int box_reported_exists;
	/* the RECENT count last reported (IMAP4rev1): a sync that changes
	 * it sends "* n RECENT", as Dovecot does, also after expunges */
	unsigned int box_reported_recent;
	/* SEARCHRES (RFC 5182): the saved result as sorted UIDs; NULL when
	 * none was saved (then "$" is the empty set). Reset at SELECT. */
	uint32_t *search_saved_uids;
	unsigned int search_saved_count;

	/* the command running now (NULL between commands) */
	struct client_command *cmd;

	uint64_t fetch_bytes, append_bytes; /* for the logout line */
	unsigned int fetch_count, expunged_count, deleted_count;

	/* IDLE: the line the client sent while idling (the core reads
	 * lines only while idling is set and calls command->func again with
	 * it; NULL otherwise) */
	const char *idle_line;
	bool cmd_finished; /* the running command sent its tagged reply */
	bool parser_literal_minus; /* the parser's LITERAL- mode */
	bool idling;		   /* IDLE: input is read only for DONE */
};

/* One running command. Allocated from its own pool, freed by the core
 * when the command finishes. */
struct client_command {
	struct client *client;
	pool_t pool;
	const struct command *command;
	const char *tag;
	const char *name;	     /* upper-case, without the UID prefix */
	const struct imap_arg *args; /* ends with IMAP_ARG_EOL */
	unsigned int args_count;
	bool uid; /* "UID FETCH" etc. */

	/* Command state between calls of command->func; the command's own
	 * business. */
	void *context;
	/* Called when the command is dropped before it finished (the
	 * session ends): release what context holds. May be NULL. */
	void (*abort)(struct client_command *cmd);
};

/* Starts a session on fd, which is taken over (closed on any failure).
 * On success the tagged "<tag> OK [CAPABILITY ...] Logged in" has been
 * sent and leftover input is being processed. When the session cannot
 * start (mailbox list error, too many connections from user+IP) the client
 * gets "* BYE <reason>", the reason is logged and the connection is
 * closed: the caller need not tell the two cases apart. */
void imap_client_create(int fd, const struct loft_settings *set,
			const struct mail_session_params *params);

/* Number of sessions of this process. */
unsigned int imap_clients_count(void);
/* Closes every session ("* BYE Server shutting down."). */
void imap_clients_destroy_all(void);
/* Called whenever a session ends and none is left (graceful shutdown). */
void imap_clients_set_empty_callback(void (*callback)(void));

/* ---- output ---- */

/* Appends one line; CR LF is added. A line that does not fit in the output
 * buffer disconnects the client. */
void client_send_line(struct client *client, const char *line);
/* "* " + printf + CR LF */
void client_send_untagged(struct client *client, const char *fmt, ...)
    ATTR_FORMAT(2, 3);
/* Appends raw bytes (literal contents); false when they do not fit (the
 * client is then closing). */
bool client_send_raw(struct client *client, const void *data, size_t size);
/* Bytes of output buffer still free. */
size_t client_output_free(const struct client *client);
/* Direct writing into the output buffer (FETCH bodies): see
 * mail_session_output_reserve() and mail_session_output_commit(). */
unsigned char *client_output_reserve(struct client *client, size_t min_size,
				     size_t *size_r);
void client_output_commit(struct client *client, size_t size);
/* Makes room for need bytes of output: returns false when they fit now,
 * true when the caller must stop (return false from command->func) and
 * wait to be called again (or the session is closing). */
bool client_output_wait(struct client *client, size_t need);

/* For event callbacks a command sets up itself (IDLE's change
 * notification and timer): call at their end. Flushes the output and
 * destroys the session when it has been disconnected meanwhile; the
 * client must not be touched afterwards. */
void client_handler_end(struct client *client);
/* For a command that returned false to wait for something other than its
 * output (APPEND waiting for a storage thread): runs it again now, then
 * goes on reading input as after an output flush, and ends the handler
 * (client_handler_end(): do not touch the client afterwards). */
void client_command_wakeup(struct client *client);

/* Logs with the session's prefix. */
void client_log(struct client *client, enum log_type type, const char *fmt, ...)
    ATTR_FORMAT(3, 4);

/* Sends "* BYE <text>", logs "Disconnected: <reason> <stats>" (or
 * "<reason> <stats>" when reason starts with "Disconnected") and destroys
 * the session once the output is flushed. bye_text may be NULL (no BYE). */
void client_disconnect(struct client *client, const char *bye_text,
		       const char *reason);

/* ---- command replies ---- */

/* Finishes the command with its tagged reply. text is what follows the
 * tag: "OK [READ-WRITE] Select completed.", "NO [TRYCREATE] Mailbox
 * doesn't exist: X". Before an OK, pending mailbox changes are reported
 * (EXISTS, FETCH flags, and EXPUNGE / VANISHED where the command allows:
 * see COMMAND_FLAG_BREAKS_SEQS in imap-commands.h). The command must not
 * touch cmd after this (it returns true from command->func). */
void client_command_reply(struct client_command *cmd, const char *text);
/* "<tag> BAD Error in IMAP command <NAME>: <msg>" (Dovecot's shape);
 * counts toward IMAP_CLIENT_MAX_BAD_COMMANDS. Finishes the command. */
void client_command_bad(struct client_command *cmd, const char *msg);
/* "<tag> NO [code] text" for a storage error; code may be NULL. Finishes
 * the command. */
void client_command_no(struct client_command *cmd, const char *code,
		       const char *text);

/* ---- mailbox state ---- */

/* Syncs the selected mailbox with what others changed and sends the
 * untagged EXISTS, RECENT (rev1), FETCH (FLAGS [MODSEQ]) and, when
 * allow_expunges, EXPUNGE (or VANISHED with QRESYNC) responses. NOOP,
 * CHECK and IDLE call it; client_command_reply() calls it for every
 * command. Returns 0, or -1 after logging (the mailbox is then unusable:
 * the client gets "* BYE" and is disconnected). */
int client_sync_mailbox(struct client *client, bool allow_expunges);

/* Closes the selected mailbox (CLOSE, UNSELECT, SELECT of another):
 * back to the authenticated state, SEARCHRES result forgotten. */
void client_close_mailbox(struct client *client);

/* Mailbox names (RFC 3501 section 5.1, RFC 9051 section 5.1): decodes the
 * name a client sent (modified UTF-7 unless UTF8=ACCEPT/IMAP4rev2 is
 * enabled; "INBOX" in any case is INBOX) and strips the namespace prefix.
 * Returns true with the storage name, or false with *error_r (a text for
 * "NO" or "BAD") for an invalid name. */
bool client_mailbox_name_from_imap(struct client *client, const char *name,
				   const char **storage_name_r,
				   const char **error_r);
/* Appends the IMAP form of a storage name (prefix added, encoded as the
 * client expects, quoted as an astring). */
void client_mailbox_name_to_imap(struct client *client,
				 const char *storage_name, string_t *dest);

/* The CAPABILITY list after login ("IMAP4rev1 SASL-IR LOGIN-REFERRALS
 * ..."), imap_capability setting applied. */
const char *client_capability_string(struct client *client);

#endif
