/* mailbox.h - the storage interface protocols use.
 *
 * Protocol code opens a user's mailbox through this API and never sees the
 * file layout. The only backend is Maildir++ (maildir.c) laid out exactly as
 * Dovecot does: cur/ new/ tmp/, flags in file names (":2,FRS"),
 * dovecot-uidlist for UIDs and UIDVALIDITY. A message is a numbered record
 * (seq 1..count) with a stable UID.
 *
 * Nothing here is thread-safe; one mailbox handle belongs to one session. */
#ifndef LOFT_MAILBOX_H
#define LOFT_MAILBOX_H

#include "lib.h"
#include "pool.h"

struct mailbox;

enum mail_flags {
	MAIL_ANSWERED = 0x01,
	MAIL_FLAGGED = 0x02,
	MAIL_DELETED = 0x04,
	MAIL_SEEN = 0x08,
	MAIL_DRAFT = 0x10,
};

struct mail_record {
	uint32_t uid;
	enum mail_flags flags;
	/* Size on disk and size with every line ending as CRLF (the size POP3
	 * and IMAP report). */
	uint64_t physical_size;
	uint64_t virtual_size;
	time_t received_time; /* file mtime: IMAP INTERNALDATE */
	const char *basename; /* maildir base name (before ':'), the GUID
				 that Dovecot's %g and %v variables use */
};

/* Opens the INBOX of a mail location such as "maildir:~/Maildir" or
 * "maildir:/var/mail/%u:INBOX=/var/mail/%u/inbox" (variables already
 * expanded by the caller; a leading "~/" is replaced by home). The maildir
 * and its cur/new/tmp directories are created when missing. The mailbox is
 * synced once (new/ moved to cur/, UIDs assigned). Returns 0, or -1 with
 * *error_r. */
int mailbox_open_inbox(const char *mail_location, const char *home,
		       struct mailbox **box_r, const char **error_r);
void mailbox_close(struct mailbox **box);

/* Takes an exclusive session lock for POP3 (pop3_lock_session): returns 1
 * when taken, 0 when another session holds it, -1 on error. Released at
 * mailbox_close(). */
int mailbox_lock_session(struct mailbox *box, const char **error_r);
/* The session lock is the dotlock "dovecot-pop3-session.lock" in the index
 * (or mail root) directory, shared with Dovecot's pop3_lock_session. It is
 * stale after 5 minutes without refresh or when its process is gone: call
 * this every minute or so while the session lasts. 0, or -1 when the lock
 * was lost (another session took it over). No-op without a lock. */
int mailbox_lock_session_refresh(struct mailbox *box);

/* Rescans the Maildir: moves new/ files to cur/, assigns UIDs to new
 * messages (writing dovecot-uidlist under its lock), drops records whose
 * files are gone. Returns 0 or -1. */
int mailbox_sync(struct mailbox *box, const char **error_r);

uint32_t mailbox_get_uid_validity(const struct mailbox *box);
uint32_t mailbox_get_uid_next(const struct mailbox *box);
unsigned int mailbox_count(const struct mailbox *box);
/* seq is 1-based. The record stays valid until the next sync/expunge. */
const struct mail_record *mailbox_get(const struct mailbox *box,
				      unsigned int seq);

/* Opens the message file read-only. Returns fd, or -1 with *error_r (the
 * file was expunged meanwhile: *expunged_r = true). */
int mailbox_open_mail(struct mailbox *box, unsigned int seq, bool *expunged_r,
		      const char **error_r);

/* Adds flags to a message (renames the file). 0 or -1. */
int mailbox_add_flags(struct mailbox *box, unsigned int seq,
		      enum mail_flags flags, const char **error_r);

/* Expunges the given messages (by seq, any order) in one go: unlinks the
 * files and updates the uidlist. Missing files count as already expunged.
 * Returns 0 or -1. After it, seqs are renumbered. */
int mailbox_expunge_seqs(struct mailbox *box, const unsigned int *seqs,
			 unsigned int count, const char **error_r);

/* Delivers a message (used by tests, the demo and later LMTP): writes it to
 * tmp/, fsyncs, renames into new/ (or cur/ with flags), fsyncs the
 * directory. Returns 0 or -1. */
int maildir_save_file(const char *maildir_path, const void *data, size_t size,
		      enum mail_flags flags, time_t received_time,
		      const char **error_r);

/* Expands POP3 UIDL format (pop3_uidl_format) for a record: %u (uid),
 * %v (uidvalidity), %g/%{guid} (basename), %m (MD5 of the header, unsupported
 * -> error), with Dovecot's modifiers (%08Xu). Returns 0 or -1. */
int mailbox_pop3_uidl(const struct mailbox *box, const struct mail_record *rec,
		      const char *format, char *buf, size_t bufsize,
		      const char **error_r);

#endif
