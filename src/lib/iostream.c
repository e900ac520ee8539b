/* iostream.c - buffered non-blocking input/output over one fd, plain or
 * TLS (OpenSSL), driven by the ioloop.
 *
 * The stream owns one read io and one write io and decides itself which
 * are needed: the read io while an input callback is set or while a TLS
 * write waits for the peer's data; the write io while a flush is
 * unfinished or while a TLS read waits to send. Data that OpenSSL holds
 * decrypted (invisible to epoll) is announced with a zero timeout.
 * Callbacks may destroy the stream: a reference count keeps the memory
 * alive until they return. Does no protocol parsing beyond line splitting.
 *
 * SIGPIPE must be ignored by the process (TLS writes go through write(2)). */
#include "lib.h"
#include "iostream.h"
#include "ioloop.h"
#include "tls.h"

#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define IOSTREAM_INITIAL_BUF 4096
#define IOSTREAM_ERROR_MAX 512

struct iostream {
	int refcount;
	int fd;
	bool destroyed;
	bool closed;
	char error[IOSTREAM_ERROR_MAX];

	/* input: unread bytes are ibuf[ipos..ilen) */
	unsigned char *ibuf;
	size_t isize, ipos, ilen, iscan;
	size_t max_input;
	bool skip_line;

	/* output: unwritten bytes are obuf[opos..olen) */
	unsigned char *obuf;
	size_t osize, opos, olen;
	size_t max_output;
	bool flushing; /* a flush could not finish; continue from the loop */

	struct io *io_read, *io_write;
	struct timeout *to_pending;
	iostream_callback_t *input_cb;
	void *input_ctx;
	iostream_callback_t *flush_cb;
	void *flush_ctx;

	SSL *ssl;
	bool tls_read_wants_write;
	bool tls_write_wants_read;
	bool tls_read_blocked; /* the last SSL_read() wanted the socket */
	char tls_desc[128];
};

static void stream_update_ios(struct iostream *s);

static void stream_ref(struct iostream *s)
{
	s->refcount++;
}

/* Returns false when the stream was freed. */
static bool stream_unref(struct iostream *s)
{
	i_assert(s->refcount > 0);
	if (--s->refcount > 0)
		return !s->destroyed;
	if (s->ibuf != NULL) {
		safe_memset0(s->ibuf, s->isize);
		free(s->ibuf);
	}
	if (s->obuf != NULL) {
		safe_memset0(s->obuf, s->osize);
		free(s->obuf);
	}
	free(s);
	return false;
}

struct iostream *iostream_create(int fd, size_t max_input, size_t max_output)
{
	struct iostream *s = i_malloc(sizeof(*s));

	i_assert(max_input > 0 && max_output > 0);
	s->refcount = 1;
	s->fd = fd;
	s->max_input = max_input;
	s->max_output = max_output;
	/* the buffers are allocated when first needed */
	return s;
}

void iostream_destroy(struct iostream **_s)
{
	struct iostream *s = *_s;

	if (s == NULL)
		return;
	*_s = NULL;
	i_assert(!s->destroyed);
	io_remove(&s->io_read);
	io_remove(&s->io_write);
	timeout_remove(&s->to_pending);
	if (s->ssl != NULL) {
		if (!s->closed && SSL_is_init_finished(s->ssl)) {
			/* best effort close_notify; never waits */
			(void)SSL_shutdown(s->ssl);
		}
		SSL_free(s->ssl);
		s->ssl = NULL;
		ERR_clear_error();
	}
	i_close_fd(&s->fd);
	s->destroyed = true;
	s->input_cb = NULL;
	s->flush_cb = NULL;
	(void)stream_unref(s);
}

int iostream_get_fd(const struct iostream *s)
{
	return s->fd;
}

static void stream_set_error(struct iostream *s, const char *fmt, ...)
    ATTR_FORMAT(2, 3);
static void stream_set_error(struct iostream *s, const char *fmt, ...)
{
	va_list args;

	if (s->closed)
		return;
	s->closed = true;
	va_start(args, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, args);
	va_end(args);
}

static void stream_set_errno(struct iostream *s, int err)
{
	if (err == ECONNRESET)
		stream_set_error(s, "Connection reset by peer");
	else if (err == EPIPE)
		stream_set_error(s, "Connection closed (broken pipe)");
	else
		stream_set_error(s, "%s", strerror(err));
}

