/* maildir-index.c - loft.index: the persistent view of a Maildir mailbox
 * with modseqs (format and guarantees in maildir-index.h).
 *
 * Does: stamps, loading a view from the index, modseq assignment, atomic
 * rewrite under the index lock, \Recent (the persistent first recent UID
 * and the UIDs recent in this handle). Does not: scanning the Maildir
 * (maildir-storage.c), the ENVELOPE/BODYSTRUCTURE cache (maildir-cache.c),
 * incremental log appends (the whole file is rewritten after each full
 * sync). */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "log.h"
#include "file-mmap.h"
#include "maildir-filename.h"
#include "maildir-keywords.h"
#include "maildir-uidlist.h"
#include "maildir-private.h"
#include "maildir-index.h"

#include <zlib.h>

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>

#define INDEX_MAGIC "LOFTIDX\001"
/* 2: name lengths in the records, base names in the string area, so the
 * view is built from the mapped file without strlen() or copies; records
 * and strings checked with maildir_index_checksum() */
#define INDEX_VERSION 2
/* Refuse absurd files instead of allocating for them. */
#define INDEX_MAX_RECORDS 50000000u
#define INDEX_MAX_STRINGS (4ull * 1024 * 1024 * 1024)

struct index_header {
	char magic[8];
	uint32_t version, header_size, record_size, count;
	uint32_t uid_validity, next_uid;
	uint64_t highest_modseq;
	struct maildir_index_stamps stamps;
	uint64_t strings_size;
	uint32_t records_crc, strings_crc;
	uint32_t header_crc; /* over the header with this field zero */
	/* \Recent: messages with this UID or above have not been recent in
	 * any read-write session yet (0 in files written before Loft kept
	 * it: every message is recent). May be above next_uid when a session
	 * with an older view wrote the file. */
	uint32_t first_recent_uid;
};

struct index_record {
	uint32_t uid;
	uint8_t flags, in_new;
	uint16_t name_len;
	uint32_t keywords;
	/* file name NUL, base name NUL, POP3 UIDL (may be "") NUL; the
	 * strings of the records follow each other in record order */
	uint32_t str_offset;
	uint16_t base_len, uidl_len;
	uint32_t unused;
	uint64_t modseq, psize, vsize;
	int64_t received;
};

/* index_record.received and old_rec.received of a message whose file was
 * not stat'ed yet (maildir_mail.received_unknown) */
#define RECEIVED_UNKNOWN INT64_MIN

struct old_rec {
	uint32_t uid, keywords;
	uint8_t flags;
	uint64_t modseq, psize, vsize;
	int64_t received;
};

struct recent_range {
	uint32_t first, last;
};

struct maildir_index_state {
	bool view_valid; /* box->mails matches stamps */
	/* loft.index mapped for a view loaded from it: its file names,
	 * base names and UIDLs point into the mapping, and the records not
	 * changed by this session are the mapping's view_base */
	struct index_mapping *mapping;
	/* the view learned received times loft.index does not have */
	bool received_dirty;
	struct maildir_index_stamps stamps;
	uint64_t highest_modseq;
	/* snapshot between sync_begin and sync_done */
	struct old_rec *old;
	unsigned int old_count;
	uint32_t old_uid_validity;
	uint64_t old_highest;

	/* \Recent. first_recent_uid: the highest this handle has seen in
	 * loft.index or set itself, for recent_validity's UIDs. recent: the
	 * UIDs recent in this handle, ascending, disjoint and not adjacent;
	 * recent_checked_uid: the highest view UID they were computed for
	 * (a view whose last UID is the same adds nothing new). */
	uint32_t first_recent_uid, recent_validity, recent_checked_uid;
	bool recent_take;
	ARRAY(struct recent_range) recent;
};

/* ---- CRC-32 ---- */

uint32_t maildir_index_crc32(uint32_t crc, const void *data, size_t size)
{
	/* zlib's CRC-32 (IEEE 802.3, the same values as a bitwise table
	 * implementation) runs several bytes per step; the index of a big
	 * mailbox is checked on every open. */
	return (uint32_t)crc32_z(crc, data, size);
}

/* ---- the records' and strings' check value ----
 *
 * CRC-32C (Castagnoli) in four lanes: lane k takes the 8-byte words k,
 * k+4, k+8... of the data, the bytes after the last whole word go to lane
 * 0, and the check value is the CRC-32C of the four lane values and the
 * size. A changed byte changes its lane's CRC (a CRC catches every burst
 * of up to 32 bits), so every single-byte change is caught as with one
 * CRC, but the lanes run in parallel on the SSE 4.2 crc32 instruction:
 * the index of a big mailbox is checked on every open. Without SSE 4.2 a
 * table gives the same values. */

#define CRC32C_POLY 0x82f63b78u /* reflected */

static uint32_t crc32c_table[256];

static void crc32c_table_init(void)
{
	if (crc32c_table[1] != 0)
		return;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (unsigned int k = 0; k < 8; k++)
			c = (c & 1) != 0 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc32c_table[i] = c;
	}
}

static inline uint32_t crc32c_sw_u8(uint32_t crc, uint8_t b)
{
	return crc32c_table[(crc ^ b) & 0xff] ^ (crc >> 8);
}

static inline uint32_t crc32c_sw_u64(uint32_t crc, uint64_t v)
{
	for (unsigned int i = 0; i < 8; i++, v >>= 8)
		crc = crc32c_sw_u8(crc, (uint8_t)v);
	return crc;
}

static uint32_t checksum_finish(const uint32_t lanes[4], size_t size)
{
	uint32_t crc = 0xffffffffu;

	for (unsigned int i = 0; i < 4; i++)
		crc = crc32c_sw_u64(crc, lanes[i]);
	crc = crc32c_sw_u64(crc, (uint64_t)size);
	return ~crc;
}

/* Runs data through the lanes: word i goes to lane i % 4 (so a piece
 * that is not the last must be a multiple of 32 bytes long, for the next
 * one to start at lane 0), the bytes after the last whole word to lane
 * 0. */
static void checksum_lanes_sw(uint32_t lanes[4], const void *data, size_t size)
{
	const unsigned char *p = data;
	size_t words = size / 8, i;
	uint64_t w;

	crc32c_table_init();
	for (i = 0; i < words; i++) {
		memcpy(&w, p + i * 8, 8);
		lanes[i % 4] = crc32c_sw_u64(lanes[i % 4], w);
	}
	for (i = words * 8; i < size; i++)
		lanes[0] = crc32c_sw_u8(lanes[0], p[i]);
}

