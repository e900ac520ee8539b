/* imap-quote.h - writing strings into IMAP responses (RFC 3501 section 4.3)
 * the way Dovecot writes them in ENVELOPE and BODYSTRUCTURE: quoted when
 * possible, a literal when the value has CR, LF, 8-bit bytes or more than
 * four characters needing a backslash. */
#ifndef LOFT_IMAP_QUOTE_H
#define LOFT_IMAP_QUOTE_H

#include "str.h"

/* NULL -> NIL. */
void mail_imap_append_nstring(string_t *dest, const char *src);
void mail_imap_append_string(string_t *dest, const char *src);
/* Same, with CR and LF removed first (header values unfolded). */
void imap_append_nstring_nolf(string_t *dest, const char *src);
/* Text shown to people (Subject, display names): runs of whitespace
 * (SP, TAB, CR, LF) become one space, leading and trailing whitespace go,
 * NUL becomes 0x80; written quoted when nothing had to change and there
 * is nothing to escape, otherwise as a literal. */
void imap_append_string_for_humans(string_t *dest, const unsigned char *src,
				   size_t size);

#endif
