/* cmd-list.c - LIST (RFC 1939): the CRLF size of one message, or a
 * multi-line list of all that are not deleted. The list continues when
 * the output buffer drains. */
#include "lib.h"
#include "pool.h"
#include "pop3-commands.h"

struct cmd_list_context {
	unsigned int idx;
};

static int cmd_list_continue(struct pop3_client *client)
{
	struct cmd_list_context *ctx = client->cmd_context;

	for (; ctx->idx < client->msg_count; ctx->idx++) {
		if (client_output_wait(client, POP3_CLIENT_OUTPUT_RESERVE))
			return client->disconnecting ? 1 : 0;
		if (client_msg_is_deleted(client, ctx->idx))
			continue;
		client_send_line(
		    client, "%u %llu", ctx->idx + 1,
		    (unsigned long long)client->msg_sizes[ctx->idx]);
	}
	client_send_line(client, ".");
	return 1;
}

int cmd_list(struct pop3_client *client, const char *args)
{
	struct cmd_list_context *ctx;
	unsigned int idx;
	const char *rest;

	if (*args != '\0') {
		if (!client_get_msgnum(client, args, false, &idx, &rest))
			return -1;
		client_send_line(client, "+OK %u %llu", idx + 1,
				 (unsigned long long)client->msg_sizes[idx]);
		return 1;
	}
	client_send_line(client, "+OK %u messages:",
			 client->msg_count - client->deleted_count);
	ctx = p_new(client->cmd_pool, struct cmd_list_context, 1);
	client->cmd_context = ctx;
	if (cmd_list_continue(client) > 0)
		return 1;
	client->cmd_continue = cmd_list_continue;
	return 0;
}
