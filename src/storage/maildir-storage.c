/* maildir-storage.c - the INBOX of a Maildir++ mailbox as Dovecot 2.3 keeps
 * it: cur/ new/ tmp/, flags in file names, UIDs in dovecot-uidlist under
 * dovecot-uidlist.lock, UIDVALIDITY from dovecot-uidvalidity.
 *
 * Does: open/sync (new/ -> cur/, UID assignment, vanished files), sizes
 * (S=/W= in names, W cached in the uidlist), flag renames, expunge, the
 * POP3 session lock. Does not: other folders (mailbox-list.c), keywords
 * and IMAP operations (maildir-mail.c), quota. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "array.h"
#include "hash.h"
#include "log.h"
#include "mail-location.h"
#include "maildir-filename.h"
#include "maildir-uidlist.h"
#include "maildir-private.h"
#include "maildir-keywords.h"
#include "maildir-index.h"
#include "maildir-cache.h"
#include "maildir-message.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

/* A file found by a scan, with what its name tells. */
struct scan_file {
	const char *name;
	/* the base name as a string of its own; NULL until needed
	 * (scan_file_base()) */
	const char *basename;
	uint64_t psize, vsize; /* ,S= and ,W= when has_psize, has_vsize */
	uint32_t keywords;
	enum mail_flags flags;
	uint16_t name_len, base_len;
	bool in_new, has_psize, has_vsize;
	/* a dovecot-uidlist record has its base name (set by the matching
	 * of records to files, which looks each record up in by_base) */
	bool has_rec;
};

/* A new file's place in the order of its UID (set_sort_key()): sorted as
 * a compact array, so that comparisons do not chase file pointers */
struct sort_key {
	uint64_t time, micro;
	struct scan_file *file;
	bool has_time, has_micro;
};

/* getdents64() reads into buffers of up to this size (smaller ones for
 * small directories); a new one is taken when less than _MIN_FREE is
 * left (a record is at most some 280 bytes) */
#define SCAN_BUF_MAX_SIZE (1024 * 1024)
#define SCAN_BUF_MIN_FREE 4096
/* scan_file structs are allocated up to this many at a time (fewer for
 * small directories: a keyed scan's memory is the view's), base names
 * from chunks of up to this size */
#define SCAN_FILES_CHUNK 1024
#define SCAN_NAMES_MAX_CHUNK (64 * 1024)

struct maildir_scan {
	pool_t pool;
	ARRAY(struct scan_file *) files;
	/* basename -> struct scan_file: all files of a keyed scan; only
	 * new/'s of an unkeyed one (NULL until there is one) */
	struct hash_table *by_base;
	bool keyed;
	/* files[cur_first..] were read from cur/ */
	unsigned int cur_first;
	/* names are copied out of a temporary getdents64() buffer (the
	 * pool is a view's, which keeps what it is given) */
	bool copy_names;
	/* the getdents64() buffer being filled */
	unsigned char *buf;
	size_t buf_size, buf_used;
	/* scan_file structs not handed out yet, and how many are
	 * allocated at a time */
	struct scan_file *free_files;
	unsigned int free_count, files_chunk;
	/* the base name arena */
	char *names;
	size_t names_left, names_size;
	/* what the names and base names of all files read take as strings
	 * of their own (each with a NUL) */
	size_t names_bytes;
};

/* Big enough for a system call's failure on the path of the longest
 * mailbox name (MAILBOX_LIST_NAME_MAX_LENGTH bytes, up to twice that in
 * modified UTF-7) under its root, so that the text keeps its ": <strerror>"
 * ending that mailbox_error_get_kind() reads. */
static char maildir_errbuf[3 * PATH_MAX];

const char *maildir_error(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(maildir_errbuf, sizeof(maildir_errbuf), fmt, args);
	va_end(args);
	return maildir_errbuf;
}

int maildir_fsync_dir(const char *path)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	i_close_fd(&fd);
	return ret;
}

int maildir_mkdir_parents(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int maildir_file_get_vsize(int fd, uint64_t *psize_r, uint64_t *vsize_r)
{
	unsigned char buf[65536];
	uint64_t psize = 0, lfs = 0;
	unsigned char last = '\0';
	ssize_t ret;

	for (;;) {
		ret = read(fd, buf, sizeof(buf));
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (ret == 0)
			break;
		for (ssize_t i = 0; i < ret; i++) {
			if (buf[i] == '\n' &&
			    (i > 0 ? buf[i - 1] : last) != '\r')
				lfs++;
		}
		last = buf[ret - 1];
		psize += (uint64_t)ret;
	}
	*psize_r = psize;
	*vsize_r = psize + lfs;
	return 0;
}

/* ---- directory scanning ---- */

static struct scan_file *scan_file_alloc(struct maildir_scan *scan)
{
	if (scan->free_count == 0) {
		scan->free_files =
		    p_new(scan->pool, struct scan_file, scan->files_chunk);
		scan->free_count = scan->files_chunk;
	}
	scan->free_count--;
	return scan->free_files++;
}

/* Copies len bytes of s and a NUL into the scan's name arena. */
static char *scan_strndup(struct maildir_scan *scan, const char *s, size_t len)
{
	char *p;

	if (scan->names_left < len + 1) {
		scan->names_size = scan->names_size < SCAN_NAMES_MAX_CHUNK
				       ? scan->names_size * 2 + 256
				       : SCAN_NAMES_MAX_CHUNK;
		if (scan->names_size < len + 1)
			scan->names_size = len + 1;
		scan->names = p_malloc(scan->pool, scan->names_size);
		scan->names_left = scan->names_size;
	}
	p = scan->names;
	memcpy(p, s, len);
	p[len] = '\0';
	scan->names += len + 1;
	scan->names_left -= len + 1;
	return p;
}

/* Sets what f's name tells (sizes, flags, keywords, base name length). */
static void scan_file_set_name(struct maildir_scan *scan, struct scan_file *f,
			       const char *name, size_t name_len)
{
	struct maildir_filename_info info;

	maildir_filename_parse(name, name_len, &info);
	scan->names_bytes += name_len + 1;
	if (info.base_len != name_len)
		scan->names_bytes += info.base_len + 1;
	f->name = name;
	f->name_len = (uint16_t)name_len;
	f->base_len = (uint16_t)info.base_len;
	f->psize = info.psize;
	f->vsize = info.vsize;
	f->has_psize = info.has_psize;
	f->has_vsize = info.has_vsize;
	f->flags = info.flags;
	f->keywords = info.keywords;
}

/* f's base name as a string of its own (the name itself when it has no
 * info part). */
static const char *scan_file_base(struct maildir_scan *scan,
				  struct scan_file *f)
{
	if (f->basename == NULL) {
		f->basename = f->base_len == f->name_len
				  ? f->name
				  : scan_strndup(scan, f->name, f->base_len);
	}
	return f->basename;
}

/* A second file f with the base name of old, which the scan keeps: the
 * same file seen again (new/ read twice), the same message moved from new/
 * to cur/ by someone else while we were scanning (old takes its name), or
 * a duplicate message file, ignored with a warning. dir: f's directory. */
static void scan_merge(struct scan_file *old, const struct scan_file *f,
		       const char *dir)
{
	const char *base = old->basename;

	if (old->in_new == f->in_new && strcmp(old->name, f->name) == 0)
		return;
	if (old->in_new && !f->in_new) {
		*old = *f;
		old->basename = base != NULL ? base : f->basename;
		return;
	}
	i_warning("Maildir %s: duplicate message file %s ignored", dir,
		  f->name);
}

/* Adds f to scan->by_base (created when missing), or merges it into the
 * file there with its base name. Returns true when f was added. */
static bool scan_add_keyed(struct maildir_scan *scan, struct scan_file *f,
			   const char *dir)
{
	struct scan_file *old;

	if (scan->by_base == NULL) {
		scan->by_base =
		    hash_table_create(scan->pool, 64, str_hash, str_cmp);
	}
	old = hash_table_lookup(scan->by_base, scan_file_base(scan, f));
	if (old != NULL) {
		scan_merge(old, f, dir);
		return false;
	}
	hash_table_insert(scan->by_base, f->basename, f);
	return true;
}

/* Reads dir with getdents64() into buffers that the names then point
 * into (no copy per file), or, when the scan's pool is a view's
 * (copy_names), into a buffer freed after, the names copied into the
 * name arena. In a keyed scan and for new/, each file is looked up by
 * base name as it is read; cur/'s files of an unkeyed scan are only
 * listed (see scan_sort_unkeyed()). */
static int scan_dir(struct maildir_scan *scan, const char *dir, bool in_new,
		    const char **error_r)
{
	bool keyed = scan->keyed || in_new;
	unsigned char *tmp_buf = NULL;
	struct stat st;
	size_t want, len;
	ssize_t ret;
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = maildir_error("opendir(%s) failed: %s", dir,
					 strerror(errno));
		return -1;
	}
	/* a getdents64() record is somewhat larger than ext4's own entry */
	want = fstat(fd, &st) == 0 && st.st_size > 0
		   ? (size_t)st.st_size + (size_t)st.st_size / 2 + 1024
		   : 4096;
	if (want > SCAN_BUF_MAX_SIZE)
		want = SCAN_BUF_MAX_SIZE;
	if (want < SCAN_BUF_MIN_FREE)
		want = SCAN_BUF_MIN_FREE;
	if (scan->copy_names)
		tmp_buf = i_malloc(want);
	for (;;) {
		unsigned char *p;

		if (tmp_buf != NULL)
			scan->buf_used = 0;
		else if (scan->buf_size - scan->buf_used < SCAN_BUF_MIN_FREE) {
			scan->buf_size = want;
			scan->buf = p_malloc(scan->pool, scan->buf_size);
			scan->buf_used = 0;
		}
		p = (tmp_buf != NULL ? tmp_buf : scan->buf) + scan->buf_used;
		ret = getdents64(fd, p,
				 (tmp_buf != NULL ? want : scan->buf_size) -
				     scan->buf_used);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
		scan->buf_used += (size_t)ret;
		/* records are 8-byte aligned, and so is the buffer */
		for (size_t pos = 0; pos < (size_t)ret;) {
			const struct dirent64 *d = (const void *)(p + pos);
			struct scan_file *f;

			pos += d->d_reclen;
			if (d->d_name[0] == '.' || d->d_type == DT_DIR)
				continue;
			f = scan_file_alloc(scan);
			len = strlen(d->d_name);
			scan_file_set_name(
			    scan, f,
			    tmp_buf != NULL ? scan_strndup(scan, d->d_name, len)
					    : d->d_name,
			    len);
			f->in_new = in_new;
			if (keyed && !scan_add_keyed(scan, f, dir)) {
				/* the struct is reused for the next file */
				memset(f, 0, sizeof(*f));
				scan->free_files--;
				scan->free_count++;
				continue;
			}
			array_push(&scan->files, f);
		}
	}
	if (ret < 0) {
		*error_r = maildir_error("readdir(%s) failed: %s", dir,
					 strerror(errno));
		i_free(tmp_buf);
		i_close_fd(&fd);
		return -1;
	}
	i_free(tmp_buf);
	i_close_fd(&fd);
	return 0;
}

