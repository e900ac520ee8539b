/* cmd-expunge.c - EXPUNGE (RFC 3501 section 6.4.3, RFC 9051 section 6.4.3)
 * and UID EXPUNGE (RFC 4315 section 2.1).
 *
 * The \Deleted messages (with UID EXPUNGE only those in the UID set) are
 * expunged through the session's own view, so the core's next sync does
 * not see them again; this command reports them: "* n EXPUNGE" from the
 * highest seq down, so that every number is valid when the client reads
 * it (RFC 3501 section 7.4.1), or "* VANISHED uids" once QRESYNC is
 * enabled (RFC 7162 section 3.2.10). Long reports are streamed. */
#include "lib.h"
#include "str.h"
#include "imap-commands.h"
#include "imap-parser.h"
#include "imap-seqset.h"
#include "mailbox.h"

/* bytes of UID set per VANISHED line */
#define EXPUNGE_VANISHED_LINE_MAX 4000

struct expunge_context {
	unsigned int *seqs; /* ascending, as they were before expunging */
	uint32_t *uids;
	unsigned int count;
	unsigned int pos; /* responses sent */
};

static bool expunge_report(struct client_command *cmd)
{
	struct expunge_context *ctx = cmd->context;
	struct client *client = cmd->client;
	bool vanished = (client->enabled & CLIENT_ENABLED_QRESYNC) != 0;
	string_t *line = str_new(cmd->pool, EXPUNGE_VANISHED_LINE_MAX + 32);

	while (ctx->pos < ctx->count) {
		if (client_output_wait(client, EXPUNGE_VANISHED_LINE_MAX + 64))
			return false;
		if (!vanished) {
			/* highest seq first */
			unsigned int seq = ctx->seqs[ctx->count - 1 - ctx->pos];

			client_send_untagged(client, "%u EXPUNGE", seq);
			ctx->pos++;
			client->box_reported_exists--;
			continue;
		}
		str_clear(line);
		while (ctx->pos < ctx->count &&
		       str_len(line) < EXPUNGE_VANISHED_LINE_MAX) {
			uint32_t first = ctx->uids[ctx->pos], last = first;

			ctx->pos++;
			client->box_reported_exists--;
			while (ctx->pos < ctx->count &&
			       ctx->uids[ctx->pos] == last + 1) {
				last++;
				ctx->pos++;
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
	client_command_reply(cmd, "OK Expunge completed.");
	return true;
}

bool cmd_expunge(struct client_command *cmd)
{
	struct client *client = cmd->client;
	struct mailbox *box = client->box;
	struct expunge_context *ctx;
	struct imap_seqset set;
	const char *str, *error;
	unsigned int count;
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
	ctx = p_new(cmd->pool, struct expunge_context, 1);
	ctx->seqs = p_new(cmd->pool, unsigned int, count + 1);
	ctx->uids = p_new(cmd->pool, uint32_t, count + 1);
	for (unsigned int seq = 1; seq <= count; seq++) {
		const struct mail_record *rec = mailbox_get(box, seq);

		if ((rec->flags & MAIL_DELETED) == 0)
			continue;
		if (have_set && !imap_seqset_contains(&set, rec->uid))
			continue;
		ctx->seqs[ctx->count] = seq;
		ctx->uids[ctx->count] = rec->uid;
		ctx->count++;
	}
	if (ctx->count > 0 &&
	    mailbox_expunge_seqs(box, ctx->seqs, ctx->count, &error) < 0) {
		client_log(client, LOG_TYPE_ERROR, "EXPUNGE failed: %s", error);
		client_command_no(cmd, "SERVERBUG", IMAP_INTERNAL_ERROR);
		return true;
	}
	client->expunged_count += ctx->count;
	cmd->context = ctx;
	return expunge_report(cmd);
}
