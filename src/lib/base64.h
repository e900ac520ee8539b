/* base64.h - RFC 4648 base64 encoding and strict decoding. */
#ifndef LOFT_BASE64_H
#define LOFT_BASE64_H

#include "lib.h"
#include "str.h"

void base64_encode(const void *src, size_t src_size, string_t *dest);
/* Strict: only the alphabet and '=' padding at the end, length a multiple
 * of 4; whitespace is refused. Returns 0 or -1 (dest may hold partial
 * output on error). */
int base64_decode(const void *src, size_t src_size, string_t *dest);
#define BASE64_ENCODED_SIZE(n) ((((n) + 2) / 3) * 4)

/* Hex helpers: lower-case output; decode accepts both cases. */
void binary_to_hex_append(string_t *dest, const void *data, size_t size);
int hex_to_binary(const char *hex, string_t *dest); /* 0 or -1 */

#endif
