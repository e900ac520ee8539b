/* pop3-client.c - POP3 sessions: start-up (mail location, INBOX, session
 * lock, user+IP limit), input processing with pipelining, QUIT's UPDATE
 * state and the logout statistics.
 *
 * The connection's handlers, the bounded output, the idle timeout, the
 * bad-command counter and the logout line are the session base's
 * (src/mailsvc/mail-session.h), which calls back here for the parsing
 * and the commands. As there, only event handlers destroy a session:
 * anything below them calls client_disconnect(), which only marks it.
 * Commands are in cmd-*.c. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "log.h"
#include "ioloop.h"
#include "iostream.h"
#include "var-expand.h"
#include "mailbox.h"
#include "pop3-parser.h"
#include "pop3-commands.h"
#include "pop3-client.h"

unsigned int pop3_clients_count(void)
{
	return mail_sessions_count();
}

void pop3_clients_set_empty_callback(void (*callback)(void))
{
	mail_sessions_set_empty_callback(callback);
}

void client_log(struct pop3_client *client, enum log_type type, const char *fmt,
		...)
{
	va_list args;

	va_start(args, fmt);
	mail_session_logv(&client->session, type, fmt, args);
	va_end(args);
}

const char *client_echo(struct pop3_client *client, const char *text)
{
	size_t i;

	for (i = 0; i < POP3_CLIENT_MAX_ECHO && text[i] != '\0'; i++) {
		unsigned char c = (unsigned char)text[i];

		client->echo_buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	client->echo_buf[i] = '\0';
	return client->echo_buf;
}

size_t client_output_free(const struct pop3_client *client)
{
	return mail_session_output_free(&client->session);
}

unsigned char *client_output_reserve(struct pop3_client *client,
				     size_t min_size, size_t *size_r)
{
	return mail_session_output_reserve(&client->session, min_size, size_r);
}

void client_output_commit(struct pop3_client *client, size_t size)
{
	mail_session_output_commit(&client->session, size);
}

int client_flush(struct pop3_client *client)
{
	return mail_session_flush(&client->session);
}

bool client_output_wait(struct pop3_client *client, size_t need)
{
	return mail_session_output_wait(&client->session, need);
}

bool client_send_raw(struct pop3_client *client, const void *data, size_t size)
{
	return mail_session_send_raw(&client->session, data, size);
}

void client_send_line(struct pop3_client *client, const char *fmt, ...)
{
	char buf[1024];
	va_list args;
	int len;

	va_start(args, fmt);
	len = vsnprintf(buf, sizeof(buf) - 2, fmt, args);
	va_end(args);
	i_assert(len >= 0);
	if ((size_t)len > sizeof(buf) - 3)
		len = (int)(sizeof(buf) - 3);
	buf[len++] = '\r';
	buf[len++] = '\n';
	(void)client_send_raw(client, buf, (size_t)len);
}

bool client_get_msgnum(struct pop3_client *client, const char *args,
		       bool then_space, unsigned int *idx_r,
		       const char **rest_r)
{
	uint64_t num;
	const char *rest;

	switch (pop3_parse_number(args, then_space, UINT32_MAX, &num, &rest)) {
	case POP3_NUMBER_OK:
		break;
	case POP3_NUMBER_INVALID:
		client_send_line(client, "-ERR Invalid message number: %s",
				 client_echo(client, rest));
		return false;
	case POP3_NUMBER_TOO_LARGE:
		client_send_line(client, "-ERR Message number too large: %s",
				 client_echo(client, rest));
		return false;
	case POP3_NUMBER_NOISE:
		client_send_line(client, "-ERR Noise after message number: %s",
				 client_echo(client, rest));
		return false;
	}
	if (num == 0 || num > client->msg_count) {
		client_send_line(client, "-ERR There's no message %u.",
				 (unsigned int)num);
		return false;
	}
	if (client_msg_is_deleted(client, (unsigned int)num - 1)) {
		client_send_line(client, "-ERR Message is deleted.");
		return false;
	}
	*idx_r = (unsigned int)num - 1;
	*rest_r = rest;
	return true;
}

int client_update_mailbox(struct pop3_client *client)
{
	const char *error;
	int ret = 0;

	if (client->box == NULL)
		return 0;
	if (client->seen_count > 0 && !client->set->pop3_no_flag_updates) {
		for (unsigned int i = 0; i < client->msg_count; i++) {
			if ((client->seen[i / 8] & (1u << (i % 8))) == 0)
				continue;
			if (client->quit_seen &&
			    client_msg_is_deleted(client, i))
				continue;
			if (mailbox_add_flags(client->box, i + 1, MAIL_SEEN,
					      &error) < 0) {
				client_log(client, LOG_TYPE_ERROR,
					   "Couldn't add \\Seen to message "
					   "%u: %s",
					   i + 1, error);
			}
		}
	}
	memset(client->seen, 0, (client->msg_count + 7) / 8);
	client->seen_count = 0;

	if (client->quit_seen && client->deleted_count > 0) {
		unsigned int *seqs, n = 0;

		seqs = p_new(client->cmd_pool, unsigned int,
			     client->deleted_count);
		for (unsigned int i = 0; i < client->msg_count; i++) {
			if (client_msg_is_deleted(client, i))
				seqs[n++] = i + 1;
		}
		if (mailbox_expunge_seqs(client->box, seqs, n, &error) < 0) {
			client_log(client, LOG_TYPE_ERROR,
				   "Couldn't expunge messages: %s", error);
			ret = -1;
		}
	}
	return ret;
}

static const char *client_stats(struct pop3_client *client)
{
	return p_strdup_printf(
	    client->pool, "top=%u/%llu, retr=%u/%llu, del=%u/%u, size=%llu",
	    client->top_count, (unsigned long long)client->top_bytes,
	    client->retr_count, (unsigned long long)client->retr_bytes,
	    client->delete_success ? client->deleted_count : 0,
	    client->msg_count, (unsigned long long)client->total_size);
}

static void client_command_finished(struct pop3_client *client)
{
	client->cmd_continue = NULL;
	client->cmd_abort = NULL;
	client->cmd_context = NULL;
	pool_clear(client->cmd_pool);
	mail_session_command_done(&client->session);
}

static void client_abort_command(struct pop3_client *client)
{
	if (client->cmd_abort != NULL)
		client->cmd_abort(client);
	client_command_finished(client);
}

void client_disconnect(struct pop3_client *client, const char *reason)
{
	mail_session_disconnect(&client->session, NULL, reason);
}

static void client_bad_command(struct pop3_client *client)
{
	(void)mail_session_bad_command(&client->session);
}

/* Runs the buffered command lines (leftover from the login first) until
 * the input runs out, a command streams, or the output must drain. */
