/* maildir-save.c - delivering one message into a maildir.
 *
 * A file in tmp/ (unnamed where possible, see maildir-tmp.h) written,
 * fsynced, then given its name in new/ (or in cur/ with ":2,<flags>" when
 * flags are given) and the directory fsynced, so that a crash leaves
 * either nothing visible or the whole message. The name carries S=<size> and
 * W=<size with CRLF line endings> like Dovecot's LDA. maildir_save_file() does
 * not assign UIDs (the next sync does); the streamed save of mailbox.h (APPEND)
 * does, without rescanning the maildir: under the dovecot-uidlist lock (taken
 * with a hard link, see "the uidlist lock" below) it gives the file its name
 * and appends one record line to the uidlist (as Dovecot does) instead of
 * rewriting it; then the directory's fsync and the uidlist's fdatasync.
 * mailbox_save_finish_async() runs all that in a few threads, so that one
 * mail process serving many sessions has several saves in flight; the
 * caller answers only after all three (file, directory entry, record) are
 * on disk. maildir_assign_uid() (maildir-mail.c) gives the UID when the
 * record cannot be appended. A save through a handle with a view (APPEND
 * to the selected mailbox) adds the message to the view when nothing else
 * changed the maildir since the view was built (save_add_to_view()), so
 * the next sync does not rescan cur/. */
#include "lib.h"
#include "pool.h"
#include "log.h"
#include "dotlock.h"
#include "ioloop.h"
#include "maildir-filename.h"
#include "maildir-keywords.h"
#include "maildir-uidlist.h"
#include "maildir-private.h"
#include "maildir-index.h"
#include "maildir-tmp.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

static uint64_t count_vsize(const unsigned char *data, size_t size)
{
	uint64_t vsize = size;

	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			vsize++;
	}
	return vsize;
}

