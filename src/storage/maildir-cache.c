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
#include "file-mmap.h"
#include "maildir-private.h"
#include "maildir-index.h"
#include "maildir-message.h"
#include "maildir-cache.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

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

/* Flags in the offsets table's values: the record was checked (CRC and
 * layout) once and needs no check again (the data file is append-only
 * and replaced only by a rename, so a record never changes under an open
 * descriptor); or it is still in the pending buffer, at that position. */
#define OFFSET_VERIFIED (1ULL << 63)
#define OFFSET_PENDING (1ULL << 62)
/* with OFFSET_VERIFIED: a header-only record */
#define OFFSET_HEADERS_ONLY (1ULL << 61)
#define OFFSET_MASK (OFFSET_HEADERS_ONLY - 1)
/* Header-only records wait in memory until this many are pending. */
#define CACHE_PENDING_MAX_RECORDS 512
#define CACHE_PENDING_MAX_BYTES (1024 * 1024)
/* Seconds between checks that the files were not replaced, on misses. */
#define CACHE_REPLACED_CHECK_SECS 1

struct maildir_cache {
	int data_fd, idx_fd;
	bool failed; /* couldn't create the files: don't retry */
	uint32_t uid_validity;
	uint64_t idx_pos; /* idx bytes already loaded into offsets */
	/* uid -> offset | OFFSET_* flags (as pointers; never 0) */
	struct hash_table *offsets;
	/* read-only mapping of the data file's first map.size bytes; a
	 * record is copied out of it (into copy) before it is checked or
	 * decoded, so that a file shortened under the mapping (zeros, see
	 * file-mmap.h) is noticed before any of it is believed */
	struct file_mmap map;
	string_t *copy;
	/* header-only records not written yet, back to back as in the data
	 * file, for UIDVALIDITY pending_validity */
	string_t *pending;
	unsigned int pending_count;
	uint32_t pending_validity;
	time_t replaced_checked;
	/* lookups that missed since a refresh last found something: while
	 * nobody else appends (a first SEARCH building the records), only
	 * every CACHE_REFRESH_MISSES-th miss looks at the idx file again */
	unsigned int miss_streak;
};

/* Misses between two looks at the idx file while they find nothing new. */
#define CACHE_REFRESH_MISSES 64

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

static void cache_unmap(struct maildir_cache *cache)
{
	file_mmap_unmap(&cache->map);
}

static void pending_drop(struct maildir_cache *cache);

static void cache_close_files(struct maildir_cache *cache)
{
	pending_drop(cache);
	cache_unmap(cache);
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

static void pending_drop(struct maildir_cache *cache)
{
	if (cache->pending != NULL)
		str_truncate(cache->pending, 0);
	cache->pending_count = 0;
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

static time_t monotonic_secs(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0)
		return 0;
	return ts.tv_sec;
}

/* Loads the idx entries appended since the last call; true when there
 * were any. Whether the files were replaced (compacted or reset by
 * another session) is checked at most once a second: until then a record
 * added to the new files is a miss, which costs a parse, never a wrong
 * answer. */
static bool cache_refresh(struct mailbox *box, struct maildir_cache *cache)
{
	uint64_t old_pos = cache->idx_pos;
	struct cache_idx_entry entries[512];
	struct stat st;
	time_t now = monotonic_secs();

	if (now - cache->replaced_checked >= CACHE_REPLACED_CHECK_SECS ||
	    cache->replaced_checked == 0) {
		cache->replaced_checked = now == 0 ? 1 : now;
		if (file_replaced(box, MAILDIR_CACHE_IDX_FNAME,
				  cache->idx_fd) ||
		    file_replaced(box, MAILDIR_CACHE_FNAME, cache->data_fd)) {
			cache_close_files(cache);
			if (cache_open(box, cache) < 0)
				return false;
			old_pos = 0; /* new files: whatever is in them is new */
		}
	}
	if (fstat(cache->idx_fd, &st) < 0)
		return false;
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
			    entries[i].offset > OFFSET_MASK ||
			    entry_crc(&entries[i]) != entries[i].crc)
				continue;
			hash_table_insert(
			    cache->offsets,
			    (const void *)(uintptr_t)entries[i].uid,
			    (void *)(uintptr_t)entries[i].offset);
		}
		cache->idx_pos += n * sizeof(entries[0]);
	}
	return cache->idx_pos != old_pos;
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

