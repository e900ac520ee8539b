/* cmd-quit.c - QUIT (RFC 1939): enters the UPDATE state. The deleted
 * messages are expunged and the retrieved ones get \Seen; when expunging
 * fails the client is told and the messages stay. */
#include "lib.h"
#include "pop3-commands.h"

int cmd_quit(struct pop3_client *client, const char *args)
{
	client->quit_seen = true;
	if (client_update_mailbox(client) < 0) {
		client_send_line(client,
				 "-ERR [SYS/TEMP] " POP3_INTERNAL_ERROR);
		client_disconnect(client, "Storage error during logout.");
		return 1;
	}
	client->delete_success = true;
	if (client->deleted_count == 0)
		client_send_line(client, "+OK Logging out.");
	else
		client_send_line(client, "+OK Logging out, messages deleted.");
	client_disconnect(client, "Logged out");
	return 1;
}
