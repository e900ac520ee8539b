/* mail-search.h - SEARCH criteria as a tree, and matching one message
 * against them (RFC 3501 / RFC 9051 section 6.4.4, RFC 7162 MODSEQ).
 *
 * The tree is built by the protocol (imap-search-args.h) and prepared once
 * with mail_search_args_init(). A message is then matched in up to two
 * steps, each leaf getting a result of 1 (match), 0 (no match) or -1 (not
 * known yet), combined with three-valued logic:
 *   1. mail_search_match_record(): the keys answered by the index record
 *      (sequence, UID, flags, keywords, size, INTERNALDATE, modseq).
 *   2. when that leaves the answer open, mail_search_match_content()
 *      reads the message through a callback: header keys (HEADER, FROM,
 *      SUBJECT, SENT*), then, only if still needed, the decoded bodies of
 *      the MIME parts (BODY, TEXT).
 * Substring keys compare case-folded UTF-8 (mail-search-decode.h): RFC
 * 2047 encoded words in headers, base64 / quoted-printable bodies and body
 * charsets are decoded first. Memory per message is bounded by the MIME
 * tree and one header field, never by the message size.
 *
 * This module knows nothing of mailboxes: the caller fills
 * mail_search_record and maps keywords to bits. */
#ifndef LOFT_MAIL_SEARCH_H
#define LOFT_MAIL_SEARCH_H

#include <time.h>

#include "lib.h"
#include "pool.h"

enum mail_search_type {
	MAIL_SEARCH_ALL = 0,
	/* all subargs match (a parenthesised list; the root) */
	MAIL_SEARCH_SUB,
	/* any of the subargs matches */
	MAIL_SEARCH_OR,
	/* sequence numbers / UIDs in ranges */
	MAIL_SEARCH_SEQSET,
	MAIL_SEARCH_UIDSET,
	/* every flag of value.flags is set */
	MAIL_SEARCH_FLAGS,
	/* keyword_mask bit set (an unknown keyword never matches) */
	MAIL_SEARCH_KEYWORD,
	/* INTERNALDATE, as a date in the server's time zone */
	MAIL_SEARCH_BEFORE,
	MAIL_SEARCH_ON,
	MAIL_SEARCH_SINCE,
	/* Date: header, as a date in its own zone (none: 1-Jan-1970) */
	MAIL_SEARCH_SENTBEFORE,
	MAIL_SEARCH_SENTON,
	MAIL_SEARCH_SENTSINCE,
	MAIL_SEARCH_SMALLER,
	MAIL_SEARCH_LARGER,
	/* substring of a header field's decoded value (FROM, SUBJECT, ...);
	 * an empty string matches every message having the field */
	MAIL_SEARCH_HEADER,
	/* substring of the decoded body text */
	MAIL_SEARCH_BODY,
	/* substring of the header or the body */
	MAIL_SEARCH_TEXT,
	/* modseq >= value.number (RFC 7162 section 3.1.5) */
	MAIL_SEARCH_MODSEQ,
};

enum mail_search_flags {
	MAIL_SEARCH_FLAG_ANSWERED = 0x01,
	MAIL_SEARCH_FLAG_FLAGGED = 0x02,
	MAIL_SEARCH_FLAG_DELETED = 0x04,
	MAIL_SEARCH_FLAG_SEEN = 0x08,
	MAIL_SEARCH_FLAG_DRAFT = 0x10,
	MAIL_SEARCH_FLAG_RECENT = 0x20,
};

/* In ranges, 0 stands for "*" until mail_search_args_resolve(). */
struct mail_search_range {
	uint32_t seq1, seq2;
};

struct mail_search_matcher;

struct mail_search_arg {
	struct mail_search_arg *next;
	enum mail_search_type type;
	bool not ;

	/* SUB, OR */
	struct mail_search_arg *subargs;
	/* SEQSET, UIDSET as given, and sorted and merged with "*" replaced
	 * by mail_search_args_resolve() */
	struct mail_search_range *ranges;
	unsigned int ranges_count;
	struct mail_search_range *resolved;
	unsigned int resolved_count;
	/* "$" (RFC 5182): the caller replaces the ranges with the saved
	 * result (as a UIDSET) before searching */
	bool searchres;