uint32_t maildir_index_checksum_sw(const void *data, size_t size)
{
	uint32_t lanes[4] = {~0u, ~0u, ~0u, ~0u};

	checksum_lanes_sw(lanes, data, size);
	return checksum_finish(lanes, size);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static void
checksum_lanes_sse42(uint32_t lanes[4], const void *data, size_t size)
{
	const unsigned char *p = data;
	uint64_t l0 = lanes[0], l1 = lanes[1], l2 = lanes[2], l3 = lanes[3];
	uint64_t w0, w1, w2, w3;
	size_t words = size / 8, i = 0;

	for (; i + 4 <= words; i += 4) {
		memcpy(&w0, p + i * 8, 8);
		memcpy(&w1, p + i * 8 + 8, 8);
		memcpy(&w2, p + i * 8 + 16, 8);
		memcpy(&w3, p + i * 8 + 24, 8);
		l0 = __builtin_ia32_crc32di(l0, w0);
		l1 = __builtin_ia32_crc32di(l1, w1);
		l2 = __builtin_ia32_crc32di(l2, w2);
		l3 = __builtin_ia32_crc32di(l3, w3);
	}
	lanes[0] = (uint32_t)l0;
	lanes[1] = (uint32_t)l1;
	lanes[2] = (uint32_t)l2;
	lanes[3] = (uint32_t)l3;
	for (; i < words; i++) {
		memcpy(&w0, p + i * 8, 8);
		lanes[i % 4] =
		    (uint32_t)__builtin_ia32_crc32di(lanes[i % 4], w0);
	}
	for (i = words * 8; i < size; i++)
		lanes[0] = __builtin_ia32_crc32qi(lanes[0], p[i]);
}
#endif

static void checksum_lanes(uint32_t lanes[4], const void *data, size_t size)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	static int have_sse42 = -1;

	if (have_sse42 < 0)
		have_sse42 = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	if (have_sse42 != 0) {
		checksum_lanes_sse42(lanes, data, size);
		return;
	}
#endif
	checksum_lanes_sw(lanes, data, size);
}

uint32_t maildir_index_checksum(const void *data, size_t size)
{
	uint32_t lanes[4] = {~0u, ~0u, ~0u, ~0u};

	checksum_lanes(lanes, data, size);
	crc32c_table_init();
	return checksum_finish(lanes, size);
}

static struct maildir_index_state *state(struct mailbox *box)
{
	if (box->index == NULL)
		box->index = p_new(box->pool, struct maildir_index_state, 1);
	return box->index;
}

static const char *index_path(struct mailbox *box, pool_t pool)
{
	return p_strconcat(pool, box->index_dir, "/" MAILDIR_INDEX_FNAME, NULL);
}

/* ---- stamps ---- */

void maildir_index_stamp_from_stat(const struct stat *st,
				   struct maildir_index_stamp *stamp_r)
{
	memset(stamp_r, 0, sizeof(*stamp_r));
	stamp_r->mtime_sec = st->st_mtim.tv_sec;
	stamp_r->mtime_nsec = st->st_mtim.tv_nsec;
	stamp_r->size = (uint64_t)st->st_size;
	stamp_r->ino = (uint64_t)st->st_ino;
}

void maildir_index_get_stamp(const char *path,
			     struct maildir_index_stamp *stamp_r)
{
	struct stat st;

	memset(stamp_r, 0, sizeof(*stamp_r));
	if (stat(path, &st) == 0)
		maildir_index_stamp_from_stat(&st, stamp_r);
}

void maildir_index_get_stamps_at(const char *box_path, const char *control_dir,
				 struct maildir_index_stamps *stamps_r)
{
	char path[PATH_MAX];

	memset(stamps_r, 0, sizeof(*stamps_r));
	snprintf(path, sizeof(path), "%s/new", box_path);
	maildir_index_get_stamp(path, &stamps_r->new_dir);
	snprintf(path, sizeof(path), "%s/cur", box_path);
	maildir_index_get_stamp(path, &stamps_r->cur_dir);
	snprintf(path, sizeof(path), "%s/" MAILDIR_UIDLIST_FNAME, control_dir);
	maildir_index_get_stamp(path, &stamps_r->uidlist);
	snprintf(path, sizeof(path), "%s/" MAILDIR_KEYWORDS_FNAME, control_dir);
	maildir_index_get_stamp(path, &stamps_r->keywords);
}

void maildir_index_get_stamps(struct mailbox *box,
			      struct maildir_index_stamps *stamps_r)
{
	maildir_index_get_stamps_at(box->path, box->control_dir, stamps_r);
}