/* Scans new/, moves its files into cur/ and then scans cur/ (in that
 * order, so that a file moved from new/ to cur/ meanwhile is still seen).
 * Each directory's stamp is taken before the readdir whose result the
 * scan holds and after this scan's own renames, so that it hides no
 * change made by anyone else and the next open can trust it: new/ is read
 * again after moving files out of it. keyed: files are looked up by base
 * name (scan->by_base) as they are read; otherwise only new/'s are, and
 * cur/'s are merged after sorting (scan_sort_unkeyed()). The scan's memory
 * comes from pool. */
static int maildir_scan(struct mailbox *box, pool_t pool, bool keyed,
			struct maildir_scan **scan_r,
			struct maildir_index_stamps *stamps,
			const char **error_r)
{
	const char *new_dir = p_strconcat(pool, box->path, "/new", NULL);
	const char *cur_dir = p_strconcat(pool, box->path, "/cur", NULL);
	struct maildir_scan *scan;
	struct stat st;
	unsigned int hint = 64;

	/* sized for the files cur/ holds (a directory entry takes some 64
	 * bytes on ext4), so that a big mailbox is not rehashed over and
	 * over while it is read */
	if (stat(cur_dir, &st) == 0 && st.st_size / 64 > hint)
		hint = st.st_size / 64 > 4 * 1024 * 1024
			   ? 4 * 1024 * 1024
			   : (unsigned int)(st.st_size / 64);
	scan = p_new(pool, struct maildir_scan, 1);
	scan->pool = pool;
	scan->keyed = keyed;
	scan->copy_names = keyed;
	scan->files_chunk = hint < SCAN_FILES_CHUNK ? hint : SCAN_FILES_CHUNK;
	array_init(&scan->files, pool, hint);
	if (keyed) {
		scan->by_base =
		    hash_table_create(pool, hint, str_hash, str_cmp);
	}
	for (unsigned int attempt = 0;; attempt++) {
		unsigned int first = scan->files.count;
		bool moved = false;

		maildir_index_get_stamp(new_dir, &stamps->new_dir);
		if (scan_dir(scan, new_dir, true, error_r) < 0)
			return -1;
		if (scan->files.count == first || attempt == 2)
			break;
		for (unsigned int i = first; i < scan->files.count; i++) {
			struct scan_file *f = scan->files.items[i];
			const char *src, *dest_name, *dest;

			dest_name =
			    strchr(f->name, ':') != NULL
				? f->name
				: p_strconcat(pool, f->name, ":2,", NULL);
			src = p_strconcat(pool, new_dir, "/", f->name, NULL);
			dest = p_strconcat(pool, cur_dir, "/", dest_name, NULL);
			if (rename(src, dest) == 0) {
				const char *base = scan_file_base(scan, f);

				scan_file_set_name(scan, f, dest_name,
						   strlen(dest_name));
				f->basename = base;
				f->in_new = false;
				moved = true;
			} else if (errno != ENOENT) {
				i_warning("rename(%s, %s) failed: %s", src,
					  dest, strerror(errno));
			}
			/* ENOENT: moved or removed by someone else; if
			 * moved, the scan of cur/ finds it */
		}
		if (moved && maildir_fsync_dir(cur_dir) < 0)
			i_warning("fsync(%s) failed: %s", cur_dir,
				  strerror(errno));
	}
	scan->cur_first = scan->files.count;
	maildir_index_get_stamp(cur_dir, &stamps->cur_dir);
	if (scan_dir(scan, cur_dir, false, error_r) < 0)
		return -1;
	*scan_r = scan;
	return 0;
}

/* Finds the current file name of a message by its base name (after someone
 * renamed it). Returns true when found. */
static bool maildir_find_file(struct mailbox *box, pool_t pool,
			      const char *basename, const char **name_r,
			      bool *in_new_r)
{
	static const char *const subdirs[] = {"cur", "new"};
	size_t base_len = strlen(basename);

	for (unsigned int i = 0; i < N_ELEMENTS(subdirs); i++) {
		const char *dir =
		    p_strconcat(pool, box->path, "/", subdirs[i], NULL);
		struct dirent *d;
		DIR *dirp = opendir(dir);

		if (dirp == NULL)
			continue;
		while ((d = readdir(dirp)) != NULL) {
			if (maildir_filename_base_len(d->d_name) == base_len &&
			    strncmp(d->d_name, basename, base_len) == 0) {
				*name_r = p_strdup(pool, d->d_name);
				*in_new_r = i == 1;
				(void)closedir(dirp);
				return true;
			}
		}
		(void)closedir(dirp);
	}
	return false;
}

/* ---- uidlist and uidvalidity files ---- */

static const char *uidlist_path(struct mailbox *box, pool_t pool)
{
	return p_strconcat(pool, box->control_dir, "/" MAILDIR_UIDLIST_FNAME,
			   NULL);
}

