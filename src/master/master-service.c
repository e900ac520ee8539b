/* master-service.c - building services from the settings, starting their
 * processes and supervising them. Does not load the configuration, handle
 * signals or write the pid file (master.c does). */
#include "master-service.h"
#include "master-binary.h"
#include "master-common.h"
#include "master-listen.h"
#include "master-restart.h"
#include "array.h"
#include "config.h"
#include "ioloop.h"
#include "log.h"
#include "pool.h"
#include "restrict.h"
#include "service-env.h"
#include "str.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define FIRST_LISTENER_FD 3
/* Exit status of a child whose exec failed (Dovecot's FATAL_EXEC). */
#define CHILD_EXEC_FAILED_STATUS 84

struct master_generation;

struct master_service {
	struct master_generation *gen;
	const char *name;
	const char *binary;
	const char **argv; /* NULL-terminated, argv[0] = binary */
	unsigned int want_count;
	unsigned int process_count;
	ARRAY(struct master_listener *) listeners;
	struct master_backoff backoff;
	struct timeout *to_restart;
};

struct master_generation {
	pool_t pool;
	struct loft_settings *set;
	/* the config file its processes load; unlinked with the generation
	 * when it is a snapshot of its own */
	char *config_path;
	bool config_is_snapshot;
	const char *protocols; /* "pop3, imap" */
	ARRAY(struct master_service *) services;
	ARRAY(struct master_listener *) listeners; /* of all services */
	/* listener i takes over the fd of takeover[i] on commit (reload) */
	ARRAY(struct master_listener *) takeover;
	unsigned int process_count;
	bool retired;
	struct master_generation *next; /* in retired_gens */
};

struct master_process {
	struct master_process *prev, *next;
	struct master_service *service;
	pid_t pid;
	uint64_t start_msecs;
	bool quit_sent; /* we asked it to exit */
};

static char *master_config_path;
static char *next_config_snapshot;
static char *master_self_dir_path;
static int child_log_fd = -1;
static bool shutting_down;
static struct master_generation *current_gen;
static struct master_generation *retired_gens;
static struct master_process *processes;

static void service_schedule_restart(struct master_service *service,
				     unsigned int delay_msecs);

void master_services_init(const char *config_path, const char *self_dir)
{
	master_config_path = i_strdup(config_path);
	master_self_dir_path = self_dir == NULL ? NULL : i_strdup(self_dir);
}

void master_services_set_next_config(const char *snapshot_path)
{
	if (next_config_snapshot != NULL) {
		(void)unlink(next_config_snapshot);
		i_free(next_config_snapshot);
	}
	if (snapshot_path != NULL)
		next_config_snapshot = i_strdup(snapshot_path);
}

void master_services_set_child_log_fd(int fd)
{
	if (child_log_fd != -1 && child_log_fd != fd)
		i_close_fd(&child_log_fd);
	child_log_fd = fd;
	if (fd != -1)
		fd_close_on_exec(fd, true);
}

/* ---- building a generation from the settings ---- */

static const struct service_settings *
find_service_settings(const struct loft_settings *set, const char *name)
{
	for (unsigned int i = 0; i < set->services.count; i++) {
		const struct service_settings *ss = set->services.items[i];

		if (ss->name != NULL && strcmp(ss->name, name) == 0)
			return ss;
	}
	return NULL;
}

static bool ip_is_any6(const struct ip_addr *ip)
{
	return ip->family == AF_INET6 &&
	       memcmp(&ip->u.ip6, &in6addr_any, sizeof(in6addr_any)) == 0;
}

