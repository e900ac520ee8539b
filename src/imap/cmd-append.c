/* cmd-append.c - APPEND (RFC 3501 section 6.3.11, RFC 9051 section 6.3.12)
 * with APPENDUID (RFC 4315 section 3), APPENDLIMIT (RFC 7889), literal8
 * (RFC 3516 section 4.4) and UTF8 (~{n}) of RFC 6855 section 4.
 *
 * The message literal is streamed (COMMAND_FLAG_STREAM_LITERALS): at its
 * header everything before it is checked - mailbox ([TRYCREATE] when
 * missing), flags, date, size against APPENDLIMIT ([TOOBIG], RFC 7889
 * section 4) - so that a refused APPEND never makes the client send the
 * bytes. Accepted bytes go straight into a file in the mailbox's tmp/
 * (mailbox_save_begin), so memory stays flat; the file is moved into
 * place only when the whole command has arrived. An APPEND that fails or
 * is interrupted (the connection ends mid-literal) removes its tmp file:
 * nothing becomes visible and nothing stays behind.
 *
 * Does not: MULTIAPPEND (RFC 3502) or CATENATE (RFC 4469); a second
 * message in one command is refused with BAD and nothing is saved. */
#include "lib.h"
#include "str.h"
#include "imap-commands.h"
#include "imap-parser.h"
#include "imap-date.h"
#include "imap-list-util.h"
#include "mailbox.h"
#include "mailbox-list.h"

#include <strings.h>

/* Flags and keywords of one APPEND. */
#define APPEND_MAX_KEYWORDS MAILBOX_KEYWORDS_MAX

struct append_context {
	struct mailbox *box; /* client->box or opened here */
	bool box_opened;     /* box is ours to close */
	struct mailbox_save *save;
	enum mail_flags flags;
	const char **keywords; /* NULL-terminated */
	time_t received_time;
	uint64_t size;
	bool literal_done; /* the message's literal was fully received */
	bool failed;	   /* a reply was sent */
	/* the save's fsyncs run in a storage thread */
	bool save_started;
};

static void append_cleanup(struct append_context *ctx)
{
	if (ctx == NULL)
		return;
	mailbox_save_abort(&ctx->save);
	if (ctx->box_opened) {
		mailbox_close(&ctx->box);
		ctx->box_opened = false;
	}
	ctx->box = NULL;
}

static void append_abort(struct client_command *cmd)
{
	append_cleanup(cmd->context);
}

static const struct {
	const char *name;
	enum mail_flags flag;
} system_flags[] = {
    {"\\Answered", MAIL_ANSWERED}, {"\\Flagged", MAIL_FLAGGED},
    {"\\Deleted", MAIL_DELETED},   {"\\Seen", MAIL_SEEN},
    {"\\Draft", MAIL_DRAFT},
};

/* The flag list. Returns NULL, or a text for BAD. */
static const char *parse_flags(struct client_command *cmd,
			       struct append_context *ctx,
			       const struct imap_arg *list, unsigned int count)
{
	unsigned int nkw = 0;

	ctx->keywords = p_new(cmd->pool, const char *, count + 1);
	for (unsigned int i = 0; i < count; i++) {
		const char *flag;
		unsigned int j;

		if (!imap_arg_get_atom(&list[i], &flag))
			return "Flags list contains non-atoms.";
		if (flag[0] != '\\') {
			/* a keyword; the storage checks its characters */
			bool dup = false;

			for (j = 0; j < nkw; j++)
				dup = dup ||
				      strcasecmp(ctx->keywords[j], flag) == 0;
			if (!dup) {
				if (nkw >= APPEND_MAX_KEYWORDS)
					return "Too many keywords";
				ctx->keywords[nkw++] = flag;
			}
			continue;
		}
		for (j = 0; j < N_ELEMENTS(system_flags); j++) {
			if (strcasecmp(flag, system_flags[j].name) == 0)
				break;
		}
		if (j == N_ELEMENTS(system_flags)) {
			/* \Recent cannot be set (RFC 3501 section 2.3.2) */
			char *upper = p_strdup(cmd->pool, flag);

			return p_strdup_printf(cmd->pool,
					       "Invalid system flag %s",
					       str_ucase(upper));
		}
		ctx->flags |= system_flags[j].flag;
	}
	return NULL;
}

