/* login-proxy.c - after a successful authentication: hand the client to the
 * mail service (base_dir/login/<protocol>) and, for TLS connections, stay
 * in the path shuttling bytes between the TLS stream and a socketpair whose
 * other end the mail service got.
 *
 * A plain connection's fd is passed as it is and the login process forgets
 * it. The hand-off message is login-handoff.h's LOGIN line; the answer is
 * "OK[\t<mail pid>]" or "FAIL\t<reason>". Proxying to other hosts (passdb
 * proxy=y) is not done here. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "ioloop.h"
#include "iostream.h"
#include "net.h"
#include "fdpass.h"
#include "log.h"
#include "login-handoff.h"
#include "login-common.h"

#include <poll.h>
#include <sys/socket.h>

#define HANDOFF_REPLY_MAX 1024
#define HANDOFF_TIMEOUT_MSECS (30 * 1000)
#define PROXY_BUFFER_SIZE (16 * 1024)
#define PROXY_CLOSE_FLUSH_MSECS (5 * 1000)
/* How often a client that reads nothing is checked for a mail side that
 * has hung up meanwhile. */
#define PROXY_STALL_CHECK_MSECS (5 * 1000)

#define HANDOFF_INTERNAL_ERROR                                                 \
	"Internal error occurred. Refer to server log for more information."

struct login_proxy {
	struct login_client *client;
	/* During the hand-off: the connection to the mail service.
	 * While proxying: our end of the socketpair. */
	struct iostream *mail_stream;
	int pair_fd; /* our socketpair end until proxying starts */
	struct timeout *to;
	/* while the client's output is full: proxy_stall_check() */
	struct timeout *to_stall;
	bool proxying;
	bool closing;
};

static void proxy_finish(struct login_proxy *proxy)
{
	login_client_destroy(proxy->client, NULL);
}

void login_proxy_destroy(struct login_proxy **_proxy)
{
	struct login_proxy *proxy = *_proxy;

	*_proxy = NULL;
	if (proxy->to != NULL)
		timeout_remove(&proxy->to);
	if (proxy->to_stall != NULL)
		timeout_remove(&proxy->to_stall);
	if (proxy->mail_stream != NULL)
		iostream_destroy(&proxy->mail_stream);
	i_close_fd(&proxy->pair_fd);
}

static void handoff_fail(struct login_proxy *proxy, const char *client_code,
			 const char *client_text)
{
	struct login_client *client = proxy->client;

	client->binary->client_send_error(client, client_code, client_text);
	login_client_destroy(client,
			     "Disconnected: Hand-off to mail service failed");
}

/* ---- proxying ---- */

static void proxy_pump(struct login_proxy *proxy, struct iostream *src,
		       struct iostream *dst);

static void proxy_client_input(void *context)
{
	struct login_proxy *proxy = context;

	proxy_pump(proxy, proxy->client->stream, proxy->mail_stream);
}

static void proxy_mail_input(void *context)
{
	struct login_proxy *proxy = context;

	proxy_pump(proxy, proxy->mail_stream, proxy->client->stream);
}

static void proxy_close_timeout(void *context)
{
	proxy_finish(context);
}

/* The other side has closed: finish after dst's output has drained. */
static void proxy_drained(void *context)
{
	struct login_proxy *proxy = context;

	if (proxy->closing)
		proxy_finish(proxy);
}

static void proxy_start_closing(struct login_proxy *proxy, struct iostream *dst)
{
	proxy->closing = true;
	iostream_set_input_callback(proxy->client->stream, NULL, NULL);
	iostream_set_input_callback(proxy->mail_stream, NULL, NULL);
	if (iostream_is_closed(dst) || iostream_flush(dst) != 0) {
		proxy_finish(proxy);
		return;
	}
	iostream_set_flush_callback(dst, proxy_drained, proxy);
	proxy->to = timeout_add_once(PROXY_CLOSE_FLUSH_MSECS,
				     proxy_close_timeout, proxy, &proxy->to);
}

/* The client's output has not drained for PROXY_STALL_CHECK_MSECS while
 * the mail side waits for it. The mail side is not read then, so its end of the
 * session (the mail process's inactivity timeout, a disconnect) would go
 * unnoticed and the connection be held for ever: once the mail side has hung
 * up, the proxy ends too, dropping what the client did not read. */
