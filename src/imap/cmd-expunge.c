/* cmd-expunge.c - EXPUNGE (RFC 3501 section 6.4.3, RFC 9051 section 6.4.3)
 * and UID EXPUNGE (RFC 4315 section 2.1).
 *
 * The \Deleted messages (with UID EXPUNGE only those in the UID set) are
 * expunged through the session's own view, so the core's next sync does
 * not see them again; this command reports them: "* n EXPUNGE" from the
 * highest seq down, so that every number is valid when the client reads
 * it (RFC 3501 section 7.4.1), or "* VANISHED uids" once QRESYNC is
 * enabled (RFC 7162 section 3.2.10). Long reports are streamed
 * (imap_expunge_report_send(), shared with MOVE). */
#include "lib.h"
#include "str.h"
#include "imap-commands.h"
#include "imap-commands-util.h"
#include "imap-parser.h"
#include "imap-seqset.h"
#include "mailbox.h"

/* cmd->context is the report of the expunged messages. */
static bool expunge_report(struct client_command *cmd)
{
	if (!imap_expunge_report_send(cmd->client, cmd->context))
		return false;
	client_command_reply(cmd, "OK Expunge completed.");
	return true;
}

bool cmd_expunge(struct client_command *cmd)
{
	struct client *client = cmd->client;
	struct mailbox *box = client->box;
	struct imap_expunge_report *report;
	struct imap_seqset set;
	const char *str, *error;
	unsigned int count, n = 0, *seqs;
	uint32_t *uids;
	bool have_set = false;

	if (cmd->context != NULL)
		return expunge_report(cmd);

	if (cmd->uid) {
		/* RFC 4315 section 2.1: UID EXPUNGE <uid set> */
		if (!imap_arg_get_atom(&cmd->args[0], &str) ||
		    cmd->args[1].type != IMAP_ARG_EOL) {
			client_command_bad(cmd, "Invalid arguments.");
			return true;
		}
		if (imap_seqset_parse(cmd->pool, str, &set, &error) < 0) {
			client_command_bad(cmd, error);
			return true;
		}
		if (set.searchres) {
			/* RFC 5182: the saved result, as ranges */
			set.ranges = p_new(cmd->pool, struct imap_seq_range,
					   client->search_saved_count + 1);
			set.count = client->search_saved_count;
			for (unsigned int i = 0; i < set.count; i++) {
				set.ranges[i].seq1 =
				    client->search_saved_uids[i];
				set.ranges[i].seq2 =
				    client->search_saved_uids[i];
			}
		}
		imap_seqset_resolve(&set, mailbox_get_uid_next(box) > 1
					      ? mailbox_get_uid_next(box) - 1
					      : 1);
		have_set = true;
	} else if (cmd->args[0].type != IMAP_ARG_EOL) {
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	if (client->box_readonly) {
		/* EXAMINE: nothing may change; Dovecot answers OK */
		client_command_reply(cmd, "OK Expunge completed.");
		return true;
	}

	count = mailbox_count(box);
	seqs = p_new(cmd->pool, unsigned int, count + 1);
	uids = p_new(cmd->pool, uint32_t, count + 1);
	for (unsigned int seq = 1; seq <= count; seq++) {
		const struct mail_record *rec = mailbox_get(box, seq);

		if ((rec->flags & MAIL_DELETED) == 0)
			continue;
		if (have_set && !imap_seqset_contains(&set, rec->uid))
			continue;
		seqs[n] = seq;
		uids[n] = rec->uid;
		n++;
	}
	if (n > 0 && mailbox_expunge_seqs(box, seqs, n, &error) < 0) {
		client_log(client, LOG_TYPE_ERROR, "EXPUNGE failed: %s", error);
		client_command_no(cmd, "SERVERBUG", IMAP_INTERNAL_ERROR);
		return true;
	}
	client->expunged_count += n;
	report = p_new(cmd->pool, struct imap_expunge_report, 1);
	imap_expunge_report_init(report, cmd->pool, seqs, uids, n);
	cmd->context = report;
	return expunge_report(cmd);
}
