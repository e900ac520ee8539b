/* imap-seqset.h - IMAP sequence sets (RFC 3501 section 9 sequence-set,
 * RFC 9051 section 9; "$" of RFC 5182 SEARCHRES).
 *
 * A set such as "1:*", "*:5", "3,5:7" or "1:4294967295" is parsed into
 * ranges, never into one entry per number, so huge ranges cost nothing.
 * "*" stays symbolic until imap_seqset_resolve() is given the largest
 * number in use (the message count or the highest UID); the ranges are
 * then ordered, merged and can be counted, searched and iterated. The
 * same code serves message sequence numbers and UIDs: checking numbers
 * against the mailbox is the caller's job. */
#ifndef LOFT_IMAP_SEQSET_H
#define LOFT_IMAP_SEQSET_H

#include "lib.h"
#include "pool.h"
#include "str.h"

/* In a parsed set, 0 stands for "*" (0 is never a valid number). */
#define IMAP_SEQ_STAR 0

struct imap_seq_range {
	uint32_t seq1, seq2; /* seq1 <= seq2 once resolved */
};

struct imap_seqset {
	struct imap_seq_range *ranges;
	unsigned int count;
	bool searchres; /* the set was "$": use the saved search result */
	bool has_star;
	bool resolved;
};

/* Parses str into *set_r, ranges allocated from pool. Returns 0, or -1
 * with *error_r for an empty set, 0, a leading zero, a number over
 * 4294967295, or anything outside the grammar. A "$" on its own gives
 * searchres and no ranges. */
int imap_seqset_parse(pool_t pool, const char *str, struct imap_seqset *set_r,
		      const char **error_r);
/* Replaces "*" with star (>= 1) and orders and merges the ranges.
 * A range over star is kept: "5:*" with star 3 is 3:5 (RFC 9051 section
 * 6.4.9 for UIDs). Sets without "*" may be resolved with any star. */
void imap_seqset_resolve(struct imap_seqset *set, uint32_t star);

/* These need a resolved set. */
/* How many numbers the set holds. */
uint64_t imap_seqset_count(const struct imap_seqset *set);
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t num);
/* The largest number in the set, 0 when empty. */
uint32_t imap_seqset_max(const struct imap_seqset *set);

struct imap_seqset_iter {
	const struct imap_seqset *set;
	unsigned int idx;
	uint64_t next;
};
void imap_seqset_iter_init(struct imap_seqset_iter *iter,
			   const struct imap_seqset *set);
/* Returns true and the next number in ascending order, false at the end. */
bool imap_seqset_iter_next(struct imap_seqset_iter *iter, uint32_t *num_r);

/* Writes the set in its shortest form ("1:3,7"), e.g. for COPYUID. "*"
 * is written as "*" in an unresolved set. */
void imap_seqset_append(string_t *dest, const struct imap_seqset *set);

#endif
