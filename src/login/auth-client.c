/* auth-client.c - the login process's one connection to the auth process:
 * handshake, multiplexed AUTH requests, reconnection with backoff.
 *
 * It never sees passwords in clear: the SASL data goes through base64 as
 * the client sent it. It does not interpret OK fields beyond handing them
 * to the caller. See auth-client.h for the protocol. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "array.h"
#include "ioloop.h"
#include "iostream.h"
#include "net.h"
#include "log.h"
#include "auth-client.h"

#include <signal.h>

#define AUTH_CLIENT_OUTPUT_MAX (256 * 1024)
#define AUTH_RECONNECT_MIN_MSECS 200
#define AUTH_RECONNECT_MAX_MSECS 5000
/* Log connect failures only after this many in a row: at start-up the
 * auth process is usually a moment behind. */
#define AUTH_RECONNECT_QUIET_ATTEMPTS 5
/* What clients see when requests fail because of the connection. */
#define AUTH_CLIENT_TEMP_REASON                                                \
	"reason=Authentication service temporarily unavailable"

/* ---- the connection ---- */

struct auth_client_request {
	struct auth_client *client;
	unsigned int id;
	auth_request_callback_t *callback;
	void *context;
	struct timeout *to_fail; /* delayed temporary failure */
};

struct auth_client {
	char *socket_path;
	pid_t cpid;
	auth_client_ready_callback_t *ready_callback;
	void *ready_context;

	struct iostream *stream;
	struct timeout *to_reconnect;
	unsigned int reconnect_msecs, failed_attempts;

	pool_t conn_pool; /* handshake of the current connection */
	struct auth_client_handshake hs;
	bool ready;

	/* Mechanisms of the last completed handshake. */
	pool_t mech_pool;
	struct auth_mech_desc *mechs;
	unsigned int mech_count;

	unsigned int next_request_id;
	ARRAY(struct auth_client_request *) requests;
};

static void auth_client_connect(struct auth_client *client);

static void auth_client_schedule_reconnect(struct auth_client *client)
{
	if (client->to_reconnect != NULL)
		return;
	client->to_reconnect = timeout_add_once(
	    client->reconnect_msecs, (io_callback_t *)auth_client_connect,
	    client, &client->to_reconnect);
	client->reconnect_msecs =
	    MIN_OF(client->reconnect_msecs * 2, AUTH_RECONNECT_MAX_MSECS);
}

static void request_free(struct auth_client_request *req)
{
	if (req->to_fail != NULL)
		timeout_remove(&req->to_fail);
	i_free_(req);
}

static bool request_unlink(struct auth_client *client,
			   struct auth_client_request *req)
{
	for (unsigned int i = 0; i < client->requests.count; i++) {
		if (client->requests.items[i] == req) {
			array_delete(&client->requests, i, 1);
			return true;
		}
	}
	return false;
}

static struct auth_client_request *request_find(struct auth_client *client,
						unsigned int id)
{
	for (unsigned int i = 0; i < client->requests.count; i++) {
		if (client->requests.items[i]->id == id)
			return client->requests.items[i];
	}
	return NULL;
}

static void request_fail_temp(struct auth_client_request *req,
			      const char *reason)
{
	const char *fields[3];
	struct auth_reply reply;

	fields[0] = "temp";
	fields[1] = reason;
	fields[2] = NULL;
	memset(&reply, 0, sizeof(reply));
	reply.type = AUTH_REPLY_FAIL;
	reply.id = req->id;
	reply.fields = fields;
	req->callback(&reply, req->context);
}

static void auth_client_disconnect(struct auth_client *client,
				   const char *reason)
{
	bool was_ready = client->ready;

	client->ready = false;
	if (client->stream != NULL)
		iostream_destroy(&client->stream);
	if (client->conn_pool != NULL)
		pool_unref(&client->conn_pool);

	/* Every request in flight belonged to this connection. */
	while (client->requests.count > 0) {
		struct auth_client_request *req =
		    client->requests.items[client->requests.count - 1];

		client->requests.count--;
		request_fail_temp(req, reason);
		request_free(req);
	}
	auth_client_schedule_reconnect(client);
	if (was_ready && client->ready_callback != NULL)
		client->ready_callback(false, client->ready_context);
}

