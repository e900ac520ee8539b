/* maildir-cache.c - loft.cache and loft.cache.idx: ENVELOPE, BODYSTRUCTURE,
 * BODY and common header fields per message (format and guarantees in
 * maildir-cache.h).
 *
 * Does: open/check/reset the two files, load the UID -> offset table
 * incrementally, read and verify one record per lookup, append under
 * flock(), compact. Does not: parse messages (maildir-message.c) or cache
 * the MIME tree. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "hash.h"
#include "log.h"
#include "maildir-private.h"
#include "maildir-index.h"
#include "maildir-message.h"
#include "maildir-cache.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>

#define CACHE_MAGIC "LOFTCCH\001"
#define CACHE_IDX_MAGIC "LOFTCIX\001"
/* 2: BODYSTRUCTURE sizes of a message/rfc822 part whose multipart closes
 * just before the outer boundary changed; older caches are rebuilt. */
#define CACHE_VERSION 2
#define CACHE_RECORD_MAGIC 0x4d52434cu /* "LCRM" */
#define CACHE_FIELD_COUNT (MAIL_IMAP_BODY + 1 + MAILDIR_MESSAGE_CACHED_HEADERS)
#define CACHE_NULL_LEN 0xffffffffu
/* Compact when at least this many dead records make up most of the file. */
#define CACHE_COMPACT_MIN_DEAD 256

struct cache_file_header {
	char magic[8];
	uint32_t version, uid_validity;
	uint32_t unused[3];
	uint32_t crc; /* over the header with this field zero */
};

struct cache_record_header {
	uint32_t magic, uid, size;
	uint32_t crc; /* over uid, size and the payload */
};

struct cache_idx_entry {
	uint32_t uid;
	uint32_t crc; /* over uid and offset */
	uint64_t offset;
};

struct maildir_cache {
	int data_fd, idx_fd;
	bool failed; /* couldn't create the files: don't retry */
	uint32_t uid_validity;
	uint64_t idx_pos; /* idx bytes already loaded into offsets */
	/* uid -> offset (as pointers; offsets are never 0) */
	struct hash_table *offsets;
};

/* ---- files ---- */

static const char *cache_path(struct mailbox *box, const char *fname, char *buf,
			      size_t size)
{
	snprintf(buf, size, "%s/%s", box->index_dir, fname);
	return buf;
}

static void header_init(struct cache_file_header *hdr, const char *magic,
			uint32_t uid_validity)
{
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr->magic, magic, 8);
	hdr->version = CACHE_VERSION;
	hdr->uid_validity = uid_validity;
	hdr->crc = maildir_index_crc32(0, hdr, sizeof(*hdr));
}

static bool header_check(int fd, const char *magic, uint32_t uid_validity)
{
	struct cache_file_header hdr, tmp;

	if (pread(fd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return false;
	tmp = hdr;
	tmp.crc = 0;
	return memcmp(hdr.magic, magic, 8) == 0 &&
	       hdr.version == CACHE_VERSION &&
	       hdr.uid_validity == uid_validity &&
	       maildir_index_crc32(0, &tmp, sizeof(tmp)) == hdr.crc;
}

static uint32_t entry_crc(const struct cache_idx_entry *e)
{
	uint32_t crc = maildir_index_crc32(0, &e->uid, sizeof(e->uid));

	return maildir_index_crc32(crc, &e->offset, sizeof(e->offset));
}

static void cache_close_files(struct maildir_cache *cache)
{
	i_close_fd(&cache->data_fd);
	i_close_fd(&cache->idx_fd);
	cache->idx_pos = 0;
	if (cache->offsets != NULL)
		hash_table_clear(cache->offsets);
}

/* Writes an empty file with a header through a temp file and a rename. */
static int write_empty(const char *path, const char *magic,
		       uint32_t uid_validity)
{
	char tmp_path[PATH_MAX];
	struct cache_file_header hdr;
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "%s.tmp.%ld", path,
		 (long)getpid());
	fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  MAILDIR_FILE_MODE);
	if (fd < 0) {
		i_error("open(%s) failed: %s", tmp_path, strerror(errno));
		return -1;
	}
	header_init(&hdr, magic, uid_validity);
	if (write_full(fd, &hdr, sizeof(hdr)) < 0) {
		i_error("write(%s) failed: %s", tmp_path, strerror(errno));
		i_close_fd(&fd);
		(void)unlink(tmp_path);
		return -1;
	}
	i_close_fd(&fd);
	if (rename(tmp_path, path) < 0) {
		i_error("rename(%s, %s) failed: %s", tmp_path, path,
			strerror(errno));
		(void)unlink(tmp_path);
		return -1;
	}
	return 0;
}