static int add_inet_listener(struct master_generation *gen,
			     struct master_service *service, const char *name,
			     const char *address, unsigned int port, bool ssl,
			     bool haproxy, const char **error_r)
{
	struct master_listener *l;
	struct ip_addr *ips;
	unsigned int count;
	const char *error;

	if (port == 0)
		return 0;
	if (ssl && gen->set->ssl == SSL_MODE_NO) {
		i_debug("service(%s): ssl=no: not listening on %s",
			service->name, name);
		return 0;
	}
	if (!master_listener_name_valid(name)) {
		*error_r = master_errorf(
		    "service(%s): invalid inet_listener name '%s'",
		    service->name, name == NULL ? "" : name);
		return -1;
	}
	if (port > 65535) {
		*error_r = master_errorf(
		    "service(%s): inet_listener %s: invalid port %u",
		    service->name, name, port);
		return -1;
	}
	/* an unset (NULL or empty) address means the global listen */
	if (address == NULL || address[0] == '\0')
		address = gen->set->listen != NULL ? gen->set->listen : "*, ::";
	if (master_listen_parse(gen->pool, address, &ips, &count, &error) < 0) {
		*error_r = master_errorf("service(%s): inet_listener %s: %s",
					 service->name, name, error);
		return -1;
	}
	for (unsigned int i = 0; i < count; i++) {
		l = master_listener_new_inet(gen->pool, service->name, name,
					     &ips[i], port, ssl, haproxy);
		array_push(&service->listeners, l);
		array_push(&gen->listeners, l);
	}
	return 0;
}

static int add_unix_listener(struct master_generation *gen,
			     struct master_service *service, const char *name,
			     unsigned int mode, const char *user,
			     const char *group, const char **error_r)
{
	struct master_listener *l;
	const char *path;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1, user_gid;

	if (!master_listener_name_valid(name)) {
		*error_r = master_errorf(
		    "service(%s): invalid unix_listener path '%s'",
		    service->name, name == NULL ? "" : name);
		return -1;
	}
	if (mode > 07777) {
		*error_r = master_errorf(
		    "service(%s): unix_listener %s: invalid mode 0%o",
		    service->name, name, mode);
		return -1;
	}
	path = name[0] == '/' ? name
			      : p_strconcat(gen->pool, gen->set->base_dir, "/",
					    name, NULL);
	if (geteuid() == 0) {
		if (user != NULL && user[0] != '\0' &&
		    user_lookup(user, &uid, &user_gid) < 0) {
			*error_r = master_errorf(
			    "service(%s): unix_listener %s: unknown user %s",
			    service->name, name, user);
			return -1;
		}
		if (group != NULL && group[0] != '\0' &&
		    group_lookup(group, &gid) < 0) {
			*error_r = master_errorf(
			    "service(%s): unix_listener %s: unknown group %s",
			    service->name, name, group);
			return -1;
		}
	}
	l = master_listener_new_unix(gen->pool, service->name, name, path,
				     (mode_t)mode, uid, gid);
	array_push(&service->listeners, l);
	array_push(&gen->listeners, l);
	return 0;
}

/* Listeners a service has when the settings do not name it at all. */
static int add_default_listeners(struct master_generation *gen,
				 struct master_service *service,
				 const char **error_r)
{
	if (strcmp(service->name, "auth") == 0) {
		if (add_unix_listener(gen, service, "auth-client", 0666, NULL,
				      NULL, error_r) < 0 ||
		    add_unix_listener(gen, service, "auth-master", 0600, NULL,
				      NULL, error_r) < 0 ||
		    add_unix_listener(gen, service, "auth-userdb", 0666, NULL,
				      NULL, error_r) < 0 ||
		    add_unix_listener(gen, service, "login/login", 0666, NULL,
				      NULL, error_r) < 0)
			return -1;
	} else if (strcmp(service->name, "pop3-login") == 0) {
		if (add_inet_listener(gen, service, "pop3", NULL, 110, false,
				      false, error_r) < 0 ||
		    add_inet_listener(gen, service, "pop3s", NULL, 995, true,
				      false, error_r) < 0)
			return -1;
	} else if (strcmp(service->name, "pop3") == 0) {
		if (add_unix_listener(gen, service, "login/pop3", 0666, NULL,
				      NULL, error_r) < 0)
			return -1;
	} else if (strcmp(service->name, "imap-login") == 0) {
		if (add_inet_listener(gen, service, "imap", NULL, 143, false,
				      false, error_r) < 0 ||
		    add_inet_listener(gen, service, "imaps", NULL, 993, true,
				      false, error_r) < 0)
			return -1;
	} else if (strcmp(service->name, "imap") == 0) {
		if (add_unix_listener(gen, service, "login/imap", 0666, NULL,
				      NULL, error_r) < 0)
			return -1;
	}
	return 0;
}

