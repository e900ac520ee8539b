/* imap-list-util.h - what the mailbox commands (CREATE DELETE RENAME
 * SUBSCRIBE STATUS APPEND SELECT LIST COPY) share: reading a mailbox name
 * argument, answering a missing mailbox and storage failures in one way,
 * closing the selected mailbox. Session code, not
 * part of the pure imap-list.h. */
#ifndef LOFT_IMAP_LIST_UTIL_H
#define LOFT_IMAP_LIST_UTIL_H

#include "imap-commands.h"

struct imap_arg;

/* Reads arg as a mailbox name (astring), decodes it and checks it with
 * the storage's rules. Returns true with the name as the client sent it
 * and the storage name; otherwise the command has been answered ("BAD"
 * for a missing argument, "NO" for a name that does not decode, "NO
 * [CANNOT]" or "NO [LIMIT]" for one the rules refuse) and false is returned. */
bool imap_cmd_get_mailbox(struct client_command *cmd,
			  const struct imap_arg *arg, const char **imap_name_r,
			  const char **storage_name_r);

/* imap_cmd_get_mailbox() of the command's only argument: also answers
 * "BAD Invalid arguments." when more follow. */
bool imap_cmd_get_only_mailbox(struct client_command *cmd,
			       const char **imap_name_r,
			       const char **storage_name_r);

/* Answers "NO [code] Mailbox doesn't exist: <name>" (code may be NULL),
 * name as the client sent it. */
void imap_cmd_no_such_mailbox(struct client_command *cmd, const char *code,
			      const char *imap_name);

/* Closes the selected mailbox because the command removes or renames it,
 * and says so: "* OK [CLOSED] Previous mailbox closed." (the CLOSED
 * response code of RFC 7162, RFC 9051 section 7.1), as Dovecot does. */
void imap_cmd_close_selected(struct client *client);

/* Checks a storage name as CREATE, RENAME and the others do: Dovecot's
 * rules (no leading or doubled separator, no leading '~') and then the
 * storage's. Returns true, or false with *error_r (Dovecot's texts, for
 * "NO [CANNOT]"). */
bool imap_cmd_mailbox_name_is_valid(struct client *client, const char *name,
				    const char **error_r);

/* Answers a name imap_cmd_mailbox_name_is_valid() refused: "NO [CANNOT]
 * <error>", as Dovecot does. */
void imap_cmd_name_refused(struct client_command *cmd, const char *error);

/* The text of Dovecot's "NO [CANNOT]" for a keyword longer than
 * mail_max_keyword_length. */
#define IMAP_CMD_ERRSTR_KEYWORD_TOO_LONG "Keyword length too long"
/* True when every keyword of the NULL-terminated list (or NULL) is at most
 * mail_max_keyword_length bytes; false when one is longer (STORE and
 * APPEND then answer "NO [CANNOT] " IMAP_CMD_ERRSTR_KEYWORD_TOO_LONG). */
bool imap_cmd_keywords_fit(const struct client *client,
			   const char *const *keywords);

/* Answers a storage failure by its kind (mailbox-error.h): a full
 * filesystem "NO [OVERQUOTA] Not enough disk space" (logged as well), an
 * exceeded filesystem quota "NO [OVERQUOTA] Not enough disk quota", a
 * storage limit "NO [LIMIT] <error>", a path too long for the filesystem
 * "NO Not found" (Dovecot's answer); anything else is logged ("<what>
 * failed: <error>") and answered "NO [SERVERBUG] Internal error occurred.
 * ...". */
void imap_cmd_storage_failed(struct client_command *cmd, const char *what,
			     const char *error);

/* The name a client sees for a storage name, without quoting: the
 * namespace prefix added (not to INBOX) and modified UTF-7 unless UTF-8
 * is enabled. Allocated from pool. NULL when the name cannot be encoded. */
const char *imap_cmd_mailbox_visible_name(struct client *client, pool_t pool,
					  const char *storage_name);

/* True when the session has enabled UTF-8 mailbox names (UTF8=ACCEPT or
 * IMAP4rev2). */
bool imap_cmd_utf8_names(const struct client *client);

#endif
