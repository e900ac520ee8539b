/* mailbox-error.h - what kind of failure a storage error text reports, so
 * that a protocol answers it by kind rather than as an internal error:
 * a full filesystem, an exceeded filesystem quota, a limit of the storage
 * format, a path too long for the filesystem. The storage functions keep
 * returning texts (const char **error_r); this module knows the forms
 * those texts take. */
#ifndef LOFT_MAILBOX_ERROR_H
#define LOFT_MAILBOX_ERROR_H

enum mailbox_error_kind {
	/* anything else: the caller logs it and answers "internal error" */
	MAILBOX_ERROR_INTERNAL = 0,
	/* the filesystem is full (ENOSPC) */
	MAILBOX_ERROR_NOSPACE,
	/* the user's filesystem quota is exceeded (EDQUOT) */
	MAILBOX_ERROR_NOQUOTA,
	/* a limit of the storage was reached (the 26 keyword letters of a
	 * Maildir mailbox); the text is fit for the client */
	MAILBOX_ERROR_LIMIT,
	/* a path was too long for the filesystem (ENAMETOOLONG: the
	 * Maildir++ directory ".a.b.c" of a deep name exceeds NAME_MAX);
	 * Dovecot counts it as "not found", and so do we */
	MAILBOX_ERROR_NAMETOOLONG,
};

/* The start of the error a Maildir mailbox returns for a 27th keyword. */
#define MAILBOX_ERRSTR_TOO_MANY_KEYWORDS "Too many keywords in mailbox"

/* The kind of error, an *error_r text of the mailbox.h and mailbox-list.h
 * functions (NULL is MAILBOX_ERROR_INTERNAL). A system call's failure
 * names strerror(errno) at its end ("write(path) failed: <strerror>"). */
enum mailbox_error_kind mailbox_error_get_kind(const char *error);

#endif
