/* test-pop3-session.c - whole POP3 sessions over a socketpair against the
 * in-memory mailbox stub: replies of every command, pipelining, leftover
 * input, DELE/RSET/QUIT and what reaches the storage, bad commands, long
 * lines, and RETR of a large message through the bounded output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "ioloop.h"
#include "settings.h"
#include "pop3-client.h"
#include "mailbox-stub.h"

#include <sys/socket.h>

static const char msg1[] = "Subject: one\n\nhello\n.dot\n";
static const char msg2[] = "Subject: two\r\nX: y\r\n\r\nl1\r\nl2\r\nl3\r\n";
static const char msg3[] = "";

struct test_ctx {
	struct ioloop *ioloop;
	struct loft_settings set;
	int fd; /* the client's side */
	struct io *io;
	string_t *got;
	const char *until;
	bool eof;
	struct timeout *to;
};

static struct test_ctx t;

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
	if (t.until != NULL && str_len(t.got) >= strlen(t.until) &&
	    strcmp(str_c(t.got) + str_len(t.got) - strlen(t.until), t.until) ==
		0)
		ioloop_stop(t.ioloop);
}

static void test_timeout(void *context)
{
	ioloop_stop(t.ioloop);
}

/* Sends data and runs the loop until the output ends with until (or EOF,
 * or 5 s). Returns everything received, and forgets it. */
static const char *exchange_wait(const char *data, const char *until,
				 unsigned int msecs)
{
	static char *last = NULL;

	if (data != NULL && *data != '\0')
		assert_int_equal(write(t.fd, data, strlen(data)),
				 (ssize_t)strlen(data));
	t.until = until;
	str_clear(t.got);
	if (!t.eof) {
		t.to = timeout_add_once(msecs, test_timeout, NULL, &t.to);
		ioloop_run(t.ioloop);
		if (t.to != NULL)
			timeout_remove(&t.to);
	}
	free(last);
	last = strdup(str_c(t.got));
	return last;
}

static const char *exchange(const char *data, const char *until)
{
	return exchange_wait(data, until, 5000);
}