static void auth_client_handshake_done(struct auth_client *client)
{
	struct auth_client_handshake *hs = &client->hs;

	if (client->mech_pool != NULL)
		pool_unref(&client->mech_pool);
	client->mech_pool = pool_create("auth mechanisms", 1024);
	client->mech_count = hs->mechs.count;
	client->mechs = p_new(client->mech_pool, struct auth_mech_desc,
			      hs->mechs.count + 1);
	for (unsigned int i = 0; i < hs->mechs.count; i++) {
		client->mechs[i].name =
		    p_strdup(client->mech_pool, hs->mechs.items[i].name);
		client->mechs[i].flags = hs->mechs.items[i].flags;
	}
	client->ready = true;
	client->failed_attempts = 0;
	client->reconnect_msecs = AUTH_RECONNECT_MIN_MSECS;
	if (client->ready_callback != NULL)
		client->ready_callback(true, client->ready_context);
}

/* Returns -1 when the connection was dropped. */
static int auth_client_input_line(struct auth_client *client, const char *line)
{
	struct auth_client_request *req;
	struct auth_reply reply;
	const char *error;
	pool_t pool;
	int ret;

	if (!client->hs.done) {
		ret = auth_client_handshake_input(&client->hs, line, &error);
		if (ret < 0) {
			i_error("Auth server %s: %s", client->socket_path,
				error);
			auth_client_disconnect(client, AUTH_CLIENT_TEMP_REASON);
			return -1;
		}
		if (ret > 0)
			auth_client_handshake_done(client);
		return 0;
	}

	pool = pool_create("auth reply", 1024);
	ret = auth_client_reply_parse(pool, line, &reply, &error);
	if (ret < 0) {
		i_error("Auth server %s sent a malformed reply: %s",
			client->socket_path, error);
		pool_unref(&pool);
		auth_client_disconnect(client, AUTH_CLIENT_TEMP_REASON);
		return -1;
	}
	if (ret == 0) {
		pool_unref(&pool);
		return 0;
	}
	req = request_find(client, reply.id);
	if (req == NULL) {
		/* Aborted by the login client meanwhile. */
		pool_unref(&pool);
		return 0;
	}
	if (reply.type == AUTH_REPLY_CONT) {
		req->callback(&reply, req->context);
	} else {
		request_unlink(client, req);
		req->callback(&reply, req->context);
		request_free(req);
	}
	pool_unref(&pool);
	return 0;
}

static void auth_client_input(void *context)
{
	struct auth_client *client = context;
	struct iostream *stream = client->stream;
	bool too_long;
	char *line;
	ssize_t ret;

	ret = iostream_read(stream);
	while ((line = iostream_next_line(stream, &too_long)) != NULL) {
		if (auth_client_input_line(client, line) < 0)
			return;
		if (client->stream != stream)
			return;
	}
	if (too_long) {
		i_error("Auth server %s sent a too long line",
			client->socket_path);
		auth_client_disconnect(client, AUTH_CLIENT_TEMP_REASON);
		return;
	}
	if (ret < 0) {
		/* at a stop the master signals this process before auth,
		 * so auth going away with our SIGTERM pending is the stop,
		 * not an error */
		if (signal_is_pending(SIGTERM) || signal_is_pending(SIGINT)) {
			i_debug("Auth server %s disconnected: stopping",
				client->socket_path);
		} else {
			i_error("Auth server %s disconnected: %s",
				client->socket_path,
				iostream_get_error(stream));
		}
		auth_client_disconnect(client, AUTH_CLIENT_TEMP_REASON);
	}
}

