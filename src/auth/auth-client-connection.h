/* auth-client-connection.h - the server side of Dovecot's auth-client
 * protocol (v1.2), spoken by login processes and Postfix on the
 * auth-client socket.
 *
 * On connect the server sends
 *   VERSION\t1\t2, MECH\t<name>[\t<flags>] per mechanism, SPID\t<pid>,
 *   CUID\t<n>, COOKIE\t<32 hex>, DONE
 * and expects VERSION\t1\t<minor> then CPID\t<pid> (checked against the
 * peer's SO_PEERCRED pid). Then
 *   C: AUTH\t<id>\t<MECH>\tservice=<s>[\tsecured][\tlip=..][\trip=..]
 *      [\tlport=..][\trport=..][\tsession=..][\tresp=<base64>]
 *   S: CONT\t<id>\t<base64>      C: CONT\t<id>\t<base64>
 *   S: OK\t<id>\tuser=<u>[\tfields]  or
 * FAIL\t<id>[\tuser=<u>][\treason=..][\ttemp] Input is split into lines by a
 * bounded assembler (AUTH_CLIENT_MAX_LINE bytes; a longer line drops the
 * connection). FAILs for wrong credentials are delayed by auth_failure_delay.
 *
 * A connection made with fd -1 has no socket: its output is collected in
 * a string (unit tests, fuzzing). */
#ifndef LOFT_AUTH_CLIENT_CONNECTION_H
#define LOFT_AUTH_CLIENT_CONNECTION_H

#include "lib.h"
#include "str.h"

struct auth;
struct auth_client_connection;

#define AUTH_CLIENT_PROTOCOL_MAJOR 1
#define AUTH_CLIENT_PROTOCOL_MINOR 2
#define AUTH_CLIENT_MAX_LINE 16384
#define AUTH_CLIENT_MAX_PENDING 128
#define AUTH_CLIENT_MAX_OUTPUT (1024 * 1024)

/* Takes ownership of fd (-1 = capture mode) and sends the handshake. */
struct auth_client_connection *auth_client_connection_create(struct auth *auth,
							     int fd);
/* Aborts pending requests, closes the socket, *conn = NULL. */
void auth_client_connection_destroy(struct auth_client_connection **conn);

/* Feeds input bytes (capture mode; the socket path calls it too).
 * Returns 0, or -1 when the connection must be dropped (already logged). */
int auth_client_connection_input(struct auth_client_connection *conn,
				 const unsigned char *data, size_t size);
/* Capture mode: the output sent so far. */
string_t *
auth_client_connection_get_output(struct auth_client_connection *conn);
/* The COOKIE sent in the handshake (32 hex digits). */
const char *
auth_client_connection_get_cookie(const struct auth_client_connection *conn);
/* Overrides the peer pid check (capture mode has no peer). */
void auth_client_connection_set_peer_pid(struct auth_client_connection *conn,
					 pid_t pid);

/* Destroys every connection (shutdown). */
void auth_client_connections_destroy_all(void);

#endif