bool iostream_is_closed(const struct iostream *s)
{
	return s->closed;
}

const char *iostream_get_error(const struct iostream *s)
{
	return s->closed ? s->error : "";
}

/* ---- raw I/O: >0 bytes, 0 would block, -1 closed/error ---- */

static const char *tls_error_prefix(struct iostream *s)
{
	return SSL_is_init_finished(s->ssl) ? "TLS error"
					    : "TLS handshake failed";
}

/* Interprets a failed SSL_read/SSL_write. Returns 0 (retry later) or -1. */
static int tls_handle_error(struct iostream *s, int ret, bool reading)
{
	int err = SSL_get_error(s->ssl, ret);

	switch (err) {
	case SSL_ERROR_WANT_READ:
		if (!reading)
			s->tls_write_wants_read = true;
		else
			s->tls_read_blocked = true;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		if (reading)
			s->tls_read_wants_write = true;
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		stream_set_error(s, "Connection closed");
		return -1;
	case SSL_ERROR_SYSCALL:
		if (errno == EAGAIN || errno == EINTR) {
			if (reading) {
				s->tls_read_wants_write = false;
				s->tls_read_blocked = true;
			}
			return 0;
		}
		if (errno == 0 || ERR_peek_error() != 0) {
			if (ERR_peek_error() != 0)
				stream_set_error(s, "%s: %s",
						 tls_error_prefix(s),
						 tls_last_error());
			else
				stream_set_error(s, "Connection closed");
		} else {
			stream_set_errno(s, errno);
		}
		return -1;
	default:
		stream_set_error(s, "%s: %s", tls_error_prefix(s),
				 tls_last_error());
		return -1;
	}
}