static void client_process_input(struct pop3_client *client)
{
	struct pop3_command cmd;
	const unsigned char *data;
	const char *error;
	size_t size, used;
	int ret;

	while (!client->session.disconnecting && client->cmd_continue == NULL) {
		if (mail_session_input_must_wait(&client->session))
			return;
		data = mail_session_input_data(&client->session, &size);
		if (size == 0)
			break;
		ret = pop3_parser_feed(client->parser, data, size, &used, &cmd,
				       &error);
		mail_session_input_skip(&client->session, used);
		if (ret == 0)
			continue;
		if (ret < 0) {
			client_send_line(client, "-ERR %s", error);
			client_bad_command(client);
			continue;
		}
		ret = pop3_command_execute(client, cmd.name, cmd.args);
		if (ret < 0)
			client_bad_command(client);
		else
			client->session.bad_counter = 0;
		if (client->cmd_continue == NULL)
			client_command_finished(client);
		else
			mail_session_command_waits(&client->session);
	}
	if (client->cmd_continue != NULL)
		mail_session_stop_input(&client->session);
}

/* ---- the session base's callbacks ---- */

static const char *pop3_session_logout_stats(struct mail_session *session)
{
	return client_stats(session->context);
}

static void pop3_session_process_input(struct mail_session *session)
{
	client_process_input(session->context);
}

static bool pop3_session_command_running(struct mail_session *session)
{
	const struct pop3_client *client = session->context;

	return client->cmd_continue != NULL;
}

static void pop3_session_command_continue(struct mail_session *session)
{
	struct pop3_client *client = session->context;

	if (client->cmd_continue(client) > 0)
		client_command_finished(client);
}

/* Drops the running command and closes INBOX (releasing the POP3
 * session lock). */
