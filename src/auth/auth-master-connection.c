/* auth-master-connection.c - one auth-master / auth-userdb connection:
 * REQUEST (turning a login's successful AUTH into its user), USER and
 * PASS lookups through the chains, LIST, and CACHE-FLUSH (auth-master
 * only: "CACHE-FLUSH\t<id>[\t<user>...]" empties the auth cache or
 * drops the users' entries, answering "OK\t<id>\t<count>", as Dovecot's
 * doveadm auth cache flush does). The peer is a trusted Loft process, but
 * its input is still parsed with the same bounds.
 *
 * USER, PASS and EXPLAIN requests are guarded by a timer, as auth-client
 * requests are: one the chains have not finished within
 * AUTH_REQUEST_TIMEOUT_SECS is logged, aborted (so a late result of its
 * lookups is dropped) and answered with FAIL (EXPLAIN: DONE TEMPFAIL). */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "array.h"
#include "log.h"
#include "ioloop.h"
#include "iostream.h"
#include "auth.h"
#include "auth-request.h"
#include "auth-cache.h"
#include "auth-master-connection.h"
#include "auth-connection-common.h"
#include "mech.h"

#define AUTH_MASTER_MAX_ARGS 64
#define AUTH_MASTER_INTERNAL_FAILURE_MSG                                       \
	"Internal error occurred. Refer to server log for more information."

struct auth_master_connection {
	struct auth_master_connection *prev, *next;
	struct auth *auth;
	struct iostream *stream;
	string_t *capture;
	string_t *linebuf;
	pool_t line_pool;
	bool userdb_only;
	bool version_received;
	bool failed, destroyed;
	struct timeout *to_destroy;
	ARRAY(struct auth_request *) requests;
};

/* The connection's view of one of its lookups (request->context). */
struct master_request {
	struct auth_master_connection *conn;
	struct auth_request *request;
	struct timeout *to_timeout; /* request timeout */
	uint64_t created_msecs;
	bool explain;
};

static struct auth_master_connection *master_connections = NULL;
static unsigned int master_request_timeout_msecs =
    AUTH_REQUEST_TIMEOUT_SECS * 1000;

void auth_master_connection_set_request_timeout_msecs(unsigned int msecs)
{
	master_request_timeout_msecs = msecs;
}

static void master_destroy_timeout(void *context)
{
	struct auth_master_connection *conn = context;

	auth_master_connection_destroy(&conn);
}

static void master_send(struct auth_master_connection *conn, string_t *line)
{
	if (conn->failed)
		return;
	str_append_c(line, '\n');
	if (conn->stream == NULL) {
		str_append_str(conn->capture, line);
		return;
	}
	if (iostream_write(conn->stream, str_data(line), str_len(line)) < 0 ||
	    iostream_flush(conn->stream) < 0) {
		i_error("auth-master connection: output failed, disconnecting");
		conn->failed = true;
		if (conn->to_destroy == NULL && current_ioloop != NULL) {
			conn->to_destroy = timeout_add_once(
			    0, master_destroy_timeout, conn, &conn->to_destroy);
		}
	}
}

string_t *auth_master_connection_get_output(struct auth_master_connection *conn)
{
	return conn->capture;
}

static int master_error(struct auth_master_connection *conn, const char *msg)
{
	i_error("auth-master connection: %s", msg);
	return -1;
}

static void master_remove_request(struct auth_master_connection *conn,
				  struct auth_request *request)
{
	struct master_request *mreq = request->context;

	if (mreq->to_timeout != NULL)
		timeout_remove(&mreq->to_timeout);
	for (unsigned int i = 0; i < conn->requests.count; i++) {
		if (conn->requests.items[i] == request) {
			array_delete(&conn->requests, i, 1);
			auth_request_unref(&request);
			return;
		}
	}
}

static void append_fields(string_t *line, const auth_fields_t *fields,
			  bool skip_passwords)
{
	for (unsigned int i = 0; i < fields->count; i++) {
		const char *f = fields->items[i];

		if (skip_passwords && (str_begins(f, "password=", NULL) ||
				       str_begins(f, "nopassword=", NULL)))
			continue;
		str_append_c(line, '\t');
		str_append_tabescaped(line, f);
	}
}

