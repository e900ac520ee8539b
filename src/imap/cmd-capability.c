/* cmd-capability.c - CAPABILITY (RFC 3501 section 6.1.1): the post-login
 * list. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_capability(struct client_command *cmd)
{
	struct client *client = cmd->client;

	if (cmd->args_count > 0) {
		client_command_bad(cmd, "Unexpected arguments.");
		return true;
	}
	client_send_untagged(client, "CAPABILITY %s",
			     client_capability_string(client));
	client_command_reply(cmd, "OK Capability completed.");
	return true;
}
