/* cmd-select.c - EXAMINE and SELECT: not implemented yet. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_examine(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}

bool cmd_select(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}