/* Checks the arguments before the message literal, which is the last
 * top-level argument or, for UTF8 (~{n}), the only element of the last
 * one. Returns NULL, or a text for BAD. */
static const char *parse_args(struct client_command *cmd,
			      struct append_context *ctx,
			      const struct imap_arg *args, unsigned int count,
			      bool *literal8_r)
{
	const struct imap_arg *list, *msg;
	unsigned int list_count, i = 1;
	const char *str;

	*literal8_r = false;
	if (i < count - 1 && imap_arg_get_list(&args[i], &list, &list_count)) {
		const char *error = parse_flags(cmd, ctx, list, list_count);

		if (error != NULL)
			return error;
		i++;
	}
	if (i < count - 1 && imap_arg_get_string(&args[i], &str)) {
		int tz;

		if (!imap_parse_datetime(str, &ctx->received_time, &tz))
			return "Invalid internal date";
		i++;
	}
	if (i < count - 1 && imap_arg_atom_equals(&args[i], "UTF8")) {
		/* RFC 6855 section 4: UTF8 (literal8) */
		if (!imap_cmd_utf8_names(cmd->client))
			return "UTF8 not enabled";
		i++;
		if (i != count - 1 ||
		    !imap_arg_get_list(&args[i], &list, &list_count) ||
		    list_count != 1 || list[0].type != IMAP_ARG_LITERAL ||
		    !list[0].literal8)
			return "Invalid UTF8 message";
		*literal8_r = true;
		return NULL;
	}
	if (i != count - 1)
		return "Invalid arguments.";
	msg = &args[i];
	if (msg->type != IMAP_ARG_LITERAL)
		return "Invalid arguments.";
	*literal8_r = msg->literal8;
	return NULL;
}

static enum command_literal_action append_refuse_bad(struct client_command *cmd,
						     const char *error)
{
	append_cleanup(cmd->context);
	client_command_bad(cmd, error);
	return COMMAND_LITERAL_REFUSE;
}

static enum command_literal_action append_refuse_no(struct client_command *cmd,
						    const char *code,
						    const char *error)
{
	append_cleanup(cmd->context);
	client_command_no(cmd, code, error);
	return COMMAND_LITERAL_REFUSE;
}

/* A storage failure before the literal: [OVERQUOTA] and the others of
 * imap_cmd_storage_failed(). */
static enum command_literal_action
append_refuse_storage(struct client_command *cmd, const char *storage_name,
		      const char *error)
{
	append_cleanup(cmd->context);
	imap_cmd_storage_failed(
	    cmd, p_strdup_printf(cmd->pool, "APPEND to %s", storage_name),
	    error);
	return COMMAND_LITERAL_REFUSE;
}

enum command_literal_action
cmd_append_literal_begin(struct client_command *cmd,
			 const struct imap_parser_event *ev)
{
	struct client *client = cmd->client;
	struct append_context *ctx = cmd->context;
	const char *name, *storage_name, *error;
	bool literal8;
	int ret;

	if (cmd->args_count <= 1) {
		/* the mailbox name as a literal */
		return COMMAND_LITERAL_BUFFER;
	}
	if (ctx != NULL) {
		/* RFC 3502 MULTIAPPEND is not offered */
		return append_refuse_bad(cmd, "Invalid arguments.");
	}
	ctx = p_new(cmd->pool, struct append_context, 1);
	cmd->context = ctx;
	cmd->abort = append_abort;

	if (!imap_arg_get_astring(&cmd->args[0], &name))
		return append_refuse_bad(cmd, "Invalid arguments.");
	error = parse_args(cmd, ctx, cmd->args, cmd->args_count, &literal8);
	if (error != NULL)
		return append_refuse_bad(cmd, error);
	if (!client_mailbox_name_from_imap(client, name, &storage_name,
					   &error) ||
	    !imap_cmd_mailbox_name_is_valid(client, storage_name, &error))
		return append_refuse_no(cmd, NULL, error);
#ifdef IMAP_CLIENT_APPENDLIMIT
	/* RFC 7889 section 4 */
	if (ev->literal_size > IMAP_CLIENT_APPENDLIMIT)
		return append_refuse_no(cmd, "TOOBIG",
					"Mail size is too large");
#endif
	if (ev->literal_size == 0)
		return append_refuse_no(cmd, NULL,
					"Can't save a zero byte message.");
	ctx->size = ev->literal_size;

	if (client->state == CLIENT_STATE_SELECTED &&
	    strcmp(client->box_name, storage_name) == 0) {
		ctx->box = client->box;
	} else {
		/* only saved to: no sync of a mailbox nobody looks at */
		ret = mailbox_list_open_mailbox_flags(
		    client->list, storage_name, MAILBOX_OPEN_FLAG_NO_SYNC,
		    &ctx->box, &error);
		if (ret == 0) {
			/* RFC 3501 section 6.3.11 */
			append_cleanup(cmd->context);
			imap_cmd_no_such_mailbox(cmd, "TRYCREATE", name);
			return COMMAND_LITERAL_REFUSE;
		}
		if (ret < 0)
			return append_refuse_storage(cmd, storage_name, error);
		ctx->box_opened = true;
	}
	if (!imap_cmd_keywords_fit(client, ctx->keywords)) {
		/* Dovecot's mail_max_keyword_length */
		return append_refuse_no(cmd, "CANNOT",
					IMAP_CMD_ERRSTR_KEYWORD_TOO_LONG);
	}
	if (mailbox_save_begin(ctx->box, &ctx->save, &error) < 0)
		return append_refuse_storage(cmd, storage_name, error);
	return COMMAND_LITERAL_STREAM;
}

