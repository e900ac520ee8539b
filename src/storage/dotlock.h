/* dotlock.h - Dovecot-compatible lock files ("dotlocks").
 *
 * A dotlock is a file created with O_EXCL next to the file it protects,
 * e.g. "dovecot-uidlist.lock" or "dovecot-pop3-session.lock". Whoever
 * creates it holds the lock. A lock is stale (and is removed by the next
 * locker) when its mtime is older than stale_secs, or when it contains
 * "<pid>:<host>" naming this host and a process that no longer exists.
 * Dovecot uses the same files, so Loft and Dovecot exclude each other.
 *
 * This module does not use fcntl/flock locks and does not poll through an
 * event loop: waiting (up to timeout_secs) sleeps. */
#ifndef LOFT_DOTLOCK_H
#define LOFT_DOTLOCK_H

#include "lib.h"

struct dotlock;

struct dotlock_settings {
	/* How long to wait for another holder; 0 = try once. */
	unsigned int timeout_secs;
	/* Age after which an unchanged lock file is considered abandoned. */
	unsigned int stale_secs;
	/* Write "<pid>:<hostname>" into the lock (Dovecot's file_dotlock_create
	 * content). Leave false when the lock file will receive the new
	 * content of the locked file (dotlock_replace()). */
	bool write_pid;
};

/* Creates the lock file at lock_path (mode 0600 | group/other read as the
 * directory allows: 0644 & ~umask). Returns 1 when taken, 0 when another
 * process still held it after the timeout, -1 on error with *error_r. */
int dotlock_create(const char *lock_path, const struct dotlock_settings *set,
		   struct dotlock **lock_r, const char **error_r);

/* The lock file's descriptor, open for writing. */
int dotlock_get_fd(const struct dotlock *lock);
const char *dotlock_get_path(const struct dotlock *lock);

/* Updates the lock's mtime so that it does not become stale. 0 or -1
 * (the lock was taken over by someone else or removed). */
int dotlock_touch(struct dotlock *lock);

/* fsyncs the lock file and renames it over target_path, which releases the
 * lock. *lock is freed and NULLed in every case. 0 or -1 with *error_r (the
 * lock file is then removed). */
int dotlock_replace(struct dotlock **lock, const char *target_path,
		    const char **error_r);

/* Removes the lock file if it is still ours (same inode) and frees *lock.
 * NULL is a no-op. */
void dotlock_delete(struct dotlock **lock);

/* This host's name (gethostname()), as written in lock contents.
 * Static storage. */
const char *dotlock_hostname(void);

#endif