static ssize_t raw_read(struct iostream *s, unsigned char *buf, size_t size)
{
	ssize_t ret;

	if (s->ssl == NULL) {
		ret = read(s->fd, buf, size);
		if (ret > 0)
			return ret;
		if (ret == 0) {
			stream_set_error(s, "Connection closed");
			return -1;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		stream_set_errno(s, errno);
		return -1;
	}

	int n = size > INT_MAX ? INT_MAX : (int)size;

	ERR_clear_error();
	s->tls_read_wants_write = false;
	s->tls_read_blocked = false;
	errno = 0;
	int r = SSL_read(s->ssl, buf, n);
	if (r > 0 || SSL_is_init_finished(s->ssl)) {
		/* progress may unblock a write waiting for the peer. A read
		   that took in the peer's last handshake records finished
		   the handshake without returning data: the write that waits
		   for them (a greeting sent before the handshake) must be
		   retried now, as the socket need not become readable
		   again. */
		s->tls_write_wants_read = false;
	}
	if (r > 0)
		return r;
	return tls_handle_error(s, r, true);
}

static ssize_t raw_write(struct iostream *s, const unsigned char *buf,
			 size_t size)
{
	ssize_t ret;

	if (s->ssl == NULL) {
		ret = send(s->fd, buf, size, MSG_NOSIGNAL);
		if (ret < 0 && errno == ENOTSOCK)
			ret = write(s->fd, buf, size);
		if (ret >= 0)
			return ret;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		stream_set_errno(s, errno);
		return -1;
	}

	int n = size > INT_MAX ? INT_MAX : (int)size;

	ERR_clear_error();
	s->tls_write_wants_read = false;
	errno = 0;
	int r = SSL_write(s->ssl, buf, n);
	if (r > 0) {
		s->tls_read_wants_write = false;
		return r;
	}
	return tls_handle_error(s, r, false);
}

/* ---- loop integration ---- */

static void stream_pending_timeout(void *context);

/* Whether OpenSSL holds input that a read returns without the socket:
 * decrypted data, or records not looked at yet. The first part of a
 * record whose rest has not arrived (the last read wanted the socket)
 * does not count: announcing it would call the consumer in a loop until
 * the rest comes, which epoll reports. */
static bool stream_tls_input_pending(struct iostream *s)
{
	return SSL_pending(s->ssl) > 0 ||
	       (!s->tls_read_blocked && SSL_has_pending(s->ssl));
}

static void stream_check_pending(struct iostream *s)
{
	if (s->ssl == NULL || s->input_cb == NULL || s->closed ||
	    s->to_pending != NULL || current_ioloop == NULL ||
	    iostream_input_full(s))
		return;
	if (stream_tls_input_pending(s))
		s->to_pending = timeout_add_once(0, stream_pending_timeout, s,
						 &s->to_pending);
}

static void stream_call_input(struct iostream *s)
{
	if (s->input_cb != NULL && !s->destroyed)
		s->input_cb(s->input_ctx);
}

/* Continues an unfinished flush; calls the flush callback when it ends
 * (drained or failed). */
static void stream_continue_flush(struct iostream *s);

static void stream_read_ready(void *context)
{
	struct iostream *s = context;

	stream_ref(s);
	if (s->tls_write_wants_read) {
		s->tls_write_wants_read = false;
		stream_continue_flush(s);
	}
	if (!s->tls_read_wants_write)
		stream_call_input(s);
	if (!s->destroyed && s->flushing && s->ssl != NULL &&
	    !s->tls_write_wants_read && s->io_write == NULL) {
		/* reading may have unblocked the pending TLS write */
		stream_continue_flush(s);
	}
	if (stream_unref(s)) {
		stream_check_pending(s);
		stream_update_ios(s);
	}
}

static void stream_write_ready(void *context)
{
	struct iostream *s = context;

	stream_ref(s);
	if (s->tls_read_wants_write) {
		s->tls_read_wants_write = false;
		stream_call_input(s);
	}
	if (!s->destroyed && s->flushing && !s->tls_write_wants_read)
		stream_continue_flush(s);
	if (stream_unref(s)) {
		stream_check_pending(s);
		stream_update_ios(s);
	}
}

static void stream_pending_timeout(void *context)
{
	struct iostream *s = context;

	stream_ref(s);
	stream_call_input(s);
	if (stream_unref(s)) {
		stream_check_pending(s);
		stream_update_ios(s);
	}
}

static void stream_update_ios(struct iostream *s)
{
	bool want_read, want_write;

	if (s->destroyed || s->fd == -1 || current_ioloop == NULL)
		return;
	want_read = (s->input_cb != NULL && !s->tls_read_wants_write) ||
		    (s->tls_write_wants_read && s->flushing && !s->closed);
	want_write = !s->closed && ((s->flushing && !s->tls_write_wants_read) ||
				    s->tls_read_wants_write);

	if (want_read && s->io_read == NULL)
		s->io_read = io_add(s->fd, IO_READ, stream_read_ready, s);
	else if (!want_read && s->io_read != NULL)
		io_remove(&s->io_read);
	if (want_write && s->io_write == NULL)
		s->io_write = io_add(s->fd, IO_WRITE, stream_write_ready, s);
	else if (!want_write && s->io_write != NULL)
		io_remove(&s->io_write);
}

void iostream_set_input_callback(struct iostream *s, iostream_callback_t *cb,
				 void *context)
{
	bool was_set = s->input_cb != NULL;

	s->input_cb = cb;
	s->input_ctx = context;
	if (cb == NULL) {
		timeout_remove(&s->to_pending);
	} else if (!was_set && current_ioloop != NULL &&
		   s->to_pending == NULL &&
		   (s->ilen > s->ipos || s->closed ||
		    (s->ssl != NULL && stream_tls_input_pending(s)))) {
		/* resuming with input already buffered: announce it */
		s->to_pending = timeout_add_once(0, stream_pending_timeout, s,
						 &s->to_pending);
	}
	stream_update_ios(s);
}

void iostream_set_flush_callback(struct iostream *s, iostream_callback_t *cb,
				 void *context)
{
	s->flush_cb = cb;
	s->flush_ctx = context;
}

/* ---- TLS ---- */

static int stream_start_tls(struct iostream *s, struct tls_context *ctx,
			    bool client, const char *hostname,
			    const char **error_r)
{
	static char errbuf[IOSTREAM_ERROR_MAX];

	if (s->ssl != NULL) {
		*error_r = "TLS already started";
		return -1;
	}
	if (s->olen > s->opos) {
		*error_r = "Output not flushed before starting TLS";
		return -1;
	}
	if (s->closed) {
		*error_r = s->error;
		return -1;
	}
	/* anything the client sent before the handshake is discarded */
	if (s->ibuf != NULL)
		safe_memset0(s->ibuf, s->isize);
	s->ipos = s->ilen = s->iscan = 0;
	s->skip_line = false;

	ERR_clear_error();
	s->ssl = SSL_new(tls_context_get_ssl_ctx(ctx));
	if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1) {
		snprintf(errbuf, sizeof(errbuf), "SSL_new() failed: %s",
			 tls_last_error());
		*error_r = errbuf;
		if (s->ssl != NULL)
			SSL_free(s->ssl);
		s->ssl = NULL;
		return -1;
	}
	if (client) {
		if (hostname != NULL) {
			(void)SSL_set_tlsext_host_name(s->ssl, hostname);
			(void)SSL_set1_host(s->ssl, hostname);
		}
		SSL_set_connect_state(s->ssl);
		/* the client speaks first: start the handshake now */
		s->tls_read_wants_write = true;
	} else {
		SSL_set_accept_state(s->ssl);
	}
	stream_update_ios(s);
	return 0;
}