/* Returns 1 with *list_r (header_ok_r tells whether the header was valid),
 * 0 when there is no uidlist, -1 on error. */
static int uidlist_read_stamp(struct mailbox *box, pool_t pool,
			      struct maildir_uidlist **list_r,
			      bool *header_ok_r,
			      struct maildir_index_stamp *stamp_r,
			      const char **error_r)
{
	const char *path = uidlist_path(box, pool);
	struct stat st;
	unsigned char *data;
	size_t pos = 0;
	int fd;

	*list_r = NULL;
	*header_ok_r = false;
	memset(stamp_r, 0, sizeof(*stamp_r));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r =
		    maildir_error("open(%s) failed: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*error_r = maildir_error("fstat(%s) failed: %s", path,
					 strerror(errno));
		i_close_fd(&fd);
		return -1;
	}
	maildir_index_stamp_from_stat(&st, stamp_r);
	if ((uint64_t)st.st_size > MAILDIR_UIDLIST_MAX_SIZE) {
		i_warning("Broken file %s: too large (%lld bytes)", path,
			  (long long)st.st_size);
		i_close_fd(&fd);
		(void)maildir_uidlist_parse(pool, path, "", 0, list_r);
		return 1;
	}
	data = p_malloc(pool, (size_t)st.st_size + 1);
	while (pos < (size_t)st.st_size) {
		ssize_t ret = read(fd, data + pos, (size_t)st.st_size - pos);

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			*error_r = maildir_error("read(%s) failed: %s", path,
						 strerror(errno));
			i_close_fd(&fd);
			return -1;
		}
		if (ret == 0)
			break;
		pos += (size_t)ret;
	}
	i_close_fd(&fd);
	*header_ok_r = maildir_uidlist_parse(pool, path, data, pos, list_r) > 0;
	return 1;
}

static int uidlist_read(struct mailbox *box, pool_t pool,
			struct maildir_uidlist **list_r, bool *header_ok_r,
			const char **error_r)
{
	struct maildir_index_stamp stamp;

	return uidlist_read_stamp(box, pool, list_r, header_ok_r, &stamp,
				  error_r);
}

static bool parse_hex32(const char *s, size_t len, uint32_t *num_r)
{
	uint32_t num = 0;

	if (len == 0 || len > 8)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return false;
		num = num * 16 + d;
	}
	*num_r = num;
	return true;
}

/* The highest "dovecot-uidvalidity.<hex>" marker in dir, or 0. */
static uint32_t uidvalidity_scan_markers(const char *dir)
{
	static const char prefix[] = MAILDIR_UIDVALIDITY_FNAME ".";
	uint32_t max = 0, num;
	struct dirent *d;
	DIR *dirp = opendir(dir);

	if (dirp == NULL)
		return 0;
	while ((d = readdir(dirp)) != NULL) {
		if (strncmp(d->d_name, prefix, sizeof(prefix) - 1) == 0 &&
		    parse_hex32(d->d_name + sizeof(prefix) - 1,
				strlen(d->d_name + sizeof(prefix) - 1), &num) &&
		    num > max)
			max = num;
	}
	(void)closedir(dirp);
	return max;
}

/* A new UIDVALIDITY, unique under this mail root: the current time, or one
 * more than the last value handed out when that is not older. Kept in
 * "dovecot-uidvalidity" (hex) plus an empty marker file
 * "dovecot-uidvalidity.<hex>" as Dovecot does. */
static uint32_t uidvalidity_next(struct mailbox *box, pool_t pool)
{
	const char *dir = box->uidvalidity_dir;
	const char *path =
	    p_strconcat(pool, dir, "/" MAILDIR_UIDVALIDITY_FNAME, NULL);
	uint32_t cur = 0, next, now = (uint32_t)time(NULL);
	char buf[16], *tmp_path, *old_marker, *new_marker;
	ssize_t ret;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ret = read(fd, buf, sizeof(buf) - 1);
		i_close_fd(&fd);
		if (ret > 0) {
			size_t len = (size_t)ret;

			while (len > 0 &&
			       (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
				len--;
			if (!parse_hex32(buf, len, &cur))
				cur = 0;
		}
	}
	if (cur == 0)
		cur = uidvalidity_scan_markers(dir);

	next = cur < now ? now : cur + 1;
	for (unsigned int i = 0; i < 10; i++, next++) {
		if (next == 0)
			next = 1;
		old_marker = p_strdup_printf(pool, "%s.%08x", path, cur);
		new_marker = p_strdup_printf(pool, "%s.%08x", path, next);
		if (cur != 0 && rename(old_marker, new_marker) == 0)
			break;
		fd = open(new_marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  0444);
		if (fd >= 0) {
			i_close_fd(&fd);
			if (cur != 0)
				(void)unlink(old_marker);
			break;
		}
		if (errno != EEXIST) {
			/* can't keep markers here: time-based value only */
			break;
		}
	}

	tmp_path = p_strdup_printf(pool, "%s.tmp%ld", path, (long)getpid());
	fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		int len = snprintf(buf, sizeof(buf), "%08x", next);
		bool ok = write(fd, buf, (size_t)len) == len;

		i_close_fd(&fd);
		if (!ok || rename(tmp_path, path) < 0) {
			i_warning("Couldn't write %s: %s", path,
				  strerror(errno));
			(void)unlink(tmp_path);
		}
	}
	return next;
}

/* ---- sync ---- */

static const char *scan_file_path(struct mailbox *box, pool_t pool,
				  const char *name, bool in_new)
{
	return p_strconcat(pool, box->path, in_new ? "/new/" : "/cur/", name,
			   NULL);
}