static bool stamps_equal(const struct maildir_index_stamps *a,
			 const struct maildir_index_stamps *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* ---- reading ---- */

/* Checks record i of a header whose sizes and checksums were checked:
 * UIDs ascending below next_uid, modseq, and its strings, which must
 * start at *offset (then moved past them): NUL-terminated at the lengths
 * given, the base name the start of the file name, no '/'. */
static inline bool record_is_valid(const struct index_header *hdr,
				   const struct index_record *recs, uint32_t i,
				   uint64_t *offset)
{
	const struct index_record *r = &recs[i];
	const char *name = (const char *)(recs + hdr->count) + *offset;
	const char *base, *uidl;

	if (r->uid == 0 || r->uid >= hdr->next_uid ||
	    (i > 0 && r->uid <= recs[i - 1].uid) ||
	    r->modseq > hdr->highest_modseq || r->str_offset != *offset ||
	    r->name_len == 0 || r->base_len == 0 || r->base_len > r->name_len ||
	    hdr->strings_size - *offset <
		(uint64_t)r->name_len + r->base_len + r->uidl_len + 3)
		return false;
	base = name + r->name_len + 1;
	uidl = base + r->base_len + 1;
	if (name[r->name_len] != '\0' || base[r->base_len] != '\0' ||
	    uidl[r->uidl_len] != '\0' || memcmp(name, base, r->base_len) != 0 ||
	    memchr(name, '/', r->name_len) != NULL)
		return false;
	*offset += (uint64_t)r->name_len + r->base_len + r->uidl_len + 3;
	return true;
}

/* Checks an index image: header, sizes, checksums and, with
 * check_records, every record (else the caller checks each one with
 * record_is_valid() as it reads it). */
static const struct index_header *image_check(const void *data, size_t size,
					      bool check_records)
{
	const struct index_header *hdr = data;
	struct index_header tmp;
	const struct index_record *recs;
	const char *strings;

	if (size < sizeof(*hdr))
		return NULL;
	memcpy(&tmp, hdr, sizeof(tmp));
	tmp.header_crc = 0;
	if (memcmp(hdr->magic, INDEX_MAGIC, 8) != 0 ||
	    hdr->version != INDEX_VERSION || hdr->header_size != sizeof(*hdr) ||
	    hdr->record_size != sizeof(struct index_record) ||
	    maildir_index_crc32(0, &tmp, sizeof(tmp)) != hdr->header_crc ||
	    hdr->count > INDEX_MAX_RECORDS ||
	    hdr->strings_size > INDEX_MAX_STRINGS)
		return NULL;
	if ((uint64_t)size != sizeof(*hdr) +
				  (uint64_t)hdr->count * sizeof(*recs) +
				  hdr->strings_size)
		return NULL;
	recs = (const void *)(hdr + 1);
	strings = (const char *)(recs + hdr->count);
	if (maildir_index_checksum(recs, hdr->count * sizeof(*recs)) !=
		hdr->records_crc ||
	    maildir_index_checksum(strings, hdr->strings_size) !=
		hdr->strings_crc)
		return NULL;
	if (!check_records)
		return hdr;
	uint64_t offset = 0;
	for (uint32_t i = 0; i < hdr->count; i++) {
		if (!record_is_valid(hdr, recs, i, &offset))
			return NULL;
	}
	if (offset != hdr->strings_size)
		return NULL;
	return hdr;
}

bool maildir_index_image_is_valid(const void *data, size_t size)
{
	return image_check(data, size, true) != NULL;
}

/* ---- mappings of loft.index ----
 *
 * A checked mapping is kept after its last user (up to
 * INDEX_MAPPINGS_IDLE_MAX of them, least recently used dropped first) and
 * used again while the file at its path is the same one (device, inode,
 * size, mtime): writers never change loft.index in place but rename a new
 * file over it, so what was checked stays checked, and the next session of
 * the same mailbox in this process neither maps nor checks it again. */

#define INDEX_MAPPINGS_IDLE_MAX 4

struct index_mapping {
	struct index_mapping *next;
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	/* the file, mapped privately; another process that shortens it
	 * (by hand: Loft only renames a new file over it) makes the rest
	 * zeros (file-mmap.h), and the mapping is then used no more */
	struct file_mmap fm;
	unsigned int refs;
	/* the records as a view, made by the first session that opens the
	 * mailbox from this file and shared by every later one: a session's
	 * view points at these until it changes one
	 * (maildir_index_mail_writable() copies it into the session's view
	 * pool first) */
	struct maildir_mail *view_base;
	struct maildir_mail **view_items;
	unsigned int view_count;
	/* every record checked (record_is_valid()), not only the header and
	 * checksums */
	bool records_checked;
};

/* most recently used first */
static struct index_mapping *index_mappings;

/* True when the file was shortened under the mapping: what was read from
 * it since may be zeros. */
static bool mapping_shortened(const struct index_mapping *m)
{
	return file_mmap_faults(&m->fm) != 0;
}

static void mapping_destroy(struct index_mapping *m)
{
	struct index_mapping **pp;

	for (pp = &index_mappings; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	file_mmap_unmap(&m->fm);
	i_free(m->view_base);
	i_free(m->view_items);
	i_free(m->path);
	i_free(m);
}

static void mapping_unref(struct index_mapping **_m)
{
	struct index_mapping *m = *_m, *idle_last = NULL;
	unsigned int idle = 0;

	*_m = NULL;
	if (m == NULL)
		return;
	i_assert(m->refs > 0);
	if (--m->refs > 0)
		return;
	if (mapping_shortened(m)) {
		mapping_destroy(m);
		return;
	}
	for (struct index_mapping *i = index_mappings; i != NULL; i = i->next) {
		if (i->refs == 0) {
			idle++;
			idle_last = i;
		}
	}
	if (idle > INDEX_MAPPINGS_IDLE_MAX)
		mapping_destroy(idle_last);
}

/* Releases a mapping found damaged: it is not kept for reuse. */
static void mapping_discard(struct index_mapping **_m)
{
	struct index_mapping *m = *_m;

	*_m = NULL;
	i_assert(m->refs > 0);
	if (--m->refs == 0)
		mapping_destroy(m);
}

static bool image_check_records(const struct index_header *hdr)
{
	const struct index_record *recs = (const void *)(hdr + 1);
	uint64_t offset = 0;

	for (uint32_t i = 0; i < hdr->count; i++) {
		if (!record_is_valid(hdr, recs, i, &offset))
			return false;
	}
	return offset == hdr->strings_size;
}

/* Maps loft.index read-only (or takes the kept mapping of the same file):
 * the mapping of a file whose header and checksums are valid (and with
 * check_records every record), to release with mapping_unref(), or NULL
 * (missing or damaged). */
static struct index_mapping *index_map(struct mailbox *box, bool check_records)
{
	char path[PATH_MAX];
	struct index_mapping *m, *next;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/" MAILDIR_INDEX_FNAME, box->index_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			i_error("open(%s) failed: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 ||
	    st.st_size < (off_t)sizeof(struct index_header) ||
	    (uint64_t)st.st_size >
		sizeof(struct index_header) +
		    (uint64_t)INDEX_MAX_RECORDS * sizeof(struct index_record) +
		    INDEX_MAX_STRINGS) {
		i_close_fd(&fd);
		i_warning("Index %s is damaged: bad size, rebuilding", path);
		return NULL;
	}
	for (m = index_mappings; m != NULL; m = next) {
		next = m->next;
		if (strcmp(m->path, path) != 0)
			continue;
		if (m->dev == st.st_dev && m->ino == st.st_ino &&
		    m->size == st.st_size && !mapping_shortened(m) &&
		    m->mtime.tv_sec == st.st_mtim.tv_sec &&
		    m->mtime.tv_nsec == st.st_mtim.tv_nsec)
			break;
		/* the file was replaced: the old one is not wanted again */
		if (m->refs == 0)
			mapping_destroy(m);
	}
	if (m != NULL) {
		i_close_fd(&fd);
		if (check_records && !m->records_checked) {
			if (!image_check_records((const void *)m->fm.data) ||
			    mapping_shortened(m)) {
				i_warning("Index %s is damaged, rebuilding",
					  path);
				if (m->refs == 0)
					mapping_destroy(m);
				return NULL;
			}
			m->records_checked = true;
		}
		m->refs++;
		return m;
	}
	m = i_malloc(sizeof(*m));
	if (file_mmap_map(&m->fm, fd, (size_t)st.st_size, MAP_PRIVATE) < 0) {
		i_error("mmap(%s) failed: %s", path, strerror(errno));
		i_close_fd(&fd);
		i_free(m);
		return NULL;
	}
	i_close_fd(&fd);
	if (image_check(m->fm.data, (size_t)st.st_size, check_records) ==
		NULL ||
	    mapping_shortened(m)) {
		const struct index_header *hdr = (const void *)m->fm.data;

		/* a file of another version (written before an upgrade)
		 * is rebuilt without a warning */
		if (memcmp(hdr->magic, INDEX_MAGIC, 8) != 0 ||
		    hdr->version == INDEX_VERSION || mapping_shortened(m))
			i_warning("Index %s is damaged, rebuilding", path);
		file_mmap_unmap(&m->fm);
		i_free(m);
		return NULL;
	}
	m->path = i_strdup(path);
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->size = st.st_size;
	m->mtime = st.st_mtim;
	m->refs = 1;
	m->records_checked = check_records;
	m->next = index_mappings;
	index_mappings = m;
	return m;
}

void maildir_index_view_free(struct mailbox *box)
{
	struct maildir_index_state *st = box->index;

	if (st == NULL || st->mapping == NULL)
		return;
	mapping_unref(&st->mapping);
}

struct maildir_mail *maildir_index_mail_writable(struct mailbox *box,
						 unsigned int seq)
{
	struct maildir_index_state *st = box->index;
	struct maildir_mail *mail = box->mails.items[seq - 1];
	const struct index_mapping *m = st == NULL ? NULL : st->mapping;
	uintptr_t p = (uintptr_t)mail, base;

	if (m == NULL || m->view_base == NULL)
		return mail;
	base = (uintptr_t)m->view_base;
	if (p < base || p - base >= m->view_count * sizeof(*mail))
		return mail;
	mail = p_new(box->view_pool, struct maildir_mail, 1);
	*mail = *box->mails.items[seq - 1];
	box->mails.items[seq - 1] = mail;
	return mail;
}

/* Makes m's shared view of its records (the first session that opens the
 * mailbox from m), checking each record unless that was done. False when
 * the file is damaged. */
static bool mapping_build_view(struct mailbox *box, struct index_mapping *m)
{
	const struct index_header *hdr = (const void *)m->fm.data;
	const struct index_record *recs = (const void *)(hdr + 1);
	const char *strings = (const char *)(recs + hdr->count);
	bool check = !m->records_checked;
	struct maildir_mail *mails;
	struct maildir_mail **items;
	uint64_t offset = 0;
	bool valid = true;

	/* not cleared first: every record is written whole below */
	mails = i_realloc(NULL, sizeof(*mails) * (hdr->count + 1));
	items = i_realloc(NULL, sizeof(*items) * (hdr->count + 1));
	for (uint32_t i = 0; i < hdr->count; i++) {
		const struct index_record *r = &recs[i];
		const char *name = strings + r->str_offset;
		const char *base = name + r->name_len + 1;

		/* checked here rather than in a pass of its own */
		if (check && !record_is_valid(hdr, recs, i, &offset)) {
			valid = false;
			break;
		}
		mails[i] = (struct maildir_mail){
		    .rec = {.uid = r->uid,
			    .flags = r->flags,
			    .physical_size = r->psize,
			    .virtual_size = r->vsize,
			    .received_time = r->received == RECEIVED_UNKNOWN
						 ? 0
						 : (time_t)r->received,
			    .basename = base,
			    .keywords = r->keywords,
			    .modseq = r->modseq},
		    .filename = name,
		    .pop3_uidl =
			r->uidl_len > 0 ? base + r->base_len + 1 : NULL,
		    .in_new = r->in_new != 0,
		    .received_unknown = r->received == RECEIVED_UNKNOWN,
		};
		items[i] = &mails[i];
	}
	if (!valid || (check && offset != hdr->strings_size) ||
	    mapping_shortened(m)) {
		i_warning("Index %s/" MAILDIR_INDEX_FNAME
			  " is damaged, rebuilding",
			  box->index_dir);
		i_free(mails);
		i_free(items);
		return false;
	}
	m->records_checked = true;
	m->view_base = mails;
	m->view_items = items;
	m->view_count = hdr->count;
	return true;
}

bool maildir_index_sync_fast(struct mailbox *box,
			     const struct maildir_index_stamps *stamps)
{
	struct maildir_index_state *st = state(box);
	const struct index_header *hdr;
	struct index_mapping *m;
	pool_t pool;

	if (st->view_valid) {
		if (st->mapping != NULL && mapping_shortened(st->mapping)) {
			i_warning("Index %s/" MAILDIR_INDEX_FNAME
				  " was shortened by another process, "
				  "rebuilding",
				  box->index_dir);
			return false;
		}
		return stamps_equal(&st->stamps, stamps);
	}
	if (box->view_pool != NULL)
		return false;
	/* first open: the view straight from the mapped index file (the
	 * mapping's shared one); names point into the mapping, which lives
	 * as long as the view */
	m = index_map(box, false);
	if (m == NULL)
		return false;
	hdr = (const void *)m->fm.data;
	if (!stamps_equal(&hdr->stamps, stamps)) {
		mapping_unref(&m);
		return false;
	}
	if (m->view_items == NULL && !mapping_build_view(box, m)) {
		mapping_discard(&m);
		return false;
	}
	pool = pool_create("maildir view", 1024);
	array_init(&box->mails, pool, hdr->count + 1);
	memcpy(box->mails.items, m->view_items,
	       sizeof(*m->view_items) * hdr->count);
	box->mails.count = hdr->count;
	box->view_pool = pool;
	maildir_index_view_free(box);
	st->mapping = m;
	box->uid_validity = hdr->uid_validity;
	box->next_uid = hdr->next_uid;
	st->highest_modseq = hdr->highest_modseq;
	if (st->recent_validity != hdr->uid_validity) {
		st->recent_validity = hdr->uid_validity;
		st->first_recent_uid = 0;
	}
	if (hdr->first_recent_uid > st->first_recent_uid)
		st->first_recent_uid = hdr->first_recent_uid;
	st->stamps = *stamps;
	st->view_valid = true;
	maildir_keywords_load(box);
	return true;
}

bool maildir_index_view_is_current(struct mailbox *box)
{
	struct maildir_index_state *st = state(box);
	struct maildir_index_stamps stamps;

	if (!st->view_valid ||
	    (st->mapping != NULL && mapping_shortened(st->mapping)))
		return false;
	maildir_index_get_stamps(box, &stamps);
	return stamps_equal(&st->stamps, &stamps);
}

bool maildir_index_view_advance(struct mailbox *box,
				const struct maildir_index_stamps *before,
				const struct maildir_index_stamps *after)
{
	struct maildir_index_state *st = state(box);

	if (!st->view_valid || !stamps_equal(&st->stamps, before))
		return false;
	st->stamps = *after;
	return true;
}

/* ---- sync ---- */

void maildir_index_sync_begin(struct mailbox *box)
{
	struct maildir_index_state *st = state(box);

	maildir_index_sync_abort(box);
	if (box->view_pool != NULL) {
		st->old = i_calloc(box->mails.count + 1, sizeof(*st->old));
		for (unsigned int i = 0; i < box->mails.count; i++) {
			const struct mail_record *r = &box->mails.items[i]->rec;

			st->old[i] = (struct old_rec){
			    r->uid,
			    r->keywords,
			    (uint8_t)r->flags,
			    r->modseq,
			    r->physical_size,
			    r->virtual_size,
			    box->mails.items[i]->received_unknown
				? RECEIVED_UNKNOWN
				: (int64_t)r->received_time};
		}
		st->old_count = box->mails.count;
		st->old_uid_validity = box->uid_validity;
		st->old_highest = st->highest_modseq;
		return;
	}
	struct index_mapping *m = index_map(box, true);
	const struct index_header *hdr =
	    m == NULL ? NULL : (const void *)m->fm.data;

	if (hdr != NULL) {
		const struct index_record *recs = (const void *)(hdr + 1);

		st->old = i_calloc(hdr->count + 1, sizeof(*st->old));
		for (uint32_t i = 0; i < hdr->count; i++) {
			st->old[i] = (struct old_rec){
			    recs[i].uid,     recs[i].keywords, recs[i].flags,
			    recs[i].modseq,  recs[i].psize,    recs[i].vsize,
			    recs[i].received};
		}
		st->old_count = hdr->count;
		st->old_uid_validity = hdr->uid_validity;
		st->old_highest = hdr->highest_modseq;
		if (mapping_shortened(m))
			maildir_index_sync_abort(box);
		mapping_unref(&m);
	}
}

bool maildir_index_sync_lookup(struct mailbox *box, uint32_t uid_validity,
			       uint32_t uid, time_t *received_r,
			       bool *received_unknown_r, uint64_t *psize_r,
			       uint64_t *vsize_r)
{
	struct maildir_index_state *st = state(box);
	unsigned int lo = 0, hi = st->old_count;

	if (st->old == NULL || st->old_uid_validity != uid_validity)
		return false;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (st->old[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == st->old_count || st->old[lo].uid != uid)
		return false;
	*received_unknown_r = st->old[lo].received == RECEIVED_UNKNOWN;
	*received_r = *received_unknown_r ? 0 : (time_t)st->old[lo].received;
	*psize_r = st->old[lo].psize;
	*vsize_r = st->old[lo].vsize;
	return true;
}

void maildir_index_sync_abort(struct mailbox *box)
{
	struct maildir_index_state *st = state(box);

	if (st->old != NULL)
		i_free(st->old);
	st->old_count = 0;
	st->old_uid_validity = 0;
	st->old_highest = 0;
}

/* ---- the index lock and \Recent ---- */

/* Takes the flock() on loft.index.lock that every writer of loft.index
 * holds from reading the first recent UID on disk to renaming the new
 * file into place, so that no writer puts back a lower first recent UID
 * than another one wrote (a message would then be recent twice). Returns
 * the locked fd, or -1 (logged unless the directory is read-only: the
 * index is then not written either). */
static int index_lock(struct mailbox *box)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/" MAILDIR_INDEX_LOCK_FNAME,
		 box->index_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, MAILDIR_FILE_MODE);
	if (fd < 0 && errno == ENOENT &&
	    maildir_mkdir_parents(box->index_dir, MAILDIR_DIR_MODE) == 0)
		fd =
		    open(path, O_RDWR | O_CREAT | O_CLOEXEC, MAILDIR_FILE_MODE);
	if (fd < 0) {
		if (errno != EACCES && errno != EROFS)
			i_error("open(%s) failed: %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			i_error("flock(%s) failed: %s", path, strerror(errno));
			i_close_fd(&fd);
			return -1;
		}
	}
	return fd;
}

