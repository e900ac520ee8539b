/* pop3-client.c - POP3 sessions: start-up (mail location, INBOX, session
 * lock, user+IP limit), input processing with pipelining, resumable
 * output, idle timeout, QUIT's UPDATE state and the logout log line.
 *
 * Event handlers (input, flush, timeout) are the only places that destroy
 * a session: anything below them calls client_disconnect(), which only
 * marks the session; the handler destroys it at its end once the last
 * reply is flushed. Commands are in cmd-*.c. */
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

static struct pop3_client *clients = NULL;
static unsigned int clients_count = 0;
static void (*clients_empty_callback)(void) = NULL;
static char *base_log_prefix = NULL;

static void client_input(void *context);
static void client_output(void *context);

unsigned int pop3_clients_count(void)
{
	return clients_count;
}

void pop3_clients_set_empty_callback(void (*callback)(void))
{
	clients_empty_callback = callback;
}

void client_log(struct pop3_client *client, enum log_type type, const char *fmt,
		...)
{
	va_list args;

	if (base_log_prefix == NULL)
		base_log_prefix = i_strdup(log_get_prefix());
	log_set_prefix(client->log_prefix);
	va_start(args, fmt);
	i_logv(type, fmt, args);
	va_end(args);
	log_set_prefix(base_log_prefix);
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
	size_t used = iostream_get_output_used(client->stream);
	size_t max = iostream_get_output_max(client->stream);

	return used >= max ? 0 : max - used;
}

int client_flush(struct pop3_client *client)
{
	int ret;

	if (client->output_error)
		return -1;
	ret = iostream_flush(client->stream);
	if (ret < 0) {
		client->output_error = true;
		client_disconnect(client, iostream_get_error(client->stream));
	}
	return ret;
}

bool client_output_wait(struct pop3_client *client, size_t need)
{
	if (client->output_error)
		return true;
	if (client_output_free(client) >= need)
		return false;
	if (client_flush(client) < 0)
		return true;
	return client_output_free(client) < need;
}

bool client_send_raw(struct pop3_client *client, const void *data, size_t size)
{
	if (client->output_error)
		return false;
	if (iostream_write(client->stream, data, size) < 0) {
		/* every producer checks the room first: this is a bug or
		 * a reply far over the reserve */
		client->output_error = true;
		client_disconnect(client, "Output buffer full");
		return false;
	}
	return true;
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
}

static void client_abort_command(struct pop3_client *client)
{
	if (client->cmd_abort != NULL)
		client->cmd_abort(client);
	client_command_finished(client);
}

static void client_stop_input(struct pop3_client *client)
{
	if (!client->input_paused) {
		iostream_set_input_callback(client->stream, NULL, NULL);
		client->input_paused = true;
	}
}

void client_disconnect(struct pop3_client *client, const char *reason)
{
	if (client->disconnecting)
		return;
	client->disconnecting = true;

	if (strncmp(reason, "Disconnected", 12) == 0) {
		client_log(client, LOG_TYPE_INFO, "%s %s", reason,
			   client_stats(client));
	} else {
		client_log(client, LOG_TYPE_INFO, "Disconnected: %s %s", reason,
			   client_stats(client));
	}
	if (!client->quit_seen)
		(void)client_update_mailbox(client);
	client_stop_input(client);
	if (client->cmd_continue != NULL)
		client_abort_command(client);
	/* Release the mailbox (and its POP3 session lock) before the last
	 * reply leaves, so that a client reconnecting as soon as it reads
	 * "+OK Logging out." is not refused as IN-USE. */
	if (client->to_lock_refresh != NULL)
		timeout_remove(&client->to_lock_refresh);
	if (client->box != NULL)
		mailbox_close(&client->box);
	if (!client->output_error)
		(void)iostream_flush(client->stream);
}

static void client_destroy(struct pop3_client *client)
{
	i_assert(!client->destroyed);
	client->destroyed = true;

	if (!client->disconnecting)
		client_disconnect(client, "Connection closed");
	if (client->cmd_continue != NULL)
		client_abort_command(client);

	if (client->prev != NULL)
		client->prev->next = client->next;
	else
		clients = client->next;
	if (client->next != NULL)
		client->next->prev = client->prev;
	clients_count--;

	if (client->to_idle != NULL)
		timeout_remove(&client->to_idle);
	if (client->to_continue != NULL)
		timeout_remove(&client->to_continue);
	if (client->to_lock_refresh != NULL)
		timeout_remove(&client->to_lock_refresh);
	if (client->box != NULL)
		mailbox_close(&client->box);
	iostream_destroy(&client->stream);
	pool_unref(&client->cmd_pool);
	pool_unref(&client->pool);

	if (clients_count == 0 && clients_empty_callback != NULL)
		clients_empty_callback();
}