static void master_explain_finish(struct auth_request *request,
				  const char *result);

static void master_request_init(struct auth_master_connection *conn,
				struct auth_request *request, bool explain)
{
	struct master_request *mreq =
	    p_new(request->pool, struct master_request, 1);

	mreq->conn = conn;
	mreq->request = request;
	mreq->explain = explain;
	mreq->created_msecs = time_now_msecs();
	request->context = mreq;
}

/* Answers a lookup the chains did not finish in time; its late results
 * are dropped (the request is aborted). */
static void master_request_timeout(void *context)
{
	struct master_request *mreq = context;
	struct auth_request *request = mreq->request;
	struct auth_master_connection *conn = mreq->conn;
	unsigned int secs =
	    (unsigned int)((time_now_msecs() - mreq->created_msecs) / 1000);
	string_t *line;

	if (request->aborted || request->finished)
		return;
	i_error("%s: Master request %u timed out after %u secs",
		auth_request_log_prefix(request, "auth-master"), request->id,
		secs);
	if (mreq->explain) {
		auth_request_trace(request, "request timed out after %u secs",
				   secs);
		/* aborts the request */
		master_explain_finish(request, "TEMPFAIL");
		return;
	}
	auth_request_abort(request);
	line = str_new(conn->line_pool, 128);
	str_printfa(line, "FAIL\t%u\treason=%s", request->id,
		    AUTH_MASTER_INTERNAL_FAILURE_MSG);
	master_send(conn, line);
	master_remove_request(conn, request);
}

/* Adds the request to the connection and starts its timer (only with an
 * ioloop: capture mode has none). */
static void master_request_start(struct auth_request *request)
{
	struct master_request *mreq = request->context;

	array_push(&mreq->conn->requests, request);
	if (current_ioloop != NULL) {
		mreq->to_timeout = timeout_add_once(
		    master_request_timeout_msecs, master_request_timeout, mreq,
		    &mreq->to_timeout);
	}
}

/* REQUEST */
static int master_cmd_request(struct auth_master_connection *conn,
			      char *const *args, unsigned int argc)
{
	unsigned int id, pid, auth_id;
	const char *user, *const *fields;
	bool found;
	string_t *line = str_new(conn->line_pool, 256);
	int ret;

	if (argc < 4 || str_to_uint(args[0], &id) < 0 ||
	    str_to_uint(args[1], &pid) < 0 ||
	    str_to_uint(args[2], &auth_id) < 0)
		return master_error(conn, "BUG: Master sent broken REQUEST");
	ret = auth_success_take(conn->auth, conn->line_pool, (pid_t)pid,
				auth_id, args[3], &user, &found, &fields);
	if (ret < 0) {
		str_printfa(line, "FAIL\t%u\treason=Internal userdb failure",
			    id);
	} else if (ret == 0) {
		i_error("Master requested auth for nonexistent client %u "
			"(or the request timed out or the cookie is wrong)",
			pid);
		str_printfa(line,
			    "FAIL\t%u\treason=Authentication request not found",
			    id);
	} else if (!found) {
		str_printfa(line, "NOTFOUND\t%u", id);
	} else {
		str_printfa(line, "USER\t%u\t", id);
		str_append_tabescaped(line, user);
		for (unsigned int i = 0; fields[i] != NULL; i++) {
			str_append_c(line, '\t');
			str_append_tabescaped(line, fields[i]);
		}
	}
	master_send(conn, line);
	return 0;
}

static void master_user_callback(struct auth_request *request,
				 enum auth_lookup_result result)
{
	struct master_request *mreq = request->context;
	struct auth_master_connection *conn = mreq->conn;
	string_t *line = str_new(conn->line_pool, 256);

