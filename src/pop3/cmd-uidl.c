/* cmd-uidl.c - UIDL (RFC 1939): the unique id of one message, or of all
 * that are not deleted, in pop3_uidl_format (default %08Xu%08Xv, as
 * Dovecot). The storage expands the format; the list continues when the
 * output buffer drains. */
#include "lib.h"
#include "pool.h"
#include "mailbox.h"
#include "pop3-commands.h"

#define POP3_UIDL_MAX 256

struct cmd_uidl_context {
	unsigned int idx;
};

static const char *uidl_format(const struct pop3_client *client)
{
	const char *format = client->set->pop3_uidl_format;

	return format == NULL || *format == '\0' ? POP3_DEFAULT_UIDL_FORMAT
						 : format;
}

/* Returns 0 with the UIDL in buf, -1 when it cannot be made (logged). */
static int client_get_uidl(struct pop3_client *client, unsigned int idx,
			   char *buf, size_t bufsize)
{
	const struct mail_record *rec = mailbox_get(client->box, idx + 1);
	const char *error;

	if (rec == NULL) {
		client_log(client, LOG_TYPE_ERROR,
			   "UIDL: message %u disappeared", idx + 1);
		return -1;
	}
	if (mailbox_pop3_uidl(client->box, rec, uidl_format(client), buf,
			      bufsize, &error) < 0) {
		client_log(client, LOG_TYPE_ERROR,
			   "UIDL: Failed to expand pop3_uidl_format=%s: %s",
			   uidl_format(client), error);
		return -1;
	}
	return 0;
}

static int cmd_uidl_continue(struct pop3_client *client)
{
	struct cmd_uidl_context *ctx = client->cmd_context;
	char uidl[POP3_UIDL_MAX];

	for (; ctx->idx < client->msg_count; ctx->idx++) {
		if (client_output_wait(client, POP3_CLIENT_OUTPUT_RESERVE))
			return client->disconnecting ? 1 : 0;
		if (client_msg_is_deleted(client, ctx->idx))
			continue;
		if (client_get_uidl(client, ctx->idx, uidl, sizeof(uidl)) < 0) {
			client_disconnect(client,
					  "POP3 UIDLs couldn't be listed");
			return 1;
		}
		client_send_line(client, "%u %s", ctx->idx + 1, uidl);
	}
	client_send_line(client, ".");
	return 1;
}

int cmd_uidl(struct pop3_client *client, const char *args)
{
	struct cmd_uidl_context *ctx;
	char uidl[POP3_UIDL_MAX];
	unsigned int idx;
	const char *rest;

	if (*args != '\0') {
		if (!client_get_msgnum(client, args, false, &idx, &rest))
			return -1;
		if (client_get_uidl(client, idx, uidl, sizeof(uidl)) < 0) {
			client_send_line(
			    client, "-ERR [SYS/TEMP] " POP3_INTERNAL_ERROR);
			client_disconnect(client,
					  "POP3 UIDLs couldn't be listed");
			return 1;
		}
		client_send_line(client, "+OK %u %s", idx + 1, uidl);
		return 1;
	}
	client_send_line(client, "+OK");
	ctx = p_new(client->cmd_pool, struct cmd_uidl_context, 1);
	client->cmd_context = ctx;
	if (cmd_uidl_continue(client) > 0)
		return 1;
	client->cmd_continue = cmd_uidl_continue;
	return 0;
}
