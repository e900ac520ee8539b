/* message-part-data.h - what IMAP needs to know about each MIME part.
 *
 * Content-Type (type, subtype, parameters), Content-Transfer-Encoding,
 * -ID, -Description, -Disposition (with parameters), -Language,
 * -Location, -MD5 and, for a message's own header, the ENVELOPE fields.
 * Filled by message-parser.c from header fields; the first occurrence of
 * a Content-* field wins, the last Date/Subject/Message-ID/In-Reply-To
 * wins, and repeated address fields are concatenated (as Dovecot does, so
 * that a second From cannot hide behind the first). */
#ifndef LOFT_MESSAGE_PART_DATA_H
#define LOFT_MESSAGE_PART_DATA_H

#include "message-address.h"
#include "message-parser.h"
#include "rfc822-parser.h"

#define MESSAGE_PART_DEFAULT_CHARSET "us-ascii"

struct message_part_envelope {
	/* raw values, folding kept as "\n"; NULL when absent */
	const char *date, *subject, *in_reply_to, *message_id;
	struct message_address *from, *sender, *reply_to, *to, *cc, *bcc;
};

struct message_part_data {
	/* content_type NULL = no (usable) Content-Type */
	const char *content_type, *content_subtype;
	const struct rfc822_param *content_type_params;
	unsigned int content_type_params_count;
	const char *content_transfer_encoding;
	const char *content_id, *content_description;
	const char *content_disposition;
	const struct rfc822_param *content_disposition_params;
	unsigned int content_disposition_params_count;
	/* NULL-terminated, or NULL */
	const char *const *content_language;
	const char *content_location, *content_md5;
	/* top part and the child of a message/rfc822 part only */
	struct message_part_envelope *envelope;
	bool seen_content_type, seen_disposition;
};

/* Records one header field of part. */
void message_part_data_parse_header(pool_t pool, struct message_part *part,
				    const struct message_header_line *hdr);
/* Copies a header value, replacing NULs with U+FFFD (UTF-8). */
const char *message_header_strdup(pool_t pool, const unsigned char *value,
				  size_t len);
/* Value of the Content-Type parameter `name` (case-insensitive) or NULL. */
const char *message_part_data_get_param(const struct message_part_data *data,
					const char *name);

#endif
