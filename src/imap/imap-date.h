/* imap-date.h - IMAP dates: INTERNALDATE's date-time
 * "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 3501 section 9, RFC 9051 section 9)
 * written and parsed, and SEARCH's date "d-Mon-yyyy" parsed.
 *
 * Times are seconds since the epoch (UTC); a zone is minutes east of UTC.
 * The calendar arithmetic is done here, so the process's TZ does not
 * matter. Parsing is strict: month names in any case, real calendar days
 * only (no 30-Feb), hours 0-23, zones within +-23:59. */
#ifndef LOFT_IMAP_DATE_H
#define LOFT_IMAP_DATE_H

#include <time.h>

#include "lib.h"
#include "str.h"

/* Appends the date-time of t as seen in zone tz_minutes, without quotes:
 * "07-Feb-2024 13:05:09 +0100". */
void imap_append_datetime(string_t *dest, time_t t, int tz_minutes);
/* Parses a date-time as above (the day may be " 7", "07" or "7").
 * Returns true with the UTC time and the zone, false when malformed. */
bool imap_parse_datetime(const char *str, time_t *time_r, int *tz_minutes_r);
/* Parses a SEARCH date (date-day 1*2DIGIT, "-Mon-", 4 digits). *time_r is
 * the start of that day in UTC; the caller shifts it to its zone. */
bool imap_parse_date(const char *str, time_t *time_r);

#endif