static int cache_open(struct mailbox *box, struct maildir_cache *cache)
{
	char data_path[PATH_MAX], idx_path[PATH_MAX];

	cache_path(box, MAILDIR_CACHE_FNAME, data_path, sizeof(data_path));
	cache_path(box, MAILDIR_CACHE_IDX_FNAME, idx_path, sizeof(idx_path));
	for (unsigned int attempt = 0; attempt < 2; attempt++) {
		cache->data_fd = open(data_path, O_RDWR | O_CLOEXEC);
		cache->idx_fd = open(idx_path, O_RDWR | O_CLOEXEC);
		if (cache->data_fd >= 0 && cache->idx_fd >= 0 &&
		    header_check(cache->data_fd, CACHE_MAGIC,
				 box->uid_validity) &&
		    header_check(cache->idx_fd, CACHE_IDX_MAGIC,
				 box->uid_validity)) {
			cache->uid_validity = box->uid_validity;
			cache->idx_pos = sizeof(struct cache_file_header);
			return 0;
		}
		cache_close_files(cache);
		if (attempt > 0)
			break;
		/* missing, damaged or of an older UIDVALIDITY: start over
		 * (index first: a new index with an old data file only
		 * gives misses) */
		if (maildir_mkdir_parents(box->index_dir, MAILDIR_DIR_MODE) <
			0 ||
		    write_empty(idx_path, CACHE_IDX_MAGIC, box->uid_validity) <
			0 ||
		    write_empty(data_path, CACHE_MAGIC, box->uid_validity) < 0)
			break;
	}
	cache->failed = true;
	return -1;
}

/* True when the file at fname is no longer the one fd has open. */
static bool file_replaced(struct mailbox *box, const char *fname, int fd)
{
	char path[PATH_MAX];
	struct stat st1, st2;

	if (stat(cache_path(box, fname, path, sizeof(path)), &st1) < 0 ||
	    fstat(fd, &st2) < 0)
		return true;
	return st1.st_ino != st2.st_ino || st1.st_dev != st2.st_dev;
}

static struct maildir_cache *cache_get(struct mailbox *box)
{
	struct maildir_cache *cache = box->cache;

	if (cache == NULL) {
		cache = p_new(box->pool, struct maildir_cache, 1);
		cache->data_fd = cache->idx_fd = -1;
		cache->offsets = hash_table_create(NULL, 1024, NULL, NULL);
		box->cache = cache;
	}
	if (cache->data_fd >= 0 && cache->uid_validity != box->uid_validity)
		cache_close_files(cache);
	if (cache->data_fd < 0 && !cache->failed)
		(void)cache_open(box, cache);
	return cache->data_fd >= 0 ? cache : NULL;
}

/* Loads the idx entries appended since the last call. */
static void cache_refresh(struct mailbox *box, struct maildir_cache *cache)
{
	struct cache_idx_entry entries[512];
	struct stat st;

	if (file_replaced(box, MAILDIR_CACHE_IDX_FNAME, cache->idx_fd) ||
	    file_replaced(box, MAILDIR_CACHE_FNAME, cache->data_fd)) {
		cache_close_files(cache);
		if (cache_open(box, cache) < 0)
			return;
	}
	if (fstat(cache->idx_fd, &st) < 0)
		return;
	while (cache->idx_pos + sizeof(entries[0]) <= (uint64_t)st.st_size) {
		ssize_t ret = pread(cache->idx_fd, entries, sizeof(entries),
				    (off_t)cache->idx_pos);
		size_t n;

		if (ret < (ssize_t)sizeof(entries[0]))
			break;
		n = (size_t)ret / sizeof(entries[0]);
		for (size_t i = 0; i < n; i++) {
			if (entries[i].uid == 0 ||
			    entries[i].offset <
				sizeof(struct cache_file_header) ||
			    entry_crc(&entries[i]) != entries[i].crc)
				continue;
			hash_table_insert(
			    cache->offsets,
			    (const void *)(uintptr_t)entries[i].uid,
			    (void *)(uintptr_t)entries[i].offset);
		}
		cache->idx_pos += n * sizeof(entries[0]);
	}
}