	switch (result) {
	case AUTH_LOOKUP_OK:
		str_printfa(line, "USER\t%u\t", request->id);
		str_append_tabescaped(line, request->user);
		append_fields(line, &request->userdb_fields, false);
		break;
	case AUTH_LOOKUP_NOTFOUND:
		str_printfa(line, "NOTFOUND\t%u", request->id);
		break;
	case AUTH_LOOKUP_INTERNAL_FAIL:
		str_printfa(line, "FAIL\t%u\treason=Internal userdb failure",
			    request->id);
		break;
	}
	master_send(conn, line);
	master_remove_request(conn, request);
}

static void master_pass_callback(struct auth_request *request,
				 enum auth_lookup_result result)
{
	struct master_request *mreq = request->context;
	struct auth_master_connection *conn = mreq->conn;
	string_t *line = str_new(conn->line_pool, 256);

	switch (result) {
	case AUTH_LOOKUP_OK:
		str_printfa(line, "PASS\t%u\t", request->id);
		str_append_tabescaped(line, request->user);
		append_fields(line, &request->extra_fields, true);
		break;
	case AUTH_LOOKUP_NOTFOUND:
		str_printfa(line, "NOTFOUND\t%u", request->id);
		break;
	case AUTH_LOOKUP_INTERNAL_FAIL:
		str_printfa(line, "FAIL\t%u\treason=Internal passdb failure",
			    request->id);
		break;
	}
	master_send(conn, line);
	master_remove_request(conn, request);
}

/* USER and PASS */
static int master_cmd_lookup(struct auth_master_connection *conn,
			     char *const *args, unsigned int argc, bool pass)
{
	struct auth_request *request;
	unsigned int id;
	const char *error, *user;

	if (argc < 2 || str_to_uint(args[0], &id) < 0 || args[1][0] == '\0')
		return master_error(conn, pass
					      ? "BUG: Master sent broken PASS"
					      : "BUG: Master sent broken USER");
	request = auth_request_new(conn->auth, NULL, NULL, NULL);
	request->id = id;
	master_request_init(conn, request, false);
	for (unsigned int i = 2; i < argc; i++) {
		const char *eq = strchr(args[i], '=');
		const char *key = eq == NULL ? args[i]
					     : p_strndup(request->pool, args[i],
							 eq - args[i]);
		const char *value =
		    eq == NULL ? NULL : str_tabunescape(request->pool, eq + 1);

		(void)auth_request_import(request, key, value);
	}
	if (request->service == NULL)
		request->service = "";
	user = str_tabunescape(request->pool, args[1]);
	(void)auth_request_set_username(request, (const unsigned char *)user,
					strlen(user), &error);
	master_request_start(request);
	auth_request_ref(request);
	if (pass)
		auth_request_lookup_passdb(request, master_pass_callback);
	else
		auth_request_lookup_userdb(request, master_user_callback);
	auth_request_unref(&request);
	return 0;
}

/* EXPLAIN: runs the chains with a trace and sends it, line by line. */
static void master_explain_finish(struct auth_request *request,
				  const char *result)
{
	struct master_request *mreq = request->context;
	struct auth_master_connection *conn = mreq->conn;
	string_t *line;

	if (request->aborted)
		return;
	request->aborted = true; /* no further callbacks */
	for (unsigned int i = 0;
	     array_is_created(&request->trace) && i < request->trace.count;
	     i++) {
		line = str_new(conn->line_pool, 256);
		str_printfa(line, "EXPLAIN\t%u\t", request->id);
		str_append_tabescaped(line, request->trace.items[i]);
		master_send(conn, line);
	}
	line = str_new(conn->line_pool, 256);
	str_printfa(line, "DONE\t%u\t%s", request->id, result);
	if (request->user != NULL) {
		str_append(line, "\tuser=");
		str_append_tabescaped(line, request->user);
	}
	append_fields(line, &request->extra_fields, true);
	master_send(conn, line);
	master_remove_request(conn, request);
}

static void master_explain_reply(struct auth_request *request,
				 enum auth_reply_type type,
				 const unsigned char *data ATTR_UNUSED,
				 size_t size ATTR_UNUSED)
{
	switch (type) {
	case AUTH_REPLY_CONTINUE:
		break;
	case AUTH_REPLY_SUCCESS:
		master_explain_finish(request, "OK");
		break;
	case AUTH_REPLY_FAIL:
		master_explain_finish(request, "FAIL");
		break;
	case AUTH_REPLY_INTERNAL_FAIL:
		master_explain_finish(request, "TEMPFAIL");
		break;
	}
}

