/* cmd-create.c - CREATE: not implemented yet. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_create(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}
