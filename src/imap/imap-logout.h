/* imap-logout.h - the statistics of the IMAP disconnect log line,
 * expanded from imap_logout_format as Dovecot 2.3 documents it. Pure: no
 * session, no I/O. */
#ifndef LOFT_IMAP_LOGOUT_H
#define LOFT_IMAP_LOGOUT_H

#include "lib.h"
#include "str.h"

struct imap_logout_stats {
	uint64_t input_bytes, output_bytes;
	unsigned int deleted, expunged, trashed, autoexpunged;
	unsigned int fetch_hdr_count, fetch_body_count;
	uint64_t fetch_hdr_bytes, fetch_body_bytes;
	const char *user, *session; /* may be NULL */
};

/* Appends format expanded: %i / %{input}, %o / %{output}, %{deleted},
 * %{expunged}, %{trashed}, %{autoexpunged}, %{fetch_hdr_count},
 * %{fetch_hdr_bytes}, %{fetch_body_count}, %{fetch_body_bytes},
 * %u / %{user}, %{session}. Returns 0, or -1 with *error_r for an
 * unknown variable or bad syntax (dest then holds a partial result). */
int imap_logout_format(string_t *dest, const char *format,
		       const struct imap_logout_stats *stats,
		       const char **error_r);

#endif