static void auth_client_connect(struct auth_client *client)
{
	int fd;

	i_assert(client->stream == NULL);
	fd = net_connect_unix(client->socket_path);
	if (fd < 0) {
		client->failed_attempts++;
		if (client->failed_attempts == AUTH_RECONNECT_QUIET_ATTEMPTS ||
		    (client->failed_attempts > AUTH_RECONNECT_QUIET_ATTEMPTS &&
		     client->reconnect_msecs >= AUTH_RECONNECT_MAX_MSECS &&
		     client->failed_attempts % 12 == 0)) {
			i_error("net_connect_unix(%s) failed: %s",
				client->socket_path, strerror(errno));
		}
		auth_client_schedule_reconnect(client);
		return;
	}
	client->conn_pool = pool_create("auth connection", 2048);
	auth_client_handshake_init(&client->hs, client->conn_pool);
	client->stream =
	    iostream_create(fd, AUTH_CLIENT_MAX_LINE, AUTH_CLIENT_OUTPUT_MAX);
	iostream_set_input_callback(client->stream, auth_client_input, client);
	iostream_printf(client->stream, "VERSION\t%d\t%d\nCPID\t%ld\n",
			AUTH_CLIENT_PROTOCOL_MAJOR, AUTH_CLIENT_PROTOCOL_MINOR,
			(long)client->cpid);
	if (iostream_flush(client->stream) < 0) {
		auth_client_disconnect(client, AUTH_CLIENT_TEMP_REASON);
		return;
	}
}

struct auth_client *auth_client_create(const char *socket_path, pid_t cpid,
				       auth_client_ready_callback_t *cb,
				       void *context)
{
	struct auth_client *client = i_malloc(sizeof(*client));

	client->socket_path = i_strdup(socket_path);
	client->cpid = cpid;
	client->ready_callback = cb;
	client->ready_context = context;
	client->reconnect_msecs = AUTH_RECONNECT_MIN_MSECS;
	client->next_request_id = 1;
	array_init(&client->requests, NULL, 16);
	auth_client_connect(client);
	return client;
}

void auth_client_destroy(struct auth_client **_client)
{
	struct auth_client *client = *_client;

	*_client = NULL;
	if (client == NULL)
		return;
	for (unsigned int i = 0; i < client->requests.count; i++)
		request_free(client->requests.items[i]);
	array_free(&client->requests);
	if (client->to_reconnect != NULL)
		timeout_remove(&client->to_reconnect);
	if (client->stream != NULL)
		iostream_destroy(&client->stream);
	if (client->conn_pool != NULL)
		pool_unref(&client->conn_pool);
	if (client->mech_pool != NULL)
		pool_unref(&client->mech_pool);
	i_free(client->socket_path);
	i_free_(client);
}

bool auth_client_is_ready(const struct auth_client *client)
{
	return client->ready;
}

const struct auth_mech_desc *
auth_client_get_mechs(const struct auth_client *client, unsigned int *count_r)
{
	*count_r = client->mech_count;
	return client->mechs;
}

const struct auth_mech_desc *
auth_client_find_mech(const struct auth_client *client, const char *name)
{
	for (unsigned int i = 0; i < client->mech_count; i++) {
		if (strcasecmp(client->mechs[i].name, name) == 0)
			return &client->mechs[i];
	}
	return NULL;
}

pid_t auth_client_get_server_pid(const struct auth_client *client)
{
	return client->ready ? client->hs.server_pid : 0;
}

const char *auth_client_get_cookie(const struct auth_client *client)
{
	return client->ready ? client->hs.cookie : NULL;
}

static void append_field(string_t *str, const char *key, const char *value)
{
	str_append_c(str, '\t');
	str_append(str, key);
	str_append_c(str, '=');
	str_append_tabescaped(str, value);
}

