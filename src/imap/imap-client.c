/* imap-client.c - IMAP sessions after login: start-up (mail location,
 * namespace, autocreated mailboxes, user+IP limit, the tagged "Logged
 * in"), input parsing with pipelining, command dispatch by state and UID
 * prefix, streamed literals and IDLE's lines.
 *
 * The connection's handlers, the bounded output, the idle timeout, the
 * bad-command counter and the logout line are the session base's
 * (src/mailsvc/mail-session.h), which calls back here for the parsing
 * and the commands. As there, only event handlers destroy a session:
 * anything below them calls client_disconnect(), which only marks it.
 * Mailbox syncing is imap-sync.c; mailbox names are imap-names.c; the
 * commands are cmd-*.c. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "log.h"
#include "ioloop.h"
#include "iostream.h"
#include "var-expand.h"
#include "mailbox.h"
#include "mailbox-list.h"
#include "imap-parser.h"
#include "imap-commands.h"
#include "imap-logout.h"
#include "imap-client.h"

#include <strings.h>

unsigned int imap_clients_count(void)
{
	return mail_sessions_count();
}

void imap_clients_set_empty_callback(void (*callback)(void))
{
	mail_sessions_set_empty_callback(callback);
}

void client_log(struct client *client, enum log_type type, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	mail_session_logv(&client->session, type, fmt, args);
	va_end(args);
}

/* ---- output ---- */

size_t client_output_free(const struct client *client)
{
	return mail_session_output_free(&client->session);
}

unsigned char *client_output_reserve(struct client *client, size_t min_size,
				     size_t *size_r)
{
	return mail_session_output_reserve(&client->session, min_size, size_r);
}

void client_output_commit(struct client *client, size_t size)
{
	mail_session_output_commit(&client->session, size);
}

bool client_output_wait(struct client *client, size_t need)
{
	return mail_session_output_wait(&client->session, need);
}

bool client_send_raw(struct client *client, const void *data, size_t size)
{
	return mail_session_send_raw(&client->session, data, size);
}

void client_send_line(struct client *client, const char *line)
{
	mail_session_send_line(&client->session, line);
}

void client_send_untagged(struct client *client, const char *fmt, ...)
{
	string_t *str = str_new(NULL, 128);
	va_list args;

	str_append(str, "* ");
	va_start(args, fmt);
	str_vprintfa(str, fmt, args);
	va_end(args);
	client_send_line(client, str_c(str));
	str_free(&str);
}

/* ---- capability ---- */

/* The post-login capabilities, in Dovecot's order (RFC 3501 section
 * 7.2.1; extensions as listed in the issue). LITERAL+ becomes LITERAL- with
 * imap_literal_minus (RFC 7888 section 4). */
static const char *const client_capabilities[] = {
    "IMAP4rev1",   "IMAP4rev2",	    "SASL-IR",
    "ID",	   "ENABLE",	    "IDLE",
    "UNSELECT",	   "CHILDREN",	    "NAMESPACE",
    "UIDPLUS",	   "LIST-EXTENDED", "CONDSTORE",
    "QRESYNC",	   "ESEARCH",	    "SEARCHRES",
    "LIST-STATUS", "BINARY",	    "MOVE",
    "STATUS=SIZE", "SPECIAL-USE",   "CREATE-SPECIAL-USE",
    "UTF8=ACCEPT",
};

const char *client_capability_string(struct client *client)
{
	const char *setting = client->set->imap_capability;
	string_t *str;

	if (setting != NULL && *setting != '\0' && *setting != '+')
		return setting;
	str = str_new(client->pool, 512);
	for (unsigned int i = 0; i < N_ELEMENTS(client_capabilities); i++) {
		if (i > 0)
			str_append_c(str, ' ');
		str_append(str, client_capabilities[i]);
	}
	str_append(str,
		   client->set->imap_literal_minus ? " LITERAL-" : " LITERAL+");
	str_printfa(str, " APPENDLIMIT=%llu",
		    (unsigned long long)IMAP_CLIENT_APPENDLIMIT);
	if (setting != NULL && *setting == '+' && setting[1] != '\0') {
		str_append_c(str, ' ');
		str_append(str, setting + 1);
	}
	return str_c(str);
}

/* ---- commands ---- */

