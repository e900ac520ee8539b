/* cmd-stat.c - STAT (RFC 1939): count and CRLF size of the messages that
 * are not marked deleted. */
#include "lib.h"
#include "pop3-commands.h"

int cmd_stat(struct pop3_client *client, const char *args)
{
	client_send_line(
	    client, "+OK %u %llu", client->msg_count - client->deleted_count,
	    (unsigned long long)(client->total_size - client->deleted_size));
	return 1;
}
