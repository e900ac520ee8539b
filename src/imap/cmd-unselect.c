/* cmd-unselect.c - UNSELECT (RFC 3691, RFC 9051 section 6.4.2): back to
 * the authenticated state without expunging anything. */
#include "lib.h"
#include "imap-commands.h"
#include "imap-parser.h"

bool cmd_unselect(struct client_command *cmd)
{
	if (cmd->args[0].type != IMAP_ARG_EOL) {
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	client_close_mailbox(cmd->client);
	client_command_reply(cmd, "OK Unselect completed.");
	return true;
}
