/* tls.h - OpenSSL 3 server (and test client) contexts.
 *
 * Builds an SSL_CTX from certificate and key files with a minimum protocol
 * and cipher list; renegotiation is refused. Errors are returned as text,
 * never logged here. */
#ifndef LOFT_TLS_H
#define LOFT_TLS_H

#include "lib.h"

struct tls_context;

struct tls_settings {
	const char *cert_file; /* PEM, chain allowed */
	const char *key_file;  /* PEM */
	const char
	    *min_protocol; /* "TLSv1.2", "TLSv1.3", "TLSv1", ... or NULL */
	const char *cipher_list; /* OpenSSL cipher list or NULL */
	const char *ca_file; /* for client certificate verification, or NULL */
	bool verify_client_cert;
};

/* Returns NULL and *error_r on failure (unreadable file, key mismatch...). */
struct tls_context *tls_context_create_server(const struct tls_settings *set,
					      const char **error_r);
/* Client context (proxying, tests): cert_file/key_file optional (client
 * certificate); with ca_file the server certificate is verified, without
 * it nothing is verified. NULL and *error_r on failure. */
struct tls_context *tls_context_create_client(const struct tls_settings *set,
					      const char **error_r);
bool tls_context_is_client(const struct tls_context *ctx);
void tls_context_unref(struct tls_context **ctx);
/* The underlying SSL_CTX * (as void * so that this header needs no OpenSSL). */
void *tls_context_get_ssl_ctx(struct tls_context *ctx);

/* Last OpenSSL error queue as one line (and clears it). Static buffer. */
const char *tls_last_error(void);

#endif
