/* test-iostream.c - buffered streams over a socketpair: line splitting
 * fed all at once and one byte at a time, too-long lines with skip_line,
 * partial writes with small socket buffers and the flush callback, and a
 * TLS handshake plus echo between two streams in one ioloop using a
 * throw-away self-signed certificate, a greeting written before the
 * handshake that must go out when a read finishes the handshake, and
 * plaintext OpenSSL holds after a read outside the input callback. */
#include "lib.h"
#include "ioloop.h"
#include "iostream.h"
#include "tls.h"
#include "str.h"

#include <setjmp.h>
#include <cmocka.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static void make_pair(int fds[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	fd_set_nonblock(fds[0], true);
	fd_set_nonblock(fds[1], true);
}

/* ---- line reading ---- */

static const struct {
	const char *input;
	const char *lines[5];
} line_tests[] = {
    {"", {NULL}},
    {"no line end", {NULL}},
    {"one\r\n", {"one", NULL}},
    {"a\r\nb\nc\r\n", {"a", "b", "c", NULL}},
    {"\r\n\n", {"", "", NULL}},
    {"x\ry\n", {"x\ry", NULL}},
    {"USER joe\r\nPASS secret\r\npartial", {"USER joe", "PASS secret", NULL}},
    {"\r\r\n", {"\r", NULL}},
};

static void check_lines(bool byte_at_a_time)
{
	for (unsigned int i = 0; i < N_ELEMENTS(line_tests); i++) {
		const char *input = line_tests[i].input;
		size_t len = strlen(input), pos = 0;
		unsigned int nlines = 0;
		struct iostream *s;
		int fds[2];
		char *line;
		bool too_long;

		make_pair(fds);
		s = iostream_create(fds[0], 64, 64);
		assert_int_equal(iostream_read(s), 0);
		while (pos < len) {
			size_t n = byte_at_a_time ? 1 : len - pos;

			assert_int_equal(write(fds[1], input + pos, n),
					 (ssize_t)n);
			pos += n;
			assert_int_equal(iostream_read(s), (ssize_t)n);
			while ((line = iostream_next_line(s, &too_long)) !=
			       NULL) {
				assert_non_null(line_tests[i].lines[nlines]);
				assert_string_equal(
				    line, line_tests[i].lines[nlines]);
				nlines++;
			}
			assert_false(too_long);
		}
		assert_null(line_tests[i].lines[nlines]);
		close(fds[1]);
		assert_int_equal(iostream_read(s), -1);
		assert_true(iostream_is_closed(s));
		assert_string_equal(iostream_get_error(s), "Connection closed");
		iostream_destroy(&s);
		assert_null(s);
	}
}

static void test_lines_all_at_once(void **state)
{
	check_lines(false);
}

static void test_lines_byte_at_a_time(void **state)
{
	check_lines(true);
}

static void check_too_long(bool byte_at_a_time)
{
	const char *input = "0123456789abcdefXYZ0123456789\r\nok\r\n"
			    "0123456789abcdef\nafter\n";
	size_t len = strlen(input), pos = 0;
	const char *expect[] = {"ok", "after"};
	unsigned int nlines = 0, too_long_count = 0;
	struct iostream *s;
	int fds[2];

	make_pair(fds);
	s = iostream_create(fds[0], 16, 64);
	while (pos < len) {
		size_t n = byte_at_a_time ? 1 : len - pos;
		ssize_t ret;
		char *line;
		bool too_long;

		assert_int_equal(write(fds[1], input + pos, n), (ssize_t)n);
		pos += n;
		do {
			ret = iostream_read(s);
			assert_true(ret >= 0);
			while ((line = iostream_next_line(s, &too_long)) !=
			       NULL) {
				assert_true(nlines < N_ELEMENTS(expect));
				assert_string_equal(line, expect[nlines]);
				nlines++;
			}
			if (too_long) {
				assert_true(iostream_input_full(s));
				too_long_count++;
				iostream_skip_line(s);
			}
		} while (ret > 0 || too_long);
	}
	assert_int_equal(nlines, 2);
	assert_int_equal(too_long_count, 2);
	iostream_destroy(&s);
	close(fds[1]);
}

static void test_too_long_all_at_once(void **state)
{
	check_too_long(false);
}

static void test_too_long_byte_at_a_time(void **state)
{
	check_too_long(true);
}