/* The first recent UID in loft.index's header when the file is there, its
 * header is intact and it is for uid_validity; else 0. Reads the header
 * only. */
static uint32_t index_read_first_recent(struct mailbox *box,
					uint32_t uid_validity)
{
	char path[PATH_MAX];
	struct index_header hdr, tmp;
	ssize_t ret;
	int fd;

	snprintf(path, sizeof(path), "%s/" MAILDIR_INDEX_FNAME, box->index_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			i_error("open(%s) failed: %s", path, strerror(errno));
		return 0;
	}
	ret = pread(fd, &hdr, sizeof(hdr), 0);
	i_close_fd(&fd);
	if (ret != (ssize_t)sizeof(hdr))
		return 0;
	tmp = hdr;
	tmp.header_crc = 0;
	if (memcmp(hdr.magic, INDEX_MAGIC, 8) != 0 ||
	    hdr.version != INDEX_VERSION || hdr.header_size != sizeof(hdr) ||
	    maildir_index_crc32(0, &tmp, sizeof(tmp)) != hdr.header_crc ||
	    hdr.uid_validity != uid_validity)
		return 0;
	return hdr.first_recent_uid;
}

/* Adds first..last to the handle's recent UIDs, keeping them sorted,
 * disjoint and merged with their neighbours. */
