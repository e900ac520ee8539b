/* imap-search.h - running a parsed SEARCH (imap-search-args.h) over the
 * selected mailbox.
 *
 * Each message is first matched on its index record (flags, keywords,
 * sizes, dates, UIDs, modseq); only when that leaves the answer open is
 * the message file read (mail-search.h), streamed through a fixed buffer.
 * A file deleted by someone else meanwhile is skipped as not matching
 * (RFC 3501 section 6.4.4 allows it; the next sync reports the expunge).
 *
 * It writes nothing to the client: cmd-search.c formats the result. */
#ifndef LOFT_IMAP_SEARCH_H
#define LOFT_IMAP_SEARCH_H

#include "lib.h"
#include "pool.h"
#include "imap-search-args.h"

struct mailbox;

struct imap_search_result {
	/* matching seqs, ascending */
	uint32_t *seqs;
	unsigned int count;
	/* highest modseq among the matches (0 when none) */
	uint64_t highest_modseq;
	/* messages skipped because their file had vanished */
	unsigned int vanished;
};

/* Replaces "$" in the program with the saved UIDs (sorted; count 0 or
 * uids NULL: the empty set), resolves "*" against the mailbox and maps
 * KEYWORD names to the mailbox's keywords. Call once before
 * imap_search_run(). */
void imap_search_prepare(struct mailbox *box, pool_t pool,
			 struct imap_search_program *program,
			 const uint32_t *saved_uids, unsigned int saved_count);

/* Matches every message of the mailbox. Result arrays from pool. Returns
 * 0, or -1 with *error_r on a storage error (already logged nowhere: the
 * caller logs it and answers NO). */
int imap_search_run(struct mailbox *box, pool_t pool,
		    struct imap_search_program *program,
		    struct imap_search_result *result_r, const char **error_r);

#endif
