/* message-section.h - what IMAP FETCH BODY[section] needs from a parsed
 * message (RFC 3501 section 6.4.5, RFC 9051 section 6.4.5): locating a
 * section "1.2.3", "HEADER", "TEXT", "1.MIME", "2.HEADER.FIELDS" ... as a
 * byte range of the message file, and filtering a header block by field
 * names for HEADER.FIELDS and HEADER.FIELDS.NOT.
 *
 * Ranges are physical (the bytes as stored); converting line endings to
 * CRLF and applying <partial> is the caller's job. */
#ifndef LOFT_MESSAGE_SECTION_H
#define LOFT_MESSAGE_SECTION_H

#include "message-parser.h"
#include "str.h"

enum message_section_kind {
	/* "" or "N...": the whole message, or a part's body (content) */
	MESSAGE_SECTION_BODY,
	/* [N.]HEADER, [N.]HEADER.FIELDS[.NOT]: a header block, ending with
	 * its empty line */
	MESSAGE_SECTION_HEADER,
	/* [N.]TEXT: a message's body */
	MESSAGE_SECTION_TEXT,
	/* N.MIME: a part's own MIME header */
	MESSAGE_SECTION_MIME,
};

struct message_section {
	enum message_section_kind kind;
	/* HEADER.FIELDS / HEADER.FIELDS.NOT: the caller parses the field
	 * list that follows and filters the header range */
	bool header_fields, header_fields_not;
	/* the part the range belongs to */
	const struct message_part *part;
	uint64_t offset, size;
};

/* section is the text between "[" and "]" up to (not including) a field
 * list: "", "1.2", "1.2.MIME", "HEADER.FIELDS.NOT", ... (case-insensitive
 * keywords). Returns 0 and fills *section_r, or -1 with *error_r when the
 * section is malformed or the part does not exist. */
int message_section_find(const struct message_part *root, const char *section,
			 struct message_section *section_r,
			 const char **error_r);

/* Appends to dest the fields of the header block hdr[0..size) whose name
 * is (not_ = false) or is not (not_ = true) one of fields (NULL-terminated,
 * case-insensitive), each line ending in CRLF, then an empty line (RFC
 * 3501: the result of HEADER.FIELDS includes the blank line). */
void message_header_filter(const unsigned char *hdr, size_t size,
			   const char *const *fields, bool not_,
			   string_t *dest);
/* The first value of field `name` in the header block, unfolded (CR and
 * LF removed) and with leading whitespace skipped, or NULL. */
const char *message_header_get_first(pool_t pool, const unsigned char *hdr,
				     size_t size, const char *name);

#endif