bool cmd_append_literal_data(struct client_command *cmd,
			     const unsigned char *data, size_t size, bool last)
{
	struct append_context *ctx = cmd->context;
	const char *error;

	i_assert(ctx != NULL && ctx->save != NULL);
	if (mailbox_save_continue(ctx->save, data, size, &error) < 0) {
		append_cleanup(ctx);
		imap_cmd_storage_failed(cmd, "APPEND", error);
		return false;
	}
	cmd->client->append_bytes += size;
	if (last)
		ctx->literal_done = true;
	return true;
}

/* Answers the APPEND once the save finished (ret 0 with uid) or failed
 * (-1 with error). */
static bool append_finished(struct client_command *cmd,
			    struct append_context *ctx, int ret, uint32_t uid,
			    const char *error)
{
	uint32_t uid_validity;

	if (ret < 0) {
		append_cleanup(ctx);
		if (strncmp(error, "Invalid keyword", 15) == 0) {
			client_command_bad(cmd, error);
			return true;
		}
		imap_cmd_storage_failed(cmd, "APPEND", error);
		return true;
	}
	/* known after the save also when the mailbox was not synced */
	uid_validity = mailbox_get_uid_validity(ctx->box);
	append_cleanup(ctx);
	client_command_reply(cmd, p_strdup_printf(cmd->pool,
						  "OK [APPENDUID %u %u] Append "
						  "completed.",
						  uid_validity, uid));
	return true;
}

/* The storage thread is done with the save: run the command again. */
static void append_save_done(void *context)
{
	struct client_command *cmd = context;

	client_command_wakeup(cmd->client);
}

bool cmd_append(struct client_command *cmd)
{
	struct append_context *ctx = cmd->context;
	const char *error = NULL;
	uint32_t uid = 0;
	const struct imap_arg *last;
	int ret;

	if (ctx != NULL && ctx->save_started) {
		/* called again: by append_save_done() or an output flush */
		if (mailbox_save_is_running(ctx->save))
			return false;
		ret = mailbox_save_finish_result(&ctx->save, &uid, &error);
		return append_finished(cmd, ctx, ret, uid, error);
	}
	if (ctx == NULL || ctx->save == NULL || !ctx->literal_done) {
		/* no message literal at all ("APPEND INBOX") */
		append_cleanup(ctx);
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	/* nothing may follow the message (no MULTIAPPEND) */
	last = &cmd->args[cmd->args_count - 1];
	if (last->type != IMAP_ARG_LITERAL && last->type != IMAP_ARG_LIST) {
		append_cleanup(ctx);
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	/* the message is fsynced (file and directory) before the OK */
	ret = mailbox_save_finish_async(&ctx->save, ctx->flags, ctx->keywords,
					ctx->received_time, append_save_done,
					cmd, &uid, &error);
	if (ret == 0) {
		ctx->save_started = true;
		return false;
	}
	return append_finished(cmd, ctx, ret < 0 ? -1 : 0, uid, error);
}
