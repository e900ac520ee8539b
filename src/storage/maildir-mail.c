/* maildir-mail.c - the IMAP operations on a Maildir mailbox: keywords
 * (dovecot-keywords), flag and keyword changes, APPEND with UID, COPY by
 * hard link, expunge by UID, STATUS counts.
 *
 * Does: what mailbox.h's "IMAP operations" section promises, on top of
 * the sync and uidlist code in maildir-storage.c. Does not: the index
 * (modseqs, caching), quota. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "log.h"
#include "dotlock.h"
#include "maildir-filename.h"
#include "maildir-keywords.h"
#include "maildir-uidlist.h"
#include "maildir-private.h"
#include "maildir-index.h"
#include "maildir-cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#define KEYWORDS_LOCK_STALE_SECS 120
#define KEYWORDS_LOCK_TIMEOUT_SECS 10

/* ---- keywords ---- */

static const char *keywords_path(struct mailbox *box, pool_t pool)
{
	return p_strconcat(pool, box->control_dir, "/" MAILDIR_KEYWORDS_FNAME,
			   NULL);
}

/* Reads dovecot-keywords into kw (names from pool). A missing file is
 * empty; a damaged one is logged and read as far as it goes. */
static void keywords_read(struct mailbox *box, pool_t pool,
			  struct maildir_keywords *kw)
{
	const char *path = keywords_path(box, pool);
	char buf[MAILDIR_KEYWORDS_MAX_FILE_SIZE];
	size_t pos = 0;
	int fd;

	memset(kw, 0, sizeof(*kw));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			i_error("open(%s) failed: %s", path, strerror(errno));
		return;
	}
	while (pos < sizeof(buf)) {
		ssize_t ret = read(fd, buf + pos, sizeof(buf) - pos);

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			if (ret < 0)
				i_error("read(%s) failed: %s", path,
					strerror(errno));
			break;
		}
		pos += (size_t)ret;
	}
	i_close_fd(&fd);
	if (pos == sizeof(buf))
		i_warning("Broken file %s: too large, reading only the start",
			  path);
	if (maildir_keywords_parse(pool, buf, pos, kw) > 0)
		i_warning("Broken file %s: invalid lines skipped", path);
}

void maildir_keywords_load(struct mailbox *box)
{
	pool_t pool = box->view_pool != NULL ? box->view_pool : box->pool;

	box->keywords = p_new(pool, struct maildir_keywords, 1);
	keywords_read(box, pool, box->keywords);
}

const char *mailbox_get_keyword_name(const struct mailbox *box,
				     unsigned int idx)
{
	if (box->keywords == NULL || idx >= MAILDIR_KEYWORDS_MAX)
		return NULL;
	return box->keywords->names[idx];
}

