/* mail-search-decode.h - turning message text into what SEARCH compares:
 * RFC 2047 encoded words in header values, and case folding of UTF-8
 * text. Bodies are decoded (base64, quoted-printable) by mail-decode.h's
 * decoder, the one BINARY uses.
 *
 * Lenient, as mail readers are: an encoded word with an unknown charset
 * or encoding is left as it was. Folding keeps at most a few bytes of
 * state between chunks; nothing grows with the size of the message.
 *
 * Folding (RFC 3501 section 6.4.4: substring matches are
 * case-insensitive) maps each character to lower case with Unicode's
 * simple mapping (ASCII by a table, the rest with libunistring), close to
 * the i;unicode-casemap comparator of RFC 5051 without its decomposition.
 * Invalid UTF-8 bytes are copied unchanged. */
#ifndef LOFT_MAIL_SEARCH_DECODE_H
#define LOFT_MAIL_SEARCH_DECODE_H

#include "lib.h"
#include "str.h"

/* Appends the value of a header field to dest as text: folding removed
 * (the line breaks dropped, RFC 5322 section 2.2.3), RFC
 * 2047 encoded words decoded to UTF-8 (whitespace between two adjacent
 * encoded words dropped, RFC 2047 section 6.2). NULs become spaces. */
void mail_header_decode_utf8(const unsigned char *value, size_t size,
			     string_t *dest);

/* Folding in chunks: a UTF-8 sequence cut by a chunk end waits in
 * partial for the next call. */
struct mail_fold_state {
	unsigned char partial[4];
	unsigned int partial_len;
};
/* Appends the case-folded form of data to dest. With last, a pending
 * partial sequence is copied as it is. state may be NULL for a whole
 * text. */
void mail_fold_utf8(struct mail_fold_state *state, const void *data,
		    size_t size, bool last, string_t *dest);

#endif
