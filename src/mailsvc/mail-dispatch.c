/* mail-dispatch.c - the dispatcher role of a mail service: hands
 * logged-in clients from login processes to the per-uid workers (see
 * mail-service.h).
 *
 * A login connection is read with fd_read() into a bounded buffer until
 * its one LOGIN line is complete; the client fd must come with it. The
 * auth-master lookup is blocking with a timeout, as its interface is. A
 * worker has a FIFO of login connections waiting for its answers; when a
 * worker dies they all get FAIL and it is restarted on the next login. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "log.h"
#include "ioloop.h"
#include "net.h"
#include "fdpass.h"
#include "login-handoff.h"
#include "auth-master-client.h"
#include "mail-service-private.h"

#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define AUTH_MASTER_TIMEOUT_MSECS 5000
#define LOGIN_FAIL_INTERNAL                                                    \
	"Internal error occurred. Refer to server log for more information."

struct login_conn {
	struct login_conn *next; /* in its worker's FIFO */
	pool_t pool;
	int fd;
	int client_fd;
	struct io *io;
	string_t *buf;
};

struct worker {
	struct worker *next;
	uid_t uid;
	gid_t gid;
	/* which of the uid's workers this is (see worker_slot()) */
	unsigned int slot;
	pid_t pid;
	int fd;
	struct io *io;
	struct login_conn *pending_head, *pending_tail;
};

static struct service_env *dispatch_env;
static const struct mail_service_hooks *dispatch_hooks;
static int dispatch_argc;
static char **dispatch_argv;
static int listen_fd = -1;
static struct io *listen_io = NULL;
static struct worker *workers = NULL;
static unsigned int login_conn_count = 0;
static bool dispatch_stopping = false;

static void dispatch_check_exit(void)
{
	if (dispatch_stopping && workers == NULL && login_conn_count == 0)
		ioloop_stop(current_ioloop);
}

static void login_conn_destroy(struct login_conn *conn)
{
	if (conn->io != NULL)
		io_remove(&conn->io);
	i_close_fd(&conn->fd);
	i_close_fd(&conn->client_fd);
	pool_unref(&conn->pool);
	login_conn_count--;
	dispatch_check_exit();
}

/* Sends the final answer to the login and closes the connection. */
static void login_conn_reply(struct login_conn *conn, bool ok, pid_t pid,
			     const char *reason)
{
	string_t *reply = str_new(conn->pool, 128);

	if (ok)
		login_handoff_reply_ok(reply, pid);
	else
		login_handoff_reply_fail(reply, reason);
	/* a fresh local socket with one short line: it fits at once */
	if (write(conn->fd, str_data(reply), str_len(reply)) < 0 &&
	    errno != EPIPE)
		i_error("write(login connection) failed: %m");
	login_conn_destroy(conn);
}

static void worker_destroy(struct worker *worker, const char *reason)
{
	struct worker **p;

	for (p = &workers; *p != NULL; p = &(*p)->next) {
		if (*p == worker) {
			*p = worker->next;
			break;
		}
	}
	while (worker->pending_head != NULL) {
		struct login_conn *conn = worker->pending_head;

		worker->pending_head = conn->next;
		i_error("%s worker %ld (uid %ld): %s", dispatch_hooks->protocol,
			(long)worker->pid, (long)worker->uid, reason);
		login_conn_reply(conn, false, 0, LOGIN_FAIL_INTERNAL);
	}
	if (worker->io != NULL)
		io_remove(&worker->io);
	i_close_fd(&worker->fd);
	i_free(worker);
	dispatch_check_exit();
}

