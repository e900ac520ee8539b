/* login-common.c - protocol-independent core of a login process.
 *
 * Accepts connections on the listeners the master passed, keeps the list
 * of clients and the process-wide client limit, drops privileges, talks to
 * the auth process through auth-client.c, formats the log lines and runs
 * the service's main loop with its signals (login_common_main()). It
 * neither parses commands nor writes protocol replies itself: the
 * protocol's struct login_binary does that. */
#include "lib.h"

#include <limits.h>
#include "pool.h"
#include "str.h"
#include "array.h"
#include "base64.h"
#include "ioloop.h"
#include "iostream.h"
#include "net.h"
#include "tls.h"
#include "log.h"
#include "restrict.h"
#include "login-common.h"

#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>

#define LOGIN_SESSION_ID_BYTES 12
#define LOGIN_ACCEPT_BATCH 32

struct login_listener {
	int fd;
	bool ssl;
	struct io *io;
};

struct service_env *login_service_env;
struct loft_settings *login_settings;
struct auth_client *login_auth_client;

static const struct login_binary *login_binary;
static struct tls_context *login_tls_ctx;
static ARRAY(struct login_listener) login_listeners;
static struct login_client *login_clients;
static unsigned int login_client_count_;
static unsigned int login_client_limit;
static bool login_accepting = true;
static void (*login_drained_cb)(void);

/* Trusted networks parsed once. */
struct trusted_net {
	struct ip_addr ip;
	unsigned int bits;
};
static ARRAY(struct trusted_net) login_trusted;

/* Destroyed clients' pools, freed from the loop after the callbacks that
 * may still look at the client have returned. */
static ARRAY(pool_t) login_dead_pools;
static struct timeout *to_free_dead;

static void login_listeners_update(void);

/* ---- small helpers ---- */

static const char *login_session_id_create(pool_t pool)
{
	unsigned char buf[LOGIN_SESSION_ID_BYTES];
	string_t *str = str_new(pool, 32);
	size_t pos = 0;

	while (pos < sizeof(buf)) {
		ssize_t ret = getrandom(buf + pos, sizeof(buf) - pos, 0);

		if (ret < 0) {
			if (errno == EINTR)
				continue;
			i_fatal("getrandom() failed: %s", strerror(errno));
		}
		pos += (size_t)ret;
	}
	base64_encode(buf, sizeof(buf), str);
	return str_c(str);
}

static void login_trusted_networks_init(const char *networks)
{
	pool_t pool = login_settings->pool;
	char **list;

	array_init(&login_trusted, NULL, 4);
	if (networks == NULL || *networks == '\0')
		return;
	list = p_strsplit_spaces(pool, networks, " ,");
	for (unsigned int i = 0; list[i] != NULL; i++) {
		struct trusted_net net;

		if (net_parse_range(list[i], &net.ip, &net.bits) < 0) {
			i_fatal("login_trusted_networks: Invalid network '%s'",
				list[i]);
		}
		array_push(&login_trusted, net);
	}
}

static bool login_ip_is_trusted(const struct ip_addr *ip)
{
	for (unsigned int i = 0; i < login_trusted.count; i++) {
		if (net_is_in_network(ip, &login_trusted.items[i].ip,
				      login_trusted.items[i].bits))
			return true;
	}
	return false;
}

static void login_free_dead(void *context ATTR_UNUSED)
{
	while (login_dead_pools.count > 0) {
		pool_t pool = login_dead_pools.items[--login_dead_pools.count];
		pool_unref(&pool);
	}
}

/* ---- clients ---- */

unsigned int login_common_client_count(void)
{
	return login_client_count_;
}

bool login_client_tls_available(const struct login_client *client)
{
	return login_tls_ctx != NULL && !client->tls;
}

bool login_client_plaintext_allowed(const struct login_client *client)
{
	if (client->secured)
		return true;
	return !login_settings->disable_plaintext_auth &&
	       login_settings->ssl != SSL_MODE_REQUIRED;
}

