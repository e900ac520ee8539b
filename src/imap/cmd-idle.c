/* cmd-idle.c - IDLE: not implemented yet. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_idle(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}