/* Checks a payload's layout: CACHE_FIELD_COUNT length-prefixed values
 * without NULs filling it exactly, the IMAP fields either all there (a
 * full record) or all NULL (a header-only one: *headers_only_r). */
static bool payload_check(const unsigned char *payload, size_t size,
			  bool *headers_only_r)
{
	size_t pos = 0;
	unsigned int imap_nulls = 0;

	for (unsigned int i = 0; i < CACHE_FIELD_COUNT; i++) {
		uint32_t len;

		if (size - pos < sizeof(len))
			return false;
		memcpy(&len, payload + pos, sizeof(len));
		pos += sizeof(len);
		if (len == CACHE_NULL_LEN) {
			if (i <= MAIL_IMAP_BODY)
				imap_nulls++;
			continue;
		}
		if (len > size - pos ||
		    memchr(payload + pos, '\0', len) != NULL)
			return false;
		pos += len;
	}
	if (pos != size ||
	    (imap_nulls != 0 && imap_nulls != MAIL_IMAP_BODY + 1))
		return false;
	*headers_only_r = imap_nulls != 0;
	return true;
}

/* Value number idx of a checked payload: false when NULL. */
static bool payload_field(const unsigned char *payload, unsigned int idx,
			  const unsigned char **value_r, size_t *len_r)
{
	size_t pos = 0;
	uint32_t len;

	for (unsigned int i = 0;; i++) {
		memcpy(&len, payload + pos, sizeof(len));
		pos += sizeof(len);
		if (i == idx)
			break;
		if (len != CACHE_NULL_LEN)
			pos += len;
	}
	if (len == CACHE_NULL_LEN)
		return false;
	*value_r = payload + pos;
	*len_r = len;
	return true;
}

static void payload_decode_checked(const unsigned char *payload, pool_t pool,
				   struct maildir_message_fields *fields_r)
{
	size_t pos = 0;

	memset(fields_r, 0, sizeof(*fields_r));
	for (unsigned int i = 0; i < CACHE_FIELD_COUNT; i++) {
		const char *value = NULL;
		uint32_t len;

		memcpy(&len, payload + pos, sizeof(len));
		pos += sizeof(len);
		if (len != CACHE_NULL_LEN) {
			value = p_strndup(pool, payload + pos, len);
			pos += len;
		}
		if (i <= MAIL_IMAP_BODY)
			fields_r->imap[i] = value;
		else
			fields_r->headers[i - MAIL_IMAP_BODY - 1] = value;
	}
}

bool maildir_cache_payload_decode(const unsigned char *payload, size_t size,
				  pool_t pool,
				  struct maildir_message_fields *fields_r)
{
	bool headers_only;

	memset(fields_r, 0, sizeof(*fields_r));
	if (!payload_check(payload, size, &headers_only))
		return false;
	payload_decode_checked(payload, pool, fields_r);
	return true;
}

/* ---- lookup ---- */

/* Maps the data file up to its current end. */
static bool cache_remap(struct maildir_cache *cache)
{
	struct stat st;

	if (fstat(cache->data_fd, &st) < 0 || st.st_size <= 0 ||
	    (uint64_t)st.st_size > SIZE_MAX)
		return false;
	if ((size_t)st.st_size <= cache->map.size)
		return false;
	cache_unmap(cache);
	return file_mmap_map(&cache->map, cache->data_fd, (size_t)st.st_size,
			     MAP_SHARED) == 0;
}

/* Copies size bytes at offset of the mapping (within it) into cache->copy.
 * False when the data file turned out shorter than the mapping: the files
 * are closed, to be opened again by the next lookup. */
