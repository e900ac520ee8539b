/* cmd-fetch.c - FETCH and UID FETCH (RFC 3501 section 6.4.5, RFC 9051
 * section 6.4.5), with CONDSTORE's CHANGEDSINCE and QRESYNC's VANISHED
 * (RFC 7162 sections 3.1.4 and 3.2.6).
 *
 * The items are parsed and the responses written by imap-fetch.c; this
 * file connects them to the session: the message set (also "$" of RFC
 * 5182), enabling CONDSTORE, the output, resuming when the output has
 * drained, and the tagged reply. It also holds the message set helper
 * that STORE, COPY and MOVE share. */
#include "lib.h"
#include "str.h"
#include "imap-commands.h"
#include "imap-fetch.h"
#include "imap-parser.h"
#include "imap-seqset.h"
#include "mailbox.h"

#include <time.h>

/* UID set text per VANISHED (EARLIER) line */
#define FETCH_VANISHED_LINE_MAX 4000

int cmd_get_msgset(struct client_command *cmd, const struct imap_arg *arg,
		   struct imap_seqset *set_r, bool *uid_r)
{
	struct client *client = cmd->client;
	struct mailbox *box = client->box;
	unsigned int count = mailbox_count(box);
	const char *str, *error;

	*uid_r = cmd->uid;
	if (!imap_arg_get_atom(arg, &str)) {
		client_command_bad(cmd, "Invalid arguments");
		return -1;
	}
	if (imap_seqset_parse(cmd->pool, str, set_r, &error) < 0) {
		client_command_bad(cmd, "Invalid messageset");
		return -1;
	}
	if (set_r->searchres) {
		/* RFC 5182 section 2.1: "$" is the saved result (UIDs here),
		 * empty when nothing was saved */
		set_r->ranges = p_new(cmd->pool, struct imap_seq_range,
				      client->search_saved_count + 1);
		set_r->count = client->search_saved_count;
		for (unsigned int i = 0; i < set_r->count; i++) {
			set_r->ranges[i].seq1 = client->search_saved_uids[i];
			set_r->ranges[i].seq2 = client->search_saved_uids[i];
		}
		*uid_r = true;
	}
	if (*uid_r) {
		/* RFC 9051 section 6.4.9: "*" is the highest UID in use;
		 * UIDs that do not exist are ignored */
		imap_seqset_resolve(
		    set_r, count == 0 ? 1 : mailbox_get(box, count)->uid);
		return 0;
	}
	if (count == 0) {
		client_command_bad(cmd, "Invalid messageset");
		return -1;
	}
	imap_seqset_resolve(set_r, count);
	if (imap_seqset_max(set_r) > count) {
		/* RFC 3501 section 9: seqs must exist; Dovecot's wording */
		client_command_bad(cmd, "Invalid messageset");
		return -1;
	}
	return 0;
}

void cmd_msgset_iter_init(struct cmd_msgset_iter *iter, struct mailbox *box,
			  const struct imap_seqset *set, bool uid)
{
	memset(iter, 0, sizeof(*iter));
	iter->box = box;
	iter->set = set;
	iter->uid = uid;
}

bool cmd_msgset_iter_next(struct cmd_msgset_iter *iter, unsigned int *seq_r)
{
	unsigned int count = mailbox_count(iter->box);

	while (iter->range_idx < iter->set->count) {
		const struct imap_seq_range *r =
		    &iter->set->ranges[iter->range_idx];
		unsigned int seq;

		if (iter->next_seq == 0) {
			iter->next_seq =
			    iter->uid
				? imap_fetch_seq_from_uid(iter->box, r->seq1)
				: r->seq1;
		}
		seq = iter->next_seq;
		if (seq >= 1 && seq <= count &&
		    (iter->uid ? mailbox_get(iter->box, seq)->uid <= r->seq2
			       : seq <= r->seq2)) {
			iter->next_seq++;
			*seq_r = seq;
			return true;
		}
		iter->range_idx++;
		iter->next_seq = 0;
	}
	return false;
}

void cmd_enable_condstore(struct client *client)
{
	/* RFC 7162 section 3.1: the first command that uses a modseq
	 * enables CONDSTORE and is told the HIGHESTMODSEQ */
	if ((client->enabled & CLIENT_ENABLED_CONDSTORE) != 0)
		return;
	client->enabled |= CLIENT_ENABLED_CONDSTORE;
	if (client->box != NULL) {
		client_send_untagged(
		    client, "OK [HIGHESTMODSEQ %llu] Highest",
		    (unsigned long long)mailbox_get_highest_modseq(
			client->box));
	}
}

struct fetch_cmd_context {
	struct imap_fetch_ctx *fetch;
	/* imap_fetch_more() is running. A write in it that fails disconnects
	 * the client, which aborts the command at once: the fetch is then
	 * freed only when imap_fetch_more() has returned. */
	bool running, aborted;
};

static bool fetch_output_wait(void *context, size_t need)
{
	return client_output_wait(context, need);
}

static void fetch_output_write(void *context, const void *data, size_t size)
{
	(void)client_send_raw(context, data, size);
}

/* Bodies are converted straight into the stream's output buffer. */
static unsigned char *fetch_output_reserve(void *context, size_t min_size,
					   size_t *size_r)
{
	return client_output_reserve(context, min_size, size_r);
}

static void fetch_output_commit(void *context, size_t size)
{
	/* an error of the flush this may start shows at the next wait() */
	client_output_commit(context, size);
}

static void fetch_abort(struct client_command *cmd)
{
	struct fetch_cmd_context *ctx = cmd->context;

	if (ctx->running) {
		ctx->aborted = true;
		return;
	}
	imap_fetch_deinit(&ctx->fetch);
}

