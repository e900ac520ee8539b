/* cmd-search.c - SEARCH: not implemented yet. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_search(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}