static bool is_login_service(const char *name)
{
	size_t len = strlen(name);

	return len > 6 && strcmp(name + len - 6, "-login") == 0;
}

static int add_service(struct master_generation *gen, const char *name,
		       const char **error_r)
{
	const struct service_settings *ss =
	    find_service_settings(gen->set, name);
	struct master_service *service;
	const char *executable;
	char **words;
	unsigned int nwords;

	service = p_new(gen->pool, struct master_service, 1);
	service->gen = gen;
	service->name = p_strdup(gen->pool, name);
	array_init(&service->listeners, gen->pool, 4);

	executable = name;
	if (ss != NULL && ss->executable != NULL)
		executable = ss->executable;
	words = p_strsplit_spaces(gen->pool, executable, " \t");
	if (words[0] == NULL)
		words = p_strsplit_spaces(gen->pool, name, " ");
	nwords = str_array_length((const char *const *)words);
	service->binary =
	    master_binary_path(gen->pool, words[0], master_self_dir_path);
	if (access(service->binary, X_OK) < 0) {
		*error_r =
		    master_errorf("service(%s): access(%s) failed: %s", name,
				  service->binary, strerror(errno));
		return -1;
	}
	service->argv = p_new(gen->pool, const char *, nwords + 1);
	service->argv[0] = service->binary;
	for (unsigned int i = 1; i < nwords; i++)
		service->argv[i] = words[i];

	service->want_count = 1;
	if (ss != NULL && is_login_service(name))
		service->want_count = MAX_OF(1u, ss->process_min_avail);

	if (ss == NULL) {
		if (add_default_listeners(gen, service, error_r) < 0)
			return -1;
	} else {
		for (unsigned int i = 0; i < ss->inet_listeners.count; i++) {
			const struct inet_listener_settings *il =
			    ss->inet_listeners.items[i];

			if (add_inet_listener(gen, service, il->name,
					      il->address, il->port, il->ssl,
					      il->haproxy, error_r) < 0)
				return -1;
		}
		for (unsigned int i = 0; i < ss->unix_listeners.count; i++) {
			const struct unix_listener_settings *ul =
			    ss->unix_listeners.items[i];

			if (add_unix_listener(gen, service, ul->path, ul->mode,
					      ul->user, ul->group, error_r) < 0)
				return -1;
		}
	}
	array_push(&gen->services, service);
	return 0;
}

static bool protocol_is_implemented(const char *protocol)
{
	return strcmp(protocol, "pop3") == 0 || strcmp(protocol, "imap") == 0;
}

static void generation_free(struct master_generation **_gen)
{
	struct master_generation *gen = *_gen;

	*_gen = NULL;
	i_assert(gen->process_count == 0);
	for (unsigned int i = 0; i < gen->services.count; i++) {
		struct master_service *service = gen->services.items[i];

		if (service->to_restart != NULL)
			timeout_remove(&service->to_restart);
	}
	for (unsigned int i = 0; i < gen->listeners.count; i++)
		master_listener_close(gen->listeners.items[i], true);
	if (gen->set != NULL)
		config_free(&gen->set);
	if (gen->config_is_snapshot)
		(void)unlink(gen->config_path);
	i_free(gen->config_path);
	pool_unref(&gen->pool);
}

/* Builds the services for set; set is owned by the generation, also when
 * this fails (then generation_free() releases it). */