static void master_explain_userdb(struct auth_request *request,
				  enum auth_lookup_result result)
{
	master_explain_finish(
	    request, result == AUTH_LOOKUP_INTERNAL_FAIL ? "TEMPFAIL" : "OK");
}

static void master_explain_passdb(struct auth_request *request,
				  enum auth_lookup_result result)
{
	switch (result) {
	case AUTH_LOOKUP_OK:
		auth_request_lookup_userdb(request, master_explain_userdb);
		break;
	case AUTH_LOOKUP_NOTFOUND:
		master_explain_finish(request, "FAIL");
		break;
	case AUTH_LOOKUP_INTERNAL_FAIL:
		master_explain_finish(request, "TEMPFAIL");
		break;
	}
}

/* EXPLAIN <id> <user> [password=..] [mech=..] [service=..] [rip=..] ...
 * With a password the request authenticates as a login would (mech
 * default PLAIN); without, it is a lookup. The password is wiped from
 * the line after use and never traced. */
static int master_cmd_explain(struct auth_master_connection *conn,
			      char *const *args, unsigned int argc)
{
	struct auth_request *request;
	const struct mech_module *mech = NULL;
	const char *error, *user, *mech_name = NULL;
	char *password = NULL;
	unsigned int id;

	if (argc < 2 || str_to_uint(args[0], &id) < 0 || args[1][0] == '\0')
		return master_error(conn, "BUG: Master sent broken EXPLAIN");
	request =
	    auth_request_new(conn->auth, NULL, master_explain_reply, NULL);
	request->id = id;
	master_request_init(conn, request, true);
	auth_request_enable_trace(request);
	for (unsigned int i = 2; i < argc; i++) {
		const char *eq = strchr(args[i], '=');
		const char *key = eq == NULL ? args[i]
					     : p_strndup(request->pool, args[i],
							 eq - args[i]);
		const char *value =
		    eq == NULL ? NULL : str_tabunescape(request->pool, eq + 1);

		if (strcmp(key, "password") == 0 && value != NULL) {
			password = (char *)value;
			safe_memset0(args[i], strlen(args[i]));
		} else if (strcmp(key, "mech") == 0 && value != NULL) {
			mech_name = value;
		} else {
			(void)auth_request_import(request, key, value);
		}
	}
	if (request->service == NULL)
		request->service = "loftadm";
	if (mech_name != NULL) {
		mech = auth_find_mech(conn->auth, mech_name);
		if (mech == NULL)
			mech = mech_module_find(mech_name);
		if (mech == NULL) {
			auth_request_trace(request, "unknown mechanism %s",
					   mech_name);
		}
	} else if (password != NULL) {
		mech = mech_module_find("plain");
	}
	request->mech = mech;
	request->want_userdb = true;
	auth_request_trace(request,
			   "explaining %s for service %s, mechanism %s, "
			   "remote IP %s",
			   password != NULL ? "a login" : "a lookup",
			   request->service, mech != NULL ? mech->name : "none",
			   request->remote_ip != NULL ? request->remote_ip
						      : "(local)");
	user = str_tabunescape(request->pool, args[1]);
	master_request_start(request);
	auth_request_ref(request);
	(void)auth_request_set_username(request, (const unsigned char *)user,
					strlen(user), &error);
	if (password != NULL && mech_name != NULL && mech == NULL) {
		master_explain_finish(request, "FAIL");
	} else if (password != NULL) {
		auth_request_verify_plain(request, password);
	} else {
		auth_request_lookup_passdb(request, master_explain_passdb);
	}
	if (password != NULL)
		safe_memset0(password, strlen(password));
	auth_request_unref(&request);
	return 0;
}

struct master_list_ctx {
	struct auth_master_connection *conn;
	unsigned int id;
	bool failed;
};

