/* cmd-status.c - STATUS (RFC 3501 section 6.3.10, RFC 9051 section
 * 6.3.11, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ) and imap_status_get(),
 * which LIST-STATUS (RFC 5819) shares.
 *
 * The selected mailbox answers from the session's view (no reopening);
 * others are opened, synced and closed. RECENT is the session's count for
 * the selected mailbox, else the messages no read-write session has taken
 * yet, which STATUS leaves for the next SELECT (RFC 3501 section 2.3.2). */
#include "lib.h"
#include "str.h"
#include "imap-commands.h"
#include "imap-parser.h"
#include "imap-status.h"
#include "imap-list-util.h"
#include "mailbox.h"
#include "mailbox-list.h"

static void get_values(struct mailbox *box, enum imap_status_items items,
		       struct imap_status_values *v)
{
	struct mailbox_status status;

	mailbox_get_status(box, &status);
	v->messages = status.messages;
	v->recent = status.recent;
	v->uidnext = status.uid_next;
	v->uidvalidity = status.uid_validity;
	v->unseen = status.unseen;
	v->size = status.size;
	v->highestmodseq = mailbox_get_highest_modseq(box);
	if ((items & IMAP_STATUS_DELETED) != 0) {
		/* RFC 9051 section 6.3.11 */
		unsigned int count = mailbox_count(box);

		for (unsigned int seq = 1; seq <= count; seq++) {
			if ((mailbox_get(box, seq)->flags & MAIL_DELETED) != 0)
				v->deleted++;
		}
	}
}

int imap_status_get(struct client *client, const char *name,
		    enum imap_status_items items,
		    struct imap_status_values *values_r, const char **error_r)
{
	struct mailbox *box;
	const char *error;
	int ret;

	memset(values_r, 0, sizeof(*values_r));
	if ((items & IMAP_STATUS_HIGHESTMODSEQ) != 0) {
		/* RFC 7162 section 3.1 */
		client->enabled |= CLIENT_ENABLED_CONDSTORE;
	}
	if (client->state == CLIENT_STATE_SELECTED &&
	    strcmp(client->box_name, name) == 0) {
		get_values(client->box, items, values_r);
		return 1;
	}
	ret = mailbox_list_open_mailbox(client->list, name, &box, &error);
	if (ret == 0) {
		*error_r = "Mailbox doesn't exist";
		return 0;
	}
	if (ret < 0) {
		client_log(client, LOG_TYPE_ERROR, "STATUS %s failed: %s", name,
			   error);
		*error_r = IMAP_INTERNAL_ERROR;
		return -1;
	}
	get_values(box, items, values_r);
	mailbox_close(&box);
	return 1;
}

bool cmd_status(struct client_command *cmd)
{
	struct client *client = cmd->client;
	const struct imap_arg *list;
	unsigned int count;
	enum imap_status_items items;
	struct imap_status_values values;
	const char *name, *storage_name, *error;
	string_t *str;
	int ret;

	if (!imap_arg_get_astring(&cmd->args[0], &name) ||
	    !imap_arg_get_list(&cmd->args[1], &list, &count) ||
	    cmd->args[2].type != IMAP_ARG_EOL) {
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	if (imap_status_parse_items(list, count, &items, &error) < 0) {
		client_command_bad(cmd, error);
		return true;
	}
	if (!imap_cmd_get_mailbox(cmd, &cmd->args[0], &name, &storage_name))
		return true;
	ret = imap_status_get(client, storage_name, items, &values, &error);
	if (ret == 0) {
		/* Dovecot's answer, without [NONEXISTENT] */
		imap_cmd_no_such_mailbox(cmd, NULL, name);
		return true;
	}
	if (ret < 0) {
		client_command_no(cmd, "SERVERBUG", error);
		return true;
	}
	str = str_new(cmd->pool, 128);
	str_append(str, "STATUS ");
	client_mailbox_name_to_imap(client, storage_name, str);
	str_append_c(str, ' ');
	imap_status_append_values(str, items, &values);
	client_send_untagged(client, "%s", str_c(str));
	if (client->state == CLIENT_STATE_SELECTED &&
	    strcmp(client->box_name, storage_name) == 0) {
		/* RFC 3501 section 6.3.10 advises against it; Dovecot's
		 * answer */
		client_command_reply(
		    cmd,
		    "OK [CLIENTBUG] Status on selected mailbox completed.");
		return true;
	}
	client_command_reply(cmd, "OK Status completed.");
	return true;
}