static bool map_copy(struct mailbox *box, struct maildir_cache *cache,
		     uint64_t offset, size_t size)
{
	unsigned int faults = file_mmap_faults(&cache->map);

	if (cache->copy == NULL)
		cache->copy = str_new(NULL, 1024);
	str_truncate(cache->copy, 0);
	str_append_n(cache->copy, cache->map.data + offset, size);
	if (file_mmap_faults(&cache->map) == faults)
		return true;
	i_warning("Cache file %s/" MAILDIR_CACHE_FNAME
		  " was shortened by another process, reopening",
		  box->index_dir);
	cache_close_files(cache);
	return false;
}

/* The payload of uid's record at value (an offsets table value): checks
 * it the first time. False when it is missing or damaged. */
static bool record_payload(struct mailbox *box, struct maildir_cache *cache,
			   uint32_t uid, uint64_t value,
			   const unsigned char **payload_r, size_t *size_r,
			   bool *headers_only_r)
{
	struct cache_record_header rh;
	const unsigned char *rec;
	uint64_t offset = value & OFFSET_MASK;
	uint32_t crc;

	if ((value & OFFSET_PENDING) != 0) {
		i_assert(offset + sizeof(rh) <= str_len(cache->pending));
		rec = str_data(cache->pending) + offset;
		memcpy(&rh, rec, sizeof(rh));
		*payload_r = rec + sizeof(rh);
		*size_r = rh.size;
		*headers_only_r = true;
		return true;
	}
	if (offset + sizeof(rh) > cache->map.size && !cache_remap(cache))
		return false;
	if (offset + sizeof(rh) > cache->map.size ||
	    !map_copy(box, cache, offset, sizeof(rh)))
		return false;
	memcpy(&rh, str_data(cache->copy), sizeof(rh));
	if (rh.magic != CACHE_RECORD_MAGIC || rh.uid != uid ||
	    rh.size > MAILDIR_CACHE_MAX_RECORD)
		return false;
	if (offset + sizeof(rh) + rh.size > cache->map.size &&
	    (!cache_remap(cache) ||
	     offset + sizeof(rh) + rh.size > cache->map.size))
		return false;
	if (!map_copy(box, cache, offset + sizeof(rh), rh.size))
		return false;
	rec = str_data(cache->copy);
	if ((value & OFFSET_VERIFIED) == 0) {
		crc = maildir_index_crc32(0, &rh.uid,
					  sizeof(rh.uid) + sizeof(rh.size));
		crc = maildir_index_crc32(crc, rec, rh.size);
		if (crc != rh.crc ||
		    !payload_check(rec, rh.size, headers_only_r))
			return false;
		hash_table_insert(
		    cache->offsets, (const void *)(uintptr_t)uid,
		    (void *)(uintptr_t)(offset | OFFSET_VERIFIED |
					(*headers_only_r ? OFFSET_HEADERS_ONLY
							 : 0)));
	} else {
		*headers_only_r = (value & OFFSET_HEADERS_ONLY) != 0;
	}
	*payload_r = rec;
	*size_r = rh.size;
	return true;
}

/* Finds uid's record, looking at what others appended when it is not
 * known. */
static bool cache_find(struct mailbox *box, struct maildir_cache *cache,
		       uint32_t uid, bool full, const unsigned char **payload_r,
		       size_t *size_r)
{
	const void *key = (const void *)(uintptr_t)uid;
	bool headers_only;

	for (unsigned int attempt = 0; attempt < 2; attempt++) {
		uint64_t value =
		    (uint64_t)(uintptr_t)hash_table_lookup(cache->offsets, key);

		if (value != 0) {
			if (!record_payload(box, cache, uid, value, payload_r,
					    size_r, &headers_only)) {
				/* damaged, or the files were replaced */
				(void)hash_table_remove(cache->offsets, key);
			} else if (!full || !headers_only) {
				return true;
			}
		}
		if (attempt > 0 ||
		    cache->miss_streak++ % CACHE_REFRESH_MISSES != 0)
			break;
		/* not known yet: look at what others appended */
		if (cache_refresh(box, cache))
			cache->miss_streak = 0;
		if (cache->data_fd < 0)
			return false;
	}
	return false;
}

