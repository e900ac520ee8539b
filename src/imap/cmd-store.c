/* cmd-store.c - STORE and UID STORE (RFC 3501 section 6.4.6, RFC 9051
 * section 6.4.6) with CONDSTORE's UNCHANGEDSINCE (RFC 7162 section
 * 3.1.3).
 *
 * Flags and keywords are changed through the session's own mailbox view,
 * so the core's sync does not report them again: this command sends the
 * untagged FETCH responses itself (unless .SILENT; with CONDSTORE enabled
 * the new MODSEQ is still sent, as Dovecot does), streamed when there
 * are many. Messages that fail the UNCHANGEDSINCE test are left alone and
 * listed in the tagged "OK [MODIFIED set]". */
#include "lib.h"
#include "str.h"
#include "imap-commands.h"
#include "imap-fetch.h"
#include "imap-parser.h"
#include "imap-seqset.h"
#include "imap-commands-util.h"
#include "imap-list-util.h"
#include "mailbox.h"
#include "mailbox-error.h"

#include <strings.h>

#define STORE_MAX_KEYWORDS 64

struct store_context {
	/* seqs whose flags were changed, ascending */
	unsigned int *seqs;
	unsigned int count, pos;
	bool silent;
	const char *reply;
};

static bool store_parse_flag(struct client_command *cmd, const char *flag,
			     enum mail_flags *flags, const char **keywords,
			     unsigned int *kw_count)
{
	static const struct {
		const char *name;
		enum mail_flags flag;
	} names[] = {
	    {"\\Answered", MAIL_ANSWERED}, {"\\Flagged", MAIL_FLAGGED},
	    {"\\Deleted", MAIL_DELETED},   {"\\Seen", MAIL_SEEN},
	    {"\\Draft", MAIL_DRAFT},
	};

	if (flag[0] == '\\') {
		for (unsigned int i = 0; i < N_ELEMENTS(names); i++) {
			if (strcasecmp(flag, names[i].name) == 0) {
				*flags |= names[i].flag;
				return true;
			}
		}
		client_command_bad(
		    cmd, p_strdup_printf(cmd->pool, "Invalid system flag %s",
					 str_ucase(p_strdup(cmd->pool, flag))));
		return false;
	}
	if (*kw_count >= STORE_MAX_KEYWORDS) {
		client_command_bad(cmd, "Too many keywords");
		return false;
	}
	keywords[(*kw_count)++] = flag;
	return true;
}

static bool store_report(struct client_command *cmd)
{
	struct store_context *ctx = cmd->context;
	struct client *client = cmd->client;
	bool condstore = (client->enabled & CLIENT_ENABLED_CONDSTORE) != 0;
	string_t *line = str_new(cmd->pool, 256);

	if (!ctx->silent || condstore) {
		while (ctx->pos < ctx->count) {
			unsigned int seq = ctx->seqs[ctx->pos];
			const struct mail_record *rec;

			if (client_output_wait(client,
					       IMAP_CLIENT_OUTPUT_RESERVE))
				return false;
			rec = mailbox_get(client->box, seq);
			str_clear(line);
			str_printfa(line, "%u FETCH (", seq);
			if (cmd->uid)
				str_printfa(line, "UID %u ", rec->uid);
			if (condstore)
				str_printfa(line, "MODSEQ (%llu) ",
					    (unsigned long long)rec->modseq);
			if (!ctx->silent) {
				str_append(line, "FLAGS ");
				imap_write_flags(
				    line, client->box, rec,
				    (client->enabled &
				     CLIENT_ENABLED_IMAP4REV2) == 0 &&
					mailbox_is_recent(client->box,
							  rec->uid));
			} else {
				str_truncate(line, str_len(line) - 1);
			}
			str_append_c(line, ')');
			client_send_untagged(client, "%s", str_c(line));
			ctx->pos++;
		}
	}
	client_command_reply(cmd, ctx->reply);
	return true;
}

