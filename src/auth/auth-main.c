/* auth-main.c - the auth service: loads the settings, creates the
 * passdb/userdb chain and the worker pool, and serves the auth-client,
 * auth-master and auth-userdb sockets from one ioloop until SIGTERM.
 * Under the master the listening sockets are inherited (LOFT_LISTENERS);
 * started by hand it creates them under base_dir. */
#include "lib.h"
#include "log.h"
#include "ioloop.h"
#include "net.h"
#include "config.h"
#include "service-env.h"
#include "auth.h"
#include "auth-worker.h"
#include "auth-client-connection.h"
#include "auth-master-connection.h"

#include <signal.h>
#include <sys/stat.h>

#define AUTH_EXPIRE_INTERVAL_MSECS 10000

enum auth_listener_type {
	AUTH_LISTENER_CLIENT,
	AUTH_LISTENER_MASTER,
	AUTH_LISTENER_USERDB,
};

struct auth_listener {
	const char *name;
	enum auth_listener_type type;
	mode_t mode;
	int fd;
	struct io *io;
};

static struct auth_listener listeners[] = {
    {"auth-client", AUTH_LISTENER_CLIENT, 0600, -1, NULL},
    {"auth-master", AUTH_LISTENER_MASTER, 0600, -1, NULL},
    {"auth-userdb", AUTH_LISTENER_USERDB, 0600, -1, NULL},
    /* auth-client protocol for the login processes, in their chroot */
    {"login/login", AUTH_LISTENER_CLIENT, 0666, -1, NULL},
};

static struct auth *auth;
static struct ioloop *ioloop;

static void listener_accept(void *context)
{
	struct auth_listener *l = context;
	int fd;

	for (;;) {
		fd = net_accept(l->fd, NULL, NULL);
		if (fd == -1)
			return;
		if (fd < 0) {
			if (errno != ECONNABORTED && errno != EINTR)
				i_error("accept(%s) failed: %m", l->name);
			return;
		}
		switch (l->type) {
		case AUTH_LISTENER_CLIENT:
			(void)auth_client_connection_create(auth, fd);
			break;
		case AUTH_LISTENER_MASTER:
			(void)auth_master_connection_create(auth, fd, false);
			break;
		case AUTH_LISTENER_USERDB:
			(void)auth_master_connection_create(auth, fd, true);
			break;
		}
	}
}

static void sig_die(int signo, void *context)
{
	i_info("Received signal %d, exiting", signo);
	ioloop_stop(ioloop);
}

static void expire_successes(void *context)
{
	auth_success_expire(auth);
}

static void listeners_init(const struct service_env *env)
{
	bool under_master = getenv(SERVICE_ENV_LISTENERS) != NULL;

	if (!under_master && env->set->base_dir != NULL &&
	    mkdir(env->set->base_dir, 0755) < 0 && errno != EEXIST)
		i_fatal("mkdir(%s) failed: %m", env->set->base_dir);
	if (!under_master && env->set->base_dir != NULL) {
		const char *dir = service_env_socket_path(env, "login");

		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			i_fatal("mkdir(%s) failed: %m", dir);
	}

	for (unsigned int i = 0; i < N_ELEMENTS(listeners); i++) {
		struct auth_listener *l = &listeners[i];

		if (under_master) {
			const struct service_listener *sl =
			    service_env_find_listener(env, l->name);
			if (sl == NULL)
				continue;
			l->fd = sl->fd;
			fd_set_nonblock(l->fd, true);
			fd_close_on_exec(l->fd, true);
		} else {
			const char *path =
			    service_env_socket_path(env, l->name);

			l->fd = net_listen_unix(path, l->mode, 0);
			if (l->fd < 0)
				i_fatal("net_listen_unix(%s) failed: %m", path);
		}
		l->io = io_add(l->fd, IO_READ, listener_accept, l);
	}
}

static void listeners_deinit(void)
{
	for (unsigned int i = 0; i < N_ELEMENTS(listeners); i++) {
		if (listeners[i].io != NULL)
			io_remove(&listeners[i].io);
		i_close_fd(&listeners[i].fd);
	}
}

int main(int argc, char *argv[])
{
	struct service_env *env;
	struct timeout *to_expire;
	const char *error;

	env = service_env_init("auth", NULL, argc, argv);
	ioloop = ioloop_create();

	auth = auth_init(env->set, &error);
	if (auth == NULL)
		i_fatal("%s", error);
	signal_add(SIGTERM, sig_die, NULL);
	signal_add(SIGINT, sig_die, NULL);
	signal_ignore(SIGPIPE);
	auth_worker_pool_init(0);
	listeners_init(env);
	to_expire =
	    timeout_add(AUTH_EXPIRE_INTERVAL_MSECS, expire_successes, NULL);

	ioloop_run(ioloop);

	timeout_remove(&to_expire);
	listeners_deinit();
	auth_client_connections_destroy_all();
	auth_master_connections_destroy_all();
	auth_worker_pool_deinit();
	auth_deinit(&auth);
	ioloop_destroy(&ioloop);
	/* service_env has no deinit; free the settings so that leak
	 * checkers see a clean exit. */
	config_free(&env->set);
	return 0;
}
