/* master.c - the master's life cycle: checks, directories, binding,
 * daemonizing, pid file, signals, reload and shutdown. What runs and how
 * children are started is master-service.c's business. */
#include "master.h"
#include "master-binary.h"
#include "master-common.h"
#include "master-pidfile.h"
#include "master-service.h"
#include "config.h"
#include "ioloop.h"
#include "log.h"
#include "pool.h"
#include "loft-config.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define MASTER_LOGIN_DIR "login"
#define MASTER_EMPTY_DIR "empty"
#define MASTER_CONFIG_SNAPSHOT_PREFIX "config-"

static const char *master_config_path;
static bool master_foreground;
static struct ioloop *master_ioloop;
static struct timeout *to_stop_kill;
static bool master_stopping;
static char *master_pidfile_path;
static pool_t master_pool;
static unsigned int master_config_serial;

static bool protocol_is_implemented(const char *protocol)
{
	return strcmp(protocol, "pop3") == 0 || strcmp(protocol, "imap") == 0;
}

int master_config_load(const char *path, struct loft_settings **set_r,
		       const char **error_r)
{
	struct loft_settings *set, *pset;
	struct config_filter filter = {.protocol = NULL};
	char **names;
	pool_t pool;
	int ret = 0;

	if (config_load(path, &filter, &set, error_r) < 0)
		return -1;
	pool = pool_create("master protocols", 256);
	names = p_strsplit_spaces(
	    pool, set->protocols == NULL ? "" : set->protocols, ", \t");
	for (unsigned int i = 0; names[i] != NULL && ret == 0; i++) {
		if (!protocol_is_implemented(names[i]))
			continue;
		filter.protocol = names[i];
		if (config_load(path, &filter, &pset, error_r) < 0)
			ret = -1;
		else
			config_free(&pset);
	}
	pool_unref(&pool);
	if (ret < 0) {
		config_free(&set);
		return -1;
	}
	*set_r = set;
	return 0;
}

int master_mkdir_parents(const char *path, mode_t mode, const char **error_r)
{
	char buf[4096];
	size_t len = strlen(path);
	struct stat st;

	if (len == 0 || len >= sizeof(buf)) {
		*error_r = master_errorf("Invalid directory path: %s", path);
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST) {
			*error_r = master_errorf("mkdir(%s) failed: %s", buf,
						 strerror(errno));
			return -1;
		}
		if (i < len)
			buf[i] = '/';
	}
	if (stat(path, &st) < 0) {
		*error_r =
		    master_errorf("stat(%s) failed: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		*error_r = master_errorf("%s is not a directory", path);
		return -1;
	}
	return 0;
}

static void master_create_dirs(const struct loft_settings *set)
{
	const char *error, *path;
	struct stat st;

	if (master_mkdir_parents(set->base_dir, 0755, &error) < 0)
		i_fatal_status(1, "base_dir: %s", error);
	path = p_strconcat(master_pool, set->base_dir, "/", MASTER_LOGIN_DIR,
			   NULL);
	if (master_mkdir_parents(path, 0755, &error) < 0)
		i_fatal_status(1, "%s", error);

	/* An empty root-owned directory for services that chroot without
	 * needing anything inside. */
	path = p_strconcat(master_pool, set->base_dir, "/", MASTER_EMPTY_DIR,
			   NULL);
	if (master_mkdir_parents(path, 0755, &error) < 0)
		i_fatal_status(1, "%s", error);
	if (geteuid() == 0) {
		if (stat(path, &st) < 0)
			i_fatal_status(1, "stat(%s) failed: %s", path,
				       strerror(errno));
		if ((st.st_uid != 0 || st.st_gid != 0) && chown(path, 0, 0) < 0)
			i_fatal_status(1, "chown(%s, 0, 0) failed: %s", path,
				       strerror(errno));
		if ((st.st_mode & 07777) != 0755 && chmod(path, 0755) < 0)
			i_fatal_status(1, "chmod(%s) failed: %s", path,
				       strerror(errno));
	}
}

