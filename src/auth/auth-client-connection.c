/* auth-client-connection.c - one auth-client protocol connection: the
 * handshake, a bounded line assembler, the AUTH/CONT dispatcher, and the
 * replies of its requests (CONT/OK/FAIL, with the failure delay).
 * Protocol errors by the client (bad handshake, malformed AUTH, duplicate
 * ids, overlong lines) drop the connection with an error log, as a login
 * process that sends them is broken or compromised.
 *
 * Two timers guard each request: the penalty delay (auth-penalty.h) holds
 * back the start of an authentication from an IP that failed recently
 * (unless the login sent no-penalty or the IP is in
 * login_trusted_networks), and the request timeout answers a request the
 * chain has not finished within AUTH_CLIENT_REQUEST_TIMEOUT_SECS with a
 * temporary failure, so that a stuck lookup never leaves a login waiting
 * forever. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "array.h"
#include "base64.h"
#include "log.h"
#include "ioloop.h"
#include "iostream.h"
#include "net.h"
#include "password-scheme.h"
#include "auth-penalty.h"
#include "mech.h"
#include "auth.h"
#include "auth-request.h"
#include "auth-client-connection.h"
#include "auth-connection-common.h"

#define AUTH_CLIENT_MAX_ARGS 64
#define AUTH_CLIENT_REQUEST_TIMEOUT_SECS AUTH_REQUEST_TIMEOUT_SECS
#define AUTH_INTERNAL_FAILURE_MSG                                              \
	"Internal error occurred. Refer to server log for more information."

struct auth_client_connection {
	struct auth_client_connection *prev, *next;
	struct auth *auth;
	struct iostream *stream;
	string_t *capture; /* capture mode output */
	string_t *linebuf; /* partial input line */
	pool_t line_pool;  /* per-line scratch */
	bool skip_to_lf;
	bool version_received;
	bool corked; /* replies wait for one flush after the input */
	bool destroyed, failed;
	struct timeout *to_destroy;

	unsigned int connect_uid;
	pid_t peer_pid;	  /* SO_PEERCRED, 0 = unknown */
	pid_t client_pid; /* CPID, 0 = not yet */
	char cookie[33];

	ARRAY(struct auth_request *) requests;
};

/* The connection's view of one of its requests (request->context). */
struct client_request {
	struct auth_client_connection *conn;
	struct auth_request *request;
	struct timeout *to_start;     /* penalty delay before the start */
	struct timeout *to_timeout;   /* request timeout */
	const unsigned char *initial; /* initial response (request pool) */
	size_t initial_size;
	bool has_initial;
	uint64_t created_msecs;
};

static struct auth_client_connection *connections = NULL;
static unsigned int next_connect_uid = 1;
static struct auth_penalty *penalty = NULL;

static void conn_destroy_timeout(void *context);

static void conn_flush(struct auth_client_connection *conn)
{
	if (conn->stream == NULL || conn->failed)
		return;
	if (iostream_flush(conn->stream) < 0) {
		conn->failed = true;
		if (conn->to_destroy == NULL && current_ioloop != NULL) {
			conn->to_destroy = timeout_add_once(
			    0, conn_destroy_timeout, conn, &conn->to_destroy);
		}
	}
}

static void conn_send(struct auth_client_connection *conn, string_t *line)
{
	if (conn->failed)
		return;
	str_append_c(line, '\n');
	if (conn->stream == NULL) {
		str_append_str(conn->capture, line);
		return;
	}
	if (iostream_write(conn->stream, str_data(line), str_len(line)) < 0) {
		i_error("auth client %u: output buffer full, disconnecting",
			conn->connect_uid);
		conn->failed = true;
		if (conn->to_destroy == NULL && current_ioloop != NULL) {
			conn->to_destroy = timeout_add_once(
			    0, conn_destroy_timeout, conn, &conn->to_destroy);
		}
		return;
	}
	if (!conn->corked)
		conn_flush(conn);
}

