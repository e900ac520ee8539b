/* cmd-select.c - SELECT and EXAMINE (RFC 3501 section 6.3.1-6.3.2, RFC 9051
 * section 6.3.2-6.3.3), with the CONDSTORE parameter (RFC 7162 section
 * 3.1.8) and QRESYNC (RFC 7162 section 3.2.5).
 *
 * Opens the mailbox, makes it the session's selected one (closing the
 * previous one, "* OK [CLOSED]" of RFC 7162 section 3.2.11) and sends the
 * untagged state: FLAGS, PERMANENTFLAGS, EXISTS, RECENT and UNSEEN (not
 * in IMAP4rev2), UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ. SELECT (not EXAMINE)
 * takes the mailbox's recent messages (RFC 3501 section 2.3.2: they are
 * recent in no other session; mailbox.h says how), also in IMAP4rev2 mode,
 * which only does not show them. With QRESYNC and a
 * matching UIDVALIDITY it then reports what the client missed: VANISHED
 * (EARLIER) for UIDs in its known range that are gone, and a FETCH of
 * every message whose modseq is above the client's. Those two can be long
 * and are streamed (the command resumes when output drains).
 *
 * Does not: keep expunge modseqs, so VANISHED (EARLIER) names every
 * missing UID of the known range (RFC 7162 section 3.2.5.1 allows UIDs
 * the client never saw); seq-match-data is accepted and not needed. */
#include "lib.h"
#include "str.h"
#include "imap-commands.h"
#include "imap-parser.h"
#include "imap-seqset.h"
#include "imap-fetch.h"
#include "imap-list-util.h"
#include "mailbox.h"
#include "mailbox-list.h"

#include <strings.h>

/* bytes of UID set per VANISHED line */
#define SELECT_VANISHED_LINE_MAX 4000

enum select_phase {
	SELECT_PHASE_VANISHED = 0,
	SELECT_PHASE_FETCH,
	SELECT_PHASE_DONE,
};

struct select_context {
	bool readonly;
	bool qresync;
	uint64_t qresync_modseq;
	struct imap_seqset known_uids; /* resolved; count 0 = 1:UIDNEXT-1 */
	enum select_phase phase;
	unsigned int seq;  /* next seq to look at */
	uint32_t next_uid; /* VANISHED: the lowest UID not yet looked at */
	/* VANISHED: the run of missing UIDs being written */
	uint32_t gap_first, gap_last;
	bool gap_active, tail_done;
	unsigned int range_idx; /* cursor into known_uids */
	string_t *line;
};

static bool arg_get_number64(const struct imap_arg *arg, uint64_t *num_r)
{
	const char *str;

	return imap_arg_get_atom(arg, &str) && str[0] >= '0' && str[0] <= '9' &&
	       str_to_uint64(str, num_r) == 0;
}

/* QRESYNC (uidvalidity modseq [known-uids [(seqs uids)]]) */
static int parse_qresync(struct client_command *cmd, struct select_context *ctx,
			 const struct imap_arg *arg, uint32_t *uidvalidity_r,
			 const char **error_r)
{
	const struct imap_arg *list;
	unsigned int count;
	uint64_t num;
	const char *str;

	if (!imap_arg_get_list(arg, &list, &count) || count < 2 || count > 4) {
		*error_r = "Invalid QRESYNC parameters";
		return -1;
	}
	if (!arg_get_number64(&list[0], &num) || num == 0 || num > UINT32_MAX) {
		*error_r = "Invalid QRESYNC uid-validity";
		return -1;
	}
	*uidvalidity_r = (uint32_t)num;
	if (!arg_get_number64(&list[1], &ctx->qresync_modseq)) {
		*error_r = "Invalid QRESYNC modseq";
		return -1;
	}
	if (count >= 3) {
		if (!imap_arg_get_atom(&list[2], &str) ||
		    imap_seqset_parse(cmd->pool, str, &ctx->known_uids,
				      error_r) < 0 ||
		    ctx->known_uids.searchres) {
			*error_r = "Invalid QRESYNC known-uids";
			return -1;
		}
	}
	if (count == 4) {
		const struct imap_arg *match;
		unsigned int match_count;
		struct imap_seqset set;

		/* seq-match-data: checked for syntax only */
		if (!imap_arg_get_list(&list[3], &match, &match_count) ||
		    match_count != 2 || !imap_arg_get_atom(&match[0], &str) ||
		    imap_seqset_parse(cmd->pool, str, &set, error_r) < 0 ||
		    !imap_arg_get_atom(&match[1], &str) ||
		    imap_seqset_parse(cmd->pool, str, &set, error_r) < 0) {
			*error_r = "Invalid QRESYNC seq-match-data";
			return -1;
		}
	}
	return 0;
}