/* The W extension of a uidlist record as a number. */
static bool rec_get_vsize(const struct maildir_uidlist_rec *rec,
			  uint64_t *size_r)
{
	const char *p = rec->exts;

	while (p != NULL && *p != '\0') {
		if (p[0] == 'W') {
			char *end;

			errno = 0;
			*size_r = strtoull(p + 1, &end, 10);
			return end != p + 1 && (*end == ' ' || *end == '\0') &&
			       errno == 0 && p[1] != '-';
		}
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	return false;
}

/* True when the virtual size is known without reading the file: W= in
 * the base name (which the file name starts with) or in the record. */
static bool vsize_known(const struct maildir_uidlist_rec *rec)
{
	uint64_t size;

	return maildir_filename_get_size(rec->basename, 'W', &size) ||
	       rec_get_vsize(rec, &size);
}

/* True when a file of a keyed scan has no record, or its record no cached
 * virtual size. Each record is looked up in the scan's by_base (the
 * files there are the scan's files, one per base name), so no table of
 * the records is built. */
static bool uidlist_needs_update(struct maildir_uidlist *list, bool header_ok,
				 struct maildir_scan *scan)
{
	unsigned int matched = 0;

	if (list == NULL || !header_ok)
		return true;
	for (unsigned int i = 0; i < list->recs.count; i++) {
		const struct maildir_uidlist_rec *rec = &list->recs.items[i];
		struct scan_file *f =
		    hash_table_lookup(scan->by_base, rec->basename);

		if (f == NULL || f->has_rec)
			continue;
		if (!vsize_known(rec))
			return true;
		f->has_rec = true;
		matched++;
	}
	return matched != scan->files.count;
}

/* A leading decimal number of up to 19 digits, as
 * maildir_filename_sort_cmp() reads it. */
static bool sort_parse_num(const char *s, uint64_t *num_r, const char **end_r)
{
	uint64_t num = 0;
	const char *p = s;

	while (*p >= '0' && *p <= '9' && p - s < 19) {
		num = num * 10 + (uint64_t)(*p - '0');
		p++;
	}
	*num_r = num;
	*end_r = p;
	return p != s;
}

/* Parses the numbers maildir_filename_sort_cmp() compares ("<time>.M<usecs>")
 * once per file instead of once per comparison. */
static void set_sort_key(struct sort_key *k, struct scan_file *f)
{
	const char *end;

	k->file = f;
	k->micro = 0;
	/* the name starts with the base name, and the digits read end
	 * before its ':' */
	k->has_time = sort_parse_num(f->name, &k->time, &end);
	k->has_micro = k->has_time && end[0] == '.' && end[1] == 'M' &&
		       sort_parse_num(end + 2, &k->micro, &end);
}

/* The order of maildir_filename_sort_cmp() (Dovecot's order for new
 * files' UIDs), from the parsed keys. */
static int cmp_sort_keys(const void *a, const void *b)
{
	const struct sort_key *ka = a, *kb = b;

	if (ka->has_time && kb->has_time) {
		if (ka->time != kb->time)
			return ka->time < kb->time ? -1 : 1;
		if (ka->has_micro && kb->has_micro && ka->micro != kb->micro)
			return ka->micro < kb->micro ? -1 : 1;
	}
	return strcmp(ka->file->basename, kb->file->basename);
}

/* Takes the uidlist lock and writes list (lock file renamed over
 * dovecot-uidlist). */
static int uidlist_lock(struct mailbox *box, pool_t pool,
			struct dotlock **lock_r, const char **error_r)
{
	static const struct dotlock_settings set = {
	    .timeout_secs = MAILDIR_UIDLIST_LOCK_TIMEOUT_SECS,
	    .stale_secs = MAILDIR_UIDLIST_LOCK_STALE_SECS,
	    .write_pid = false,
	};
	const char *path = p_strconcat(pool, box->control_dir,
				       "/" MAILDIR_UIDLIST_LOCK_FNAME, NULL);

	if (dotlock_create(path, &set, lock_r, error_r) <= 0)
		return -1;
	return 0;
}

/* dovecot-uidlist is written in pieces of about this size */
#define UIDLIST_WRITE_BUF_SIZE (256 * 1024)

/* Writes list into the lock file and renames it over dovecot-uidlist;
 * *stamp_r (when not NULL) gets the stamp of the file written, which the
 * rename keeps. */
static int uidlist_commit_stamp(struct mailbox *box, pool_t pool,
				struct dotlock **lock,
				struct maildir_uidlist *list,
				struct maildir_index_stamp *stamp_r,
				const char **error_r)
{
	/* as large as the file (some 64 bytes a record) up to the piece
	 * size: pool may be a view's, which keeps it */
	size_t est = 128 + (size_t)list->recs.count * 64;
	string_t *str = str_new(pool, est < UIDLIST_WRITE_BUF_SIZE
					  ? est
					  : UIDLIST_WRITE_BUF_SIZE + 1024);
	const char *path = uidlist_path(box, pool);
	unsigned int pos = 0;
	struct stat st;
	bool done;

	/* through a buffer: no memory of the file's size */
	do {
		str_truncate(str, 0);
		done = maildir_uidlist_write_part(list, str, &pos,
						  UIDLIST_WRITE_BUF_SIZE);
		if (write_full(dotlock_get_fd(*lock), str_data(str),
			       str_len(str)) < 0) {
			*error_r = maildir_error("write(%s) failed: %s",
						 dotlock_get_path(*lock),
						 strerror(errno));
			dotlock_delete(lock);
			return -1;
		}
	} while (!done);
	if (stamp_r != NULL) {
		memset(stamp_r, 0, sizeof(*stamp_r));
		if (fstat(dotlock_get_fd(*lock), &st) == 0)
			maildir_index_stamp_from_stat(&st, stamp_r);
	}
	return dotlock_replace(lock, path, error_r);
}

static int uidlist_commit(struct mailbox *box, pool_t pool,
			  struct dotlock **lock, struct maildir_uidlist *list,
			  const char **error_r)
{
	return uidlist_commit_stamp(box, pool, lock, list, NULL, error_r);
}

/* ---- the first scan: sorting without a hash table ---- */

/* A file's UID order as one number: seconds << 24 | microseconds. */
struct radix_item {
	uint64_t key;
	struct scan_file *file;
};

#define RADIX_TIME_BITS 40
#define RADIX_MICRO_BITS 24

/* The packed key of f, when its name starts with "<secs>.M<usecs>" that
 * fit: then cmp_sort_keys() orders two such files by it, and by the base
 * names when it is equal. */
static bool radix_key(const struct scan_file *f, uint64_t *key_r)
{
	struct sort_key k;

	set_sort_key(&k, (struct scan_file *)f);
	if (!k.has_time || !k.has_micro ||
	    k.time >= (1ull << RADIX_TIME_BITS) ||
	    k.micro >= (1ull << RADIX_MICRO_BITS))
		return false;
	*key_r = k.time << RADIX_MICRO_BITS | k.micro;
	return true;
}

/* Stable LSD radix sort on the keys, a byte at a time; bytes that all
 * keys share are skipped. tmp has room for count items. */
static void radix_sort(struct radix_item *items, struct radix_item *tmp,
		       unsigned int count)
{
	unsigned int counts[8][256];
	struct radix_item *src = items, *dst = tmp, *swap;

	if (count < 2)
		return;
	memset(counts, 0, sizeof(counts));
	for (unsigned int i = 0; i < count; i++) {
		uint64_t key = items[i].key;

		for (unsigned int b = 0; b < 8; b++)
			counts[b][(key >> (8 * b)) & 0xff]++;
	}
	for (unsigned int b = 0; b < 8; b++) {
		unsigned int pos = 0, n;

		if (counts[b][(items[0].key >> (8 * b)) & 0xff] == count)
			continue;
		for (unsigned int d = 0; d < 256; d++) {
			n = counts[b][d];
			counts[b][d] = pos;
			pos += n;
		}
		for (unsigned int i = 0; i < count; i++) {
			unsigned int d = (src[i].key >> (8 * b)) & 0xff;

			dst[counts[b][d]++] = src[i];
		}
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != items)
		memcpy(items, src, sizeof(*items) * count);
}

/* strcmp() of two files' base names. */
static int base_cmp(const struct scan_file *a, const struct scan_file *b)
{
	size_t len = a->base_len < b->base_len ? a->base_len : b->base_len;
	int ret = memcmp(a->name, b->name, len);

	if (ret != 0)
		return ret;
	return a->base_len < b->base_len ? -1 : a->base_len > b->base_len;
}

/* The files of an unkeyed scan in UID order, each base name once, into
 * sorted_r (from scan->pool): sorted by radix_key() and then, among equal
 * keys, by base name (stable: files with the same base name stay in scan
 * order and are merged as scan_add_keyed() merges them). Returns false
 * when a name gives no packed key. */
static bool scan_sort_unkeyed(struct mailbox *box, struct maildir_scan *scan,
			      struct scan_file ***sorted_r,
			      unsigned int *count_r)
{
	unsigned int count = scan->files.count, n = 0;
	struct radix_item *items, *tmp;
	struct scan_file **sorted;
	const char *dirs[2] = {
	    p_strconcat(scan->pool, box->path, "/cur", NULL),
	    p_strconcat(scan->pool, box->path, "/new", NULL),
	};

	items = p_malloc(scan->pool, sizeof(*items) * (count + 1));
	for (unsigned int i = 0; i < count; i++) {
		items[i].file = scan->files.items[i];
		if (!radix_key(items[i].file, &items[i].key))
			return false;
	}
	tmp = p_malloc(scan->pool, sizeof(*tmp) * (count + 1));
	radix_sort(items, tmp, count);

	sorted = p_malloc(scan->pool, sizeof(*sorted) * (count + 1));
	for (unsigned int i = 0; i < count;) {
		unsigned int end = i + 1;

		while (end < count && items[end].key == items[i].key)
			end++;
		/* equal keys: insertion sort by base name (stable) */
		for (unsigned int j = i + 1; j < end; j++) {
			struct radix_item it = items[j];
			unsigned int k = j;

			while (k > i &&
			       base_cmp(items[k - 1].file, it.file) > 0) {
				items[k] = items[k - 1];
				k--;
			}
			items[k] = it;
		}
		for (unsigned int j = i; j < end; j++) {
			struct scan_file *f = items[j].file;

			if (j > i && base_cmp(sorted[n - 1], f) == 0) {
				scan_merge(sorted[n - 1], f,
					   dirs[f->in_new ? 1 : 0]);
				continue;
			}
			sorted[n++] = f;
		}
		i = end;
	}
	*sorted_r = sorted;
	*count_r = n;
	return true;
}

/* Copies the files (in UID order) into one array and their names into one
 * buffer, both from pool, in that order, so that what follows (the
 * uidlist, the view, loft.index) reads them in sequence and not all over
 * the scan's buffers; the scan's memory can then be freed. */
static struct scan_file *scan_files_compact(pool_t pool,
					    const struct maildir_scan *scan,
					    struct scan_file *const *files,
					    unsigned int count)
{
	struct scan_file *out = p_new(pool, struct scan_file, count + 1);
	char *names, *p;

	/* room for all names the scan saw (a pass over the files to count
	 * only those kept would be one more pass in random order) */
	names = p = p_malloc(pool, scan->names_bytes + 1);
	for (unsigned int i = 0; i < count; i++) {
		const struct scan_file *f = files[i];

		if (i + 8 < count)
			__builtin_prefetch(files[i + 8]->name);
		if (i + 16 < count)
			__builtin_prefetch(files[i + 16]);
		out[i] = *f;
		memcpy(p, f->name, f->name_len);
		p[f->name_len] = '\0';
		out[i].name = p;
		p += f->name_len + 1;
		if (f->base_len == f->name_len)
			out[i].basename = out[i].name;
		else {
			memcpy(p, f->name, f->base_len);
			p[f->base_len] = '\0';
			out[i].basename = p;
			p += f->base_len + 1;
		}
	}
	i_assert((size_t)(p - names) <= scan->names_bytes);
	return out;
}

/* A keyed scan from an unkeyed one: cur/'s files looked up by base name
 * (and merged) now. */
static void scan_key_files(struct mailbox *box, struct maildir_scan *scan)
{
	const char *cur_dir = p_strconcat(scan->pool, box->path, "/cur", NULL);
	unsigned int j = scan->cur_first;

	if (scan->by_base == NULL) {
		scan->by_base = hash_table_create(
		    scan->pool, scan->files.count + 16, str_hash, str_cmp);
	}

	for (unsigned int i = scan->cur_first; i < scan->files.count; i++) {
		struct scan_file *f = scan->files.items[i];

		if (scan_add_keyed(scan, f, cur_dir))
			scan->files.items[j++] = f;
	}
	scan->files.count = j;
	scan->keyed = true;
}

/* Under the uidlist lock: rescans, assigns UIDs to new files in Dovecot's
 * order, drops records of vanished files, caches virtual sizes, and
 * rewrites dovecot-uidlist. stamps gets new/'s, cur/'s and the written
 * uidlist's; *rec_files_r the scanned file of each record of *list_r;
 * *scan_r the scan (NULL when it was a first scan, whose files are all in
 * *rec_files_r). */
static int uidlist_update_locked(struct mailbox *box, pool_t pool,
				 struct maildir_index_stamps *stamps,
				 struct maildir_scan **scan_r,
				 struct maildir_uidlist **list_r,
				 struct scan_file ***rec_files_r,
				 const char **error_r)
{
	struct maildir_uidlist *list, *old_list;
	struct maildir_scan *scan;
	struct dotlock *lock;
	ARRAY(struct sort_key) new_files;
	ARRAY(struct scan_file *) rec_files;
	struct scan_file **sorted;
	pool_t scan_pool = NULL;
	unsigned int kept = 0, sorted_count = 0;
	bool header_ok, first_scan;

	if (uidlist_lock(box, pool, &lock, error_r) < 0)
		return -1;
	/* read before the scan: under the lock it cannot change meanwhile */
	if (uidlist_read(box, pool, &old_list, &header_ok, error_r) < 0) {
		dotlock_delete(&lock);
		return -1;
	}
	list = old_list;
	if (list == NULL || !header_ok) {
		list = maildir_uidlist_new(pool, uidvalidity_next(box, pool));
		if (old_list != NULL) {
			i_warning("%s: rebuilding with new UIDVALIDITY %u",
				  uidlist_path(box, pool), list->uid_validity);
			memcpy(list->guid, old_list->guid, sizeof(list->guid));
		}
	}
	if (list->guid[0] == '\0')
		maildir_uidlist_generate_guid(list->guid);

	/* with no records to find files for (a mailbox's first scan), the
	 * files are sorted without a hash table, in a pool of their own */
	first_scan = list->recs.count == 0;
	if (first_scan)
		scan_pool = pool_create("maildir scan", 64 * 1024);
	if (maildir_scan(box, scan_pool != NULL ? scan_pool : pool,
			 scan_pool == NULL, &scan, stamps, error_r) < 0) {
		pool_unref(&scan_pool);
		dotlock_delete(&lock);
		return -1;
	}
	array_init(&rec_files, pool, list->recs.count + scan->files.count + 1);
	array_init(&new_files, pool, 16);
	if (scan_pool != NULL &&
	    scan_sort_unkeyed(box, scan, &sorted, &sorted_count)) {
		/* all files are new, in UID order */
	} else {
		if (scan_pool != NULL)
			scan_key_files(box, scan);
		/* drop records whose files are gone; the files found
		 * have a record */
		for (unsigned int i = 0; i < list->recs.count; i++) {
			struct scan_file *f = hash_table_lookup(
			    scan->by_base, list->recs.items[i].basename);

			if (f != NULL) {
				list->recs.items[kept++] = list->recs.items[i];
				array_push(&rec_files, f);
				f->has_rec = true;
			}
		}
		list->recs.count = kept;

		/* the others are new: they get UIDs sorted by file name */
		for (unsigned int i = 0; i < scan->files.count; i++) {
			struct scan_file *f = scan->files.items[i];

			if (!f->has_rec)
				set_sort_key(array_append_space(&new_files), f);
		}
		qsort(new_files.items, new_files.count,
		      sizeof(new_files.items[0]), cmp_sort_keys);
		sorted_count = new_files.count;
		sorted = p_new(pool, struct scan_file *, sorted_count + 1);
		for (unsigned int i = 0; i < sorted_count; i++)
			sorted[i] = new_files.items[i].file;
	}
	if (scan_pool != NULL) {
		/* out of the scan's memory, which goes */
		struct scan_file *files =
		    scan_files_compact(pool, scan, sorted, sorted_count);

		for (unsigned int i = 0; i < sorted_count; i++)
			sorted[i] = &files[i];
	}
	maildir_uidlist_reserve(list, list->recs.count + sorted_count);
	for (unsigned int i = 0; i < sorted_count; i++) {
		if (list->next_uid >= UINT32_MAX - 1) {
			*error_r = maildir_error("%s: UIDs exhausted",
						 uidlist_path(box, pool));
			pool_unref(&scan_pool);
			dotlock_delete(&lock);
			return -1;
		}
		/* the base name lives in pool, as the list does */
		(void)maildir_uidlist_append_ref(list, list->next_uid,
						 sorted[i]->basename);
		array_push(&rec_files, sorted[i]);
	}
	pool_unref(&scan_pool);

	/* cache virtual sizes that the file names do not carry */
	for (unsigned int i = 0; i < list->recs.count; i++) {
		struct maildir_uidlist_rec *rec = &list->recs.items[i];
		struct scan_file *f = rec_files.items[i];
		const char *path;
		uint64_t psize, vsize;
		int fd;

		if (f->has_vsize || vsize_known(rec))
			continue;
		path = scan_file_path(box, pool, f->name, f->in_new);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT)
				i_warning("open(%s) failed: %s", path,
					  strerror(errno));
			continue;
		}
		if (maildir_file_get_vsize(fd, &psize, &vsize) < 0)
			i_warning("read(%s) failed: %s", path, strerror(errno));
		else {
			char num[32];

			snprintf(num, sizeof(num), "%llu",
				 (unsigned long long)vsize);
			maildir_uidlist_rec_set_ext(pool, rec, 'W', num);
		}
		i_close_fd(&fd);
	}

	if (uidlist_commit_stamp(box, pool, &lock, list, &stamps->uidlist,
				 error_r) < 0)
		return -1;
	*scan_r = first_scan ? NULL : scan;
	*list_r = list;
	*rec_files_r = rec_files.items;
	return 0;
}