static void client_release(struct pop3_client *client)
{
	if (client->cmd_continue != NULL)
		client_abort_command(client);
	if (client->to_lock_refresh != NULL)
		timeout_remove(&client->to_lock_refresh);
	if (client->box != NULL)
		mailbox_close(&client->box);
}

static void pop3_session_disconnect(struct mail_session *session)
{
	struct pop3_client *client = session->context;

	if (!client->quit_seen)
		(void)client_update_mailbox(client);
	/* Release the mailbox (and its POP3 session lock) before the last
	 * reply leaves, so that a client reconnecting as soon as it reads
	 * "+OK Logging out." is not refused as IN-USE. */
	client_release(client);
}

static void pop3_session_destroy(struct mail_session *session)
{
	struct pop3_client *client = session->context;

	client_release(client);
	pool_unref(&client->cmd_pool);
}

static const struct mail_session_vfuncs pop3_session_vfuncs = {
    .name = "pop3",
    .max_input = POP3_CLIENT_MAX_INPUT,
    .max_output = POP3_CLIENT_MAX_OUTPUT,
    .output_reserve = POP3_CLIENT_OUTPUT_RESERVE,
    .default_idle_secs = POP3_CLIENT_DEFAULT_IDLE_SECS,
    /* disconnected after more than POP3_CLIENT_MAX_BAD_COMMANDS */
    .bad_commands_limit = POP3_CLIENT_MAX_BAD_COMMANDS + 1,
    .bad_commands_line = "-ERR Too many bad commands.",
    .bad_commands_reason = "Too many bad commands",
    .idle_line = "-ERR Disconnected for inactivity.",
    .shutdown_line = "-ERR Server shutting down.",
    .process_input = pop3_session_process_input,
    .command_running = pop3_session_command_running,
    /* a POP3 command that is running waits for its output */
    .command_waiting = pop3_session_command_running,
    .command_continue = pop3_session_command_continue,
    .logout_stats = pop3_session_logout_stats,
    .disconnect = pop3_session_disconnect,
    .destroy = pop3_session_destroy,
};

void pop3_clients_destroy_all(void)
{
	mail_sessions_destroy_all();
}

/* Refuses a session that was never started: one -ERR line, a log line,
 * close. */
static void client_refuse(struct pop3_client *client, const char *reply,
			  enum log_type type, const char *reason)
{
	mail_session_refuse(&client->session, reply, type, reason);
}

/* The session lock counts as abandoned when it is not refreshed for a
 * few minutes (as Dovecot's), so a long session touches it regularly. */
static void client_lock_refresh(void *context)
{
	struct pop3_client *client = context;

	if (client->box != NULL &&
	    mailbox_lock_session_refresh(client->box) < 0)
		client_log(client, LOG_TYPE_WARNING,
			   "Couldn't refresh the POP3 session lock");
}

/* Opens INBOX and takes the session's snapshot of it. Returns 0, or -1
 * after refusing the client. */
