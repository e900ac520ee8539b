/* imap-envelope.h - IMAP ENVELOPE (RFC 3501 section 7.4.2, RFC 9051
 * section 7.5.2) from the fields message-part-data collected.
 *
 * Values are the raw header values (encoded words kept), unfolded; Sender
 * and Reply-To default to From. Groups are written as RFC 3501 describes
 * them. Only the text inside the outer parentheses is written. */
#ifndef LOFT_IMAP_ENVELOPE_H
#define LOFT_IMAP_ENVELOPE_H

#include "message-part-data.h"
#include "str.h"

/* envelope may be NULL (no header at all): ten NILs. */
void imap_envelope_write(const struct message_part_envelope *envelope,
			 string_t *dest);
/* An address list: NIL or ((name adl mailbox host)...). */
void imap_write_address_list(const struct message_address *addr,
			     string_t *dest);

#endif