static void recent_add(struct mailbox *box, uint32_t first, uint32_t last)
{
	struct maildir_index_state *st = state(box);
	struct recent_range *items;
	unsigned int i, j, n;

	if (!array_is_created(&st->recent))
		array_init(&st->recent, box->pool, 4);
	items = st->recent.items;
	n = st->recent.count;
	/* i: the first range that ends at or after first - 1 */
	for (i = 0; i < n && (uint64_t)items[i].last + 1 < first; i++)
		;
	/* i..j-1: the ranges that overlap or touch first..last */
	for (j = i; j < n && items[j].first <= (uint64_t)last + 1; j++) {
		if (items[j].first < first)
			first = items[j].first;
		if (items[j].last > last)
			last = items[j].last;
	}
	if (j > i) {
		items[i].first = first;
		items[i].last = last;
		array_delete(&st->recent, i + 1, j - i - 1);
		return;
	}
	array_push(&st->recent, ((struct recent_range){first, last}));
	items = st->recent.items;
	memmove(&items[i + 1], &items[i], sizeof(*items) * (n - i));
	items[i] = (struct recent_range){first, last};
}

/* Brings the handle's recent UIDs up to date with its view: the messages
 * with a UID at or above the first recent UID (the higher of the handle's
 * and the one on disk) are recent here. In a handle that takes them they
 * become its own: the first recent UID is raised past the last message of
 * the view, which needs the index lock (locked); without it nothing
 * becomes recent there, rather than a message being recent in two
 * sessions. Returns true when the first recent UID was raised and
 * loft.index must be written. */
