/* cmd-noop.c - NOOP (RFC 3501 section 6.1.2): reports the selected
 * mailbox's changes, as every tagged reply does. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_noop(struct client_command *cmd)
{
	client_command_reply(cmd, "OK NOOP completed.");
	return true;
}