static int write_all(int fd, const unsigned char *data, size_t size)
{
	while (size > 0) {
		ssize_t ret = write(fd, data, size);

		if (ret < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += ret;
		size -= (size_t)ret;
	}
	return 0;
}

int maildir_save_file_letters(const char *maildir_path, const void *data,
			      size_t size, const char *letters,
			      time_t received_time, pool_t result_pool,
			      const char **basename_r, const char **error_r)
{
	static const char *const subdirs[] = {"cur", "new", "tmp"};
	pool_t pool = pool_create("maildir save", 1024);
	const char *base, *name, *dest_dir, *dest_path, *call;
	struct maildir_tmp tmp = {.fd = -1};
	uint64_t vsize = count_vsize(data, size);
	bool published = false;
	int ret = -1;

	for (unsigned int i = 0; i < N_ELEMENTS(subdirs); i++) {
		const char *dir =
		    p_strconcat(pool, maildir_path, "/", subdirs[i], NULL);

		if (maildir_mkdir_parents(dir, MAILDIR_DIR_MODE) < 0) {
			*error_r = maildir_error("mkdir(%s) failed: %s", dir,
						 strerror(errno));
			goto out;
		}
	}
	if (maildir_tmp_create(pool, maildir_path, &tmp, &base, error_r) < 0)
		goto out;
	name = p_strdup_printf(pool, "%s,S=%zu,W=%llu", base, size,
			       (unsigned long long)vsize);
	if (write_all(tmp.fd, data, size) < 0) {
		*error_r = maildir_error("write(%s) failed: %s", tmp.desc,
					 strerror(errno));
		goto out;
	}
	if (received_time > 0) {
		struct timespec ts[2] = {
		    {.tv_sec = received_time, .tv_nsec = 0},
		    {.tv_sec = received_time, .tv_nsec = 0},
		};

		if (futimens(tmp.fd, ts) < 0) {
			*error_r = maildir_error("futimens(%s) failed: %s",
						 tmp.desc, strerror(errno));
			goto out;
		}
	}
	if (fsync(tmp.fd) < 0) {
		*error_r = maildir_error("fsync(%s) failed: %s", tmp.desc,
					 strerror(errno));
		goto out;
	}

	if (letters[0] != '\0') {
		dest_dir = p_strconcat(pool, maildir_path, "/cur", NULL);
		dest_path = p_strconcat(pool, dest_dir, "/", name, ":2,",
					letters, NULL);
	} else {
		dest_dir = p_strconcat(pool, maildir_path, "/new", NULL);
		dest_path = p_strconcat(pool, dest_dir, "/", name, NULL);
	}
	if (maildir_tmp_publish(&tmp, dest_path, &call) < 0) {
		*error_r = maildir_error("%s(%s, %s) failed: %s", call,
					 tmp.desc, dest_path, strerror(errno));
		goto out;
	}
	published = true;
	if (maildir_fsync_dir(dest_dir) < 0) {
		/* the message is in place but may not survive a crash */
		*error_r = maildir_error("fsync(%s) failed: %s", dest_dir,
					 strerror(errno));
		goto out;
	}
	/* an unnamed file's link count (see maildir_tmp_publish()) */
	if (tmp.path == NULL && fsync(tmp.fd) < 0) {
		*error_r = maildir_error("fsync(%s) failed: %s", dest_path,
					 strerror(errno));
		goto out;
	}
	if (basename_r != NULL)
		*basename_r = p_strdup(result_pool, name);
	ret = 0;
out:
	maildir_tmp_discard(&tmp, published);
	pool_unref(&pool);
	return ret;
}

int maildir_save_file(const char *maildir_path, const void *data, size_t size,
		      enum mail_flags flags, time_t received_time,
		      const char **error_r)
{
	char letters[16];

	maildir_flags_to_letters(flags, letters, sizeof(letters));
	return maildir_save_file_letters(maildir_path, data, size, letters,
					 received_time, NULL, NULL, error_r);
}

/* ---- streamed save ---- */

/* Where save_durable() stopped. */
enum save_step {
	SAVE_STEP_NONE,
	SAVE_STEP_FSYNC,
	SAVE_STEP_PUBLISH,
	SAVE_STEP_FSYNC_DIR,
};

struct mailbox_save {
	pool_t pool;
	struct mailbox *box;
	const char *base; /* unique part of the name */
	struct maildir_tmp tmp;
	uint64_t size, vsize;
	bool last_cr;	 /* the last byte written was CR */
	bool pending_cr; /* a CR received, not written yet */
	/* set by save_prepare(): the final names, flags and keywords */
	const char *basename, *dest_dir, *dest_path, *dest_name;
	enum mail_flags flags;
	uint32_t keywords;
	bool in_new;
	/* the handle has a view (a selected mailbox): save_durable() takes
	 * the stamps of new/, cur/, dovecot-uidlist and dovecot-keywords
	 * under the uidlist lock before the rename and after the record
	 * (view_stamped), and save_complete() adds the message to the view
	 * when nothing else changed (maildir_index_view_advance()) */
	bool view_update, view_stamped;
	const char *box_path;
	struct maildir_index_stamps view_before, view_after;
	/* save_durable()'s outcome */
	int job_errno;
	enum save_step job_step;
	const char *publish_call; /* "link" or "rename" */
	bool renamed;
	/* save_durable() writes the uidlist record too, when uidlist_path
	 * is set (copies: a save thread may outlive the mailbox handle);
	 * uidlist_written when it did, with uid; uidlist_fd until its
	 * fdatasync, whose errno is uidlist_errno */
	const char *control_dir, *uidlist_path, *uidlist_lock_path;
	const char *hostname; /* dotlock_hostname(), set in the loop's thread */
	uint32_t uid, uid_validity;
	int uidlist_fd, uidlist_errno;
	bool uidlist_written;
	/* an unnamed file's fsync after its link (file_errno): the link
	 * count it gave the inode is on disk only then where no journal
	 * commits it with the directory */
	int file_errno;
	/* in the save threads: the record's fdatasync and the linked file's
	 * fsync run in other threads while the first fsyncs the directory
	 * (split); job_parts counts the parts not finished yet */
	bool split;
	unsigned int job_parts;
	bool job_running, job_done, orphaned;
	void (*callback)(void *context);
	void *context;
	struct mailbox_save *done_next;
	/* what the save threads run: the whole save_durable() (job), and
	 * beside its directory fsync the record's fdatasync and the linked
	 * file's fsync */
	struct save_part {
		struct mailbox_save *save;
		void (*run)(struct mailbox_save *save);
		struct save_part *next;
	} part_job, part_uidlist, part_file;
};

int mailbox_save_begin(struct mailbox *box, struct mailbox_save **save_r,
		       const char **error_r)
{
	pool_t pool = pool_create("maildir save stream", 512);
	struct mailbox_save *save = p_new(pool, struct mailbox_save, 1);

	save->pool = pool;
	save->box = box;
	save->uidlist_fd = -1;
	if (maildir_tmp_create(pool, box->path, &save->tmp, &save->base,
			       error_r) < 0) {
		pool_unref(&pool);
		return -1;
	}
	*save_r = save;
	return 0;
}

/* Writes out bytes already converted, counting their sizes. */
static int save_write(struct mailbox_save *save, const unsigned char *data,
		      size_t size, const char **error_r)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' &&
		    !(i == 0 ? save->last_cr : data[i - 1] == '\r'))
			save->vsize++;
	}
	if (size > 0)
		save->last_cr = data[size - 1] == '\r';
	save->size += size;
	save->vsize += size;
	if (write_all(save->tmp.fd, data, size) < 0) {
		*error_r = maildir_error("write(%s) failed: %s", save->tmp.desc,
					 strerror(errno));
		i_close_fd(&save->tmp.fd);
		return -1;
	}
	return 0;
}

int mailbox_save_continue(struct mailbox_save *save, const void *data,
			  size_t size, const char **error_r)
{
	const unsigned char *p = data;
	unsigned char buf[8192];
	size_t n = 0;

	if (save->tmp.fd < 0) {
		*error_r =
		    maildir_error("%s: save already failed", save->tmp.desc);
		return -1;
	}
	/* stored with LF line endings, as Dovecot saves them
	 * (mail_save_crlf = no); a CR is held back until the next byte */
	for (size_t i = 0; i < size; i++) {
		if (n + 2 > sizeof(buf)) {
			if (save_write(save, buf, n, error_r) < 0)
				return -1;
			n = 0;
		}
		if (save->pending_cr) {
			save->pending_cr = false;
			if (p[i] != '\n')
				buf[n++] = '\r';
		}
		if (p[i] == '\r')
			save->pending_cr = true;
		else
			buf[n++] = p[i];
	}
	return save_write(save, buf, n, error_r);
}

/* Frees a save that will not be finished: its tmp file goes, a file
 * already moved into place stays (the next sync gives it its UID). */
static void save_discard(struct mailbox_save *save)
{
	maildir_tmp_discard(&save->tmp, save->renamed);
	i_close_fd(&save->uidlist_fd);
	pool_unref(&save->pool);
}

void mailbox_save_abort(struct mailbox_save **_save)
{
	struct mailbox_save *save = *_save;

	if (save == NULL)
		return;
	*_save = NULL;
	if (save->job_running) {
		/* a save thread has it: freed when it comes back */
		save->orphaned = true;
		return;
	}
	save_discard(save);
}