static bool recent_collect(struct mailbox *box, bool locked)
{
	struct maildir_index_state *st = state(box);
	unsigned int count = box->mails.count;
	uint32_t last = count == 0 ? 0 : box->mails.items[count - 1]->rec.uid;
	uint32_t first, disk;

	if (st->recent_validity != box->uid_validity) {
		/* a new UIDVALIDITY: the old UIDs mean nothing */
		st->recent_validity = box->uid_validity;
		st->first_recent_uid = 0;
		if (array_is_created(&st->recent))
			array_clear(&st->recent);
	}
	st->recent_checked_uid = last;
	if (st->recent_take && !locked)
		return false;
	disk = index_read_first_recent(box, box->uid_validity);
	if (disk > st->first_recent_uid)
		st->first_recent_uid = disk;
	first = st->first_recent_uid > 0 ? st->first_recent_uid : 1;
	if (first > last)
		return false;
	recent_add(box, first, last);
	if (!st->recent_take)
		return false;
	/* RFC 3501 section 2.3.2: no other session sees them as recent */
	st->first_recent_uid = last + 1;
	return true;
}

static void index_write_locked(struct mailbox *box);

static void index_write(struct mailbox *box)
{
	int lock_fd = index_lock(box);

	/* without the lock (a read-only index directory) the write fails
	 * too; the first recent UID is merged with the file's all the same */
	(void)recent_collect(box, lock_fd >= 0);
	index_write_locked(box);
	i_close_fd(&lock_fd);
}

/* loft.index is written through a buffer of this size (a multiple of 32
 * bytes: see checksum_lanes()), so that writing the index of a big
 * mailbox takes no memory of its size */
#define INDEX_WRITE_BUF_SIZE (256 * 1024)

/* One area of the file (records, strings) written through the buffer,
 * with its check value computed on the way. */
struct index_writer {
	int fd;
	unsigned char *buf;
	size_t buf_size, used; /* buf_size: a multiple of 32 */
	uint64_t offset;       /* of the buffer's start in the file */
	uint32_t lanes[4];
	uint64_t size;
	int error; /* errno of the first failed write, or 0 */
};

static void writer_flush(struct index_writer *w)
{
	if (w->used == 0)
		return;
	checksum_lanes(w->lanes, w->buf, w->used);
	if (w->error == 0 && write_full(w->fd, w->buf, w->used) < 0)
		w->error = errno;
	else if (w->error == 0 && w->used == w->buf_size) {
		/* a full buffer (a big index): its pages start going to disk
		 * while the rest is written, so that the fdatasync() at the
		 * end waits for less (advisory: failures do not matter) */
		(void)sync_file_range(w->fd, (off64_t)w->offset,
				      (off64_t)w->used, SYNC_FILE_RANGE_WRITE);
	}
	w->offset += w->used;
	w->used = 0;
}

static void writer_append(struct index_writer *w, const void *data, size_t size)
{
	const unsigned char *p = data;

	w->size += size;
	while (size > 0) {
		size_t n = w->buf_size - w->used;

		if (n > size)
			n = size;
		memcpy(w->buf + w->used, p, n);
		w->used += n;
		p += n;
		size -= n;
		if (w->used == w->buf_size)
			writer_flush(w);
	}
}

/* Starts an area. */
static void writer_begin(struct index_writer *w)
{
	w->used = 0;
	w->size = 0;
	for (unsigned int i = 0; i < 4; i++)
		w->lanes[i] = ~0u;
}

/* Ends an area: its check value. */
static uint32_t writer_end(struct index_writer *w)
{
	writer_flush(w);
	crc32c_table_init();
	return checksum_finish(w->lanes, w->size);
}

/* The lengths of a message's strings in loft.index; false when the file
 * is not one whose name an index can hold. */
static bool index_name_lengths(const struct maildir_mail *m, size_t *name_r,
			       size_t *base_r, size_t *uidl_r)
{
	*name_r = strlen(m->filename);
	*base_r = maildir_filename_base_len(m->filename);
	*uidl_r = m->pop3_uidl != NULL ? strlen(m->pop3_uidl) : 0;
	return *name_r <= UINT16_MAX && *uidl_r <= UINT16_MAX && *base_r > 0;
}

/* Writes loft.index: the header (with the check values, written last at
 * the start of the file), the records and the strings, streamed into
 * "loft.index.tmp.<pid>", which is fdatasync()ed and renamed over
 * loft.index. */
