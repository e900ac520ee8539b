/* cmd-append.c - APPEND: not implemented yet. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_append(struct client_command *cmd)
{
	client_command_bad(cmd, "Not implemented");
	return true;
}

enum command_literal_action
cmd_append_literal_begin(struct client_command *cmd,
			 const struct imap_parser_event *ev)
{
	client_command_no(cmd, NULL, "Not implemented");
	return COMMAND_LITERAL_REFUSE;
}

bool cmd_append_literal_data(struct client_command *cmd,
			     const unsigned char *data, size_t size, bool last)
{
	return false;
}