bool maildir_cache_lookup(struct mailbox *box, uint32_t uid, pool_t pool,
			  struct maildir_message_fields *fields_r)
{
	struct maildir_cache *cache = cache_get(box);
	const unsigned char *payload;
	size_t size;

	if (cache == NULL ||
	    !cache_find(box, cache, uid, true, &payload, &size))
		return false;
	payload_decode_checked(payload, pool, fields_r);
	return true;
}

int maildir_cache_lookup_header(struct mailbox *box, uint32_t uid,
				unsigned int idx, pool_t pool,
				const char **value_r)
{
	struct maildir_cache *cache = cache_get(box);
	const unsigned char *payload, *value;
	size_t size, len;

	i_assert(idx < MAILDIR_MESSAGE_CACHED_HEADERS);
	*value_r = NULL;
	if (cache == NULL ||
	    !cache_find(box, cache, uid, false, &payload, &size))
		return 0;
	if (payload_field(payload, MAIL_IMAP_BODY + 1 + idx, &value, &len))
		*value_r = p_strndup(pool, value, len);
	return 1;
}

/* ---- add ---- */

/* Appends a record with that payload to the data file; the caller holds
 * the flock and writes the idx entry. */
static void record_build(string_t *dest, uint32_t uid, const void *payload,
			 size_t size)
{
	struct cache_record_header rh;

	rh.magic = CACHE_RECORD_MAGIC;
	rh.uid = uid;
	rh.size = (uint32_t)size;
	rh.crc =
	    maildir_index_crc32(0, &rh.uid, sizeof(rh.uid) + sizeof(rh.size));
	rh.crc = maildir_index_crc32(rh.crc, payload, size);
	str_append_n(dest, &rh, sizeof(rh));
	str_append_n(dest, payload, size);
}

/* Writes records (built by record_build(), back to back) at the end of
 * the data file and their idx entries, with one write to each; the
 * caller holds the flock. *offset_r is where they start. */
static int cache_append_locked(struct maildir_cache *cache,
			       const unsigned char *records, size_t size,
			       uint64_t *offset_r)
{
	struct cache_record_header rh;
	struct cache_idx_entry entry;
	struct stat st;
	uint64_t offset, idx_end;
	string_t *entries;
	int ret = -1;

	if (fstat(cache->data_fd, &st) < 0 ||
	    (uint64_t)st.st_size < sizeof(struct cache_file_header))
		return -1;
	offset = (uint64_t)st.st_size;
	if (pwrite(cache->data_fd, records, size, (off_t)offset) !=
	    (ssize_t)size)
		return -1;

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
	entries = str_new(NULL, 256);
	for (size_t pos = 0; pos < size; pos += sizeof(rh) + rh.size) {
		memcpy(&rh, records + pos, sizeof(rh));
		memset(&entry, 0, sizeof(entry));
		entry.uid = rh.uid;
		entry.offset = offset + pos;
		entry.crc = entry_crc(&entry);
		str_append_n(entries, &entry, sizeof(entry));
	}
	if (pwrite(cache->idx_fd, str_data(entries), str_len(entries),
		   (off_t)idx_end) == (ssize_t)str_len(entries))
		ret = 0;
	str_free(&entries);
	*offset_r = offset;
	return ret;
}

/* Appends records under the flock, following a replacement of the
 * files. 0 with *offset_r, or -1 (logged when unexpected). */
