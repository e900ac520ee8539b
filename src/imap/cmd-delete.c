/* cmd-delete.c - DELETE (RFC 3501 section 6.3.4, RFC 9051 section 6.3.5).
 *
 * INBOX cannot be deleted. A name that exists only as the \Noselect parent
 * of other mailboxes does not exist for DELETE ([NONEXISTENT], as Dovecot
 * answers). Deleting a mailbox with children removes its messages and
 * leaves the name as a \Noselect parent (the storage's rule). Deleting
 * the selected mailbox closes it first. Subscriptions are left alone
 * (RFC 3501 section 6.3.4). */
#include "lib.h"
#include "imap-commands.h"
#include "imap-parser.h"
#include "imap-list-util.h"
#include "mailbox-list.h"

bool cmd_delete(struct client_command *cmd)
{
	struct client *client = cmd->client;
	const char *name, *storage_name, *error;
	int ret;

	if (!imap_cmd_get_only_mailbox(cmd, &name, &storage_name))
		return true;
	if (strcmp(storage_name, "INBOX") == 0) {
		client_command_no(cmd, NULL, "INBOX can't be deleted.");
		return true;
	}
	ret = mailbox_list_exists(client->list, storage_name, &error);
	if (ret < 0) {
		imap_cmd_storage_failed(cmd, "DELETE", error);
		return true;
	}
	if (ret == 0) {
		imap_cmd_no_such_mailbox(cmd, "NONEXISTENT", name);
		return true;
	}
	if (client->state == CLIENT_STATE_SELECTED &&
	    strcmp(client->box_name, storage_name) == 0)
		imap_cmd_close_selected(client);
	ret = mailbox_list_delete_mailbox(client->list, storage_name, &error);
	if (ret == 0) {
		imap_cmd_no_such_mailbox(cmd, "NONEXISTENT", name);
		return true;
	}
	if (ret < 0) {
		imap_cmd_storage_failed(cmd, "DELETE", error);
		return true;
	}
	client_command_reply(cmd, "OK Delete completed.");
	return true;
}
