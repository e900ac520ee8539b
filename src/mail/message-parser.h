/* message-parser.h - streaming RFC 5322 / MIME (RFC 2045-2049) parser.
 *
 * Feed a message in chunks of any size; get back a tree of parts with
 * byte offsets, physical and virtual (CRLF) sizes and line counts, and
 * for each part the Content-* data and, for the top part and the parts
 * inside message/rfc822, the envelope fields (message-part-data.h).
 *
 * Bounded: a header field longer than max_header_field_size is truncated
 * (the sizes stay exact), multiparts and message/rfc822 nested deeper than
 * max_nesting and parts beyond max_parts are kept as opaque bodies. Broken
 * input never fails: missing or wrong boundaries, truncated headers and
 * bodies give the tree Dovecot would give.
 *
 * It does not decode bodies (base64, quoted-printable) or charsets. */
#ifndef LOFT_MESSAGE_PARSER_H
#define LOFT_MESSAGE_PARSER_H

#include "lib.h"
#include "pool.h"

#define MESSAGE_PARSER_DEFAULT_MAX_HEADER_FIELD_SIZE (64 * 1024)
#define MESSAGE_PARSER_DEFAULT_MAX_NESTING 100
#define MESSAGE_PARSER_DEFAULT_MAX_PARTS 10000
/* RFC 2046 section 5.1.1 allows 70; longer ones are still honoured up to
 * this size, beyond it the multipart is treated as having no boundary. */
#define MESSAGE_PARSER_MAX_BOUNDARY_LEN 256

struct message_size {
	uint64_t physical_size;
	/* as if every bare LF were CRLF: what IMAP reports */
	uint64_t virtual_size;
	/* LF count */
	uint64_t lines;
};

enum message_part_flags {
	MESSAGE_PART_FLAG_MULTIPART = 0x01,
	MESSAGE_PART_FLAG_MULTIPART_DIGEST = 0x02,
	MESSAGE_PART_FLAG_MESSAGE_RFC822 = 0x04,
	/* text/ or no Content-Type */
	MESSAGE_PART_FLAG_TEXT = 0x08,
	MESSAGE_PART_FLAG_HAS_NULS = 0x10,
};

struct message_part {
	struct message_part *parent, *next, *children;
	/* Offset of the part's first header byte in the message. The body
	 * starts at physical_pos + header_size.physical_size. The header
	 * size includes the empty line ending it. */
	uint64_t physical_pos;
	struct message_size header_size, body_size;
	enum message_part_flags flags;
	unsigned int children_count;
	/* never NULL once parsing finished */
	struct message_part_data *data;
};

/* One header field as the parser hands it out. */
struct message_header_line {
	/* Name with trailing whitespace removed. */
	const char *name;
	/* Value after the colon with the leading SP/TAB skipped; folded
	 * lines are kept, joined with "\n" (CRs before LF dropped). May
	 * contain NULs. */
	const unsigned char *value;
	size_t value_len;
};

struct message_parser_settings {
	size_t max_header_field_size; /* 0 = default */
	unsigned int max_nesting;     /* 0 = default */
	unsigned int max_parts;	      /* 0 = default */
};

/* Called for every header field of every part, after the parser has
 * recorded it in part->data. */
typedef void message_header_callback_t(struct message_part *part,
				       const struct message_header_line *hdr,
				       void *context);

struct message_parser;

/* The tree and everything in it is allocated from pool, which must outlive
 * the tree. set may be NULL. callback may be NULL. */
struct message_parser *
message_parser_init(pool_t pool, const struct message_parser_settings *set,
		    message_header_callback_t *callback, void *context);
void message_parser_feed(struct message_parser *parser, const void *data,
			 size_t size);
/* Ends the input, frees the parser and returns the root part. */
struct message_part *message_parser_finish(struct message_parser **parser);

/* Convenience: parses a whole message held in memory. */
struct message_part *message_parse(pool_t pool, const void *data, size_t size);

/* Number of parts in the tree (root included). */
unsigned int message_part_count(const struct message_part *root);

#endif
