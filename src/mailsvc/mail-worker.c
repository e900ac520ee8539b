/* mail-worker.c - the mail worker of one uid: receives logged-in clients
 * from the dispatcher and serves their sessions (through the protocol's
 * hooks) in one event loop.
 *
 * It changes to the uid/gid it was started for before reading any mail,
 * answers every hand-off record, and shuts down on SIGTERM (at once) or
 * SIGQUIT / dispatcher gone (when the last session ends). It does not
 * talk to the auth process: the dispatcher has validated the login. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "array.h"
#include "log.h"
#include "ioloop.h"
#include "fdpass.h"
#include "restrict.h"
#include "mail-service-private.h"

#include <signal.h>

static struct service_env *worker_env;
static const struct mail_service_hooks *worker_hooks;
static struct io *worker_io = NULL;
static int worker_fd = -1;
static bool worker_stopping = false;
static unsigned char *worker_buf;

static void worker_reply(const char *line)
{
	if (fd_send(worker_fd, -1, line, strlen(line)) < 0 && errno != EPIPE &&
	    errno != ECONNRESET)
		i_error("send() to dispatcher failed: %m");
}

static void worker_check_exit(void)
{
	if (worker_stopping && worker_hooks->clients_count() == 0)
		ioloop_stop(current_ioloop);
}

static void worker_stop_accepting(void)
{
	worker_stopping = true;
	if (worker_io != NULL)
		io_remove(&worker_io);
	worker_hooks->clients_set_empty_callback(worker_check_exit);
	worker_check_exit();
}

static void worker_handle_request(const char *line, int client_fd)
{
	pool_t pool = pool_create("worker request", 1024);
	struct mail_session_params params;
	const char *error;
	string_t *reply = str_new(pool, 128);

	if (client_fd < 0) {
		i_error("Dispatcher sent a request without a client fd");
		str_append(reply, "FAIL\tInternal error\n");
	} else if (mail_worker_request_decode(pool, line, &params, &error) <
		   0) {
		i_error("Dispatcher sent a malformed request: %s", error);
		str_append(reply, "FAIL\tInternal error\n");
		i_close_fd(&client_fd);
	} else {
		worker_hooks->client_create(client_fd, worker_env->set,
					    &params);
		str_printfa(reply, "OK\t%ld\n", (long)getpid());
	}
	worker_reply(str_c(reply));
	pool_unref(&pool);
}

static void worker_input(void *context)
{
	int client_fd = -1;
	ssize_t ret;

	ret =
	    fd_read(worker_fd, worker_buf, MAIL_WORKER_MAX_REQUEST, &client_fd);
	if (ret < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		i_error("recvmsg() from dispatcher failed: %m");
		worker_stop_accepting();
		return;
	}
	if (ret == 0) {
		/* the dispatcher is gone: finish the sessions we have */
		worker_stop_accepting();
		return;
	}
	if (worker_stopping) {
		i_close_fd(&client_fd);
		worker_reply("FAIL\tServer shutting down\n");
		return;
	}
	if (worker_buf[ret - 1] != '\n' ||
	    memchr(worker_buf, '\0', ret) != NULL) {
		i_error("Dispatcher sent a malformed record");
		i_close_fd(&client_fd);
		worker_reply("FAIL\tInternal error\n");
		return;
	}
	worker_buf[ret - 1] = '\0';
	worker_handle_request((const char *)worker_buf, client_fd);
}

static void worker_sigterm(int signo, void *context)
{
	worker_hooks->clients_destroy_all();
	ioloop_stop(current_ioloop);
}

static void worker_sigquit(int signo, void *context)
{
	worker_stop_accepting();
}

static uid_t env_id(const char *name)
{
	const char *value = getenv(name);
	unsigned int id;

	if (value == NULL || str_to_uint(value, &id) < 0)
		i_fatal("%s worker: %s missing or invalid",
			worker_hooks->protocol, name);
	return (uid_t)id;
}

void mail_worker_main(struct service_env *env,
		      const struct mail_service_hooks *hooks)
{
	struct restrict_settings rset;
	struct ioloop *ioloop;
	const char *error, *value;
	unsigned int fd;

	worker_env = env;
	worker_hooks = hooks;
	value = getenv(MAIL_WORKER_ENV_FD);
	if (value == NULL || str_to_uint(value, &fd) < 0)
		i_fatal("%s worker: " MAIL_WORKER_ENV_FD " missing",
			hooks->protocol);
	worker_fd = (int)fd;
	fd_close_on_exec(worker_fd, true);
	fd_set_nonblock(worker_fd, true);

	memset(&rset, 0, sizeof(rset));
	rset.uid = env_id(MAIL_WORKER_ENV_UID);
	rset.gid = (gid_t)env_id(MAIL_WORKER_ENV_GID);
	rset.user_name = getenv(MAIL_WORKER_ENV_USER);
	if (rset.uid == 0)
		i_fatal("%s worker: refusing to serve mail as root",
			hooks->protocol);
	if (restrict_access(&rset, &error) < 0)
		i_fatal("%s worker: %s", hooks->protocol, error);

	worker_buf = i_malloc(MAIL_WORKER_MAX_REQUEST + 1);
	ioloop = ioloop_create();
	signal_add(SIGTERM, worker_sigterm, NULL);
	signal_add(SIGQUIT, worker_sigquit, NULL);
	signal_add(SIGINT, worker_sigterm, NULL);
	worker_io = io_add(worker_fd, IO_READ, worker_input, NULL);
	ioloop_run(ioloop);

	worker_hooks->clients_destroy_all();
	if (worker_io != NULL)
		io_remove(&worker_io);
	i_close_fd(&worker_fd);
	ioloop_destroy(&ioloop);
	i_free(worker_buf);
	exit(0);
}