bool login_client_auth_allowed(const struct login_client *client)
{
	return client->secured || login_settings->ssl != SSL_MODE_REQUIRED;
}

void login_client_send_raw(struct login_client *client, const char *text)
{
	if (client->destroyed || client->stream == NULL)
		return;
	if (iostream_write_str(client->stream, text) < 0) {
		/* The client has gone (a QUIT read together with the end of
		 * the connection), or it does not read what we send. */
		login_client_destroy(client,
				     iostream_is_closed(client->stream)
					 ? client->binary->closed_reason
					 : "Disconnected: Output buffer full");
		return;
	}
	(void)iostream_flush(client->stream);
}

/* Pre-login inactivity limit: login_timeout, or the built-in default. */
static unsigned int login_idle_timeout_msecs(void)
{
	unsigned int secs = login_settings->login_timeout_secs;

	if (secs == 0)
		return LOGIN_CLIENT_IDLE_TIMEOUT_MSECS;
	return secs > UINT_MAX / 1000 ? UINT_MAX : secs * 1000;
}

static void login_client_idle_timeout(void *context)
{
	struct login_client *client = context;

	client->binary->client_send_error(client, NULL,
					  "Disconnected for inactivity.");
	login_client_destroy(client, "Disconnected: Inactivity");
}

void login_client_idle_reset(struct login_client *client)
{
	if (client->to_idle != NULL)
		timeout_reset(client->to_idle);
}

static void login_client_input_cb(void *context)
{
	struct login_client *client = context;
	ssize_t ret;

	ret = iostream_read(client->stream);
	if (!client->binary->client_process(client))
		return;
	if (ret < 0) {
		login_client_destroy(client,
				     iostream_input_full(client->stream)
					 ? "Disconnected: Input buffer full"
					 : client->binary->closed_reason);
	}
}

void login_client_input_pause(struct login_client *client)
{
	if (client->stream != NULL)
		iostream_set_input_callback(client->stream, NULL, NULL);
}

void login_client_input_resume(struct login_client *client)
{
	/* once handed off, the connection's input belongs to the mail
	 * service: reading here would swallow what the client sends to it */
	if (client->stream != NULL && !client->destroyed &&
	    !client->handing_off) {
		iostream_set_input_callback(client->stream,
					    login_client_input_cb, client);
	}
}

static void login_client_resume_now(void *context)
{
	struct login_client *client = context;

	if (client->destroyed)
		return;
	login_client_input_resume(client);
	(void)client->binary->client_process(client);
}

void login_client_wait_auth(struct login_client *client)
{
	client->waiting_auth = true;
	login_client_input_pause(client);
}

void login_client_resume(struct login_client *client)
{
	client->waiting_auth = false;
	if (client->to_resume == NULL) {
		client->to_resume = timeout_add_once(
		    0, login_client_resume_now, client, &client->to_resume);
	}
}

const struct auth_mech_desc *login_find_sasl_mech(const char *name)
{
	const struct auth_mech_desc *mech;

	mech = auth_client_find_mech(login_auth_client, name);
	if (mech == NULL || (mech->flags & AUTH_MECH_FLAG_PRIVATE) != 0 ||
	    strcmp(mech->name, "APOP") == 0)
		return NULL;
	return mech;
}

bool login_client_mech_offered(const struct login_client *client,
			       const struct auth_mech_desc *mech)
{
	size_t len = strlen(mech->name);

	if ((mech->flags & AUTH_MECH_FLAG_PRIVATE) != 0)
		return false;
	if ((mech->flags & AUTH_MECH_FLAG_PLAINTEXT) != 0 &&
	    !login_client_plaintext_allowed(client))
		return false;
	/* APOP is POP3's command, not a SASL mechanism */
	if (strcmp(mech->name, "APOP") == 0)
		return false;
	/* channel binding needs TLS (RFC 5802 section 6) */
	if (!client->tls && len > 5 &&
	    strcmp(mech->name + len - 5, "-PLUS") == 0)
		return false;
	return true;
}

