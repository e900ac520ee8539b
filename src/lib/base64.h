/* base64.h - RFC 4648 base64 encoding and strict decoding, and the
 * character values every base64 decoder of ours looks up (the strict one
 * here, and mail-decode.h's lenient streaming one for message bodies). */
#ifndef LOFT_BASE64_H
#define LOFT_BASE64_H

#include "lib.h"
#include "str.h"

/* For each byte: its value in the base64 alphabet plus one, or 0 for a
 * byte outside it (padding '=' included). */
extern const unsigned char base64_value_map[256];

/* The value (0-63) of a base64 character, or -1. */
static inline int base64_char_value(unsigned char c)
{
	return (int)base64_value_map[c] - 1;
}

void base64_encode(const void *src, size_t src_size, string_t *dest);
/* Strict: only the alphabet and '=' padding at the end, length a multiple
 * of 4; whitespace is refused. Returns 0 or -1 (dest may hold partial
 * output on error). */
int base64_decode(const void *src, size_t src_size, string_t *dest);
#define BASE64_ENCODED_SIZE(n) ((((n) + 2) / 3) * 4)

/* Hex helpers: lower-case output; decode accepts both cases. */
/* The value (0-15) of a hex digit of either case, or -1. */
static inline int hex_digit_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
void binary_to_hex_append(string_t *dest, const void *data, size_t size);
int hex_to_binary(const char *hex, string_t *dest); /* 0 or -1 */

#endif
