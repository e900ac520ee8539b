/* cmd-retr.c - RETR msg (RFC 1939), and the message streaming that TOP
 * shares.
 *
 * The message file is read in FETCH_READ_SIZE pieces into a buffer that
 * lives only while the command runs, and pop3-fetch's filter writes the
 * converted bytes straight into the connection's output buffer (no
 * intermediate copy). When the output buffer has no room left the
 * command waits for the flush callback, so memory per session stays flat
 * whatever the message size. The session sees no other command
 * meanwhile. */
#include "lib.h"
#include "pool.h"
#include "mailbox.h"
#include "pop3-fetch.h"
#include "pop3-commands.h"

#define FETCH_READ_SIZE (32 * 1024)
/* Least output room worth filtering into; the filter fills all there is. */
#define FETCH_MIN_ROOM 4096

struct fetch_context {
	int fd;
	unsigned int idx;
	bool top;
	bool eof;
	bool finished;
	struct pop3_fetch_filter filter;
	size_t in_pos, in_len;
	uint64_t bytes;
	unsigned char *in; /* FETCH_READ_SIZE bytes from the command pool */
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

/* Reads the next piece of the message. Returns 1, or -1 after ending the
 * session on a read error. */
static int fetch_read(struct pop3_client *client, struct fetch_context *ctx)
{
	ssize_t ret;

	do {
		ret = read(ctx->fd, ctx->in, FETCH_READ_SIZE);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		client_log(client, LOG_TYPE_ERROR, "read(msg %u) failed: %s",
			   ctx->idx + 1, strerror(errno));
		fetch_deinit(client, ctx);
		client_disconnect(client,
				  "Storage error while sending a message");
		return -1;
	}
	ctx->in_pos = 0;
	ctx->in_len = (size_t)ret;
	if (ret == 0)
		ctx->eof = true;
	return 1;
}

/* Returns true when the command must stop: waiting for the output to
 * drain (*ret_r = 0) or ended because writing failed (*ret_r = 1). */
static bool fetch_wait_output(struct pop3_client *client,
			      struct fetch_context *ctx, size_t need,
			      int *ret_r)
{
	if (!client_output_wait(client, need))
		return false;
	if (!client->disconnecting) {
		*ret_r = 0;
		return true;
	}
	fetch_deinit(client, ctx);
	*ret_r = 1;
	return true;
}

static int fetch_continue(struct pop3_client *client)
{
	struct fetch_context *ctx = client->cmd_context;
	unsigned char end[POP3_FETCH_FINISH_MAX], *out;
	size_t used, room, n;
	int ret;

	for (;;) {
		if (ctx->filter.done ||
		    (ctx->eof && ctx->in_pos == ctx->in_len))
			break;
		if (ctx->in_pos == ctx->in_len) {
			if (fetch_read(client, ctx) < 0)
				return 1;
			continue;
		}
		out = client_output_reserve(client, FETCH_MIN_ROOM, &room);
		if (out == NULL) {
			if (fetch_wait_output(client, ctx, FETCH_MIN_ROOM,
					      &ret))
				return ret;
			continue;
		}
		n = pop3_fetch_filter_run(&ctx->filter, ctx->in + ctx->in_pos,
					  ctx->in_len - ctx->in_pos, &used, out,
					  room);
		ctx->in_pos += used;
		ctx->bytes += n;
		client_output_commit(client, n);
	}
	if (fetch_wait_output(client, ctx, POP3_FETCH_FINISH_MAX, &ret))
		return ret;
	n = pop3_fetch_filter_finish(&ctx->filter, end);
	/* the final "." CR LF is not part of the message's byte count */
	if (n > 3 && !fetch_send(client, ctx, end, n - 3)) {
		fetch_deinit(client, ctx);
		return 1;
	}
	if (!client_send_raw(client, end + n - 3, 3)) {
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
	ctx->in = p_malloc(client->cmd_pool, FETCH_READ_SIZE);
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