static void test_raw_data(void **state)
{
	struct iostream *s;
	const unsigned char *data;
	size_t size;
	int fds[2];

	make_pair(fds);
	s = iostream_create(fds[0], 8, 8);
	assert_int_equal(write(fds[1], "0123456789", 10), 10);
	assert_int_equal(iostream_read(s), 8);
	assert_true(iostream_input_full(s));
	assert_int_equal(iostream_read(s), 0);
	data = iostream_get_data(s, &size);
	assert_int_equal(size, 8);
	assert_memory_equal(data, "01234567", 8);
	iostream_skip(s, 5);
	assert_int_equal(iostream_read(s), 2);
	data = iostream_get_data(s, &size);
	assert_int_equal(size, 5);
	assert_memory_equal(data, "56789", 5);

	iostream_destroy(&s);
	close(fds[1]);

	/* output limits; auto-flush starts at half of the maximum */
	make_pair(fds);
	s = iostream_create(fds[0], 8, 10);
	assert_int_equal(iostream_write(s, "12345678901", 11), -1);
	assert_int_equal(iostream_write_str(s, "1234"), 0);
	assert_int_equal(iostream_get_output_used(s), 4);
	assert_int_equal(iostream_get_output_max(s), 10);
	assert_int_equal(iostream_flush(s), 1);
	assert_int_equal(iostream_get_output_used(s), 0);
	assert_int_equal(iostream_printf(s, "%d:%s", 7, "ab"), 0);
	assert_int_equal(iostream_flush(s), 1);
	char buf[16];
	assert_int_equal(read(fds[1], buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "12347:ab", 8);
	assert_false(iostream_is_tls(s));
	assert_null(iostream_tls_description(s));
	unsigned char cb[32];
	assert_int_equal(iostream_tls_exporter(s, cb), -1);
	assert_int_equal(iostream_get_fd(s), fds[0]);
	iostream_destroy(&s);
	close(fds[1]);
}

/* ---- partial writes and the flush callback ---- */

#define BIG_TOTAL (512 * 1024)

struct flush_ctx {
	struct ioloop *ioloop;
	struct iostream *out;
	int reader_fd;
	struct io *reader_io;
	size_t written, received;
	unsigned int flush_callbacks, partial_flushes;
	bool mismatch;
};

static void produce(struct flush_ctx *c)
{
	char chunk[1000];

	for (;;) {
		while (c->written < BIG_TOTAL) {
			size_t n =
			    MIN_OF(sizeof(chunk), BIG_TOTAL - c->written);

			for (size_t i = 0; i < n; i++)
				chunk[i] = (char)('a' + (c->written + i) % 26);
			if (iostream_write(c->out, chunk, n) < 0)
				break;
			c->written += n;
		}
		int ret = iostream_flush(c->out);
		assert_true(ret >= 0);
		if (ret == 0) {
			c->partial_flushes++;
			return; /* continue from the flush callback */
		}
		if (c->written == BIG_TOTAL)
			return;
	}
}

static void flush_cb(void *context)
{
	struct flush_ctx *c = context;

	c->flush_callbacks++;
	assert_int_equal(iostream_get_output_used(c->out), 0);
	produce(c);
}

static void reader_cb(void *context)
{
	struct flush_ctx *c = context;
	char buf[3000];
	ssize_t ret = read(c->reader_fd, buf, sizeof(buf));

	if (ret <= 0)
		return;
	for (ssize_t i = 0; i < ret; i++) {
		if (buf[i] != (char)('a' + (c->received + (size_t)i) % 26))
			c->mismatch = true;
	}
	c->received += (size_t)ret;
	if (c->received == BIG_TOTAL)
		ioloop_stop(c->ioloop);
}

static void test_partial_writes(void **state)
{
	struct flush_ctx c;
	int fds[2], size = 4096;

	memset(&c, 0, sizeof(c));
	c.ioloop = ioloop_create();
	make_pair(fds);
	assert_int_equal(
	    setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
	assert_int_equal(
	    setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)), 0);
	c.out = iostream_create(fds[0], 1024, 16384);
	c.reader_fd = fds[1];
	iostream_set_flush_callback(c.out, flush_cb, &c);
	produce(&c);
	assert_true(c.partial_flushes > 0);
	c.reader_io = io_add(fds[1], IO_READ, reader_cb, &c);
	ioloop_run(c.ioloop);
	assert_int_equal(c.received, BIG_TOTAL);
	assert_int_equal(c.written, BIG_TOTAL);
	assert_false(c.mismatch);
	assert_true(c.flush_callbacks > 0);

	/* a write to a closed peer fails */
	io_remove(&c.reader_io);
	close(fds[1]);
	assert_int_equal(iostream_write_str(c.out, "x"), 0);
	assert_int_equal(iostream_flush(c.out), -1);
	assert_true(iostream_is_closed(c.out));
	iostream_destroy(&c.out);
	ioloop_destroy(&c.ioloop);
}