/* Bytes of dovecot-uidlist read for its header line and for its last
 * record line: longer lines make the save fall back to a rewrite. */
#define SAVE_UIDLIST_HEAD_MAX 1024
#define SAVE_UIDLIST_TAIL_MAX (MAILDIR_UIDLIST_MAX_LINE + 2)

static int save_pread(int fd, unsigned char *buf, size_t size, off_t offset,
		      size_t *got_r)
{
	size_t got = 0;

	while (got < size) {
		ssize_t ret =
		    pread(fd, buf + got, size - got, offset + (off_t)got);

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -1;
		if (ret == 0)
			break;
		got += (size_t)ret;
	}
	*got_r = got;
	return 0;
}

/* The UID of the last record line of a uidlist whose last got bytes are
 * in tail (the file has size bytes; header_len is the header line's length
 * with its LF). Returns 1 with *uid_r (0 when there are no records), 0
 * when the end of the file is not a whole record line we can read. */
static int save_uidlist_last_uid(const unsigned char *tail, size_t got,
				 uint64_t size, size_t header_len,
				 uint32_t *uid_r)
{
	const unsigned char *start, *p;
	uint64_t uid = 0;

	*uid_r = 0;
	if (got == 0 || tail[got - 1] != '\n')
		return 0; /* an unterminated last line: rewrite */
	if (size == header_len)
		return 1;
	start = tail + got - 1;
	while (start > tail && start[-1] != '\n')
		start--;
	if (start == tail && got < size)
		return 0; /* the line started before what was read */
	for (p = start; *p >= '0' && *p <= '9'; p++) {
		uid = uid * 10 + (uint64_t)(*p - '0');
		if (uid >= UINT32_MAX)
			return 0;
	}
	if (p == start || *p != ' ' || uid == 0)
		return 0;
	*uid_r = (uint32_t)uid;
	return 1;
}

/* The V and N fields of a version 3 header line (without its LF).
 * false when it is not one. */
static bool save_uidlist_header(const unsigned char *line, size_t len,
				uint32_t *uid_validity_r, uint32_t *next_uid_r)
{
	size_t i = 2;

	*uid_validity_r = 0;
	*next_uid_r = 1;
	if (len < 2 || line[0] != '3' || line[1] != ' ')
		return false;
	while (i < len) {
		unsigned char key = line[i++];
		uint64_t num = 0;
		size_t digits = 0;

		while (i < len && line[i] != ' ') {
			if (line[i] >= '0' && line[i] <= '9' &&
			    num < UINT32_MAX)
				num = num * 10 + (uint64_t)(line[i] - '0');
			else
				num = UINT64_MAX;
			digits++;
			i++;
		}
		while (i < len && line[i] == ' ')
			i++;
		if (key != 'V' && key != 'N')
			continue;
		if (digits == 0 || num == 0 || num >= UINT32_MAX)
			return false;
		if (key == 'V')
			*uid_validity_r = (uint32_t)num;
		else
			*next_uid_r = (uint32_t)num;
	}
	return *uid_validity_r != 0;
}

/* Where the uidlist record of a save stands, between
 * save_uidlist_prepare() and save_uidlist_write(). */
struct save_uidlist_append {
	int fd;		/* dovecot-uidlist, O_APPEND */
	off_t old_size; /* its size before the record */
	uint32_t uid;	/* the record's UID */
	uint32_t uid_validity;
};

/* Under the uidlist lock: opens the dovecot-uidlist at path and finds the
 * UID its next record gets. Dovecot appends records the same way and, like
 * our reader, takes the next UID as the larger of the header's N and the
 * last record's UID + 1, so the header is left as it is. Plain system
 * calls and pool allocations only, so that a save thread can run it.
 * Returns 1 with ap filled in (ap->fd open), 0 when the file is missing or
 * not one to append to (another version, a damaged header or last line:
 * the caller rewrites it), -1 on an I/O error with errno and *call_r (the
 * failed call's name). */
static int save_uidlist_prepare(pool_t pool, const char *path,
				struct save_uidlist_append *ap,
				const char **call_r)
{
	unsigned char *head, *tail;
	const unsigned char *nl;
	size_t head_got, tail_got, tail_size;
	uint32_t last_uid, next_uid;
	struct stat st;
	int fd, err;

	ap->fd = -1;
	*call_r = "open";
	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	*call_r = "fstat";
	if (fstat(fd, &st) < 0)
		goto fail;
	head = p_malloc(pool, SAVE_UIDLIST_HEAD_MAX);
	tail_size = (size_t)MIN_OF((uint64_t)st.st_size,
				   (uint64_t)SAVE_UIDLIST_TAIL_MAX);
	tail = p_malloc(pool, tail_size + 1);
	*call_r = "read";
	if (save_pread(fd, head, SAVE_UIDLIST_HEAD_MAX, 0, &head_got) < 0 ||
	    save_pread(fd, tail, tail_size, st.st_size - (off_t)tail_size,
		       &tail_got) < 0)
		goto fail;
	/* only version 3 with a sound header is appended to */
	nl = memchr(head, '\n', head_got);
	if (nl == NULL || tail_got != tail_size ||
	    !save_uidlist_header(head, (size_t)(nl - head), &ap->uid_validity,
				 &next_uid) ||
	    save_uidlist_last_uid(tail, tail_got, (uint64_t)st.st_size,
				  (size_t)(nl - head) + 1, &last_uid) == 0) {
		(void)close(fd);
		return 0;
	}
	ap->uid = MAX_OF(next_uid, last_uid + 1);
	if (ap->uid >= UINT32_MAX - 1) {
		/* UIDs exhausted: the rewrite reports it */
		(void)close(fd);
		return 0;
	}
	ap->fd = fd;
	ap->old_size = st.st_size;
	return 1;
fail:
	err = errno;
	(void)close(fd);
	errno = err;
	return -1;
}

