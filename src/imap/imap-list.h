/* imap-list.h - the pure parts of LIST and LSUB: mailbox name patterns
 * with the "*" and "%" wildcards (RFC 3501 section 6.3.8, RFC 9051
 * section 6.3.9) and the LIST-EXTENDED argument syntax (RFC 5258 section
 * 3, RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE).
 *
 * Patterns are matched against mailbox names as the client sees them
 * (namespace prefix added, modified UTF-7 or UTF-8), so a pattern never
 * needs decoding. "*" matches any run of characters, "%" any run without
 * the hierarchy separator. A leading "INBOX" matches case-insensitively
 * (RFC 3501 section 5.1). Matching costs at most O(pattern * name) time
 * and O(name) memory, whatever the pattern: runs of wildcards collapse
 * and a pattern with more literal characters than the name fails at once.
 *
 * Nothing here knows about sessions or storage. */
#ifndef LOFT_IMAP_LIST_H
#define LOFT_IMAP_LIST_H

#include "lib.h"
#include "pool.h"
#include "imap-parser.h"
#include "imap-status.h"

/* RFC 5258 section 3.1 selection options */
enum imap_list_select {
	IMAP_LIST_SELECT_SUBSCRIBED = 0x01,
	IMAP_LIST_SELECT_REMOTE = 0x02,
	IMAP_LIST_SELECT_RECURSIVEMATCH = 0x04,
	IMAP_LIST_SELECT_SPECIAL_USE = 0x08, /* RFC 6154 section 3 */
};

/* RFC 5258 section 3.2 return options */
enum imap_list_return {
	IMAP_LIST_RETURN_SUBSCRIBED = 0x01,
	IMAP_LIST_RETURN_CHILDREN = 0x02,
	IMAP_LIST_RETURN_SPECIAL_USE = 0x04,
	IMAP_LIST_RETURN_STATUS = 0x08, /* RFC 5819 */
};

/* Most patterns in one LIST (a pattern list is untrusted input). */
#define IMAP_LIST_MAX_PATTERNS 64

struct imap_list_request {
	enum imap_list_select select;
	enum imap_list_return ret;
	/* Any LIST-EXTENDED syntax was used: selection options, a pattern
	 * list or RETURN. Plain LIST then always reports children and
	 * special-use attributes, as Dovecot does; extended LIST only
	 * what the return options ask for. */
	bool extended;
	const char *ref;
	const char **patterns; /* pattern_count of them */
	unsigned int pattern_count;
	enum imap_status_items status_items; /* with RETURN (STATUS (...)) */
};

/* Parses the arguments of LIST (lsub = false) or LSUB (lsub = true:
 * reference and one pattern, nothing extended). Strings point into args or
 * pool. Returns 0, or -1 with *error_r: a text for "BAD". */
int imap_list_parse_args(pool_t pool, const struct imap_arg *args, bool lsub,
			 struct imap_list_request *req_r, const char **error_r);

/* The pattern the reference and a pattern combine to (RFC 3501 section
 * 6.3.8): the pattern alone when the reference is empty or the pattern
 * starts with the separator after a reference ending with one; otherwise
 * their concatenation. From pool. */
const char *imap_list_join_ref(pool_t pool, const char *ref,
			       const char *pattern, char sep);

struct imap_match;

/* Compiles pattern for the hierarchy separator sep, from pool. */
struct imap_match *imap_match_init(pool_t pool, const char *pattern, char sep);
/* True when name matches the whole pattern. */
bool imap_match(const struct imap_match *match, const char *name);

#endif