/* ---- direct writes and releasing idle buffers ---- */

static void test_reserve_commit_release(void **state)
{
	unsigned char *out, buf[64];
	struct iostream *s;
	size_t room;
	int fds[2];

	make_pair(fds);
	s = iostream_create(fds[0], 64, 100);
	/* more than max_output never fits */
	assert_null(iostream_write_reserve(s, 101, &room));
	assert_int_equal(room, 0);
	out = iostream_write_reserve(s, 10, &room);
	assert_non_null(out);
	assert_true(room >= 10 && room <= 100);
	memcpy(out, "hello ", 6);
	iostream_write_commit(s, 6);
	assert_int_equal(iostream_get_output_used(s), 6);
	/* the room left shrinks with what is buffered */
	assert_null(iostream_write_reserve(s, 95, &room));
	out = iostream_write_reserve(s, 94, &room);
	assert_non_null(out);
	assert_int_equal(room, 94);
	memcpy(out, "world", 5);
	iostream_write_commit(s, 5);
	/* nothing is released while output is pending */
	iostream_release_buffers(s);
	assert_int_equal(iostream_get_output_used(s), 11);
	assert_int_equal(iostream_flush(s), 1);
	assert_int_equal(read(fds[1], buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello world", 11);

	/* the buffer grows only as far as min_size needs */
	iostream_destroy(&s);
	close(fds[1]);
	make_pair(fds);
	s = iostream_create(fds[0], 64, 256 * 1024);
	out = iostream_write_reserve(s, 100, &room);
	assert_non_null(out);
	assert_true(room >= 100 && room <= 4096);
	memset(out, 'x', room);
	iostream_write_commit(s, room);
	out = iostream_write_reserve(s, 8192, &room);
	assert_non_null(out);
	assert_true(room >= 8192 && room <= 16384);
	memset(out, 'x', room);
	iostream_write_commit(s, room);
	assert_true(iostream_get_output_used(s) <= 16384);
	assert_int_equal(iostream_flush(s), 1);
	while (read(fds[1], buf, sizeof(buf)) == sizeof(buf))
		;

	/* unread input is kept across a release, read input is not */
	assert_int_equal(write(fds[1], "AB\r\nCD", 6), 6);
	assert_int_equal(iostream_read(s), 6);
	assert_string_equal(iostream_next_line(s, NULL), "AB");
	iostream_release_buffers(s);
	assert_null(iostream_next_line(s, NULL));
	assert_int_equal(write(fds[1], "\r\n", 2), 2);
	assert_int_equal(iostream_read(s), 2);
	assert_string_equal(iostream_next_line(s, NULL), "CD");
	iostream_release_buffers(s);
	{
		size_t size;

		(void)iostream_get_data(s, &size);
		assert_int_equal(size, 0);
	}
	assert_null(iostream_next_line(s, NULL));
	/* and the stream works as before after a release */
	assert_int_equal(iostream_write_str(s, "again"), 0);
	assert_int_equal(iostream_flush(s), 1);
	assert_int_equal(read(fds[1], buf, sizeof(buf)), 5);
	assert_int_equal(write(fds[1], "x\n", 2), 2);
	assert_int_equal(iostream_read(s), 2);
	assert_string_equal(iostream_next_line(s, NULL), "x");
	iostream_destroy(&s);
	close(fds[1]);
}

/* ---- TLS ---- */

static char tls_dir[] = "/tmp/loft-test-tls-XXXXXX";
static char cert_path[128], key_path[128];

static void make_cert(void)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x509 = X509_new();
	X509_NAME *name;
	FILE *f;

	assert_non_null(pkey);
	assert_non_null(x509);
	/* mkdtemp() fills in the template: restore it for the next test */
	snprintf(tls_dir, sizeof(tls_dir), "/tmp/loft-test-tls-XXXXXX");
	assert_non_null(mkdtemp(tls_dir));
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", tls_dir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", tls_dir);

	ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
	X509_gmtime_adj(X509_getm_notBefore(x509), 0);
	X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
	X509_set_pubkey(x509, pkey);
	name = X509_get_subject_name(x509);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"localhost", -1, -1,
				   0);
	X509_set_issuer_name(x509, name);
	assert_true(X509_sign(x509, pkey, EVP_sha256()) > 0);

	f = fopen(cert_path, "w");
	assert_non_null(f);
	PEM_write_X509(f, x509);
	fclose(f);
	f = fopen(key_path, "w");
	assert_non_null(f);
	PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x509);
	EVP_PKEY_free(pkey);
}

