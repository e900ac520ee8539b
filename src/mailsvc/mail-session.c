/* mail-session.c - the session base of the mail services: the connection's
 * handlers (input, flush, idle timer, continuing a waiting command), the
 * bounded output, the session list, the bad-command counter and the
 * disconnect log line (see mail-session.h for the rules). The protocols'
 * parsing and commands are theirs (imap-client.c, pop3-client.c). */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "log.h"
#include "ioloop.h"
#include "iostream.h"
#include "mail-session.h"

#include <stdarg.h>
#include <string.h>

static struct mail_session *sessions = NULL;
static unsigned int sessions_count = 0;
static void (*sessions_empty_callback)(void) = NULL;
static char *base_log_prefix = NULL;

static void session_input(void *context);
static void session_output(void *context);

unsigned int mail_sessions_count(void)
{
	return sessions_count;
}

void mail_sessions_set_empty_callback(void (*callback)(void))
{
	sessions_empty_callback = callback;
}

void mail_session_logv(struct mail_session *session, enum log_type type,
		       const char *fmt, va_list args)
{
	if (base_log_prefix == NULL)
		base_log_prefix = i_strdup(log_get_prefix());
	log_set_prefix(session->log_prefix);
	i_logv(type, fmt, args);
	log_set_prefix(base_log_prefix);
}

void mail_session_log(struct mail_session *session, enum log_type type,
		      const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	mail_session_logv(session, type, fmt, args);
	va_end(args);
}

/* ---- output ---- */

size_t mail_session_output_free(const struct mail_session *session)
{
	size_t used = iostream_get_output_used(session->stream);
	size_t max = iostream_get_output_max(session->stream);

	return used >= max ? 0 : max - used;
}

int mail_session_flush(struct mail_session *session)
{
	int ret;

	if (session->output_error)
		return -1;
	ret = iostream_flush(session->stream);
	if (ret < 0) {
		const char *error = iostream_get_error(session->stream);

		session->output_error = true;
		mail_session_disconnect(session, NULL,
					error != NULL && *error != '\0'
					    ? error
					    : "Connection closed");
	}
	return ret;
}

bool mail_session_output_wait(struct mail_session *session, size_t need)
{
	if (session->output_error || session->disconnecting)
		return true;
	if (mail_session_output_free(session) >= need)
		return false;
	if (mail_session_flush(session) < 0)
		return true;
	return mail_session_output_free(session) < need;
}

bool mail_session_send_raw(struct mail_session *session, const void *data,
			   size_t size)
{
	if (session->output_error)
		return false;
	if (iostream_write(session->stream, data, size) < 0) {
		/* The client does not read what it asked for (every producer
		 * waits for room first): RFC 3501 leaves this to the server;
		 * Dovecot disconnects too. */
		session->output_error = true;
		mail_session_disconnect(session, NULL, "Output buffer full");
		return false;
	}
	session->output_bytes += size;
	return true;
}

void mail_session_send_line(struct mail_session *session, const char *line)
{
	size_t len = strlen(line);

	if (mail_session_output_free(session) < len + 2)
		(void)mail_session_flush(session);
	if (mail_session_send_raw(session, line, len))
		(void)mail_session_send_raw(session, "\r\n", 2);
}

unsigned char *mail_session_output_reserve(struct mail_session *session,
					   size_t min_size, size_t *size_r)
{
	unsigned char *out;

	*size_r = 0;
	if (session->output_error || session->disconnecting)
		return NULL;
	out = iostream_write_reserve(session->stream, min_size, size_r);
	if (out == NULL && iostream_is_closed(session->stream)) {
		/* a closed stream has room but takes nothing: the flush
		 * fails and ends the session */
		(void)mail_session_flush(session);
	}
	return out;
}

void mail_session_output_commit(struct mail_session *session, size_t size)
{
	iostream_write_commit(session->stream, size);
	session->output_bytes += size;
}

/* ---- input ---- */

void mail_session_stop_input(struct mail_session *session)
{
	if (!session->input_paused) {
		iostream_set_input_callback(session->stream, NULL, NULL);
		session->input_paused = true;
	}
}

bool mail_session_input_must_wait(struct mail_session *session)
{
	if (!mail_session_output_wait(session, session->v->output_reserve))
		return false;
	session->output_wait = true;
	mail_session_stop_input(session);
	return true;
}

const unsigned char *mail_session_input_data(struct mail_session *session,
					     size_t *size_r)
{
	if (session->leftover_size > 0) {
		*size_r = session->leftover_size;
		return session->leftover;
	}
	return iostream_get_data(session->stream, size_r);
}

void mail_session_input_skip(struct mail_session *session, size_t count)
{
	if (session->leftover_size > 0) {
		i_assert(count <= session->leftover_size);
		session->leftover += count;
		session->leftover_size -= count;
	} else {
		iostream_skip(session->stream, count);
	}
	session->input_bytes += count;
}

/* ---- lifetime ---- */

