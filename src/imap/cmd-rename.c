/* cmd-rename.c - RENAME (RFC 3501 section 6.3.5, RFC 9051 section 6.3.6).
 *
 * A mailbox is renamed with its children (UIDs and UIDVALIDITY stay);
 * subscriptions keep the old names, as Dovecot's do. Renaming INBOX is special
 * (RFC 3501 section 6.3.5): its messages move into a new mailbox of that name
 * and INBOX stays, empty; its children are not touched. A renamed selected
 * mailbox is closed first
 * ("* OK [CLOSED]"), since its files move. */
#include "lib.h"
#include "imap-commands.h"
#include "imap-parser.h"
#include "imap-list-util.h"
#include "mailbox.h"
#include "mailbox-list.h"

static bool name_is_under(const char *name, const char *parent, char sep)
{
	size_t len = strlen(parent);

	return strncmp(name, parent, len) == 0 &&
	       (name[len] == '\0' || name[len] == sep);
}

/* RFC 3501 section 6.3.5: INBOX's messages move to new_name. */
static void rename_inbox(struct client_command *cmd, const char *new_name)
{
	struct client *client = cmd->client;
	struct mailbox *inbox = NULL, *dest = NULL;
	const char *error;
	unsigned int count;
	uint32_t *uids, uid;
	int ret;

	ret = mailbox_list_create_mailbox(client->list, new_name, &error);
	if (ret == 0) {
		client_command_no(cmd, "ALREADYEXISTS",
				  "Target mailbox already exists");
		return;
	}
	if (ret < 0 ||
	    mailbox_list_open_mailbox(client->list, new_name, &dest, &error) <=
		0 ||
	    mailbox_list_open_mailbox(client->list, "INBOX", &inbox, &error) <=
		0) {
		if (dest != NULL)
			mailbox_close(&dest);
		imap_cmd_storage_failed(cmd, "RENAME INBOX", error);
		return;
	}
	count = mailbox_count(inbox);
	uids = p_new(cmd->pool, uint32_t, count + 1);
	for (unsigned int seq = 1; seq <= count; seq++) {
		if (mailbox_copy(dest, inbox, seq, &uid, &error) < 0) {
			/* copied messages stay in both: nothing is lost */
			mailbox_close(&dest);
			mailbox_close(&inbox);
			imap_cmd_storage_failed(cmd, "RENAME INBOX", error);
			return;
		}
		uids[seq - 1] = mailbox_get(inbox, seq)->uid;
	}
	if (count > 0 && mailbox_expunge_uids(inbox, uids, count, &error) < 0) {
		mailbox_close(&dest);
		mailbox_close(&inbox);
		imap_cmd_storage_failed(cmd, "RENAME INBOX", error);
		return;
	}
	mailbox_close(&dest);
	mailbox_close(&inbox);
	client_command_reply(cmd, "OK Rename completed.");
}

bool cmd_rename(struct client_command *cmd)
{
	struct client *client = cmd->client;
	const char *old_imap, *new_imap, *old_name, *new_name, *error;
	bool exists;
	int ret;

	if (cmd->args[0].type == IMAP_ARG_EOL ||
	    cmd->args[1].type == IMAP_ARG_EOL ||
	    cmd->args[2].type != IMAP_ARG_EOL) {
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	if (!imap_cmd_get_mailbox(cmd, &cmd->args[0], &old_imap, &old_name) ||
	    !imap_cmd_get_mailbox(cmd, &cmd->args[1], &new_imap, &new_name))
		return true;
	if (strcmp(new_name, "INBOX") == 0) {
		client_command_no(cmd, "ALREADYEXISTS",
				  "Target mailbox already exists");
		return true;
	}
	if (strcmp(old_name, "INBOX") == 0) {
		rename_inbox(cmd, new_name);
		return true;
	}
	if (name_is_under(new_name, old_name, client->separator)) {
		client_command_no(cmd, NULL,
				  "Can't rename mailbox under itself.");
		return true;
	}
	if (client->state == CLIENT_STATE_SELECTED &&
	    name_is_under(client->box_name, old_name, client->separator))
		imap_cmd_close_selected(client);
	ret = mailbox_list_rename_mailbox(client->list, old_name, new_name,
					  &exists, &error);
	if (ret == 0) {
		if (exists) {
			client_command_no(cmd, "ALREADYEXISTS",
					  "Target mailbox already exists");
		} else {
			imap_cmd_no_such_mailbox(cmd, "NONEXISTENT", old_imap);
		}
		return true;
	}
	if (ret < 0) {
		imap_cmd_storage_failed(cmd, "RENAME", error);
		return true;
	}
	client_command_reply(cmd, "OK Rename completed.");
	return true;
}