static int generation_create(struct loft_settings *set,
			     struct master_generation **gen_r,
			     const char **error_r)
{
	struct master_generation *gen;
	pool_t pool = pool_create("master generation", 4096);
	string_t *protocols = str_new(pool, 32);
	char **names;
	int ret = 0;

	gen = p_new(pool, struct master_generation, 1);
	gen->pool = pool;
	gen->set = set;
	if (next_config_snapshot != NULL) {
		gen->config_path = next_config_snapshot;
		gen->config_is_snapshot = true;
		next_config_snapshot = NULL;
	} else {
		gen->config_path = i_strdup(master_config_path);
	}
	array_init(&gen->services, pool, 4);
	array_init(&gen->listeners, pool, 8);
	array_init(&gen->takeover, pool, 8);
	*gen_r = gen;

	if (set->base_dir == NULL || set->base_dir[0] != '/') {
		*error_r = master_errorf(
		    "base_dir must be an absolute path: %s",
		    set->base_dir == NULL ? "(unset)" : set->base_dir);
		return -1;
	}
	/* auth first: the others connect to it. */
	if (add_service(gen, "auth", error_r) < 0)
		return -1;
	names = p_strsplit_spaces(
	    pool, set->protocols == NULL ? "" : set->protocols, ", \t");
	for (unsigned int i = 0; names[i] != NULL && ret == 0; i++) {
		bool dup = false;

		if (strcmp(names[i], "none") == 0)
			continue;
		if (!protocol_is_implemented(names[i])) {
			i_warning("protocol %s is not supported by this "
				  "version; skipping",
				  names[i]);
			continue;
		}
		for (unsigned int j = 0; j < i; j++)
			dup = dup || strcmp(names[j], names[i]) == 0;
		if (dup)
			continue;
		if (str_len(protocols) > 0)
			str_append(protocols, ", ");
		str_append(protocols, names[i]);
		/* the mail service first, so that its login socket is
		 * served when the first login process hands over */
		if (add_service(gen, names[i], error_r) < 0 ||
		    add_service(gen,
				p_strconcat(pool, names[i], "-login", NULL),
				error_r) < 0)
			ret = -1;
	}
	gen->protocols = str_c(protocols);
	return ret;
}

/* Binds gen's listeners. A listener that is the same socket as an open
 * listener of old keeps that one's fd (moved on commit). Returns 0, or -1
 * with everything bound here closed again. */
static int generation_bind(struct master_generation *gen,
			   struct master_generation *old, const char **error_r)
{
	for (unsigned int i = 0; i < gen->listeners.count; i++) {
		struct master_listener *l = gen->listeners.items[i];
		struct master_listener *reuse = NULL;

		for (unsigned int j = 0;
		     old != NULL && j < old->listeners.count; j++) {
			struct master_listener *ol = old->listeners.items[j];

			if (ol->fd != -1 &&
			    master_listener_same_socket(l, ol)) {
				reuse = ol;
				break;
			}
		}
		array_push(&gen->takeover, reuse);
		if (reuse != NULL)
			continue;
		if (master_listener_bind(l, error_r) < 0) {
			if (l->type == MASTER_LISTENER_INET &&
			    ip_is_any6(&l->ip) &&
			    (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
				/* no IPv6 on this host: "*, ::" still
				 * works with IPv4 alone */
				i_debug("%s", *error_r);
				continue;
			}
			for (unsigned int j = 0; j < i; j++)
				master_listener_close(gen->listeners.items[j],
						      true);
			array_clear(&gen->takeover);
			return -1;
		}
	}
	return 0;
}

/* Moves the fds of reused listeners from the old generation. */
static void generation_commit_listeners(struct master_generation *gen)
{
	const char *error;

	for (unsigned int i = 0; i < gen->takeover.count; i++) {
		struct master_listener *l = gen->listeners.items[i];
		struct master_listener *ol = gen->takeover.items[i];

		if (ol == NULL)
			continue;
		l->fd = ol->fd;
		ol->fd = -1;
		if (master_listener_apply_perms(l, &error) < 0)
			i_error("%s", error);
	}
	array_clear(&gen->takeover);
}

/* ---- processes ---- */

static void child_reset_signals(void)
{
	sigset_t set;

	for (int signo = 1; signo < NSIG; signo++) {
		if (signo != SIGKILL && signo != SIGSTOP)
			(void)signal(signo, SIG_DFL);
	}
	sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
}

static void ATTR_NORETURN child_exec(struct master_service *service,
				     const int *fds, unsigned int nfds,
				     const char *listeners_env)
{
	int null_fd, tmp_fds[64], max_fd = FIRST_LISTENER_FD;

	child_reset_signals();

	null_fd = open("/dev/null", O_RDWR);
	if (null_fd < 0)
		_exit(CHILD_EXEC_FAILED_STATUS);
	(void)dup2(null_fd, STDIN_FILENO);
	if (child_log_fd != -1) {
		(void)dup2(child_log_fd, STDOUT_FILENO);
		(void)dup2(child_log_fd, STDERR_FILENO);
	} else {
		(void)dup2(STDERR_FILENO, STDOUT_FILENO);
	}

	/* Copy the listeners above every fd they are to land on, then place
	 * them on 3, 4, ... (dup2 leaves the copies without CLOEXEC). */
	for (unsigned int i = 0; i < nfds; i++)
		max_fd = MAX_OF(max_fd, fds[i]);
	for (unsigned int i = 0; i < nfds; i++) {
		tmp_fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC,
				   max_fd + 1 + FIRST_LISTENER_FD + (int)nfds);
		if (tmp_fds[i] < 0)
			_exit(CHILD_EXEC_FAILED_STATUS);
	}
	for (unsigned int i = 0; i < nfds; i++) {
		if (dup2(tmp_fds[i], FIRST_LISTENER_FD + (int)i) < 0)
			_exit(CHILD_EXEC_FAILED_STATUS);
	}
	if (close_range(FIRST_LISTENER_FD + nfds, ~0U, 0) < 0) {
		long open_max = sysconf(_SC_OPEN_MAX);

		for (long fd = FIRST_LISTENER_FD + nfds; fd < open_max; fd++)
			(void)close((int)fd);
	}

