/* cmd-search.c - SEARCH and UID SEARCH (RFC 3501 section 6.4.4, RFC 9051
 * section 6.4.4) with ESEARCH result options (RFC 4731), SEARCHRES's SAVE
 * and "$" (RFC 5182) and CONDSTORE's MODSEQ (RFC 7162 section 3.1.5).
 *
 * The whole mailbox is matched first (imap-search.c); the response is
 * then written in pieces as the output buffer drains, so a result of any
 * size keeps memory per connection flat. "* SEARCH" in IMAP4rev1 without
 * RETURN, "* ESEARCH" with RETURN or after ENABLE IMAP4rev2 (RFC 9051
 * section 7.3.4: a rev2 server never sends "* SEARCH"). */
#include "lib.h"
#include "str.h"
#include "imap-commands.h"
#include "imap-parser.h"
#include "imap-search.h"
#include "mailbox.h"

#include <strings.h>

/* Bytes of numbers written per piece of a long response. */
#define SEARCH_OUTPUT_CHUNK 4096

enum search_output_phase {
	SEARCH_OUTPUT_BEGIN = 0,
	SEARCH_OUTPUT_NUMBERS,
	SEARCH_OUTPUT_END,
};

struct search_cmd {
	struct imap_search_program *program;
	struct imap_search_result result;
	/* result.seqs holds UIDs for UID SEARCH */
	bool esearch;
	enum imap_search_return options;
	enum search_output_phase phase;
	unsigned int pos;
	/* the MODSEQ to append, 0 for none */
	uint64_t modseq;
};

/* RFC 5182 section 2.1: a SEARCH with SAVE that fails leaves "$" empty.
 * Checked on the raw arguments, as they may not parse. */
static bool args_have_save(const struct imap_arg *args)
{
	const struct imap_arg *list;
	unsigned int count;

	if (!imap_arg_atom_equals(args, "RETURN") ||
	    !imap_arg_get_list(&args[1], &list, &count))
		return false;
	for (unsigned int i = 0; i < count; i++) {
		if (imap_arg_atom_equals(&list[i], "SAVE"))
			return true;
	}
	return false;
}

static void search_save(struct client *client, const uint32_t *uids,
			unsigned int count)
{
	if (count == 0) {
		client->search_saved_uids = NULL;
		client->search_saved_count = 0;
		return;
	}
	/* reuse the previous array when it is large enough, so that a
	 * session saving results again and again does not grow its pool */
	if (client->search_saved_uids == NULL ||
	    client->search_saved_count < count)
		client->search_saved_uids =
		    p_new(client->pool, uint32_t, count);
	memcpy(client->search_saved_uids, uids, sizeof(*uids) * count);
	client->search_saved_count = count;
}

/* SAVE (RFC 5182 section 2.4): with MIN and/or MAX alone only those are
 * saved, otherwise the whole result. */
static void search_save_result(struct client_command *cmd,
			       struct search_cmd *ctx, const uint32_t *uids)
{
	const struct imap_search_result *res = &ctx->result;
	enum imap_search_return opts = ctx->options;

	if ((opts & (IMAP_SEARCH_RETURN_MIN | IMAP_SEARCH_RETURN_MAX)) != 0 &&
	    (opts & (IMAP_SEARCH_RETURN_ALL | IMAP_SEARCH_RETURN_COUNT)) == 0 &&
	    res->count > 0) {
		uint32_t minmax[2];
		unsigned int n = 0;

		if ((opts & IMAP_SEARCH_RETURN_MIN) != 0)
			minmax[n++] = uids[0];
		if ((opts & IMAP_SEARCH_RETURN_MAX) != 0 &&
		    (n == 0 || uids[res->count - 1] != minmax[0]))
			minmax[n++] = uids[res->count - 1];
		search_save(cmd->client, minmax, n);
	} else {
		search_save(cmd->client, uids, res->count);
	}
}

/* RFC 7162 section 3.1.5 / 3.1.10: the highest modseq of the messages
 * returned; with only MIN and/or MAX, of those messages. */
