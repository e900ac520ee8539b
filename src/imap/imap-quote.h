/* imap-quote.h - writing strings into IMAP responses (RFC 3501 section 4,
 * RFC 9051 section 4.3).
 *
 * Each function picks the simplest form that carries the bytes exactly:
 * an atom where the grammar allows one and the text is made of
 * ASTRING-CHARs, else a quoted string ('"' and '\' escaped) when the text
 * is 7-bit (or UTF-8 with IMAP_QUOTE_UTF8, for UTF8=ACCEPT and IMAP4rev2
 * sessions) without CR, LF or NUL, else a literal "{n}\r\n" + bytes.
 * Binary data with NUL bytes belongs in a literal8 (BINARY). */
#ifndef LOFT_IMAP_QUOTE_H
#define LOFT_IMAP_QUOTE_H

#include "lib.h"
#include "str.h"

enum imap_quote_flags {
	/* 8-bit UTF-8 may go into quoted strings */
	IMAP_QUOTE_UTF8 = 0x01,
};

/* astring: atom, quoted or literal. "NIL" (any case) and "" are quoted. */
void imap_append_astring(string_t *dest, const char *str,
			 enum imap_quote_flags flags);
/* string: quoted or literal, never an atom. */
void imap_append_string(string_t *dest, const char *str,
			enum imap_quote_flags flags);
void imap_append_string_n(string_t *dest, const void *data, size_t size,
			  enum imap_quote_flags flags);
/* nstring: NIL for NULL, else as imap_append_string(). */
void imap_append_nstring(string_t *dest, const char *str,
			 enum imap_quote_flags flags);
/* Always a literal: "{size}\r\n" + data. */
void imap_append_literal(string_t *dest, const void *data, size_t size);
/* Always a literal8 (RFC 3516): "~{size}\r\n" + data. */
void imap_append_literal8(string_t *dest, const void *data, size_t size);
/* True when str can be sent as an atom (1*ASTRING-CHAR, not NIL). */
bool imap_is_astring_atom(const char *str);

#endif