/* Frees what the session holds; it is not (or no more) in the list. */
static void session_free(struct mail_session *session)
{
	pool_t pool = session->pool;

	session->v->destroy(session);
	iostream_destroy(&session->stream);
	pool_unref(&pool);
}

static void session_destroy(struct mail_session *session)
{
	i_assert(!session->destroyed);
	session->destroyed = true;

	if (!session->disconnecting)
		mail_session_disconnect(session, NULL, "Connection closed");

	if (session->prev != NULL)
		session->prev->next = session->next;
	else
		sessions = session->next;
	if (session->next != NULL)
		session->next->prev = session->prev;
	sessions_count--;

	if (session->to_idle != NULL)
		timeout_remove(&session->to_idle);
	if (session->to_continue != NULL)
		timeout_remove(&session->to_continue);
	session_free(session);

	if (sessions_count == 0 && sessions_empty_callback != NULL)
		sessions_empty_callback();
}

void mail_session_disconnect(struct mail_session *session,
			     const char *last_line, const char *reason)
{
	const char *stats;

	if (session->disconnecting)
		return;
	session->disconnecting = true;
	if (last_line != NULL && !session->output_error)
		mail_session_send_line(session, last_line);
	stats = session->v->logout_stats(session);
	/* Dovecot's shapes, which fail2ban filters and log habits know:
	 * "Disconnected: Logged out <stats>", "Disconnected for inactivity
	 * <stats>" */
	if (strncmp(reason, "Disconnected", 12) == 0) {
		mail_session_log(session, LOG_TYPE_INFO, "%s %s", reason,
				 stats);
	} else {
		mail_session_log(session, LOG_TYPE_INFO, "Disconnected: %s %s",
				 reason, stats);
	}
	mail_session_stop_input(session);
	/* a command may be running now: the protocol drops its work; the
	 * command itself is freed by the handler */
	if (session->v->disconnect != NULL)
		session->v->disconnect(session);
	if (!session->output_error)
		(void)iostream_flush(session->stream);
}

/* Continues from the loop what a flush callback would have continued
 * (the output drained within a handler's own flush), and as the slow
 * safeguard re-checks a waiting command for room. */
static void session_continue(void *context)
{
	struct mail_session *session = context;

	timeout_remove(&session->to_continue);
	if (session->disconnecting)
		return;
	if (!session->output_wait && !session->v->command_waiting(session))
		return;
	if (mail_session_output_free(session) < session->v->output_reserve) {
		session->to_continue = timeout_add(
		    MAIL_SESSION_OUTPUT_CHECK_MSECS, session_continue, session);
		return;
	}
	session_output(session);
}

void mail_session_handler_end(struct mail_session *session)
{
	int ret;

	if (!session->disconnecting) {
		if (iostream_get_output_used(session->stream) > 0 &&
		    mail_session_flush(session) > 0 &&
		    !session->disconnecting &&
		    (session->output_wait ||
		     session->v->command_waiting(session))) {
			/* The output drained at once, so no flush callback
			 * will come to continue what waits for it: continue
			 * from the loop. */
			if (session->to_continue != NULL)
				timeout_remove(&session->to_continue);
			session->to_continue =
			    timeout_add(0, session_continue, session);
		}
		if (!session->disconnecting) {
			/* waiting for the next command, a session keeps no
			 * stream buffers (only unsent output or unread input
			 * keep theirs) */
			if (!session->v->command_running(session) &&
			    session->leftover_size == 0)
				iostream_release_buffers(session->stream);
			return;
		}
	}
	if (session->output_error || iostream_is_closed(session->stream)) {
		session_destroy(session);
		return;
	}
	ret = iostream_flush(session->stream);
	if (ret != 0)
		session_destroy(session);
	/* else the flush callback comes back here */
}

/* After the output drained or a command finished: parses what is
 * buffered, then reads again (or ends a session whose input is over). */
static void session_resume_input(struct mail_session *session)
{
	session->output_wait = false;
	session->v->process_input(session);
	if (session->disconnecting || session->output_wait ||
	    session->v->command_waiting(session))
		return;
	if (session->input_eof) {
		mail_session_disconnect(session, NULL, "Connection closed");
		return;
	}
	if (session->input_paused) {
		session->input_paused = false;
		iostream_set_input_callback(session->stream, session_input,
					    session);
	}
}

static void session_input(void *context)
{
	struct mail_session *session = context;

	if (session->disconnecting || session->output_wait ||
	    session->v->command_waiting(session)) {
		mail_session_stop_input(session);
		return;
	}
	if (iostream_read(session->stream) < 0) {
		session->input_eof = true;
		mail_session_stop_input(session);
	}
	if (session->to_idle != NULL)
		timeout_reset(session->to_idle);
	session->v->process_input(session);
	/* a command still producing output finishes first: resuming the
	 * input afterwards ends the session */
	if (session->input_eof && !session->disconnecting &&
	    !session->output_wait && !session->v->command_waiting(session)) {
		const char *reason = iostream_get_error(session->stream);

		mail_session_disconnect(session, NULL,
					reason != NULL && *reason != '\0'
					    ? reason
					    : "Connection closed");
	}
	mail_session_handler_end(session);
}