/* ---- payload ---- */

static void payload_append(string_t *dest, const char *value)
{
	uint32_t len = value == NULL ? CACHE_NULL_LEN : (uint32_t)strlen(value);

	str_append_n(dest, &len, sizeof(len));
	if (value != NULL)
		str_append_n(dest, value, len);
}

static void payload_encode(const struct maildir_message_fields *fields,
			   string_t *dest)
{
	for (unsigned int i = 0; i <= MAIL_IMAP_BODY; i++)
		payload_append(dest, fields->imap[i]);
	for (unsigned int i = 0; i < MAILDIR_MESSAGE_CACHED_HEADERS; i++)
		payload_append(dest, fields->headers[i]);
}

bool maildir_cache_payload_decode(const unsigned char *payload, size_t size,
				  pool_t pool,
				  struct maildir_message_fields *fields_r)
{
	const char *values[CACHE_FIELD_COUNT];
	size_t pos = 0;

	memset(fields_r, 0, sizeof(*fields_r));
	for (unsigned int i = 0; i < CACHE_FIELD_COUNT; i++) {
		uint32_t len;

		if (size - pos < sizeof(len))
			return false;
		memcpy(&len, payload + pos, sizeof(len));
		pos += sizeof(len);
		if (len == CACHE_NULL_LEN) {
			values[i] = NULL;
			continue;
		}
		if (len > size - pos ||
		    memchr(payload + pos, '\0', len) != NULL)
			return false;
		values[i] = p_strndup(pool, payload + pos, len);
		pos += len;
	}
	if (pos != size)
		return false;
	/* the IMAP fields are always there */
	for (unsigned int i = 0; i <= MAIL_IMAP_BODY; i++) {
		if (values[i] == NULL)
			return false;
		fields_r->imap[i] = values[i];
	}
	for (unsigned int i = 0; i < MAILDIR_MESSAGE_CACHED_HEADERS; i++)
		fields_r->headers[i] = values[MAIL_IMAP_BODY + 1 + i];
	return true;
}

/* ---- lookup and add ---- */

static bool record_read(struct maildir_cache *cache, uint32_t uid,
			uint64_t offset, pool_t pool,
			struct maildir_message_fields *fields_r)
{
	struct cache_record_header rh;
	unsigned char *payload;
	uint32_t crc;
	bool ret;

	if (pread(cache->data_fd, &rh, sizeof(rh), (off_t)offset) !=
		(ssize_t)sizeof(rh) ||
	    rh.magic != CACHE_RECORD_MAGIC || rh.uid != uid ||
	    rh.size > MAILDIR_CACHE_MAX_RECORD)
		return false;
	payload = i_malloc(rh.size + 1);
	if (pread(cache->data_fd, payload, rh.size,
		  (off_t)(offset + sizeof(rh))) != (ssize_t)rh.size) {
		i_free(payload);
		return false;
	}
	crc = maildir_index_crc32(0, &rh.uid, sizeof(rh.uid) + sizeof(rh.size));
	crc = maildir_index_crc32(crc, payload, rh.size);
	ret = crc == rh.crc &&
	      maildir_cache_payload_decode(payload, rh.size, pool, fields_r);
	i_free(payload);
	return ret;
}

bool maildir_cache_lookup(struct mailbox *box, uint32_t uid, pool_t pool,
			  struct maildir_message_fields *fields_r)
{
	struct maildir_cache *cache = cache_get(box);
	const void *key = (const void *)(uintptr_t)uid;
	uintptr_t offset;

	if (cache == NULL)
		return false;
	for (unsigned int attempt = 0; attempt < 2; attempt++) {
		offset = (uintptr_t)hash_table_lookup(cache->offsets, key);
		if (offset != 0 &&
		    record_read(cache, uid, offset, pool, fields_r))
			return true;
		if (attempt > 0)
			break;
		/* not known yet, or the files were replaced: look at what
		 * others appended */
		if (offset != 0)
			(void)hash_table_remove(cache->offsets, key);
		cache_refresh(box, cache);
		if (cache->data_fd < 0)
			return false;
	}
	return false;
}