static void proxy_stall_check(void *context)
{
	struct login_proxy *proxy = context;
	struct pollfd pfd = {
	    .fd = iostream_get_fd(proxy->mail_stream),
	    .events = POLLRDHUP,
	};

	if (proxy->closing)
		return;
	if (poll(&pfd, 1, 0) > 0 &&
	    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0)
		proxy_finish(proxy);
}

/* Output drained: src may read again. */
static void proxy_client_output_drained(void *context)
{
	struct login_proxy *proxy = context;

	if (proxy->to_stall != NULL)
		timeout_remove(&proxy->to_stall);
	if (proxy->closing)
		return;
	iostream_set_input_callback(proxy->mail_stream, proxy_mail_input,
				    proxy);
	proxy_pump(proxy, proxy->mail_stream, proxy->client->stream);
}

static void proxy_mail_output_drained(void *context)
{
	struct login_proxy *proxy = context;

	if (proxy->closing)
		return;
	iostream_set_input_callback(proxy->client->stream, proxy_client_input,
				    proxy);
	proxy_pump(proxy, proxy->client->stream, proxy->mail_stream);
}

static void proxy_pump(struct login_proxy *proxy, struct iostream *src,
		       struct iostream *dst)
{
	const unsigned char *data;
	size_t size, used, max, n;
	ssize_t ret;
	int flushed;

	for (;;) {
		ret = iostream_read(src);
		data = iostream_get_data(src, &size);
		if (size == 0)
			break;
		used = iostream_get_output_used(dst);
		max = iostream_get_output_max(dst);
		n = used < max ? MIN_OF(size, max - used) : 0;
		if (n > 0) {
			if (iostream_write(dst, data, n) < 0)
				n = 0;
			else
				iostream_skip(src, n);
		}
		flushed = iostream_flush(dst);
		if (flushed < 0) {
			proxy_finish(proxy);
			return;
		}
		if (n == size)
			break;
		if (flushed == 0) {
			/* dst is full: stop reading src until its flush
			 * callback says it has drained. */
			iostream_set_input_callback(src, NULL, NULL);
			if (src == proxy->mail_stream &&
			    proxy->to_stall == NULL) {
				proxy->to_stall =
				    timeout_add(PROXY_STALL_CHECK_MSECS,
						proxy_stall_check, proxy);
			}
			return;
		}
		/* dst drained within the flush: no flush callback will come,
		 * so copy the rest now */
	}
	if (ret < 0)
		proxy_start_closing(proxy, dst);
}

static void proxy_start(struct login_proxy *proxy)
{
	struct login_client *client = proxy->client;

	proxy->mail_stream = iostream_create(proxy->pair_fd, PROXY_BUFFER_SIZE,
					     PROXY_BUFFER_SIZE);
	proxy->pair_fd = -1;
	proxy->proxying = true;
	iostream_set_input_callback(client->stream, proxy_client_input, proxy);
	iostream_set_input_callback(proxy->mail_stream, proxy_mail_input,
				    proxy);
	iostream_set_flush_callback(client->stream, proxy_client_output_drained,
				    proxy);
	iostream_set_flush_callback(proxy->mail_stream,
				    proxy_mail_output_drained, proxy);
	/* Input the client sent after the login command was handed over as
	 * leftover and skipped; anything newer is pumped from here on. */
	proxy_pump(proxy, client->stream, proxy->mail_stream);
}

/* ---- hand-off ---- */

static void handoff_timeout(void *context)
{
	struct login_proxy *proxy = context;

	i_error("Hand-off to %s timed out (session=<%s>)",
		login_handoff_socket_path, proxy->client->session_id);
	handoff_fail(proxy, "SYS/TEMP", HANDOFF_INTERNAL_ERROR);
}

static void handoff_input(void *context)
{
	struct login_proxy *proxy = context;
	struct login_client *client = proxy->client;
	const char *reason;
	bool too_long;
	string_t *str;
	pid_t mail_pid;
	char *line;
	ssize_t ret;
	int result;

	ret = iostream_read(proxy->mail_stream);
	line = iostream_next_line(proxy->mail_stream, &too_long);
	if (line == NULL) {
		if (too_long) {
			i_error("Hand-off to %s: reply too long (session=<%s>)",
				login_handoff_socket_path, client->session_id);
			handoff_fail(proxy, "SYS/TEMP", HANDOFF_INTERNAL_ERROR);
		} else if (ret < 0) {
			i_error("Hand-off to %s: mail service disconnected: %s "
				"(session=<%s>)",
				login_handoff_socket_path,
				iostream_get_error(proxy->mail_stream),
				client->session_id);
			handoff_fail(proxy, "SYS/TEMP", HANDOFF_INTERNAL_ERROR);
		}
		return;
	}
	result =
	    login_handoff_parse_reply(client->pool, line, &mail_pid, &reason);
	if (result < 0) {
		i_error("Hand-off to %s: %s (session=<%s>)",
			login_handoff_socket_path, reason, client->session_id);
		handoff_fail(proxy, "SYS/TEMP", HANDOFF_INTERNAL_ERROR);
		return;
	}
	if (result == 0) {
		handoff_fail(proxy, NULL, reason);
		return;
	}

	timeout_remove(&proxy->to);
	iostream_destroy(&proxy->mail_stream);
	str = str_new(client->pool, 256);
	str_append(str, "Login: ");
	login_client_append_log_fields(client, str, mail_pid);
	i_info("%s", str_c(str));

	if (!client->tls) {
		/* The mail service owns the connection now. */
		proxy_finish(proxy);
		return;
	}
	proxy_start(proxy);
}