static void remove_cert(void)
{
	unlink(cert_path);
	unlink(key_path);
	rmdir(tls_dir);
}

#define ECHO_LINES 100

struct tls_ctx {
	struct ioloop *ioloop;
	struct iostream *server, *client;
	unsigned int server_lines, client_lines;
	bool client_sent;
	bool failed;
	const char *fail_reason;
};

static void server_input(void *context)
{
	struct tls_ctx *c = context;
	char *line;
	bool too_long;

	if (iostream_read(c->server) < 0) {
		c->failed = true;
		c->fail_reason = iostream_get_error(c->server);
		ioloop_stop(c->ioloop);
		return;
	}
	while ((line = iostream_next_line(c->server, &too_long)) != NULL) {
		c->server_lines++;
		if (iostream_printf(c->server, "echo %s\r\n", line) < 0) {
			c->failed = true;
			c->fail_reason = "server output full";
		}
	}
	(void)iostream_flush(c->server);
}

static void client_send(struct tls_ctx *c)
{
	char line[600];

	memset(line, 'z', sizeof(line) - 3);
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	for (unsigned int i = 0; i < ECHO_LINES; i++)
		assert_int_equal(iostream_write_str(c->client, line), 0);
	assert_true(iostream_flush(c->client) >= 0);
	c->client_sent = true;
}

static void client_input(void *context)
{
	struct tls_ctx *c = context;
	char *line;
	bool too_long;

	if (iostream_read(c->client) < 0) {
		c->failed = true;
		c->fail_reason = iostream_get_error(c->client);
		ioloop_stop(c->ioloop);
		return;
	}
	while ((line = iostream_next_line(c->client, &too_long)) != NULL) {
		if (!str_begins(line, "echo zzz", NULL))
			c->failed = true;
		if (++c->client_lines == ECHO_LINES)
			ioloop_stop(c->ioloop);
	}
}

/* A server context with the test certificate; min_protocol may be NULL. */
static struct tls_context *test_server_ctx(const char *min_protocol)
{
	struct tls_settings set;
	struct tls_context *ctx;
	const char *error;

	make_cert();
	memset(&set, 0, sizeof(set));
	set.cert_file = cert_path;
	set.key_file = key_path;
	set.min_protocol = min_protocol;
	ctx = tls_context_create_server(&set, &error);
	if (ctx == NULL)
		fail_msg("server ctx: %s", error);
	return ctx;
}

/* A client context with the default settings. */
static struct tls_context *test_client_ctx(void)
{
	struct tls_settings set;
	struct tls_context *ctx;
	const char *error;

	memset(&set, 0, sizeof(set));
	ctx = tls_context_create_client(&set, &error);
	if (ctx == NULL)
		fail_msg("client ctx: %s", error);
	return ctx;
}

static void tls_timeout(void *context)
{
	struct tls_ctx *c = context;

	c->failed = true;
	c->fail_reason = "timeout";
	ioloop_stop(c->ioloop);
}

