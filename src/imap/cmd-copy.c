/* cmd-copy.c - COPY and MOVE: not implemented yet. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_copy(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}

bool cmd_move(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}