/* new/ and cur/ opened once per sync, so that each message's stat()
 * looks up one name instead of walking the whole path (-1: not open,
 * the full path is used). */
struct sync_dirs {
	int new_fd, cur_fd;
};

static int sync_dir_stat(struct mailbox *box, pool_t pool,
			 const struct sync_dirs *dirs, const char *name,
			 bool in_new, struct stat *st_r)
{
	int dir_fd = in_new ? dirs->new_fd : dirs->cur_fd;

	if (dir_fd >= 0)
		return fstatat(dir_fd, name, st_r, 0);
	return stat(scan_file_path(box, pool, name, in_new), st_r);
}

/* Fills mail (zeroed) with message rec, whose file the scan found as f.
 * 1 when filled, 0 when the file is gone, -1 on error. */
static int fill_mail(struct mailbox *box, pool_t pool,
		     const struct sync_dirs *dirs, uint32_t uid_validity,
		     const struct maildir_uidlist_rec *rec,
		     const struct scan_file *f, struct maildir_mail *mail,
		     const char **error_r)
{
	const char *name = f->name, *path;
	bool in_new = f->in_new;
	struct stat st;
	uint64_t size, psize, vsize;
	time_t received;
	bool received_unknown;

	mail->filename = name;
	mail->in_new = in_new;
	mail->rec.uid = rec->uid;
	mail->pop3_uidl = rec->exts[0] == '\0'
			      ? NULL
			      : maildir_uidlist_rec_get_ext(pool, rec, 'P');
	if (maildir_index_sync_lookup(box, uid_validity, rec->uid, &received,
				      &received_unknown, &psize, &vsize)) {
		/* known from before: no stat of the file */
		mail->rec.basename = f->basename;
		mail->rec.flags = f->flags;
		mail->rec.keywords = f->keywords;
		mail->rec.received_time = received;
		mail->received_unknown = received_unknown;
		mail->rec.physical_size = psize;
		mail->rec.virtual_size = vsize;
		return 1;
	}
	if (f->has_psize && (f->has_vsize || rec_get_vsize(rec, &vsize))) {
		/* the sizes are in the name (or uidlist): the file is not
		 * stat'ed, its mtime is read when a client asks for the
		 * INTERNALDATE (mailbox_get_received_time()), as Dovecot
		 * does; the scan saw the file */
		mail->rec.basename = f->basename;
		mail->rec.flags = f->flags;
		mail->rec.keywords = f->keywords;
		mail->received_unknown = true;
		mail->rec.physical_size = f->psize;
		mail->rec.virtual_size = f->has_vsize ? f->vsize : vsize;
		return 1;
	}
	if (sync_dir_stat(box, pool, dirs, name, in_new, &st) < 0) {
		if (errno != ENOENT) {
			path = scan_file_path(box, pool, name, in_new);
			*error_r = maildir_error("stat(%s) failed: %s", path,
						 strerror(errno));
			return -1;
		}
		/* renamed by someone else after we scanned: look again */
		if (!maildir_find_file(box, pool, rec->basename, &name,
				       &in_new))
			return 0;
		path = scan_file_path(box, pool, name, in_new);
		if (stat(path, &st) < 0) {
			if (errno == ENOENT)
				return 0;
			*error_r = maildir_error("stat(%s) failed: %s", path,
						 strerror(errno));
			return -1;
		}
	}
	mail->filename = name;
	mail->in_new = in_new;
	mail->rec.basename = p_strdup(pool, rec->basename);
	mail->rec.flags = maildir_filename_get_flags(name);
	mail->rec.keywords = maildir_filename_get_keywords(name);
	mail->rec.received_time = st.st_mtime;
	if (maildir_filename_get_size(name, 'S', &size))
		mail->rec.physical_size = size;
	else
		mail->rec.physical_size = (uint64_t)st.st_size;
	if (maildir_filename_get_size(name, 'W', &size) ||
	    rec_get_vsize(rec, &size)) {
		mail->rec.virtual_size = size;
	} else {
		int fd;

		path = scan_file_path(box, pool, name, in_new);
		fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			if (errno == ENOENT)
				return 0;
			*error_r = maildir_error("open(%s) failed: %s", path,
						 strerror(errno));
			return -1;
		}
		if (maildir_file_get_vsize(fd, &psize, &size) < 0) {
			*error_r = maildir_error("read(%s) failed: %s", path,
						 strerror(errno));
			i_close_fd(&fd);
			return -1;
		}
		i_close_fd(&fd);
		mail->rec.virtual_size = size;
	}
	return 1;
}