static void conn_send_str(struct auth_client_connection *conn, const char *s)
{
	string_t *line = str_new(conn->line_pool, strlen(s) + 2);

	str_append(line, s);
	conn_send(conn, line);
}

const char *
auth_client_connection_get_cookie(const struct auth_client_connection *conn)
{
	return conn->cookie;
}

string_t *auth_client_connection_get_output(struct auth_client_connection *conn)
{
	return conn->capture;
}

void auth_client_connection_set_peer_pid(struct auth_client_connection *conn,
					 pid_t pid)
{
	conn->peer_pid = pid;
}

static void conn_send_handshake(struct auth_client_connection *conn)
{
	string_t *out = str_new(conn->line_pool, 256);

	str_printfa(out, "VERSION\t%u\t%u", AUTH_CLIENT_PROTOCOL_MAJOR,
		    AUTH_CLIENT_PROTOCOL_MINOR);
	conn_send(conn, out);
	for (unsigned int i = 0; i < conn->auth->mechs.count; i++) {
		const struct mech_module *mech = conn->auth->mechs.items[i];

		out = str_new(conn->line_pool, 64);
		str_printfa(out, "MECH\t%s", mech->name);
		if (mech->flags != NULL)
			str_printfa(out, "\t%s", mech->flags);
		conn_send(conn, out);
	}
	out = str_new(conn->line_pool, 64);
	str_printfa(out, "SPID\t%ld", (long)conn->auth->pid);
	conn_send(conn, out);
	out = str_new(conn->line_pool, 64);
	str_printfa(out, "CUID\t%u", conn->connect_uid);
	conn_send(conn, out);
	out = str_new(conn->line_pool, 64);
	str_printfa(out, "COOKIE\t%s", conn->cookie);
	conn_send(conn, out);
	conn_send_str(conn, "DONE");
	pool_clear(conn->line_pool);
}

/* --- requests --- */

static int conn_find_request(struct auth_client_connection *conn,
			     unsigned int id)
{
	for (unsigned int i = 0; i < conn->requests.count; i++) {
		if (conn->requests.items[i]->id == id)
			return (int)i;
	}
	return -1;
}

static void conn_remove_request(struct auth_client_connection *conn,
				struct auth_request *request)
{
	for (unsigned int i = 0; i < conn->requests.count; i++) {
		if (conn->requests.items[i] == request) {
			struct client_request *creq = request->context;

			array_delete(&conn->requests, i, 1);
			if (request->to_delay != NULL)
				timeout_remove(&request->to_delay);
			if (creq->to_start != NULL)
				timeout_remove(&creq->to_start);
			if (creq->to_timeout != NULL)
				timeout_remove(&creq->to_timeout);
			auth_request_unref(&request);
			return;
		}
	}
}

static bool reply_field_is_internal(const char *field)
{
	static const char *const internal[] = {
	    "nopassword=", "password=",	       "nodelay=",
	    "allow_nets=", "allow_real_nets=",
	};
	for (unsigned int i = 0; i < N_ELEMENTS(internal); i++) {
		if (str_begins(field, internal[i], NULL))
			return true;
	}
	return false;
}

static void conn_send_fail_line(struct auth_client_connection *conn,
				struct auth_request *request)
{
	string_t *line = str_new(conn->line_pool, 128);
	const char *user =
	    request->user != NULL ? request->user : request->original_username;

	str_append_n(line, "FAIL\t", 5);
	str_append_uint(line, request->id);
	if (user != NULL) {
		str_append(line, "\tuser=");
		str_append_tabescaped(line, user);
	}
	if (request->fail_reason != NULL) {
		/* nologin's reason, shown to the client */
		str_append(line, "\treason=");
		str_append_tabescaped(line, request->fail_reason);
	}
	conn_send(conn, line);
}

static void request_delayed_fail(void *context)
{
	struct auth_request *request = context;
	struct client_request *creq = request->context;
	struct auth_client_connection *conn = creq->conn;

	/* timeout_add_once() already cleared request->to_delay */
	conn_send_fail_line(conn, request);
	conn_remove_request(conn, request);
	pool_clear(conn->line_pool);
}