static uint64_t search_result_modseq(struct client *client,
				     const struct search_cmd *ctx,
				     const uint32_t *seqs)
{
	const struct imap_search_result *res = &ctx->result;
	enum imap_search_return opts = ctx->options;
	uint64_t modseq = 0;

	if (res->count == 0)
		return 0;
	if (ctx->esearch &&
	    (opts & (IMAP_SEARCH_RETURN_ALL | IMAP_SEARCH_RETURN_COUNT)) == 0) {
		if ((opts & IMAP_SEARCH_RETURN_MIN) != 0)
			modseq = mailbox_get(client->box, seqs[0])->modseq;
		if ((opts & IMAP_SEARCH_RETURN_MAX) != 0) {
			uint64_t m =
			    mailbox_get(client->box, seqs[res->count - 1])
				->modseq;
			if (m > modseq)
				modseq = m;
		}
		return modseq;
	}
	return res->highest_modseq;
}

/* Parses and runs the search. Returns false when the command has
 * already been answered. */
static bool search_start(struct client_command *cmd)
{
	struct client *client = cmd->client;
	struct search_cmd *ctx = p_new(cmd->pool, struct search_cmd, 1);
	const char *error;

	switch (imap_search_args_parse(cmd->pool, cmd->args, &ctx->program,
				       &error)) {
	case IMAP_SEARCH_PARSE_OK:
		break;
	case IMAP_SEARCH_PARSE_BAD:
		if (args_have_save(cmd->args))
			search_save(client, NULL, 0);
		client_command_bad(cmd, error);
		return false;
	case IMAP_SEARCH_PARSE_BADCHARSET:
		if (args_have_save(cmd->args))
			search_save(client, NULL, 0);
		client_command_no(cmd, "BADCHARSET (" IMAP_SEARCH_CHARSETS ")",
				  error);
		return false;
	}

	struct imap_search_program *prog = ctx->program;
	imap_search_prepare(client->box, cmd->pool, prog,
			    client->search_saved_uids,
			    client->search_saved_count);
	if (imap_search_run(client->box, cmd->pool, prog, &ctx->result,
			    &error) < 0) {
		client_log(client, LOG_TYPE_ERROR, "SEARCH failed: %s", error);
		if ((prog->return_options & IMAP_SEARCH_RETURN_SAVE) != 0)
			search_save(client, NULL, 0);
		client_command_no(cmd, "SERVERBUG", IMAP_INTERNAL_ERROR);
		return false;
	}

	/* RFC 9051 section 6.4.4: in IMAP4rev2 the result is always an
	 * ESEARCH, ALL when no option was given */
	ctx->options = prog->return_options;
	ctx->esearch = prog->return_given ||
		       (client->enabled & CLIENT_ENABLED_IMAP4REV2) != 0;
	if (!prog->return_given)
		ctx->options = IMAP_SEARCH_RETURN_ALL;

	const uint32_t *seqs = ctx->result.seqs;
	uint32_t *uids = p_new(cmd->pool, uint32_t,
			       ctx->result.count == 0 ? 1 : ctx->result.count);
	for (unsigned int i = 0; i < ctx->result.count; i++)
		uids[i] = mailbox_get(client->box, seqs[i])->uid;
	if (prog->have_modseq)
		ctx->modseq = search_result_modseq(client, ctx, seqs);
	if ((ctx->options & IMAP_SEARCH_RETURN_SAVE) != 0)
		search_save_result(cmd, ctx, uids);
	if (cmd->uid)
		ctx->result.seqs = uids;

	/* RFC 7162 section 3.1: MODSEQ enables CONDSTORE; the first such
	 * command tells the HIGHESTMODSEQ, as after SELECT (CONDSTORE) */
	if (prog->have_modseq &&
	    (client->enabled & CLIENT_ENABLED_CONDSTORE) == 0) {
		client->enabled |= CLIENT_ENABLED_CONDSTORE;
		client_send_untagged(
		    client, "OK [HIGHESTMODSEQ %llu] Highest",
		    (unsigned long long)mailbox_get_highest_modseq(
			client->box));
	}
	cmd->context = ctx;
	return true;
}

/* The text before the numbers: "* SEARCH", or "* ESEARCH (TAG "t") UID
 * MIN a MAX b" and " ALL " when ALL follows. RFC 4731 section 3.1: MIN,
 * MAX and ALL are left out when nothing matched, COUNT is always there. */