static void test_tls_echo(void **state)
{
	struct tls_context *server_ctx, *client_ctx;
	struct tls_ctx c;
	struct timeout *to;
	const char *error;
	int fds[2];
	unsigned char cb_server[32], cb_client[32];

	server_ctx = test_server_ctx("TLSv1.2");
	client_ctx = test_client_ctx();
	assert_non_null(tls_context_get_ssl_ctx(server_ctx));

	memset(&c, 0, sizeof(c));
	c.ioloop = ioloop_create();
	make_pair(fds);
	c.server = iostream_create(fds[0], 4096, 8192);
	c.client = iostream_create(fds[1], 4096, 65536);

	/* STARTTLS: plaintext sent before the handshake is discarded */
	assert_int_equal(write(fds[1], "junk\r\n", 6), 6);
	assert_int_equal(iostream_read(c.server), 6);
	assert_int_equal(
	    iostream_start_tls_server(c.server, server_ctx, &error), 0);
	assert_int_equal(
	    iostream_start_tls_server(c.server, server_ctx, &error), -1);
	assert_int_equal(iostream_start_tls_client(c.client, client_ctx,
						   "localhost", &error),
			 0);
	assert_true(iostream_is_tls(c.server));
	iostream_set_input_callback(c.server, server_input, &c);
	iostream_set_input_callback(c.client, client_input, &c);
	to = timeout_add_once(10000, tls_timeout, &c, &to);

	/* written before the handshake finished: sent after it */
	client_send(&c);
	ioloop_run(c.ioloop);
	if (c.failed)
		fail_msg("TLS echo failed: %s",
			 c.fail_reason != NULL ? c.fail_reason : "bad data");
	assert_int_equal(c.server_lines, ECHO_LINES);
	assert_int_equal(c.client_lines, ECHO_LINES);
	assert_true(iostream_tls_handshake_finished(c.server));
	assert_non_null(iostream_tls_description(c.server));
	assert_non_null(
	    strstr(iostream_tls_description(c.server), " with cipher "));
	assert_int_equal(iostream_tls_exporter(c.server, cb_server), 0);
	assert_int_equal(iostream_tls_exporter(c.client, cb_client), 0);
	assert_memory_equal(cb_server, cb_client, 32);

	/* the client closes: the server sees a clean close */
	iostream_destroy(&c.client);
	c.fail_reason = NULL;
	c.failed = false;
	ioloop_run(c.ioloop);
	assert_true(c.failed);
	assert_string_equal(c.fail_reason, "Connection closed");

	timeout_remove(&to);
	iostream_destroy(&c.server);
	ioloop_destroy(&c.ioloop);
	tls_context_unref(&server_ctx);
	tls_context_unref(&client_ctx);
	assert_null(server_ctx);
	remove_cert();
}

/* ---- TLS: a write that waits for the handshake ---- */

/* The server writes a greeting before the handshake (implicit TLS: POP3S,
 * IMAPS), so its SSL_write() waits for the client's records. The client
 * here is a bare SSL object on the other end of the socketpair, driven by
 * hand so that its Finished arrives in the one place the loop could lose
 * it: after the server's SSL_write() sent its flight and before the
 * input callback's SSL_read(), which then finishes the handshake but
 * returns no application data. The greeting must still go out. The
 * client sends its first command as soon as its side of the handshake is
 * done (with TLS 1.3 right behind its Finished, before the greeting), and
 * the server must answer it too. */
struct greeting_ctx {
	struct ioloop *ioloop;
	struct iostream *server;
	SSL *client;
	struct io *io_client;
	bool pipelined, client_driven, command_sent;
	char got[64];
	size_t got_len;
	const char *fail_reason;
};

static void greeting_client_command(struct greeting_ctx *c)
{
	if (!c->command_sent) {
		c->command_sent = true;
		assert_int_equal(SSL_write(c->client, "CAPA\r\n", 6), 6);
	}
}

static void greeting_client_step(struct greeting_ctx *c)
{
	int ret = SSL_do_handshake(c->client);

	if (ret != 1 && SSL_get_error(c->client, ret) != SSL_ERROR_WANT_READ)
		c->fail_reason = "client handshake failed";
	if (ret == 1 && c->pipelined)
		greeting_client_command(c);
}

static void greeting_server_input(void *context)
{
	struct greeting_ctx *c = context;
	char *line;

	if (!c->client_driven && !iostream_tls_handshake_finished(c->server)) {
		/* the server's flight is in the socket: the client answers
		   with its Finished before the server reads */
		c->client_driven = true;
		greeting_client_step(c);
	}
	if (iostream_read(c->server) < 0) {
		c->fail_reason = iostream_get_error(c->server);
		ioloop_stop(c->ioloop);
		return;
	}
	/* flushes only after a command, as the login processes do: a
	   flush here would retry the greeting and hide the lost wake-up */
	while ((line = iostream_next_line(c->server, NULL)) != NULL) {
		if (strcmp(line, "CAPA") != 0)
			c->fail_reason = "unexpected command";
		(void)iostream_write_str(c->server, "+OK capa\r\n");
		(void)iostream_flush(c->server);
	}
}