static void conn_reply_success(struct auth_client_connection *conn,
			       struct auth_request *request)
{
	string_t *line = str_new(conn->line_pool, 256);

	str_append_n(line, "OK\t", 3);
	str_append_uint(line, request->id);
	str_append_n(line, "\tuser=", 6);
	str_append_tabescaped(line, request->user);
	for (unsigned int i = 0; i < request->extra_fields.count; i++) {
		const char *f = request->extra_fields.items[i];

		if (reply_field_is_internal(f))
			continue;
		str_append_c(line, '\t');
		str_append_tabescaped(line, f);
	}
	auth_success_add(conn->auth, conn->client_pid, request->id,
			 conn->cookie, request->user, request->userdb_found,
			 request->userdb_internal_failure,
			 &request->userdb_fields);
	conn_send(conn, line);
	conn_remove_request(conn, request);
}

/* Whether the penalty applies to the request's remote IP. */
static bool request_has_penalty(struct auth_request *request)
{
	const char *nets = request->auth->set->login_trusted_networks;
	struct ip_addr ip, net_ip;
	unsigned int bits;
	bool trusted = false;

	if (request->no_penalty || request->remote_ip == NULL ||
	    request->remote_ip[0] == '\0')
		return false;
	if (nets == NULL || nets[0] == '\0' ||
	    net_addr2ip(request->remote_ip, &ip) < 0)
		return true;
	pool_t pool = pool_create("trusted nets", 256);
	char **list = p_strsplit_spaces(pool, nets, " ,");
	for (unsigned int i = 0; list[i] != NULL && !trusted; i++) {
		if (net_parse_range(list[i], &net_ip, &bits) == 0 &&
		    net_is_in_network(&ip, &net_ip, bits))
			trusted = true;
	}
	pool_unref(&pool);
	return !trusted;
}

static void request_update_penalty(struct auth_request *request, bool success)
{
	if (penalty == NULL || !request_has_penalty(request))
		return;
	if (!success &&
	    auth_fields_find(&request->extra_fields, "nodelay") != NULL)
		return;
	auth_penalty_update(
	    penalty, request->remote_ip, success,
	    success ? 0
		    : auth_penalty_checksum(request->original_username,
					    request->password),
	    time_now_msecs());
}

static void auth_client_request_reply(struct auth_request *request,
				      enum auth_reply_type type,
				      const unsigned char *data, size_t size)
{
	struct client_request *creq = request->context;
	struct auth_client_connection *conn = creq->conn;
	unsigned int delay = conn->auth->set->auth_failure_delay_msecs;
	string_t *line;

	switch (type) {
	case AUTH_REPLY_CONTINUE:
		line = str_new(conn->line_pool, 64 + BASE64_ENCODED_SIZE(size));
		str_printfa(line, "CONT\t%u\t", request->id);
		base64_encode(data, size, line);
		conn_send(conn, line);
		break;
	case AUTH_REPLY_SUCCESS:
		if (auth_verbose_enabled(conn->auth, NULL) &&
		    conn->auth->set->auth_debug) {
			i_debug("client %u: %s authenticated",
				conn->connect_uid, request->user);
		}
		request_update_penalty(request, true);
		conn_reply_success(conn, request);
		break;
	case AUTH_REPLY_FAIL:
		request_update_penalty(request, false);
		if (creq->to_timeout != NULL)
			timeout_remove(&creq->to_timeout);
		if (delay == 0 || current_ioloop == NULL ||
		    auth_fields_find(&request->extra_fields, "nodelay") !=
			NULL) {
			conn_send_fail_line(conn, request);
			conn_remove_request(conn, request);
			break;
		}
		/* Keep the request (its id stays taken) until the delay
		 * has passed, then answer. */
		request->to_delay = timeout_add_once(
		    delay, request_delayed_fail, request, &request->to_delay);
		break;
	case AUTH_REPLY_INTERNAL_FAIL:
		line = str_new(conn->line_pool, 128);
		str_printfa(line, "FAIL\t%u\treason=%s\ttemp", request->id,
			    AUTH_INTERNAL_FAILURE_MSG);
		conn_send(conn, line);
		conn_remove_request(conn, request);
		break;
	}
}