static void search_output_begin(struct client_command *cmd,
				struct search_cmd *ctx, string_t *out)
{
	const struct imap_search_result *res = &ctx->result;

	if (!ctx->esearch) {
		str_append(out, "* SEARCH");
		return;
	}
	str_printfa(out, "* ESEARCH (TAG \"%s\")", cmd->tag);
	if (cmd->uid)
		str_append(out, " UID");
	if (res->count > 0 && (ctx->options & IMAP_SEARCH_RETURN_MIN) != 0)
		str_printfa(out, " MIN %u", res->seqs[0]);
	if (res->count > 0 && (ctx->options & IMAP_SEARCH_RETURN_MAX) != 0)
		str_printfa(out, " MAX %u", res->seqs[res->count - 1]);
	if (res->count > 0 && (ctx->options & IMAP_SEARCH_RETURN_ALL) != 0)
		str_append(out, " ALL ");
}

/* Appends numbers from ctx->pos until out holds about a chunk: a list
 * ("1 2 3") for SEARCH, a sequence set ("1:3,7") for ESEARCH ALL. */
static void search_output_numbers(struct search_cmd *ctx, string_t *out)
{
	const struct imap_search_result *res = &ctx->result;

	while (ctx->pos < res->count && str_len(out) < SEARCH_OUTPUT_CHUNK) {
		unsigned int i = ctx->pos;

		if (!ctx->esearch) {
			str_printfa(out, " %u", res->seqs[i]);
			ctx->pos++;
			continue;
		}
		unsigned int j = i;
		while (j + 1 < res->count &&
		       res->seqs[j + 1] == res->seqs[j] + 1)
			j++;
		if (i > 0)
			str_append_c(out, ',');
		if (j == i)
			str_printfa(out, "%u", res->seqs[i]);
		else
			str_printfa(out, "%u:%u", res->seqs[i], res->seqs[j]);
		ctx->pos = j + 1;
	}
}

static void search_output_end(struct search_cmd *ctx, string_t *out)
{
	const struct imap_search_result *res = &ctx->result;

	if (ctx->esearch) {
		if ((ctx->options & IMAP_SEARCH_RETURN_COUNT) != 0)
			str_printfa(out, " COUNT %u", res->count);
		if (ctx->modseq != 0)
			str_printfa(out, " MODSEQ %llu",
				    (unsigned long long)ctx->modseq);
	} else if (ctx->modseq != 0) {
		str_printfa(out, " (MODSEQ %llu)",
			    (unsigned long long)ctx->modseq);
	}
	str_append(out, "\r\n");
}

/* Writes the response; false when the output is full (call again). */
static bool search_output(struct client_command *cmd, struct search_cmd *ctx)
{
	struct client *client = cmd->client;
	enum imap_search_return opts = ctx->options;

	/* RFC 5182 section 2.4: SAVE alone returns no ESEARCH */
	if (ctx->esearch && (opts & ~IMAP_SEARCH_RETURN_SAVE) == 0)
		return true;
	while (ctx->phase != SEARCH_OUTPUT_END) {
		if (client_output_wait(client, SEARCH_OUTPUT_CHUNK + 256))
			return false;
		string_t *out = str_new(cmd->pool, SEARCH_OUTPUT_CHUNK + 256);
		if (ctx->phase == SEARCH_OUTPUT_BEGIN) {
			search_output_begin(cmd, ctx, out);
			ctx->phase = SEARCH_OUTPUT_NUMBERS;
		}
		if (!ctx->esearch || (opts & IMAP_SEARCH_RETURN_ALL) != 0)
			search_output_numbers(ctx, out);
		else
			ctx->pos = ctx->result.count;
		if (ctx->pos >= ctx->result.count) {
			search_output_end(ctx, out);
			ctx->phase = SEARCH_OUTPUT_END;
		}
		if (!client_send_raw(client, str_data(out), str_len(out)))
			return true; /* the session is closing */
	}
	return true;
}

bool cmd_search(struct client_command *cmd)
{
	if (cmd->context == NULL && !search_start(cmd))
		return true;
	if (!search_output(cmd, cmd->context))
		return false;
	client_command_reply(cmd, "OK Search completed.");
	return true;
}
