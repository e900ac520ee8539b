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
	/* file mtime: IMAP INTERNALDATE. Read it with
	 * mailbox_get_received_time(): it is 0 here until then when the
	 * sync that found the message did not need to stat the file. */
	time_t received_time;
	const char *basename; /* maildir base name (before ':'), the GUID
				 that Dovecot's %g and %v variables use */
	/* Bit i set: keyword i of mailbox_get_keyword_name() (letter 'a' + i
	 * in the file name). */
	uint32_t keywords;
	/* CONDSTORE modseq (RFC 7162): raised whenever flags or keywords
	 * change; kept in loft.index. */
	uint64_t modseq;
};

/* Opens the INBOX of a mail location such as "maildir:~/Maildir" or
 * "maildir:/var/mail/%u:INBOX=/var/mail/%u/inbox" (variables already
 * expanded by the caller; a leading "~/" is replaced by home). The maildir
 * and its cur/new/tmp directories are created when missing. The mailbox is
 * synced once (new/ moved to cur/, UIDs assigned). Returns 0, or -1 with
 * *error_r. */
int mailbox_open_inbox(const char *mail_location, const char *home,
		       struct mailbox **box_r, const char **error_r);

enum mailbox_open_flags {
	/* The handle takes the recent messages from its first sync on, as
	 * mailbox_recent_take() right after opening would, but with one
	 * write of loft.index instead of two. */
	MAILBOX_OPEN_FLAG_TAKE_RECENT = 0x01,
	/* Open for saving only (APPEND to a mailbox that is not selected):
	 * no sync, the view stays empty (mailbox_count() is 0) and the
	 * UIDVALIDITY is known only after mailbox_save_finish() or
	 * mailbox_sync(). */
	MAILBOX_OPEN_FLAG_NO_SYNC = 0x02,
};
/* mailbox_open_inbox() with flags. */
int mailbox_open_inbox_flags(const char *mail_location, const char *home,
			     enum mailbox_open_flags flags,
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

/* The received time (INTERNALDATE) of message seq, from the file's mtime
 * when the view does not know it yet (remembered in the view and written
 * to the index). 0 when the file is gone. */
time_t mailbox_get_received_time(struct mailbox *box, unsigned int seq);

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

/* ---- IMAP operations (maildir-mail.c) ----
 * Keywords live in the mailbox's dovecot-keywords file (at most
 * MAILBOX_KEYWORDS_MAX per mailbox, as Dovecot's Maildir allows). Saves and
 * copies get their UID at once (written to dovecot-uidlist under its lock)
 * but appear in this handle's view only after the next mailbox_sync(),
 * except a streamed save (mailbox_save_begin() below) through a handle
 * whose view nothing else changed: the message joins the view at once. */
#define MAILBOX_KEYWORDS_MAX 26

enum mail_modify {
	MAIL_MODIFY_REPLACE = 0,
	MAIL_MODIFY_ADD,
	MAIL_MODIFY_REMOVE,
};

struct mailbox_status {
	/* recent: mailbox_get_recent_count() */
	uint32_t messages, unseen, recent;
	uint32_t uid_validity, uid_next;
	uint64_t size; /* sum of virtual sizes (RFC 8438 STATUS SIZE) */
};

/* The keyword with index idx (bit idx of mail_record.keywords), or NULL. */
const char *mailbox_get_keyword_name(const struct mailbox *box,
				     unsigned int idx);
/* The keyword mask of names (NULL-terminated). With create, names missing
 * from dovecot-keywords are added to it (under its lock). Returns 0 with
 * *mask_r; -1 with *error_r for an invalid keyword, a full keyword file
 * (26 keywords) or an I/O error. Without create unknown names are left out
 * of the mask. */
int mailbox_keywords_to_mask(struct mailbox *box, const char *const *names,
			     bool create, uint32_t *mask_r,
			     const char **error_r);

/* Sets, adds or removes flags and keywords of a message (renames its file;
 * a file in new/ moves to cur/). 0, or -1 with *error_r (expunged
 * meanwhile, I/O). */
int mailbox_update_flags(struct mailbox *box, unsigned int seq,
			 enum mail_modify modify, enum mail_flags flags,
			 uint32_t keywords, const char **error_r);

/* APPEND: saves a message with flags, keywords (names, NULL-terminated,
 * may be NULL; added to dovecot-keywords when new) and internaldate
 * (received_time, 0 = now) and returns its UID (UIDPLUS APPENDUID). The
 * file is written to tmp/, fsynced and renamed into cur/ (new/ without
 * flags), so nothing half-written is ever visible. 0 or -1. */
int mailbox_save(struct mailbox *box, const void *data, size_t size,
		 enum mail_flags flags, const char *const *keywords,
		 time_t received_time, uint32_t *uid_r, const char **error_r);

/* Streamed APPEND (maildir-save.c): the message is written to tmp/ as it
 * arrives, so memory stays flat whatever its size. begin creates
 * tmp/<unique> (O_EXCL); continue appends bytes (CR LF stored as LF, as
 * Dovecot's mail_save_crlf = no does); finish fsyncs, moves the
 * file into cur/ (new/ without flags) under its final name (",S=,W="
 * sizes, flags and keywords as for mailbox_save()), fsyncs the directory
 * and gives it its UID. abort (and a failed continue or finish) unlinks
 * the tmp file, so an interrupted APPEND leaves nothing behind. finish
 * and abort free the context and NULL the pointer. 0 or -1. */
struct mailbox_save;
int mailbox_save_begin(struct mailbox *box, struct mailbox_save **save_r,
		       const char **error_r);
int mailbox_save_continue(struct mailbox_save *save, const void *data,
			  size_t size, const char **error_r);
int mailbox_save_finish(struct mailbox_save **save, enum mail_flags flags,
			const char *const *keywords, time_t received_time,
			uint32_t *uid_r, const char **error_r);
void mailbox_save_abort(struct mailbox_save **save);
/* mailbox_save_finish() that does not hold up the caller's ioloop for the
 * fsyncs: they (with the rename into place and the dovecot-uidlist record)
 * run in storage threads, and callback(context) is called from the
 * ioloop when the file, its directory entry and its record are on disk;
 * then mailbox_save_finish_result() gives the UID (assigning it when the
 * record could not be appended) and the outcome.
 * Returns 0 when started, 1 when it finished at once (no current ioloop,
 * or no threads: *uid_r set, the save freed), -1 on an error (the save
 * freed). Aborting a running save is allowed: it is freed when the thread
 * is done with it (and the callback is not called); a message already
 * moved into place then gets its UID at the next sync. */
int mailbox_save_finish_async(struct mailbox_save **save, enum mail_flags flags,
			      const char *const *keywords, time_t received_time,
			      void (*callback)(void *context), void *context,
			      uint32_t *uid_r, const char **error_r);
/* true while a started mailbox_save_finish_async() has not come back. */
bool mailbox_save_is_running(const struct mailbox_save *save);
/* After the callback: 0 with *uid_r, or -1 with *error_r. Frees the save
 * and NULLs the pointer. */
int mailbox_save_finish_result(struct mailbox_save **save, uint32_t *uid_r,
			       const char **error_r);

/* COPY: copies message seq of src into dest with its flags, keywords
 * (mapped to dest's dovecot-keywords) and internaldate, by hard link when
 * both are on one file system (else by copying the data), and returns the
 * new UID (COPYUID). src and dest may be the same mailbox. 0 or -1. */
int mailbox_copy(struct mailbox *dest, struct mailbox *src, unsigned int seq,
		 uint32_t *uid_r, const char **error_r);

/* The seq of uid in the current view, 0 when not there. O(log n). */
unsigned int mailbox_seq_by_uid(const struct mailbox *box, uint32_t uid);

/* Expunges by UID (UID EXPUNGE, MOVE); UIDs not in the view are ignored.
 * 0 or -1. Seqs are renumbered afterwards. MOVE is mailbox_copy() of each
 * message followed by this. */
int mailbox_expunge_uids(struct mailbox *box, const uint32_t *uids,
			 unsigned int count, const char **error_r);

/* What a sync changed in the view, for IMAP's untagged EXPUNGE, EXISTS and
 * FETCH (FLAGS MODSEQ) responses. */
struct mailbox_sync_changes {
	/* UIDs that left the view (ascending), to report as EXPUNGE in
	 * descending seq order */
	const uint32_t *expunged_uids;
	/* The seqs those messages had in the view before the sync, ascending
	 * (expunged_seqs[i] belongs to expunged_uids[i]). RFC 3501 section
	 * 7.4.1: send "* n EXPUNGE" from the last to the first, so that
	 * every number is valid when the client reads it. */
	const unsigned int *expunged_seqs;
	unsigned int expunged_count;
	/* New messages: the last new_count seqs of the view (UID order) */
	unsigned int new_count;
	/* UIDs still present whose flags or keywords were changed by someone
	 * else (their modseq rose); changes made through this handle are not
	 * listed */
	const uint32_t *changed_uids;
	unsigned int changed_count;
};

/* mailbox_sync() that also reports the differences between the view
 * before and after. Arrays come from pool. 0 or -1. */
int mailbox_sync_changes(struct mailbox *box, pool_t pool,
			 struct mailbox_sync_changes *changes_r,
			 const char **error_r);

/* HIGHESTMODSEQ of the current view (RFC 7162), at least 1. */
uint64_t mailbox_get_highest_modseq(const struct mailbox *box);

/* STATUS counts of the current view. */
void mailbox_get_status(const struct mailbox *box,
			struct mailbox_status *status_r);

/* ---- \Recent (maildir-index.c) ----
 * RFC 3501 section 2.3.2: a message is recent in exactly one session, the
 * first that has the mailbox open read-write (IMAP SELECT, not EXAMINE)
 * after the message arrived, as Dovecot keeps it. loft.index holds the
 * mailbox's "first recent UID": messages at or above it have not been
 * recent in any such session yet. Every handle sees those messages as
 * recent when it syncs (EXAMINE and STATUS count them and leave them);
 * a handle that takes them also raises the first recent UID past the last
 * message of its view, at every sync, under the index lock, so that they
 * are recent nowhere else - also messages that arrive while it is open.
 * A message stays recent in a handle until the handle is closed or the
 * message is expunged. */

/* Makes this handle the one that takes the recent messages (SELECT):
 * those of its current view at once (what the handle counted as recent
 * before is forgotten: another session may have taken them meanwhile),
 * later ones at every sync. Storage errors are logged; messages are then
 * not recent here rather than recent in two sessions. */
void mailbox_recent_take(struct mailbox *box);
/* true when the message with this UID is recent in this handle. */
bool mailbox_is_recent(const struct mailbox *box, uint32_t uid);
/* The number of messages of the view that are recent in this handle. */
unsigned int mailbox_get_recent_count(const struct mailbox *box);

/* ---- change notification (maildir-notify.c) ----
 * For IDLE (RFC 2177): a descriptor that becomes readable when the
 * mailbox's new/ or cur/ directory changed, where every change to the
 * mailbox shows - a delivery, a save or copy, a flag change (rename), an
 * expunge (unlink), also when made by Dovecot or by hand. Created on the
 * first call, closed by mailbox_close(). The caller io_add()s it, and when
 * it fires calls mailbox_notify_clear() and then mailbox_sync_changes()
 * (the events themselves carry nothing the sync needs). Changes made
 * through this handle wake it too; the sync then finds nothing new, as it
 * may after any wakeup (when inotify's queue overflows every handle is
 * woken).
 *
 * All handles of a process share one inotify instance (the per-uid limit
 * fs.inotify.max_user_instances is small), read from the ioloop current
 * at the first call, which must outlive the handles; each handle gets an
 * eventfd of its own, so a handle costs one descriptor. Called with no
 * current ioloop, the handle gets an inotify instance of its own instead,
 * which the caller can poll() without a loop. Returns the fd, or -1 with
 * *error_r (inotify unavailable, out of watches or descriptors: poll with
 * a timer instead). */
int mailbox_notify_fd(struct mailbox *box, const char **error_r);
/* Reads and discards the pending notifications (non-blocking). */
void mailbox_notify_clear(struct mailbox *box);

/* ---- message contents (maildir-message.c) ----
 * What FETCH and SEARCH need from a message without reading it
 * themselves. Each getter returns 0 on success; -1 with *expunged_r = true
 * (and *error_r) when the message file is gone (deleted by someone else:
 * the next sync drops the record, IMAP answers "NO" or skips it as Dovecot
 * does); -1 with *expunged_r = false and *error_r on an I/O error or an
 * invalid seq. Results are allocated from pool (the caller's command
 * pool). Values come from the mailbox's cache when it has them, else the
 * message file is parsed once (message-parser.h) and what was found is
 * added to the cache for the next time (loft.cache, maildir-cache.h). A
 * cached value is still served after its file vanished, until the next
 * sync drops the record (as Dovecot serves cached fields); what needs the
 * file (other headers, the part tree, the body) reports it expunged. */
enum mail_imap_field {
	MAIL_IMAP_ENVELOPE,
	MAIL_IMAP_BODYSTRUCTURE,
	MAIL_IMAP_BODY,
};

/* The IMAP ENVELOPE, BODYSTRUCTURE or BODY of message seq, as
 * imap-envelope.h and imap-bodystructure.h write them: the text inside the
 * outer parentheses (the caller writes "ENVELOPE (" value ")"). */
int mailbox_get_imap_field(struct mailbox *box, unsigned int seq,
			   enum mail_imap_field field, pool_t pool,
			   const char **value_r, bool *expunged_r,
			   const char **error_r);

/* The value of the first header field `name` (case-insensitive) of the
 * message's own header, unfolded (CR and LF removed, leading whitespace
 * skipped), bytes as in the file (encoded words not decoded); *value_r =
 * NULL when the message has no such field. Date, Subject, From, To, Cc,
 * Bcc, Message-ID, In-Reply-To, References, Reply-To and Sender come from
 * the cache; other names read the message's header. */
int mailbox_get_header(struct mailbox *box, unsigned int seq, const char *name,
		       pool_t pool, const char **value_r, bool *expunged_r,
		       const char **error_r);

/* The MIME part tree of message seq (message-parser.h), allocated from
 * pool, for FETCH BODY[1.2], BINARY and SEARCH on body parts: offsets are
 * physical byte offsets into the file mailbox_open_mail() opens. Always
 * parses the file (the tree is not cached). */
struct message_part;
int mailbox_get_parts(struct mailbox *box, unsigned int seq, pool_t pool,
		      struct message_part **parts_r, bool *expunged_r,
		      const char **error_r);

#endif