/* The select parameters: (CONDSTORE) or (QRESYNC (...)). */
static int parse_params(struct client_command *cmd, struct select_context *ctx,
			const struct imap_arg *args, uint32_t *uidvalidity_r,
			const char **error_r)
{
	const struct imap_arg *list;
	unsigned int count;
	const char *name;

	if (args->type == IMAP_ARG_EOL)
		return 0;
	if (!imap_arg_get_list(args, &list, &count) ||
	    args[1].type != IMAP_ARG_EOL) {
		*error_r = "Invalid arguments.";
		return -1;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (!imap_arg_get_atom(&list[i], &name)) {
			*error_r = "Invalid select parameters";
			return -1;
		}
		if (strcasecmp(name, "CONDSTORE") == 0) {
			cmd->client->enabled |= CLIENT_ENABLED_CONDSTORE;
		} else if (strcasecmp(name, "QRESYNC") == 0) {
			/* RFC 7162 section 3.2.5: BAD unless enabled */
			if ((cmd->client->enabled & CLIENT_ENABLED_QRESYNC) ==
			    0) {
				*error_r = "QRESYNC not enabled";
				return -1;
			}
			if (i + 1 >= count ||
			    parse_qresync(cmd, ctx, &list[i + 1], uidvalidity_r,
					  error_r) < 0) {
				if (i + 1 >= count)
					*error_r = "Invalid QRESYNC parameters";
				return -1;
			}
			ctx->qresync = true;
			i++;
		} else {
			*error_r = "Unknown select parameter";
			return -1;
		}
	}
	return 0;
}

static void append_keywords(string_t *str, struct mailbox *box)
{
	for (unsigned int i = 0; i < MAILBOX_KEYWORDS_MAX; i++) {
		const char *name = mailbox_get_keyword_name(box, i);

		if (name != NULL) {
			str_append_c(str, ' ');
			str_append(str, name);
		}
	}
}

static unsigned int keywords_count(struct mailbox *box)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < MAILBOX_KEYWORDS_MAX; i++) {
		if (mailbox_get_keyword_name(box, i) != NULL)
			n++;
	}
	return n;
}

