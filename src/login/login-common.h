/* login-common.h - the part of a login process that does not depend on the
 * protocol: listeners, TLS context, privilege drop, the list of clients,
 * idle timeouts, the process-wide client limit, "secured" detection,
 * session ids, Dovecot-shaped log lines, and starting authentication and
 * the hand-off to the mail service.
 *
 * A protocol (pop3-login, imap-login) describes itself with a
 * struct login_binary and embeds struct login_client as the first member
 * of its own client struct. Commands and their replies are the protocol's
 * business, not this module's. */
#ifndef LOFT_LOGIN_COMMON_H
#define LOFT_LOGIN_COMMON_H

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "net.h"
#include "service-env.h"
#include "auth-client.h"

#define LOGIN_CLIENT_INPUT_MAX 8192
#define LOGIN_CLIENT_OUTPUT_MAX (16 * 1024)
#define LOGIN_CLIENT_IDLE_TIMEOUT_MSECS (60 * 1000)
#define LOGIN_CLIENT_MAX_BAD_COMMANDS 10
/* How long a new client waits for the auth process before giving up. */
#define LOGIN_AUTH_WAIT_TIMEOUT_MSECS (10 * 1000)

struct login_client;
struct login_proxy;

struct login_binary {
	const char *protocol;	  /* "pop3": the auth service= value */
	const char *process_name; /* "pop3-login" */
	size_t client_size;	  /* sizeof the protocol's client struct */
	/* The client struct has been set up (no output yet). */
	void (*client_created)(struct login_client *client);
	/* The auth process is ready: greet. Input is read from then on
	 * (what the client sent before the greeting is handled too). */
	void (*client_ready)(struct login_client *client);
	/* Handles the input buffered on client->stream (after each read, the
	 * greeting and each auth step: login_client_resume()). Returns false
	 * when the client was destroyed. */
	bool (*client_process)(struct login_client *client);
	/* The log reason when the client closes the connection
	 * ("Disconnected" in POP3, "Disconnected: Connection closed" in
	 * IMAP, as Dovecot logs them). */
	const char *closed_reason;
	/* Sends an error line ("-ERR [SYS/TEMP] text" in POP3; in IMAP the
	 * tagged NO of a failed hand-off, else "* BYE"). */
	void (*client_send_error)(struct login_client *client, const char *code,
				  const char *text);
	/* Called just before the client is freed. */
	void (*client_destroy)(struct login_client *client);
};

enum login_auth_result {
	LOGIN_AUTH_RESULT_CONTINUE, /* challenge in data (base64) */
	LOGIN_AUTH_RESULT_OK,	    /* handed off: the client is gone */
	LOGIN_AUTH_RESULT_FAILED,   /* data = reason for the client or NULL */
	LOGIN_AUTH_RESULT_TEMPFAIL, /* data = reason for the client or NULL */
};

typedef void login_auth_callback_t(struct login_client *client,
				   enum login_auth_result result,
				   const char *data);

struct login_client {
	struct login_client *prev, *next;
	pool_t pool;
	const struct login_binary *binary;
	struct iostream *stream;

	struct ip_addr local_ip, remote_ip;
	unsigned int local_port, remote_port;
	const char *local_ip_str, *remote_ip_str;
	const char *session_id;
	time_t created;

	struct timeout *to_idle, *to_auth_wait;
	struct timeout *to_resume; /* login_client_resume() */
	unsigned int bad_counter;
	unsigned int auth_attempts;
	const char *virtual_user; /* for log lines: user=<...> */
	/* IMAP: tag of the command that logged in, sent with the hand-off
	 * (NULL for POP3) */
	const char *handoff_tag;
	const char *auth_mech; /* last mechanism tried */

	struct auth_client_request *auth_request;
	unsigned int auth_id; /* id of the last request, for the hand-off */
	login_auth_callback_t *auth_callback;
	struct login_proxy *proxy;

	bool tls;	   /* TLS is active (implicit or STLS) */
	bool secured;	   /* TLS, loopback, lip == rip or trusted network */
	bool trusted;	   /* login_trusted_networks */
	bool ready;	   /* client_ready() was called */
	bool waiting_auth; /* auth process is working: input paused */
	bool destroyed;
	bool auth_tried_disabled_plaintext;
	bool auth_aborted;
	bool auth_temp_failed;
	bool handing_off;
};

/* Process-wide state, set up by login_common_init(). */
extern struct service_env *login_service_env;
extern struct loft_settings *login_settings;
extern struct auth_client *login_auth_client;
/* base_dir/login/<protocol> (relative to the chroot when chrooted). */
extern const char *login_handoff_socket_path;

