/* maildir-keywords.h - Dovecot's dovecot-keywords file.
 *
 *   <idx> <keyword>\n ...
 *
 * idx 0..25 is the lowercase letter 'a' + idx that marks the keyword in a
 * message file name's ":2,<flags>" part. The file lives in the mailbox's
 * control directory and is replaced atomically under the dotlock
 * "dovecot-keywords.lock", as Dovecot does. Keywords compare
 * case-insensitively (RFC 3501 2.3.2 flag names). Lines with a bad index,
 * an index given twice, an invalid or duplicate keyword are skipped.
 *
 * The parser works on a buffer in memory; no I/O here. */
#ifndef LOFT_MAILDIR_KEYWORDS_H
#define LOFT_MAILDIR_KEYWORDS_H

#include "lib.h"
#include "pool.h"
#include "str.h"

#define MAILDIR_KEYWORDS_FNAME "dovecot-keywords"
#define MAILDIR_KEYWORDS_LOCK_FNAME "dovecot-keywords.lock"
#define MAILDIR_KEYWORDS_MAX 26
/* Files larger than this are treated as damaged (and rewritten). */
#define MAILDIR_KEYWORDS_MAX_FILE_SIZE (64 * 1024)
/* Longest keyword accepted. */
#define MAILDIR_KEYWORD_MAX_LEN 128

struct maildir_keywords {
	/* names[idx], NULL when unused */
	const char *names[MAILDIR_KEYWORDS_MAX];
};

/* True when name is a usable IMAP keyword: 1..MAILDIR_KEYWORD_MAX_LEN
 * atom characters (RFC 3501 9: no control chars, space, ( ) { % * " \ ]),
 * not starting with '\'. */
bool maildir_keyword_is_valid(const char *name);

/* Parses file content into kw (names from pool). Returns the number of
 * skipped lines (0 for a clean file). */
unsigned int maildir_keywords_parse(pool_t pool, const void *data, size_t size,
				    struct maildir_keywords *kw);

/* The file content: one line per used index, ascending. */
void maildir_keywords_write(const struct maildir_keywords *kw, string_t *dest);

/* The index of name, or -1. */
int maildir_keywords_lookup(const struct maildir_keywords *kw,
			    const char *name);

/* Adds name at the lowest free index (name copied from pool) and returns
 * it; -1 when all 26 are used or the name is invalid. Returns the existing
 * index when name is already there. */
int maildir_keywords_add(pool_t pool, struct maildir_keywords *kw,
			 const char *name);

/* Keyword bitmask (bit idx) of a file name's ":2," letters a-z. */
uint32_t maildir_filename_get_keywords(const char *fname);

/* The file name with flags and keyword letters replaced; other letters
 * (P, unknown uppercase) are kept. Letters in ASCII order. From pool. */
char *maildir_filename_set_flags_keywords(pool_t pool, const char *fname,
					  unsigned int flags,
					  uint32_t keywords);

#endif
