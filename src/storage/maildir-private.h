/* maildir-private.h - the mailbox handle shared by the maildir storage
 * files (maildir-storage.c, maildir-save.c, pop3-uidl.c). Not for
 * protocol code: they use mailbox.h. */
#ifndef LOFT_MAILDIR_PRIVATE_H
#define LOFT_MAILDIR_PRIVATE_H

#include "lib.h"
#include "pool.h"
#include "array.h"
#include "mailbox.h"
#include "dotlock.h"

#define MAILDIR_DIR_MODE 0700
#define MAILDIR_FILE_MODE 0600
#define MAILDIR_UIDVALIDITY_FNAME "dovecot-uidvalidity"
#define MAILDIR_POP3_SESSION_LOCK_FNAME "dovecot-pop3-session.lock"
/* Dovecot's timings for these locks. */
#define MAILDIR_UIDLIST_LOCK_STALE_SECS (2 * 60)
#define MAILDIR_UIDLIST_LOCK_TIMEOUT_SECS 10
#define MAILDIR_POP3_SESSION_LOCK_STALE_SECS (5 * 60)
/* Directories watched for change notification: new/ and cur/. */
#define MAILDIR_NOTIFY_DIRS 2

struct maildir_mail {
	struct mail_record rec; /* first: protocol code sees only this */
	const char *filename;	/* current name in cur/ (or new/) */
	const char *pop3_uidl;	/* uidlist P extension, or NULL */
	bool in_new;
	/* rec.received_time not read yet (the file was not stat'ed):
	 * mailbox_get_received_time() reads it */
	bool received_unknown;
};

struct mailbox {
	pool_t pool;	  /* lifetime of the handle */
	pool_t view_pool; /* records of the current view, replaced by sync */
	const char *path; /* the INBOX maildir */
	const char *control_dir;     /* dovecot-uidlist */
	const char *index_dir;	     /* dovecot-pop3-session.lock */
	const char *uidvalidity_dir; /* dovecot-uidvalidity */
	uint32_t uid_validity, next_uid;
	ARRAY(struct maildir_mail *) mails;
	struct dotlock *session_lock;
	/* dovecot-keywords as of the last sync or keyword change */
	struct maildir_keywords *keywords;
	/* loft.index state (maildir-index.c) */
	struct maildir_index_state *index;
	/* loft.cache state (maildir-cache.c), NULL until first used */
	struct maildir_cache *cache;
	/* mailbox_notify_fd() (maildir-notify.c): fd + 1 (0 = not created);
	 * the handle's eventfd when notify_shared, else its own inotify
	 * instance */
	int notify_fd1;
	bool notify_shared;
	/* on the shared instance: its watches on new/ and cur/, and the
	 * list of all handles using it */
	struct maildir_notify_link {
		struct mailbox *box;
		struct maildir_notify_watch *watch;
		struct maildir_notify_link *prev, *next;
	} notify_links[MAILDIR_NOTIFY_DIRS];
	struct mailbox *notify_prev, *notify_next;
};

/* Opens (creating cur/ new/ tmp/ when missing) and syncs the maildir at
 * path, with dovecot-uidlist in control_dir, Loft's and the POP3 session
 * lock's files in index_dir and dovecot-uidvalidity in uidvalidity_dir.
 * Strings are copied. 0, or -1 with *error_r. */
int maildir_mailbox_open_dir(const char *path, const char *control_dir,
			     const char *index_dir, const char *uidvalidity_dir,
			     enum mailbox_open_flags flags,
			     struct mailbox **box_r, const char **error_r);

/* Helpers shared with maildir-mail.c: the uidlist under its lock, a
 * message's current path, and finding a renamed message again. */
struct maildir_uidlist;
int maildir_box_uidlist_lock(struct mailbox *box, pool_t pool,
			     struct dotlock **lock_r, const char **error_r);
/* 1 with *list_r, 0 when there is no uidlist, -1 error. */
int maildir_box_uidlist_read(struct mailbox *box, pool_t pool,
			     struct maildir_uidlist **list_r, bool *header_ok_r,
			     const char **error_r);
int maildir_box_uidlist_commit(struct mailbox *box, pool_t pool,
			       struct dotlock **lock,
			       struct maildir_uidlist *list,
			       const char **error_r);
const char *maildir_mail_path(struct mailbox *box,
			      const struct maildir_mail *mail);
/* Message seq was renamed by someone else: finds its new name and sets
 * *mail_r to its (now writable) record. False when it is gone. */
bool maildir_mail_refind(struct mailbox *box, unsigned int seq,
			 struct maildir_mail **mail_r);
/* Gives basename, just placed in box's maildir, its UID in dovecot-uidlist
 * (maildir-mail.c): under the uidlist lock, the record it already has (a
 * sync may have found the file first), else a new record; with no usable
 * uidlist, a full sync creates one. Other new files are left to the next
 * sync. The one place that assigns the UID of a saved or copied message
 * when the save threads' appended record (maildir-save.c) is not possible.
 * 0 with *uid_r, or -1 with *error_r. */
int maildir_assign_uid(struct mailbox *box, pool_t pool, const char *basename,
		       uint32_t *uid_r, const char **error_r);
/* Reads dovecot-keywords into box->keywords (empty when missing). */
void maildir_keywords_load(struct mailbox *box);

/* Change notification (maildir-notify.c): releases the handle's eventfd
 * and watches (the shared inotify instance goes with the last handle), or
 * its own instance. Called by mailbox_close(). */
void maildir_notify_deinit(struct mailbox *box);
/* Directories watched on the shared instance now (for tests). */
unsigned int maildir_notify_shared_watch_count(void);

/* maildir_save_file() with the ":2," info letters given ("" = none: the
 * file goes to new/, else to cur/ as "<base>:2,<letters>"). The base name
 * (with ,S= and ,W=) is returned from result_pool when basename_r is not
 * NULL. 0 or -1. */
int maildir_save_file_letters(const char *maildir_path, const void *data,
			      size_t size, const char *letters,
			      time_t received_time, pool_t result_pool,
			      const char **basename_r, const char **error_r);

/* Formats an error message into this module's buffer (valid until the next
 * storage call) and returns it. */
const char *maildir_error(const char *fmt, ...) ATTR_FORMAT(1, 2);

/* Counts the size the file would have with CRLF line endings. Returns 0
 * with *vsize_r and *psize_r, or -1 with errno set. */
int maildir_file_get_vsize(int fd, uint64_t *psize_r, uint64_t *vsize_r);

/* fsyncs a directory. 0 or -1 with errno. */
int maildir_fsync_dir(const char *path);

/* mkdir -p with the given mode. 0 or -1 with errno. */
int maildir_mkdir_parents(const char *path, mode_t mode);

#endif