/* Under the uidlist lock, after save_uidlist_prepare(): appends
 * "<uid> :<basename>" in one write, so that a reader sees the whole line
 * or none of it (and both readers skip an unterminated last line). 0, or
 * -1 with the partial line taken back (ap->fd stays open). */
static int save_uidlist_write(pool_t pool, struct save_uidlist_append *ap,
			      const char *basename)
{
	const char *line = p_strdup_printf(pool, "%u :%s\n", ap->uid, basename);
	size_t line_len = strlen(line);
	ssize_t ret;

	do {
		ret = write(ap->fd, line, line_len);
	} while (ret < 0 && errno == EINTR);
	if (ret == (ssize_t)line_len)
		return 0;
	if (ftruncate(ap->fd, ap->old_size) < 0) {
		/* the readers skip an unterminated last line, and the next
		 * rewrite drops it */
	}
	return -1;
}

/* The first half of finishing, in the caller's thread: the held-back CR,
 * keywords (which may add to dovecot-keywords), the date, and the final
 * names. 0 or -1 (the save is then still to be aborted). */
static int save_prepare(struct mailbox_save *save, enum mail_flags flags,
			const char *const *keywords, time_t received_time,
			const char **error_r)
{
	pool_t pool = save->pool;
	const char *fname, *letters;
	uint32_t mask;

	if (save->tmp.fd < 0) {
		*error_r =
		    maildir_error("%s: save already failed", save->tmp.desc);
		return -1;
	}
	if (save->pending_cr) {
		save->pending_cr = false;
		if (save_write(save, (const unsigned char *)"\r", 1, error_r) <
		    0)
			return -1;
	}
	if (mailbox_keywords_to_mask(save->box, keywords, true, &mask,
				     error_r) < 0)
		return -1;
	if (received_time > 0) {
		struct timespec ts[2] = {{.tv_sec = received_time},
					 {.tv_sec = received_time}};

		if (futimens(save->tmp.fd, ts) < 0) {
			*error_r =
			    maildir_error("futimens(%s) failed: %s",
					  save->tmp.desc, strerror(errno));
			return -1;
		}
	}
	save->basename = p_strdup_printf(pool, "%s,S=%llu,W=%llu", save->base,
					 (unsigned long long)save->size,
					 (unsigned long long)save->vsize);
	fname = maildir_filename_set_flags_keywords(pool, save->basename, flags,
						    mask);
	letters = strstr(fname, ":2,");
	save->in_new = letters == NULL || letters[3] == '\0';
	save->dest_name = save->in_new ? save->basename : fname;
	save->dest_dir = p_strconcat(pool, save->box->path,
				     save->in_new ? "/new" : "/cur", NULL);
	save->dest_path =
	    p_strconcat(pool, save->dest_dir, "/", save->dest_name, NULL);
	save->flags = flags;
	save->keywords = mask;
	return 0;
}

/* ---- the uidlist lock, taken by a hard link ----
 * dovecot-uidlist.lock is a Dovecot dotlock: whoever creates the file
 * holds the lock (dotlock.h). Creating it with O_EXCL and removing it for
 * every APPEND allocates and frees an inode each time, and ext4 (without
 * a journal, as on this project's test machine) then searches past every
 * recently freed inode of the group at each allocation. A save therefore
 * takes the lock with link(2) from a file this process keeps next
 * to dovecot-uidlist ("loft-uidlist-lock.<host>.<pid>", one per directory,
 * the last SAVE_LOCK_SOURCES used), which fails with EEXIST exactly as
 * O_EXCL does, and releases it by unlinking the lock's name: for Dovecot
 * and dotlock.c it is the same lock, a file with a fresh mtime
 * (the source's is set just before the link, for their stale checks).
 * The source holds "<pid>:<host>" (as a dotlock created with write_pid
 * does), so a lock left by a killed process is removed at once by the
 * next locker, Loft's or Dovecot's, instead of after two minutes. When
 * the link is not possible (the lock is held: dotlock_create() waits for
 * it then; another file system, no hard links) the ordinary dotlock is
 * used. The sources are removed when the process exits; one left by a
 * killed process is removed by the next process of the host that makes
 * its own in that directory. */
#define SAVE_LOCK_SOURCES 32
#define SAVE_LOCK_SOURCE_PREFIX "loft-uidlist-lock."

struct save_lock_source {
	char *dir;  /* control directory, NULL when the slot is free */
	char *path; /* the source file in it */
	ino_t ino;
	uint64_t last_used;
};

static struct {
	pthread_mutex_t lock;
	struct save_lock_source items[SAVE_LOCK_SOURCES];
	uint64_t clock;
	pid_t pid; /* the process that made the sources */
	bool atexit_done;
} save_locks = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* A lock taken by save_lock_take(): by link (ino of the source) or a
 * dotlock. */
struct save_lock {
	const char *path;
	ino_t link_ino;
	struct dotlock *dotlock;
};

static void save_lock_source_free(struct save_lock_source *src, bool unlink_it)
{
	if (unlink_it)
		(void)unlink(src->path);
	i_free(src->dir);
	i_free(src->path);
	memset(src, 0, sizeof(*src));
}

