/* cmd-capa.c - CAPA (RFC 2449): the capabilities after login. */
#include "lib.h"
#include "pop3-commands.h"

int cmd_capa(struct pop3_client *client, const char *args)
{
	client_send_line(client, "+OK\r\n" POP3_CAPABILITY_REPLY ".");
	return 1;
}
