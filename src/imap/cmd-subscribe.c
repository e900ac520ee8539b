/* cmd-subscribe.c - SUBSCRIBE and UNSUBSCRIBE: not implemented yet. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_subscribe(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}

bool cmd_unsubscribe(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}