static void client_command_free(struct client *client)
{
	struct client_command *cmd = client->cmd;

	if (cmd == NULL)
		return;
	client->cmd = NULL;
	client->cmd_finished = false;
	mail_session_command_done(&client->session);
	pool_unref(&cmd->pool);
}

static void client_abort_command(struct client *client)
{
	struct client_command *cmd = client->cmd;

	if (cmd == NULL)
		return;
	if (!client->cmd_finished && cmd->abort != NULL)
		cmd->abort(cmd);
	client->idling = false;
	client->idle_line = NULL;
	client_command_free(client);
}

static void client_bad_counted(struct client *client)
{
	(void)mail_session_bad_command(&client->session);
}

static void client_send_tagged(struct client_command *cmd, const char *text)
{
	struct client *client = cmd->client;
	string_t *str = str_new(cmd->pool, 128);

	str_append(str, cmd->tag);
	str_append_c(str, ' ');
	str_append(str, text);
	client_send_line(client, str_c(str));
	client->cmd_finished = true;
}

void client_command_reply(struct client_command *cmd, const char *text)
{
	struct client *client = cmd->client;

	if (client->box != NULL && !client->session.disconnecting) {
		/* RFC 3501 section 7.4.1 / RFC 9051 section 7.5.1: no
		 * EXPUNGE during FETCH, STORE or SEARCH (without UID), so
		 * nothing is synced that could shift their seqs */
		bool no_expunges = cmd->command != NULL &&
				   (cmd->command->flags &
				    COMMAND_FLAG_NO_EXPUNGE_REPORTS) != 0 &&
				   !cmd->uid;

		if (!no_expunges)
			(void)client_sync_mailbox(client, true);
	}
	client_send_tagged(cmd, text);
	if (strncmp(text, "BAD", 3) != 0)
		client->session.bad_counter = 0;
}

void client_command_bad(struct client_command *cmd, const char *msg)
{
	const char *text =
	    p_strdup_printf(cmd->pool, "BAD Error in IMAP command %s: %s",
			    cmd->name != NULL ? cmd->name : "", msg);

	client_send_tagged(cmd, text);
	client_bad_counted(cmd->client);
}

void client_command_no(struct client_command *cmd, const char *code,
		       const char *text)
{
	if (code != NULL && *code != '\0') {
		client_command_reply(
		    cmd, p_strdup_printf(cmd->pool, "NO [%s] %s", code, text));
	} else {
		client_command_reply(cmd,
				     p_strdup_printf(cmd->pool, "NO %s", text));
	}
}

/* A tagged BAD for a command that never started. */
static void client_send_bad(struct client *client, const char *tag,
			    const char *text)
{
	string_t *str = str_new(NULL, 128);

	str_append(str, tag != NULL && *tag != '\0' ? tag : "*");
	str_append(str, " BAD ");
	str_append(str, text);
	client_send_line(client, str_c(str));
	str_free(&str);
	client_bad_counted(client);
}

/* Looks the command up and checks where it is allowed. Returns the new
 * command, or NULL after answering BAD. */
static struct client_command *
client_command_new(struct client *client, const struct imap_parser_event *ev)
{
	const struct imap_arg *args = ev->args;
	unsigned int args_count = ev->args_count;
	const struct command *command;
	const char *name = ev->name;
	struct client_command *cmd;
	char name_buf[32], text[128];
	bool uid = false;
	pool_t pool;

	if (strcmp(name, "UID") == 0) {
		const char *sub;

		if (args_count == 0 || !imap_arg_get_atom(&args[0], &sub) ||
		    strlen(sub) >= sizeof(name_buf)) {
			client_send_bad(client, ev->tag,
					"Error in IMAP command UID: "
					"Missing command name.");
			return NULL;
		}
		memcpy(name_buf, sub, strlen(sub) + 1);
		name = str_ucase(name_buf);
		args++;
		args_count--;
		uid = true;
	}
	command = command_find(name);
	if (command == NULL ||
	    (uid && (command->flags & COMMAND_FLAG_UID) == 0)) {
		bool logged_in = !uid && (strcmp(name, "LOGIN") == 0 ||
					  strcmp(name, "AUTHENTICATE") == 0 ||
					  strcmp(name, "STARTTLS") == 0);

		/* names are at most max_line_length: cut for the reply */
		snprintf(text, sizeof(text),
			 "Error in IMAP command %s%.64s: %s", uid ? "UID " : "",
			 name,
			 logged_in ? "Already logged in." : "Unknown command.");
		client_send_bad(client, ev->tag, text);
		return NULL;
	}
	if ((command->flags & COMMAND_FLAG_SELECTED) != 0 &&
	    client->state != CLIENT_STATE_SELECTED) {
		client_send_bad(client, ev->tag, "No mailbox selected.");
		return NULL;
	}

	pool = pool_create("imap command", 1024);
	cmd = p_new(pool, struct client_command, 1);
	cmd->client = client;
	cmd->pool = pool;
	cmd->command = command;
	cmd->tag = p_strdup(pool, ev->tag);
	cmd->name = command->name;
	cmd->args = args;
	cmd->args_count = args_count;
	cmd->uid = uid;
	return cmd;
}