/* Removes the config snapshots a master that was killed left behind. */
/* Raises the soft RLIMIT_NOFILE to the hard limit, so that every service
 * (forked and exec'ed by us) inherits it: a mail process holds two
 * descriptors per IDLE session (its socket and an eventfd) and a login
 * process one or two per client. An unlimited hard limit is capped at the
 * kernel's fs.nr_open, the most a process may have. Failure is not fatal:
 * the services run with the limit they were given. */
static void master_raise_nofile_limit(void)
{
	struct rlimit rl;
	rlim_t target, old;
	FILE *f;
	unsigned long long nr_open;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		i_error("getrlimit(RLIMIT_NOFILE) failed: %s", strerror(errno));
		return;
	}
	target = rl.rlim_max;
	if (target == RLIM_INFINITY) {
		f = fopen("/proc/sys/fs/nr_open", "r");
		if (f == NULL || fscanf(f, "%llu", &nr_open) != 1)
			nr_open = 1024 * 1024;
		if (f != NULL)
			(void)fclose(f);
		target = (rlim_t)nr_open;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= target) {
		i_debug("RLIMIT_NOFILE is %llu (hard limit %llu)",
			(unsigned long long)rl.rlim_cur,
			(unsigned long long)rl.rlim_max);
		return;
	}
	old = rl.rlim_cur;
	rl.rlim_cur = target;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		i_warning("setrlimit(RLIMIT_NOFILE, %llu) failed: %s",
			  (unsigned long long)target, strerror(errno));
		return;
	}
	i_debug("Raised RLIMIT_NOFILE from %llu to %llu",
		(unsigned long long)old, (unsigned long long)target);
}

static void master_config_snapshots_remove(const char *base_dir)
{
	DIR *dir = opendir(base_dir);
	struct dirent *d;
	size_t prefix_len = strlen(MASTER_CONFIG_SNAPSHOT_PREFIX);

	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (strncmp(d->d_name, MASTER_CONFIG_SNAPSHOT_PREFIX,
			    prefix_len) == 0)
			(void)unlinkat(dirfd(dir), d->d_name, 0);
	}
	(void)closedir(dir);
}

static int write_private_file(const char *path, const string_t *text,
			      const char **error_r)
{
	const char *tmp_path = p_strconcat(master_pool, path, ".tmp", NULL);
	int fd;

	fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		*error_r = master_errorf("open(%s) failed: %s", tmp_path,
					 strerror(errno));
		return -1;
	}
	errno = 0;
	if (fchmod(fd, 0600) < 0 ||
	    write(fd, str_data(text), str_len(text)) !=
		(ssize_t)str_len(text) ||
	    close(fd) < 0) {
		*error_r =
		    master_errorf("write(%s) failed: %s", tmp_path,
				  errno == 0 ? "short write" : strerror(errno));
		(void)close(fd);
		(void)unlink(tmp_path);
		return -1;
	}
	if (rename(tmp_path, path) < 0) {
		*error_r = master_errorf("rename(%s) failed: %s", tmp_path,
					 strerror(errno));
		(void)unlink(tmp_path);
		return -1;
	}
	return 0;
}

/* Writes a private snapshot of the configuration (config_dump_snapshot())
 * into base_dir, checks that it loads, and hands it to the next service
 * generation, so that a process started later (a restart, a mail worker)
 * does not read the file edited since. When that fails the processes read
 * the file itself; the failure is logged. */
static void master_config_snapshot(const char *base_dir)
{
	string_t *text = str_new_secure(4096);
	struct loft_settings *set;
	char path[4096];
	const char *error;
	int ret;

	snprintf(path, sizeof(path),
		 "%s/" MASTER_CONFIG_SNAPSHOT_PREFIX "%u.conf", base_dir,
		 ++master_config_serial);
	ret = config_dump_snapshot(master_config_path, text, &error);
	if (ret == 0)
		ret = write_private_file(path, text, &error);
	str_free(&text);
	if (ret == 0 && master_config_load(path, &set, &error) < 0) {
		(void)unlink(path);
		ret = -1;
	} else if (ret == 0) {
		config_free(&set);
	}
	if (ret < 0) {
		i_error("Config snapshot failed, services read %s: %s",
			master_config_path, error);
		return;
	}
	master_services_set_next_config(path);
}

/* The fd children get as stdout/stderr when the master runs as a daemon:
 * the error log file, or /dev/null when logging goes to syslog. */
