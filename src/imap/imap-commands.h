/* imap-commands.h - the table of IMAP commands the mail process knows, and
 * the one function each command file (cmd-<name>.c) provides.
 *
 * The core (imap-client.c) looks a command up by its upper-case name
 * (after an optional "UID " prefix), checks the state and the UID prefix
 * against its flags, and calls func. func returns true when the command
 * has finished (it has called client_command_reply(), _bad() or _no()),
 * false when it must be called again once the output has drained (it
 * keeps its position in cmd->context).
 *
 * Argument syntax errors are the command's to detect and answer with
 * client_command_bad(). */
#ifndef LOFT_IMAP_COMMANDS_H
#define LOFT_IMAP_COMMANDS_H

#include "imap-client.h"

struct imap_parser_event;

typedef bool command_func_t(struct client_command *cmd);

enum command_flags {
	/* allowed in the authenticated state (and selected) */
	COMMAND_FLAG_AUTH = 0x01,
	/* allowed only in the selected state */
	COMMAND_FLAG_SELECTED = 0x02,
	/* may be prefixed with UID (FETCH STORE COPY MOVE SEARCH EXPUNGE) */
	COMMAND_FLAG_UID = 0x04,
	/* The command's sequence numbers must stay stable, so no EXPUNGE may
	 * be reported after it (RFC 3501 section 7.4.1: FETCH, STORE, SEARCH
	 * without UID). With the UID prefix the flag is ignored. */
	COMMAND_FLAG_NO_EXPUNGE_REPORTS = 0x08,
	/* Literals of this command are streamed to literal_begin/_data
	 * (APPEND) instead of being buffered in the parser. */
	COMMAND_FLAG_STREAM_LITERALS = 0x10,
};

/* For COMMAND_FLAG_STREAM_LITERALS commands. */
enum command_literal_action {
	/* stream its bytes to literal_data() */
	COMMAND_LITERAL_STREAM,
	/* keep it in the parser as an argument (not a message: a mailbox
	 * name sent as a literal) */
	COMMAND_LITERAL_BUFFER,
	/* The command has already sent its tagged NO/BAD (mailbox missing,
	 * literal over APPENDLIMIT, ...) and finished: the core drops the
	 * rest of the command (no "+" continuation for a synchronising
	 * literal; the bytes of a non-synchronising one are read and
	 * discarded). */
	COMMAND_LITERAL_REFUSE,
};

struct command {
	const char *name; /* "FETCH" */
	command_func_t *func;
	enum command_flags flags;
	/* Streamed literals: called at each literal header with cmd->args
	 * holding the arguments so far (the last one is this literal, with
	 * literal_size). cmd is created at the first literal and lives until
	 * the command finishes. */
	enum command_literal_action (*literal_begin)(
	    struct client_command *cmd, const struct imap_parser_event *ev);
	/* The literal's bytes, in order; last is set on the final slice.
	 * Returns false to refuse after all (tagged reply already sent,
	 * as for COMMAND_LITERAL_REFUSE). */
	bool (*literal_data)(struct client_command *cmd,
			     const unsigned char *data, size_t size, bool last);
};

/* The command named name (upper case), or NULL. */
const struct command *command_find(const char *name);
/* The upper-case names of streamed-literal commands, NULL-terminated, for
 * imap_parser_settings.stream_commands. */
extern const char *const imap_stream_commands[];

/* One per file: cmd-<name>.c */
bool cmd_append(struct client_command *cmd);
bool cmd_capability(struct client_command *cmd);
bool cmd_check(struct client_command *cmd);
bool cmd_close(struct client_command *cmd);
bool cmd_copy(struct client_command *cmd); /* COPY and MOVE */
bool cmd_create(struct client_command *cmd);
bool cmd_delete(struct client_command *cmd);
bool cmd_enable(struct client_command *cmd);
bool cmd_examine(struct client_command *cmd);
bool cmd_expunge(struct client_command *cmd);
bool cmd_fetch(struct client_command *cmd);
bool cmd_id(struct client_command *cmd);
bool cmd_idle(struct client_command *cmd);
bool cmd_list(struct client_command *cmd);
bool cmd_logout(struct client_command *cmd);
bool cmd_lsub(struct client_command *cmd);
bool cmd_move(struct client_command *cmd);
bool cmd_namespace(struct client_command *cmd);
bool cmd_noop(struct client_command *cmd);
bool cmd_rename(struct client_command *cmd);
bool cmd_search(struct client_command *cmd);
bool cmd_select(struct client_command *cmd);
bool cmd_status(struct client_command *cmd);
bool cmd_store(struct client_command *cmd);
bool cmd_subscribe(struct client_command *cmd);
bool cmd_unselect(struct client_command *cmd);
bool cmd_unsubscribe(struct client_command *cmd);

enum command_literal_action
cmd_append_literal_begin(struct client_command *cmd,
			 const struct imap_parser_event *ev);
bool cmd_append_literal_data(struct client_command *cmd,
			     const unsigned char *data, size_t size, bool last);

#endif
