/* cmd-subscribe.c - SUBSCRIBE and UNSUBSCRIBE (RFC 3501 sections
 * 6.3.6-6.3.7, RFC 9051 sections 6.3.7-6.3.8).
 *
 * As Dovecot: SUBSCRIBE refuses a mailbox that does not exist (RFC 3501
 * lets the server choose); UNSUBSCRIBE of a name that is not subscribed
 * succeeds. */
#include "lib.h"
#include "imap-commands.h"
#include "imap-parser.h"
#include "imap-list-util.h"
#include "mailbox-list.h"

static bool subscribe(struct client_command *cmd, bool set)
{
	struct client *client = cmd->client;
	const char *name, *storage_name, *error;
	int ret;

	if (!imap_cmd_get_only_mailbox(cmd, &name, &storage_name))
		return true;
	if (set) {
		ret = mailbox_list_exists(client->list, storage_name, &error);
		if (ret < 0) {
			imap_cmd_storage_failed(cmd, "SUBSCRIBE", error);
			return true;
		}
		if (ret == 0) {
			imap_cmd_no_such_mailbox(cmd, NULL, name);
			return true;
		}
	}
	if (mailbox_list_set_subscribed(client->list, storage_name, set,
					&error) < 0) {
		imap_cmd_storage_failed(cmd, set ? "SUBSCRIBE" : "UNSUBSCRIBE",
					error);
		return true;
	}
	client_command_reply(cmd, set ? "OK Subscribe completed."
				      : "OK Unsubscribe completed.");
	return true;
}

bool cmd_subscribe(struct client_command *cmd)
{
	return subscribe(cmd, true);
}

bool cmd_unsubscribe(struct client_command *cmd)
{
	return subscribe(cmd, false);
}
