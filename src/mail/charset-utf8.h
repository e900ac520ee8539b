/* charset-utf8.h - converting text in a MIME charset to UTF-8, in chunks.
 *
 * Used by search to compare body parts and RFC 2047 encoded words with the
 * UTF-8 search strings. Conversion goes through iconv(3); a multibyte
 * sequence cut by a chunk boundary is kept until the next chunk. Bytes
 * that are invalid in the source charset become U+FFFD and conversion
 * goes on: broken input never fails. A charset iconv does not know is
 * reported by charset_to_utf8_create(); the caller then treats the text
 * as raw bytes.
 *
 * It does not detect charsets or normalise Unicode. */
#ifndef LOFT_CHARSET_UTF8_H
#define LOFT_CHARSET_UTF8_H

#include "lib.h"
#include "str.h"

struct charset_translation;

/* True for names that need no conversion: UTF-8 and US-ASCII (and their
 * common aliases), any case. */
bool charset_is_utf8(const char *charset);

/* Creates a converter from charset to UTF-8. Returns 0, or -1 when the
 * charset is unknown. For charset_is_utf8() charsets the converter copies
 * the input. Free with charset_to_utf8_destroy(). */
int charset_to_utf8_create(const char *charset,
			   struct charset_translation **trans_r);
void charset_to_utf8_destroy(struct charset_translation **trans);
/* Forgets any partial sequence (a new text begins). */
void charset_to_utf8_reset(struct charset_translation *trans);

/* Converts size bytes and appends the UTF-8 result to dest. A trailing
 * partial sequence (at most a few bytes) is kept for the next call; with
 * last it is converted to U+FFFD instead. */
void charset_to_utf8(struct charset_translation *trans, const void *data,
		     size_t size, bool last, string_t *dest);

/* One-shot conversion of a short text (an encoded word). Returns false
 * when the charset is unknown (dest unchanged). */
bool charset_to_utf8_str(const char *charset, const void *data, size_t size,
			 string_t *dest);

#endif