	if (setenv(SERVICE_ENV_CONFIG, service->gen->config_path, 1) < 0 ||
	    setenv(SERVICE_ENV_LISTENERS, listeners_env, 1) < 0 ||
	    setenv(SERVICE_ENV_SERVICE, service->name, 1) < 0)
		_exit(CHILD_EXEC_FAILED_STATUS);

	execv(service->binary, (char *const *)service->argv);
	dprintf(STDERR_FILENO, "%s: Fatal: execv(%s) failed: %s\n",
		service->name, service->binary, strerror(errno));
	_exit(CHILD_EXEC_FAILED_STATUS);
}

/* Returns 0, or -1 when fork() failed (logged). */
static int service_spawn(struct master_service *service)
{
	struct master_listener *bound[64];
	int fds[64];
	unsigned int n = 0;
	struct master_process *p;
	const char *listeners_env;
	sigset_t all, old;
	pool_t pool;
	pid_t pid;

	for (unsigned int i = 0; i < service->listeners.count; i++) {
		struct master_listener *l = service->listeners.items[i];

		if (l->fd == -1)
			continue;
		if (n == N_ELEMENTS(bound)) {
			i_error("service(%s): too many listeners, using the "
				"first %u",
				service->name, n);
			break;
		}
		bound[n] = l;
		fds[n++] = l->fd;
	}
	pool = pool_create("master spawn", 512);
	listeners_env = master_listeners_env(pool, bound, n, FIRST_LISTENER_FD);

	/* No signal may reach the loop's handlers in the child before it has
	 * reset them. */
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_exec(service, fds, n, listeners_env);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	pool_unref(&pool);
	if (pid < 0) {
		i_error("service(%s): fork() failed: %s", service->name,
			strerror(errno));
		return -1;
	}

	p = i_malloc(sizeof(*p));
	p->service = service;
	p->pid = pid;
	p->start_msecs = time_now_msecs();
	p->next = processes;
	if (processes != NULL)
		processes->prev = p;
	processes = p;
	service->process_count++;
	service->gen->process_count++;
	i_debug("service(%s): started child %ld", service->name, (long)pid);
	return 0;
}

static void service_spawn_missing(struct master_service *service)
{
	while (service->process_count < service->want_count) {
		if (service_spawn(service) < 0) {
			service_schedule_restart(
			    service,
			    master_backoff_exit(&service->backoff, 0, true));
			return;
		}
	}
}