void login_client_handoff(struct login_client *client)
{
	struct login_proxy *proxy;
	struct login_handoff h;
	const unsigned char *leftover;
	size_t leftover_size;
	const char *cookie;
	string_t *line;
	int fd, pass_fd, pair[2];
	ssize_t ret;

	login_client_input_pause(client);
	if (client->to_idle != NULL)
		timeout_remove(&client->to_idle);
	proxy = p_new(client->pool, struct login_proxy, 1);
	proxy->client = client;
	proxy->pair_fd = -1;
	client->proxy = proxy;

	cookie = auth_client_get_cookie(login_auth_client);
	if (cookie == NULL) {
		handoff_fail(proxy, "SYS/TEMP",
			     "Authentication service temporarily unavailable");
		return;
	}
	fd = net_connect_unix(login_handoff_socket_path);
	if (fd < 0) {
		i_error("net_connect_unix(%s) failed: %s",
			login_handoff_socket_path, strerror(errno));
		handoff_fail(proxy, "SYS/TEMP", HANDOFF_INTERNAL_ERROR);
		return;
	}
	if (client->tls) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) <
		    0) {
			i_error("socketpair() failed: %s", strerror(errno));
			i_close_fd(&fd);
			handoff_fail(proxy, "SYS/TEMP", HANDOFF_INTERNAL_ERROR);
			return;
		}
		fd_set_nonblock(pair[0], true);
		proxy->pair_fd = pair[0];
		pass_fd = pair[1];
	} else {
		pair[1] = -1;
		pass_fd = iostream_get_fd(client->stream);
	}

	leftover = iostream_get_data(client->stream, &leftover_size);
	memset(&h, 0, sizeof(h));
	h.auth_pid = getpid();
	h.auth_id = client->auth_id;
	h.cookie = cookie;
	h.session_id = client->session_id;
	h.local_ip = client->local_ip_str;
	h.local_port = client->local_port;
	h.remote_ip = client->remote_ip_str;
	h.remote_port = client->remote_port;
	h.secured = client->secured;
	h.tls = client->tls;
	h.leftover = leftover;
	h.leftover_size = leftover_size;
	h.tag = client->handoff_tag;
	line = str_new(client->pool, 256 + leftover_size * 2);
	login_handoff_encode(&h, line);
	iostream_skip(client->stream, leftover_size);

	proxy->mail_stream =
	    iostream_create(fd, HANDOFF_REPLY_MAX, LOGIN_HANDOFF_MAX_LINE + 16);
	ret = fd_send(fd, pass_fd, str_data(line), str_len(line));
	i_close_fd(&pair[1]);
	if (ret < 0) {
		i_error("fd_send(%s) failed: %s", login_handoff_socket_path,
			strerror(errno));
		handoff_fail(proxy, "SYS/TEMP", HANDOFF_INTERNAL_ERROR);
		return;
	}
	if ((size_t)ret < str_len(line)) {
		if (iostream_write(proxy->mail_stream, str_data(line) + ret,
				   str_len(line) - (size_t)ret) < 0 ||
		    iostream_flush(proxy->mail_stream) < 0) {
			i_error("Hand-off to %s: write failed",
				login_handoff_socket_path);
			handoff_fail(proxy, "SYS/TEMP", HANDOFF_INTERNAL_ERROR);
			return;
		}
	}
	iostream_set_input_callback(proxy->mail_stream, handoff_input, proxy);
	proxy->to = timeout_add_once(HANDOFF_TIMEOUT_MSECS, handoff_timeout,
				     proxy, &proxy->to);
}