/* --- commands --- */

static int conn_error(struct auth_client_connection *conn, const char *msg)
{
	i_error("auth client %u (pid=%ld): %s", conn->connect_uid,
		(long)conn->client_pid, msg);
	return -1;
}

static void conn_fail_now(struct auth_client_connection *conn, unsigned int id,
			  const char *reason)
{
	string_t *line = str_new(conn->line_pool, 128);

	str_printfa(line, "FAIL\t%u\treason=", id);
	str_append_tabescaped(line, reason);
	conn_send(conn, line);
}

/* Hands the request to its mechanism (after the penalty delay). */
static void request_start(void *context)
{
	struct client_request *creq = context;
	struct auth_request *request = creq->request;

	auth_request_ref(request);
	request->mech->auth_initial(request, creq->initial, creq->initial_size,
				    creq->has_initial);
	auth_request_unref(&request);
}

static void request_timeout(void *context)
{
	struct client_request *creq = context;
	struct auth_request *request = creq->request;
	struct auth_client_connection *conn = creq->conn;

	if (request->finished)
		return;
	i_error(
	    "%s: Request %u.%u timed out after %u secs",
	    auth_request_log_prefix(request, "auth"), conn->connect_uid,
	    request->id,
	    (unsigned int)((time_now_msecs() - creq->created_msecs) / 1000));
	/* Late results of its lookups are dropped from now on. */
	auth_request_abort(request);
	string_t *line = str_new(conn->line_pool, 128);
	str_printfa(line, "FAIL\t%u\treason=%s\ttemp", request->id,
		    AUTH_INTERNAL_FAILURE_MSG);
	conn_send(conn, line);
	conn_remove_request(conn, request);
}

