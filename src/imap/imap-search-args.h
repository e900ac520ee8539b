/* imap-search-args.h - parsing the arguments of SEARCH / UID SEARCH into
 * a mail-search.h tree (RFC 3501 and RFC 9051 section 6.4.4).
 *
 * Grammar: ["RETURN" SP "(" [return-opt *(SP return-opt)] ")" SP]
 * ["CHARSET" SP charset SP] search-key *(SP search-key), with the return
 * options of RFC 4731 (MIN MAX ALL COUNT) and RFC 5182 (SAVE), every key
 * of RFC 3501 / RFC 9051, sequence sets with "*" and "$" (RFC 5182), and
 * MODSEQ of RFC 7162 section 3.1.5. Keys are case-insensitive. CHARSET may
 * be UTF-8 or US-ASCII (search strings are taken as UTF-8 either way);
 * any other charset is refused with BADCHARSET.
 *
 * The parse is pure and bounded: nesting of NOT, OR and parentheses at
 * most IMAP_SEARCH_MAX_DEPTH, at most IMAP_SEARCH_MAX_KEYS keys. Errors
 * carry Dovecot's wording for "<tag> BAD Error in IMAP command SEARCH:
 * <error>". Keywords are not mapped to the mailbox here (the caller
 * does that), "$" is only marked (searchres). */
#ifndef LOFT_IMAP_SEARCH_ARGS_H
#define LOFT_IMAP_SEARCH_ARGS_H

#include "lib.h"
#include "pool.h"
#include "mail-search.h"

struct imap_arg;

#define IMAP_SEARCH_MAX_DEPTH 32
#define IMAP_SEARCH_MAX_KEYS 1000
/* The charsets SEARCH accepts, as BADCHARSET lists them. */
#define IMAP_SEARCH_CHARSETS "UTF-8 US-ASCII"

enum imap_search_return {
	IMAP_SEARCH_RETURN_MIN = 0x01,
	IMAP_SEARCH_RETURN_MAX = 0x02,
	IMAP_SEARCH_RETURN_ALL = 0x04,
	IMAP_SEARCH_RETURN_COUNT = 0x08,
	IMAP_SEARCH_RETURN_SAVE = 0x10,
};

struct imap_search_program {
	/* the keys, all of which must match (never NULL) */
	struct mail_search_arg *args;
	/* RETURN (...) was given: answer with ESEARCH (RFC 4731). "RETURN
	 * ()" means ALL. */
	bool return_given;
	enum imap_search_return return_options;
	/* a MODSEQ key is present (RFC 7162 section 3.1.5) */
	bool have_modseq;
	/* "$" is used somewhere */
	bool have_searchres;
};

enum imap_search_parse_result {
	IMAP_SEARCH_PARSE_OK = 0,
	/* syntax error: "BAD" with *error_r */
	IMAP_SEARCH_PARSE_BAD = -1,
	/* unsupported CHARSET: "NO [BADCHARSET (UTF-8 US-ASCII)]" */
	IMAP_SEARCH_PARSE_BADCHARSET = -2,
};

/* Parses args (ending with IMAP_ARG_EOL) into *program_r, allocated from
 * pool. The tree is ready for mail_search_args_init() (called here). */
enum imap_search_parse_result
imap_search_args_parse(pool_t pool, const struct imap_arg *args,
		       struct imap_search_program **program_r,
		       const char **error_r);

#endif
