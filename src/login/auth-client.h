/* auth-client.h - a login process's connection to the auth process, in
 * Dovecot's auth-client protocol (base_dir/auth-client).
 *
 *   C: VERSION\t1\t2            C: CPID\t<login pid>
 *   S: VERSION\t1\t2  MECH\t<name>[\t<flags>]...  SPID\t<pid>
 *   S: CUID\t<n>  COOKIE\t<32 hex>  DONE
 *   C: AUTH\t<id>\t<MECH>\tservice=pop3[\tsecured]\tlip=..\trip=..
 *         \tlport=..\trport=..\tsession=..[\tresp=<base64>]
 *   S: CONT\t<id>\t<base64>   C: CONT\t<id>\t<base64>
 *   S: OK\t<id>\tuser=<u>[\t...]   S: FAIL\t<id>[\treason=..][\ttemp]...
 *
 * One connection per process; requests from many clients are multiplexed
 * by id and answered asynchronously through the ioloop. When the auth
 * process is not there (not started yet, restarting) the client
 * reconnects with a growing delay; requests in flight then fail as
 * temporary failures. The line and handshake parsers are exposed for unit
 * tests: they do no I/O. Lines longer than AUTH_CLIENT_MAX_LINE and
 * malformed lines drop the connection. */
#ifndef LOFT_AUTH_CLIENT_H
#define LOFT_AUTH_CLIENT_H

#include "lib.h"
#include "pool.h"
#include "array.h"

#define AUTH_CLIENT_MAX_LINE 16384
#define AUTH_CLIENT_PROTOCOL_MAJOR 1
#define AUTH_CLIENT_PROTOCOL_MINOR 2
#define AUTH_CLIENT_MAX_MECHS 64

enum auth_mech_flags {
	AUTH_MECH_FLAG_PRIVATE = 0x01,
	AUTH_MECH_FLAG_ANONYMOUS = 0x02,
	AUTH_MECH_FLAG_PLAINTEXT = 0x04,
	AUTH_MECH_FLAG_DICTIONARY = 0x08,
	AUTH_MECH_FLAG_ACTIVE = 0x10,
	AUTH_MECH_FLAG_FORWARD_SECRECY = 0x20,
	AUTH_MECH_FLAG_MUTUAL_AUTH = 0x40,
};

struct auth_mech_desc {
	const char *name;   /* upper-case */
	unsigned int flags; /* enum auth_mech_flags */
};

/* What the server says before DONE. */
struct auth_client_handshake {
	pool_t pool;
	bool version_received, done;
	pid_t server_pid;
	unsigned int connect_uid;
	const char *cookie;
	ARRAY(struct auth_mech_desc) mechs;
};

/* Prepares hs; strings and the mechanism list are allocated from pool. */
void auth_client_handshake_init(struct auth_client_handshake *hs, pool_t pool);
/* Feeds one server line (without LF). Returns 1 when DONE completed the
 * handshake, 0 when more lines are expected (unknown lines are ignored),
 * -1 with *error_r for a malformed line, an unsupported major version, or
 * DONE before VERSION/SPID/COOKIE. */
int auth_client_handshake_input(struct auth_client_handshake *hs,
				const char *line, const char **error_r);

enum auth_reply_type {
	AUTH_REPLY_OK,
	AUTH_REPLY_CONT,
	AUTH_REPLY_FAIL,
};

struct auth_reply {
	enum auth_reply_type type;
	unsigned int id;
	/* CONT: the base64 challenge (may be ""); otherwise NULL. */
	const char *data;
	/* OK/FAIL: "key=value" or "flag" fields, unescaped, NULL-terminated. */
	const char *const *fields;
};

/* Parses a line received after the handshake. Returns 1 with *reply_r
 * (strings from pool), 0 when the line is not a reply (ignored), -1 with
 * *error_r when a reply line is malformed (bad id, missing data). */
int auth_client_reply_parse(pool_t pool, const char *line,
			    struct auth_reply *reply_r, const char **error_r);
/* Value of field key: "" for a flag without '=', NULL when absent. */
const char *auth_reply_field(const struct auth_reply *reply, const char *key);

struct auth_client;
struct auth_client_request;

/* Called when the connection becomes ready (handshake done) or is lost. */
typedef void auth_client_ready_callback_t(bool ready, void *context);
/* Called for each reply to a request. After OK or FAIL the request is
 * freed when the callback returns; after CONT it stays. A lost connection
 * is reported as FAIL with the fields "temp" and "reason=...". The
 * callback may abort other requests but not the one it is called for
 * after OK/FAIL. */
typedef void auth_request_callback_t(const struct auth_reply *reply,
				     void *context);

/* Starts connecting to socket_path (at once, then with backoff). cpid is
 * sent as CPID. The client lives until auth_client_destroy(). */
struct auth_client *auth_client_create(const char *socket_path, pid_t cpid,
				       auth_client_ready_callback_t *cb,
				       void *context);
/* Fails nothing: pending requests are dropped without callbacks. */
void auth_client_destroy(struct auth_client **client);
bool auth_client_is_ready(const struct auth_client *client);
/* Mechanisms of the last successful handshake (kept while reconnecting).
 * Returns NULL with count 0 before the first handshake. */
const struct auth_mech_desc *
auth_client_get_mechs(const struct auth_client *client, unsigned int *count_r);
/* Case-insensitive lookup, NULL when the server does not offer it. */
const struct auth_mech_desc *
auth_client_find_mech(const struct auth_client *client, const char *name);
/* SPID and COOKIE of the current connection (0/NULL when not ready). */
pid_t auth_client_get_server_pid(const struct auth_client *client);
const char *auth_client_get_cookie(const struct auth_client *client);

struct auth_request_params {
	const char *mech;
	const char *service; /* "pop3" */
	const char *session_id;
	const char *local_ip, *remote_ip; /* NULL = omitted */
	unsigned int local_port, remote_port;
	bool secured;
	/* TLS: "tls-exporter:<base64>" channel binding data (RFC 9266), a
	 * verified client certificate and its CN; NULL/false otherwise. */
	const char *channel_binding;
	bool valid_client_cert;
	const char *cert_username;
	/* base64 initial response; NULL = none, "" = empty response. */
	const char *initial_resp;
};

/* Sends an AUTH request. Returns NULL with *error_r when the connection is
 * not ready or its output is full (a temporary failure). */
struct auth_client_request *auth_client_request_start(
    struct auth_client *client, const struct auth_request_params *params,
    auth_request_callback_t *cb, void *context, const char **error_r);
/* Sends the client's response to a CONT (base64, may be ""). When the
 * connection is gone the callback gets a temporary FAIL from the loop. */
void auth_client_request_continue(struct auth_client_request *request,
				  const char *data_base64);
/* Forgets the request: no more callbacks; auth is told with CANCEL to
 * drop it. Sets *request to NULL. */
void auth_client_request_abort(struct auth_client_request **request);
unsigned int
auth_client_request_get_id(const struct auth_client_request *request);

#endif
