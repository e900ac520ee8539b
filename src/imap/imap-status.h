/* imap-status.h - STATUS data items (RFC 3501 section 6.3.10, RFC 9051
 * section 6.3.11, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ) for STATUS and
 * for LIST's RETURN (STATUS ...) of RFC 5819: parsing the item list a
 * client sent, writing the untagged STATUS response, and (cmd-status.c)
 * getting the values of a mailbox.
 *
 * Parsing and writing are pure; imap_status_get() opens the mailbox. */
#ifndef LOFT_IMAP_STATUS_H
#define LOFT_IMAP_STATUS_H

#include "lib.h"
#include "str.h"
#include "imap-parser.h"

enum imap_status_items {
	IMAP_STATUS_MESSAGES = 0x01,
	IMAP_STATUS_RECENT = 0x02,
	IMAP_STATUS_UIDNEXT = 0x04,
	IMAP_STATUS_UIDVALIDITY = 0x08,
	IMAP_STATUS_UNSEEN = 0x10,
	IMAP_STATUS_HIGHESTMODSEQ = 0x20,
	IMAP_STATUS_SIZE = 0x40,
	IMAP_STATUS_DELETED = 0x80,
};

struct imap_status_values {
	uint32_t messages, recent, uidnext, uidvalidity, unseen, deleted;
	uint64_t size, highestmodseq;
};

/* Parses the parenthesised item list (its elements, count of them).
 * Returns 0 with *items_r, or -1 with *error_r (Dovecot's texts: "Empty
 * status list", "Invalid status item X") for "BAD". */
int imap_status_parse_items(const struct imap_arg *list, unsigned int count,
			    enum imap_status_items *items_r,
			    const char **error_r);

/* Appends "(MESSAGES 3 UIDNEXT 4 ...)" with the items asked for, in a fixed
 * order (Dovecot's). */
void imap_status_append_values(string_t *dest, enum imap_status_items items,
			       const struct imap_status_values *values);

struct client;
/* Gets the values of the mailbox with the storage name name; the selected
 * mailbox is not reopened. Returns 1, 0 when the mailbox does not exist,
 * -1 on error (logged); *error_r is a text for "NO". Items with
 * HIGHESTMODSEQ enable CONDSTORE (RFC 7162 section 3.1). */
int imap_status_get(struct client *client, const char *name,
		    enum imap_status_items items,
		    struct imap_status_values *values_r, const char **error_r);

#endif