static void client_parser_settings(struct client *client,
				   struct imap_parser_settings *set_r)
{
	memset(set_r, 0, sizeof(*set_r));
	set_r->max_line_length = client->set->imap_max_line_length;
	set_r->max_literal_size = IMAP_CLIENT_APPENDLIMIT;
	/* RFC 9051 section 4.3: IMAP4rev2 has LITERAL- semantics */
	set_r->literal_minus =
	    client->set->imap_literal_minus ||
	    (client->enabled & CLIENT_ENABLED_IMAP4REV2) != 0;
	set_r->stream_commands = imap_stream_commands;
}

/* Runs (or continues) the current command; frees it when it finished. */
static void client_command_run(struct client *client)
{
	struct client_command *cmd = client->cmd;
	struct imap_parser_settings pset;

	if (cmd->command->func(cmd) || client->cmd_finished)
		client_command_free(client);
	else if (!client->idling)
		mail_session_command_waits(&client->session);
	client_parser_settings(client, &pset);
	if (pset.literal_minus != client->parser_literal_minus) {
		/* after ENABLE IMAP4rev2 */
		imap_parser_set_settings(client->parser, &pset);
		client->parser_literal_minus = pset.literal_minus;
	}
}

static void client_parse_error(struct client *client,
			       const struct imap_parser_event *ev)
{
	string_t *str = str_new(NULL, 128);

	if (client->cmd != NULL) {
		/* a streamed command broke mid-way: drop it silently */
		client_abort_command(client);
	}
	str_append(str, ev->tag != NULL ? ev->tag : "*");
	str_append(str, ev->no_reply ? " NO " : " BAD ");
	if (ev->resp_code != NULL)
		str_printfa(str, "[%s] ", ev->resp_code);
	if (ev->tag == NULL || ev->name == NULL)
		str_append(str, "Error in IMAP command received by server: ");
	else
		str_printfa(str, "Error in IMAP command %s: ", ev->name);
	str_append(str, ev->error);
	if (str_c(str)[str_len(str) - 1] != '.')
		str_append_c(str, '.');
	client_send_line(client, str_c(str));
	str_free(&str);
	if (!ev->no_reply)
		client_bad_counted(client);
}

/* A literal header of a streamed-literal command (APPEND). */
static void client_literal_begin(struct client *client,
				 const struct imap_parser_event *ev)
{
	enum command_literal_action action;

	if (client->cmd == NULL) {
		client->cmd = client_command_new(client, ev);
		if (client->cmd == NULL) {
			imap_parser_skip_command(client->parser);
			return;
		}
	} else {
		client->cmd->args = ev->args;
		client->cmd->args_count = ev->args_count;
	}
	action = client->cmd->command->literal_begin(client->cmd, ev);
	switch (action) {
	case COMMAND_LITERAL_STREAM:
		break;
	case COMMAND_LITERAL_BUFFER:
		imap_parser_literal_buffer(client->parser);
		break;
	case COMMAND_LITERAL_REFUSE:
		imap_parser_skip_command(client->parser);
		client_command_free(client);
		break;
	}
}

static void client_literal_data(struct client *client,
				const struct imap_parser_event *ev)
{
	struct client_command *cmd = client->cmd;

	if (cmd == NULL)
		return;
	if (!cmd->command->literal_data(cmd, ev->data, ev->size, ev->last)) {
		imap_parser_skip_command(client->parser);
		client_command_free(client);
	}
}

