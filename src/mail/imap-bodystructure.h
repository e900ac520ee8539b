/* imap-bodystructure.h - IMAP BODYSTRUCTURE and BODY (RFC 3501 section
 * 7.4.2, RFC 9051 section 7.5.2) from a parsed message tree.
 *
 * Sizes are virtual (CRLF) sizes; line counts are given for text/ and
 * message/rfc822 parts; a part without Content-Type is text/plain;
 * charset=us-ascii; a multipart in which no part was found is written as
 * one empty text/plain part. Extension data (MD5, disposition, language,
 * location) is written in full for BODYSTRUCTURE and left out for BODY.
 * Only the text inside the outer parentheses is written. */
#ifndef LOFT_IMAP_BODYSTRUCTURE_H
#define LOFT_IMAP_BODYSTRUCTURE_H

#include "message-parser.h"
#include "str.h"

void imap_bodystructure_write(const struct message_part *part, string_t *dest,
			      bool extended);

#endif
