/* message-address.h - RFC 5322 address lists as IMAP's ENVELOPE sees them.
 *
 * Parses From/To/Cc/... values into a linked list of addresses, with
 * groups as a start marker (mailbox = group name, domain NULL) and an end
 * marker (all fields NULL), as RFC 3501 section 7.4.2 represents them.
 * Display names are returned raw (RFC 2047 encoded words are not
 * decoded); quoted strings are unquoted and folding removed. Broken input
 * never fails: what can be salvaged is returned, the rest flagged with
 * invalid_syntax and, with FILL_MISSING, placeholders MISSING_MAILBOX,
 * MISSING_DOMAIN, SYNTAX_ERROR as Dovecot writes them. */
#ifndef LOFT_MESSAGE_ADDRESS_H
#define LOFT_MESSAGE_ADDRESS_H

#include "lib.h"
#include "pool.h"

struct message_address {
	struct message_address *next;
	/* NULL when absent. */
	const char *name, *route, *mailbox, *domain;
	bool invalid_syntax;
};

enum message_address_parse_flags {
	/* Put placeholder strings into missing mailbox/domain fields. */
	MESSAGE_ADDRESS_PARSE_FLAG_FILL_MISSING = 0x01,
};

/* Parses at most max_addresses addresses (groups count as one) from
 * data. Returns NULL when there are none. Everything is allocated from
 * pool. */
struct message_address *
message_address_parse(pool_t pool, const void *data, size_t size,
		      unsigned int max_addresses,
		      enum message_address_parse_flags flags);

#endif
