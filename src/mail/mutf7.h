/* mutf7.h - mailbox names in modified UTF-7 (RFC 3501 section 5.1.3), the
 * encoding IMAP4rev1 uses on the wire and Dovecot uses for Maildir folder
 * names on disk, and UTF-8 validation for UTF8=ACCEPT (RFC 6855) and
 * IMAP4rev2. Pure string functions, no I/O.
 *
 * Decoding is strict, as Dovecot's: a name is refused unless it is the
 * one canonical encoding of its characters - printable US-ASCII inside a
 * base64 run, "&" not written as "&-", an unterminated or empty run, two
 * runs in a row (an encoder writes one), an encoded NUL, bits
 * left over at the end of a run, lone or misordered UTF-16 surrogates and
 * raw bytes outside 0x20-0x7e are all errors. Encoding accepts only valid
 * UTF-8. Nothing here knows about hierarchy separators. */
#ifndef LOFT_MUTF7_H
#define LOFT_MUTF7_H

#include "lib.h"
#include "str.h"

/* Appends the modified UTF-7 form of the UTF-8 string src to dest.
 * Returns 0, or -1 when src is not valid UTF-8 (dest is then left with
 * an unspecified partial result). */
int mutf7_from_utf8(const char *src, string_t *dest);
/* Appends the UTF-8 form of the modified UTF-7 string src to dest.
 * Returns 0, or -1 when src is not canonical modified UTF-7. */
int mutf7_to_utf8(const char *src, string_t *dest);
/* True when src is canonical modified UTF-7. */
bool mutf7_is_valid(const char *src);

/* True when data is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). NUL bytes are refused. */
bool mail_utf8_is_valid(const void *data, size_t size);
/* Decodes one UTF-8 character at data; returns its length (1-4) and sets
 * *chr_r, or returns -1 for an invalid or truncated sequence. */
int mail_utf8_get_char(const unsigned char *data, size_t size, uint32_t *chr_r);

#endif