static void save_locks_atexit(void)
{
	pthread_mutex_lock(&save_locks.lock);
	for (unsigned int i = 0; i < SAVE_LOCK_SOURCES; i++) {
		if (save_locks.items[i].dir != NULL)
			save_lock_source_free(&save_locks.items[i],
					      save_locks.pid == getpid());
	}
	pthread_mutex_unlock(&save_locks.lock);
}

/* With save_locks.lock held: the source for dir, created when missing.
 * NULL when it cannot be created. */
/* Removes from dir the sources that processes of this host left behind
 * when they were killed (one that exits removes its own); a source whose
 * pid is running, or is not one of this host's, stays. Once per process
 * and directory, when its own source is made there. */
static void save_lock_sources_sweep(const char *dir, const char *host)
{
	char prefix[300];
	size_t prefix_len;
	struct dirent *d;
	DIR *dirp;

	prefix_len = (size_t)snprintf(prefix, sizeof(prefix), "%s%s.",
				      SAVE_LOCK_SOURCE_PREFIX, host);
	if (prefix_len >= sizeof(prefix) || (dirp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dirp)) != NULL) {
		const char *digits = d->d_name + prefix_len;
		char *end;
		long pid;

		if (strncmp(d->d_name, prefix, prefix_len) != 0 ||
		    *digits < '1' || *digits > '9')
			continue;
		errno = 0;
		pid = strtol(digits, &end, 10);
		if (errno != 0 || *end != '\0' || pid <= 0 || pid > INT_MAX ||
		    pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			(void)unlinkat(dirfd(dirp), d->d_name, 0);
	}
	(void)closedir(dirp);
}