bool login_client_bad_command(struct login_client *client)
{
	return ++client->bad_counter < LOGIN_CLIENT_MAX_BAD_COMMANDS;
}

int login_client_start_tls(struct login_client *client)
{
	const char *error;

	if (iostream_flush(client->stream) <= 0) {
		login_client_destroy(client,
				     "Disconnected: Output stalled before TLS");
		return -1;
	}
	if (iostream_start_tls_server(client->stream, login_tls_ctx, &error) <
	    0) {
		i_error("TLS initialization failed: %s (rip=%s, session=<%s>)",
			error, client->remote_ip_str, client->session_id);
		login_client_destroy(client,
				     "Disconnected: TLS initialization failed");
		return -1;
	}
	client->tls = true;
	client->secured = true;
	return 0;
}

static void login_client_make_ready(struct login_client *client)
{
	if (client->ready || client->destroyed)
		return;
	if (client->to_auth_wait != NULL)
		timeout_remove(&client->to_auth_wait);
	client->ready = true;
	client->binary->client_ready(client);
	if (client->destroyed)
		return;
	login_client_input_resume(client);
	/* anything the client sent before the greeting is already buffered */
	login_client_resume(client);
}

static void login_client_auth_wait_timeout(void *context)
{
	struct login_client *client = context;

	client->binary->client_send_error(
	    client, "SYS/TEMP",
	    "Authentication service temporarily unavailable");
	login_client_destroy(
	    client, "Disconnected: Waiting for the auth process timed out");
}

static void login_client_create(int fd, bool ssl, const struct ip_addr *rip,
				unsigned int rport)
{
	pool_t pool = pool_create("login client", 4096);
	struct login_client *client;
	const char *error;

	i_assert(login_binary->client_size >= sizeof(struct login_client));
	client = p_malloc(pool, login_binary->client_size);
	client->pool = pool;
	client->binary = login_binary;
	client->created = ioloop_time;
	client->remote_ip = *rip;
	client->remote_port = rport;
	if (net_getsockname(fd, &client->local_ip, &client->local_port) < 0)
		memset(&client->local_ip, 0, sizeof(client->local_ip));
	client->remote_ip_str = p_strdup(pool, net_ip2addr(&client->remote_ip));
	client->local_ip_str = p_strdup(pool, net_ip2addr(&client->local_ip));
	client->session_id = login_session_id_create(pool);
	client->trusted = login_ip_is_trusted(&client->remote_ip);
	client->secured = client->trusted ||
			  net_ip_is_loopback(&client->remote_ip) ||
			  net_ip_compare(&client->remote_ip, &client->local_ip);
	client->stream = iostream_create(fd, LOGIN_CLIENT_INPUT_MAX,
					 LOGIN_CLIENT_OUTPUT_MAX);

	client->next = login_clients;
	if (login_clients != NULL)
		login_clients->prev = client;
	login_clients = client;
	login_client_count_++;

	if (ssl) {
		if (iostream_start_tls_server(client->stream, login_tls_ctx,
					      &error) < 0) {
			i_error("TLS initialization failed: %s (rip=%s)", error,
				client->remote_ip_str);
			login_client_destroy(client, NULL);
			return;
		}
		client->tls = true;
		client->secured = true;
	}
	client->to_idle = timeout_add(login_idle_timeout_msecs(),
				      login_client_idle_timeout, client);
	client->binary->client_created(client);
	if (client->destroyed)
		return;
	if (auth_client_is_ready(login_auth_client))
		login_client_make_ready(client);
	else {
		client->to_auth_wait =
		    timeout_add_once(LOGIN_AUTH_WAIT_TIMEOUT_MSECS,
				     login_client_auth_wait_timeout, client,
				     &client->to_auth_wait);
	}
}

