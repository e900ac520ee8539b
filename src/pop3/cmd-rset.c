/* cmd-rset.c - RSET (RFC 1939): unmarks the deleted messages and forgets
 * which were retrieved (they will not get \Seen). */
#include "lib.h"
#include "pop3-commands.h"

int cmd_rset(struct pop3_client *client, const char *args)
{
	size_t bitmap_size = (client->msg_count + 7) / 8;

	memset(client->deleted, 0, bitmap_size);
	client->deleted_count = 0;
	client->deleted_size = 0;
	memset(client->seen, 0, bitmap_size);
	client->seen_count = 0;
	client_send_line(client, "+OK");
	return 1;
}