/* Loads nothing itself: env comes from service_env_init(). Creates the TLS
 * context (exits on failure), starts listening on the inherited inet
 * listeners, connects to auth, and drops privileges (when root: to
 * default_login_user, chrooted to base_dir). */
void login_common_init(const struct login_binary *binary,
		       struct service_env *env);
void login_common_deinit(void);
/* Stop accepting new connections; returns true when no clients remain. */
bool login_common_stop_accepting(void);
unsigned int login_common_client_count(void);
/* Called by main when the last client of a draining process is gone. */
void login_common_set_drained_callback(void (*cb)(void));
/* The whole main() of a login service: service_env_init() with the
 * binary's process_name and protocol, login_common_init(), then the event
 * loop until SIGTERM/SIGINT (exit at once) or SIGQUIT (stop accepting and
 * exit when the last client and TLS proxy are gone). Returns the exit
 * status. */
int login_common_main(const struct login_binary *binary, int argc, char **argv);

/* True when TLS can be started on this connection (ssl != no and not
 * already TLS). */
bool login_client_tls_available(const struct login_client *client);
/* Starts TLS (STLS): the caller has already queued its +OK. Flushes the
 * output, discards buffered input and begins the handshake. Returns 0, or
 * -1 after logging (the caller destroys the client). */
int login_client_start_tls(struct login_client *client);
/* Plaintext mechanisms are allowed: secured or disable_plaintext_auth=no
 * (and ssl != required). */
bool login_client_plaintext_allowed(const struct login_client *client);
/* Any authentication allowed (ssl=required needs a secured connection). */
bool login_client_auth_allowed(const struct login_client *client);

/* Queues text (already CRLF-terminated) and flushes. */
void login_client_send_raw(struct login_client *client, const char *text);
/* Resets the idle timer (call on every complete input line). */
void login_client_idle_reset(struct login_client *client);
/* Stops/starts reading input (and calling binary->client_process). */
void login_client_input_pause(struct login_client *client);
void login_client_input_resume(struct login_client *client);
/* The auth process is working on a request: sets waiting_auth and pauses
 * input, so that pipelined commands wait. */
void login_client_wait_auth(struct login_client *client);
/* Ends the wait: clears waiting_auth and, from the next loop turn (not
 * inside the caller's callback), resumes input and calls
 * binary->client_process for what is already buffered. */
void login_client_resume(struct login_client *client);

/* The mechanism a client named in AUTH/AUTHENTICATE: NULL when the auth
 * process has none by that name, when it is private, or for APOP (POP3's
 * command, not a SASL mechanism). */
const struct auth_mech_desc *login_find_sasl_mech(const char *name);
/* True when mech is listed to this client (POP3 CAPA SASL and AUTH,
 * IMAP AUTH=): not private, not APOP, plaintext ones only when
 * login_client_plaintext_allowed(), -PLUS ones only over TLS. The caller
 * checks login_client_auth_allowed() first. */
bool login_client_mech_offered(const struct login_client *client,
			       const struct auth_mech_desc *mech);

/* Counts an invalid command; returns false when the limit is reached
 * (the caller then sends its error and destroys). */
bool login_client_bad_command(struct login_client *client);

/* Starts authentication with mech. initial_resp: base64, NULL = none,
 * "" = empty. The callback is called for each step; after OK the client
 * is handed off (and must not be touched unless the callback result is
 * OK... it is gone). Returns false with the callback not called when the
 * auth process is unavailable (*error_r is a reason for the client). */
bool login_client_auth_begin(struct login_client *client, const char *mech,
			     const char *initial_resp,
			     login_auth_callback_t *callback,
			     const char **error_r);
/* Sends the client's base64 response to a CONTINUE. */
void login_client_auth_continue(struct login_client *client,
				const char *data_base64);
/* The client cancelled ("*"): forget the request. */
void login_client_auth_abort(struct login_client *client);

/* Destroys the client: logs "<reason> (<attempts info>): <fields>" when
 * reason is not NULL, closes the connection and frees everything. Safe to
 * call from callbacks (the memory is freed later in the same loop turn). */
void login_client_destroy(struct login_client *client, const char *reason);
/* Appends "user=<u>, method=M, rip=.., lip=.., [mpid=N, ]TLS, session=<..>". */
void login_client_append_log_fields(struct login_client *client, string_t *dest,
				    pid_t mail_pid);

/* login-proxy.c: hand the authenticated client to the mail service.
 * Takes over the client: on success it logs the Login line and either
 * forgets the client (plain) or proxies it (TLS); on failure it sends the
 * error through binary->client_send_error and destroys the client. */
void login_client_handoff(struct login_client *client);
void login_proxy_destroy(struct login_proxy **proxy);

#endif
