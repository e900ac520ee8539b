/* cmd-dele.c - DELE (RFC 1939): marks a message to be expunged at QUIT.
 * Nothing changes on disk until then. */
#include "lib.h"
#include "pop3-commands.h"

int cmd_dele(struct pop3_client *client, const char *args)
{
	unsigned int idx;
	const char *rest;

	if (!client_get_msgnum(client, args, false, &idx, &rest))
		return -1;
	client->deleted[idx / 8] |= (uint8_t)(1u << (idx % 8));
	client->deleted_count++;
	client->deleted_size += client->msg_sizes[idx];
	client_send_line(client, "+OK Marked to be deleted.");
	return 1;
}