/* Appends uid's record and its idx entry; the caller holds the flock. */
static int cache_append_locked(struct maildir_cache *cache, uint32_t uid,
			       const string_t *payload, uint64_t *offset_r)
{
	struct cache_record_header rh;
	struct cache_idx_entry entry;
	struct stat st;
	uint64_t offset, idx_end;
	string_t *rec;
	ssize_t ret;

	if (fstat(cache->data_fd, &st) < 0 ||
	    (uint64_t)st.st_size < sizeof(struct cache_file_header))
		return -1;
	offset = (uint64_t)st.st_size;
	rh.magic = CACHE_RECORD_MAGIC;
	rh.uid = uid;
	rh.size = (uint32_t)str_len(payload);
	rh.crc =
	    maildir_index_crc32(0, &rh.uid, sizeof(rh.uid) + sizeof(rh.size));
	rh.crc = maildir_index_crc32(rh.crc, str_data(payload), rh.size);
	rec = str_new(NULL, sizeof(rh) + rh.size);
	str_append_n(rec, &rh, sizeof(rh));
	str_append_str(rec, payload);
	ret =
	    pwrite(cache->data_fd, str_data(rec), str_len(rec), (off_t)offset);
	if (ret != (ssize_t)str_len(rec)) {
		str_free(&rec);
		return -1;
	}
	str_free(&rec);

	/* a torn entry at the end (crash) is cut off first */
	if (fstat(cache->idx_fd, &st) < 0 ||
	    (uint64_t)st.st_size < sizeof(struct cache_file_header))
		return -1;
	idx_end = (uint64_t)st.st_size;
	idx_end -= (idx_end - sizeof(struct cache_file_header)) %
		   sizeof(struct cache_idx_entry);
	if (idx_end != (uint64_t)st.st_size &&
	    ftruncate(cache->idx_fd, (off_t)idx_end) < 0)
		return -1;
	memset(&entry, 0, sizeof(entry));
	entry.uid = uid;
	entry.offset = offset;
	entry.crc = entry_crc(&entry);
	if (pwrite(cache->idx_fd, &entry, sizeof(entry), (off_t)idx_end) !=
	    (ssize_t)sizeof(entry))
		return -1;
	*offset_r = offset;
	return 0;
}

void maildir_cache_add(struct mailbox *box, uint32_t uid,
		       const struct maildir_message_fields *fields)
{
	struct maildir_cache *cache = cache_get(box);
	string_t *payload;
	uint64_t offset = 0;
	int ret = -1;

	if (cache == NULL)
		return;
	payload = str_new(NULL, 1024);
	payload_encode(fields, payload);
	if (str_len(payload) > MAILDIR_CACHE_MAX_RECORD) {
		str_free(&payload);
		return;
	}
	for (unsigned int attempt = 0; attempt < 2; attempt++) {
		if (flock(cache->data_fd, LOCK_EX) < 0) {
			i_error("flock(%s/" MAILDIR_CACHE_FNAME ") failed: %s",
				box->index_dir, strerror(errno));
			break;
		}
		if (!file_replaced(box, MAILDIR_CACHE_FNAME, cache->data_fd) &&
		    !file_replaced(box, MAILDIR_CACHE_IDX_FNAME,
				   cache->idx_fd)) {
			ret = cache_append_locked(cache, uid, payload, &offset);
			if (ret < 0)
				i_error(
				    "Couldn't append to %s/" MAILDIR_CACHE_FNAME
				    ": %s",
				    box->index_dir, strerror(errno));
			(void)flock(cache->data_fd, LOCK_UN);
			break;
		}
		/* compacted or reset by someone else meanwhile */
		(void)flock(cache->data_fd, LOCK_UN);
		cache_close_files(cache);
		if (attempt > 0 || cache_open(box, cache) < 0)
			break;
	}
	if (ret == 0) {
		hash_table_insert(cache->offsets, (const void *)(uintptr_t)uid,
				  (void *)(uintptr_t)offset);
	}
	str_free(&payload);
}

/* ---- compaction ---- */

/* Copies the records of the view's messages into new files and renames
 * them over the old ones (under the flock of the old data file). */