static int conn_cmd_auth(struct auth_client_connection *conn, char *const *args,
			 unsigned int argc)
{
	const struct mech_module *mech;
	struct auth_request *request;
	struct client_request *creq;
	string_t *initial = NULL;
	unsigned int penalty_msecs = 0;
	unsigned int id;
	const char *resp = NULL;

	if (argc < 2 || str_to_uint(args[0], &id) < 0)
		return conn_error(
		    conn,
		    "BUG: Authentication client sent broken AUTH request");
	if (conn_find_request(conn, id) >= 0)
		return conn_error(
		    conn, "BUG: Authentication client sent a duplicate ID");
	if (conn->requests.count >= AUTH_CLIENT_MAX_PENDING) {
		i_warning("auth client %u: too many pending requests",
			  conn->connect_uid);
		string_t *line = str_new(conn->line_pool, 64);
		str_printfa(line,
			    "FAIL\t%u\treason=Too many pending requests\ttemp",
			    id);
		conn_send(conn, line);
		return 0;
	}

	mech = auth_find_mech(conn->auth, args[1]);
	if (mech == NULL) {
		conn_fail_now(conn, id, "Unsupported authentication mechanism");
		return 0;
	}

	request =
	    auth_request_new(conn->auth, mech, auth_client_request_reply, NULL);
	creq = p_new(request->pool, struct client_request, 1);
	creq->conn = conn;
	creq->request = request;
	creq->created_msecs = time_now_msecs();
	request->context = creq;
	request->id = id;
	request->want_userdb = true;
	for (unsigned int i = 2; i < argc; i++) {
		/* the line is ours: split key=value in place */
		char *key = args[i], *eq = strchr(key, '=');
		const char *value = NULL;

		if (eq != NULL) {
			*eq = '\0';
			value = eq + 1;
		}

		if (strcmp(key, "resp") == 0) {
			resp = value == NULL ? "" : value;
			continue;
		}
		if (value != NULL && strchr(value, '\001') != NULL)
			value = str_tabunescape(request->pool, value);
		if (!auth_request_import(request, key, value)) {
			auth_request_unref(&request);
			return conn_error(conn,
					  "BUG: Authentication client sent an "
					  "invalid AUTH parameter");
		}
	}
	if (request->service == NULL) {
		auth_request_unref(&request);
		return conn_error(
		    conn, "BUG: Authentication client didn't specify service");
	}

	if (resp != NULL) {
		initial = str_new(request->pool, strlen(resp) * 3 / 4 + 4);
		if (base64_decode(resp, strlen(resp), initial) < 0) {
			auth_request_unref(&request);
			conn_fail_now(
			    conn, id,
			    "Invalid base64 data in initial response");
			return 0;
		}
		if (str_len(initial) > MECH_MAX_RESPONSE_SIZE) {
			auth_request_unref(&request);
			conn_fail_now(conn, id, "Initial response too large");
			return 0;
		}
	}

	creq->has_initial = initial != NULL;
	creq->initial =
	    initial == NULL ? (const unsigned char *)"" : str_data(initial);
	creq->initial_size = initial == NULL ? 0 : str_len(initial);
	array_push(&conn->requests, request);
	if (current_ioloop != NULL) {
		creq->to_timeout =
		    timeout_add_once(AUTH_CLIENT_REQUEST_TIMEOUT_SECS * 1000,
				     request_timeout, creq, &creq->to_timeout);
		if (penalty == NULL)
			penalty = auth_penalty_new();
		if (request_has_penalty(request)) {
			penalty_msecs = auth_penalty_delay_msecs(
			    penalty, request->remote_ip, time_now_msecs());
		}
	}
	if (penalty_msecs > 0) {
		if (conn->auth->set->auth_debug) {
			i_debug("%s: Waiting %u ms for the failure penalty",
				auth_request_log_prefix(request, "auth"),
				penalty_msecs);
		}
		creq->to_start = timeout_add_once(penalty_msecs, request_start,
						  creq, &creq->to_start);
		return 0;
	}
	request_start(creq);
	return 0;
}

static int conn_cmd_cont(struct auth_client_connection *conn, char *const *args,
			 unsigned int argc)
{
	struct auth_request *request;
	unsigned int id;
	string_t *data;
	int idx;

	if (argc < 2 || str_to_uint(args[0], &id) < 0)
		return conn_error(
		    conn,
		    "BUG: Authentication client sent broken CONT request");
	idx = conn_find_request(conn, id);
	if (idx < 0) {
		/* It may have just failed or timed out. */
		i_debug("auth client %u: CONT for unknown request %u",
			conn->connect_uid, id);
		return 0;
	}
	request = conn->requests.items[idx];
	if (((struct client_request *)request->context)->to_start != NULL) {
		/* not started yet: there was no challenge to answer */
		auth_request_fail(request, "CONT before the first challenge");
		return 0;
	}
	if (request->finished) {
		/* waiting for its failure delay */
		return 0;
	}
	data = str_new(request->pool, strlen(args[1]) * 3 / 4 + 4);
	if (base64_decode(args[1], strlen(args[1]), data) < 0) {
		auth_request_fail(request,
				  "Invalid base64 data in continued response");
		return 0;
	}
	if (str_len(data) > MECH_MAX_RESPONSE_SIZE) {
		auth_request_fail(request, "Response too large");
		return 0;
	}
	auth_request_ref(request);
	request->mech->auth_continue(request, str_data(data), str_len(data));
	safe_memset0(data->data, str_len(data));
	auth_request_unref(&request);
	return 0;
}

/* CANCEL <id>: the client gave up the request (its user disconnected in
 * the middle of an exchange); drop it now instead of at its timeout. An
 * unknown id (already answered) is ignored. */
