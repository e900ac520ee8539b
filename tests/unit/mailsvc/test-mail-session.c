/* test-mail-session.c - the session base (mail-session.h) with a toy line
 * protocol over a socketpair: the greeting and pipelined leftover, a
 * command whose output is far larger than the output buffer (continued
 * when it drains, also when the client reads only later), input paused
 * while a command waits, the bad-command limit, the idle timeout, EOF,
 * shutdown, refusing, user+IP counting, and the log lines' shapes.
 *
 * The toy protocol: "OUT <n>" answers n bytes of 'x' and "\r\nDONE"
 * ("ROUT <n>" the same, written with mail_session_output_reserve());
 * "STEP <n>" answers one line "step" each time it is called and returns
 * without finishing, n times, then "DONE" (as a command waiting for
 * something other than its output: the flush at the end of the handler
 * drains its line at once, and no flush callback comes); "BAD"
 * is a bad command ("-BAD"); "QUIT" answers "BYE" and disconnects
 * ("Logged out"); anything else is echoed back with "ok ". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "log.h"
#include "ioloop.h"
#include "iostream.h"
#include "mail-session.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#define TOY_MAX_OUTPUT 4096
#define TOY_RESERVE 512

struct toy_client {
	MAIL_SESSION_CLIENT_FIELDS;
	pool_t pool;
	/* the running OUT command: bytes still to send */
	uint64_t out_left;
	unsigned int steps_left;
	bool stepping; /* STEP, else OUT */
	bool reserve;  /* ROUT */
	bool out_running;
	unsigned int destroyed_count;
};

struct test_ctx {
	struct ioloop *ioloop;
	int fd; /* the client's side */
	struct io *io;
	string_t *got;
	const char *until;
	size_t until_size; /* or stop at this many bytes */
	bool eof;
	bool reading;
	struct timeout *to;
	char log_path[64];
	unsigned int destroyed;
};

static struct test_ctx t;

/* ---- the toy protocol ---- */

/* Sends what fits of the running OUT; true when it finished. */
static bool toy_out_continue(struct toy_client *client)
{
	char buf[256];

	memset(buf, 'x', sizeof(buf));
	while (client->reserve && client->out_left > 0) {
		size_t room, n;
		unsigned char *out =
		    mail_session_output_reserve(&client->session, 64, &room);

		if (out == NULL) {
			if (mail_session_output_wait(&client->session, 64))
				return false;
			continue;
		}
		n = client->out_left < room ? client->out_left : room;
		memset(out, 'x', n);
		mail_session_output_commit(&client->session, n);
		client->out_left -= n;
	}
	while (client->out_left > 0) {
		size_t n = client->out_left < sizeof(buf) ? client->out_left
							  : sizeof(buf);

		if (mail_session_output_wait(&client->session, n))
			return false;
		if (!mail_session_send_raw(&client->session, buf, n))
			return true;
		client->out_left -= n;
	}
	if (mail_session_output_wait(&client->session, 8))
		return false;
	mail_session_send_line(&client->session, "\r\nDONE");
	return true;
}

/* One line per call; true when it finished. */
static bool toy_step_continue(struct toy_client *client)
{
	if (client->steps_left == 0) {
		mail_session_send_line(&client->session, "DONE");
		return true;
	}
	client->steps_left--;
	mail_session_send_line(&client->session, "step");
	return false;
}

static void toy_run_out(struct toy_client *client)
{
	bool finished = client->stepping ? toy_step_continue(client)
					 : toy_out_continue(client);

	if (finished) {
		client->out_running = false;
		mail_session_command_done(&client->session);
	} else {
		mail_session_command_waits(&client->session);
	}
}

static void toy_process_input(struct mail_session *session)
{
	struct toy_client *client = session->context;
	const unsigned char *data, *lf;
	size_t size, len;
	char line[128];

	while (!session->disconnecting && !client->out_running) {
		if (mail_session_input_must_wait(session))
			return;
		data = mail_session_input_data(session, &size);
		lf = size == 0 ? NULL : memchr(data, '\n', size);
		if (lf == NULL)
			break;
		len = (size_t)(lf - data);
		if (len > 0 && data[len - 1] == '\r')
			len--;
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, data, len);
		line[len] = '\0';
		mail_session_input_skip(session, (size_t)(lf - data) + 1);

		if (strncmp(line, "STEP ", 5) == 0) {
			client->steps_left =
			    (unsigned int)strtoul(line + 5, NULL, 10);
			client->stepping = true;
			client->out_running = true;
			toy_run_out(client);
		} else if (strncmp(line, "OUT ", 4) == 0 ||
			   strncmp(line, "ROUT ", 5) == 0) {
			client->reserve = line[0] == 'R';
			client->out_left =
			    strtoull(strchr(line, ' ') + 1, NULL, 10);
			client->stepping = false;
			client->out_running = true;
			toy_run_out(client);
		} else if (strcmp(line, "BAD") == 0) {
			mail_session_send_line(session, "-BAD");
			(void)mail_session_bad_command(session);
		} else if (strcmp(line, "QUIT") == 0) {
			mail_session_disconnect(session, "BYE", "Logged out");
		} else {
			char reply[160];

			snprintf(reply, sizeof(reply), "ok %s", line);
			mail_session_send_line(session, reply);
			session->bad_counter = 0;
		}
	}
	if (client->out_running)
		mail_session_stop_input(session);
}