static void login_client_append_extra(struct login_client *client,
				      string_t *dest)
{
	unsigned int secs = ioloop_time > client->created
				? (unsigned int)(ioloop_time - client->created)
				: 0;

	if (client->auth_request != NULL) {
		str_printfa(dest,
			    "client didn't finish SASL auth, waited %u secs",
			    secs);
	} else if (client->auth_attempts == 0) {
		if (client->auth_tried_disabled_plaintext)
			str_append(dest,
				   "tried to use disallowed plaintext auth");
		else
			str_printfa(dest, "no auth attempts in %u secs", secs);
	} else if (client->auth_temp_failed) {
		str_printfa(dest, "auth unavailable, %u attempts in %u secs",
			    client->auth_attempts, secs);
	} else if (client->auth_aborted) {
		str_printfa(dest,
			    "auth aborted by client, %u attempts in %u secs",
			    client->auth_attempts, secs);
	} else {
		str_printfa(dest, "auth failed, %u attempts in %u secs",
			    client->auth_attempts, secs);
	}
}

void login_client_append_log_fields(struct login_client *client, string_t *dest,
				    pid_t mail_pid)
{
	str_printfa(dest, "user=<%s>",
		    client->virtual_user != NULL ? client->virtual_user : "");
	if (client->auth_mech != NULL)
		str_printfa(dest, ", method=%s", client->auth_mech);
	str_printfa(dest, ", rip=%s, lip=%s", client->remote_ip_str,
		    client->local_ip_str);
	if (mail_pid > 0)
		str_printfa(dest, ", mpid=%ld", (long)mail_pid);
	if (client->tls)
		str_append(dest, ", TLS");
	else if (client->secured)
		str_append(dest, ", secured");
	str_printfa(dest, ", session=<%s>", client->session_id);
}

void login_client_destroy(struct login_client *client, const char *reason)
{
	if (client->destroyed)
		return;
	if (reason != NULL) {
		string_t *str = str_new(client->pool, 256);

		str_append(str, reason);
		str_append(str, " (");
		login_client_append_extra(client, str);
		str_append(str, "): ");
		login_client_append_log_fields(client, str, 0);
		i_info("%s", str_c(str));
	}
	client->destroyed = true;
	if (client->auth_request != NULL)
		auth_client_request_abort(&client->auth_request);
	if (client->to_idle != NULL)
		timeout_remove(&client->to_idle);
	if (client->to_auth_wait != NULL)
		timeout_remove(&client->to_auth_wait);
	if (client->to_resume != NULL)
		timeout_remove(&client->to_resume);
	if (client->proxy != NULL)
		login_proxy_destroy(&client->proxy);
	client->binary->client_destroy(client);
	if (client->stream != NULL)
		iostream_destroy(&client->stream);

	if (client->prev != NULL)
		client->prev->next = client->next;
	else
		login_clients = client->next;
	if (client->next != NULL)
		client->next->prev = client->prev;
	client->prev = client->next = NULL;
	i_assert(login_client_count_ > 0);
	login_client_count_--;

	array_push(&login_dead_pools, client->pool);
	if (to_free_dead == NULL)
		to_free_dead =
		    timeout_add_once(0, login_free_dead, NULL, &to_free_dead);
	login_listeners_update();
	if (login_client_count_ == 0 && !login_accepting &&
	    login_drained_cb != NULL)
		login_drained_cb();
}

/* ---- authentication ---- */