int iostream_start_tls_server(struct iostream *s, struct tls_context *ctx,
			      const char **error_r)
{
	return stream_start_tls(s, ctx, false, NULL, error_r);
}

int iostream_start_tls_client(struct iostream *s, struct tls_context *ctx,
			      const char *hostname, const char **error_r)
{
	return stream_start_tls(s, ctx, true, hostname, error_r);
}

bool iostream_is_tls(const struct iostream *s)
{
	return s->ssl != NULL;
}

bool iostream_tls_handshake_finished(const struct iostream *s)
{
	return s->ssl != NULL && SSL_is_init_finished(s->ssl);
}

const char *iostream_tls_description(const struct iostream *_s)
{
	struct iostream *s = (struct iostream *)_s;

	if (s->ssl == NULL || !SSL_is_init_finished(s->ssl))
		return NULL;
	snprintf(s->tls_desc, sizeof(s->tls_desc), "%s with cipher %s",
		 SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl));
	return s->tls_desc;
}

int iostream_tls_exporter(struct iostream *s, unsigned char out[32])
{
	static const char label[] = "EXPORTER-Channel-Binding";

	if (s->ssl == NULL || !SSL_is_init_finished(s->ssl))
		return -1;
	/* RFC 9266: TLS 1.3, or TLS 1.2 only with extended master secret */
	if (SSL_version(s->ssl) < TLS1_3_VERSION &&
	    SSL_get_extms_support(s->ssl) != 1)
		return -1;
	if (SSL_export_keying_material(s->ssl, out, 32, label,
				       sizeof(label) - 1, NULL, 0, 0) != 1) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int iostream_tls_peer_cert(struct iostream *s, char *cn, size_t cn_size)
{
	X509 *cert;
	int len;

	i_assert(cn_size > 0);
	cn[0] = '\0';
	if (s->ssl == NULL || !SSL_is_init_finished(s->ssl))
		return -1;
	cert = SSL_get1_peer_certificate(s->ssl);
	if (cert == NULL)
		return 0;
	if (SSL_get_verify_result(s->ssl) != X509_V_OK) {
		X509_free(cert);
		return 0;
	}
	len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
					NID_commonName, cn, (int)cn_size);
	if (len < 0 || (size_t)len >= cn_size || strlen(cn) != (size_t)len)
		cn[0] = '\0';
	X509_free(cert);
	ERR_clear_error();
	return 1;
}

/* ---- input ---- */

bool iostream_input_full(const struct iostream *s)
{
	return s->ilen - s->ipos >= s->max_input;
}

const unsigned char *iostream_get_data(const struct iostream *s, size_t *size_r)
{
	*size_r = s->ilen - s->ipos;
	if (s->ibuf == NULL)
		return (const unsigned char *)"";
	return s->ibuf + s->ipos;
}

void iostream_skip(struct iostream *s, size_t count)
{
	i_assert(count <= s->ilen - s->ipos);
	s->ipos += count;
	s->iscan = 0;
	if (s->ipos == s->ilen)
		s->ipos = s->ilen = 0;
	/* a read that filled the buffer may have left plaintext in OpenSSL;
	   when the consumer read outside the input callback (the login
	   proxy), no callback's end checks for it, and epoll cannot see it */
	stream_check_pending(s);
}

/* Drops input up to and including the first LF in the unread data.
 * Returns true when an LF was found (skipping ends). */
static bool stream_drop_until_lf(struct iostream *s)
{
	unsigned char *lf = s->ilen == s->ipos ? NULL
					       : memchr(s->ibuf + s->ipos, '\n',
							s->ilen - s->ipos);

	s->iscan = 0;
	if (lf == NULL) {
		s->ipos = s->ilen = 0;
		return false;
	}
	s->ipos = (size_t)(lf - s->ibuf) + 1;
	if (s->ipos == s->ilen)
		s->ipos = s->ilen = 0;
	s->skip_line = false;
	return true;
}

