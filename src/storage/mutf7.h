/* mutf7.h - modified UTF-7 (RFC 3501 section 5.1.3), the encoding IMAP4rev1
 * uses for mailbox names and Dovecot uses for Maildir folder names on disk.
 *
 * Printable US-ASCII (0x20-0x7e) stands for itself except '&', written
 * "&-"; everything else is UTF-16 in base64 with ',' for '/', no padding,
 * between '&' and '-'. Pure string functions, no I/O. */
#ifndef LOFT_MUTF7_H
#define LOFT_MUTF7_H

#include "lib.h"
#include "str.h"

/* Appends the modified UTF-7 form of the UTF-8 string src to dest.
 * Returns 0, or -1 when src is not valid UTF-8 (dest is then partial). */
int mutf7_from_utf8(const char *src, string_t *dest);

/* Appends the UTF-8 form of the modified UTF-7 string src to dest. Returns
 * 0, or -1 when src is not valid, canonical modified UTF-7: a raw byte
 * outside 0x20-0x7e, an unterminated or empty "&...-" run other than "&-",
 * a printable ASCII character or a bad surrogate in a base64 run, non-zero
 * padding bits, or two adjacent base64 runs. */
int mutf7_to_utf8(const char *src, string_t *dest);

/* True when src is valid modified UTF-7 (see mutf7_to_utf8()). */
bool mutf7_is_valid(const char *src);

#endif
