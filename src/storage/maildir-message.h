/* maildir-message.h - the fields FETCH and SEARCH read from a message,
 * shared by maildir-message.c (parsing) and maildir-cache.c (keeping them).
 * Not for protocol code: they use mailbox.h's getters. */
#ifndef LOFT_MAILDIR_MESSAGE_H
#define LOFT_MAILDIR_MESSAGE_H

#include "lib.h"
#include "pool.h"
#include "mailbox.h"

#define MAILDIR_MESSAGE_CACHED_HEADERS 11

/* Date Subject From To Cc Bcc Message-ID In-Reply-To References Reply-To
 * Sender (NULL-terminated) */
extern const char *const maildir_message_cached_headers[];

/* Everything cached per message. NULL header = the field is absent. */
struct maildir_message_fields {
	const char *imap[MAIL_IMAP_BODY + 1];
	const char *headers[MAILDIR_MESSAGE_CACHED_HEADERS];
};

/* Index of name in maildir_message_cached_headers (case-insensitive), or
 * -1. */
int maildir_message_cached_header_idx(const char *name);

/* Parses message seq's file: fills *fields_r (may be NULL) and returns the
 * part tree in *parts_r (may be NULL), both from pool. 0, or -1 with
 * *expunged_r / *error_r as mailbox.h's getters. */
int maildir_message_parse(struct mailbox *box, unsigned int seq, pool_t pool,
			  struct maildir_message_fields *fields_r,
			  struct message_part **parts_r, bool *expunged_r,
			  const char **error_r);

/* Fills fields->headers (the rest is left alone) from a message's header
 * block hdr (size bytes, with or without the empty line that ends it;
 * any bytes after that line are ignored), from pool: the same values as a
 * whole parse (maildir_message_parse()) gives, without building the
 * envelope. Header lines are bounded as the parser bounds them
 * (MESSAGE_PARSER_DEFAULT_MAX_HEADER_FIELD_SIZE per field). */
void maildir_message_header_fields(pool_t pool, const unsigned char *hdr,
				   size_t size,
				   struct maildir_message_fields *fields);

/* Opens message mail's file for reading by its known name, relative to its
 * directory (kept open until box closes or another mailbox's messages are
 * read), without updating the access time (Maildir does not use it, and
 * a first search would otherwise dirty every inode whose ctime is newer):
 * O_NOATIME needs the file's owner, else plain. Returns the fd, or -1 with
 * errno (ENOENT: renamed or expunged; mailbox_open_mail() finds out). */
struct maildir_mail;
int maildir_message_open_file(struct mailbox *box,
			      const struct maildir_mail *mail);

/* Forgets what is kept open to read box's messages (called when the
 * mailbox closes). */
void maildir_message_deinit(struct mailbox *box);

/* The fields of message seq: from the cache, or parsed and then cached.
 * Same returns. */
int maildir_message_get_fields(struct mailbox *box, unsigned int seq,
			       pool_t pool,
			       struct maildir_message_fields *fields_r,
			       bool *expunged_r, const char **error_r);

#endif