static void send_state(struct client *client, struct select_context *ctx)
{
	struct mailbox *box = client->box;
	unsigned int count = mailbox_count(box), first_unseen = 0, recent;
	string_t *str = str_new(NULL, 256);
	bool rev2 = (client->enabled & CLIENT_ENABLED_IMAP4REV2) != 0;

	str_append(str, "FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	append_keywords(str, box);
	str_append_c(str, ')');
	client_send_untagged(client, "%s", str_c(str));

	str_clear(str);
	if (ctx->readonly) {
		str_append(str, "OK [PERMANENTFLAGS ()] Read-only mailbox.");
	} else {
		str_append(str, "OK [PERMANENTFLAGS (\\Answered \\Flagged "
				"\\Deleted \\Seen \\Draft");
		append_keywords(str, box);
		/* new keywords can be created while there is room */
		if (keywords_count(box) < MAILBOX_KEYWORDS_MAX)
			str_append(str, " \\*");
		str_append(str, ")] Flags permitted.");
	}
	client_send_untagged(client, "%s", str_c(str));
	str_free(&str);

	/* no pass over the messages for the counts: EXISTS is the view's
	 * size, RECENT comes from the handle's recent UID ranges, and the
	 * first unseen message is looked for only up to the first one */
	recent = mailbox_get_recent_count(box);
	client_send_untagged(client, "%u EXISTS", count);
	/* RFC 3501 section 7.3.2; RFC 9051 section 7.3.1 has no RECENT */
	if (!rev2)
		client_send_untagged(client, "%u RECENT", recent);
	client->box_reported_recent = recent;
	for (unsigned int seq = 1; seq <= count && !rev2; seq++) {
		if ((mailbox_get(box, seq)->flags & MAIL_SEEN) == 0) {
			first_unseen = seq;
			break;
		}
	}
	if (first_unseen != 0) {
		client_send_untagged(client, "OK [UNSEEN %u] First unseen.",
				     first_unseen);
	}
	client_send_untagged(client, "OK [UIDVALIDITY %u] UIDs valid",
			     mailbox_get_uid_validity(box));
	client_send_untagged(client, "OK [UIDNEXT %u] Predicted next UID",
			     mailbox_get_uid_next(box));
	/* RFC 7162 section 3.1.2.1: on every SELECT/EXAMINE */
	client_send_untagged(
	    client, "OK [HIGHESTMODSEQ %llu] Highest",
	    (unsigned long long)mailbox_get_highest_modseq(box));
}

static void vanished_flush(struct client *client, struct select_context *ctx)
{
	if (str_len(ctx->line) == 0)
		return;
	client_send_untagged(client, "VANISHED (EARLIER) %s", str_c(ctx->line));
	str_clear(ctx->line);
}

static void vanished_append(struct select_context *ctx, uint32_t first,
			    uint32_t last)
{
	if (str_len(ctx->line) > 0)
		str_append_c(ctx->line, ',');
	str_append_uint(ctx->line, first);
	if (last != first) {
		str_append_c(ctx->line, ':');
		str_append_uint(ctx->line, last);
	}
}

/* Appends (the next part of) the current gap of missing UIDs, as far as
 * the client's known-uids cover it. Known ranges are sorted and gaps come
 * in ascending order, so the range cursor only moves forward. */
static void vanished_fill(struct select_context *ctx)
{
	const struct imap_seqset *known = &ctx->known_uids;
	uint32_t first, last;

	if (known->count == 0) {
		vanished_append(ctx, ctx->gap_first, ctx->gap_last);
		ctx->gap_active = false;
		return;
	}
	while (ctx->range_idx < known->count &&
	       known->ranges[ctx->range_idx].seq2 < ctx->gap_first)
		ctx->range_idx++;
	if (ctx->range_idx == known->count ||
	    known->ranges[ctx->range_idx].seq1 > ctx->gap_last) {
		ctx->gap_active = false;
		return;
	}
	first = MAX_OF(known->ranges[ctx->range_idx].seq1, ctx->gap_first);
	last = MIN_OF(known->ranges[ctx->range_idx].seq2, ctx->gap_last);
	vanished_append(ctx, first, last);
	if (last >= ctx->gap_last)
		ctx->gap_active = false;
	else
		ctx->gap_first = last + 1;
}

/* Finds the next run of UIDs below UIDNEXT that are not in the view.
 * Returns false when there is none left. */
static bool vanished_next_gap(struct client *client, struct select_context *ctx)
{
	struct mailbox *box = client->box;
	unsigned int count = mailbox_count(box);

	while (ctx->seq <= count) {
		uint32_t uid = mailbox_get(box, ctx->seq++)->uid;

		if (uid > ctx->next_uid) {
			ctx->gap_first = ctx->next_uid;
			ctx->gap_last = uid - 1;
			ctx->gap_active = true;
			ctx->next_uid = uid + 1;
			return true;
		}
		ctx->next_uid = uid + 1;
	}
	if (!ctx->tail_done) {
		uint32_t uid_next = mailbox_get_uid_next(box);

		ctx->tail_done = true;
		if (uid_next > ctx->next_uid) {
			ctx->gap_first = ctx->next_uid;
			ctx->gap_last = uid_next - 1;
			ctx->gap_active = true;
			return true;
		}
	}
	return false;
}

/* RFC 7162 section 3.2.5: VANISHED (EARLIER), then the changed messages.
 * Returns false when the output is full. */
static bool send_qresync(struct client *client, struct select_context *ctx)
{
	struct mailbox *box = client->box;
	unsigned int count = mailbox_count(box);

	while (ctx->phase == SELECT_PHASE_VANISHED) {
		bool done = false;

		if (client_output_wait(client, SELECT_VANISHED_LINE_MAX + 64))
			return false;
		while (str_len(ctx->line) < SELECT_VANISHED_LINE_MAX) {
			if (ctx->gap_active)
				vanished_fill(ctx);
			else if (!vanished_next_gap(client, ctx)) {
				done = true;
				break;
			}
		}
		vanished_flush(client, ctx);
		if (done) {
			ctx->phase = SELECT_PHASE_FETCH;
			ctx->seq = 1;
		}
	}
	while (ctx->phase == SELECT_PHASE_FETCH) {
		const struct mail_record *rec;

		if (ctx->seq > count) {
			ctx->phase = SELECT_PHASE_DONE;
			break;
		}
		if (client_output_wait(client, 1024))
			return false;
		rec = mailbox_get(box, ctx->seq);
		if (rec->modseq > ctx->qresync_modseq) {
			str_clear(ctx->line);
			str_printfa(ctx->line, "%u FETCH (UID %u FLAGS ",
				    ctx->seq, rec->uid);
			imap_write_flags(
			    ctx->line, box, rec,
			    (client->enabled & CLIENT_ENABLED_IMAP4REV2) == 0 &&
				mailbox_is_recent(box, rec->uid));
			str_printfa(ctx->line, " MODSEQ (%llu))",
				    (unsigned long long)rec->modseq);
			client_send_untagged(client, "%s", str_c(ctx->line));
		}
		ctx->seq++;
	}
	return true;
}

static void select_finish(struct client_command *cmd)
{
	struct select_context *ctx = cmd->context;

	client_command_reply(cmd, ctx->readonly
				      ? "OK [READ-ONLY] Examine completed."
				      : "OK [READ-WRITE] Select completed.");
}

static bool cmd_select_continue(struct client_command *cmd)
{
	struct select_context *ctx = cmd->context;

	if (!send_qresync(cmd->client, ctx))
		return false;
	select_finish(cmd);
	return true;
}

static bool select_open(struct client_command *cmd, bool readonly)
{
	struct client *client = cmd->client;
	struct select_context *ctx;
	const char *name, *storage_name, *error;
	uint32_t qresync_uidvalidity = 0;
	struct mailbox *box;
	int ret;

	ctx = p_new(cmd->pool, struct select_context, 1);
	ctx->readonly = readonly;
	cmd->context = ctx;
	if (!imap_arg_get_astring(&cmd->args[0], &name)) {
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	if (parse_params(cmd, ctx, &cmd->args[1], &qresync_uidvalidity,
			 &error) < 0) {
		client_command_bad(cmd, error);
		return true;
	}

	/* RFC 7162 section 3.2.11 */
	if (client->state == CLIENT_STATE_SELECTED)
		imap_cmd_close_selected(client);
	if (!client_mailbox_name_from_imap(client, name, &storage_name,
					   &error)) {
		client_command_no(cmd, NULL, error);
		return true;
	}
	/* SELECT takes the recent messages (RFC 3501 section 2.3.2) */
	ret = mailbox_list_open_mailbox_flags(
	    client->list, storage_name,
	    readonly ? 0 : MAILBOX_OPEN_FLAG_TAKE_RECENT, &box, &error);
	if (ret == 0) {
		imap_cmd_no_such_mailbox(cmd, "NONEXISTENT", name);
		return true;
	}
	if (ret < 0) {
		if (!imap_cmd_mailbox_name_is_valid(client, storage_name,
						    &error)) {
			imap_cmd_name_refused(cmd, error);
			return true;
		}
		imap_cmd_storage_failed(
		    cmd, p_strdup_printf(cmd->pool, "SELECT %s", storage_name),
		    error);
		return true;
	}

	client->box = box;
	client->box_name = p_strdup(client->pool, storage_name);
	client->box_readonly = readonly;
	client->box_reported_exists = mailbox_count(box);
	client->search_saved_uids = NULL;
	client->search_saved_count = 0;
	client->state = CLIENT_STATE_SELECTED;
	send_state(client, ctx);

	if (ctx->qresync &&
	    qresync_uidvalidity == mailbox_get_uid_validity(box)) {
		if (ctx->known_uids.count > 0)
			imap_seqset_resolve(&ctx->known_uids,
					    mailbox_get_uid_next(box));
		ctx->line = str_new(cmd->pool, SELECT_VANISHED_LINE_MAX + 64);
		ctx->seq = 1;
		ctx->next_uid = 1;
		if (!send_qresync(client, ctx))
			return false;
	}
	select_finish(cmd);
	return true;
}

static bool select_run(struct client_command *cmd, bool readonly)
{
	if (cmd->context != NULL)
		return cmd_select_continue(cmd);
	return select_open(cmd, readonly);
}

bool cmd_examine(struct client_command *cmd)
{
	return select_run(cmd, true);
}

bool cmd_select(struct client_command *cmd)
{
	return select_run(cmd, false);
}