static void master_list_user(const char *user, bool failed, void *context)
{
	struct master_list_ctx *ctx = context;
	string_t *line;

	if (user == NULL) {
		if (failed)
			ctx->failed = true;
		return;
	}
	line = str_new(ctx->conn->line_pool, 64);
	str_printfa(line, "LIST\t%u\t", ctx->id);
	str_append_tabescaped(line, user);
	master_send(ctx->conn, line);
}

static int master_cmd_list(struct auth_master_connection *conn,
			   char *const *args, unsigned int argc)
{
	struct master_list_ctx ctx = {.conn = conn};
	string_t *line = str_new(conn->line_pool, 64);
	bool any = false;

	if (argc < 1 || str_to_uint(args[0], &ctx.id) < 0)
		return master_error(conn, "BUG: Master sent broken LIST");
	for (unsigned int i = 0; i < conn->auth->userdbs.count; i++) {
		struct userdb_module *userdb = conn->auth->userdbs.items[i];

		if (userdb->iface->iterate == NULL)
			continue;
		any = true;
		/* The shipped iterators call back synchronously. */
		userdb->iface->iterate(userdb, master_list_user, &ctx);
	}
	str_printfa(line, "DONE\t%u", ctx.id);
	if (ctx.failed || !any)
		str_append(line, "\tfail");
	master_send(conn, line);
	return 0;
}

/* CACHE-FLUSH */
static int master_cmd_cache_flush(struct auth_master_connection *conn,
				  char *const *args, unsigned int argc)
{
	string_t *line = str_new(conn->line_pool, 64);
	unsigned int id, count = 0;

	if (argc < 1 || str_to_uint(args[0], &id) < 0)
		return master_error(conn,
				    "BUG: Master sent broken CACHE-FLUSH");
	if (conn->auth->cache == NULL) {
		/* no cache: nothing to flush */
	} else if (argc == 1) {
		count = auth_cache_flush(conn->auth->cache, NULL);
		i_info("auth cache flushed: %u entries", count);
	} else {
		for (unsigned int i = 1; i < argc; i++) {
			const char *user =
			    str_tabunescape(conn->line_pool, args[i]);
			count += auth_cache_flush(conn->auth->cache, user);
		}
		i_info("auth cache flushed for %u users: %u entries", argc - 1,
		       count);
	}
	str_printfa(line, "OK\t%u\t%u", id, count);
	master_send(conn, line);
	return 0;
}

static int master_handle_line(struct auth_master_connection *conn, char *line)
{
	char *args[AUTH_MASTER_MAX_ARGS + 1];
	unsigned int argc;
	char *cmd = line;

	if (auth_connection_split_line(line, args, AUTH_MASTER_MAX_ARGS,
				       &argc) < 0)
		return master_error(conn, "Too many parameters");

	if (!conn->version_received) {
		enum auth_connection_version version =
		    auth_connection_check_version(cmd, args, argc, 1,
						  AUTH_MASTER_PROTOCOL_MAJOR);

		if (version == AUTH_CONNECTION_VERSION_MISSING)
			return master_error(conn, "Master didn't send VERSION");
		if (version == AUTH_CONNECTION_VERSION_INCOMPATIBLE)
			return master_error(
			    conn, "Master is not compatible with this server "
				  "(major version mismatch)");
		conn->version_received = true;
		return 0;
	}
	if (strcmp(cmd, "USER") == 0)
		return master_cmd_lookup(conn, args, argc, false);
	if (strcmp(cmd, "LIST") == 0)
		return master_cmd_list(conn, args, argc);
	if (conn->userdb_only) {
		if (strcmp(cmd, "REQUEST") == 0 || strcmp(cmd, "PASS") == 0) {
			return master_error(
			    conn,
			    "auth-userdb socket allows only USER and LIST");
		}
	} else {
		if (strcmp(cmd, "REQUEST") == 0)
			return master_cmd_request(conn, args, argc);
		if (strcmp(cmd, "PASS") == 0)
			return master_cmd_lookup(conn, args, argc, true);
		if (strcmp(cmd, "EXPLAIN") == 0)
			return master_cmd_explain(conn, args, argc);
		if (strcmp(cmd, "CACHE-FLUSH") == 0)
			return master_cmd_cache_flush(conn, args, argc);
	}
	return master_error(conn, "BUG: Master sent unknown command");
}