static void login_client_auth_reply(const struct auth_reply *reply,
				    void *context)
{
	struct login_client *client = context;
	login_auth_callback_t *cb = client->auth_callback;
	const char *user, *reason;

	if (reply->type == AUTH_REPLY_CONT) {
		cb(client, LOGIN_AUTH_RESULT_CONTINUE, reply->data);
		return;
	}
	/* The request is freed after this callback returns. */
	client->auth_request = NULL;
	user = auth_reply_field(reply, "user");
	if (user != NULL && *user != '\0')
		client->virtual_user = p_strdup(client->pool, user);
	reason = auth_reply_field(reply, "reason");
	if (reason != NULL && *reason == '\0')
		reason = NULL;

	if (reply->type == AUTH_REPLY_OK) {
		if (auth_reply_field(reply, "nologin") != NULL ||
		    auth_reply_field(reply, "proxy") != NULL) {
			if (auth_reply_field(reply, "proxy") != NULL) {
				i_error("Proxying is not supported (user=<%s>, "
					"session=<%s>)",
					client->virtual_user != NULL
					    ? client->virtual_user
					    : "",
					client->session_id);
				client->auth_temp_failed = true;
				cb(client, LOGIN_AUTH_RESULT_TEMPFAIL, NULL);
			} else {
				cb(client, LOGIN_AUTH_RESULT_FAILED, reason);
			}
			return;
		}
		client->handing_off = true;
		login_client_handoff(client);
		return;
	}
	if (auth_reply_field(reply, "temp") != NULL) {
		client->auth_temp_failed = true;
		cb(client, LOGIN_AUTH_RESULT_TEMPFAIL, reason);
	} else {
		client->auth_temp_failed = false;
		cb(client, LOGIN_AUTH_RESULT_FAILED, reason);
	}
}

/* Channel binding and client certificate facts for auth: they come from
 * this side of the TLS connection, never from what the client says. */
static void login_client_tls_auth_params(struct login_client *client,
					 struct auth_request_params *params)
{
	unsigned char exporter[32];
	char cn[256];
	string_t *str;

	if (iostream_tls_exporter(client->stream, exporter) == 0) {
		str = str_new(client->pool, 64);
		str_append(str, "tls-exporter:");
		base64_encode(exporter, sizeof(exporter), str);
		params->channel_binding = str_c(str);
	}
	if (iostream_tls_peer_cert(client->stream, cn, sizeof(cn)) > 0) {
		params->valid_client_cert = true;
		if (cn[0] != '\0')
			params->cert_username = p_strdup(client->pool, cn);
	}
}

bool login_client_auth_begin(struct login_client *client, const char *mech,
			     const char *initial_resp,
			     login_auth_callback_t *callback,
			     const char **error_r)
{
	struct auth_request_params params;

	i_assert(client->auth_request == NULL);
	memset(&params, 0, sizeof(params));
	params.mech = mech;
	params.service = client->binary->protocol;
	params.session_id = client->session_id;
	if (client->local_ip.family != 0) {
		params.local_ip = client->local_ip_str;
		params.local_port = client->local_port;
	}
	params.remote_ip = client->remote_ip_str;
	params.remote_port = client->remote_port;
	params.secured = client->secured;
	params.initial_resp = initial_resp;
	if (client->tls)
		login_client_tls_auth_params(client, &params);

	client->auth_mech = p_strdup(client->pool, mech);
	client->auth_callback = callback;
	client->auth_aborted = false;
	client->auth_request =
	    auth_client_request_start(login_auth_client, &params,
				      login_client_auth_reply, client, error_r);
	if (client->auth_request == NULL) {
		client->auth_temp_failed = true;
		return false;
	}
	client->auth_id = auth_client_request_get_id(client->auth_request);
	client->auth_attempts++;
	return true;
}

void login_client_auth_continue(struct login_client *client,
				const char *data_base64)
{
	i_assert(client->auth_request != NULL);
	auth_client_request_continue(client->auth_request, data_base64);
}

void login_client_auth_abort(struct login_client *client)
{
	if (client->auth_request != NULL)
		auth_client_request_abort(&client->auth_request);
	client->auth_aborted = true;
}

/* ---- listeners ---- */

static void login_listener_accept(void *context)
{
	struct login_listener *l = context;

	for (unsigned int i = 0; i < LOGIN_ACCEPT_BATCH; i++) {
		struct ip_addr rip;
		unsigned int rport;
		int fd;

		if (!login_accepting ||
		    login_client_count_ >= login_client_limit)
			break;
		fd = net_accept(l->fd, &rip, &rport);
		if (fd == -1)
			break;
		if (fd == -2) {
			if (errno != ECONNABORTED && errno != EINTR)
				i_error("accept() failed: %s", strerror(errno));
			break;
		}
		(void)net_set_tcp_nodelay(fd);
		login_client_create(fd, l->ssl, &rip, rport);
	}
	login_listeners_update();
}