static bool toy_command_running(struct mail_session *session)
{
	struct toy_client *client = session->context;

	return client->out_running;
}

static void toy_command_continue(struct mail_session *session)
{
	toy_run_out(session->context);
}

static const char *toy_logout_stats(struct mail_session *session)
{
	return p_strdup_printf(session->pool, "in=%llu out=%llu",
			       (unsigned long long)session->input_bytes,
			       (unsigned long long)session->output_bytes);
}

static void toy_disconnect(struct mail_session *session)
{
	struct toy_client *client = session->context;

	client->out_running = false;
}

static void toy_destroy(struct mail_session *session)
{
	t.destroyed++;
}

static const struct mail_session_vfuncs toy_vfuncs = {
    .name = "toy",
    .max_input = 1024,
    .max_output = TOY_MAX_OUTPUT,
    .output_reserve = TOY_RESERVE,
    .default_idle_secs = 600,
    .bad_commands_limit = 3,
    .bad_commands_line = "-BYE Too many bad commands.",
    .bad_commands_reason = "Too many bad commands",
    .idle_line = "-BYE Disconnected for inactivity.",
    .shutdown_line = "-BYE Server shutting down.",
    .process_input = toy_process_input,
    .command_running = toy_command_running,
    .command_waiting = toy_command_running,
    .command_continue = toy_command_continue,
    .logout_stats = toy_logout_stats,
    .disconnect = toy_disconnect,
    .destroy = toy_destroy,
};

/* ---- the client side ---- */

static void peer_input(void *context)
{
	char buf[65536];
	ssize_t ret = read(t.fd, buf, sizeof(buf));

	if (ret <= 0) {
		t.eof = true;
		io_remove(&t.io);
		ioloop_stop(t.ioloop);
		return;
	}
	str_append_n(t.got, buf, (size_t)ret);
	if ((t.until != NULL && str_len(t.got) >= strlen(t.until) &&
	     strcmp(str_c(t.got) + str_len(t.got) - strlen(t.until), t.until) ==
		 0) ||
	    (t.until_size > 0 && str_len(t.got) >= t.until_size))
		ioloop_stop(t.ioloop);
}

static void test_timeout(void *context)
{
	ioloop_stop(t.ioloop);
}

static void peer_read(bool enable)
{
	if (enable && t.io == NULL && !t.eof)
		t.io = io_add(t.fd, IO_READ, peer_input, NULL);
	else if (!enable && t.io != NULL)
		io_remove(&t.io);
}

/* Runs the loop for msecs or until until arrived (or EOF). */
static void run_loop(unsigned int msecs)
{
	t.to = timeout_add_once(msecs, test_timeout, NULL, &t.to);
	ioloop_run(t.ioloop);
	if (t.to != NULL)
		timeout_remove(&t.to);
}

/* Sends data and runs the loop until the output ends with until (or EOF,
 * or 5 s). Returns everything received, and forgets it. */
static const char *exchange(const char *data, const char *until)
{
	static char *last = NULL;

	if (data != NULL && *data != '\0')
		assert_int_equal(write(t.fd, data, strlen(data)),
				 (ssize_t)strlen(data));
	t.until = until;
	t.until_size = 0;
	str_truncate(t.got, 0);
	if (!t.eof)
		run_loop(5000);
	free(last);
	last = strdup(str_c(t.got));
	return last;
}

