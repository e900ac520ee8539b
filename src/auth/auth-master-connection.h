/* auth-master-connection.h - the server side of the auth-master protocol
 * (base_dir/auth-master, used by mail services and loftadm) and of the
 * auth-userdb socket (USER and LIST only).
 *
 * On connect the server sends VERSION\t1\t0 and SPID\t<pid>; the client
 * sends VERSION\t1\t<minor> first. Then:
 *   REQUEST\t<id>\t<client_pid>\t<client_auth_id>\t<cookie>
 *     -> USER\t<id>\t<user>\t<userdb fields> | NOTFOUND\t<id> |
 * FAIL\t<id>\treason=.. USER\t<id>\t<user>\t[service=..]...  -> USER ... |
 * NOTFOUND | FAIL PASS\t<id>\t<user>\t[service=..]...  ->
 * PASS\t<id>\t<user>\t<fields> | NOTFOUND | FAIL LIST\t<id>  ->
 * LIST\t<id>\t<user> ... then DONE\t<id>[\tfail] Malformed lines drop the
 * connection. fd -1 = capture mode (tests). */
#ifndef LOFT_AUTH_MASTER_CONNECTION_H
#define LOFT_AUTH_MASTER_CONNECTION_H

#include "lib.h"
#include "str.h"

struct auth;
struct auth_master_connection;

#define AUTH_MASTER_PROTOCOL_MAJOR 1
#define AUTH_MASTER_PROTOCOL_MINOR 0
#define AUTH_MASTER_MAX_LINE 16384
#define AUTH_MASTER_MAX_OUTPUT (16 * 1024 * 1024)

/* userdb_only: the auth-userdb socket (REQUEST and PASS refused). */
struct auth_master_connection *
auth_master_connection_create(struct auth *auth, int fd, bool userdb_only);
void auth_master_connection_destroy(struct auth_master_connection **conn);
/* Returns 0, or -1 when the connection must be dropped (logged). */
int auth_master_connection_input(struct auth_master_connection *conn,
				 const unsigned char *data, size_t size);
string_t *
auth_master_connection_get_output(struct auth_master_connection *conn);
void auth_master_connections_destroy_all(void);
/* Test-only: sets the USER/PASS/EXPLAIN request timeout (default
 * AUTH_REQUEST_TIMEOUT_SECS * 1000), so that unit tests need not wait a
 * minute. The timer is armed when a request starts; production code never
 * calls this. */
void auth_master_connection_set_request_timeout_msecs(unsigned int msecs);

#endif
