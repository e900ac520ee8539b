/* cmd-top.c - TOP msg n (RFC 1939): the header, the empty line and the
 * first n lines of the body, streamed like RETR (see cmd-retr.c). */
#include "lib.h"
#include "pop3-parser.h"
#include "pop3-commands.h"

int cmd_top(struct pop3_client *client, const char *args)
{
	unsigned int idx;
	const char *rest;
	uint64_t lines;

	if (!client_get_msgnum(client, args, true, &idx, &rest))
		return -1;
	switch (pop3_parse_number(rest, false, UINT64_MAX - 1, &lines, &rest)) {
	case POP3_NUMBER_OK:
		break;
	case POP3_NUMBER_INVALID:
		client_send_line(client, "-ERR Invalid size: %s",
				 client_echo(client, rest));
		return -1;
	case POP3_NUMBER_TOO_LARGE:
		client_send_line(client, "-ERR Size too large: %s",
				 client_echo(client, rest));
		return -1;
	case POP3_NUMBER_NOISE:
		client_send_line(client, "-ERR Noise after size: %s",
				 client_echo(client, rest));
		return -1;
	}
	client->top_count++;
	return pop3_fetch_start(client, idx, true, lines);
}