/* Listens while accepting and under the client limit. */
static void login_listeners_update(void)
{
	bool listen =
	    login_accepting && login_client_count_ < login_client_limit;

	for (unsigned int i = 0; i < login_listeners.count; i++) {
		struct login_listener *l = &login_listeners.items[i];

		if (listen && l->io == NULL)
			l->io =
			    io_add(l->fd, IO_READ, login_listener_accept, l);
		else if (!listen && l->io != NULL)
			io_remove(&l->io);
	}
}

bool login_common_stop_accepting(void)
{
	login_accepting = false;
	login_listeners_update();
	return login_client_count_ == 0;
}

void login_common_set_drained_callback(void (*cb)(void))
{
	login_drained_cb = cb;
}

static void login_auth_ready_changed(bool ready, void *context ATTR_UNUSED)
{
	struct login_client *client, *next;

	if (!ready)
		return;
	for (client = login_clients; client != NULL; client = next) {
		next = client->next;
		if (!client->ready && !client->destroyed)
			login_client_make_ready(client);
	}
}

static void login_tls_init(void)
{
	struct tls_settings tls_set;
	const char *error;

	if (login_settings->ssl == SSL_MODE_NO)
		return;
	if (login_settings->ssl_cert_file == NULL ||
	    *login_settings->ssl_cert_file == '\0' ||
	    login_settings->ssl_key_file == NULL ||
	    *login_settings->ssl_key_file == '\0')
		i_fatal("ssl enabled, but ssl_cert or ssl_key not set");
	memset(&tls_set, 0, sizeof(tls_set));
	tls_set.cert_file = login_settings->ssl_cert_file;
	tls_set.key_file = login_settings->ssl_key_file;
	tls_set.min_protocol = login_settings->ssl_min_protocol;
	tls_set.cipher_list = login_settings->ssl_cipher_list;
	tls_set.ca_file = login_settings->ssl_ca_file;
	tls_set.verify_client_cert = login_settings->ssl_verify_client_cert;
	login_tls_ctx = tls_context_create_server(&tls_set, &error);
	if (login_tls_ctx == NULL)
		i_fatal("Couldn't initialize TLS context: %s", error);
}

static unsigned int login_find_client_limit(const char *service_name)
{
	for (unsigned int i = 0; i < login_settings->services.count; i++) {
		const struct service_settings *s =
		    login_settings->services.items[i];

		if (strcmp(s->name, service_name) == 0 && s->client_limit > 0)
			return s->client_limit;
	}
	return 1000;
}

static void login_listeners_init(void)
{
	const struct service_env *env = login_service_env;

	array_init(&login_listeners, NULL, 4);
	for (unsigned int i = 0; i < env->listeners.count; i++) {
		const struct service_listener *sl = &env->listeners.items[i];
		struct login_listener *l;

		if (sl->ssl && login_tls_ctx == NULL) {
			/* ssl=no: implicit TLS listeners are disabled. */
			i_warning("ssl=no: not listening on %s", sl->name);
			continue;
		}
		fd_set_nonblock(sl->fd, true);
		fd_close_on_exec(sl->fd, true);
		l = array_append_space(&login_listeners);
		l->fd = sl->fd;
		l->ssl = sl->ssl;
	}
	if (login_listeners.count == 0)
		i_warning("No inet listeners: nothing to accept");
}

/* Paths under base_dir as seen from inside a chroot to base_dir. */
static const char *login_path_in_chroot(const char *path, const char *root)
{
	size_t len = strlen(root);

	while (len > 1 && root[len - 1] == '/')
		len--;
	if (strncmp(path, root, len) == 0 && path[len] == '/')
		return p_strdup(login_settings->pool, path + len);
	return path;
}

static const char *login_auth_socket_path;
static bool login_chrooted;

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer reads /proc at exit, which a chrooted process running as
 * another user cannot; its leak check is skipped there (and still runs
 * when the login process is not chrooted, as in the non-root tests). */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return login_chrooted ? 1 : 0;
}
#endif

