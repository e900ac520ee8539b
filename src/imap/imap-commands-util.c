/* imap-commands-util.c - UID lists and the EXPUNGE/VANISHED report of
 * commands that expunge (EXPUNGE, UID EXPUNGE, MOVE). */
#include "lib.h"
#include "str.h"
#include "imap-commands-util.h"

/* bytes of UID set per VANISHED line */
#define EXPUNGE_VANISHED_LINE_MAX 4000

void imap_uid_list_append(string_t *dest, const uint32_t *uids,
			  unsigned int count)
{
	for (unsigned int i = 0; i < count;) {
		unsigned int j = i;

		while (j + 1 < count && uids[j + 1] == uids[j] + 1)
			j++;
		if (i > 0)
			str_append_c(dest, ',');
		str_append_uint(dest, uids[i]);
		if (j > i)
			str_printfa(dest, ":%u", uids[j]);
		i = j + 1;
	}
}

void imap_expunge_report_init(struct imap_expunge_report *report, pool_t pool,
			      const unsigned int *seqs, const uint32_t *uids,
			      unsigned int count)
{
	memset(report, 0, sizeof(*report));
	report->seqs = seqs;
	report->uids = uids;
	report->count = count;
	report->line = str_new(pool, EXPUNGE_VANISHED_LINE_MAX + 32);
}

bool imap_expunge_report_send(struct client *client,
			      struct imap_expunge_report *report)
{
	bool vanished = (client->enabled & CLIENT_ENABLED_QRESYNC) != 0;
	string_t *line = report->line;

	while (report->pos < report->count) {
		if (client_output_wait(client, EXPUNGE_VANISHED_LINE_MAX + 64))
			return false;
		if (!vanished) {
			/* RFC 3501 section 7.4.1: highest seq first */
			unsigned int seq =
			    report->seqs[report->count - 1 - report->pos];

			client_send_untagged(client, "%u EXPUNGE", seq);
			report->pos++;
			client->box_reported_exists--;
			continue;
		}
		str_clear(line);
		while (report->pos < report->count &&
		       str_len(line) < EXPUNGE_VANISHED_LINE_MAX) {
			uint32_t first = report->uids[report->pos],
				 last = first;

			report->pos++;
			client->box_reported_exists--;
			while (report->pos < report->count &&
			       report->uids[report->pos] == last + 1) {
				last++;
				report->pos++;
				client->box_reported_exists--;
			}
			if (str_len(line) > 0)
				str_append_c(line, ',');
			str_append_uint(line, first);
			if (last != first)
				str_printfa(line, ":%u", last);
		}
		client_send_untagged(client, "VANISHED %s", str_c(line));
	}
	return true;
}