int mailbox_keywords_to_mask(struct mailbox *box, const char *const *names,
			     bool create, uint32_t *mask_r,
			     const char **error_r)
{
	static const struct dotlock_settings set = {
	    .timeout_secs = KEYWORDS_LOCK_TIMEOUT_SECS,
	    .stale_secs = KEYWORDS_LOCK_STALE_SECS,
	    .write_pid = false,
	};
	pool_t pool, view_pool;
	struct maildir_keywords kw;
	struct dotlock *lock;
	uint32_t mask = 0;
	bool missing = false;
	string_t *str;
	int idx;

	*mask_r = 0;
	if (box->keywords == NULL && names != NULL && names[0] != NULL) {
		/* opened without a sync (MAILBOX_OPEN_FLAG_NO_SYNC) */
		maildir_keywords_load(box);
	}
	for (unsigned int i = 0; names != NULL && names[i] != NULL; i++) {
		if (!maildir_keyword_is_valid(names[i])) {
			*error_r =
			    maildir_error("Invalid keyword: %s", names[i]);
			return -1;
		}
		idx = maildir_keywords_lookup(box->keywords, names[i]);
		if (idx >= 0)
			mask |= 1u << idx;
		else
			missing = true;
	}
	if (!missing || !create) {
		*mask_r = mask;
		return 0;
	}

	/* add the missing ones under the lock, to the file as it is now */
	pool = pool_create("maildir keywords", 1024);
	if (dotlock_create(p_strconcat(pool, box->control_dir,
				       "/" MAILDIR_KEYWORDS_LOCK_FNAME, NULL),
			   &set, &lock, error_r) <= 0) {
		*error_r = maildir_error("Couldn't lock %s: %s",
					 keywords_path(box, pool), *error_r);
		pool_unref(&pool);
		return -1;
	}
	keywords_read(box, pool, &kw);
	mask = 0;
	for (unsigned int i = 0; names[i] != NULL; i++) {
		idx = maildir_keywords_add(pool, &kw, names[i]);
		if (idx < 0) {
			*error_r = maildir_error(
			    "Too many keywords in mailbox (max %u)",
			    MAILDIR_KEYWORDS_MAX);
			dotlock_delete(&lock);
			pool_unref(&pool);
			return -1;
		}
		mask |= 1u << idx;
	}
	str = str_new(pool, 256);
	maildir_keywords_write(&kw, str);
	if (write_full(dotlock_get_fd(lock), str_data(str), str_len(str)) < 0) {
		*error_r =
		    maildir_error("write(%s) failed: %s",
				  dotlock_get_path(lock), strerror(errno));
		dotlock_delete(&lock);
		pool_unref(&pool);
		return -1;
	}
	if (dotlock_replace(&lock, keywords_path(box, pool), error_r) < 0) {
		pool_unref(&pool);
		return -1;
	}
	/* the handle's copy follows the file */
	view_pool = box->view_pool != NULL ? box->view_pool : box->pool;
	box->keywords = p_new(view_pool, struct maildir_keywords, 1);
	for (unsigned int i = 0; i < MAILDIR_KEYWORDS_MAX; i++)
		box->keywords->names[i] = p_strdup(view_pool, kw.names[i]);
	pool_unref(&pool);
	*mask_r = mask;
	return 0;
}

/* ---- flags ---- */

int mailbox_update_flags(struct mailbox *box, unsigned int seq,
			 enum mail_modify modify, enum mail_flags flags,
			 uint32_t keywords, const char **error_r)
{
	struct maildir_mail *mail;
	const char *src, *dest, *new_name;

	if (seq < 1 || seq > box->mails.count) {
		*error_r = maildir_error("Invalid message number %u", seq);
		return -1;
	}
	mail = box->mails.items[seq - 1];
	for (unsigned int attempt = 0;; attempt++) {
		enum mail_flags new_flags = mail->rec.flags;
		uint32_t new_kw = mail->rec.keywords;

		switch (modify) {
		case MAIL_MODIFY_REPLACE:
			new_flags = flags;
			new_kw = keywords;
			break;
		case MAIL_MODIFY_ADD:
			new_flags |= flags;
			new_kw |= keywords;
			break;
		case MAIL_MODIFY_REMOVE:
			new_flags &= ~flags;
			new_kw &= ~keywords;
			break;
		}
		if (new_flags == mail->rec.flags &&
		    new_kw == mail->rec.keywords && !mail->in_new)
			return 0;
		new_name = maildir_filename_set_flags_keywords(
		    box->view_pool, mail->filename, new_flags, new_kw);
		src = maildir_mail_path(box, mail);
		dest = p_strconcat(box->view_pool, box->path, "/cur/", new_name,
				   NULL);
		if (rename(src, dest) == 0) {
			mail = maildir_index_mail_writable(box, seq);
			mail->filename = new_name;
			mail->in_new = false;
			mail->rec.flags = new_flags;
			mail->rec.keywords = new_kw;
			mail->rec.modseq = maildir_index_next_modseq(box);
			return 0;
		}
		if (errno != ENOENT) {
			*error_r = maildir_error("rename(%s, %s) failed: %s",
						 src, dest, strerror(errno));
			return -1;
		}
		if (attempt > 0 || !maildir_mail_refind(box, seq, &mail))
			break;
	}
	*error_r = maildir_error("Message UID=%u was expunged", mail->rec.uid);
	return -1;
}