static void greeting_client_input(void *context)
{
	struct greeting_ctx *c = context;
	int ret;

	if (!SSL_is_init_finished(c->client)) {
		greeting_client_step(c);
		if (!SSL_is_init_finished(c->client))
			return;
	}
	ret = SSL_read(c->client, c->got + c->got_len,
		       (int)(sizeof(c->got) - 1 - c->got_len));
	if (ret > 0) {
		c->got_len += (size_t)ret;
		c->got[c->got_len] = '\0';
		if (strstr(c->got, "+OK capa\r\n") != NULL)
			ioloop_stop(c->ioloop);
		else if (strcmp(c->got, "+OK ready\r\n") == 0)
			greeting_client_command(c);
	} else if (SSL_get_error(c->client, ret) != SSL_ERROR_WANT_READ) {
		c->fail_reason = "client read failed";
		ioloop_stop(c->ioloop);
	}
}

static void greeting_timeout(void *context)
{
	struct greeting_ctx *c = context;

	c->fail_reason = c->got_len == 0 ? "greeting never arrived"
					 : "no answer to the first command";
	ioloop_stop(c->ioloop);
}

static void check_tls_greeting(const char *max_protocol, bool pipelined)
{
	struct tls_context *server_ctx;
	struct greeting_ctx c;
	struct timeout *to;
	SSL_CTX *client_ssl_ctx;
	const char *error;
	int fds[2], ret;

	server_ctx = test_server_ctx("TLSv1.2");
	client_ssl_ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(client_ssl_ctx);
	if (strcmp(max_protocol, "TLSv1.2") == 0)
		SSL_CTX_set_max_proto_version(client_ssl_ctx, TLS1_2_VERSION);

	memset(&c, 0, sizeof(c));
	c.pipelined = pipelined;
	c.ioloop = ioloop_create();
	make_pair(fds);
	c.server = iostream_create(fds[0], 4096, 8192);
	assert_int_equal(
	    iostream_start_tls_server(c.server, server_ctx, &error), 0);
	/* the greeting waits for the handshake */
	assert_int_equal(iostream_write_str(c.server, "+OK ready\r\n"), 0);
	assert_int_equal(iostream_flush(c.server), 0);
	iostream_set_input_callback(c.server, greeting_server_input, &c);

	c.client = SSL_new(client_ssl_ctx);
	assert_non_null(c.client);
	assert_int_equal(SSL_set_fd(c.client, fds[1]), 1);
	SSL_set_connect_state(c.client);
	/* ClientHello */
	ret = SSL_do_handshake(c.client);
	assert_int_equal(SSL_get_error(c.client, ret), SSL_ERROR_WANT_READ);
	c.io_client = io_add(fds[1], IO_READ, greeting_client_input, &c);
	to = timeout_add_once(5000, greeting_timeout, &c, &to);

	ioloop_run(c.ioloop);
	if (c.fail_reason != NULL)
		fail_msg("%s%s: %s", max_protocol,
			 pipelined ? " pipelined" : "", c.fail_reason);
	assert_true(c.client_driven);
	assert_string_equal(c.got, "+OK ready\r\n+OK capa\r\n");
	assert_true(iostream_tls_handshake_finished(c.server));

	timeout_remove(&to);
	io_remove(&c.io_client);
	iostream_destroy(&c.server);
	SSL_free(c.client);
	close(fds[1]);
	SSL_CTX_free(client_ssl_ctx);
	ioloop_destroy(&c.ioloop);
	tls_context_unref(&server_ctx);
	remove_cert();
}

static void test_tls_greeting_finished_by_read(void **state)
{
	check_tls_greeting("TLSv1.3", false);
	check_tls_greeting("TLSv1.2", false);
	check_tls_greeting("TLSv1.3", true);
	check_tls_greeting("TLSv1.2", true);
}

/* ---- TLS: plaintext left in OpenSSL by a read outside the callbacks ---- */

/* A consumer may read a stream from elsewhere than its input callback (the
 * login proxy pumps the client's stream when the mail side drains). When
 * the input buffer fills in the middle of a TLS record, OpenSSL keeps the
 * rest decrypted where epoll cannot see it; once the consumer has made
 * room, the stream must announce it, or it waits for the client's next
 * bytes, which may never come. */
