/* iostream.h - buffered, non-blocking input and output over one socket,
 * plain or TLS.
 *
 * One iostream per connection. Input is read into a bounded buffer;
 * protocol code consumes it line by line or as raw bytes. Output is
 * buffered up to a maximum; iostream_flush() writes what it can and the
 * stream keeps flushing from the loop, calling the flush callback when the
 * buffer has drained, so that large responses can be produced
 * incrementally and memory per connection stays flat.
 *
 * TLS (OpenSSL) can be started at any point (STARTTLS/STLS) after the
 * plain output has been flushed: the bytes already buffered as input at
 * that point are discarded, as RFC 3207/2595 require. Renegotiation is
 * refused. The stream owns the fd: iostream_destroy() closes it.
 *
 * Plain writes use MSG_NOSIGNAL, but OpenSSL writes with write(2): a
 * process using TLS streams must call signal_ignore(SIGPIPE). */
#ifndef LOFT_IOSTREAM_H
#define LOFT_IOSTREAM_H

#include "lib.h"

struct iostream;
struct tls_context;

typedef void iostream_callback_t(void *context);

/* max_input: input buffer limit (a line longer than this is "too long").
 * max_output: output buffer limit (iostream_write beyond it fails). */
struct iostream *iostream_create(int fd, size_t max_input, size_t max_output);
/* Closes the fd, frees TLS state and buffers, removes ios; *stream = NULL. */
void iostream_destroy(struct iostream **stream);
int iostream_get_fd(const struct iostream *stream);

/* Called when input is available (or EOF/error is pending). NULL stops
 * reading (e.g. while the output is blocked). Setting a callback again
 * while input is already buffered schedules one call from the loop. */
void iostream_set_input_callback(struct iostream *stream,
				 iostream_callback_t *cb, void *context);
/* Called when all buffered output has been written after a flush that
 * could not finish at once. */
void iostream_set_flush_callback(struct iostream *stream,
				 iostream_callback_t *cb, void *context);

/* Starts a TLS server handshake on the stream. Returns 0 on success (the
 * handshake continues inside the stream), -1 on error with *error_r. */
int iostream_start_tls_server(struct iostream *stream, struct tls_context *ctx,
			      const char **error_r);
/* Starts a TLS client handshake (proxying, tests); hostname (may be NULL)
 * is sent as SNI and checked when the context verifies certificates.
 * Like the server side, the handshake is driven by the stream's reads and
 * writes: set an input callback (or write and flush) to make it progress.
 * Returns 0, or -1 with *error_r. */
int iostream_start_tls_client(struct iostream *stream, struct tls_context *ctx,
			      const char *hostname, const char **error_r);
bool iostream_is_tls(const struct iostream *stream);
/* True once the TLS handshake has completed. */
bool iostream_tls_handshake_finished(const struct iostream *stream);
/* Negotiated "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384" or NULL. */
const char *iostream_tls_description(const struct iostream *stream);
/* Fills with RFC 9266 tls-exporter channel binding data. Returns 0 ok,
 * -1 when not TLS or unavailable. */
int iostream_tls_exporter(struct iostream *stream, unsigned char out[32]);
/* Client certificate of a finished TLS handshake: returns 1 when the peer
 * sent one that verified against the context's CA (with its subject's
 * CommonName copied into cn, "" when none or longer than cn_size - 1),
 * 0 when there is none or it did not verify, -1 when not TLS. */
int iostream_tls_peer_cert(struct iostream *stream, char *cn, size_t cn_size);

/* Reads available data into the input buffer.
 * Returns >0 bytes added, 0 nothing available now (or buffer full, see
 * iostream_input_full), -1 EOF or error (see iostream_get_error). */
ssize_t iostream_read(struct iostream *stream);
bool iostream_input_full(const struct iostream *stream);
/* Buffered unread input. */
const unsigned char *iostream_get_data(const struct iostream *stream,
				       size_t *size_r);
void iostream_skip(struct iostream *stream, size_t count);

/* Returns the next complete line from the buffer, without CR LF (a bare LF
 * also ends a line), NUL-terminated. The pointer stays valid until the next
 * read/skip/next_line call. Returns NULL when no full line is buffered.
 * When the buffer is full without a line end, *too_long_r is set to true
 * and the caller should report the error and call iostream_skip_line(). */
char *iostream_next_line(struct iostream *stream, bool *too_long_r);
/* Discards input up to and including the next LF, across reads.
 * (Sets a state so that further reads drop bytes until the LF.) */
void iostream_skip_line(struct iostream *stream);

/* Appends to the output buffer. Returns 0, or -1 when the buffer would go
 * over max_output (nothing appended). Nothing is written until flush, but
 * the stream flushes automatically when the buffer exceeds an internal
 * threshold. */
int iostream_write(struct iostream *stream, const void *data, size_t size);
int iostream_write_str(struct iostream *stream, const char *str);
int iostream_printf(struct iostream *stream, const char *fmt, ...)
    ATTR_FORMAT(2, 3);
/* Direct writing into the output buffer, for producers that transform
 * data (no intermediate copy): returns where at least min_size bytes can
 * be written, with *size_r the room there (what the buffer has free; it
 * is grown, doubling up to max_output, only when min_size does not fit).
 * Returns NULL when min_size bytes do not fit under max_output (or the
 * stream is closed). Nothing is appended until iostream_write_commit()
 * with the number of bytes actually written (<= *size_r); any other call
 * on the stream in between invalidates the pointer. */
unsigned char *iostream_write_reserve(struct iostream *stream, size_t min_size,
				      size_t *size_r);
/* Appends size bytes written at iostream_write_reserve()'s pointer; may
 * flush like iostream_write(). */
void iostream_write_commit(struct iostream *stream, size_t size);

/* Frees the input buffer when it holds no unread bytes and the output
 * buffer when it holds no unwritten bytes (both are wiped first). They
 * are allocated again when needed: call this when a connection goes idle
 * so that it holds no buffer memory. A line returned by
 * iostream_next_line() is invalid afterwards. */
void iostream_release_buffers(struct iostream *stream);

/* Writes as much as possible. Returns 1 when everything was written, 0 when
 * output remains (the stream continues from the loop and then calls the
 * flush callback), -1 on error. */
int iostream_flush(struct iostream *stream);
size_t iostream_get_output_used(const struct iostream *stream);
size_t iostream_get_output_max(const struct iostream *stream);

/* Set when the peer closed or an error happened. */
bool iostream_is_closed(const struct iostream *stream);
/* "Connection closed", "Connection reset by peer", TLS error text...
 * ("" while the stream is open). */
const char *iostream_get_error(const struct iostream *stream);

#endif