/* Rescans the Maildir into a new view. *stamps_r: those of what the view
 * was built from, each taken before reading it (maildir_scan()). */
static int mailbox_sync_full(struct mailbox *box,
			     struct maildir_index_stamps *stamps_r,
			     const char **error_r)
{
	pool_t pool = pool_create("maildir view", 1024);
	__typeof__(box->mails) mails;
	struct maildir_uidlist *list;
	struct maildir_scan *scan = NULL;
	struct sync_dirs dirs = {-1, -1};
	struct scan_file **rec_files = NULL;
	struct maildir_mail *slots;
	bool header_ok;
	int ret;

	memset(stamps_r, 0, sizeof(*stamps_r));
	ret = uidlist_read_stamp(box, pool, &list, &header_ok,
				 &stamps_r->uidlist, error_r);
	if (ret < 0)
		goto fail;
	/* no usable uidlist: UIDs are assigned under the lock, with one
	 * scan there */
	if (ret > 0 && header_ok &&
	    maildir_scan(box, pool, true, &scan, stamps_r, error_r) < 0)
		goto fail;
	if (scan == NULL || uidlist_needs_update(list, header_ok, scan)) {
		if (uidlist_update_locked(box, pool, stamps_r, &scan, &list,
					  &rec_files, error_r) < 0)
			goto fail;
	}
	array_init(&mails, pool, list->recs.count + 1);
	/* the messages' structs in one block, in UID order */
	slots = p_new(pool, struct maildir_mail, list->recs.count + 1);
	if (list->recs.count > 0) {
		dirs.new_fd = open(p_strconcat(pool, box->path, "/new", NULL),
				   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		dirs.cur_fd = open(p_strconcat(pool, box->path, "/cur", NULL),
				   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	for (unsigned int i = 0; i < list->recs.count; i++) {
		const struct maildir_uidlist_rec *rec = &list->recs.items[i];
		struct scan_file *f =
		    rec_files != NULL
			? rec_files[i]
			: hash_table_lookup(scan->by_base, rec->basename);
		int fret;

		if (f == NULL)
			continue;
		fret = fill_mail(box, pool, &dirs, list->uid_validity, rec, f,
				 &slots[mails.count], error_r);
		if (fret < 0)
			goto fail;
		if (fret > 0) {
			struct maildir_mail *mail = &slots[mails.count];

			array_push(&mails, mail);
		} else {
			memset(&slots[mails.count], 0, sizeof(slots[0]));
		}
	}
	if (box->view_pool != NULL)
		pool_unref(&box->view_pool);
	box->view_pool = pool;
	box->mails = mails;
	box->uid_validity = list->uid_validity;
	box->next_uid = list->next_uid;
	maildir_index_get_stamp(p_strconcat(pool, box->control_dir,
					    "/" MAILDIR_KEYWORDS_FNAME, NULL),
				&stamps_r->keywords);
	maildir_keywords_load(box);
	i_close_fd(&dirs.new_fd);
	i_close_fd(&dirs.cur_fd);
	return 0;
fail:
	i_close_fd(&dirs.new_fd);
	i_close_fd(&dirs.cur_fd);
	pool_unref(&pool);
	return -1;
}

/* The sync: nothing to do when the stamps (directory mtimes, uidlist,
 * keywords) are those of the current view or of a valid loft.index;
 * otherwise a full rescan, which records the stamps of what it read
 * (taken after its own renames and uidlist write), so that the next open
 * is a fast one. */
int mailbox_sync(struct mailbox *box, const char **error_r)
{
	struct maildir_index_stamps stamps;

	maildir_index_get_stamps(box, &stamps);
	if (maildir_index_sync_fast(box, &stamps)) {
		maildir_index_recent_sync(box);
		return 0;
	}
	maildir_index_sync_begin(box);
	if (mailbox_sync_full(box, &stamps, error_r) < 0) {
		maildir_index_sync_abort(box);
		return -1;
	}
	maildir_index_sync_done(box, &stamps);
	maildir_index_recent_sync(box);
	return 0;
}

/* ---- the public mailbox API ---- */

/* mkdir() content to find the directory there: 0, or -1 with errno. */
static int mkdir_or_found(const char *dir)
{
	return mkdir(dir, MAILDIR_DIR_MODE) == 0 || errno == EEXIST ? 0 : -1;
}

/* True when dir is path or one of its parents. */
static bool path_is_within(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	return strncmp(path, dir, len) == 0 &&
	       (path[len] == '\0' || path[len] == '/');
}

int maildir_mailbox_open_dir(const char *path, const char *control_dir,
			     const char *index_dir, const char *uidvalidity_dir,
			     enum mailbox_open_flags flags,
			     struct mailbox **box_r, const char **error_r)
{
	static const char *const subdirs[] = {"cur", "new", "tmp"};
	pool_t pool = pool_create("maildir mailbox", 2048);
	struct mailbox *box;
	const char *dirs[2];

	*box_r = NULL;
	box = p_new(pool, struct mailbox, 1);
	box->pool = pool;
	box->path = p_strdup(pool, path);
	box->control_dir = p_strdup(pool, control_dir);
	box->index_dir = p_strdup(pool, index_dir);
	box->uidvalidity_dir = p_strdup(pool, uidvalidity_dir);

	/* cur/ first: when it is made or found, the mailbox's directory
	 * exists; the control and uidvalidity directories are that one or
	 * its parents unless CONTROL= put them elsewhere. An existing
	 * mailbox costs three mkdir() calls. */
	for (unsigned int i = 0; i < N_ELEMENTS(subdirs); i++) {
		const char *dir =
		    p_strconcat(pool, box->path, "/", subdirs[i], NULL);
		int ret = mkdir_or_found(dir);

		if (ret < 0 && errno == ENOENT && i == 0) {
			/* the mailbox's own directory is missing too */
			ret =
			    maildir_mkdir_parents(box->path, MAILDIR_DIR_MODE);
			if (ret < 0)
				dir = box->path;
			else
				ret = mkdir_or_found(dir);
		}
		if (ret < 0) {
			*error_r = maildir_error("mkdir(%s) failed: %s", dir,
						 strerror(errno));
			pool_unref(&pool);
			return -1;
		}
	}
	dirs[0] = box->control_dir;
	dirs[1] = box->uidvalidity_dir;
	for (unsigned int i = 0; i < N_ELEMENTS(dirs); i++) {
		if (path_is_within(box->path, dirs[i]))
			continue;
		if (maildir_mkdir_parents(dirs[i], MAILDIR_DIR_MODE) < 0) {
			*error_r = maildir_error("mkdir(%s) failed: %s",
						 dirs[i], strerror(errno));
			pool_unref(&pool);
			return -1;
		}
	}
	array_init(&box->mails, pool, 1);
	if ((flags & MAILBOX_OPEN_FLAG_TAKE_RECENT) != 0) {
		/* taken in the first sync, whose index write then also
		 * records the new first recent UID */
		maildir_index_recent_take_init(box);
	}
	if ((flags & MAILBOX_OPEN_FLAG_NO_SYNC) == 0 &&
	    mailbox_sync(box, error_r) < 0) {
		mailbox_close(&box);
		return -1;
	}
	*box_r = box;
	return 0;
}

int mailbox_open_inbox(const char *mail_location, const char *home,
		       struct mailbox **box_r, const char **error_r)
{
	return mailbox_open_inbox_flags(mail_location, home, 0, box_r, error_r);
}

int mailbox_open_inbox_flags(const char *mail_location, const char *home,
			     enum mailbox_open_flags flags,
			     struct mailbox **box_r, const char **error_r)
{
	pool_t pool = pool_create("maildir location", 1024);
	struct mail_location *loc;
	int ret;

	*box_r = NULL;
	if (mail_location_parse(pool, mail_location, home, &loc, error_r) < 0) {
		*error_r = maildir_error("%s", *error_r);
		pool_unref(&pool);
		return -1;
	}
	ret = maildir_mailbox_open_dir(
	    loc->inbox, loc->control != NULL ? loc->control : loc->inbox,
	    loc->index != NULL && strcmp(loc->index, "MEMORY") != 0 ? loc->index
								    : loc->root,
	    loc->control != NULL ? loc->control : loc->root, flags, box_r,
	    error_r);
	pool_unref(&pool);
	return ret;
}

void mailbox_close(struct mailbox **_box)
{
	struct mailbox *box = *_box;

	if (box == NULL)
		return;
	*_box = NULL;
	dotlock_delete(&box->session_lock);
	maildir_index_close(box);
	maildir_cache_deinit(box);
	maildir_notify_deinit(box);
	if (box->view_pool != NULL)
		pool_unref(&box->view_pool);
	maildir_index_view_free(box);
	pool_unref(&box->pool);
}

int mailbox_lock_session(struct mailbox *box, const char **error_r)
{
	static const struct dotlock_settings set = {
	    .timeout_secs = 0,
	    .stale_secs = MAILDIR_POP3_SESSION_LOCK_STALE_SECS,
	    .write_pid = true,
	};
	const char *path;
	int ret;

	if (box->session_lock != NULL)
		return 1;
	if (maildir_mkdir_parents(box->index_dir, MAILDIR_DIR_MODE) < 0) {
		*error_r = maildir_error("mkdir(%s) failed: %s", box->index_dir,
					 strerror(errno));
		return -1;
	}
	path = p_strconcat(box->pool, box->index_dir,
			   "/" MAILDIR_POP3_SESSION_LOCK_FNAME, NULL);
	ret = dotlock_create(path, &set, &box->session_lock, error_r);
	if (ret == 0)
		*error_r = "Mailbox is locked by another POP3 session";
	return ret;
}

int mailbox_lock_session_refresh(struct mailbox *box)
{
	if (box->session_lock == NULL)
		return 0;
	return dotlock_touch(box->session_lock);
}

uint32_t mailbox_get_uid_validity(const struct mailbox *box)
{
	return box->uid_validity;
}

uint32_t mailbox_get_uid_next(const struct mailbox *box)
{
	return box->next_uid;
}

unsigned int mailbox_count(const struct mailbox *box)
{
	return box->mails.count;
}

const struct mail_record *mailbox_get(const struct mailbox *box,
				      unsigned int seq)
{
	i_assert(seq >= 1 && seq <= box->mails.count);
	return &box->mails.items[seq - 1]->rec;
}

static const char *mail_path(struct mailbox *box,
			     const struct maildir_mail *mail)
{
	return scan_file_path(box, box->view_pool, mail->filename,
			      mail->in_new);
}

static int mail_stat(struct mailbox *box, const struct maildir_mail *mail,
		     struct stat *st_r)
{
	char path[PATH_MAX];

	if (mail->filename[0] == '\0') {
		/* see maildir_message_open_file() */
		errno = ENOENT;
		return -1;
	}
	if (snprintf(path, sizeof(path), "%s/%s/%s", box->path,
		     mail->in_new ? "new" : "cur",
		     mail->filename) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return stat(path, st_r);
}

/* Message seq was renamed by someone else: finds its new name, and sets
 * *mail_r to its record (writable now, see maildir_index_mail_writable()). */
static bool mail_refind(struct mailbox *box, unsigned int seq,
			struct maildir_mail **mail_r)
{
	struct maildir_mail *mail = box->mails.items[seq - 1];
	const char *name;
	bool in_new;

	if (!maildir_find_file(box, box->view_pool, mail->rec.basename, &name,
			       &in_new))
		return false;
	mail = maildir_index_mail_writable(box, seq);
	*mail_r = mail;
	mail->filename = name;
	mail->in_new = in_new;
	mail->rec.flags = maildir_filename_get_flags(name);
	mail->rec.keywords = maildir_filename_get_keywords(name);
	return true;
}

time_t mailbox_get_received_time(struct mailbox *box, unsigned int seq)
{
	struct maildir_mail *mail;
	struct stat st;

	i_assert(seq >= 1 && seq <= box->mails.count);
	mail = box->mails.items[seq - 1];
	if (!mail->received_unknown)
		return mail->rec.received_time;
	for (unsigned int attempt = 0;; attempt++) {
		if (mail_stat(box, mail, &st) == 0)
			break;
		if (errno != ENOENT) {
			i_error("stat(%s) failed: %s", mail_path(box, mail),
				strerror(errno));
			return 0;
		}
		if (attempt > 0 || !mail_refind(box, seq, &mail))
			return 0; /* expunged */
	}
	mail = maildir_index_mail_writable(box, seq);
	mail->rec.received_time = st.st_mtime;
	mail->received_unknown = false;
	maildir_index_received_learned(box);
	return mail->rec.received_time;
}

int mailbox_open_mail(struct mailbox *box, unsigned int seq, bool *expunged_r,
		      const char **error_r)
{
	struct maildir_mail *mail;
	int fd;

	*expunged_r = false;
	if (seq < 1 || seq > box->mails.count) {
		*error_r = maildir_error("Invalid message number %u", seq);
		return -1;
	}
	mail = box->mails.items[seq - 1];
	for (unsigned int attempt = 0;; attempt++) {
		/* by its known name: one path component to look up */
		fd = maildir_message_open_file(box, mail);
		if (fd >= 0)
			return fd;
		if (errno != ENOENT) {
			*error_r = maildir_error("open(%s) failed: %s",
						 mail_path(box, mail),
						 strerror(errno));
			return -1;
		}
		if (attempt > 0 || !mail_refind(box, seq, &mail))
			break;
	}
	*expunged_r = true;
	*error_r = maildir_error("Message UID=%u was expunged", mail->rec.uid);
	return -1;
}

int mailbox_add_flags(struct mailbox *box, unsigned int seq,
		      enum mail_flags flags, const char **error_r)
{
	struct maildir_mail *mail;
	const char *src, *dest, *new_name;

	if (seq < 1 || seq > box->mails.count) {
		*error_r = maildir_error("Invalid message number %u", seq);
		return -1;
	}
	mail = box->mails.items[seq - 1];
	for (unsigned int attempt = 0;; attempt++) {
		enum mail_flags new_flags = mail->rec.flags | flags;

		if (new_flags == mail->rec.flags && !mail->in_new)
			return 0;
		new_name = maildir_filename_set_flags(
		    box->view_pool, mail->filename, new_flags);
		src = mail_path(box, mail);
		dest = p_strconcat(box->view_pool, box->path, "/cur/", new_name,
				   NULL);
		if (rename(src, dest) == 0) {
			mail = maildir_index_mail_writable(box, seq);
			mail->filename = new_name;
			mail->in_new = false;
			mail->rec.flags = new_flags;
			mail->rec.modseq = maildir_index_next_modseq(box);
			return 0;
		}
		if (errno != ENOENT) {
			*error_r = maildir_error("rename(%s, %s) failed: %s",
						 src, dest, strerror(errno));
			return -1;
		}
		if (attempt > 0 || !mail_refind(box, seq, &mail))
			break;
	}
	*error_r = maildir_error("Message UID=%u was expunged", mail->rec.uid);
	return -1;
}

int mailbox_expunge_seqs(struct mailbox *box, const unsigned int *seqs,
			 unsigned int count, const char **error_r)
{
	pool_t pool;
	const char *fail_msg = NULL;
	bool *gone, any = false, failed = false;
	struct maildir_uidlist *list;
	struct dotlock *lock;
	bool header_ok;
	unsigned int i, j;

	for (i = 0; i < count; i++) {
		if (seqs[i] < 1 || seqs[i] > box->mails.count) {
			*error_r =
			    maildir_error("Invalid message number %u", seqs[i]);
			return -1;
		}
	}
	pool = pool_create("maildir expunge", 1024);
	gone = p_new(pool, bool, box->mails.count + 1);
	for (i = 0; i < count && !failed; i++) {
		struct maildir_mail *mail = box->mails.items[seqs[i] - 1];
		const char *path;

		if (gone[seqs[i] - 1])
			continue;
		for (unsigned int attempt = 0;; attempt++) {
			path = mail_path(box, mail);
			if (unlink(path) == 0)
				break;
			if (errno != ENOENT) {
				fail_msg = p_strdup_printf(
				    pool, "unlink(%s) failed: %s", path,
				    strerror(errno));
				failed = true;
				break;
			}
			if (attempt > 0 || !mail_refind(box, seqs[i], &mail))
				break; /* already gone */
		}
		if (!failed) {
			gone[seqs[i] - 1] = true;
			any = true;
		}
	}
	if (any) {
		const char *dir = p_strconcat(pool, box->path, "/cur", NULL);

		if (maildir_fsync_dir(dir) < 0)
			i_warning("fsync(%s) failed: %s", dir, strerror(errno));

		/* update the uidlist; if that fails the next sync drops
		 * the records anyway */
		const char *error;

		if (uidlist_lock(box, pool, &lock, &error) < 0) {
			i_warning("Couldn't update uidlist after expunge: %s",
				  error);
		} else if (uidlist_read(box, pool, &list, &header_ok, &error) <=
			       0 ||
			   !header_ok) {
			dotlock_delete(&lock);
		} else {
			for (j = 0; j < box->mails.count; j++) {
				struct maildir_uidlist_rec *rec;
				unsigned int idx;

				if (!gone[j])
					continue;
				rec = maildir_uidlist_lookup_uid(
				    list, box->mails.items[j]->rec.uid);
				if (rec == NULL)
					continue;
				idx = (unsigned int)(rec - list->recs.items);
				array_delete(&list->recs, idx, 1);
			}
			if (uidlist_commit(box, pool, &lock, list, &error) < 0)
				i_warning("Couldn't update uidlist after "
					  "expunge: %s",
					  error);
		}
		(void)maildir_index_next_modseq(box);
		for (i = j = 0; i < box->mails.count; i++) {
			if (!gone[i])
				box->mails.items[j++] = box->mails.items[i];
		}
		box->mails.count = j;
	}
	if (failed)
		*error_r = maildir_error("%s", fail_msg);
	pool_unref(&pool);
	return failed ? -1 : 0;
}

/* ---- for maildir-mail.c ---- */

int maildir_box_uidlist_lock(struct mailbox *box, pool_t pool,
			     struct dotlock **lock_r, const char **error_r)
{
	return uidlist_lock(box, pool, lock_r, error_r);
}

int maildir_box_uidlist_read(struct mailbox *box, pool_t pool,
			     struct maildir_uidlist **list_r, bool *header_ok_r,
			     const char **error_r)
{
	return uidlist_read(box, pool, list_r, header_ok_r, error_r);
}

int maildir_box_uidlist_commit(struct mailbox *box, pool_t pool,
			       struct dotlock **lock,
			       struct maildir_uidlist *list,
			       const char **error_r)
{
	return uidlist_commit(box, pool, lock, list, error_r);
}

const char *maildir_mail_path(struct mailbox *box,
			      const struct maildir_mail *mail)
{
	return mail_path(box, mail);
}

bool maildir_mail_refind(struct mailbox *box, unsigned int seq,
			 struct maildir_mail **mail_r)
{
	return mail_refind(box, seq, mail_r);
}