/* ---- save and copy ---- */

/* The ":2," letters for flags + keyword mask. */
static const char *info_letters(pool_t pool, enum mail_flags flags,
				uint32_t keywords)
{
	const char *name =
	    maildir_filename_set_flags_keywords(pool, "x", flags, keywords);

	return name + 4; /* after "x:2," */
}

int maildir_assign_uid(struct mailbox *box, pool_t pool, const char *basename,
		       uint32_t *uid_r, const char **error_r)
{
	struct maildir_uidlist *list;
	struct dotlock *lock;
	bool header_ok;
	int ret;

	if (maildir_box_uidlist_lock(box, pool, &lock, error_r) < 0)
		return -1;
	ret = maildir_box_uidlist_read(box, pool, &list, &header_ok, error_r);
	if (ret < 0) {
		dotlock_delete(&lock);
		return -1;
	}
	if (ret > 0 && header_ok) {
		/* a mailbox opened without a sync learns it here */
		if (box->uid_validity == 0)
			box->uid_validity = list->uid_validity;
		for (unsigned int i = 0; i < list->recs.count; i++) {
			if (strcmp(list->recs.items[i].basename, basename) ==
			    0) {
				*uid_r = list->recs.items[i].uid;
				dotlock_delete(&lock);
				return 0;
			}
		}
		if (list->next_uid >= UINT32_MAX - 1) {
			*error_r = maildir_error("%s: UIDs exhausted",
						 box->control_dir);
			dotlock_delete(&lock);
			return -1;
		}
		*uid_r = list->next_uid;
		(void)maildir_uidlist_append(list, list->next_uid, basename);
		return maildir_box_uidlist_commit(box, pool, &lock, list,
						  error_r);
	}
	/* no usable uidlist yet: a full sync creates it */
	dotlock_delete(&lock);
	if (mailbox_sync(box, error_r) < 0)
		return -1;
	for (unsigned int i = 0; i < box->mails.count; i++) {
		if (strcmp(box->mails.items[i]->rec.basename, basename) == 0) {
			*uid_r = box->mails.items[i]->rec.uid;
			return 0;
		}
	}
	*error_r = maildir_error("Saved message %s vanished", basename);
	return -1;
}

int mailbox_save(struct mailbox *box, const void *data, size_t size,
		 enum mail_flags flags, const char *const *keywords,
		 time_t received_time, uint32_t *uid_r, const char **error_r)
{
	pool_t pool = pool_create("maildir save", 1024);
	const char *basename;
	uint32_t mask;
	int ret = -1;

	if (mailbox_keywords_to_mask(box, keywords, true, &mask, error_r) < 0)
		goto out;
	if (maildir_save_file_letters(
		box->path, data, size, info_letters(pool, flags, mask),
		received_time, pool, &basename, error_r) < 0)
		goto out;
	ret = maildir_assign_uid(box, pool, basename, uid_r, error_r);
out:
	pool_unref(&pool);
	return ret;
}

/* Copies the file's data into dest's tmp/ and renames it to dest_path
 * (when a hard link is not possible). */