static int open_child_log_fd(const struct loft_settings *set)
{
	const char *path = set->log_path;
	int fd;

	if (path == NULL || path[0] == '\0' || strcmp(path, "syslog") == 0)
		path = "/dev/null";
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		i_error("open(%s) failed: %s", path, strerror(errno));
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	}
	return fd;
}

static int master_set_log_targets(const struct loft_settings *set,
				  const char **error_r)
{
	if (set->log_timestamp != NULL)
		log_set_timestamp_format(set->log_timestamp);
	return log_set_targets(set->log_path, set->info_log_path,
			       set->debug_log_path, error_r);
}

/* Forks; the parent waits until the child reports that it is running
 * (pid file written) and exits 0, or 1 when the child failed first. */
static int master_daemonize(void)
{
	int fds[2];
	ssize_t ret;
	char c;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		i_fatal_status(1, "pipe() failed: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		i_fatal_status(1, "fork() failed: %s", strerror(errno));
	if (pid > 0) {
		(void)close(fds[1]);
		do {
			ret = read(fds[0], &c, 1);
		} while (ret < 0 && errno == EINTR);
		_exit(ret == 1 ? 0 : 1);
	}
	(void)close(fds[0]);
	if (setsid() < 0)
		i_fatal_status(1, "setsid() failed: %s", strerror(errno));
	return fds[1];
}

static void master_detach_stdio(int log_fd)
{
	int null_fd = open("/dev/null", O_RDWR);

	if (null_fd < 0)
		i_fatal_status(1, "open(/dev/null) failed: %s",
			       strerror(errno));
	(void)dup2(null_fd, STDIN_FILENO);
	(void)dup2(null_fd, STDOUT_FILENO);
	(void)dup2(log_fd != -1 ? log_fd : null_fd, STDERR_FILENO);
	if (null_fd > STDERR_FILENO)
		(void)close(null_fd);
}

static void sig_chld(int signo ATTR_UNUSED, void *context ATTR_UNUSED)
{
	master_services_reap();
	if (master_stopping && master_services_count_processes() == 0)
		ioloop_stop(master_ioloop);
}

static void stop_kill_timeout(void *context ATTR_UNUSED)
{
	master_services_kill();
	ioloop_stop(master_ioloop);
}

static void sig_die(int signo, void *context ATTR_UNUSED)
{
	if (master_stopping) {
		/* a second signal: don't wait any longer */
		stop_kill_timeout(NULL);
		return;
	}
	i_warning("Killed with signal %d", signo);
	master_stopping = true;
	if (master_services_stop() == 0) {
		ioloop_stop(master_ioloop);
		return;
	}
	to_stop_kill = timeout_add_once(MASTER_STOP_TIMEOUT_SECS * 1000,
					stop_kill_timeout, NULL, &to_stop_kill);
}

static void master_reopen_logs(const struct loft_settings *set)
{
	const char *error;

	if (master_set_log_targets(set, &error) < 0)
		i_error("%s", error);
	if (!master_foreground) {
		int fd = open_child_log_fd(set);

		master_services_set_child_log_fd(fd);
		if (fd != -1)
			(void)dup2(fd, STDERR_FILENO);
	}
}

static void sig_hup(int signo ATTR_UNUSED, void *context ATTR_UNUSED)
{
	struct loft_settings *set;
	const char *error;

	if (master_stopping)
		return;
	i_warning("SIGHUP received - reloading configuration");
	if (master_config_load(master_config_path, &set, &error) < 0) {
		i_error(
		    "Config reload failed, keeping the old configuration: %s",
		    error);
		return;
	}
	master_config_snapshot(set->base_dir);
	if (master_services_reload(set, &error) < 0) {
		i_error(
		    "Config reload failed, keeping the old configuration: %s",
		    error);
		config_free(&set);
		master_services_set_next_config(NULL);
		return;
	}
	master_reopen_logs(master_services_get_settings());
}

static void sig_usr1(int signo ATTR_UNUSED, void *context ATTR_UNUSED)
{
	master_reopen_logs(master_services_get_settings());
}

int master_run(const char *config_path, struct loft_settings *set,
	       bool foreground)
{
	const char *error, *protocols;
	pid_t pid;
	int ready_fd = -1, log_fd = -1;

	master_pool = pool_create("master", 1024);
	master_config_path = p_strdup(master_pool, config_path);
	master_foreground = foreground;
	log_set_prefix("master: ");

	master_pidfile_path = p_strconcat(master_pool, set->base_dir, "/",
					  MASTER_PIDFILE_NAME, NULL);
	switch (master_pidfile_check(master_pidfile_path, &pid, &error)) {
	case -1:
		i_fatal_status(1, "%s", error);
	case 1:
		i_fatal_status(
		    1, "Loft is already running with PID %ld (read from %s)",
		    (long)pid, master_pidfile_path);
	default:
		break;
	}
	master_create_dirs(set);
	master_config_snapshots_remove(set->base_dir);

	/* Check that the log targets open while errors still reach the
	 * terminal; they are used from when the master runs. */
	if (master_set_log_targets(set, &error) < 0)
		i_fatal_status(1, "%s", error);
	(void)log_set_targets(NULL, NULL, NULL, &error);
	master_raise_nofile_limit();

	master_services_init(config_path, master_self_dir(master_pool));
	master_config_snapshot(set->base_dir);
	if (master_services_bind(set, &error) < 0)
		i_fatal_status(1, "%s", error);
	set = NULL; /* owned by the services now */

	if (!foreground) {
		ready_fd = master_daemonize();
		log_fd = open_child_log_fd(master_services_get_settings());
		master_services_set_child_log_fd(log_fd);
	}
	if (master_pidfile_write(master_pidfile_path, getpid(), &error) < 0)
		i_fatal_status(1, "%s", error);
	if (master_set_log_targets(master_services_get_settings(), &error) < 0)
		i_fatal_status(1, "%s", error);
	if (!foreground) {
		master_detach_stdio(log_fd);
		if (write(ready_fd, "1", 1) != 1)
			i_fatal_status(1, "write(ready pipe) failed: %s",
				       strerror(errno));
		(void)close(ready_fd);
	}

	master_ioloop = ioloop_create();
	signal_ignore(SIGPIPE);
	signal_add(SIGCHLD, sig_chld, NULL);
	signal_add(SIGHUP, sig_hup, NULL);
	signal_add(SIGTERM, sig_die, NULL);
	signal_add(SIGINT, sig_die, NULL);
	signal_add(SIGUSR1, sig_usr1, NULL);

	protocols = master_services_get_protocols();
	if (protocols[0] == '\0')
		i_info("Loft v%s starting up without any protocols",
		       LOFT_VERSION);
	else
		i_info("Loft v%s starting up for %s", LOFT_VERSION, protocols);
	master_services_run();

	ioloop_run(master_ioloop);

	if (to_stop_kill != NULL)
		timeout_remove(&to_stop_kill);
	master_services_kill();
	master_services_deinit();
	master_pidfile_remove(master_pidfile_path, getpid());
	signal_remove(SIGCHLD);
	signal_remove(SIGHUP);
	signal_remove(SIGTERM);
	signal_remove(SIGINT);
	signal_remove(SIGUSR1);
	ioloop_destroy(&master_ioloop);
	pool_unref(&master_pool);
	return 0;
}

int master_ctl_signal(const char *base_dir, int signo, bool wait_exit,
		      const char **error_r)
{
	char path[4096];
	pid_t pid;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", base_dir, MASTER_PIDFILE_NAME);
	ret = master_pidfile_check(path, &pid, error_r);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		*error_r = master_errorf(
		    "Loft is not running (no running master in %s)", path);
		return -1;
	}
	if (kill(pid, signo) < 0) {
		*error_r = master_errorf("kill(%ld, %d) failed: %s", (long)pid,
					 signo, strerror(errno));
		return -1;
	}
	if (!wait_exit)
		return 0;
	for (unsigned int i = 0; i < MASTER_CTL_STOP_WAIT_SECS * 10; i++) {
		if (!master_pid_is_alive(pid))
			return 0;
		usleep(100 * 1000);
	}
	*error_r = master_errorf("Loft (PID %ld) did not stop in %u seconds",
				 (long)pid, MASTER_CTL_STOP_WAIT_SECS);
	return -1;
}