#define PENDING_MAX_INPUT 64
#define PENDING_PAYLOAD 200

struct pending_ctx {
	struct ioloop *ioloop;
	struct iostream *server, *client;
	size_t got;
	size_t stop_at;
	const char *fail_reason;
};

static void pending_server_input(void *context)
{
	struct pending_ctx *c = context;
	size_t size;

	if (iostream_read(c->server) < 0) {
		c->fail_reason = iostream_get_error(c->server);
		ioloop_stop(c->ioloop);
		return;
	}
	(void)iostream_get_data(c->server, &size);
	iostream_skip(c->server, size);
	c->got += size;
	if (c->got >= c->stop_at)
		ioloop_stop(c->ioloop);
}

static void pending_timeout(void *context)
{
	struct pending_ctx *c = context;

	c->fail_reason = "input left in OpenSSL was never announced";
	ioloop_stop(c->ioloop);
}

static void test_tls_pending_after_outside_read(void **state)
{
	struct tls_context *server_ctx, *client_ctx;
	struct pending_ctx c;
	struct timeout *to;
	struct pollfd pfd;
	char payload[PENDING_PAYLOAD];
	const char *error;
	size_t size;
	int fds[2];

	server_ctx = test_server_ctx(NULL);
	client_ctx = test_client_ctx();

	memset(&c, 0, sizeof(c));
	c.ioloop = ioloop_create();
	make_pair(fds);
	c.server = iostream_create(fds[0], PENDING_MAX_INPUT, 4096);
	c.client = iostream_create(fds[1], 4096, 4096);
	assert_int_equal(
	    iostream_start_tls_server(c.server, server_ctx, &error), 0);
	assert_int_equal(iostream_start_tls_client(c.client, client_ctx,
						   "localhost", &error),
			 0);
	to = timeout_add_once(5000, pending_timeout, &c, &to);

	/* handshake, and one byte through */
	iostream_set_input_callback(c.server, pending_server_input, &c);
	c.stop_at = 1;
	assert_int_equal(iostream_write(c.client, "x", 1), 0);
	(void)iostream_flush(c.client);
	ioloop_run(c.ioloop);
	if (c.fail_reason != NULL)
		fail_msg("handshake: %s", c.fail_reason);
	assert_true(iostream_tls_handshake_finished(c.server));

	/* one record, more than the server's input buffer holds */
	iostream_set_input_callback(c.server, NULL, NULL);
	memset(payload, 'y', sizeof(payload));
	assert_int_equal(iostream_write(c.client, payload, sizeof(payload)), 0);
	assert_int_equal(iostream_flush(c.client), 1);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 5000), 1);

	/* the consumer resumes and reads at once, outside the callback: the
	   socket is drained and the rest of the record stays in OpenSSL */
	iostream_set_input_callback(c.server, pending_server_input, &c);
	assert_int_equal(iostream_read(c.server), PENDING_MAX_INPUT);
	assert_true(iostream_input_full(c.server));
	(void)iostream_get_data(c.server, &size);
	iostream_skip(c.server, size);
	c.got += size;
	c.stop_at = 1 + PENDING_PAYLOAD;
	ioloop_run(c.ioloop);
	if (c.fail_reason != NULL)
		fail_msg("%s", c.fail_reason);
	assert_int_equal(c.got, 1 + PENDING_PAYLOAD);

	timeout_remove(&to);
	iostream_destroy(&c.client);
	iostream_destroy(&c.server);
	ioloop_destroy(&c.ioloop);
	tls_context_unref(&server_ctx);
	tls_context_unref(&client_ctx);
	remove_cert();
}

/* ---- TLS: half a record ---- */

/* A record that arrives in two TCP segments sits half in OpenSSL's buffer
 * (SSL_has_pending() is true) until the rest comes. The stream must wait
 * for the socket then, not announce input again and again. */
struct partial_ctx {
	struct ioloop *ioloop;
	struct iostream *server;
	unsigned int calls;
	size_t got;
	const char *fail_reason;
};

static void partial_server_input(void *context)
{
	struct partial_ctx *c = context;
	size_t size;

	c->calls++;
	if (iostream_read(c->server) < 0) {
		c->fail_reason = iostream_get_error(c->server);
		ioloop_stop(c->ioloop);
		return;
	}
	(void)iostream_get_data(c->server, &size);
	iostream_skip(c->server, size);
	c->got += size;
}