	/* FLAGS: mail_search_flags; KEYWORD: keyword (its mask is set by the
	 * caller, 0 when the mailbox has no such keyword) */
	uint32_t flags;
	const char *keyword;
	uint32_t keyword_mask;
	/* dates: days since the epoch; SMALLER/LARGER: size; MODSEQ */
	int64_t day;
	uint64_t number;
	/* HEADER: field name; HEADER/BODY/TEXT: the string as given */
	const char *hdr_name;
	const char *value;

	/* set by mail_search_args_init() */
	struct mail_search_matcher *matcher;
	/* per message */
	int result;
};

/* What the index knows of one message. */
struct mail_search_record {
	uint32_t seq, uid;
	uint32_t flags; /* mail_search_flags */
	uint32_t keywords;
	uint64_t size; /* RFC822.SIZE */
	time_t received_time;
	uint64_t modseq;
};

/* Reads up to size bytes of the message at offset into buf. Returns the
 * count (0 at the end), or -1 with *error_r; *expunged_r is set when the
 * message is gone. */
typedef ssize_t mail_search_read_func_t(void *context, uint64_t offset,
					void *buf, size_t size,
					bool *expunged_r, const char **error_r);

/* Day number (days since 1970-01-01) of an IMAP date parsed to midnight
 * UTC by message_date_imap_parse_date(). */
int64_t mail_search_day_from_utc(time_t t);

/* Prepares the tree (folds the strings, builds the matchers): call once,
 * after building it. Memory from pool. */
void mail_search_args_init(pool_t pool, struct mail_search_arg *args);
/* Resolves "*" in SEQSET and UIDSET ranges (max_seq = message count,
 * max_uid = highest UID, 0 when empty: "*" then matches nothing) and
 * orders the ranges. Call before each search. */
void mail_search_args_resolve(pool_t pool, struct mail_search_arg *args,
			      uint32_t max_seq, uint32_t max_uid);
/* True when some key needs the message text. */
bool mail_search_args_need_content(const struct mail_search_arg *args);
/* True when a MODSEQ key is present (RFC 7162 section 3.1.5: the result
 * then carries "(MODSEQ n)"). */
bool mail_search_args_have_modseq(const struct mail_search_arg *args);
/* Calls callback for every KEYWORD leaf (to set keyword_mask). */
void mail_search_args_foreach_keyword(struct mail_search_arg *args,
				      void (*callback)(struct mail_search_arg *,
						       void *),
				      void *context);

/* Step 1: 1 match, 0 no match, -1 the content is needed. Resets the
 * per-message state. */
int mail_search_match_record(struct mail_search_arg *args,
			     const struct mail_search_record *rec);
/* Step 2, after step 1 returned -1: reads the message with read_func and
 * returns 1 match, 0 no match, or -1 with *error_r (*expunged_r when the
 * message vanished: RFC 3501 lets the caller skip it). pool is for
 * per-message memory: the caller clears it afterwards. */
int mail_search_match_content(struct mail_search_arg *args, pool_t pool,
			      mail_search_read_func_t *read_func, void *context,
			      bool *expunged_r, const char **error_r);

/* Step 2 without the message file, for trees whose only content keys are
 * HEADER and SENT* on fields that the index caches: get_header gives the
 * value of the first field `name` (unfolded, encoded words not decoded)
 * or NULL when there is none; 0, or -1 with *error_r (*expunged_r when
 * the message is gone). */
typedef int mail_search_header_func_t(void *context, const char *name,
				      const char **value_r, bool *expunged_r,
				      const char **error_r);
/* True when every content key of args is a HEADER key on one of names
 * (case-insensitive, NULL-terminated) or a SENT* key and names has
 * "Date". */
bool mail_search_args_headers_only(const struct mail_search_arg *args,
				   const char *const *names);
/* Like mail_search_match_content() for such trees. */
int mail_search_match_headers(struct mail_search_arg *args, pool_t pool,
			      mail_search_header_func_t *get_header,
			      void *context, bool *expunged_r,
			      const char **error_r);

#endif