static void worker_input(void *context)
{
	struct worker *worker = context;
	struct login_conn *conn;
	char buf[1024];
	const char *reason;
	pid_t pid;
	int fd = -1;
	ssize_t ret;
	int result;

	ret = fd_read(worker->fd, buf, sizeof(buf) - 1, &fd);
	if (ret < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (ret <= 0) {
		/* the worker exited: SIGCHLD reaps it */
		if (worker->io != NULL)
			io_remove(&worker->io);
		worker_destroy(worker,
			       ret == 0 ? "exited" : "connection failed");
		return;
	}
	i_close_fd(&fd);
	conn = worker->pending_head;
	if (conn == NULL) {
		i_error("%s worker %ld sent an unexpected reply",
			dispatch_hooks->protocol, (long)worker->pid);
		return;
	}
	worker->pending_head = conn->next;
	if (worker->pending_head == NULL)
		worker->pending_tail = NULL;

	buf[ret] = '\0';
	if (ret > 0 && buf[ret - 1] == '\n')
		buf[ret - 1] = '\0';
	result = login_handoff_parse_reply(conn->pool, buf, &pid, &reason);
	if (result < 0) {
		i_error("%s worker %ld sent a malformed reply: %s",
			dispatch_hooks->protocol, (long)worker->pid, reason);
		login_conn_reply(conn, false, 0, LOGIN_FAIL_INTERNAL);
	} else {
		login_conn_reply(conn, result > 0, pid, reason);
	}
}

/* Users sharing a uid are spread over mail_workers_per_uid workers (one
 * per CPU by default) so that virtual users under one uid use every core.
 * A user always maps to the same worker, so that the per-user limits and
 * the POP3 session lock see all of that user's sessions. */
static unsigned int worker_slot(const char *user)
{
	unsigned int n = dispatch_env->set->mail_workers_per_uid;
	unsigned int h = 2166136261u;

	if (n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (unsigned int)cpus : 1;
	}
	if (n == 1)
		return 0;
	for (const unsigned char *p = (const unsigned char *)user; *p != '\0';
	     p++)
		h = (h ^ *p) * 16777619u;
	return h % n;
}

static struct worker *worker_find(uid_t uid, gid_t gid, unsigned int slot)
{
	for (struct worker *w = workers; w != NULL; w = w->next) {
		if (w->uid == uid && w->gid == gid && w->slot == slot)
			return w;
	}
	return NULL;
}

static void ATTR_NORETURN worker_exec(int fd, uid_t uid, gid_t gid)
{
	char **args = calloc((size_t)dispatch_argc + 2, sizeof(char *));
	struct passwd *pw;
	char value[32], exe_path[PATH_MAX];

	if (args == NULL)
		_exit(89);
	fd_close_on_exec(fd, false);
	snprintf(value, sizeof(value), "%d", fd);
	setenv(MAIL_WORKER_ENV_FD, value, 1);
	snprintf(value, sizeof(value), "%ld", (long)uid);
	setenv(MAIL_WORKER_ENV_UID, value, 1);
	snprintf(value, sizeof(value), "%ld", (long)gid);
	setenv(MAIL_WORKER_ENV_GID, value, 1);
	pw = getpwuid(uid);
	if (pw != NULL && getuid() == 0)
		setenv(MAIL_WORKER_ENV_USER, pw->pw_name, 1);
	else
		unsetenv(MAIL_WORKER_ENV_USER);
	unsetenv(SERVICE_ENV_LISTENERS);

	args[0] = dispatch_argv[0];
	args[1] = (char *)MAIL_WORKER_ARG;
	for (int i = 1; i < dispatch_argc; i++)
		args[i + 1] = dispatch_argv[i];
	args[dispatch_argc + 1] = NULL;
	/* exec the binary by its own path (not /proc/self/exe) so that the
	 * worker shows up as "pop3"/"imap" in ps and top */
	ssize_t len =
	    readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
	if (len > 0) {
		exe_path[len] = '\0';
		execv(exe_path, args);
	}
	execv("/proc/self/exe", args);
	execv(dispatch_argv[0], args);
	i_fatal("execv(%s) failed: %m", dispatch_argv[0]);
}

static struct worker *worker_start(uid_t uid, gid_t gid, unsigned int slot)
{
	struct worker *worker;
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		i_error("socketpair() failed: %m");
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		i_error("fork() failed: %m");
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_exec(sv[1], uid, gid);
	}
	close(sv[1]);
	fd_set_nonblock(sv[0], true);

	worker = i_malloc(sizeof(*worker));
	worker->uid = uid;
	worker->gid = gid;
	worker->slot = slot;
	worker->pid = pid;
	worker->fd = sv[0];
	worker->io = io_add(worker->fd, IO_READ, worker_input, worker);
	worker->next = workers;
	workers = worker;
	i_debug("Started %s worker %ld for uid %ld", dispatch_hooks->protocol,
		(long)pid, (long)uid);
	return worker;
}