static int cache_append(struct mailbox *box, struct maildir_cache *cache,
			const unsigned char *records, size_t size,
			uint64_t *offset_r)
{
	int ret = -1;

	for (unsigned int attempt = 0; attempt < 2; attempt++) {
		if (flock(cache->data_fd, LOCK_EX) < 0) {
			i_error("flock(%s/" MAILDIR_CACHE_FNAME ") failed: %s",
				box->index_dir, strerror(errno));
			break;
		}
		if (!file_replaced(box, MAILDIR_CACHE_FNAME, cache->data_fd) &&
		    !file_replaced(box, MAILDIR_CACHE_IDX_FNAME,
				   cache->idx_fd)) {
			ret =
			    cache_append_locked(cache, records, size, offset_r);
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
	return ret;
}

/* Sets the offsets of the records just written from records. */
static void records_written(struct maildir_cache *cache,
			    const unsigned char *records, size_t size,
			    uint64_t offset)
{
	struct cache_record_header rh;

	for (size_t pos = 0; pos < size; pos += sizeof(rh) + rh.size) {
		bool headers_only;

		memcpy(&rh, records + pos, sizeof(rh));
		/* written by us: checked already */
		(void)payload_check(records + pos + sizeof(rh), rh.size,
				    &headers_only);
		hash_table_insert(
		    cache->offsets, (const void *)(uintptr_t)rh.uid,
		    (void *)(uintptr_t)((offset + pos) | OFFSET_VERIFIED |
					(headers_only ? OFFSET_HEADERS_ONLY
						      : 0)));
	}
}

void maildir_cache_flush(struct mailbox *box)
{
	struct maildir_cache *cache = box->cache;
	string_t *pending;
	uint64_t offset;

	if (cache == NULL || cache->pending_count == 0)
		return;
	pending = cache->pending;
	cache->pending = NULL;
	cache->pending_count = 0;
	if (cache->pending_validity == box->uid_validity &&
	    cache_get(box) != NULL &&
	    cache_append(box, cache, str_data(pending), str_len(pending),
			 &offset) == 0)
		records_written(cache, str_data(pending), str_len(pending),
				offset);
	else {
		/* forget them: their UIDs are looked up again */
		struct cache_record_header rh;
		for (size_t pos = 0; pos < str_len(pending);
		     pos += sizeof(rh) + rh.size) {
			memcpy(&rh, str_data(pending) + pos, sizeof(rh));
			uint64_t value = (uint64_t)(uintptr_t)hash_table_lookup(
			    cache->offsets, (const void *)(uintptr_t)rh.uid);
			if ((value & OFFSET_PENDING) != 0)
				(void)hash_table_remove(
				    cache->offsets,
				    (const void *)(uintptr_t)rh.uid);
		}
	}
	str_truncate(pending, 0);
	if (cache->pending == NULL)
		cache->pending = pending;
	else
		str_free(&pending);
}

void maildir_cache_add(struct mailbox *box, uint32_t uid,
		       const struct maildir_message_fields *fields)
{
	struct maildir_cache *cache = cache_get(box);
	string_t *payload, *rec;
	uint64_t offset;

	if (cache == NULL)
		return;
	/* header-only records first, so that this one comes after any of
	 * them for the same UID */
	maildir_cache_flush(box);
	payload = str_new(NULL, 1024);
	payload_encode(fields, payload);
	if (str_len(payload) > MAILDIR_CACHE_MAX_RECORD) {
		str_free(&payload);
		return;
	}
	rec = str_new(NULL, str_len(payload) + 32);
	record_build(rec, uid, str_data(payload), str_len(payload));
	if (cache_append(box, cache, str_data(rec), str_len(rec), &offset) == 0)
		records_written(cache, str_data(rec), str_len(rec), offset);
	str_free(&rec);
	str_free(&payload);
}

void maildir_cache_add_headers(struct mailbox *box, uint32_t uid,
			       const struct maildir_message_fields *fields)
{
	struct maildir_cache *cache = cache_get(box);
	size_t start, payload_start;

	if (cache == NULL)
		return;
	if (cache->pending == NULL)
		cache->pending = str_new(NULL, 64 * 1024);
	if (cache->pending_count == 0)
		cache->pending_validity = box->uid_validity;
	start = str_len(cache->pending);
	/* the header now, filled in below once the payload is known */
	struct cache_record_header rh = {0};
	str_append_n(cache->pending, &rh, sizeof(rh));
	payload_start = str_len(cache->pending);
	for (unsigned int i = 0; i <= MAIL_IMAP_BODY; i++)
		payload_append(cache->pending, NULL);
	for (unsigned int i = 0; i < MAILDIR_MESSAGE_CACHED_HEADERS; i++)
		payload_append(cache->pending, fields->headers[i]);
	size_t size = str_len(cache->pending) - payload_start;
	if (size > MAILDIR_CACHE_MAX_RECORD) {
		str_truncate(cache->pending, start);
		return;
	}
	rh.magic = CACHE_RECORD_MAGIC;
	rh.uid = uid;
	rh.size = (uint32_t)size;
	rh.crc =
	    maildir_index_crc32(0, &rh.uid, sizeof(rh.uid) + sizeof(rh.size));
	rh.crc = maildir_index_crc32(
	    rh.crc, str_data(cache->pending) + payload_start, size);
	memcpy(cache->pending->data + start, &rh, sizeof(rh));
	cache->pending_count++;
	hash_table_insert(cache->offsets, (const void *)(uintptr_t)uid,
			  (void *)(uintptr_t)(start | OFFSET_PENDING));
	if (cache->pending_count >= CACHE_PENDING_MAX_RECORDS ||
	    str_len(cache->pending) >= CACHE_PENDING_MAX_BYTES)
		maildir_cache_flush(box);
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
	string_t *records;
	int ret = -1;

	cache_path(box, MAILDIR_CACHE_FNAME, data_path, sizeof(data_path));
	cache_path(box, MAILDIR_CACHE_IDX_FNAME, idx_path, sizeof(idx_path));
	snprintf(data_tmp, sizeof(data_tmp), "%s.tmp.%ld", data_path,
		 (long)getpid());
	snprintf(idx_tmp, sizeof(idx_tmp), "%s.tmp.%ld", idx_path,
		 (long)getpid());
	memset(&new_cache, 0, sizeof(new_cache));
	records = str_new(NULL, 64 * 1024);
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
	for (unsigned int i = 0; i < box->mails.count; i++) {
		uint32_t uid = box->mails.items[i]->rec.uid;
		uint64_t value = (uint64_t)(uintptr_t)hash_table_lookup(
		    cache->offsets, (const void *)(uintptr_t)uid);
		const unsigned char *payload;
		uint64_t new_offset;
		size_t size;
		bool headers_only;

		if (value == 0 || (value & OFFSET_PENDING) != 0 ||
		    !record_payload(box, cache, uid, value, &payload, &size,
				    &headers_only))
			continue;
		record_build(records, uid, payload, size);
		if (str_len(records) >= 1024 * 1024 ||
		    i + 1 == box->mails.count) {
			if (cache_append_locked(&new_cache, str_data(records),
						str_len(records),
						&new_offset) < 0)
				goto out;
			str_truncate(records, 0);
		}
	}
	if (str_len(records) > 0) {
		uint64_t new_offset;

		if (cache_append_locked(&new_cache, str_data(records),
					str_len(records), &new_offset) < 0)
			goto out;
	}
	if (rename(idx_tmp, idx_path) < 0 || rename(data_tmp, data_path) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		i_error("Couldn't compact %s: %s", data_path, strerror(errno));
		(void)unlink(data_tmp);
		(void)unlink(idx_tmp);
	}
	str_free(&records);
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
	maildir_cache_flush(box);
	cache->replaced_checked = 0;
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

	maildir_message_deinit(box);
	if (cache == NULL)
		return;
	maildir_cache_flush(box);
	cache_close_files(cache);
	hash_table_destroy(&cache->offsets);
	if (cache->pending != NULL)
		str_free(&cache->pending);
	if (cache->copy != NULL)
		str_free(&cache->copy);
	box->cache = NULL;
}