struct auth_client_request *auth_client_request_start(
    struct auth_client *client, const struct auth_request_params *params,
    auth_request_callback_t *cb, void *context, const char **error_r)
{
	struct auth_client_request *req;
	string_t *str;
	int ret;

	if (!client->ready) {
		*error_r = "Authentication server not connected";
		return NULL;
	}
	req = i_malloc(sizeof(*req));
	req->client = client;
	req->callback = cb;
	req->context = context;
	do {
		req->id = client->next_request_id++;
		if (client->next_request_id == 0)
			client->next_request_id = 1;
	} while (req->id == 0 || request_find(client, req->id) != NULL);

	str = str_new(NULL, 256);
	str_printfa(str, "AUTH\t%u\t", req->id);
	str_append_tabescaped(str, params->mech);
	append_field(str, "service", params->service);
	if (params->secured)
		str_append(str, "\tsecured");
	if (params->local_ip != NULL)
		append_field(str, "lip", params->local_ip);
	if (params->remote_ip != NULL)
		append_field(str, "rip", params->remote_ip);
	if (params->local_port != 0)
		str_printfa(str, "\tlport=%u", params->local_port);
	if (params->remote_port != 0)
		str_printfa(str, "\trport=%u", params->remote_port);
	if (params->session_id != NULL)
		append_field(str, "session", params->session_id);
	if (params->channel_binding != NULL)
		append_field(str, "channel_binding", params->channel_binding);
	if (params->valid_client_cert)
		str_append(str, "\tvalid-client-cert");
	if (params->cert_username != NULL)
		append_field(str, "cert_username", params->cert_username);
	if (params->initial_resp != NULL)
		append_field(str, "resp", params->initial_resp);
	str_append_c(str, '\n');
	ret = iostream_write(client->stream, str_data(str), str_len(str));
	safe_memset0(str->data, str->alloc);
	str_free(&str);
	if (ret < 0 || iostream_flush(client->stream) < 0) {
		i_free_(req);
		*error_r = "Authentication server output buffer full";
		return NULL;
	}
	array_push(&client->requests, req);
	return req;
}

static void request_delayed_fail(void *context)
{
	struct auth_client_request *req = context;

	request_unlink(req->client, req);
	request_fail_temp(req, AUTH_CLIENT_TEMP_REASON);
	request_free(req);
}

void auth_client_request_continue(struct auth_client_request *req,
				  const char *data_base64)
{
	struct auth_client *client = req->client;
	string_t *str;
	int ret = -1;

	if (client->ready) {
		str = str_new(NULL, 64 + strlen(data_base64));
		str_printfa(str, "CONT\t%u\t%s\n", req->id, data_base64);
		ret =
		    iostream_write(client->stream, str_data(str), str_len(str));
		safe_memset0(str->data, str->alloc);
		str_free(&str);
		if (ret == 0 && iostream_flush(client->stream) < 0)
			ret = -1;
	}
	if (ret < 0 && req->to_fail == NULL) {
		req->to_fail = timeout_add_once(0, request_delayed_fail, req,
						&req->to_fail);
	}
}

/* Tells auth to drop a request the client gave up (disconnected in the
 * middle of a SASL exchange), so that it does not wait for its timeout.
 * Best effort: a lost connection drops its requests anyway. */
static void request_send_cancel(struct auth_client *client, unsigned int id)
{
	char line[32];
	int len;

	if (!client->ready || client->stream == NULL)
		return;
	len = snprintf(line, sizeof(line), "CANCEL\t%u\n", id);
	if (iostream_write(client->stream, line, (size_t)len) == 0)
		(void)iostream_flush(client->stream);
}

void auth_client_request_abort(struct auth_client_request **_req)
{
	struct auth_client_request *req = *_req;

	*_req = NULL;
	if (req == NULL)
		return;
	if (request_unlink(req->client, req))
		request_send_cancel(req->client, req->id);
	request_free(req);
}

unsigned int auth_client_request_get_id(const struct auth_client_request *req)
{
	return req->id;
}