static void login_conn_handle_line(struct login_conn *conn, const char *line)
{
	struct login_handoff h;
	struct auth_user_reply reply;
	enum auth_master_result result;
	struct worker *worker;
	const char *error;
	string_t *req;
	unsigned int slot;
	uid_t uid;
	gid_t gid;

	if (login_handoff_decode(conn->pool, line, &h, &error) < 0) {
		i_error("Login sent a malformed hand-off: %s", error);
		login_conn_reply(conn, false, 0, "Internal error");
		return;
	}
	if (conn->client_fd < 0) {
		i_error("Login sent a hand-off without the client fd");
		login_conn_reply(conn, false, 0, "Internal error");
		return;
	}
	result = auth_master_request(
	    conn->pool, service_env_socket_path(dispatch_env, "auth-master"),
	    h.auth_pid, h.auth_id, h.cookie, AUTH_MASTER_TIMEOUT_MSECS, &reply,
	    &error);
	if (result != AUTH_MASTER_RESULT_OK) {
		i_error("auth-master REQUEST for session %s failed: %s",
			h.session_id,
			result == AUTH_MASTER_RESULT_NOTFOUND
			    ? "Unknown or expired login"
			    : error);
		login_conn_reply(conn, false, 0, LOGIN_FAIL_INTERNAL);
		return;
	}
	if (mail_service_get_ids(
		dispatch_env->set, auth_user_reply_field(&reply, "uid"),
		auth_user_reply_field(&reply, "gid"), &uid, &gid, &error) < 0) {
		i_error("user %s (session %s): %s", reply.user, h.session_id,
			error);
		login_conn_reply(conn, false, 0, LOGIN_FAIL_INTERNAL);
		return;
	}

	slot = worker_slot(reply.user);
	worker = worker_find(uid, gid, slot);
	if (worker == NULL)
		worker = worker_start(uid, gid, slot);
	if (worker == NULL) {
		login_conn_reply(conn, false, 0, LOGIN_FAIL_INTERNAL);
		return;
	}
	req = str_new(conn->pool, 512);
	mail_worker_request_encode(req, reply.user, reply.fields, &h);
	if (str_len(req) > MAIL_WORKER_MAX_REQUEST) {
		i_error("user %s: hand-off too large for the worker",
			reply.user);
		login_conn_reply(conn, false, 0, LOGIN_FAIL_INTERNAL);
		return;
	}
	if (fd_send(worker->fd, conn->client_fd, str_data(req), str_len(req)) <
	    0) {
		i_error("send() to %s worker %ld failed: %m",
			dispatch_hooks->protocol, (long)worker->pid);
		login_conn_reply(conn, false, 0, LOGIN_FAIL_INTERNAL);
		return;
	}
	/* the worker has its own copy now */
	i_close_fd(&conn->client_fd);
	conn->next = NULL;
	if (worker->pending_tail != NULL)
		worker->pending_tail->next = conn;
	else
		worker->pending_head = conn;
	worker->pending_tail = conn;
}