int auth_master_connection_input(struct auth_master_connection *conn,
				 const unsigned char *data, size_t size)
{
	size_t i = 0;

	while (i < size && !conn->failed) {
		const unsigned char *lf = memchr(data + i, '\n', size - i);
		size_t chunk =
		    lf == NULL ? size - i : (size_t)(lf - (data + i));

		if (str_len(conn->linebuf) + chunk > AUTH_MASTER_MAX_LINE)
			return master_error(conn, "Master sent too long line");
		str_append_n(conn->linebuf, data + i, chunk);
		if (lf == NULL)
			return 0;
		i += chunk + 1;

		char *line = p_strndup(conn->line_pool, str_data(conn->linebuf),
				       str_len(conn->linebuf));
		size_t len = strlen(line);
		bool has_nul = len != str_len(conn->linebuf);
		str_truncate(conn->linebuf, 0);
		if (has_nul)
			return master_error(conn, "Master sent NUL in a line");
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		int ret = master_handle_line(conn, line);
		pool_clear(conn->line_pool);
		if (ret < 0)
			return -1;
	}
	return conn->failed ? -1 : 0;
}

static void master_input_callback(void *context)
{
	struct auth_master_connection *conn = context;
	const unsigned char *data;
	size_t size;
	ssize_t ret;

	ret = iostream_read(conn->stream);
	data = iostream_get_data(conn->stream, &size);
	if (size > 0) {
		int r = auth_master_connection_input(conn, data, size);
		iostream_skip(conn->stream, size);
		if (r < 0) {
			auth_master_connection_destroy(&conn);
			return;
		}
	}
	if (ret < 0)
		auth_master_connection_destroy(&conn);
}

struct auth_master_connection *
auth_master_connection_create(struct auth *auth, int fd, bool userdb_only)
{
	struct auth_master_connection *conn = i_malloc(sizeof(*conn));
	string_t *line;

	conn->auth = auth;
	conn->userdb_only = userdb_only;
	conn->line_pool = pool_create("auth master line", 1024);
	conn->linebuf = str_new(NULL, 256);
	array_init(&conn->requests, NULL, 4);
	if (fd < 0) {
		conn->capture = str_new(NULL, 256);
	} else {
		conn->stream = iostream_create(fd, AUTH_MASTER_MAX_LINE + 1024,
					       AUTH_MASTER_MAX_OUTPUT);
		iostream_set_input_callback(conn->stream, master_input_callback,
					    conn);
	}
	conn->next = master_connections;
	if (master_connections != NULL)
		master_connections->prev = conn;
	master_connections = conn;

	line = str_new(conn->line_pool, 64);
	str_printfa(line, "VERSION\t%u\t%u", AUTH_MASTER_PROTOCOL_MAJOR,
		    AUTH_MASTER_PROTOCOL_MINOR);
	master_send(conn, line);
	line = str_new(conn->line_pool, 64);
	str_printfa(line, "SPID\t%ld", (long)auth->pid);
	master_send(conn, line);
	pool_clear(conn->line_pool);
	return conn;
}

void auth_master_connection_destroy(struct auth_master_connection **_conn)
{
	struct auth_master_connection *conn = *_conn;

	*_conn = NULL;
	if (conn == NULL || conn->destroyed)
		return;
	conn->destroyed = true;
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		master_connections = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	for (unsigned int i = 0; i < conn->requests.count; i++) {
		struct auth_request *request = conn->requests.items[i];
		struct master_request *mreq = request->context;

		if (mreq->to_timeout != NULL)
			timeout_remove(&mreq->to_timeout);
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

void auth_master_connections_destroy_all(void)
{
	while (master_connections != NULL) {
		struct auth_master_connection *conn = master_connections;
		auth_master_connection_destroy(&conn);
	}
}