static int cache_compact(struct mailbox *box, struct maildir_cache *cache)
{
	char data_path[PATH_MAX], idx_path[PATH_MAX];
	char data_tmp[PATH_MAX + 32], idx_tmp[PATH_MAX + 32];
	struct cache_file_header hdr;
	struct maildir_cache new_cache;
	pool_t pool;
	int ret = -1;

	cache_path(box, MAILDIR_CACHE_FNAME, data_path, sizeof(data_path));
	cache_path(box, MAILDIR_CACHE_IDX_FNAME, idx_path, sizeof(idx_path));
	snprintf(data_tmp, sizeof(data_tmp), "%s.tmp.%ld", data_path,
		 (long)getpid());
	snprintf(idx_tmp, sizeof(idx_tmp), "%s.tmp.%ld", idx_path,
		 (long)getpid());
	memset(&new_cache, 0, sizeof(new_cache));
	new_cache.data_fd =
	    open(data_tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		 MAILDIR_FILE_MODE);
	new_cache.idx_fd = open(idx_tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
				MAILDIR_FILE_MODE);
	if (new_cache.data_fd < 0 || new_cache.idx_fd < 0)
		goto out;
	header_init(&hdr, CACHE_MAGIC, box->uid_validity);
	if (write_full(new_cache.data_fd, &hdr, sizeof(hdr)) < 0)
		goto out;
	header_init(&hdr, CACHE_IDX_MAGIC, box->uid_validity);
	if (write_full(new_cache.idx_fd, &hdr, sizeof(hdr)) < 0)
		goto out;
	pool = pool_create("maildir cache compact", 4096);
	for (unsigned int i = 0; i < box->mails.count; i++) {
		uint32_t uid = box->mails.items[i]->rec.uid;
		uintptr_t offset = (uintptr_t)hash_table_lookup(
		    cache->offsets, (const void *)(uintptr_t)uid);
		struct maildir_message_fields fields;
		uint64_t new_offset;
		string_t *payload;

		if (offset == 0 ||
		    !record_read(cache, uid, offset, pool, &fields))
			continue;
		payload = str_new(pool, 1024);
		payload_encode(&fields, payload);
		if (cache_append_locked(&new_cache, uid, payload, &new_offset) <
		    0) {
			pool_unref(&pool);
			goto out;
		}
		if ((i & 255) == 255)
			pool_clear(pool);
	}
	pool_unref(&pool);
	if (rename(idx_tmp, idx_path) < 0 || rename(data_tmp, data_path) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		i_error("Couldn't compact %s: %s", data_path, strerror(errno));
		(void)unlink(data_tmp);
		(void)unlink(idx_tmp);
	}
	i_close_fd(&new_cache.data_fd);
	i_close_fd(&new_cache.idx_fd);
	return ret;
}

void maildir_cache_compact_if_needed(struct mailbox *box)
{
	struct maildir_cache *cache = cache_get(box);
	unsigned int total, live = 0;
	struct hash_iterate_context *iter;
	const void *key;
	void *value;

	if (cache == NULL)
		return;
	cache_refresh(box, cache);
	if (cache->data_fd < 0)
		return;
	total = hash_table_count(cache->offsets);
	if (total < CACHE_COMPACT_MIN_DEAD)
		return;
	iter = hash_table_iterate_init(cache->offsets);
	while (hash_table_iterate(iter, &key, &value)) {
		if (mailbox_seq_by_uid(box, (uint32_t)(uintptr_t)key) != 0)
			live++;
	}
	hash_table_iterate_deinit(&iter);
	if (total - live < CACHE_COMPACT_MIN_DEAD || total - live < live)
		return;
	if (flock(cache->data_fd, LOCK_EX) < 0)
		return;
	if (!file_replaced(box, MAILDIR_CACHE_FNAME, cache->data_fd))
		(void)cache_compact(box, cache);
	(void)flock(cache->data_fd, LOCK_UN);
	/* the next lookup opens the new files */
	cache_close_files(cache);
}

void maildir_cache_deinit(struct mailbox *box)
{
	struct maildir_cache *cache = box->cache;

	if (cache == NULL)
		return;
	cache_close_files(cache);
	hash_table_destroy(&cache->offsets);
	box->cache = NULL;
}