/* The server's zone, minutes east of UTC, for INTERNALDATE. */
static int local_tz_minutes(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL)
		return 0;
	return (int)(tm.tm_gmtoff / 60);
}

/* RFC 7162 section 3.2.6: "* VANISHED (EARLIER)" with the UIDs of the set
 * that are no longer in the mailbox. We keep no expunge history with
 * modseqs, so every such UID below UIDNEXT is reported, which the RFC
 * allows (the client ignores UIDs it does not know). */
static void fetch_send_vanished(struct client_command *cmd,
				const struct imap_seqset *set)
{
	struct client *client = cmd->client;
	struct mailbox *box = client->box;
	uint32_t uid_next = mailbox_get_uid_next(box);
	string_t *line = str_new(cmd->pool, FETCH_VANISHED_LINE_MAX + 32);

	for (unsigned int i = 0; i < set->count; i++) {
		uint32_t uid = set->ranges[i].seq1;
		uint32_t last = MIN_OF(set->ranges[i].seq2, uid_next - 1);
		unsigned int seq = imap_fetch_seq_from_uid(box, uid);
		unsigned int count = mailbox_count(box);

		while (uid <= last && uid != 0) {
			/* the next UID still present bounds a gap */
			uint32_t present = seq <= count
					       ? mailbox_get(box, seq)->uid
					       : UINT32_MAX;
			uint32_t gap_end;

			if (present == uid) {
				seq++;
				uid++;
				continue;
			}
			gap_end = MIN_OF(present - 1, last);
			if (str_len(line) > 0)
				str_append_c(line, ',');
			str_append_uint(line, uid);
			if (gap_end != uid)
				str_printfa(line, ":%u", gap_end);
			if (str_len(line) >= FETCH_VANISHED_LINE_MAX) {
				client_send_untagged(client,
						     "VANISHED (EARLIER) %s",
						     str_c(line));
				str_clear(line);
			}
			if (gap_end == UINT32_MAX)
				break;
			uid = gap_end + 1;
		}
	}
	if (str_len(line) > 0) {
		client_send_untagged(client, "VANISHED (EARLIER) %s",
				     str_c(line));
	}
}

static bool fetch_begin(struct client_command *cmd)
{
	struct client *client = cmd->client;
	struct imap_fetch_request *req;
	struct imap_fetch_output output;
	struct fetch_cmd_context *ctx;
	struct imap_seqset set;
	const char *error;
	bool uid_set;

	if (cmd->args[0].type == IMAP_ARG_EOL ||
	    cmd->args[1].type == IMAP_ARG_EOL) {
		client_command_bad(cmd, "Invalid arguments");
		return false;
	}
	req = p_new(cmd->pool, struct imap_fetch_request, 1);
	if (imap_fetch_parse(cmd->pool, cmd->args + 1, cmd->uid, req, &error) <
	    0) {
		client_command_bad(cmd, error);
		return false;
	}
	if (req->vanished && (client->enabled & CLIENT_ENABLED_QRESYNC) == 0) {
		client_command_bad(cmd, "QRESYNC not enabled");
		return false;
	}
	if (cmd_get_msgset(cmd, &cmd->args[0], &set, &uid_set) < 0)
		return false;
	if (req->modseq)
		cmd_enable_condstore(client);
	if (req->vanished)
		fetch_send_vanished(cmd, &set);

	output.wait = fetch_output_wait;
	output.write = fetch_output_write;
	output.reserve = fetch_output_reserve;
	output.commit = fetch_output_commit;
	output.context = client;
	ctx = p_new(cmd->pool, struct fetch_cmd_context, 1);
	ctx->fetch =
	    imap_fetch_begin(cmd->pool, client->box, req, &set, uid_set,
			     client->box_readonly, local_tz_minutes(), &output);
	imap_fetch_set_show_recent(
	    ctx->fetch, (client->enabled & CLIENT_ENABLED_IMAP4REV2) == 0);
	cmd->context = ctx;
	cmd->abort = fetch_abort;
	return true;
}

bool cmd_fetch(struct client_command *cmd)
{
	struct client *client = cmd->client;
	struct fetch_cmd_context *ctx;
	const char *error;
	unsigned int expunged;
	bool unknown_cte;
	int ret;

	if (cmd->context == NULL && !fetch_begin(cmd))
		return true;
	ctx = cmd->context;
	ctx->running = true;
	ret = imap_fetch_more(ctx->fetch, &error);
	ctx->running = false;
	if (ctx->aborted) {
		imap_fetch_deinit(&ctx->fetch);
		return true;
	}
	if (ret == 0)
		return false;
	client->fetch_count += imap_fetch_get_count(ctx->fetch);
	client->fetch_bytes += imap_fetch_get_bytes(ctx->fetch);
	if (ret < 0) {
		/* a literal may be half written: the stream is broken */
		client_log(client, LOG_TYPE_ERROR, "FETCH failed: %s", error);
		imap_fetch_deinit(&ctx->fetch);
		client_disconnect(client, IMAP_INTERNAL_ERROR, "FETCH failed");
		return true;
	}
	expunged = imap_fetch_get_expunged_count(ctx->fetch);
	unknown_cte = imap_fetch_get_unknown_cte(ctx->fetch);
	imap_fetch_deinit(&ctx->fetch);
	if (unknown_cte) {
		/* RFC 3516 section 4.3 */
		client_command_no(cmd, "UNKNOWN-CTE",
				  "Unknown Content-Transfer-Encoding.");
	} else if (expunged > 0) {
		/* message files deleted by another session meanwhile (RFC
		 * 9051 section 7.1: EXPUNGEISSUED) */
		client_command_no(
		    cmd, "EXPUNGEISSUED",
		    "Some of the requested messages no longer exist.");
	} else {
		client_command_reply(cmd, "OK Fetch completed.");
	}
	return true;
}