bool cmd_store(struct client_command *cmd)
{
	struct client *client = cmd->client;
	struct mailbox *box = client->box;
	const struct imap_arg *args = cmd->args, *list;
	struct store_context *ctx;
	struct imap_seqset set;
	struct cmd_msgset_iter iter;
	enum mail_modify modify;
	enum mail_flags flags = 0;
	const char *keywords[STORE_MAX_KEYWORDS + 1];
	unsigned int kw_count = 0, list_count, modified_count = 0, count, seq;
	uint32_t kw_mask = 0, *modified;
	uint64_t unchangedsince = 0;
	bool uid_set, have_unchangedsince = false;
	const char *item, *error;
	string_t *reply;

	if (cmd->context != NULL)
		return store_report(cmd);

	if (cmd_get_msgset(cmd, &args[0], &set, &uid_set) < 0)
		return true;
	args++;
	if (imap_arg_get_list(&args[0], &list, &list_count)) {
		/* RFC 7162 section 3.1.3: (UNCHANGEDSINCE mod-sequence) */
		const char *name, *value;

		if (list_count != 2 || !imap_arg_get_atom(&list[0], &name) ||
		    strcasecmp(name, "UNCHANGEDSINCE") != 0 ||
		    !imap_arg_get_atom(&list[1], &value) ||
		    str_to_uint64(value, &unchangedsince) < 0 ||
		    unchangedsince > INT64_MAX) {
			client_command_bad(cmd, "Invalid STORE modifiers");
			return true;
		}
		have_unchangedsince = true;
		args++;
	}
	if (!imap_arg_get_atom(&args[0], &item)) {
		client_command_bad(cmd, "Invalid arguments");
		return true;
	}
	ctx = p_new(cmd->pool, struct store_context, 1);
	if (item[0] == '+') {
		modify = MAIL_MODIFY_ADD;
		item++;
	} else if (item[0] == '-') {
		modify = MAIL_MODIFY_REMOVE;
		item++;
	} else {
		modify = MAIL_MODIFY_REPLACE;
	}
	if (strcasecmp(item, "FLAGS.SILENT") == 0) {
		ctx->silent = true;
	} else if (strcasecmp(item, "FLAGS") != 0) {
		client_command_bad(cmd, "Invalid arguments");
		return true;
	}
	args++;
	/* a flag list, or flags without parentheses (RFC 3501 store-att-
	 * flags) */
	if (imap_arg_get_list(&args[0], &list, &list_count)) {
		if (args[1].type != IMAP_ARG_EOL) {
			client_command_bad(cmd, "Invalid arguments");
			return true;
		}
	} else {
		list = args;
		for (list_count = 0; list[list_count].type != IMAP_ARG_EOL;
		     list_count++)
			;
		if (list_count == 0) {
			client_command_bad(cmd, "Invalid arguments");
			return true;
		}
	}
	for (unsigned int i = 0; i < list_count; i++) {
		const char *flag;

		if (!imap_arg_get_atom(&list[i], &flag)) {
			client_command_bad(cmd, "Invalid flag");
			return true;
		}
		if (!store_parse_flag(cmd, flag, &flags, keywords, &kw_count))
			return true;
	}
	keywords[kw_count] = NULL;
	if (client->box_readonly) {
		/* EXAMINE: nothing changes; Dovecot's answer */
		client_command_reply(
		    cmd, "OK Store ignored with read-only mailbox.");
		return true;
	}
	if (!imap_cmd_keywords_fit(client, keywords)) {
		/* Dovecot's mail_max_keyword_length, also when removing */
		client_command_no(cmd, "CANNOT",
				  IMAP_CMD_ERRSTR_KEYWORD_TOO_LONG);
		return true;
	}
	if (kw_count > 0 && mailbox_keywords_to_mask(
				box, keywords, modify != MAIL_MODIFY_REMOVE,
				&kw_mask, &error) < 0) {
		/* RFC 5530 section 3: the 27th keyword of a Maildir is
		 * [LIMIT]; an invalid one is answered as it is */
		client_command_no(cmd,
				  mailbox_error_get_kind(error) ==
					  MAILBOX_ERROR_LIMIT
				      ? "LIMIT"
				      : NULL,
				  error);
		return true;
	}
	if (have_unchangedsince)
		cmd_enable_condstore(client);

	count = mailbox_count(box);
	ctx->seqs = p_new(cmd->pool, unsigned int, count + 1);
	modified = p_new(cmd->pool, uint32_t, count + 1);
	cmd_msgset_iter_init(&iter, box, &set, uid_set);
	while (cmd_msgset_iter_next(&iter, &seq)) {
		const struct mail_record *rec;

		rec = mailbox_get(box, seq);
		if (have_unchangedsince && rec->modseq > unchangedsince) {
			modified[modified_count++] = uid_set ? rec->uid : seq;
			continue;
		}
		if (mailbox_update_flags(box, seq, modify, flags, kw_mask,
					 &error) < 0) {
			/* expunged meanwhile: the next sync reports it */
			continue;
		}
		ctx->seqs[ctx->count++] = seq;
	}

	if (modified_count > 0) {
		/* RFC 7162 section 3.1.3: [MODIFIED set] of the messages
		 * that failed UNCHANGEDSINCE (UIDs for UID STORE) */
		reply = str_new(cmd->pool, 128);
		str_append(reply, "OK [MODIFIED ");
		imap_uid_list_append(reply, modified, modified_count);
		str_append(reply, "] Conditional store failed.");
		ctx->reply = str_c(reply);
	} else {
		ctx->reply = "OK Store completed.";
	}
	cmd->context = ctx;
	return store_report(cmd);
}
