/* tls.c - OpenSSL 3 contexts for TLS servers (and clients, for proxying
 * and tests).
 *
 * Loads certificate chain and key, sets the minimum protocol, cipher list
 * and optional client certificate verification. Renegotiation and
 * compression are refused; a peer closing without close_notify counts as
 * a normal close. Errors are returned as text and never logged here. Does
 * no I/O: iostream.c drives the SSL objects. */
#include "lib.h"
#include "tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

struct tls_context {
	SSL_CTX *ssl_ctx;
	bool client;
};

const char *tls_last_error(void)
{
	static char buf[1024];
	size_t pos = 0;
	unsigned long err;

	buf[0] = '\0';
	while ((err = ERR_get_error()) != 0) {
		char one[256];

		ERR_error_string_n(err, one, sizeof(one));
		if (pos > 0 && pos + 2 < sizeof(buf)) {
			memcpy(buf + pos, ", ", 2);
			pos += 2;
		}
		size_t len = strlen(one);
		if (pos + len >= sizeof(buf))
			len = sizeof(buf) - pos - 1;
		memcpy(buf + pos, one, len);
		pos += len;
		buf[pos] = '\0';
	}
	if (pos == 0)
		return "Unknown TLS error";
	return buf;
}

static int parse_min_protocol(const char *name, int *version_r)
{
	static const struct {
		const char *name;
		int version;
	} versions[] = {
	    {"ANY", 0},
	    {"SSLv3", SSL3_VERSION},
	    {"TLSv1", TLS1_VERSION},
	    {"TLSv1.1", TLS1_1_VERSION},
	    {"TLSv1.2", TLS1_2_VERSION},
	    {"TLSv1.3", TLS1_3_VERSION},
	    {"LATEST", TLS1_3_VERSION},
	};

	if (name == NULL || *name == '\0') {
		*version_r = TLS1_2_VERSION;
		return 0;
	}
	for (unsigned int i = 0; i < N_ELEMENTS(versions); i++) {
		if (strcmp(versions[i].name, name) == 0) {
			*version_r = versions[i].version;
			return 0;
		}
	}
	return -1;
}

static int tls_verify_accept(int preverify_ok, X509_STORE_CTX *store)
{
	return 1;
}

static struct tls_context *tls_context_create(const struct tls_settings *set,
					      bool client, const char **error_r)
{
	static char errbuf[1536];
	struct tls_context *ctx;
	SSL_CTX *ssl_ctx;
	int min_version;

#define FAIL(...)                                                              \
	do {                                                                   \
		snprintf(errbuf, sizeof(errbuf), __VA_ARGS__);                 \
		*error_r = errbuf;                                             \
		SSL_CTX_free(ssl_ctx);                                         \
		return NULL;                                                   \
	} while (0)

	ERR_clear_error();
	ssl_ctx =
	    SSL_CTX_new(client ? TLS_client_method() : TLS_server_method());
	if (ssl_ctx == NULL) {
		snprintf(errbuf, sizeof(errbuf), "SSL_CTX_new() failed: %s",
			 tls_last_error());
		*error_r = errbuf;
		return NULL;
	}
	SSL_CTX_set_options(ssl_ctx,
			    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
				SSL_OP_IGNORE_UNEXPECTED_EOF |
				(client ? 0 : SSL_OP_CIPHER_SERVER_PREFERENCE));
	SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);

	if (parse_min_protocol(set->min_protocol, &min_version) < 0)
		FAIL("Unknown ssl_min_protocol: %s", set->min_protocol);
	if (min_version != 0 &&
	    SSL_CTX_set_min_proto_version(ssl_ctx, min_version) != 1)
		FAIL("Can't set minimum protocol %s: %s", set->min_protocol,
		     tls_last_error());
	if (set->cipher_list != NULL && *set->cipher_list != '\0' &&
	    SSL_CTX_set_cipher_list(ssl_ctx, set->cipher_list) != 1)
		FAIL("Can't set cipher list to '%s': %s", set->cipher_list,
		     tls_last_error());

	if (set->cert_file != NULL && *set->cert_file != '\0') {
		if (SSL_CTX_use_certificate_chain_file(ssl_ctx,
						       set->cert_file) != 1)
			FAIL("Can't load SSL certificate (%s): %s",
			     set->cert_file, tls_last_error());
		const char *key =
		    set->key_file != NULL && *set->key_file != '\0'
			? set->key_file
			: set->cert_file;
		if (SSL_CTX_use_PrivateKey_file(ssl_ctx, key,
						SSL_FILETYPE_PEM) != 1)
			FAIL("Can't load SSL private key (%s): %s", key,
			     tls_last_error());
		if (SSL_CTX_check_private_key(ssl_ctx) != 1)
			FAIL("SSL private key (%s) doesn't match the "
			     "certificate (%s): %s",
			     key, set->cert_file, tls_last_error());
	} else if (!client) {
		FAIL("No SSL certificate configured");
	}

	if (set->ca_file != NULL && *set->ca_file != '\0') {
		if (SSL_CTX_load_verify_locations(ssl_ctx, set->ca_file,
						  NULL) != 1)
			FAIL("Can't load CA file (%s): %s", set->ca_file,
			     tls_last_error());
		if (!client) {
			STACK_OF(X509_NAME) *names =
			    SSL_load_client_CA_file(set->ca_file);
			if (names != NULL)
				SSL_CTX_set_client_CA_list(ssl_ctx, names);
		}
	}
	if (client) {
		SSL_CTX_set_verify(ssl_ctx,
				   set->ca_file != NULL ? SSL_VERIFY_PEER
							: SSL_VERIFY_NONE,
				   NULL);
	} else if (set->verify_client_cert) {
		static const unsigned char sid_ctx[] = "loft";

		/* Ask for a certificate but keep the connection when it
		 * fails to verify: the login reads the verdict with
		 * SSL_get_verify_result() and tells auth, as Dovecot does. */
		SSL_CTX_set_verify(ssl_ctx,
				   SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
				   tls_verify_accept);
		SSL_CTX_set_session_id_context(ssl_ctx, sid_ctx,
					       sizeof(sid_ctx) - 1);
	}
#undef FAIL
	ctx = i_malloc(sizeof(*ctx));
	ctx->ssl_ctx = ssl_ctx;
	ctx->client = client;
	return ctx;
}

struct tls_context *tls_context_create_server(const struct tls_settings *set,
					      const char **error_r)
{
	return tls_context_create(set, false, error_r);
}

struct tls_context *tls_context_create_client(const struct tls_settings *set,
					      const char **error_r)
{
	return tls_context_create(set, true, error_r);
}

void tls_context_unref(struct tls_context **_ctx)
{
	struct tls_context *ctx = *_ctx;

	if (ctx == NULL)
		return;
	*_ctx = NULL;
	/* SSL objects created from the context hold their own reference */
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

void *tls_context_get_ssl_ctx(struct tls_context *ctx)
{
	return ctx->ssl_ctx;
}

bool tls_context_is_client(const struct tls_context *ctx)
{
	return ctx->client;
}
