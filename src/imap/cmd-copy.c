/* cmd-copy.c - COPY, MOVE and their UID forms (RFC 3501 section 6.4.7,
 * RFC 9051 sections 6.4.7-6.4.8, RFC 6851 MOVE) with UIDPLUS's COPYUID
 * (RFC 4315 section 3).
 *
 * Messages are copied one by one with mailbox_copy() (hard links when
 * possible) in ascending order, so the new UIDs come out ascending and
 * the COPYUID source and destination sets pair up in order. A missing
 * destination is "NO [TRYCREATE]" (RFC 3501 section 6.4.7). MOVE then
 * sends "* OK [COPYUID ...]" (RFC 6851 section 4.3), expunges the
 * originals through the session's own view and reports them itself:
 * "* n EXPUNGE" from the highest seq down, or VANISHED once QRESYNC is
 * enabled (RFC 7162 section 3.2.10), streamed when there are many. */
#include "lib.h"
#include "str.h"
#include "imap-commands.h"
#include "imap-commands-util.h"
#include "imap-fetch.h"
#include "imap-list-util.h"
#include "imap-parser.h"
#include "imap-seqset.h"
#include "mailbox.h"
#include "mailbox-list.h"

/* MOVE: cmd->context is the report of the moved messages. */
static bool move_report(struct client_command *cmd)
{
	if (!imap_expunge_report_send(cmd->client, cmd->context))
		return false;
	client_command_reply(cmd, "OK Move completed.");
	return true;
}

/* "COPY to <mailbox>", for the log line of a failure */
static const char *copy_what(struct client_command *cmd,
			     const char *storage_name)
{
	return p_strdup_printf(cmd->pool, "%s to %s", cmd->name, storage_name);
}

static bool cmd_copy_full(struct client_command *cmd, bool move)
{
	struct client *client = cmd->client;
	struct mailbox *src = client->box, *dest;
	struct imap_expunge_report *report;
	struct cmd_msgset_iter iter;
	struct imap_seqset set;
	const char *name, *storage_name, *error;
	unsigned int count, n = 0, seq, *seqs;
	uint32_t *src_uids, *dest_uids;
	bool uid_set, dest_opened = false;
	string_t *code;
	int ret = 0;

	if (cmd->context != NULL)
		return move_report(cmd);

	if (cmd->args[0].type == IMAP_ARG_EOL ||
	    !imap_arg_get_astring(&cmd->args[1], &name) ||
	    cmd->args[2].type != IMAP_ARG_EOL) {
		client_command_bad(cmd, "Invalid arguments");
		return true;
	}
	if (cmd_get_msgset(cmd, &cmd->args[0], &set, &uid_set) < 0)
		return true;
	if (!client_mailbox_name_from_imap(client, name, &storage_name,
					   &error) ||
	    !mailbox_list_name_is_valid(client->list, storage_name, &error)) {
		client_command_no(cmd, NULL, error);
		return true;
	}
	if (move && client->box_readonly) {
		client_command_no(cmd, NULL, "Mailbox is read-only.");
		return true;
	}

	if (strcmp(client->box_name, storage_name) == 0) {
		dest = src;
	} else {
		ret = mailbox_list_open_mailbox(client->list, storage_name,
						&dest, &error);
		if (ret == 0) {
			imap_cmd_no_such_mailbox(cmd, "TRYCREATE", name);
			return true;
		}
		if (ret < 0) {
			imap_cmd_storage_failed(
			    cmd, copy_what(cmd, storage_name), error);
			return true;
		}
		dest_opened = true;
	}

	count = mailbox_count(src);
	seqs = p_new(cmd->pool, unsigned int, count + 1);
	src_uids = p_new(cmd->pool, uint32_t, count + 1);
	dest_uids = p_new(cmd->pool, uint32_t, count + 1);
	cmd_msgset_iter_init(&iter, src, &set, uid_set);
	while (cmd_msgset_iter_next(&iter, &seq)) {
		bool expunged = false;

		if (mailbox_copy(dest, src, seq, &dest_uids[n], &error) < 0) {
			/* a file deleted meanwhile is skipped */
			int fd = mailbox_open_mail(src, seq, &expunged, &error);

			if (fd >= 0)
				(void)close(fd);
			if (expunged)
				continue;
			ret = -1;
			break;
		}
		seqs[n] = seq;
		src_uids[n] = mailbox_get(src, seq)->uid;
		n++;
	}
	if (ret < 0) {
		const char *what = copy_what(cmd, storage_name);

		if (dest_opened) {
			/* RFC 3501 section 6.4.7: a failed COPY leaves the
			 * destination as it was */
			const char *error2;

			if (n > 0 && (mailbox_sync(dest, &error2) < 0 ||
				      mailbox_expunge_uids(dest, dest_uids, n,
							   &error2) < 0)) {
				client_log(client, LOG_TYPE_ERROR,
					   "%s: removing the copies failed: %s",
					   what, error2);
			}
			mailbox_close(&dest);
		}
		imap_cmd_storage_failed(cmd, what, error);
		return true;
	}
	if (n == 0) {
		if (dest_opened)
			mailbox_close(&dest);
		client_command_reply(cmd, "OK No messages found.");
		return true;
	}

	/* RFC 4315 section 3: COPYUID uidvalidity source-uids dest-uids */
	code = str_new(cmd->pool, 128);
	str_printfa(code, "COPYUID %u ", mailbox_get_uid_validity(dest));
	imap_uid_list_append(code, src_uids, n);
	str_append_c(code, ' ');
	imap_uid_list_append(code, dest_uids, n);
	if (dest_opened)
		mailbox_close(&dest);

	if (!move) {
		client_command_reply(
		    cmd, p_strdup_printf(cmd->pool, "OK [%s] Copy completed.",
					 str_c(code)));
		return true;
	}
	/* RFC 6851 section 4.3: COPYUID goes in an untagged OK before the
	 * expunges */
	client_send_untagged(client, "OK [%s] Moved UIDs.", str_c(code));
	if (mailbox_expunge_uids(src, src_uids, n, &error) < 0) {
		imap_cmd_storage_failed(cmd, "MOVE expunge", error);
		return true;
	}
	report = p_new(cmd->pool, struct imap_expunge_report, 1);
	imap_expunge_report_init(report, cmd->pool, seqs, src_uids, n);
	cmd->context = report;
	return move_report(cmd);
}

bool cmd_copy(struct client_command *cmd)
{
	return cmd_copy_full(cmd, false);
}

bool cmd_move(struct client_command *cmd)
{
	return cmd_copy_full(cmd, true);
}