static struct toy_client *toy_create(const char *user, const char *ip,
				     const char *leftover)
{
	struct mail_session_params params;
	struct toy_client *client;
	pool_t pool;
	int sv[2];

	memset(&params, 0, sizeof(params));
	params.user = user;
	params.session_id = "sess1";
	params.remote_ip = ip;
	params.local_ip = "192.0.2.2";
	if (leftover != NULL) {
		params.leftover = (const unsigned char *)leftover;
		params.leftover_size = strlen(leftover);
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (t.fd >= 0)
		i_close_fd(&t.fd);
	if (t.io != NULL)
		io_remove(&t.io);
	t.fd = sv[1];
	t.eof = false;
	fd_set_nonblock(t.fd, true);
	t.io = io_add(t.fd, IO_READ, peer_input, NULL);

	pool = pool_create("toy client", 1024);
	client = p_new(pool, struct toy_client, 1);
	client->pool = pool;
	mail_session_init(&client->session, &toy_vfuncs, client, pool, sv[0],
			  &params);
	return client;
}

static void session_start(const char *leftover)
{
	struct toy_client *client = toy_create("alice", "192.0.2.1", leftover);

	mail_session_start(&client->session, 0, "+hello");
}

/* The log as written since the test began. */
static char *read_log(void)
{
	FILE *f = fopen(t.log_path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	const char *error;
	int fd;

	memset(&t, 0, sizeof(t));
	t.fd = -1;
	t.ioloop = ioloop_create();
	t.got = str_new(NULL, 1024);
	strcpy(t.log_path, "/tmp/test-mail-session-XXXXXX");
	fd = mkstemp(t.log_path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_set_targets(t.log_path, NULL, NULL, &error), 0);
	return 0;
}

static int teardown(void **state)
{
	const char *error;

	mail_sessions_destroy_all();
	if (t.io != NULL)
		io_remove(&t.io);
	if (t.fd >= 0)
		i_close_fd(&t.fd);
	(void)log_set_targets(NULL, NULL, NULL, &error);
	unlink(t.log_path);
	str_free(&t.got);
	ioloop_destroy(&t.ioloop);
	return 0;
}

/* ---- tests ---- */

static void test_greeting_leftover_pipelining(void **state)
{
	session_start("a\r\nb\n");
	assert_string_equal(exchange(NULL, "ok b\r\n"),
			    "+hello\r\nok a\r\nok b\r\n");
	assert_string_equal(exchange("c\r\nd\r\nQUIT\r\n", "BYE\r\n"),
			    "ok c\r\nok d\r\nBYE\r\n");
	assert_string_equal(exchange(NULL, NULL), "");
	assert_true(t.eof);
	assert_int_equal(mail_sessions_count(), 0);
	assert_int_equal(t.destroyed, 1);
	{
		char *log = read_log();

		assert_non_null(strstr(log, "toy(alice)<"));
		assert_non_null(strstr(log, "><sess1>: Info: Disconnected: "
					    "Logged out in=17 out="));
		free(log);
	}
}

/* Output far over the buffer, read by a client that reads at once. */
static void test_large_output(void **state)
{
	const unsigned int size = TOY_MAX_OUTPUT * 50;

	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+hello\r\n");
	/* the command after OUT waits for it */
	(void)exchange("OUT 204800\r\nafter\r\n", "ok after\r\n");
	assert_int_equal(str_len(t.got), size + strlen("\r\nDONE\r\n") +
					     strlen("ok after\r\n"));
	assert_memory_equal(str_c(t.got) + size, "\r\nDONE\r\nok after\r\n",
			    strlen("\r\nDONE\r\nok after\r\n"));
	assert_int_equal(mail_sessions_count(), 1);
}

/* The same written straight into the output buffer; the bytes count for
 * the logout line. */
static void test_large_output_reserved(void **state)
{
	const unsigned int size = TOY_MAX_OUTPUT * 50;

	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+hello\r\n");
	(void)exchange("ROUT 204800\r\nafter\r\n", "ok after\r\n");
	assert_int_equal(str_len(t.got), size + strlen("\r\nDONE\r\n") +
					     strlen("ok after\r\n"));
	assert_memory_equal(str_c(t.got) + size, "\r\nDONE\r\nok after\r\n",
			    strlen("\r\nDONE\r\nok after\r\n"));
	assert_string_equal(exchange("QUIT\r\n", NULL), "BYE\r\n");
	{
		char *log = read_log();

		assert_non_null(strstr(log, "Disconnected: Logged out in=26 "
					    "out=204831\n"));
		free(log);
	}
}

/* A client that reads nothing for a while: the command waits (input is
 * not read meanwhile) and continues once it reads. */
static void test_slow_reader(void **state)
{
	const unsigned int size = TOY_MAX_OUTPUT * 20;

	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+hello\r\n");
	peer_read(false);
	assert_int_equal(write(t.fd, "OUT 81920\r\nafter\r\n", 18), 18);
	run_loop(300);
	assert_int_equal(mail_sessions_count(), 1);
	peer_read(true);
	(void)exchange(NULL, "ok after\r\n");
	assert_int_equal(str_len(t.got), size + strlen("\r\nDONE\r\n") +
					     strlen("ok after\r\n"));
	assert_int_equal(mail_sessions_count(), 1);
}

/* A command that returns unfinished after each line, whose output the
 * handler's own flush drains at once: it is continued from the loop (a
 * stall here waits for the 500 ms safeguard each step, and the exchange
 * gives up after 5 s). */
static void test_continue_after_synchronous_drain(void **state)
{
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+hello\r\n");
	assert_string_equal(exchange("STEP 30\r\nafter\r\n", "ok after\r\n"),
			    "step\r\nstep\r\nstep\r\nstep\r\nstep\r\n"
			    "step\r\nstep\r\nstep\r\nstep\r\nstep\r\n"
			    "step\r\nstep\r\nstep\r\nstep\r\nstep\r\n"
			    "step\r\nstep\r\nstep\r\nstep\r\nstep\r\n"
			    "step\r\nstep\r\nstep\r\nstep\r\nstep\r\n"
			    "step\r\nstep\r\nstep\r\nstep\r\nstep\r\n"
			    "DONE\r\nok after\r\n");
	assert_int_equal(mail_sessions_count(), 1);
}

static void test_bad_commands(void **state)
{
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+hello\r\n");
	/* a good command in between resets the count */
	assert_string_equal(
	    exchange("BAD\r\nBAD\r\ngood\r\nBAD\r\n", "-BAD\r\n"),
	    "-BAD\r\n-BAD\r\nok good\r\n-BAD\r\n");
	assert_int_equal(mail_sessions_count(), 1);
	assert_string_equal(exchange("BAD\r\nBAD\r\nnever\r\n", NULL),
			    "-BAD\r\n-BAD\r\n-BYE Too many bad commands.\r\n");
	assert_true(t.eof);
	assert_int_equal(mail_sessions_count(), 0);
	{
		char *log = read_log();

		assert_non_null(strstr(log, "Info: Disconnected: Too many bad "
					    "commands in="));
		free(log);
	}
}

static void test_idle_timeout(void **state)
{
	struct toy_client *client = toy_create("alice", "192.0.2.1", NULL);

	mail_session_start(&client->session, 1, "+hello");
	assert_string_equal(exchange(NULL, "\r\n"), "+hello\r\n");
	assert_string_equal(exchange(NULL, NULL),
			    "-BYE Disconnected for inactivity.\r\n");
	assert_true(t.eof);
	assert_int_equal(mail_sessions_count(), 0);
	{
		char *log = read_log();

		assert_non_null(
		    strstr(log, "Info: Disconnected for inactivity in=0 out="));
		free(log);
	}
}

static void test_eof(void **state)
{
	session_start(NULL);
	assert_string_equal(exchange("a\r\n", "ok a\r\n"),
			    "+hello\r\nok a\r\n");
	shutdown(t.fd, SHUT_WR);
	assert_string_equal(exchange(NULL, NULL), "");
	assert_true(t.eof);
	assert_int_equal(mail_sessions_count(), 0);
	{
		char *log = read_log();

		assert_non_null(
		    strstr(log, "Info: Disconnected: Connection closed in=3 "));
		free(log);
	}
}

static void test_shutdown_and_counting(void **state)
{
	struct toy_client *refused;

	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+hello\r\n");
	assert_int_equal(mail_sessions_count_user("alice"), 1);
	assert_int_equal(mail_sessions_count_user("bob"), 0);
	assert_int_equal(mail_sessions_count_user_ip("alice", "192.0.2.1"), 1);
	assert_int_equal(mail_sessions_count_user_ip("alice", "192.0.2.9"), 0);
	assert_int_equal(mail_sessions_count_user_ip("alice", NULL), 0);

	/* keep the first session's peer: toy_create() replaces t.fd */
	{
		int first_fd = t.fd;
		struct io *first_io = t.io;

		t.fd = -1;
		t.io = NULL;
		refused = toy_create("alice", "192.0.2.1", NULL);
		mail_session_refuse(&refused->session, "-NO busy",
				    LOG_TYPE_INFO, "Disconnected: busy");
		assert_string_equal(exchange(NULL, NULL), "-NO busy\r\n");
		assert_int_equal(t.destroyed, 1);
		assert_int_equal(mail_sessions_count(), 1);
		io_remove(&t.io);
		i_close_fd(&t.fd);
		t.fd = first_fd;
		t.io = first_io;
		t.eof = false;
	}
	mail_sessions_destroy_all();
	assert_int_equal(mail_sessions_count(), 0);
	assert_string_equal(exchange(NULL, NULL),
			    "-BYE Server shutting down.\r\n");
	{
		char *log = read_log();

		assert_non_null(strstr(log, "Info: Disconnected: busy\n"));
		assert_non_null(strstr(log, "Info: Disconnected: Server "
					    "shutting down in=0 "));
		free(log);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_greeting_leftover_pipelining,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_output_reserved, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_slow_reader, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_continue_after_synchronous_drain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_commands, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eof, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shutdown_and_counting, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