static void client_continue(void *context)
{
	struct pop3_client *client = context;

	timeout_remove(&client->to_continue);
	client_output(client);
}

/* Runs at the end of every event handler: destroys a session that is
 * done once its last reply has left (or cannot leave). */
static void client_handler_end(struct pop3_client *client)
{
	int ret;

	if (!client->disconnecting) {
		/* replies go out at the end of every event; a partial
		 * flush continues from the loop */
		if (iostream_get_output_used(client->stream) > 0 &&
		    client_flush(client) > 0 && client->cmd_continue != NULL &&
		    !client->disconnecting && client->to_continue == NULL) {
			/* drained at once: no flush callback will come to
			 * continue the running command */
			client->to_continue =
			    timeout_add(0, client_continue, client);
		}
		if (!client->disconnecting) {
			/* waiting for the next command, an idle session
			 * keeps no stream buffers (only those with unsent
			 * output or unread input stay) */
			if (client->cmd_continue == NULL)
				iostream_release_buffers(client->stream);
			return;
		}
	}
	if (client->output_error || iostream_is_closed(client->stream)) {
		client_destroy(client);
		return;
	}
	ret = iostream_flush(client->stream);
	if (ret != 0)
		client_destroy(client);
	/* else the flush callback comes back here */
}

static void client_bad_command(struct pop3_client *client)
{
	if (++client->bad_counter > POP3_CLIENT_MAX_BAD_COMMANDS) {
		client_send_line(client, "-ERR Too many bad commands.");
		client_disconnect(client, "Too many bad commands");
	}
}

/* Runs the buffered command lines (leftover from the login first) until
 * the input runs out, a command streams, or the output must drain. */
static void client_process_input(struct pop3_client *client)
{
	struct pop3_command cmd;
	const unsigned char *data;
	const char *error;
	size_t size, used;
	bool leftover;
	int ret;

	while (!client->disconnecting && client->cmd_continue == NULL) {
		if (client_output_wait(client, POP3_CLIENT_OUTPUT_RESERVE)) {
			client->output_wait = true;
			client_stop_input(client);
			return;
		}
		leftover = client->leftover_size > 0;
		if (leftover) {
			data = client->leftover;
			size = client->leftover_size;
		} else {
			data = iostream_get_data(client->stream, &size);
		}
		if (size == 0)
			break;
		ret = pop3_parser_feed(client->parser, data, size, &used, &cmd,
				       &error);
		if (leftover) {
			client->leftover += used;
			client->leftover_size -= used;
		} else {
			iostream_skip(client->stream, used);
		}
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
			client->bad_counter = 0;
		if (client->cmd_continue == NULL)
			client_command_finished(client);
	}
	if (client->cmd_continue != NULL)
		client_stop_input(client);
}

static void client_resume_input(struct pop3_client *client)
{
	client->output_wait = false;
	client_process_input(client);
	if (client->disconnecting || client->cmd_continue != NULL ||
	    client->output_wait)
		return;
	if (client->input_eof) {
		client_disconnect(client, "Connection closed");
		return;
	}
	if (client->input_paused) {
		client->input_paused = false;
		iostream_set_input_callback(client->stream, client_input,
					    client);
	}
}

static void client_input(void *context)
{
	struct pop3_client *client = context;
	ssize_t ret;

	if (client->cmd_continue != NULL || client->disconnecting ||
	    client->output_wait) {
		client_stop_input(client);
		return;
	}
	ret = iostream_read(client->stream);
	if (ret < 0) {
		client->input_eof = true;
		client_stop_input(client);
	}
	if (client->to_idle != NULL)
		timeout_reset(client->to_idle);
	client_process_input(client);
	if (client->input_eof && !client->disconnecting &&
	    client->cmd_continue == NULL && !client->output_wait) {
		const char *reason = iostream_get_error(client->stream);

		client_disconnect(client, reason != NULL && *reason != '\0'
					      ? reason
					      : "Connection closed");
	}
	client_handler_end(client);
}

static void client_output(void *context)
{
	struct pop3_client *client = context;

	if (client->to_idle != NULL)
		timeout_reset(client->to_idle);
	if (client->disconnecting) {
		client_handler_end(client);
		return;
	}
	if (client->cmd_continue != NULL) {
		if (client->cmd_continue(client) > 0)
			client_command_finished(client);
	}
	if (client->cmd_continue == NULL && !client->disconnecting)
		client_resume_input(client);
	client_handler_end(client);
}

