/* maildir-index.h - Loft's persistent per-mailbox index, "loft.index" in
 * the mailbox's index directory (INDEX= or the maildir).
 *
 * It holds the whole view of a synced mailbox: per message UID, flags,
 * keywords, modseq, physical and virtual size, internaldate, current file
 * name and POP3 UIDL; per mailbox UIDVALIDITY, next UID, HIGHESTMODSEQ, the
 * first recent UID (\Recent: see mailbox_recent_take()) and
 * the "stamps" (mtime with nanoseconds, size, inode) of new/, cur/,
 * dovecot-uidlist and dovecot-keywords taken before the scan that built
 * it. When all four stamps still match, the mailbox is opened from the
 * index alone: no readdir, no stat of message files.
 *
 *   header (fixed size, CRC-32 of itself), records (fixed size, ascending
 *   UID, name lengths; maildir_index_checksum()), strings (file name NUL
 *   base name NUL POP3-UIDL NUL per record, in record order; checksum)
 *
 * Crash safety: the file is written whole to "loft.index.tmp.<pid>",
 * fsynced and renamed over loft.index, so a crash leaves the old or the new
 * file. Writers hold an flock() on loft.index.lock from reading the first
 * recent UID on disk to the rename, and never write a lower one than the
 * file has. A file that fails any check (magic, version, sizes, CRCs, offsets,
 * UID order) is ignored and rebuilt from the Maildir. The index is a cache:
 * losing it loses nothing but modseqs, which restart above the old
 * HIGHESTMODSEQ only if the file survives (CONDSTORE clients then resync).
 *
 * Used by maildir-storage.c's mailbox_sync(); not an API for protocols. */
#ifndef LOFT_MAILDIR_INDEX_H
#define LOFT_MAILDIR_INDEX_H

#include "lib.h"

struct mailbox;

#define MAILDIR_INDEX_FNAME "loft.index"
/* The highest modseq handed out by any session (see
 * maildir_index_next_modseq()). */
#define MAILDIR_MODSEQ_FNAME "loft.modseq"
/* Writers of loft.index hold an flock() on this file. */
#define MAILDIR_INDEX_LOCK_FNAME "loft.index.lock"

struct maildir_index_stamp {
	int64_t mtime_sec, mtime_nsec;
	uint64_t size, ino;
};
struct maildir_index_stamps {
	struct maildir_index_stamp new_dir, cur_dir, uidlist, keywords;
};

struct stat;
/* One stamp from a stat() of path (zero when it is missing), or from a
 * struct stat. */
void maildir_index_get_stamp(const char *path,
			     struct maildir_index_stamp *stamp_r);
void maildir_index_stamp_from_stat(const struct stat *st,
				   struct maildir_index_stamp *stamp_r);

/* Stats new/, cur/, dovecot-uidlist and dovecot-keywords (missing files
 * give zero stamps). */
void maildir_index_get_stamps(struct mailbox *box,
			      struct maildir_index_stamps *stamps_r);
/* The same from a mailbox directory and its control directory (for a
 * save thread, whose handle may be gone). */
void maildir_index_get_stamps_at(const char *box_path, const char *control_dir,
				 struct maildir_index_stamps *stamps_r);

/* The cheap sync: returns true when the view is up to date with stamps -
 * either it already was, or it was just loaded from a valid loft.index
 * whose stamps match. false: a full sync is needed. */
bool maildir_index_sync_fast(struct mailbox *box,
			     const struct maildir_index_stamps *stamps);

/* True when the handle has a view and new/, cur/, dovecot-uidlist and
 * dovecot-keywords still have the stamps it was built from: a sync would
 * change nothing but \Recent (maildir_index_recent_sync()). */
bool maildir_index_view_is_current(struct mailbox *box);

/* After a save through this handle (maildir-save.c), whose stamps were
 * taken under the uidlist lock just before the save's rename (before) and
 * after its uidlist record was written (after): true when the view was
 * current as of before; it is then current as of after, and the caller
 * adds the saved message to it instead of a rescan. false: the next sync
 * rescans as usual. */
