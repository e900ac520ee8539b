/* cmd-logout.c - LOGOUT (RFC 3501 section 6.1.3): "* BYE", the tagged OK,
 * then the connection closes and "Disconnected: Logged out" is logged. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_logout(struct client_command *cmd)
{
	struct client *client = cmd->client;

	client_send_line(client, "* BYE Logging out");
	/* no mailbox changes are reported any more */
	if (client->box != NULL)
		client_close_mailbox(client);
	client_command_reply(cmd, "OK Logout completed.");
	client_disconnect(client, NULL, "Logged out");
	return true;
}