static int conn_cmd_cancel(struct auth_client_connection *conn,
			   char *const *args, unsigned int argc)
{
	struct auth_request *request;
	unsigned int id;
	int idx;

	if (argc < 1 || str_to_uint(args[0], &id) < 0)
		return conn_error(
		    conn,
		    "BUG: Authentication client sent broken CANCEL request");
	idx = conn_find_request(conn, id);
	if (idx < 0)
		return 0;
	request = conn->requests.items[idx];
	auth_request_abort(request);
	conn_remove_request(conn, request);
	return 0;
}

static int conn_cmd_cpid(struct auth_client_connection *conn, char *const *args,
			 unsigned int argc)
{
	unsigned int pid;

	if (conn->client_pid != 0)
		return conn_error(conn,
				  "BUG: Authentication client sent CPID twice");
	if (argc < 1 || str_to_uint(args[0], &pid) < 0 || pid == 0)
		return conn_error(
		    conn, "BUG: Authentication client sent an invalid CPID");
	if (conn->peer_pid != 0 && (pid_t)pid != conn->peer_pid) {
		i_error(
		    "auth client %u: CPID %u does not match the peer's pid %ld",
		    conn->connect_uid, pid, (long)conn->peer_pid);
		return -1;
	}
	conn->client_pid = (pid_t)pid;
	return 0;
}

static int conn_handle_line(struct auth_client_connection *conn, char *line)
{
	char *args[AUTH_CLIENT_MAX_ARGS + 1];
	unsigned int argc;
	char *cmd = line;

	/* split at tabs (values stay escaped until used) */
	if (auth_connection_split_line(line, args, AUTH_CLIENT_MAX_ARGS,
				       &argc) < 0)
		return conn_error(conn, "Too many parameters");

	if (!conn->version_received) {
		enum auth_connection_version version =
		    auth_connection_check_version(cmd, args, argc, 2,
						  AUTH_CLIENT_PROTOCOL_MAJOR);

		if (version == AUTH_CONNECTION_VERSION_MISSING)
			return conn_error(
			    conn, "Authentication client didn't send VERSION");
		if (version == AUTH_CONNECTION_VERSION_INCOMPATIBLE)
			return conn_error(
			    conn, "Authentication client is not compatible "
				  "with this server (major version mismatch)");
		conn->version_received = true;
		return 0;
	}
	if (strcmp(cmd, "CPID") == 0)
		return conn_cmd_cpid(conn, args, argc);
	if (conn->client_pid == 0)
		return conn_error(
		    conn,
		    "BUG: Authentication client sent a command before CPID");
	if (strcmp(cmd, "AUTH") == 0)
		return conn_cmd_auth(conn, args, argc);
	if (strcmp(cmd, "CONT") == 0)
		return conn_cmd_cont(conn, args, argc);
	if (strcmp(cmd, "CANCEL") == 0)
		return conn_cmd_cancel(conn, args, argc);
	return conn_error(conn,
			  "BUG: Authentication client sent unknown command");
}

int auth_client_connection_input(struct auth_client_connection *conn,
				 const unsigned char *data, size_t size)
{
	size_t i = 0;

	while (i < size && !conn->failed) {
		const unsigned char *lf = memchr(data + i, '\n', size - i);
		size_t chunk =
		    lf == NULL ? size - i : (size_t)(lf - (data + i));

		if (conn->skip_to_lf) {
			if (lf == NULL)
				return 0;
			conn->skip_to_lf = false;
			i += chunk + 1;
			continue;
		}
		if (str_len(conn->linebuf) + chunk > AUTH_CLIENT_MAX_LINE) {
			return conn_error(
			    conn, "Authentication client sent too long line");
		}
		str_append_n(conn->linebuf, data + i, chunk);
		if (lf == NULL)
			return 0;
		i += chunk + 1;

		char *line = p_strndup(conn->line_pool, str_data(conn->linebuf),
				       str_len(conn->linebuf));
		size_t len = strlen(line);
		if (len != str_len(conn->linebuf)) {
			str_truncate(conn->linebuf, 0);
			return conn_error(
			    conn, "Authentication client sent NUL in a line");
		}
		safe_memset0(conn->linebuf->data, str_len(conn->linebuf));
		str_truncate(conn->linebuf, 0);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		int ret = conn_handle_line(conn, line);
		safe_memset0(line, len);
		pool_clear(conn->line_pool);
		if (ret < 0)
			return -1;
	}
	return conn->failed ? -1 : 0;
}