static void service_restart_timeout(void *context)
{
	struct master_service *service = context;

	if (!shutting_down && !service->gen->retired)
		service_spawn_missing(service);
}

static void service_schedule_restart(struct master_service *service,
				     unsigned int delay_msecs)
{
	if (service->to_restart != NULL)
		return;
	service->to_restart =
	    timeout_add_once(delay_msecs, service_restart_timeout, service,
			     &service->to_restart);
}

static void generation_spawn_all(struct master_generation *gen)
{
	for (unsigned int i = 0; i < gen->services.count; i++)
		service_spawn_missing(gen->services.items[i]);
}

static void process_signal(struct master_process *p, int signo)
{
	if (kill(p->pid, signo) < 0 && errno != ESRCH) {
		i_error("service(%s): kill(%ld, %d) failed: %s",
			p->service->name, (long)p->pid, signo, strerror(errno));
	}
	p->quit_sent = true;
}

static void generation_retire(struct master_generation *gen)
{
	gen->retired = true;
	for (unsigned int i = 0; i < gen->services.count; i++) {
		struct master_service *service = gen->services.items[i];

		if (service->to_restart != NULL)
			timeout_remove(&service->to_restart);
	}
	for (struct master_process *p = processes; p != NULL; p = p->next) {
		if (p->service->gen != gen)
			continue;
		/* auth has no clients of its own to finish (the login
		 * processes reconnect to the new one over the same socket)
		 * and stops on SIGTERM; SIGQUIT would make it dump core */
		process_signal(p, strcmp(p->service->name, "auth") == 0
				      ? SIGTERM
				      : SIGQUIT);
	}
	/* Listeners that the new generation did not take over: their fds
	 * were moved (-1) when taken, so only the dropped ones close. */
	for (unsigned int i = 0; i < gen->listeners.count; i++)
		master_listener_close(gen->listeners.items[i], true);

	if (gen->process_count == 0) {
		generation_free(&gen);
		return;
	}
	gen->next = retired_gens;
	retired_gens = gen;
}

static void retired_generation_check(struct master_generation *gen)
{
	struct master_generation **gp;

	if (gen->process_count > 0)
		return;
	for (gp = &retired_gens; *gp != NULL; gp = &(*gp)->next) {
		if (*gp == gen) {
			*gp = gen->next;
			break;
		}
	}
	generation_free(&gen);
}

static bool core_dumps_enabled(void)
{
	struct rlimit rl;

	return getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur != 0;
}

static bool status_is_our_signal(int status)
{
	if (!WIFSIGNALED(status))
		return WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGQUIT ||
	       WTERMSIG(status) == SIGKILL;
}

static void process_exited(struct master_process *p, int status)
{
	struct master_service *service = p->service;
	struct master_generation *gen = service->gen;
	uint64_t run_msecs = time_now_msecs() - p->start_msecs;
	bool failed = master_exit_status_failed(status);
	char buf[128];
	unsigned int delay;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		processes = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	service->process_count--;
	gen->process_count--;

	if (failed && !(p->quit_sent && status_is_our_signal(status))) {
		i_error("service(%s): child %ld %s", service->name,
			(long)p->pid,
			master_exit_status_str(status, core_dumps_enabled(),
					       buf, sizeof(buf)));
	}
	if (gen->retired) {
		i_free(p);
		retired_generation_check(gen);
		return;
	}
	if (!p->quit_sent && !shutting_down && service->to_restart == NULL) {
		/* (with a restart pending, it starts this one too) */
		delay =
		    master_backoff_exit(&service->backoff, run_msecs, failed);
		if (delay == 0) {
			service_spawn_missing(service);
		} else {
			if (run_msecs < MASTER_QUICK_EXIT_MSECS) {
				i_error("service(%s): command startup failed, "
					"throttling for %u secs",
					service->name, delay / 1000);
			} else {
				i_info("service(%s): restarting in %u secs",
				       service->name, delay / 1000);
			}
			service_schedule_restart(service, delay);
		}
	}
	i_free(p);
}