static void index_write_locked(struct mailbox *box)
{
	struct maildir_index_state *st = box->index;
	pool_t pool = pool_create("maildir index write", 1024);
	unsigned int count = box->mails.count;
	struct index_writer w;
	struct index_header hdr;
	const char *path = index_path(box, pool);
	const char *tmp_path =
	    p_strdup_printf(pool, "%s.tmp.%ld", path, (long)getpid());
	uint64_t str_offset = 0;
	size_t name_len, base_len, uidl_len;

	st->received_dirty = false;
	/* names an index cannot hold (not ones Loft or Dovecot writes): no
	 * index this time, the Maildir is scanned at the next open */
	for (unsigned int i = 0; i < count; i++) {
		const struct maildir_mail *m = box->mails.items[i];

		if (!index_name_lengths(m, &name_len, &base_len, &uidl_len)) {
			i_warning("%s: message file name %s too long, "
				  "index not written",
				  path, m->filename);
			goto out;
		}
		str_offset += name_len + 1 + base_len + 1 + uidl_len + 1;
	}
	if (str_offset > UINT32_MAX) {
		i_warning("%s: too many messages, index not written", path);
		goto out;
	}

	memset(&w, 0, sizeof(w));
	w.fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    MAILDIR_FILE_MODE);
	if (w.fd < 0) {
		if (errno != ENOENT && errno != EACCES && errno != EROFS)
			i_warning("open(%s) failed: %s", tmp_path,
				  strerror(errno));
		goto out;
	}
	/* no larger than the larger area (a small mailbox's index is
	 * written often) */
	w.buf_size = (size_t)count * sizeof(struct index_record);
	if (w.buf_size < str_offset)
		w.buf_size = (size_t)str_offset;
	w.buf_size = (w.buf_size + 31) & ~(size_t)31;
	if (w.buf_size == 0)
		w.buf_size = 32;
	if (w.buf_size > INDEX_WRITE_BUF_SIZE)
		w.buf_size = INDEX_WRITE_BUF_SIZE;
	w.buf = p_malloc(pool, w.buf_size);
	memset(&hdr, 0, sizeof(hdr));
	if (lseek(w.fd, sizeof(hdr), SEEK_SET) < 0)
		w.error = errno;
	w.offset = sizeof(hdr);

	writer_begin(&w);
	str_offset = 0;
	for (unsigned int i = 0; i < count; i++) {
		const struct maildir_mail *m = box->mails.items[i];
		struct index_record rec;

		(void)index_name_lengths(m, &name_len, &base_len, &uidl_len);
		memset(&rec, 0, sizeof(rec));
		rec.uid = m->rec.uid;
		rec.flags = (uint8_t)m->rec.flags;
		rec.in_new = m->in_new ? 1 : 0;
		rec.name_len = (uint16_t)name_len;
		rec.base_len = (uint16_t)base_len;
		rec.uidl_len = (uint16_t)uidl_len;
		rec.keywords = m->rec.keywords;
		rec.str_offset = (uint32_t)str_offset;
		rec.modseq = m->rec.modseq;
		rec.psize = m->rec.physical_size;
		rec.vsize = m->rec.virtual_size;
		rec.received = m->received_unknown
				   ? RECEIVED_UNKNOWN
				   : (int64_t)m->rec.received_time;
		writer_append(&w, &rec, sizeof(rec));
		str_offset += name_len + 1 + base_len + 1 + uidl_len + 1;
	}
	hdr.records_crc = writer_end(&w);

	writer_begin(&w);
	for (unsigned int i = 0; i < count; i++) {
		const struct maildir_mail *m = box->mails.items[i];

		(void)index_name_lengths(m, &name_len, &base_len, &uidl_len);
		/* file name NUL, base name NUL, UIDL NUL */
		writer_append(&w, m->filename, name_len + 1);
		writer_append(&w, m->filename, base_len);
		writer_append(&w, "", 1);
		if (uidl_len > 0)
			writer_append(&w, m->pop3_uidl, uidl_len);
		writer_append(&w, "", 1);
	}
	hdr.strings_crc = writer_end(&w);
	i_assert(w.size == str_offset);

	memcpy(hdr.magic, INDEX_MAGIC, 8);
	hdr.version = INDEX_VERSION;
	hdr.header_size = sizeof(hdr);
	hdr.record_size = sizeof(struct index_record);
	hdr.count = count;
	hdr.uid_validity = box->uid_validity;
	hdr.next_uid = box->next_uid;
	hdr.highest_modseq = st->highest_modseq;
	hdr.stamps = st->stamps;
	hdr.first_recent_uid = st->first_recent_uid;
	hdr.strings_size = str_offset;
	hdr.header_crc = maildir_index_crc32(0, &hdr, sizeof(hdr));

	if (w.error == 0 &&
	    (pwrite(w.fd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	     fdatasync(w.fd) < 0))
		w.error = errno != 0 ? errno : EIO;
	if (w.error != 0) {
		i_warning("write(%s) failed: %s", tmp_path, strerror(w.error));
		i_close_fd(&w.fd);
		(void)unlink(tmp_path);
		goto out;
	}
	i_close_fd(&w.fd);
	if (rename(tmp_path, path) < 0) {
		i_warning("rename(%s, %s) failed: %s", tmp_path, path,
			  strerror(errno));
		(void)unlink(tmp_path);
	}
out:
	pool_unref(&pool);
}

/* ---- the shared modseq counter ---- */

struct modseq_file {
	uint64_t highest;
	uint32_t crc; /* of highest */
	uint32_t unused;
};

/* Hands out count consecutive modseqs, all above `above` and above every
 * modseq any other session of this mailbox handed out, and returns the
 * first. RFC 7162 section 3.1.1: the modseq of a change is greater than
 * that of every earlier change, so two sessions changing flags at once
 * must not both take HIGHESTMODSEQ + 1 from their own views. The counter
 * lives in loft.modseq, read and raised under its flock(); without it
 * (read-only index directory) the handle's own view is all there is. */