void iostream_skip_line(struct iostream *s)
{
	s->skip_line = true;
	(void)stream_drop_until_lf(s);
}

/* Makes room at the end of the input buffer. Returns the free space. */
static size_t stream_input_space(struct iostream *s)
{
	size_t used = s->ilen - s->ipos;

	if (used >= s->max_input)
		return 0;
	if (s->ibuf == NULL) {
		s->isize = MIN_OF(s->max_input, IOSTREAM_INITIAL_BUF);
		s->ibuf = i_malloc(s->isize + 1);
	}
	if (s->ipos > 0) {
		memmove(s->ibuf, s->ibuf + s->ipos, used);
		s->ipos = 0;
		s->ilen = used;
	}
	if (s->ilen == s->isize && s->isize < s->max_input) {
		size_t new_size = MIN_OF(size_mul(s->isize, 2), s->max_input);
		unsigned char *buf = i_malloc(new_size + 1);

		memcpy(buf, s->ibuf, s->ilen);
		safe_memset0(s->ibuf, s->isize);
		free(s->ibuf);
		s->ibuf = buf;
		s->isize = new_size;
	}
	return MIN_OF(s->isize, s->max_input) - s->ilen;
}

ssize_t iostream_read(struct iostream *s)
{
	size_t total = 0;

	if (s->closed)
		return -1;
	for (;;) {
		size_t space = stream_input_space(s);
		size_t old_len = s->ilen;
		ssize_t ret;

		if (space == 0)
			break;
		ret = raw_read(s, s->ibuf + s->ilen, space);
		if (ret < 0) {
			if (total > 0)
				break; /* deliver the data; EOF comes next */
			return -1;
		}
		if (ret == 0)
			break;
		s->ilen += (size_t)ret;
		if (s->skip_line) {
			/* the skipped part was dropped already: only new
			   bytes are in the buffer */
			i_assert(old_len == s->ipos);
			(void)stream_drop_until_lf(s);
			ret = (ssize_t)(s->ilen - s->ipos);
		}
		total += (size_t)ret;
		if (s->ssl == NULL && ret > 0)
			break;
	}
	s->ibuf[s->ilen] = '\0';
	if (s->ssl != NULL)
		stream_update_ios(s);
	return (ssize_t)total;
}

char *iostream_next_line(struct iostream *s, bool *too_long_r)
{
	size_t avail = s->ilen - s->ipos;
	unsigned char *start, *lf;

	if (too_long_r != NULL)
		*too_long_r = false;
	if (s->skip_line || s->ibuf == NULL)
		return NULL;
	start = s->ibuf + s->ipos;
	lf = memchr(start + s->iscan, '\n', avail - s->iscan);
	if (lf == NULL) {
		s->iscan = avail;
		if (avail >= s->max_input && too_long_r != NULL)
			*too_long_r = true;
		return NULL;
	}
	*lf = '\0';
	if (lf > start && lf[-1] == '\r')
		lf[-1] = '\0';
	s->ipos += (size_t)(lf - start) + 1;
	s->iscan = 0;
	/* the buffer is compacted only by the next read, so the line stays
	   valid until then */
	return (char *)start;
}

/* ---- output ---- */

size_t iostream_get_output_used(const struct iostream *s)
{
	return s->olen - s->opos;
}

size_t iostream_get_output_max(const struct iostream *s)
{
	return s->max_output;
}

/* Writes as much as possible. 1 = all written, 0 = some left, -1 error. */
static int stream_flush_internal(struct iostream *s)
{
	if (s->closed)
		return -1;
	while (s->opos < s->olen) {
		ssize_t ret =
		    raw_write(s, s->obuf + s->opos, s->olen - s->opos);
		if (ret < 0) {
			s->flushing = false;
			stream_update_ios(s);
			return -1;
		}
		if (ret == 0)
			break;
		s->opos += (size_t)ret;
	}
	if (s->opos == s->olen) {
		s->opos = s->olen = 0;
		s->flushing = false;
	} else {
		s->flushing = true;
	}
	stream_update_ios(s);
	return s->flushing ? 0 : 1;
}

