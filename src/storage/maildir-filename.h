/* maildir-filename.h - maildir file names as Dovecot writes and reads them.
 *
 *   <secs>.M<usecs>P<pid>.<host>,S=<size>,W=<vsize>:2,<flags>
 *
 * The base name is everything before the first ':'; it identifies a message
 * for its whole life (renames only change the ":2,<flags>" info part) and is
 * what dovecot-uidlist records and what Dovecot reports as the GUID. Flags
 * are single letters in ASCII order: D draft, F flagged, P passed, R replied,
 * S seen, T trashed (= \Deleted); lowercase letters are keywords.
 *
 * Pure string functions: no I/O. */
#ifndef LOFT_MAILDIR_FILENAME_H
#define LOFT_MAILDIR_FILENAME_H

#include "lib.h"
#include "pool.h"
#include "mailbox.h"

/* Length of the base name (up to the first ':' or the end). */
size_t maildir_filename_base_len(const char *fname);
/* The base name, allocated from pool. */
char *maildir_filename_base(pool_t pool, const char *fname);

/* Flags from the ":2,<letters>" info part; 0 when there is none. Unknown
 * letters and keywords are ignored. */
enum mail_flags maildir_filename_get_flags(const char *fname);

/* Looks for ",<field>=<number>" in the base name (field 'S' or 'W').
 * Returns true and sets *size_r when present and valid. */
bool maildir_filename_get_size(const char *fname, char field, uint64_t *size_r);

/* What a sync needs of a file name, read in one pass over it (the
 * results of maildir_filename_base_len(), _get_size() 'S' and 'W',
 * _get_flags() and maildir_filename_get_keywords() of maildir-keywords.h,
 * which the unit tests check it against). */
struct maildir_filename_info {
	size_t base_len;
	uint64_t psize, vsize; /* valid when has_psize / has_vsize */
	uint32_t keywords;
	enum mail_flags flags;
	bool has_psize, has_vsize;
};
/* fname must be NUL-terminated and name_len its length. */
void maildir_filename_parse(const char *fname, size_t name_len,
			    struct maildir_filename_info *info_r);

/* The file name with its flags replaced by `flags`: base + ":2," + the
 * sorted letters. Letters other than D F R S T already in the name (P,
 * keywords) are kept. Allocated from pool. */
char *maildir_filename_set_flags(pool_t pool, const char *fname,
				 enum mail_flags flags);

/* Appends the flag letters of `flags` in order (e.g. "FS"). */
void maildir_flags_to_letters(enum mail_flags flags, char *buf, size_t size);

/* Order in which new files get UIDs when a sync finds several: by the
 * leading seconds, then by the M<usecs> part (both numerically), then by
 * the whole name. qsort-style result. */
int maildir_filename_sort_cmp(const char *a, const char *b);

/* Generates a new unique base name for delivery:
 * "<secs>.M<usecs>P<pid>.<host>" (host with '/' and ':' escaped as
 * "\057" and "\072"). Successive calls in one process never return the
 * same name. Allocated from pool. */
char *maildir_filename_generate(pool_t pool);

#endif