static void client_idle_timeout(void *context)
{
	struct pop3_client *client = context;

	if (client->disconnecting) {
		client_destroy(client);
		return;
	}
	client_send_line(client, "-ERR Disconnected for inactivity.");
	client_disconnect(client, "Disconnected for inactivity");
	client_handler_end(client);
}

void pop3_clients_destroy_all(void)
{
	while (clients != NULL) {
		struct pop3_client *client = clients;

		if (!client->disconnecting) {
			client_send_line(client, "-ERR Server shutting down.");
			client_disconnect(client, "Server shutting down");
		}
		client_destroy(client);
	}
}

/* Live sessions of user in this process. All sessions of one user are
 * handed to the same worker (pop3-dispatch.c), so this sees them all. */
static unsigned int count_user_sessions(const char *user)
{
	unsigned int count = 0;

	for (struct pop3_client *c = clients; c != NULL; c = c->next) {
		if (!c->disconnecting && strcmp(c->user, user) == 0)
			count++;
	}
	return count;
}

static unsigned int count_user_ip(const char *user, const char *remote_ip)
{
	unsigned int count = 0;

	for (struct pop3_client *c = clients; c != NULL; c = c->next) {
		if (c->disconnecting || strcmp(c->user, user) != 0)
			continue;
		if ((c->remote_ip == NULL) != (remote_ip == NULL))
			continue;
		if (remote_ip == NULL || strcmp(c->remote_ip, remote_ip) == 0)
			count++;
	}
	return count;
}

/* Refuses a session that was never started: one -ERR line, a log line,
 * close. */
static void client_refuse(struct pop3_client *client, const char *reply,
			  enum log_type type, const char *reason)
{
	client_log(client, type, "%s", reason);
	(void)iostream_write_str(client->stream, reply);
	(void)iostream_write_str(client->stream, "\r\n");
	(void)iostream_flush(client->stream);
	if (client->box != NULL)
		mailbox_close(&client->box);
	iostream_destroy(&client->stream);
	pool_unref(&client->cmd_pool);
	pool_unref(&client->pool);
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
	table = var_expand_table_login(client->pool, client->user, "pop3",
				       client->remote_ip, client->local_ip,
				       home, client->session_id);
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
	unsigned int limit, idle_secs;

	fd_set_nonblock(fd, true);
	/* small first blocks: a session that is logged in and idle should
	 * cost little; pools grow when a command needs more */
	pool = pool_create("pop3 client", 1024);
	client = p_new(pool, struct pop3_client, 1);
	client->pool = pool;
	client->cmd_pool = pool_create("pop3 command", 256);
	client->set = set;
	client->user = p_strdup(pool, params->user);
	client->session_id = p_strdup(
	    pool, params->session_id == NULL ? "" : params->session_id);
	client->remote_ip = p_strdup(pool, params->remote_ip);
	client->local_ip = p_strdup(pool, params->local_ip);
	client->log_prefix =
	    p_strdup_printf(pool, "pop3(%s)<%ld><%s>: ", client->user,
			    (long)getpid(), client->session_id);
	client->stream =
	    iostream_create(fd, POP3_CLIENT_MAX_INPUT, POP3_CLIENT_MAX_OUTPUT);
	client->parser = pop3_parser_create(pool, set->pop3_max_line_length);
	if (params->leftover_size > 0) {
		client->leftover =
		    p_memdup(pool, params->leftover, params->leftover_size);
		client->leftover_size = params->leftover_size;
	}

	limit = set->mail_max_userip_connections;
	if (limit > 0 &&
	    count_user_ip(client->user, client->remote_ip) >= limit) {
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
	if (count_user_sessions(client->user) > 0) {
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

	client->next = clients;
	if (clients != NULL)
		clients->prev = client;
	clients = client;
	clients_count++;

	idle_secs = set->client_idle_timeout_secs != 0
			? set->client_idle_timeout_secs
			: POP3_CLIENT_DEFAULT_IDLE_SECS;
	client->to_idle =
	    timeout_add(idle_secs * 1000, client_idle_timeout, client);
	iostream_set_flush_callback(client->stream, client_output, client);
	iostream_set_input_callback(client->stream, client_input, client);

	client_send_line(client, "+OK Logged in.");
	client_process_input(client);
	client_handler_end(client);
}
