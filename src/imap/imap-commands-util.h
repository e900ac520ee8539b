/* imap-commands-util.h - what the message commands (EXPUNGE, UID EXPUNGE,
 * COPY, MOVE) share: writing an ascending UID list as a set and reporting
 * the messages a command expunged itself. Session code; the mailbox-name
 * helpers of the mailbox commands are in imap-list-util.h. */
#ifndef LOFT_IMAP_COMMANDS_UTIL_H
#define LOFT_IMAP_COMMANDS_UTIL_H

#include "imap-commands.h"

/* Appends "1:3,7" for ascending uids[0..count-1] (RFC 3501 section 9
 * sequence-set; RFC 4315 section 3 COPYUID sets, RFC 7162 section 3.1.3
 * MODIFIED sets). */
void imap_uid_list_append(string_t *dest, const uint32_t *uids,
			  unsigned int count);

/* Messages a command has expunged through the session's own view (so the
 * core's next sync does not report them again), still to report. */
struct imap_expunge_report {
	const unsigned int *seqs; /* ascending, as before the expunge */
	const uint32_t *uids;	  /* the same messages' UIDs */
	unsigned int count;
	unsigned int pos; /* messages reported so far */
	string_t *line;
};

/* seqs and uids must live as long as the report (the command's pool). */
void imap_expunge_report_init(struct imap_expunge_report *report, pool_t pool,
			      const unsigned int *seqs, const uint32_t *uids,
			      unsigned int count);
/* Sends "* n EXPUNGE" from the highest seq down, so that every number is
 * valid when the client reads it (RFC 3501 section 7.4.1), or, once
 * QRESYNC is enabled, "* VANISHED uids" lines of about 4000 bytes (RFC
 * 7162 section 3.2.10), and lowers client->box_reported_exists for each.
 * Returns false when the output is full (call again when it drains), true
 * when everything was sent; the caller then sends its tagged reply. */
bool imap_expunge_report_send(struct client *client,
			      struct imap_expunge_report *report);

#endif