void master_services_reap(void)
{
	struct master_process *p;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (p = processes; p != NULL; p = p->next) {
			if (p->pid == pid)
				break;
		}
		if (p != NULL)
			process_exited(p, status);
	}
}

/* ---- public API ---- */

int master_services_bind(struct loft_settings *set, const char **error_r)
{
	struct master_generation *gen;

	i_assert(current_gen == NULL);
	if (generation_create(set, &gen, error_r) < 0 ||
	    generation_bind(gen, NULL, error_r) < 0) {
		gen->set = NULL; /* the caller keeps set on failure */
		generation_free(&gen);
		return -1;
	}
	array_clear(&gen->takeover);
	current_gen = gen;
	return 0;
}

void master_services_run(void)
{
	i_assert(current_gen != NULL);
	generation_spawn_all(current_gen);
}

int master_services_start(struct loft_settings *set, const char **error_r)
{
	if (master_services_bind(set, error_r) < 0)
		return -1;
	master_services_run();
	return 0;
}

int master_services_reload(struct loft_settings *set, const char **error_r)
{
	struct master_generation *gen, *old = current_gen;

	i_assert(old != NULL);
	if (strcmp(set->base_dir, old->set->base_dir) != 0) {
		*error_r = master_errorf("base_dir can't be changed by a "
					 "reload (%s -> %s): restart instead",
					 old->set->base_dir, set->base_dir);
		return -1;
	}
	if (generation_create(set, &gen, error_r) < 0 ||
	    generation_bind(gen, old, error_r) < 0) {
		gen->set = NULL;
		generation_free(&gen);
		return -1;
	}
	generation_commit_listeners(gen);
	current_gen = gen;
	generation_retire(old);
	generation_spawn_all(gen);
	return 0;
}

const struct loft_settings *master_services_get_settings(void)
{
	return current_gen == NULL ? NULL : current_gen->set;
}

const char *master_services_get_protocols(void)
{
	return current_gen == NULL ? "" : current_gen->protocols;
}

unsigned int master_services_stop(void)
{
	unsigned int count = 0;

	shutting_down = true;
	if (current_gen != NULL) {
		for (unsigned int i = 0; i < current_gen->services.count; i++) {
			struct master_service *service =
			    current_gen->services.items[i];

			if (service->to_restart != NULL)
				timeout_remove(&service->to_restart);
		}
	}
	/* auth last: a login process that sees auth go away then already
	 * has its own SIGTERM, and does not log the stop as an error */
	for (unsigned int auth_pass = 0; auth_pass < 2; auth_pass++) {
		for (struct master_process *p = processes; p != NULL;
		     p = p->next) {
			bool is_auth = strcmp(p->service->name, "auth") == 0;

			if (is_auth != (auth_pass == 1))
				continue;
			process_signal(p, SIGTERM);
			count++;
		}
	}
	return count;
}

void master_services_kill(void)
{
	struct master_process *p;
	int status;

	for (p = processes; p != NULL; p = p->next) {
		i_warning(
		    "service(%s): child %ld did not exit in time, killing it",
		    p->service->name, (long)p->pid);
		process_signal(p, SIGKILL);
	}
	while (processes != NULL) {
		pid_t pid = waitpid(processes->pid, &status, 0);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			status = 0; /* not our child any more */
		process_exited(processes, status);
	}
}

unsigned int master_services_count_processes(void)
{
	unsigned int count = 0;

	for (struct master_process *p = processes; p != NULL; p = p->next)
		count++;
	return count;
}

void master_services_deinit(void)
{
	while (processes != NULL)
		master_services_kill();
	while (retired_gens != NULL) {
		struct master_generation *gen = retired_gens;

		retired_gens = gen->next;
		generation_free(&gen);
	}
	if (current_gen != NULL)
		generation_free(&current_gen);
	master_services_set_child_log_fd(-1);
	master_services_set_next_config(NULL);
	i_free(master_config_path);
	i_free(master_self_dir_path);
}