static int client_open_mailbox(struct pop3_client *client,
			       const struct mail_session_params *params)
{
	const char *mail = mail_session_userdb_field(params, "mail");
	const char *home = mail_session_userdb_field(params, "home");
	const struct var_expand_table *table;
	string_t *location = str_new(client->pool, 256);
	const char *error;
	size_t bitmap_size;
	int ret;

	if (mail == NULL || *mail == '\0')
		mail = client->set->mail_location;
	if (mail == NULL || *mail == '\0') {
		client_refuse(client, "-ERR [SYS/TEMP] " POP3_INTERNAL_ERROR,
			      LOG_TYPE_ERROR,
			      "mail_location not set and userdb didn't "
			      "return mail");
		return -1;
	}
	table = var_expand_table_login(client->pool, client->session.user,
				       "pop3", client->session.remote_ip,
				       client->session.local_ip, home,
				       client->session.session_id);
	if (var_expand(location, mail, table, &error) < 0) {
		client_refuse(client, "-ERR [SYS/TEMP] " POP3_INTERNAL_ERROR,
			      LOG_TYPE_ERROR,
			      p_strdup_printf(client->pool,
					      "Failed to expand mail "
					      "location %s: %s",
					      mail, error));
		return -1;
	}
	/* A POP3 session takes the recent messages (\Recent, RFC 3501
	 * section 2.3.2, which IMAP sessions see) unless it must not change
	 * flags, as Dovecot's does. */
	if (mailbox_open_inbox_flags(str_c(location), home,
				     client->set->pop3_no_flag_updates
					 ? 0
					 : MAILBOX_OPEN_FLAG_TAKE_RECENT,
				     &client->box, &error) < 0) {
		client->box = NULL;
		client_refuse(client, "-ERR [SYS/TEMP] " POP3_INTERNAL_ERROR,
			      LOG_TYPE_ERROR,
			      p_strdup_printf(client->pool,
					      "Couldn't open INBOX: %s",
					      error));
		return -1;
	}
	if (client->set->pop3_lock_session) {
		ret = mailbox_lock_session(client->box, &error);
		if (ret < 0) {
			client_refuse(client,
				      "-ERR [SYS/TEMP] " POP3_INTERNAL_ERROR,
				      LOG_TYPE_ERROR,
				      p_strdup_printf(client->pool,
						      "Couldn't lock POP3 "
						      "session: %s",
						      error));
			return -1;
		}
		if (ret == 0) {
			client_refuse(client,
				      "-ERR [IN-USE] Mailbox is locked "
				      "by another POP3 session.",
				      LOG_TYPE_INFO,
				      "Disconnected: Mailbox is locked by "
				      "another POP3 session");
			return -1;
		}
		client->to_lock_refresh = timeout_add(
		    POP3_LOCK_REFRESH_MSECS, client_lock_refresh, client);
	}

	client->msg_count = mailbox_count(client->box);
	client->msg_sizes =
	    p_new(client->pool, uint64_t, client->msg_count + 1);
	for (unsigned int i = 0; i < client->msg_count; i++) {
		const struct mail_record *rec = mailbox_get(client->box, i + 1);

		client->msg_sizes[i] = rec == NULL ? 0 : rec->virtual_size;
		client->total_size += client->msg_sizes[i];
	}
	bitmap_size = (client->msg_count + 7) / 8 + 1;
	client->deleted = p_malloc(client->pool, bitmap_size);
	client->seen = p_malloc(client->pool, bitmap_size);
	return 0;
}

void pop3_client_create(int fd, const struct loft_settings *set,
			const struct mail_session_params *params)
{
	struct pop3_client *client;
	pool_t pool;
	unsigned int limit;

	/* small first blocks: a session that is logged in and idle should
	 * cost little; pools grow when a command needs more */
	pool = pool_create("pop3 client", 1024);
	client = p_new(pool, struct pop3_client, 1);
	mail_session_init(&client->session, &pop3_session_vfuncs, client, pool,
			  fd, params);
	client->pool = pool;
	client->cmd_pool = pool_create("pop3 command", 256);
	client->set = set;
	client->parser = pop3_parser_create(pool, set->pop3_max_line_length);

	limit = set->mail_max_userip_connections;
	if (limit > 0 &&
	    mail_sessions_count_user_ip(client->session.user,
					client->session.remote_ip) >= limit) {
		client_refuse(client,
			      p_strdup_printf(
				  pool,
				  "-ERR [IN-USE] Maximum number of connections "
				  "from user+IP exceeded "
				  "(mail_max_userip_connections=%u)",
				  limit),
			      LOG_TYPE_INFO,
			      p_strdup_printf(
				  pool,
				  "Disconnected: Maximum number of connections "
				  "from user+IP exceeded "
				  "(mail_max_userip_connections=%u)",
				  limit));
		return;
	}
	/* RFC 1939 section 8: one session at a time holds the maildrop. The
	 * worker refuses a second one of the same user itself; with
	 * pop3_lock_session the Dovecot-compatible lock file is taken as well,
	 * for servers sharing the Maildir. */
	if (mail_sessions_count_user(client->session.user) > 0) {
		client_refuse(client,
			      "-ERR [IN-USE] Mailbox is locked by another "
			      "POP3 session.",
			      LOG_TYPE_INFO,
			      "Disconnected: Mailbox is locked by another "
			      "POP3 session");
		return;
	}
	if (client_open_mailbox(client, params) < 0)
		return;

	mail_session_start(&client->session, set->client_idle_timeout_secs,
			   "+OK Logged in.");
}