static void client_command_event(struct client *client,
				 const struct imap_parser_event *ev)
{
	if (client->cmd != NULL) {
		/* the streamed command's line is complete */
		client->cmd->args = ev->args;
		client->cmd->args_count = ev->args_count;
	} else {
		client->cmd = client_command_new(client, ev);
		if (client->cmd == NULL)
			return;
	}
	client_command_run(client);
}

/* IDLE: the core reads whole lines and hands them to the command. */
static bool client_idle_input(struct client *client)
{
	const unsigned char *data;
	const unsigned char *lf;
	size_t size, len;
	char *line;

	data = mail_session_input_data(&client->session, &size);
	if (size == 0)
		return false;
	lf = memchr(data, '\n', size);
	if (lf == NULL) {
		if (size > 1024) {
			client_disconnect(client, "Input line too long.",
					  "Input line too long");
		}
		return false;
	}
	len = (size_t)(lf - data);
	line = p_strndup(client->cmd->pool, data,
			 len > 0 && data[len - 1] == '\r' ? len - 1 : len);
	mail_session_input_skip(&client->session, len + 1);
	client->idle_line = line;
	client_command_run(client);
	if (client->cmd != NULL)
		client->idle_line = NULL;
	return true;
}

/* A command is running and input waits for it: it waits for its output,
 * or (APPEND) for a storage thread. Streamed literals and IDLE's DONE are
 * read while their command runs. */
static bool client_command_waiting(const struct client *client)
{
	return client->cmd != NULL && !client->idling &&
	       !imap_parser_has_partial(client->parser);
}

static void client_process_input(struct client *client)
{
	struct imap_parser_event ev;
	enum imap_parse_result ret;
	const unsigned char *data;
	size_t size, used;
	bool leftover;

	while (!client->session.disconnecting) {
		if (client_command_waiting(client))
			break; /* a command waits for its output to drain */
		if (mail_session_input_must_wait(&client->session))
			return;
		if (client->idling) {
			if (!client_idle_input(client))
				break;
			continue;
		}
		leftover = client->session.leftover_size > 0;
		data = mail_session_input_data(&client->session, &size);
		ret = imap_parser_feed(client->parser, data, size, &used, &ev);
		mail_session_input_skip(&client->session, used);
		switch (ret) {
		case IMAP_PARSE_MORE:
			if (used == 0 || (size == used && !leftover))
				goto out;
			break;
		case IMAP_PARSE_ERROR:
			client_parse_error(client, &ev);
			break;
		case IMAP_PARSE_CONTINUE:
			/* RFC 3501 section 7.5 */
			client_send_line(client, "+ OK");
			(void)mail_session_flush(&client->session);
			break;
		case IMAP_PARSE_COMMAND:
			client_command_event(client, &ev);
			break;
		case IMAP_PARSE_LITERAL:
			client_literal_begin(client, &ev);
			break;
		case IMAP_PARSE_LITERAL_DATA:
			client_literal_data(client, &ev);
			break;
		}
	}
out:
	if (client_command_waiting(client))
		mail_session_stop_input(&client->session);
}

/* ---- the session base's callbacks ---- */

static const char *client_stats(struct client *client)
{
	struct imap_logout_stats stats;
	string_t *str = str_new(client->pool, 256);
	const char *error;

	memset(&stats, 0, sizeof(stats));
	stats.input_bytes = client->session.input_bytes;
	stats.output_bytes = client->session.output_bytes;
	stats.deleted = client->deleted_count;
	stats.expunged = client->expunged_count;
	stats.fetch_body_count = client->fetch_count;
	stats.fetch_body_bytes = client->fetch_bytes;
	stats.user = client->session.user;
	stats.session = client->session.session_id;
	if (imap_logout_format(str, client->set->imap_logout_format, &stats,
			       &error) < 0) {
		str_truncate(str, 0);
		str_printfa(str, "in=%llu out=%llu",
			    (unsigned long long)client->session.input_bytes,
			    (unsigned long long)client->session.output_bytes);
	}
	return str_c(str);
}

static const char *imap_session_logout_stats(struct mail_session *session)
{
	return client_stats(session->context);
}

static void imap_session_process_input(struct mail_session *session)
{
	client_process_input(session->context);
}

static bool imap_session_command_running(struct mail_session *session)
{
	const struct client *client = session->context;

	return client->cmd != NULL;
}

static bool imap_session_command_waiting(struct mail_session *session)
{
	return client_command_waiting(session->context);
}