bool maildir_index_view_advance(struct mailbox *box,
				const struct maildir_index_stamps *before,
				const struct maildir_index_stamps *after);

/* Releases the mapping of loft.index that a view loaded by
 * maildir_index_sync_fast() points into; call after freeing that view
 * (when box->view_pool is replaced or the mailbox closed). */
void maildir_index_view_free(struct mailbox *box);

/* Message seq of the view, to be changed: a view loaded from loft.index
 * shares its records with the other sessions of the process that opened
 * the same file, so the record is first copied into box->view_pool (once).
 * Whoever changes a record of box->mails gets it through this. */
struct maildir_mail *maildir_index_mail_writable(struct mailbox *box,
						 unsigned int seq);

/* Before a full sync: remembers UID/flags/keywords/modseq of the current
 * view (or, when there is none, of a valid loft.index with the same
 * UIDVALIDITY) so that maildir_index_sync_done() can give changed messages
 * new modseqs. */
void maildir_index_sync_begin(struct mailbox *box);
/* During a full sync: what the view (or index) remembered by
 * sync_begin knew of message uid when its UIDVALIDITY is uid_validity:
 * the received time and sizes, which do not change while the UID lives
 * (a flag change renames the file, which keeps its mtime), so that a
 * rescan stats only new messages. false: not known. */
bool maildir_index_sync_lookup(struct mailbox *box, uint32_t uid_validity,
			       uint32_t uid, time_t *received_r,
			       bool *received_unknown_r, uint64_t *psize_r,
			       uint64_t *vsize_r);

/* A received time the view did not know was read from its file
 * (mailbox_get_received_time()): loft.index is rewritten when the handle
 * is closed (maildir_index_close()), so that the next session knows it. */
void maildir_index_received_learned(struct mailbox *box);
/* At mailbox_close(), before the view is freed: writes loft.index when
 * the view learned something the file does not have. */
void maildir_index_close(struct mailbox *box);
/* After a full sync: assigns modseqs (kept when flags and keywords are
 * unchanged, HIGHESTMODSEQ + 1 for new and changed messages, and one bump
 * for expunges), records the stamps and writes loft.index (failures are
 * logged; the view stays usable). */
void maildir_index_sync_done(struct mailbox *box,
			     const struct maildir_index_stamps *stamps);
/* Frees what sync_begin kept when the sync failed. */
void maildir_index_sync_abort(struct mailbox *box);

/* A new modseq for a change made through this handle (flag update,
 * expunge), which becomes the handle's HIGHESTMODSEQ. Modseqs (these and
 * those a sync gives to changes it finds) come from the counter in
 * loft.modseq, raised under its flock(), so that sessions changing the
 * mailbox at the same time never hand out the same modseq twice and each
 * change gets one above every earlier one (RFC 7162 section 3.1.1). */
uint64_t maildir_index_next_modseq(struct mailbox *box);

/* After every sync: brings the handle's \Recent messages up to date with
 * its view (mailbox_recent_take() in mailbox.h says how). Cheap when the
 * view's last UID is the one it last looked at. */
void maildir_index_recent_sync(struct mailbox *box);
/* Before a handle's first sync: makes it one that takes the recent
 * messages (MAILBOX_OPEN_FLAG_TAKE_RECENT). */
void maildir_index_recent_take_init(struct mailbox *box);

/* Validates and decodes an index file image. Exposed for unit tests and
 * fuzzing: returns true when data is a complete, consistent index. */
bool maildir_index_image_is_valid(const void *data, size_t size);

/* The check value of loft.index's records and strings: CRC-32C in four
 * interleaved lanes (maildir-index.c says how), on the CPU's crc32
 * instruction where there is one. _sw is the portable code, which gives
 * the same values (for tests). */
uint32_t maildir_index_checksum(const void *data, size_t size);
uint32_t maildir_index_checksum_sw(const void *data, size_t size);

/* CRC-32 (IEEE 802.3, as zlib's crc32()). */
uint32_t maildir_index_crc32(uint32_t crc, const void *data, size_t size);

#endif