static uint64_t modseq_reserve(struct mailbox *box, uint64_t above,
			       unsigned int count)
{
	char path[PATH_MAX];
	struct modseq_file mf;
	uint64_t first;
	int fd;

	snprintf(path, sizeof(path), "%s/" MAILDIR_MODSEQ_FNAME,
		 box->index_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, MAILDIR_FILE_MODE);
	if (fd < 0 && errno == ENOENT &&
	    maildir_mkdir_parents(box->index_dir, MAILDIR_DIR_MODE) == 0)
		fd =
		    open(path, O_RDWR | O_CREAT | O_CLOEXEC, MAILDIR_FILE_MODE);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		if (fd >= 0 || (errno != EACCES && errno != EROFS))
			i_error("Couldn't lock %s: %s", path, strerror(errno));
		i_close_fd(&fd);
		return above + 1;
	}
	if (pread(fd, &mf, sizeof(mf), 0) != (ssize_t)sizeof(mf) ||
	    maildir_index_crc32(0, &mf.highest, sizeof(mf.highest)) != mf.crc)
		mf.highest = 0;
	first = (mf.highest > above ? mf.highest : above) + 1;
	memset(&mf, 0, sizeof(mf));
	mf.highest = first + count - 1;
	mf.crc = maildir_index_crc32(0, &mf.highest, sizeof(mf.highest));
	if (pwrite(fd, &mf, sizeof(mf), 0) != (ssize_t)sizeof(mf))
		i_error("write(%s) failed: %s", path, strerror(errno));
	i_close_fd(&fd); /* releases the lock */
	return first;
}

void maildir_index_sync_done(struct mailbox *box,
			     const struct maildir_index_stamps *stamps)
{
	struct maildir_index_state *st = state(box);
	unsigned int j = 0;
	bool same_validity =
	    st->old != NULL && st->old_uid_validity == box->uid_validity;
	uint64_t highest = same_validity ? st->old_highest : 0;
	bool expunged = false;

	unsigned int needed = 0;

	/* the full sync replaced the view that pointed into the mapping */
	maildir_index_view_free(box);

	if (highest == 0)
		highest = 1;
	/* both arrays are in ascending UID order: merge. Records that keep
	 * their modseq get it now; the others are marked 0 and numbered
	 * below from one reservation. */
	for (unsigned int i = 0; i < box->mails.count; i++) {
		struct mail_record *r = &box->mails.items[i]->rec;

		while (same_validity && j < st->old_count &&
		       st->old[j].uid < r->uid) {
			expunged = true;
			j++;
		}
		if (same_validity && j < st->old_count &&
		    st->old[j].uid == r->uid &&
		    st->old[j].flags == (uint8_t)r->flags &&
		    st->old[j].keywords == r->keywords &&
		    st->old[j].modseq != 0) {
			r->modseq = st->old[j].modseq;
		} else {
			r->modseq = 0;
			needed++;
		}
		if (same_validity && j < st->old_count &&
		    st->old[j].uid == r->uid)
			j++;
	}
	if (same_validity && j < st->old_count)
		expunged = true;
	if (expunged)
		needed++;
	if (needed > 0) {
		uint64_t next = modseq_reserve(box, highest, needed);

		for (unsigned int i = 0; i < box->mails.count; i++) {
			struct mail_record *r = &box->mails.items[i]->rec;

			if (r->modseq == 0)
				r->modseq = next++;
		}
		highest = next - 1 + (expunged ? 1 : 0);
	}
	st->highest_modseq = highest;
	st->stamps = *stamps;
	st->view_valid = true;
	maildir_index_sync_abort(box);
	index_write(box);
}

uint64_t mailbox_get_highest_modseq(const struct mailbox *box)
{
	return box->index != NULL && box->index->highest_modseq > 0
		   ? box->index->highest_modseq
		   : 1;
}

uint64_t maildir_index_next_modseq(struct mailbox *box)
{
	struct maildir_index_state *st = state(box);

	if (st->highest_modseq == 0)
		st->highest_modseq = 1;
	st->highest_modseq = modseq_reserve(box, st->highest_modseq, 1);
	return st->highest_modseq;
}

/* ---- \Recent (mailbox.h) ---- */

void maildir_index_recent_sync(struct mailbox *box)
{
	struct maildir_index_state *st = state(box);
	unsigned int count = box->mails.count;
	uint32_t last = count == 0 ? 0 : box->mails.items[count - 1]->rec.uid;
	int lock_fd;

	if (last == st->recent_checked_uid &&
	    st->recent_validity == box->uid_validity)
		return;
	if (!st->recent_take) {
		(void)recent_collect(box, false);
		return;
	}
	lock_fd = index_lock(box);
	if (recent_collect(box, lock_fd >= 0))
		index_write_locked(box);
	i_close_fd(&lock_fd);
}

void maildir_index_received_learned(struct mailbox *box)
{
	state(box)->received_dirty = true;
}

void maildir_index_close(struct mailbox *box)
{
	struct maildir_index_state *st = box->index;

	if (st != NULL && st->received_dirty && st->view_valid)
		index_write(box);
}

void maildir_index_recent_take_init(struct mailbox *box)
{
	state(box)->recent_take = true;
}

void mailbox_recent_take(struct mailbox *box)
{
	struct maildir_index_state *st = state(box);

	/* what this handle saw as recent before may have been taken by
	 * another session meanwhile: start again under the lock */
	if (array_is_created(&st->recent))
		array_clear(&st->recent);
	st->recent_take = true;
	st->recent_checked_uid = 0;
	st->recent_validity = box->uid_validity;
	maildir_index_recent_sync(box);
}

bool mailbox_is_recent(const struct mailbox *box, uint32_t uid)
{
	const struct maildir_index_state *st = box->index;
	unsigned int lo = 0, hi;

	if (st == NULL || !array_is_created(&st->recent))
		return false;
	hi = st->recent.count;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct recent_range *r = &st->recent.items[mid];

		if (uid < r->first)
			hi = mid;
		else if (uid > r->last)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* The seq of the first message whose UID is >= uid (count + 1: none). */
static unsigned int seq_at_or_after(const struct mailbox *box, uint32_t uid)
{
	unsigned int lo = 0, hi = box->mails.count;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (box->mails.items[mid]->rec.uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo + 1;
}

unsigned int mailbox_get_recent_count(const struct mailbox *box)
{
	const struct maildir_index_state *st = box->index;
	unsigned int n = 0;

	if (st == NULL || !array_is_created(&st->recent))
		return 0;
	for (unsigned int i = 0; i < st->recent.count; i++) {
		const struct recent_range *r = &st->recent.items[i];
		unsigned int from = seq_at_or_after(box, r->first);
		unsigned int to = r->last == UINT32_MAX
				      ? box->mails.count + 1
				      : seq_at_or_after(box, r->last + 1);

		n += to - from;
	}
	return n;
}
