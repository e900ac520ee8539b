/* cmd-retr.c - RETR msg (RFC 1939), and the message streaming that TOP
 * shares.
 *
 * The message file is read through a fixed 4 KB buffer and passed through
 * pop3-fetch's filter into an 8 KB chunk that is appended to the output
 * only while the output buffer has room for it; otherwise the command
 * waits for the flush callback. Memory per session stays flat whatever
 * the message size. The session sees no other command meanwhile. */
#include "lib.h"
#include "pool.h"
#include "mailbox.h"
#include "pop3-fetch.h"
#include "pop3-commands.h"

#define FETCH_READ_SIZE 4096
#define FETCH_OUT_SIZE 8192

struct fetch_context {
	int fd;
	unsigned int idx;
	bool top;
	bool eof;
	bool finished;
	struct pop3_fetch_filter filter;
	size_t in_pos, in_len;
	uint64_t bytes;
	unsigned char in[FETCH_READ_SIZE];
	unsigned char out[FETCH_OUT_SIZE];
};

static void fetch_deinit(struct pop3_client *client, struct fetch_context *ctx)
{
	if (ctx->finished)
		return;
	ctx->finished = true;
	i_close_fd(&ctx->fd);
	if (ctx->top)
		client->top_bytes += ctx->bytes;
	else
		client->retr_bytes += ctx->bytes;
}

static bool fetch_send(struct pop3_client *client, struct fetch_context *ctx,
		       const unsigned char *data, size_t size)
{
	if (!client_send_raw(client, data, size))
		return false;
	ctx->bytes += size;
	return true;
}

static void fetch_abort(struct pop3_client *client)
{
	struct fetch_context *ctx = client->cmd_context;

	fetch_deinit(client, ctx);
}

static int fetch_continue(struct pop3_client *client)
{
	struct fetch_context *ctx = client->cmd_context;
	size_t used, n;
	ssize_t ret;

	for (;;) {
		if (client_output_wait(client, FETCH_OUT_SIZE +
						   POP3_FETCH_FINISH_MAX)) {
			if (!client->disconnecting)
				return 0;
			fetch_deinit(client, ctx);
			return 1;
		}
		if (ctx->filter.done ||
		    (ctx->eof && ctx->in_pos == ctx->in_len))
			break;
		if (ctx->in_pos == ctx->in_len) {
			ret = read(ctx->fd, ctx->in, sizeof(ctx->in));
			if (ret < 0 && errno == EINTR)
				continue;
			if (ret < 0) {
				client_log(client, LOG_TYPE_ERROR,
					   "read(msg %u) failed: %s",
					   ctx->idx + 1, strerror(errno));
				fetch_deinit(client, ctx);
				client_disconnect(client,
						  "Storage error while sending "
						  "a message");
				return 1;
			}
			ctx->in_pos = 0;
			ctx->in_len = (size_t)ret;
			if (ret == 0)
				ctx->eof = true;
			continue;
		}
		n = pop3_fetch_filter_run(&ctx->filter, ctx->in + ctx->in_pos,
					  ctx->in_len - ctx->in_pos, &used,
					  ctx->out, sizeof(ctx->out));
		ctx->in_pos += used;
		if (!fetch_send(client, ctx, ctx->out, n)) {
			fetch_deinit(client, ctx);
			return 1;
		}
	}
	n = pop3_fetch_filter_finish(&ctx->filter, ctx->out);
	/* the final "." CR LF is not part of the message's byte count */
	if (n > 3 && !fetch_send(client, ctx, ctx->out, n - 3)) {
		fetch_deinit(client, ctx);
		return 1;
	}
	if (!client_send_raw(client, ctx->out + n - 3, 3)) {
		fetch_deinit(client, ctx);
		return 1;
	}
	if (!ctx->top && !client->set->pop3_no_flag_updates) {
		const struct mail_record *rec =
		    mailbox_get(client->box, ctx->idx + 1);
		uint8_t bit = (uint8_t)(1u << (ctx->idx % 8));

		if (rec != NULL && (rec->flags & MAIL_SEEN) == 0 &&
		    (client->seen[ctx->idx / 8] & bit) == 0) {
			client->seen[ctx->idx / 8] |= bit;
			client->seen_count++;
		}
	}
	fetch_deinit(client, ctx);
	return 1;
}

int pop3_fetch_start(struct pop3_client *client, unsigned int idx, bool top,
		     uint64_t body_lines)
{
	struct fetch_context *ctx;
	const char *error;
	bool expunged = false;
	int fd;

	fd = mailbox_open_mail(client->box, idx + 1, &expunged, &error);
	if (fd < 0) {
		if (!expunged) {
			client_log(client, LOG_TYPE_ERROR,
				   "Couldn't open message %u: %s", idx + 1,
				   error);
		}
		client_send_line(client, "-ERR Message %u expunged.", idx + 1);
		if (idx + 1 <= client->highest_expunged_fetch) {
			/* asking again for what is gone: count it as bad so
			 * that a looping client is eventually dropped */
			return -1;
		}
		client->highest_expunged_fetch = idx + 1;
		return 1;
	}

	ctx = p_new(client->cmd_pool, struct fetch_context, 1);
	ctx->fd = fd;
	ctx->idx = idx;
	ctx->top = top;
	pop3_fetch_filter_init(&ctx->filter, top, body_lines);
	if (top) {
		client_send_line(client, "+OK");
	} else {
		client_send_line(client, "+OK %llu octets",
				 (unsigned long long)client->msg_sizes[idx]);
	}
	client->cmd_context = ctx;
	if (fetch_continue(client) > 0)
		return 1;
	client->cmd_continue = fetch_continue;
	client->cmd_abort = fetch_abort;
	return 0;
}

int cmd_retr(struct pop3_client *client, const char *args)
{
	unsigned int idx;
	const char *rest;

	if (!client_get_msgnum(client, args, false, &idx, &rest))
		return -1;
	client->retr_count++;
	return pop3_fetch_start(client, idx, false, UINT64_MAX);
}
