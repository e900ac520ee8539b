/* maildir-uidlist.h - Dovecot's dovecot-uidlist file (version 3).
 *
 *   3 V<uidvalidity> N<next_uid> G<128-bit guid in hex>
 *   <uid> [<ext>...] :<basename>
 *
 * Extension fields are a letter and a value without spaces (W<vsize>,
 * S<size>, P<pop3 uidl>, O<pop3 order>, G<guid>, ...): all are kept and
 * written back in their order; only W and P are interpreted. Records are in
 * ascending UID order. The reader also accepts version 1 files
 * ("1 <uidvalidity> <next_uid>" / "<uid> <filename>").
 *
 * The parser works on a buffer in memory and never trusts it: a broken
 * record line is skipped with a warning, a broken header makes the whole
 * file unusable (the caller rebuilds it). Locking and atomic replacement
 * live in the mailbox code (maildir-storage.c) on top of dotlock.h. */
#ifndef LOFT_MAILDIR_UIDLIST_H
#define LOFT_MAILDIR_UIDLIST_H

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "array.h"

#define MAILDIR_UIDLIST_FNAME "dovecot-uidlist"
#define MAILDIR_UIDLIST_LOCK_FNAME "dovecot-uidlist.lock"
/* Files larger than this are refused as damaged. */
#define MAILDIR_UIDLIST_MAX_SIZE (256u * 1024 * 1024)
/* Longest accepted record line. */
#define MAILDIR_UIDLIST_MAX_LINE 8192

struct maildir_uidlist_rec {
	uint32_t uid;
	const char *basename;
	/* Extension fields, space-separated, exactly as read ("" if none). */
	const char *exts;
};

struct maildir_uidlist {
	pool_t pool;
	unsigned int version;
	uint32_t uid_validity;
	/* Next UID to assign: max(header N, highest record UID + 1). */
	uint32_t next_uid;
	/* 32 hex digits, or "" when the header had none. */
	char guid[33];
	ARRAY(struct maildir_uidlist_rec) recs;
	/* Broken record lines that were skipped. */
	unsigned int skipped_lines;
};

/* Creates an empty list (version 3, no records). */
struct maildir_uidlist *maildir_uidlist_new(pool_t pool, uint32_t uid_validity);

/* Parses file content. Everything is allocated from pool. Returns 1 when the
 * header was valid (*list_r set; broken records skipped and counted, each
 * logged as a warning naming `path` and the line), 0 when the header is
 * damaged (*list_r set with no records; uid_validity is 0 unless the
 * V field was readable), never -1. path is used in log lines only. */
int maildir_uidlist_parse(pool_t pool, const char *path, const void *data,
			  size_t size, struct maildir_uidlist **list_r);

/* Writes the whole file content into dest. */
void maildir_uidlist_write(const struct maildir_uidlist *list, string_t *dest);
/* The same in pieces: appends to dest what follows *pos (0 at the start:
 * the header first) until dest holds at least max_len bytes or the file
 * ends, and advances *pos. Returns true when the file has ended. */
bool maildir_uidlist_write_part(const struct maildir_uidlist *list,
				string_t *dest, unsigned int *pos,
				size_t max_len);

/* Appends a record; uid must be >= list->next_uid. next_uid is advanced. */
struct maildir_uidlist_rec *maildir_uidlist_append(struct maildir_uidlist *list,
						   uint32_t uid,
						   const char *basename);

/* maildir_uidlist_append() without copying basename, which must live as
 * long as list->pool. */
struct maildir_uidlist_rec *
maildir_uidlist_append_ref(struct maildir_uidlist *list, uint32_t uid,
			   const char *basename);
/* Makes room for count records in all (no reallocation while appending
 * up to that many). */
void maildir_uidlist_reserve(struct maildir_uidlist *list, unsigned int count);

/* Binary search by UID; NULL when missing. */
struct maildir_uidlist_rec *
maildir_uidlist_lookup_uid(struct maildir_uidlist *list, uint32_t uid);

/* The value of extension field `key` (e.g. 'W') of rec, allocated from
 * pool, or NULL when the record has none. */
const char *maildir_uidlist_rec_get_ext(pool_t pool,
					const struct maildir_uidlist_rec *rec,
					char key);
/* Sets (replaces or appends) extension field key=value. value must not
 * contain spaces or newlines. */
void maildir_uidlist_rec_set_ext(pool_t pool, struct maildir_uidlist_rec *rec,
				 char key, const char *value);

/* Fills guid with 32 random hex digits. */
void maildir_uidlist_generate_guid(char guid[33]);

#endif
