/* cmd-close.c - CLOSE (RFC 3501 section 6.4.2, RFC 9051 section 6.4.1):
 * expunges the \Deleted messages without untagged EXPUNGE responses
 * (nothing at all when the mailbox was EXAMINEd) and goes back to the
 * authenticated state. A failed expunge is logged; the mailbox is closed
 * all the same, as RFC 3501 requires the state change. */
#include "lib.h"
#include "imap-commands.h"
#include "imap-parser.h"
#include "mailbox.h"

bool cmd_close(struct client_command *cmd)
{
	struct client *client = cmd->client;
	struct mailbox *box = client->box;
	unsigned int count, n = 0, *seqs;
	const char *error;

	if (cmd->args[0].type != IMAP_ARG_EOL) {
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	if (!client->box_readonly) {
		count = mailbox_count(box);
		seqs = p_new(cmd->pool, unsigned int, count + 1);
		for (unsigned int seq = 1; seq <= count; seq++) {
			if ((mailbox_get(box, seq)->flags & MAIL_DELETED) != 0)
				seqs[n++] = seq;
		}
		if (n > 0 && mailbox_expunge_seqs(box, seqs, n, &error) < 0) {
			client_log(client, LOG_TYPE_ERROR,
				   "CLOSE: expunge failed: %s", error);
		} else {
			client->expunged_count += n;
		}
	}
	client_close_mailbox(client);
	client_command_reply(cmd, "OK Close completed.");
	return true;
}