static int copy_data(struct mailbox *dest, pool_t pool, int src_fd,
		     const char *dest_path, time_t mtime, const char **error_r)
{
	const char *tmp_path = p_strdup_printf(pool, "%s/tmp/%s", dest->path,
					       maildir_filename_generate(pool));
	char buf[65536];
	int fd;

	fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		  MAILDIR_FILE_MODE);
	if (fd < 0) {
		*error_r = maildir_error("open(%s) failed: %s", tmp_path,
					 strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t ret = read(src_fd, buf, sizeof(buf));

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0 ||
		    (ret > 0 && write_full(fd, buf, (size_t)ret) < 0)) {
			*error_r = maildir_error("copy to %s failed: %s",
						 tmp_path, strerror(errno));
			goto fail;
		}
		if (ret == 0)
			break;
	}
	struct timespec ts[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};
	if (futimens(fd, ts) < 0 || fsync(fd) < 0) {
		*error_r = maildir_error("fsync(%s) failed: %s", tmp_path,
					 strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		*error_r = maildir_error("close(%s) failed: %s", tmp_path,
					 strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp_path, dest_path) < 0) {
		*error_r = maildir_error("rename(%s, %s) failed: %s", tmp_path,
					 dest_path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	i_close_fd(&fd);
	(void)unlink(tmp_path);
	return -1;
}

int mailbox_copy(struct mailbox *dest, struct mailbox *src, unsigned int seq,
		 uint32_t *uid_r, const char **error_r)
{
	pool_t pool = pool_create("maildir copy", 1024);
	const struct mail_record *rec;
	const char *names[MAILDIR_KEYWORDS_MAX + 1], *basename, *dest_path;
	const char *dest_dir;
	unsigned int n = 0;
	uint32_t mask;
	bool expunged, linked = false;
	int ret = -1, fd = -1;

	if (seq < 1 || seq > src->mails.count) {
		*error_r = maildir_error("Invalid message number %u", seq);
		goto out;
	}
	rec = &src->mails.items[seq - 1]->rec;
	for (unsigned int i = 0; i < MAILDIR_KEYWORDS_MAX; i++) {
		const char *name = mailbox_get_keyword_name(src, i);

		if ((rec->keywords & (1u << i)) != 0 && name != NULL)
			names[n++] = name;
	}
	names[n] = NULL;
	if (mailbox_keywords_to_mask(dest, names, true, &mask, error_r) < 0)
		goto out;

	/* a fresh base name carrying the sizes, as a save would write */
	basename = p_strdup_printf(pool, "%s,S=%llu,W=%llu",
				   maildir_filename_generate(pool),
				   (unsigned long long)rec->physical_size,
				   (unsigned long long)rec->virtual_size);
	const char *letters = info_letters(pool, rec->flags, mask);
	dest_dir = p_strconcat(pool, dest->path,
			       letters[0] != '\0' ? "/cur" : "/new", NULL);
	dest_path = letters[0] != '\0'
			? p_strconcat(pool, dest_dir, "/", basename, ":2,",
				      letters, NULL)
			: p_strconcat(pool, dest_dir, "/", basename, NULL);

	fd = mailbox_open_mail(src, seq, &expunged, error_r);
	if (fd < 0)
		goto out;
	/* link the file we opened: /proc/self/fd follows renames */
	if (linkat(AT_FDCWD, p_strdup_printf(pool, "/proc/self/fd/%d", fd),
		   AT_FDCWD, dest_path, AT_SYMLINK_FOLLOW) < 0) {
		if (errno != EXDEV && errno != EPERM && errno != EMLINK &&
		    errno != ENOENT && errno != EACCES) {
			*error_r = maildir_error("link(%s) failed: %s",
						 dest_path, strerror(errno));
			goto out;
		}
		if (copy_data(dest, pool, fd, dest_path,
			      mailbox_get_received_time(src, seq), error_r) < 0)
			goto out;
	}
	linked = true;
	if (maildir_fsync_dir(dest_dir) < 0) {
		*error_r = maildir_error("fsync(%s) failed: %s", dest_dir,
					 strerror(errno));
		goto out;
	}
	ret = maildir_assign_uid(dest, pool, basename, uid_r, error_r);
out:
	if (ret < 0 && linked && unlink(dest_path) < 0 && errno != ENOENT) {
		/* a copy that failed must not turn up at the next sync */
		i_error("unlink(%s) failed: %s", dest_path, strerror(errno));
	}
	i_close_fd(&fd);
	pool_unref(&pool);
	return ret;
}

/* ---- expunge and status ---- */

unsigned int mailbox_seq_by_uid(const struct mailbox *box, uint32_t uid)
{
	unsigned int lo = 0, hi = box->mails.count;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		uint32_t mid_uid = box->mails.items[mid]->rec.uid;

		if (mid_uid == uid)
			return mid + 1;
		if (mid_uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int mailbox_expunge_uids(struct mailbox *box, const uint32_t *uids,
			 unsigned int count, const char **error_r)
{
	unsigned int *seqs = i_calloc(count + 1, sizeof(*seqs)), n = 0;
	int ret;

	for (unsigned int i = 0; i < count; i++) {
		unsigned int seq = mailbox_seq_by_uid(box, uids[i]);

		if (seq != 0)
			seqs[n++] = seq;
	}
	ret = n == 0 ? 0 : mailbox_expunge_seqs(box, seqs, n, error_r);
	i_free(seqs);
	return ret;
}

void mailbox_get_status(const struct mailbox *box,
			struct mailbox_status *status_r)
{
	memset(status_r, 0, sizeof(*status_r));
	status_r->messages = box->mails.count;
	status_r->uid_validity = box->uid_validity;
	status_r->uid_next = box->next_uid;
	status_r->recent = mailbox_get_recent_count(box);
	for (unsigned int i = 0; i < box->mails.count; i++) {
		const struct mail_record *rec = &box->mails.items[i]->rec;

		if ((rec->flags & MAIL_SEEN) == 0)
			status_r->unseen++;
		status_r->size += rec->virtual_size;
	}
}

/* ---- sync with changes ---- */

int mailbox_sync_changes(struct mailbox *box, pool_t pool,
			 struct mailbox_sync_changes *changes_r,
			 const char **error_r)
{
	unsigned int old_count = box->mails.count, i, j, kept = 0;
	uint32_t *old_uids, *expunged, *changed;
	uint64_t *old_modseqs;
	unsigned int *expunged_seqs, n_exp = 0, n_changed = 0;

	memset(changes_r, 0, sizeof(*changes_r));
	if (maildir_index_view_is_current(box)) {
		/* nothing changed on disk since the view was built: no
		 * copy of the view to compare with (a big mailbox is synced
		 * after every command) */
		maildir_index_recent_sync(box);
		return 0;
	}
	old_uids = i_calloc(old_count + 1, sizeof(uint32_t));
	old_modseqs = i_calloc(old_count + 1, sizeof(uint64_t));
	for (i = 0; i < old_count; i++) {
		old_uids[i] = box->mails.items[i]->rec.uid;
		old_modseqs[i] = box->mails.items[i]->rec.modseq;
	}
	if (mailbox_sync(box, error_r) < 0) {
		i_free(old_uids);
		i_free(old_modseqs);
		return -1;
	}
	expunged = p_new(pool, uint32_t, old_count + 1);
	expunged_seqs = p_new(pool, unsigned int, old_count + 1);
	changed = p_new(pool, uint32_t, old_count + 1);
	/* both in ascending UID order */
	for (i = j = 0; i < old_count; i++) {
		while (j < box->mails.count &&
		       box->mails.items[j]->rec.uid < old_uids[i])
			j++;
		if (j < box->mails.count &&
		    box->mails.items[j]->rec.uid == old_uids[i]) {
			kept++;
			if (box->mails.items[j]->rec.modseq != old_modseqs[i])
				changed[n_changed++] = old_uids[i];
		} else {
			expunged_seqs[n_exp] = i + 1;
			expunged[n_exp++] = old_uids[i];
		}
	}
	changes_r->expunged_uids = expunged;
	changes_r->expunged_seqs = expunged_seqs;
	changes_r->expunged_count = n_exp;
	changes_r->changed_uids = changed;
	changes_r->changed_count = n_changed;
	changes_r->new_count = box->mails.count - kept;
	if (n_exp > 0)
		maildir_cache_compact_if_needed(box);
	i_free(old_uids);
	i_free(old_modseqs);
	return 0;
}