/* --- socket I/O --- */

static void conn_destroy_timeout(void *context)
{
	struct auth_client_connection *conn = context;

	auth_client_connection_destroy(&conn);
}

static void conn_input_callback(void *context)
{
	struct auth_client_connection *conn = context;
	const unsigned char *data;
	size_t size;
	ssize_t ret;

	ret = iostream_read(conn->stream);
	data = iostream_get_data(conn->stream, &size);
	if (size > 0) {
		/* the replies to all the requests of one read go out in one
		   write */
		conn->corked = true;
		int r = auth_client_connection_input(conn, data, size);
		conn->corked = false;
		iostream_skip(conn->stream, size);
		if (r < 0) {
			auth_client_connection_destroy(&conn);
			return;
		}
		conn_flush(conn);
	}
	if (ret < 0)
		auth_client_connection_destroy(&conn);
}

struct auth_client_connection *auth_client_connection_create(struct auth *auth,
							     int fd)
{
	struct auth_client_connection *conn;
	unsigned char rnd[16];
	pid_t pid;
	uid_t uid;
	gid_t gid;

	conn = i_malloc(sizeof(*conn));
	conn->auth = auth;
	conn->connect_uid = next_connect_uid++;
	conn->line_pool = pool_create_secure("auth client line", 1024);
	conn->linebuf = str_new_secure(256);
	array_init(&conn->requests, NULL, 8);
	password_random_bytes(rnd, sizeof(rnd));
	for (unsigned int i = 0; i < sizeof(rnd); i++)
		snprintf(conn->cookie + i * 2, 3, "%02x", rnd[i]);

	if (fd < 0) {
		conn->capture = str_new(NULL, 256);
	} else {
		if (net_getunixcred(fd, &pid, &uid, &gid) == 0)
			conn->peer_pid = pid;
		conn->stream = iostream_create(fd, AUTH_CLIENT_MAX_LINE + 1024,
					       AUTH_CLIENT_MAX_OUTPUT);
		iostream_set_input_callback(conn->stream, conn_input_callback,
					    conn);
	}
	conn->next = connections;
	if (connections != NULL)
		connections->prev = conn;
	connections = conn;
	conn_send_handshake(conn);
	return conn;
}

void auth_client_connection_destroy(struct auth_client_connection **_conn)
{
	struct auth_client_connection *conn = *_conn;

	*_conn = NULL;
	if (conn == NULL || conn->destroyed)
		return;
	conn->destroyed = true;
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		connections = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;

	for (unsigned int i = 0; i < conn->requests.count; i++) {
		struct auth_request *request = conn->requests.items[i];

		struct client_request *creq = request->context;

		if (request->to_delay != NULL)
			timeout_remove(&request->to_delay);
		if (creq->to_start != NULL)
			timeout_remove(&creq->to_start);
		if (creq->to_timeout != NULL)
			timeout_remove(&creq->to_timeout);
		auth_request_abort(request);
		auth_request_unref(&request);
	}
	array_free(&conn->requests);
	if (conn->to_destroy != NULL)
		timeout_remove(&conn->to_destroy);
	if (conn->stream != NULL)
		iostream_destroy(&conn->stream);
	if (conn->capture != NULL)
		str_free(&conn->capture);
	str_free(&conn->linebuf);
	pool_unref(&conn->line_pool);
	i_free(conn);
}

void auth_client_connections_destroy_all(void)
{
	while (connections != NULL) {
		struct auth_client_connection *conn = connections;
		auth_client_connection_destroy(&conn);
	}
	auth_penalty_free(&penalty);
}
