/* cmd-list.c - LIST and LSUB: not implemented yet. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_list(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}

bool cmd_lsub(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}
