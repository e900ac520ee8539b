/* fuzz-pop3-session.c - drives a whole POP3 session with arbitrary client
 * bytes: the input (split into leftover and socket data by the first
 * byte) goes to a session over a socketpair backed by the in-memory
 * mailbox stub, the loop runs until the session has closed, and all
 * output is drained. Finds crashes, leaks and hangs in the state machine
 * (pipelining, RETR streaming, DELE/RSET/QUIT). */
#include "lib.h"
#include "pool.h"
#include "log.h"
#include "ioloop.h"
#include "settings.h"
#include "pop3-client.h"
#include "mailbox-stub.h"

#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char msg1[] = "Subject: one\n\nhello\n.dot\n";
static const char msg2[] = "Subject: two\r\n\r\nl1\r\nl2\r\n";

static struct ioloop *loop;
static int peer_fd;
static struct io *peer_io;

static void peer_input(void *context)
{
	char buf[16384];
	ssize_t ret = read(peer_fd, buf, sizeof(buf));

	if (ret <= 0 && !(ret < 0 && errno == EAGAIN)) {
		io_remove(&peer_io);
		ioloop_stop(loop);
	}
}

static void fuzz_timeout(void *context)
{
	ioloop_stop(loop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct loft_settings set;
	static bool initialized = false;
	struct mail_session_params params;
	struct timeout *to = NULL;
	size_t leftover;
	int sv[2];

	if (!initialized) {
		const char *error;

		(void)log_set_targets("/dev/null", "/dev/null", "/dev/null",
				      &error);
		set.mail_location = "maildir:~/Maildir";
		set.pop3_max_line_length = 128;
		initialized = true;
	}
	if (size == 0 || size > 8192)
		return 0;
	leftover = data[0] % 16;
	data++;
	size--;
	if (leftover > size)
		leftover = size;

	mailbox_stub_reset();
	mailbox_stub_add(msg1, sizeof(msg1) - 1);
	mailbox_stub_add(msg2, sizeof(msg2) - 1);
	loop = ioloop_create();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	peer_fd = sv[1];
	memset(&params, 0, sizeof(params));
	params.user = "fuzz";
	params.session_id = "s";
	params.remote_ip = "192.0.2.1";
	params.leftover = data;
	params.leftover_size = leftover;

	/* all client bytes are in the socket before the session starts */
	if (size > leftover &&
	    write(peer_fd, data + leftover, size - leftover) !=
		(ssize_t)(size - leftover))
		abort();
	(void)shutdown(peer_fd, SHUT_WR);
	fd_set_nonblock(peer_fd, true);
	peer_io = io_add(peer_fd, IO_READ, peer_input, NULL);
	pop3_client_create(sv[0], &set, &params);

	to = timeout_add_once(2000, fuzz_timeout, NULL, &to);
	if (peer_io != NULL)
		ioloop_run(loop);
	if (to != NULL)
		timeout_remove(&to);
	else
		abort(); /* the session did not end: a hang */
	pop3_clients_destroy_all();
	if (peer_io != NULL)
		io_remove(&peer_io);
	close(peer_fd);
	ioloop_destroy(&loop);
	return 0;
}