static void imap_session_command_continue(struct mail_session *session)
{
	client_command_run(session->context);
}

/* RFC 2177: IDLE is not inactivity; the command keeps the connection
 * alive with "* OK Still here" */
static bool imap_session_idle_exempt(struct mail_session *session)
{
	const struct client *client = session->context;

	return client->idling;
}

static void imap_session_disconnect(struct mail_session *session)
{
	struct client *client = session->context;

	/* the command may be running now: it is freed by the handler */
	if (client->cmd != NULL && !client->cmd_finished &&
	    client->cmd->abort != NULL) {
		client->cmd->abort(client->cmd);
		client->cmd->abort = NULL;
	}
	client->idling = false;
}

static void imap_session_destroy(struct mail_session *session)
{
	struct client *client = session->context;

	client_abort_command(client);
	if (client->box != NULL)
		mailbox_close(&client->box);
	if (client->list != NULL)
		mailbox_list_deinit(&client->list);
	if (client->parser != NULL)
		imap_parser_destroy(&client->parser);
}

static const struct mail_session_vfuncs imap_session_vfuncs = {
    .name = "imap",
    .max_input = IMAP_CLIENT_MAX_INPUT,
    .max_output = IMAP_CLIENT_MAX_OUTPUT,
    .output_reserve = IMAP_CLIENT_OUTPUT_RESERVE,
    .default_idle_secs = IMAP_CLIENT_DEFAULT_IDLE_SECS,
    .bad_commands_limit = IMAP_CLIENT_MAX_BAD_COMMANDS,
    .bad_commands_line = "* BYE Too many invalid IMAP commands.",
    .bad_commands_reason = "Too many invalid commands.",
    .idle_line = "* BYE Disconnected for inactivity.",
    .shutdown_line = "* BYE Server shutting down.",
    .process_input = imap_session_process_input,
    .command_running = imap_session_command_running,
    .command_waiting = imap_session_command_waiting,
    .command_continue = imap_session_command_continue,
    .idle_exempt = imap_session_idle_exempt,
    .logout_stats = imap_session_logout_stats,
    .disconnect = imap_session_disconnect,
    .destroy = imap_session_destroy,
};

/* ---- session lifetime ---- */

void client_disconnect(struct client *client, const char *bye_text,
		       const char *reason)
{
	const char *line = NULL;

	if (client->session.disconnecting)
		return;
	if (bye_text != NULL)
		line = p_strconcat(client->pool, "* BYE ", bye_text, NULL);
	mail_session_disconnect(&client->session, line, reason);
}

void client_handler_end(struct client *client)
{
	mail_session_handler_end(&client->session);
}

void client_command_wakeup(struct client *client)
{
	mail_session_wakeup(&client->session);
}

void imap_clients_destroy_all(void)
{
	mail_sessions_destroy_all();
}

/* Refuses a session that was never started: "* BYE", a log line, close. */
static void client_refuse(struct client *client, const char *bye,
			  enum log_type type, const char *reason)
{
	mail_session_refuse(&client->session,
			    p_strconcat(client->pool, "* BYE ", bye, NULL),
			    type, reason);
}

/* The namespace holding INBOX (the first one when none says so). */
static const struct namespace_settings *
client_find_namespace(const struct loft_settings *set)
{
	struct namespace_settings *const *ns;
	unsigned int count;

	if (!array_is_created(&set->namespaces))
		return NULL;
	ns = set->namespaces.items;
	count = set->namespaces.count;
	for (unsigned int i = 0; i < count; i++) {
		if (ns[i]->inbox)
			return ns[i];
	}
	return count > 0 ? ns[0] : NULL;
}

static void client_set_autoboxes(struct client *client,
				 const struct namespace_settings *ns)
{
	struct mailbox_settings *const *boxes;
	struct mailbox_autobox *autoboxes;
	const char *error;
	unsigned int count;

	if (ns == NULL || !array_is_created(&ns->mailboxes))
		return;
	boxes = ns->mailboxes.items;
	count = ns->mailboxes.count;
	if (count == 0)
		return;
	autoboxes = p_new(client->pool, struct mailbox_autobox, count);
	for (unsigned int i = 0; i < count; i++) {
		const char *autocreate = boxes[i]->autocreate;

		autoboxes[i].name = boxes[i]->name;
		autoboxes[i].special_use = boxes[i]->special_use;
		if (autocreate != NULL && strcmp(autocreate, "create") == 0)
			autoboxes[i].autocreate = MAILBOX_AUTOCREATE_CREATE;
		else if (autocreate != NULL &&
			 strcmp(autocreate, "subscribe") == 0)
			autoboxes[i].autocreate = MAILBOX_AUTOCREATE_SUBSCRIBE;
	}
	mailbox_list_set_autoboxes(client->list, autoboxes, count);
	if (mailbox_list_autocreate(client->list, &error) < 0) {
		client_log(client, LOG_TYPE_ERROR,
			   "Couldn't autocreate mailboxes: %s", error);
	}
}