static struct save_lock_source *save_lock_source_get(const char *dir,
						     const char *host)
{
	struct save_lock_source *src = NULL, *oldest = NULL;
	char *path, content[320];
	size_t content_len;
	struct stat st;
	int fd;

	if (save_locks.pid != getpid()) {
		/* a forked child: the parent's sources are not ours */
		for (unsigned int i = 0; i < SAVE_LOCK_SOURCES; i++) {
			if (save_locks.items[i].dir != NULL)
				save_lock_source_free(&save_locks.items[i],
						      false);
		}
		save_locks.pid = getpid();
	}
	for (unsigned int i = 0; i < SAVE_LOCK_SOURCES; i++) {
		struct save_lock_source *item = &save_locks.items[i];

		if (item->dir != NULL && strcmp(item->dir, dir) == 0) {
			item->last_used = ++save_locks.clock;
			return item;
		}
		if (oldest == NULL || item->dir == NULL ||
		    (oldest->dir != NULL &&
		     item->last_used < oldest->last_used))
			oldest = item;
	}
	path = i_strdup_printf("%s/" SAVE_LOCK_SOURCE_PREFIX "%s.%ld", dir,
			       host, (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1) {
		/* not a file of ours alone: a lock would not be told apart */
		if (fd >= 0)
			(void)close(fd);
		i_free(path);
		return NULL;
	}
	/* "<pid>:<host>", as a dotlock with write_pid has: a lock left by
	 * a killed process is removed at once by the next locker */
	content_len = (size_t)snprintf(content, sizeof(content), "%ld:%s",
				       (long)getpid(), host);
	if (content_len >= sizeof(content) || ftruncate(fd, 0) < 0 ||
	    write(fd, content, content_len) != (ssize_t)content_len) {
		(void)close(fd);
		(void)unlink(path);
		i_free(path);
		return NULL;
	}
	(void)close(fd);
	if (!save_locks.atexit_done) {
		save_locks.atexit_done = atexit(save_locks_atexit) == 0;
		if (!save_locks.atexit_done) {
			(void)unlink(path);
			i_free(path);
			return NULL;
		}
	}
	save_lock_sources_sweep(dir, host);
	src = oldest;
	if (src->dir != NULL)
		save_lock_source_free(src, true);
	src->dir = i_strdup(dir);
	src->path = path;
	src->ino = st.st_ino;
	src->last_used = ++save_locks.clock;
	return src;
}

/* Forgets dir's source (it was removed, e.g. with its mailbox). */
static void save_lock_source_forget(const char *dir, ino_t ino)
{
	pthread_mutex_lock(&save_locks.lock);
	for (unsigned int i = 0; i < SAVE_LOCK_SOURCES; i++) {
		struct save_lock_source *item = &save_locks.items[i];

		if (item->dir != NULL && item->ino == ino &&
		    strcmp(item->dir, dir) == 0)
			save_lock_source_free(item, false);
	}
	pthread_mutex_unlock(&save_locks.lock);
}

/* Links dir's source to lock_path. true with *ino_r when the lock was
 * taken that way. */
static bool save_lock_link(const char *dir, const char *lock_path,
			   const char *host, ino_t *ino_r)
{
	struct save_lock_source *src;
	char path[PATH_MAX];
	struct stat st;
	ino_t ino = 0;

	pthread_mutex_lock(&save_locks.lock);
	src = save_lock_source_get(dir, host);
	if (src != NULL && strlen(src->path) < sizeof(path)) {
		strcpy(path, src->path);
		ino = src->ino;
	} else {
		src = NULL;
	}
	pthread_mutex_unlock(&save_locks.lock);
	if (src == NULL)
		return false;
	/* a fresh mtime, as a newly created lock file has */
	if (utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			save_lock_source_forget(dir, ino);
		return false;
	}
	if (link(path, lock_path) < 0) {
		if (errno == ENOENT)
			save_lock_source_forget(dir, ino);
		return false;
	}
	/* the lock is ours now; released by the inode actually linked */
	if (lstat(lock_path, &st) < 0) {
		(void)unlink(lock_path);
		return false;
	}
	if (st.st_ino != ino || st.st_nlink != 2) {
		/* the source was replaced or is linked elsewhere too: made
		 * anew (or not used) next time */
		save_lock_source_forget(dir, ino);
	}
	*ino_r = st.st_ino;
	return true;
}

/* Takes the uidlist lock of save (waiting for another holder as
 * dotlock_create() does). Plain system calls only. false when it was not
 * taken. */
static bool save_lock_take(struct mailbox_save *save, struct save_lock *lock_r)
{
	static const struct dotlock_settings set = {
	    .timeout_secs = MAILDIR_UIDLIST_LOCK_TIMEOUT_SECS,
	    .stale_secs = MAILDIR_UIDLIST_LOCK_STALE_SECS,
	    .write_pid = false,
	};
	const char *error;

	memset(lock_r, 0, sizeof(*lock_r));
	lock_r->path = save->uidlist_lock_path;
	if (save_lock_link(save->control_dir, save->uidlist_lock_path,
			   save->hostname, &lock_r->link_ino))
		return true;
	return dotlock_create(save->uidlist_lock_path, &set, &lock_r->dotlock,
			      &error) > 0;
}

/* Releases a lock of save_lock_take(): removes the lock's name if it is
 * still ours (as dotlock_delete() does). */
static void save_lock_release(struct save_lock *lock)
{
	struct stat st;

	if (lock->dotlock != NULL) {
		dotlock_delete(&lock->dotlock);
		return;
	}
	if (lock->link_ino == 0)
		return;
	if (lstat(lock->path, &st) == 0 && st.st_ino == lock->link_ino)
		(void)unlink(lock->path);
	lock->link_ino = 0;
}

/* fdatasync of the uidlist record save_durable() wrote (the record stays
 * when it fails: its file is in place). Closes the file. */
static void save_uidlist_sync(struct mailbox_save *save)
{
	if (fdatasync(save->uidlist_fd) < 0)
		save->uidlist_errno = errno;
	(void)close(save->uidlist_fd);
	save->uidlist_fd = -1;
}

/* fsync of an unnamed file after its link (see file_errno). Closes it. */
static void save_file_sync(struct mailbox_save *save)
{
	if (fsync(save->tmp.fd) < 0)
		save->file_errno = errno;
	(void)close(save->tmp.fd);
	save->tmp.fd = -1;
}

static void save_threads_queue_part(struct save_part *part,
				    struct mailbox_save *save,
				    void (*run)(struct mailbox_save *save));

/* The durable half: fsync the file; under the uidlist lock, move it into
 * place and append its uidlist record (so that a sync, which takes the
 * lock to give new files their UIDs, cannot give it one first); then,
 * with the lock released, fsync the directory, fdatasync the uidlist
 * and, for an unnamed file, fsync it again (its link count). All are on
 * disk before the caller answers; a crash before that leaves
 * the file without its record (the next sync gives it a UID) or a record
 * whose file is not there (dropped as expunged by the next sync): either
 * way nothing the client was told about. Plain system calls only (no
 * logging, no shared buffers), as it may run in a save thread; a failure
 * is left in job_errno/job_step, and a record not written (no usable
 * uidlist, the lock not taken) is left to save_complete(). */
static void save_durable(struct mailbox_save *save)
{
	struct save_uidlist_append ap = {.fd = -1};
	struct save_lock lock = {0};
	bool locked = false, written = false;
	const char *call;
	int fd;

	save->job_errno = 0;
	if (fsync(save->tmp.fd) < 0) {
		save->job_errno = errno;
		save->job_step = SAVE_STEP_FSYNC;
		return;
	}
	if (save->uidlist_path != NULL && save_lock_take(save, &lock)) {
		locked = true;
		if (save_uidlist_prepare(save->pool, save->uidlist_path, &ap,
					 &call) <= 0) {
			/* save_complete() rewrites it or reports the error */
			save_lock_release(&lock);
			locked = false;
		}
	}
	if (locked && save->view_update)
		maildir_index_get_stamps_at(save->box_path, save->control_dir,
					    &save->view_before);
	if (maildir_tmp_publish(&save->tmp, save->dest_path,
				&save->publish_call) < 0) {
		save->job_errno = errno;
		save->job_step = SAVE_STEP_PUBLISH;
		goto out;
	}
	save->renamed = true;
	if (save->tmp.path != NULL) {
		/* renamed: fsynced already, closing reports nothing more */
		(void)close(save->tmp.fd);
		save->tmp.fd = -1;
	} else if (save->split) {
		save_threads_queue_part(&save->part_file, save, save_file_sync);
	}
	if (locked && save_uidlist_write(save->pool, &ap, save->basename) == 0)
		written = true;
	if (written && save->view_update) {
		maildir_index_get_stamps_at(save->box_path, save->control_dir,
					    &save->view_after);
		save->view_stamped = true;
	}
	if (locked) {
		save_lock_release(&lock);
		locked = false;
	}
	if (written) {
		save->uid = ap.uid;
		save->uid_validity = ap.uid_validity;
		save->uidlist_fd = ap.fd;
		ap.fd = -1;
		save->uidlist_written = true;
		/* the syncs side by side: one disk round trip less */
		if (save->split)
			save_threads_queue_part(&save->part_uidlist, save,
						save_uidlist_sync);
	}
	fd = open(save->dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		save->job_errno = errno;
		save->job_step = SAVE_STEP_FSYNC_DIR;
	}
	if (fd >= 0)
		(void)close(fd);
	if (written && !save->split)
		save_uidlist_sync(save);
	if (save->tmp.fd >= 0 && !save->split)
		save_file_sync(save);
out:
	if (locked)
		save_lock_release(&lock);
	if (ap.fd >= 0)
		(void)close(ap.fd);
}

/* save_durable() appends the uidlist record itself. */
static void save_set_uidlist_paths(struct mailbox_save *save)
{
	save->view_update = save->box->view_pool != NULL;
	save->box_path = p_strdup(save->pool, save->box->path);
	save->control_dir = p_strdup(save->pool, save->box->control_dir);
	save->hostname = dotlock_hostname();
	save->uidlist_path = p_strconcat(save->pool, save->box->control_dir,
					 "/" MAILDIR_UIDLIST_FNAME, NULL);
	save->uidlist_lock_path =
	    p_strconcat(save->pool, save->box->control_dir,
			"/" MAILDIR_UIDLIST_LOCK_FNAME, NULL);
}

/* A message saved through a handle with a view (APPEND to the selected
 * mailbox) joins the view when nothing else changed since it was built,
 * instead of the rescan of cur/ the next sync would do. Its UID is above
 * every UID in the view: the view's uidlist stamp is the one the record
 * was appended to. The stamps are those of stat(), so, as for any view
 * (maildir_index_view_is_current()), a change by another process within
 * the same clock tick as the save's own (between the two stamps) is seen
 * only with the next change after it. */
static void save_add_to_view(struct mailbox_save *save)
{
	struct mailbox *box = save->box;
	struct maildir_mail *mail;

	if (!save->view_stamped || box->view_pool == NULL ||
	    (box->mails.count > 0 &&
	     box->mails.items[box->mails.count - 1]->rec.uid >= save->uid) ||
	    !maildir_index_view_advance(box, &save->view_before,
					&save->view_after))
		return;
	mail = p_new(box->view_pool, struct maildir_mail, 1);
	mail->rec.uid = save->uid;
	mail->rec.flags = save->flags;
	mail->rec.keywords = save->keywords;
	mail->rec.physical_size = save->size;
	mail->rec.virtual_size = save->vsize;
	mail->rec.basename = p_strdup(box->view_pool, save->basename);
	mail->rec.modseq = maildir_index_next_modseq(box);
	/* the file's mtime, read when asked for (as after a first open) */
	mail->received_unknown = true;
	mail->filename = p_strdup(box->view_pool, save->dest_name);
	mail->in_new = save->in_new;
	array_push(&box->mails, mail);
	if (box->next_uid <= save->uid)
		box->next_uid = save->uid + 1;
}

/* After save_durable(): the error it left, or the UID. Frees the save. */
static int save_complete(struct mailbox_save **_save, uint32_t *uid_r,
			 const char **error_r)
{
	struct mailbox_save *save = *_save;
	pool_t pool = save->pool;
	int ret = -1;

	*_save = NULL;
	switch (save->job_errno == 0 ? SAVE_STEP_NONE : save->job_step) {
	case SAVE_STEP_NONE:
		if (save->file_errno != 0) {
			/* in place, but may not survive a crash */
			*error_r = maildir_error("fsync(%s) failed: %s",
						 save->dest_path,
						 strerror(save->file_errno));
			break;
		}
		if (save->uidlist_written && save->uidlist_errno != 0) {
			*error_r = maildir_error("fdatasync(%s) failed: %s",
						 save->uidlist_path,
						 strerror(save->uidlist_errno));
			break;
		}
		if (save->uidlist_written) {
			if (save->box->uid_validity == 0)
				save->box->uid_validity = save->uid_validity;
			save_add_to_view(save);
			*uid_r = save->uid;
			ret = 0;
			break;
		}
		ret = maildir_assign_uid(save->box, pool, save->basename, uid_r,
					 error_r);
		if (ret < 0 && unlink(save->dest_path) < 0 && errno != ENOENT) {
			/* a save that failed must not turn up at the next
			 * sync (the uidlist lock on a full disk) */
			i_error("unlink(%s) failed: %s", save->dest_path,
				strerror(errno));
		}
		break;
	case SAVE_STEP_FSYNC:
		*error_r = maildir_error("fsync(%s) failed: %s", save->tmp.desc,
					 strerror(save->job_errno));
		break;
	case SAVE_STEP_PUBLISH:
		*error_r = maildir_error(
		    "%s(%s, %s) failed: %s", save->publish_call, save->tmp.desc,
		    save->dest_path, strerror(save->job_errno));
		break;
	case SAVE_STEP_FSYNC_DIR:
		/* the message is in place but may not survive a crash */
		*error_r = maildir_error("fsync(%s) failed: %s", save->dest_dir,
					 strerror(save->job_errno));
		break;
	}
	save_discard(save);
	return ret;
}

int mailbox_save_finish(struct mailbox_save **_save, enum mail_flags flags,
			const char *const *keywords, time_t received_time,
			uint32_t *uid_r, const char **error_r)
{
	if (save_prepare(*_save, flags, keywords, received_time, error_r) < 0) {
		mailbox_save_abort(_save);
		return -1;
	}
	save_set_uidlist_paths(*_save);
	save_durable(*_save);
	return save_complete(_save, uid_r, error_r);
}

/* ---- save threads ----
 * The fsyncs of a save take milliseconds; one process serves many
 * sessions, so mailbox_save_finish_async() runs save_durable() in one of
 * SAVE_THREADS threads, and the uidlist record's fdatasync and the
 * linked file's fsync in others while the first fsyncs the directory. Several
 * saves in flight at once also let the disk take their writes together.
 * Finished saves go back to the ioloop's thread through an eventfd; everything
 * else (logging, the uidlist rewrite, the callbacks) happens there. */
#define SAVE_THREADS 8

struct save_queue {
	struct save_part *head, *tail;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* waiting for a thread: whole saves, and the parts beside a
	 * directory's fsync (taken first: their saves are nearly done) */
	struct save_queue jobs, parts;
	struct mailbox_save *done; /* back to the loop */
	int efd;
	struct io *io;
	bool started;
} save_threads = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .efd = -1,
};