const char *login_handoff_socket_path;

static void login_drop_privileges(void)
{
	struct restrict_settings rset;
	const char *error, *base_dir = login_settings->base_dir;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return;
	if (user_lookup(login_settings->default_login_user, &uid, &gid) < 0) {
		i_fatal("default_login_user %s doesn't exist",
			login_settings->default_login_user);
	}
	memset(&rset, 0, sizeof(rset));
	rset.uid = uid;
	rset.gid = gid;
	/* Chrooted into base_dir/login: a directory root owns that holds
	 * only the sockets a login process needs (login/login of the auth
	 * service and the mail services' login/<protocol>). */
	rset.chroot_dir =
	    p_strconcat(login_settings->pool, base_dir, "/login", NULL);
	rset.home = "/";
	rset.user_name = login_settings->default_login_user;
	login_auth_socket_path =
	    login_path_in_chroot(login_auth_socket_path, rset.chroot_dir);
	login_handoff_socket_path =
	    login_path_in_chroot(login_handoff_socket_path, rset.chroot_dir);
	if (restrict_access(&rset, &error) < 0)
		i_fatal("Couldn't drop privileges: %s", error);
	login_chrooted = true;
}

void login_common_init(const struct login_binary *binary,
		       struct service_env *env)
{
	const char *sockname;

	login_binary = binary;
	login_service_env = env;
	login_settings = env->set;
	login_client_limit = login_find_client_limit(binary->process_name);
	array_init(&login_dead_pools, NULL, 16);

	login_trusted_networks_init(login_settings->login_trusted_networks);
	login_tls_init();
	login_listeners_init();

	login_auth_socket_path = service_env_socket_path(env, "login/login");
	sockname =
	    p_strdup_printf(login_settings->pool, "login/%s", binary->protocol);
	login_handoff_socket_path = service_env_socket_path(env, sockname);
	login_drop_privileges();

	login_auth_client = auth_client_create(login_auth_socket_path, getpid(),
					       login_auth_ready_changed, NULL);
	login_listeners_update();
}

void login_common_deinit(void)
{
	while (login_clients != NULL)
		login_client_destroy(login_clients, NULL);
	login_free_dead(NULL);
	if (to_free_dead != NULL)
		timeout_remove(&to_free_dead);
	for (unsigned int i = 0; i < login_listeners.count; i++) {
		if (login_listeners.items[i].io != NULL)
			io_remove(&login_listeners.items[i].io);
	}
	array_free(&login_listeners);
	array_free(&login_dead_pools);
	array_free(&login_trusted);
	auth_client_destroy(&login_auth_client);
	if (login_tls_ctx != NULL)
		tls_context_unref(&login_tls_ctx);
}

static struct ioloop *login_main_ioloop;

static void login_main_stop(void)
{
	ioloop_stop(login_main_ioloop);
}

static void login_main_sig_die(int signo, void *context ATTR_UNUSED)
{
	i_debug("Received signal %d: exiting", signo);
	ioloop_stop(login_main_ioloop);
}

static void login_main_sig_drain(int signo ATTR_UNUSED,
				 void *context ATTR_UNUSED)
{
	login_common_set_drained_callback(login_main_stop);
	if (login_common_stop_accepting())
		ioloop_stop(login_main_ioloop);
}

int login_common_main(const struct login_binary *binary, int argc, char **argv)
{
	struct service_env *env;

	env = service_env_init(binary->process_name, binary->protocol, argc,
			       argv);
	login_main_ioloop = ioloop_create();
	signal_add(SIGTERM, login_main_sig_die, NULL);
	signal_add(SIGINT, login_main_sig_die, NULL);
	signal_add(SIGQUIT, login_main_sig_drain, NULL);
	signal_ignore(SIGPIPE);

	login_common_init(binary, env);
	ioloop_run(login_main_ioloop);
	login_common_deinit();
	ioloop_destroy(&login_main_ioloop);
	return 0;
}