/* Opens the user's mailbox list. Returns 0, or -1 after refusing. */
static int client_open_list(struct client *client,
			    const struct mail_session_params *params)
{
	const char *mail = mail_session_userdb_field(params, "mail");
	const struct namespace_settings *ns;
	string_t *location = str_new(client->pool, 256);
	const char *error;

	if (mail == NULL || *mail == '\0')
		mail = client->set->mail_location;
	if (mail == NULL || *mail == '\0') {
		client_refuse(client, IMAP_INTERNAL_ERROR, LOG_TYPE_ERROR,
			      "mail_location not set and userdb didn't "
			      "return mail");
		return -1;
	}
	if (var_expand_login(location, mail, client->session.user, "imap",
			     client->session.remote_ip,
			     client->session.local_ip, client->home,
			     client->session.session_id, &error) < 0) {
		client_refuse(client, IMAP_INTERNAL_ERROR, LOG_TYPE_ERROR,
			      p_strdup_printf(client->pool,
					      "Failed to expand mail location "
					      "%s: %s",
					      mail, error));
		return -1;
	}
	ns = client_find_namespace(client->set);
	/* Dovecot's default for Maildir++ is '.' */
	client->separator =
	    ns != NULL && ns->separator != NULL && ns->separator[0] != '\0'
		? ns->separator[0]
		: '.';
	client->ns_prefix = p_strdup(
	    client->pool, ns != NULL && ns->prefix != NULL ? ns->prefix : "");
	if (mailbox_list_init(str_c(location), client->home, client->separator,
			      &client->list, &error) < 0) {
		client->list = NULL;
		client_refuse(client, IMAP_INTERNAL_ERROR, LOG_TYPE_ERROR,
			      p_strdup_printf(client->pool,
					      "Couldn't open mailbox list: %s",
					      error));
		return -1;
	}
	client->separator = mailbox_list_get_separator(client->list);
	client_set_autoboxes(client, ns);
	return 0;
}

void imap_client_create(int fd, const struct loft_settings *set,
			const struct mail_session_params *params)
{
	struct imap_parser_settings pset;
	struct client *client;
	const char *home;
	string_t *greeting;
	pool_t pool;
	unsigned int limit;

	pool = pool_create("imap client", 2048);
	client = p_new(pool, struct client, 1);
	mail_session_init(&client->session, &imap_session_vfuncs, client, pool,
			  fd, params);
	client->pool = pool;
	client->set = set;
	home = mail_session_userdb_field(params, "home");
	client->home =
	    home != NULL && *home != '\0' ? p_strdup(pool, home) : NULL;

	limit = set->mail_max_userip_connections;
	if (limit > 0 &&
	    mail_sessions_count_user_ip(client->session.user,
					client->session.remote_ip) >= limit) {
		const char *text = p_strdup_printf(
		    pool,
		    "Maximum number of connections from user+IP exceeded "
		    "(mail_max_userip_connections=%u)",
		    limit);

		client_refuse(client, text, LOG_TYPE_INFO,
			      p_strconcat(pool, "Disconnected: ", text, NULL));
		return;
	}
	if (client_open_list(client, params) < 0)
		return;

	client_parser_settings(client, &pset);
	client->parser = imap_parser_create(&pset);
	client->parser_literal_minus = pset.literal_minus;

	greeting = str_new(pool, 512);
	str_append(greeting, params->tag != NULL && *params->tag != '\0'
				 ? params->tag
				 : "*");
	str_printfa(greeting, " OK [CAPABILITY %s] Logged in",
		    client_capability_string(client));
	mail_session_start(&client->session, set->client_idle_timeout_secs,
			   str_c(greeting));
}