static void partial_stop(void *context)
{
	struct partial_ctx *c = context;

	ioloop_stop(c->ioloop);
}

/* Runs the loop for msecs. */
static void partial_run(struct partial_ctx *c, unsigned int msecs)
{
	struct timeout *to = timeout_add_once(msecs, partial_stop, c, &to);

	ioloop_run(c->ioloop);
	timeout_remove(&to);
}

static void test_tls_partial_record(void **state)
{
	struct tls_context *server_ctx;
	struct partial_ctx c;
	SSL_CTX *client_ssl_ctx;
	SSL *client;
	BIO *wbio;
	char payload[2000], *rec;
	const char *error;
	long rec_len;
	int fds[2], ret;

	server_ctx = test_server_ctx(NULL);
	client_ssl_ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(client_ssl_ctx);

	memset(&c, 0, sizeof(c));
	c.ioloop = ioloop_create();
	make_pair(fds);
	c.server = iostream_create(fds[0], 4096, 4096);
	assert_int_equal(
	    iostream_start_tls_server(c.server, server_ctx, &error), 0);
	iostream_set_input_callback(c.server, partial_server_input, &c);
	client = SSL_new(client_ssl_ctx);
	assert_non_null(client);
	assert_int_equal(SSL_set_fd(client, fds[1]), 1);
	SSL_set_connect_state(client);
	for (unsigned int i = 0; i < 100; i++) {
		ret = SSL_do_handshake(client);
		if (ret == 1 && iostream_tls_handshake_finished(c.server))
			break;
		partial_run(&c, 10);
	}
	assert_int_equal(ret, 1);

	/* the record goes to memory, and to the socket in two halves */
	wbio = BIO_new(BIO_s_mem());
	assert_non_null(wbio);
	SSL_set0_wbio(client, wbio);
	memset(payload, 'p', sizeof(payload));
	assert_int_equal(SSL_write(client, payload, sizeof(payload)),
			 (int)sizeof(payload));
	rec_len = BIO_get_mem_data(wbio, &rec);
	assert_true(rec_len > (long)sizeof(payload));
	assert_int_equal(write(fds[1], rec, (size_t)rec_len / 2), rec_len / 2);
	c.calls = 0;
	partial_run(&c, 100);
	if (c.fail_reason != NULL)
		fail_msg("%s", c.fail_reason);
	assert_int_equal(c.got, 0);
	/* one call for the half that came; a busy loop makes thousands */
	if (c.calls > 3)
		fail_msg("%u input calls for half a record", c.calls);
	assert_int_equal(
	    write(fds[1], rec + rec_len / 2, (size_t)(rec_len - rec_len / 2)),
	    rec_len - rec_len / 2);
	partial_run(&c, 100);
	assert_int_equal(c.got, sizeof(payload));

	iostream_destroy(&c.server);
	SSL_free(client);
	close(fds[1]);
	SSL_CTX_free(client_ssl_ctx);
	ioloop_destroy(&c.ioloop);
	tls_context_unref(&server_ctx);
	remove_cert();
}

static void test_tls_errors(void **state)
{
	struct tls_settings set;
	const char *error;

	memset(&set, 0, sizeof(set));
	assert_null(tls_context_create_server(&set, &error));
	set.cert_file = "/nonexistent/cert.pem";
	assert_null(tls_context_create_server(&set, &error));
	assert_non_null(strstr(error, "/nonexistent/cert.pem"));
	set.min_protocol = "TLSv9";
	assert_null(tls_context_create_server(&set, &error));
	assert_non_null(strstr(error, "TLSv9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines_all_at_once),
	    cmocka_unit_test(test_lines_byte_at_a_time),
	    cmocka_unit_test(test_too_long_all_at_once),
	    cmocka_unit_test(test_too_long_byte_at_a_time),
	    cmocka_unit_test(test_raw_data),
	    cmocka_unit_test(test_partial_writes),
	    cmocka_unit_test(test_reserve_commit_release),
	    cmocka_unit_test(test_tls_echo),
	    cmocka_unit_test(test_tls_greeting_finished_by_read),
	    cmocka_unit_test(test_tls_pending_after_outside_read),
	    cmocka_unit_test(test_tls_partial_record),
	    cmocka_unit_test(test_tls_errors),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