/* Puts part (run(save)) at the back of queue, counted in the save's
 * job_parts, and wakes a thread for it. */
static void save_threads_push(struct save_queue *queue, struct save_part *part,
			      struct mailbox_save *save,
			      void (*run)(struct mailbox_save *save))
{
	part->save = save;
	part->run = run;
	part->next = NULL;
	pthread_mutex_lock(&save_threads.lock);
	save->job_parts++;
	if (queue->tail != NULL)
		queue->tail->next = part;
	else
		queue->head = part;
	queue->tail = part;
	pthread_cond_signal(&save_threads.cond);
	pthread_mutex_unlock(&save_threads.lock);
}

/* With save_threads.lock held: the front of queue, or NULL. */
static struct save_part *save_threads_pop(struct save_queue *queue)
{
	struct save_part *part = queue->head;

	if (part != NULL) {
		queue->head = part->next;
		if (queue->head == NULL)
			queue->tail = NULL;
	}
	return part;
}

/* Called by save_durable() in a save thread: another thread runs part
 * (run(save)) meanwhile. */
static void save_threads_queue_part(struct save_part *part,
				    struct mailbox_save *save,
				    void (*run)(struct mailbox_save *save))
{
	save_threads_push(&save_threads.parts, part, save, run);
}

/* One part of save's job is finished: the last one sends it back to the
 * loop. */