static void session_start(const char *leftover)
{
	struct mail_session_params params;
	const char *fields[] = {"home=/home/alice", NULL};
	int sv[2];

	memset(&params, 0, sizeof(params));
	params.user = "alice";
	params.session_id = "sess1";
	params.remote_ip = "192.0.2.1";
	params.local_ip = "192.0.2.2";
	params.userdb_fields = fields;
	if (leftover != NULL) {
		params.leftover = (const unsigned char *)leftover;
		params.leftover_size = strlen(leftover);
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t.fd = sv[1];
	t.eof = false;
	fd_set_nonblock(t.fd, true);
	t.io = io_add(t.fd, IO_READ, peer_input, NULL);
	pop3_client_create(sv[0], &t.set, &params);
}

static void session_end(void)
{
	if (t.io != NULL)
		io_remove(&t.io);
	i_close_fd(&t.fd);
	/* let the server side notice */
	(void)exchange_wait(NULL, NULL, 100);
	pop3_clients_destroy_all();
}

static int setup(void **state)
{
	memset(&t, 0, sizeof(t));
	t.ioloop = ioloop_create();
	t.set.pool = pool_create("settings", 256);
	t.set.mail_location = "maildir:~/Maildir";
	t.got = str_new(NULL, 1024);
	mailbox_stub_reset();
	mailbox_stub_add(msg1, sizeof(msg1) - 1);
	mailbox_stub_add(msg2, sizeof(msg2) - 1);
	mailbox_stub_add(msg3, sizeof(msg3) - 1);
	return 0;
}

static int teardown(void **state)
{
	pop3_clients_destroy_all();
	str_free(&t.got);
	pool_unref(&t.set.pool);
	ioloop_destroy(&t.ioloop);
	return 0;
}

/* Size with CR LF line endings: msg1 has 4 LFs, msg2 is already CRLF. */
#define MSG1_SIZE (sizeof(msg1) - 1 + 4)
#define MSG2_SIZE (sizeof(msg2) - 1)

struct reply_case {
	const char *command;
	const char *reply;
};

static const struct reply_case reply_cases[] = {
    {"STAT\r\n", "+OK 3 63\r\n"},
    {"LIST\r\n", "+OK 3 messages:\r\n1 29\r\n2 34\r\n3 0\r\n.\r\n"},
    {"LIST 2\r\n", "+OK 2 34\r\n"},
    {"LIST 4\r\n", "-ERR There's no message 4.\r\n"},
    {"LIST 0\r\n", "-ERR There's no message 0.\r\n"},
    {"LIST x\r\n", "-ERR Invalid message number: x\r\n"},
    {"LIST 1x\r\n", "-ERR Noise after message number: x\r\n"},
    {"LIST 99999999999\r\n", "-ERR Message number too large: 99999999999\r\n"},
    {"RETR\r\n", "-ERR Invalid message number: \r\n"},
    {"RETR 1\r\n", "+OK 29 octets\r\nSubject: one\r\n\r\nhello\r\n"
		   "..dot\r\n.\r\n"},
    {"retr 3\r\n", "+OK 0 octets\r\n.\r\n"},
    {"TOP 2 0\r\n", "+OK\r\nSubject: two\r\nX: y\r\n\r\n.\r\n"},
    {"TOP 2 2\r\n", "+OK\r\nSubject: two\r\nX: y\r\n\r\nl1\r\nl2\r\n.\r\n"},
    {"TOP 2\r\n", "-ERR Noise after message number: \r\n"},
    {"TOP 2 x\r\n", "-ERR Invalid size: x\r\n"},
    {"UIDL\r\n", "+OK\r\n1 00000064000004D2\r\n2 00000065000004D2\r\n"
		 "3 00000066000004D2\r\n.\r\n"},
    {"UIDL 2\r\n", "+OK 2 00000065000004D2\r\n"},
    {"NOOP\r\n", "+OK\r\n"},
    {"CAPA\r\n", "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
		 "PIPELINING\r\nAUTH-RESP-CODE\r\n.\r\n"},
    {"LAST\r\n", "-ERR Unknown command: LAST\r\n"},
    {"USER x\r\n", "-ERR Unknown command: USER\r\n"},
    {"x\x01y\r\n", "-ERR Unknown command: X?Y\r\n"},
};

static void test_replies(void **state)
{
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+OK Logged in.\r\n");
	for (unsigned int i = 0; i < N_ELEMENTS(reply_cases); i++) {
		const struct reply_case *rc = &reply_cases[i];
		size_t len = strlen(rc->reply);
		const char *until =
		    len >= 5 && strcmp(rc->reply + len - 5, "\r\n.\r\n") == 0
			? "\r\n.\r\n"
			: "\r\n";

		assert_string_equal(exchange(rc->command, until), rc->reply);
	}
	session_end();
	/* RETR 1 and 3 were retrieved: \Seen added at the end */
	assert_true((mailbox_stub_flags(1) & MAIL_SEEN) != 0);
	assert_true((mailbox_stub_flags(2) & MAIL_SEEN) == 0);
	assert_true((mailbox_stub_flags(3) & MAIL_SEEN) != 0);
	assert_int_equal(mailbox_stub.expunge_count, 0);
}

static void test_dele_rset_quit(void **state)
{
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+OK Logged in.\r\n");
	assert_string_equal(exchange("DELE 1\r\n", "\r\n"),
			    "+OK Marked to be deleted.\r\n");
	assert_string_equal(exchange("DELE 1\r\n", "\r\n"),
			    "-ERR Message is deleted.\r\n");
	assert_string_equal(exchange("RETR 1\r\n", "\r\n"),
			    "-ERR Message is deleted.\r\n");
	assert_string_equal(exchange("STAT\r\n", "\r\n"), "+OK 2 34\r\n");
	assert_string_equal(exchange("LIST\r\n", "\r\n.\r\n"),
			    "+OK 2 messages:\r\n2 34\r\n3 0\r\n.\r\n");
	assert_string_equal(exchange("UIDL\r\n", "\r\n.\r\n"),
			    "+OK\r\n2 00000065000004D2\r\n"
			    "3 00000066000004D2\r\n.\r\n");
	assert_string_equal(exchange("RSET\r\n", "\r\n"), "+OK\r\n");
	assert_string_equal(exchange("STAT\r\n", "\r\n"), "+OK 3 63\r\n");
	assert_string_equal(exchange("DELE 2\r\nDELE 3\r\n",
				     "d.\r\n+OK Marked to be deleted.\r\n"),
			    "+OK Marked to be deleted.\r\n"
			    "+OK Marked to be deleted.\r\n");
	assert_string_equal(exchange("QUIT\r\n", "\r\n"),
			    "+OK Logging out, messages deleted.\r\n");
	assert_string_equal(exchange(NULL, NULL), "");
	assert_true(t.eof);
	assert_false(mailbox_stub.expunged[0]);
	assert_true(mailbox_stub.expunged[1]);
	assert_true(mailbox_stub.expunged[2]);
	session_end();
	assert_int_equal(pop3_clients_count(), 0);
	assert_int_equal(mailbox_stub.close_count, 1);
}

static void test_no_quit_no_expunge(void **state)
{
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+OK Logged in.\r\n");
	assert_string_equal(exchange("DELE 1\r\n", "\r\n"),
			    "+OK Marked to be deleted.\r\n");
	session_end();
	assert_int_equal(mailbox_stub.expunge_count, 0);
	assert_int_equal(pop3_clients_count(), 0);
}

static void test_quit_expunge_fails(void **state)
{
	mailbox_stub.fail_expunge = true;
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+OK Logged in.\r\n");
	assert_string_equal(exchange("DELE 1\r\nQUIT\r\n",
				     "\r\n-ERR"
				     " [SYS/TEMP] Internal error occurred. "
				     "Refer to server log for more "
				     "information.\r\n"),
			    "+OK Marked to be deleted.\r\n"
			    "-ERR [SYS/TEMP] Internal error occurred. "
			    "Refer to server log for more information.\r\n");
	session_end();
	assert_int_equal(mailbox_stub.expunge_count, 0);
}

static void test_quit_plain(void **state)
{
	session_start(NULL);
	assert_string_equal(exchange("QUIT\r\n", "Logging out.\r\n"),
			    "+OK Logged in.\r\n+OK Logging out.\r\n");
	session_end();
}

static void test_pipelining_and_leftover(void **state)
{
	session_start("STAT\r\nLIST 1\r\nNO");
	assert_string_equal(
	    exchange("OP\r\nRETR 2\r\nQUIT\r\n", "Logging out.\r\n"),
	    "+OK Logged in.\r\n+OK 3 63\r\n+OK 1 29\r\n+OK\r\n"
	    "+OK 34 octets\r\nSubject: two\r\nX: y\r\n\r\n"
	    "l1\r\nl2\r\nl3\r\n.\r\n+OK Logging out.\r\n");
	session_end();
}

static void test_bad_commands(void **state)
{
	string_t *cmds = str_new(NULL, 1024), *want = str_new(NULL, 4096);

	for (unsigned int i = 0; i <= POP3_CLIENT_MAX_BAD_COMMANDS; i++) {
		str_append(cmds, "BAD\r\n");
		str_append(want, "-ERR Unknown command: BAD\r\n");
	}
	str_append(cmds, "NOOP\r\n");
	str_append(want, "-ERR Too many bad commands.\r\n");
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+OK Logged in.\r\n");
	assert_string_equal(exchange(str_c(cmds), "commands.\r\n"),
			    str_c(want));
	assert_string_equal(exchange(NULL, NULL), "");
	assert_true(t.eof);
	session_end();
	str_free(&cmds);
	str_free(&want);
}

static void test_long_line(void **state)
{
	string_t *cmd = str_new(NULL, 8192);

	str_append(cmd, "NOOP ");
	for (unsigned int i = 0; i < 5000; i++)
		str_append_c(cmd, 'x');
	str_append(cmd, "\r\nNOOP\r\n");
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+OK Logged in.\r\n");
	assert_string_equal(exchange(str_c(cmd), "+OK\r\n"),
			    "-ERR Input line too long.\r\n+OK\r\n");
	session_end();
	str_free(&cmd);
}

static void test_large_retr(void **state)
{
	string_t *msg = str_new(NULL, 1 << 21), *want = str_new(NULL, 1 << 22);
	const char *got;

	str_append(msg, "Subject: big\n\n");
	for (unsigned int i = 0; str_len(msg) < 1500000; i++)
		str_printfa(msg, "%sline %u of a long message\n",
			    i % 10 == 0 ? "." : "", i);
	mailbox_stub_reset();
	mailbox_stub_add(str_c(msg), str_len(msg));
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+OK Logged in.\r\n");

	got = exchange("RETR 1\r\nNOOP\r\n", "\r\n.\r\n+OK\r\n");
	/* check the body against the filter's rules line by line */
	str_clear(want);
	str_append(want, "Subject: big\r\n\r\n");
	for (const char *p = str_c(msg) + 14; *p != '\0';) {
		const char *lf = strchr(p, '\n');

		if (*p == '.')
			str_append_c(want, '.');
		str_append_n(want, p, (size_t)(lf - p));
		str_append(want, "\r\n");
		p = lf + 1;
	}
	str_append(want, ".\r\n+OK\r\n");
	assert_true(strncmp(got, "+OK ", 4) == 0);
	got = strstr(got, "\r\n") + 2;
	assert_string_equal(got, str_c(want));
	session_end();
	str_free(&msg);
	str_free(&want);
}

/* The client goes away in the middle of a large RETR: the session ends
 * (it neither hangs nor spins on the closed stream). */
static void test_retr_peer_closes(void **state)
{
	string_t *msg = str_new(NULL, 1 << 21);
	char buf[4096];

	str_append(msg, "Subject: big\n\n");
	while (str_len(msg) < 1500000)
		str_append(msg, "a line of a long message\n");
	mailbox_stub_reset();
	mailbox_stub_add(str_c(msg), str_len(msg));
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+OK Logged in.\r\n");
	assert_int_equal(pop3_clients_count(), 1);
	/* take the reply's start, then stop reading and leave */
	io_remove(&t.io);
	assert_int_equal(write(t.fd, "RETR 1\r\n", 8), 8);
	(void)exchange_wait(NULL, NULL, 50);
	assert_true(read(t.fd, buf, sizeof(buf)) > 0);
	i_close_fd(&t.fd);
	for (unsigned int i = 0; i < 50 && pop3_clients_count() > 0; i++)
		(void)exchange_wait(NULL, NULL, 20);
	assert_int_equal(pop3_clients_count(), 0);
	str_free(&msg);
}

static void test_refusals(void **state)
{
	mailbox_stub.fail_open = true;
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"),
			    "-ERR [SYS/TEMP] Internal error occurred. Refer "
			    "to server log for more information.\r\n");
	session_end();
	assert_int_equal(pop3_clients_count(), 0);

	mailbox_stub.fail_open = false;
	mailbox_stub.locked = true;
	t.set.pop3_lock_session = true;
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"),
			    "-ERR [IN-USE] Mailbox is locked by another POP3 "
			    "session.\r\n");
	session_end();
	t.set.pop3_lock_session = false;
	mailbox_stub.locked = false;

	t.set.mail_max_userip_connections = 1;
	session_start(NULL);
	assert_string_equal(exchange(NULL, "\r\n"), "+OK Logged in.\r\n");
	{
		int first_fd = t.fd;
		struct io *first_io = t.io;

		t.io = NULL;
		session_start(NULL);
		assert_string_equal(exchange(NULL, "\r\n"),
				    "-ERR [IN-USE] Maximum number of "
				    "connections from user+IP exceeded "
				    "(mail_max_userip_connections=1)\r\n");
		io_remove(&t.io);
		i_close_fd(&t.fd);
		t.fd = first_fd;
		t.io = first_io;
	}
	session_end();
	t.set.mail_max_userip_connections = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_replies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dele_rset_quit, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_no_quit_no_expunge, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_quit_expunge_fails, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_quit_plain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pipelining_and_leftover, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_commands, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_retr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retr_peer_closes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
