/* cmd-noop.c - NOOP (RFC 1939): does nothing, says +OK. */
#include "lib.h"
#include "pop3-commands.h"

int cmd_noop(struct pop3_client *client, const char *args)
{
	client_send_line(client, "+OK");
	return 1;
}