static void login_conn_input(void *context)
{
	struct login_conn *conn = context;
	unsigned char buf[4096];
	const unsigned char *lf;
	int fd = -1;
	ssize_t ret;

	ret = fd_read(conn->fd, buf, sizeof(buf), &fd);
	if (ret < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (fd >= 0) {
		if (conn->client_fd >= 0) {
			i_error("Login sent more than one fd");
			i_close_fd(&fd);
			login_conn_reply(conn, false, 0, "Internal error");
			return;
		}
		conn->client_fd = fd;
	}
	if (ret <= 0) {
		if (ret < 0)
			i_error("recvmsg(login connection) failed: %m");
		login_conn_destroy(conn);
		return;
	}
	lf = memchr(buf, '\n', (size_t)ret);
	if (lf != NULL && lf != buf + ret - 1) {
		i_error("Login sent data after the hand-off line");
		login_conn_reply(conn, false, 0, "Internal error");
		return;
	}
	if (str_len(conn->buf) + (size_t)ret > LOGIN_HANDOFF_MAX_LINE ||
	    memchr(buf, '\0', (size_t)ret) != NULL) {
		i_error("Login sent a malformed or too long hand-off line");
		login_conn_reply(conn, false, 0, "Internal error");
		return;
	}
	str_append_n(conn->buf, buf,
		     lf == NULL ? (size_t)ret : (size_t)(lf - buf));
	if (lf == NULL)
		return;
	io_remove(&conn->io);
	login_conn_handle_line(conn, str_c(conn->buf));
}

static void listen_input(void *context)
{
	struct login_conn *conn;
	pool_t pool;
	int fd;

	fd = net_accept(listen_fd, NULL, NULL);
	if (fd == -1)
		return;
	if (fd < 0) {
		if (errno != ECONNABORTED)
			i_error("accept(login/%s) failed: %m",
				dispatch_hooks->protocol);
		return;
	}
	pool = pool_create("login connection", 1024);
	conn = p_new(pool, struct login_conn, 1);
	conn->pool = pool;
	conn->fd = fd;
	conn->client_fd = -1;
	conn->buf = str_new(pool, 512);
	conn->io = io_add(fd, IO_READ, login_conn_input, conn);
	login_conn_count++;
}

static void reap_children(int signo, void *context)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct worker *worker = workers;

		while (worker != NULL && worker->pid != pid)
			worker = worker->next;
		if (WIFSIGNALED(status)) {
			i_error("%s worker %ld killed with signal %d",
				dispatch_hooks->protocol, (long)pid,
				WTERMSIG(status));
		} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
			i_error("%s worker %ld returned error %d",
				dispatch_hooks->protocol, (long)pid,
				WEXITSTATUS(status));
		}
		if (worker != NULL)
			worker_destroy(worker, "died");
	}
}

static void stop_listening(void)
{
	if (listen_io != NULL)
		io_remove(&listen_io);
	i_close_fd(&listen_fd);
}

static void dispatch_sigterm(int signo, void *context)
{
	stop_listening();
	for (struct worker *w = workers; w != NULL; w = w->next)
		(void)kill(w->pid, SIGTERM);
	ioloop_stop(current_ioloop);
}

static void dispatch_sigquit(int signo, void *context)
{
	dispatch_stopping = true;
	stop_listening();
	for (struct worker *w = workers; w != NULL; w = w->next)
		(void)kill(w->pid, SIGQUIT);
	dispatch_check_exit();
}

static int open_listener(struct service_env *env)
{
	const struct service_listener *l;
	const char *path, *dir;
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "login/%s", dispatch_hooks->protocol);

	l = service_env_find_listener(env, name);
	if (l == NULL)
		l = service_env_find_listener(env, dispatch_hooks->protocol);
	if (l != NULL)
		return l->fd;
	if (getenv(SERVICE_ENV_LISTENERS) != NULL)
		i_fatal("No %s listener given by the master", name);

	/* started by hand: our own socket under base_dir */
	dir = service_env_socket_path(env, "login");
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		i_fatal("mkdir(%s) failed: %m", dir);
	path = service_env_socket_path(env, name);
	fd = net_listen_unix(path, 0666, 0);
	if (fd < 0)
		i_fatal("net_listen_unix(%s) failed: %m", path);
	return fd;
}

void mail_dispatch_main(struct service_env *env,
			const struct mail_service_hooks *hooks, int argc,
			char **argv)
{
	struct ioloop *ioloop;

	dispatch_env = env;
	dispatch_hooks = hooks;
	dispatch_argc = argc;
	dispatch_argv = argv;

	ioloop = ioloop_create();
	listen_fd = open_listener(env);
	fd_set_nonblock(listen_fd, true);
	fd_close_on_exec(listen_fd, true);
	signal_add(SIGCHLD, reap_children, NULL);
	signal_add(SIGTERM, dispatch_sigterm, NULL);
	signal_add(SIGINT, dispatch_sigterm, NULL);
	signal_add(SIGQUIT, dispatch_sigquit, NULL);
	listen_io = io_add(listen_fd, IO_READ, listen_input, NULL);
	ioloop_run(ioloop);

	stop_listening();
	while (workers != NULL) {
		(void)kill(workers->pid, SIGTERM);
		worker_destroy(workers, "dispatcher stopped");
	}
	ioloop_destroy(&ioloop);
	exit(0);
}
