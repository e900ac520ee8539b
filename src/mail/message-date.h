/* message-date.h - RFC 5322 dates (Date: headers, for SEARCH SENTBEFORE
 * and friends) and IMAP's date and date-time strings (RFC 3501 section 9:
 * INTERNALDATE, APPEND, SEARCH BEFORE).
 *
 * Parsing accepts the obsolete forms of RFC 5322 section 4.3: no day
 * name, comments, 2- and 3-digit years, missing seconds, named and
 * military zones (military ones count as -0000). It does not guess at
 * free-form dates. */
#ifndef LOFT_MESSAGE_DATE_H
#define LOFT_MESSAGE_DATE_H

#include <time.h>

#include "lib.h"
#include "pool.h"

/* Parses an RFC 5322 date-time. Returns true and the UTC time and the
 * zone offset in minutes, false when the value is not a date. */
bool message_date_parse(const void *data, size_t size, time_t *time_r,
			int *tz_offset_r);
/* "Mon, 3 Jun 2024 10:00:00 +0200" for time t shown in zone tz_offset
 * (minutes east of UTC). */
const char *message_date_create(pool_t pool, time_t t, int tz_offset);

/* IMAP date-time "03-Jun-2024 10:00:00 +0200" (day zero-padded, as
 * Dovecot writes INTERNALDATE). */
const char *message_date_imap_create(pool_t pool, time_t t, int tz_offset);
/* Parses an IMAP date-time (as above, day 1 or 2 digits). */
bool message_date_imap_parse_datetime(const char *str, time_t *time_r,
				      int *tz_offset_r);
/* Parses an IMAP date "1-Feb-1994" into midnight UTC of that day. */
bool message_date_imap_parse_date(const char *str, time_t *time_r);

#endif