static void save_threads_part_done(struct mailbox_save *save)
{
	uint64_t one = 1;
	bool last;

	pthread_mutex_lock(&save_threads.lock);
	last = --save->job_parts == 0;
	if (last) {
		save->done_next = save_threads.done;
		save_threads.done = save;
	}
	pthread_mutex_unlock(&save_threads.lock);
	while (last && write(save_threads.efd, &one, sizeof(one)) < 0 &&
	       errno == EINTR)
		;
}

static void *save_thread(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct save_part *part;

		pthread_mutex_lock(&save_threads.lock);
		while (save_threads.jobs.head == NULL &&
		       save_threads.parts.head == NULL)
			pthread_cond_wait(&save_threads.cond,
					  &save_threads.lock);
		part = save_threads_pop(&save_threads.parts);
		if (part == NULL)
			part = save_threads_pop(&save_threads.jobs);
		pthread_mutex_unlock(&save_threads.lock);

		part->run(part->save);
		save_threads_part_done(part->save);
	}
	return NULL;
}

static void save_threads_done(void *context)
{
	struct mailbox_save *list, *next;
	uint64_t count;

	(void)context;
	if (read(save_threads.efd, &count, sizeof(count)) < 0 &&
	    errno != EAGAIN && errno != EINTR)
		i_error("read(save eventfd) failed: %m");
	pthread_mutex_lock(&save_threads.lock);
	list = save_threads.done;
	save_threads.done = NULL;
	pthread_mutex_unlock(&save_threads.lock);
	for (; list != NULL; list = next) {
		next = list->done_next;
		list->job_running = false;
		list->job_done = true;
		if (list->orphaned) {
			/* the session went away meanwhile */
			save_discard(list);
			continue;
		}
		list->callback(list->context);
	}
}

/* Starts the threads with the current ioloop. false when that fails (the
 * caller then saves synchronously). */
static bool save_threads_init(void)
{
	unsigned int started = 0;

	if (save_threads.started)
		return true;
	save_threads.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (save_threads.efd < 0) {
		i_error("eventfd() failed: %m");
		return false;
	}
	for (unsigned int i = 0; i < SAVE_THREADS; i++) {
		pthread_t tid;
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		if (pthread_create(&tid, &attr, save_thread, NULL) == 0)
			started++;
		pthread_attr_destroy(&attr);
	}
	if (started == 0) {
		i_error("pthread_create() failed for the save threads");
		i_close_fd(&save_threads.efd);
		return false;
	}
	save_threads.io =
	    io_add(save_threads.efd, IO_READ, save_threads_done, NULL);
	save_threads.started = true;
	return true;
}

int mailbox_save_finish_async(struct mailbox_save **_save,
			      enum mail_flags flags,
			      const char *const *keywords, time_t received_time,
			      void (*callback)(void *context), void *context,
			      uint32_t *uid_r, const char **error_r)
{
	struct mailbox_save *save = *_save;

	if (save_prepare(save, flags, keywords, received_time, error_r) < 0) {
		mailbox_save_abort(_save);
		return -1;
	}
	save_set_uidlist_paths(save);
	if (current_ioloop == NULL || !save_threads_init()) {
		save_durable(save);
		return save_complete(_save, uid_r, error_r) < 0 ? -1 : 1;
	}
	save->callback = callback;
	save->context = context;
	save->job_running = true;
	save->split = true;
	save_threads_push(&save_threads.jobs, &save->part_job, save,
			  save_durable);
	return 0;
}

bool mailbox_save_is_running(const struct mailbox_save *save)
{
	return save != NULL && save->job_running;
}

int mailbox_save_finish_result(struct mailbox_save **_save, uint32_t *uid_r,
			       const char **error_r)
{
	i_assert((*_save)->job_done && !(*_save)->job_running);
	return save_complete(_save, uid_r, error_r);
}