/* The flush callback: the output has drained. */
static void session_output(void *context)
{
	struct mail_session *session = context;

	/* a client reading its responses is not idle */
	if (session->to_idle != NULL)
		timeout_reset(session->to_idle);
	if (session->disconnecting) {
		mail_session_handler_end(session);
		return;
	}
	if (session->v->command_waiting(session) &&
	    mail_session_output_free(session) >= session->v->output_reserve)
		session->v->command_continue(session);
	if (!session->disconnecting && !session->v->command_waiting(session))
		session_resume_input(session);
	mail_session_handler_end(session);
}

void mail_session_wakeup(struct mail_session *session)
{
	session_output(session);
}

static void session_idle_timeout(void *context)
{
	struct mail_session *session = context;

	if (session->disconnecting) {
		session_destroy(session);
		return;
	}
	if (session->v->idle_exempt != NULL && session->v->idle_exempt(session))
		return;
	mail_session_disconnect(session, session->v->idle_line,
				"Disconnected for inactivity");
	mail_session_handler_end(session);
}

void mail_session_command_waits(struct mail_session *session)
{
	if (session->to_continue == NULL) {
		session->to_continue = timeout_add(
		    MAIL_SESSION_OUTPUT_CHECK_MSECS, session_continue, session);
	}
}

void mail_session_command_done(struct mail_session *session)
{
	if (session->to_continue != NULL)
		timeout_remove(&session->to_continue);
}

bool mail_session_bad_command(struct mail_session *session)
{
	if (++session->bad_counter < session->v->bad_commands_limit)
		return false;
	mail_session_disconnect(session, session->v->bad_commands_line,
				session->v->bad_commands_reason);
	return true;
}

void mail_sessions_destroy_all(void)
{
	while (sessions != NULL) {
		struct mail_session *session = sessions;

		if (!session->disconnecting) {
			mail_session_disconnect(session,
						session->v->shutdown_line,
						"Server shutting down");
		}
		session_destroy(session);
	}
}

unsigned int mail_sessions_count_user(const char *user)
{
	unsigned int count = 0;

	for (struct mail_session *s = sessions; s != NULL; s = s->next) {
		if (!s->disconnecting && strcmp(s->user, user) == 0)
			count++;
	}
	return count;
}

unsigned int mail_sessions_count_user_ip(const char *user,
					 const char *remote_ip)
{
	unsigned int count = 0;

	for (struct mail_session *s = sessions; s != NULL; s = s->next) {
		if (s->disconnecting || strcmp(s->user, user) != 0)
			continue;
		if ((s->remote_ip == NULL) != (remote_ip == NULL))
			continue;
		if (remote_ip == NULL || strcmp(s->remote_ip, remote_ip) == 0)
			count++;
	}
	return count;
}

void mail_session_init(struct mail_session *session,
		       const struct mail_session_vfuncs *v, void *context,
		       pool_t pool, int fd,
		       const struct mail_session_params *params)
{
	fd_set_nonblock(fd, true);
	session->v = v;
	session->context = context;
	session->pool = pool;
	session->user = p_strdup(pool, params->user);
	session->session_id = p_strdup(
	    pool, params->session_id == NULL ? "" : params->session_id);
	session->remote_ip = p_strdup(pool, params->remote_ip);
	session->local_ip = p_strdup(pool, params->local_ip);
	session->log_prefix =
	    p_strdup_printf(pool, "%s(%s)<%ld><%s>: ", v->name, session->user,
			    (long)getpid(), session->session_id);
	session->stream = iostream_create(fd, v->max_input, v->max_output);
	if (params->leftover_size > 0) {
		session->leftover =
		    p_memdup(pool, params->leftover, params->leftover_size);
		session->leftover_size = params->leftover_size;
	}
}

void mail_session_refuse(struct mail_session *session, const char *line,
			 enum log_type type, const char *reason)
{
	i_assert(!session->started);
	mail_session_log(session, type, "%s", reason);
	(void)iostream_write_str(session->stream, line);
	(void)iostream_write_str(session->stream, "\r\n");
	(void)iostream_flush(session->stream);
	session_free(session);
}

void mail_session_start(struct mail_session *session, unsigned int idle_secs,
			const char *greeting)
{
	i_assert(!session->started);
	session->started = true;
	session->next = sessions;
	if (sessions != NULL)
		sessions->prev = session;
	sessions = session;
	sessions_count++;

	if (idle_secs == 0)
		idle_secs = session->v->default_idle_secs;
	session->to_idle =
	    timeout_add(idle_secs * 1000, session_idle_timeout, session);
	iostream_set_flush_callback(session->stream, session_output, session);
	iostream_set_input_callback(session->stream, session_input, session);

	mail_session_send_line(session, greeting);
	session->v->process_input(session);
	mail_session_handler_end(session);
}