static void stream_continue_flush(struct iostream *s)
{
	int ret = stream_flush_internal(s);

	if (ret == 0)
		return;
	if (s->flush_cb != NULL)
		s->flush_cb(s->flush_ctx);
	else if (ret < 0)
		stream_call_input(s);
}

int iostream_flush(struct iostream *s)
{
	return stream_flush_internal(s);
}

static size_t stream_auto_flush_threshold(const struct iostream *s)
{
	return s->max_output / 2 > 0 ? s->max_output / 2 : 1;
}

/* Makes room for size more bytes at the end of the output buffer, which
 * is allocated on first use and grows up to max_output. The caller has
 * checked that used + size <= max_output. */
static void stream_output_room(struct iostream *s, size_t size)
{
	size_t used = s->olen - s->opos;

	if (s->osize - s->olen >= size)
		return;
	if (s->opos > 0) {
		/* SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows this even while
		   a TLS write is being retried */
		memmove(s->obuf, s->obuf + s->opos, used);
		s->opos = 0;
		s->olen = used;
	}
	if (s->osize - s->olen < size) {
		size_t new_size = s->osize < IOSTREAM_INITIAL_BUF
				      ? IOSTREAM_INITIAL_BUF
				      : s->osize;

		while (new_size < used + size)
			new_size = size_mul(new_size, 2);
		new_size = MIN_OF(new_size, s->max_output);
		s->obuf = i_realloc(s->obuf, new_size);
		s->osize = new_size;
	}
}

/* Flushes when the buffer is over the auto-flush threshold. */
static void stream_output_appended(struct iostream *s)
{
	if (s->olen - s->opos >= stream_auto_flush_threshold(s) &&
	    !s->tls_write_wants_read) {
		/* an error shows on the next flush: the data was accepted */
		(void)stream_flush_internal(s);
	}
}

int iostream_write(struct iostream *s, const void *data, size_t size)
{
	size_t used = s->olen - s->opos;

	if (s->closed)
		return -1;
	if (size > s->max_output - used)
		return -1;
	if (size == 0)
		return 0;
	stream_output_room(s, size);
	memcpy(s->obuf + s->olen, data, size);
	s->olen += size;
	stream_output_appended(s);
	return 0;
}

unsigned char *iostream_write_reserve(struct iostream *s, size_t min_size,
				      size_t *size_r)
{
	size_t used = s->olen - s->opos;

	*size_r = 0;
	if (s->closed || min_size == 0 || min_size > s->max_output - used)
		return NULL;
	/* the buffer grows (doubling) only when min_size does not fit in
	   what is allocated: a small response does not take max_output */
	stream_output_room(s, min_size);
	*size_r = s->osize - s->olen;
	i_assert(*size_r >= min_size);
	return s->obuf + s->olen;
}

void iostream_write_commit(struct iostream *s, size_t size)
{
	i_assert(size <= s->osize - s->olen);
	if (size == 0)
		return;
	s->olen += size;
	stream_output_appended(s);
}

void iostream_release_buffers(struct iostream *s)
{
	if (s->ilen == s->ipos && s->ibuf != NULL) {
		safe_memset0(s->ibuf, s->isize);
		free(s->ibuf);
		s->ibuf = NULL;
		s->isize = 0;
		s->ipos = s->ilen = s->iscan = 0;
	}
	if (s->olen == s->opos && s->obuf != NULL) {
		safe_memset0(s->obuf, s->osize);
		free(s->obuf);
		s->obuf = NULL;
		s->osize = 0;
		s->opos = s->olen = 0;
	}
}

int iostream_write_str(struct iostream *s, const char *str)
{
	return iostream_write(s, str, strlen(str));
}

int iostream_printf(struct iostream *s, const char *fmt, ...)
{
	char stackbuf[1024], *buf = stackbuf;
	va_list args;
	int len, ret;

	va_start(args, fmt);
	len = vsnprintf(stackbuf, sizeof(stackbuf), fmt, args);
	va_end(args);
	if (len < 0)
		return -1;
	if ((size_t)len >= sizeof(stackbuf)) {
		buf = i_malloc((size_t)len + 1);
		va_start(args, fmt);
		vsnprintf(buf, (size_t)len + 1, fmt, args);
		va_end(args);
	}
	ret = iostream_write(s, buf, (size_t)len);
	if (buf != stackbuf)
		free(buf);
	return ret;
}
