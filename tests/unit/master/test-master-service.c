/* test-master-service.c - the master's services end to end, with this test
 * program standing in for the service binaries: start order and the
 * environment each child gets (listeners on fds 3.., LOFT_* variables,
 * stdin, signals), restart with backoff after a failed start, reload
 * (new listeners, SIGQUIT to the old processes) and stop. */
#include "lib.h"
#include "master-listen.h"
#include "master-service.h"
#include "array.h"
#include "ioloop.h"
#include "net.h"
#include "pool.h"
#include "config.h"
#include "settings.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <cmocka.h>

#define ENV_TEST_DIR "TEST_MASTER_DIR"
#define WAIT_MSECS 10000

static char dir[] = "/tmp/test-master-service.XXXXXX";
static struct ioloop *ioloop;

/* ---- the fake service ---- */

static void fake_report(const char *line)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/report", getenv(ENV_TEST_DIR));
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd < 0 || write(fd, line, strlen(line)) < 0)
		_exit(70);
	close(fd);
}

static void fake_sig(int signo)
{
	char line[128];

	snprintf(line, sizeof(line), "%s %s %ld\n",
		 signo == SIGQUIT ? "quit" : "term", getenv("LOFT_SERVICE"),
		 (long)getpid());
	fake_report(line);
	_exit(0);
}

static int fake_service_main(void)
{
	char line[1024], fds[256] = "", path[256];
	struct dirent *d;
	struct sigaction sa;
	sigset_t mask;
	struct stat st0, stnull;
	DIR *fd_dir;
	const char *name = getenv("LOFT_SERVICE");

	/* what the master gave us, before we change anything */
	fd_dir = opendir("/proc/self/fd");
	while (fd_dir != NULL && (d = readdir(fd_dir)) != NULL) {
		int fd = atoi(d->d_name);

		if (d->d_name[0] == '.' || fd <= 2 || fd == dirfd(fd_dir))
			continue;
		snprintf(fds + strlen(fds), sizeof(fds) - strlen(fds), "%s%d",
			 fds[0] == '\0' ? "" : ",", fd);
	}
	if (fd_dir != NULL)
		closedir(fd_dir);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	sigaction(SIGPIPE, NULL, &sa);
	fstat(0, &st0);
	stat("/dev/null", &stnull);
	snprintf(line, sizeof(line),
		 "start %s listeners=[%s] config=%s fds=[%s] stdin_null=%d "
		 "sigmask_empty=%d sigpipe_dfl=%d\n",
		 name, getenv("LOFT_LISTENERS"), getenv("LOFT_CONFIG"), fds,
		 st0.st_rdev == stnull.st_rdev, sigisemptyset(&mask),
		 sa.sa_handler == SIG_DFL);
	fake_report(line);

	snprintf(path, sizeof(path), "%s/crash-%s", getenv(ENV_TEST_DIR), name);
	if (access(path, F_OK) == 0)
		return 89;
	signal(SIGQUIT, fake_sig);
	signal(SIGTERM, fake_sig);
	for (;;)
		pause();
}

/* ---- helpers ---- */

static char *read_report(void)
{
	static char buf[16384];
	char path[256];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/report", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return strcpy(buf, "");
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[len < 0 ? 0 : len] = '\0';
	return buf;
}

static unsigned int count_lines(const char *prefix)
{
	const char *p = read_report();
	unsigned int count = 0;

	for (; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			count++;
		if (strchr(p, '\n') == NULL)
			break;
	}
	return count;
}

static bool has_line(const char *line)
{
	const char *p = strstr(read_report(), line);

	return p != NULL;
}

struct wait_ctx {
	const char *prefix;
	unsigned int count;
	bool no_processes;
};

static void wait_check(void *context)
{
	struct wait_ctx *ctx = context;

	if (ctx->no_processes ? master_services_count_processes() == 0
			      : count_lines(ctx->prefix) >= ctx->count)
		ioloop_stop(ioloop);
}

static void wait_timeout(void *context)
{
	ioloop_stop(ioloop);
}

/* Runs the loop until count report lines start with prefix (or, with
 * prefix NULL, until no child runs). */
static void wait_for(const char *prefix, unsigned int count)
{
	struct wait_ctx ctx = {prefix, count, prefix == NULL};
	struct timeout *to_check, *to_fail;

	to_check = timeout_add(20, wait_check, &ctx);
	to_fail = timeout_add(WAIT_MSECS, wait_timeout, NULL);
	ioloop_run(ioloop);
	timeout_remove(&to_check);
	timeout_remove(&to_fail);
	if (prefix == NULL)
		assert_int_equal(master_services_count_processes(), 0);
	else if (count_lines(prefix) < count)
		fail_msg("waited for %u '%s' lines, report:\n%s", count, prefix,
			 read_report());
}

static void sig_chld(int signo, void *context)
{
	master_services_reap();
}

static unsigned int free_port(void)
{
	struct ip_addr ip;
	unsigned int port = 0;
	int fd;

	assert_int_equal(net_addr2ip("127.0.0.1", &ip), 0);
	fd = net_listen(&ip, &port, 0);
	assert_true(fd >= 0);
	close(fd);
	return port;
}

static bool port_accepts(unsigned int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ret;

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ret = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ret;
}

static struct loft_settings *make_settings(unsigned int port)
{
	pool_t pool = pool_create("test settings", 1024);
	struct loft_settings *set = p_new(pool, struct loft_settings, 1);
	struct service_settings *ss;
	struct inet_listener_settings *il;

	set->pool = pool;
	set->protocols = "pop3 lmtp"; /* lmtp: not implemented, skipped */
	set->listen = "127.0.0.1";
	set->base_dir = p_strconcat(pool, dir, "/run", NULL);
	set->ssl = SSL_MODE_NO;
	array_init(&set->services, pool, 2);

	/* pop3-login as configured; auth and pop3 get the defaults */
	ss = p_new(pool, struct service_settings, 1);
	ss->name = "pop3-login";
	ss->executable = "";
	ss->process_min_avail = 2;
	array_init(&ss->inet_listeners, pool, 2);
	array_init(&ss->unix_listeners, pool, 1);
	il = p_new(pool, struct inet_listener_settings, 1);
	il->name = "pop3";
	il->address = "";
	il->port = port;
	array_push(&ss->inet_listeners, il);
	il = p_new(pool, struct inet_listener_settings, 1);
	il->name = "pop3s"; /* skipped: ssl = no */
	il->port = 995;
	il->ssl = true;
	array_push(&ss->inet_listeners, il);
	array_push(&set->services, ss);
	return set;
}

/* ---- the test ---- */

static void test_life_cycle(void **state)
{
	struct loft_settings *set;
	const char *error;
	char path[256], line[512], config[128];
	unsigned int port1 = free_port(), port2;
	struct stat st;

	snprintf(config, sizeof(config), "%s/loft.conf", dir);
	master_services_init(config, NULL);

	/* start, with a pop3-login that fails at first */
	snprintf(path, sizeof(path), "%s/crash-pop3-login", dir);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	set = make_settings(port1);
	assert_int_equal(master_services_bind(set, &error), 0);
	assert_string_equal(master_services_get_protocols(), "pop3");
	master_services_run();
	wait_for("start ", 4);

	snprintf(
	    line, sizeof(line),
	    "start auth listeners=[auth-client:3 auth-master:4 auth-userdb:5 "
	    "login/login:6] config=%s fds=[3,4,5,6] stdin_null=1 "
	    "sigmask_empty=1 "
	    "sigpipe_dfl=1\n",
	    config);
	assert_true(has_line(line));
	snprintf(line, sizeof(line),
		 "start pop3 listeners=[login/pop3:3] config=%s fds=[3] ",
		 config);
	assert_true(has_line(line));
	snprintf(line, sizeof(line),
		 "start pop3-login listeners=[pop3:3] config=%s fds=[3] ",
		 config);
	assert_true(has_line(line));
	snprintf(path, sizeof(path), "%s/run/auth-master", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/run/login/pop3", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0666);

	/* both failed logins are restarted after the 1 s backoff */
	snprintf(path, sizeof(path), "%s/crash-pop3-login", dir);
	assert_int_equal(unlink(path), 0);
	wait_for("start pop3-login", 4);
	assert_int_equal(master_services_count_processes(), 4);
	assert_true(port_accepts(port1));

	/* reload onto another port: new processes, old ones get SIGQUIT,
	 * the old auth SIGTERM */
	port2 = free_port();
	set = make_settings(port2);
	assert_int_equal(master_services_reload(set, &error), 0);
	wait_for("quit ", 3);
	wait_for("term ", 1);
	wait_for("start ", 10);
	assert_true(has_line("term auth "));
	assert_false(has_line("quit auth "));
	assert_true(has_line("quit pop3 "));
	assert_true(port_accepts(port2));
	assert_false(port_accepts(port1));
	/* the kept UNIX sockets are still there */
	snprintf(path, sizeof(path), "%s/run/auth-client", dir);
	assert_int_equal(stat(path, &st), 0);

	/* a reload that can't bind changes nothing */
	{
		struct ip_addr ip;
		unsigned int busy = free_port();
		int fd;

		assert_int_equal(net_addr2ip("127.0.0.1", &ip), 0);
		fd = net_listen(&ip, &busy, 0);
		assert_true(fd >= 0);
		set = make_settings(busy);
		assert_int_equal(master_services_reload(set, &error), -1);
		assert_non_null(strstr(error, "Address already in use"));
		config_free(&set);
		close(fd);
		assert_true(port_accepts(port2));
		assert_int_equal(master_services_count_processes(), 4);
	}

	/* stop */
	assert_int_equal(master_services_stop(), 4);
	wait_for(NULL, 0);
	assert_int_equal(count_lines("term "), 5); /* and the retired auth */
	master_services_deinit();
	assert_int_equal(stat(path, &st), -1);
	assert_false(port_accepts(port2));
}

static int setup(void **state)
{
	char path[300], self[256];
	static const char *names[] = {"auth", "pop3", "pop3-login"};
	ssize_t len;

	if (mkdtemp(dir) == NULL)
		return -1;
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		return -1;
	self[len] = '\0';
	snprintf(path, sizeof(path), "%s/bin", dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	setenv("LOFT_LIBEXEC_DIR", path, 1);
	setenv(ENV_TEST_DIR, dir, 1);
	for (unsigned int i = 0; i < N_ELEMENTS(names); i++) {
		snprintf(path, sizeof(path), "%s/bin/%s", dir, names[i]);
		if (symlink(self, path) < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/run", dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/run/login", dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	ioloop = ioloop_create();
	signal_add(SIGCHLD, sig_chld, NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	signal_remove(SIGCHLD);
	ioloop_destroy(&ioloop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_life_cycle),
	};

	if (getenv("LOFT_SERVICE") != NULL)
		return fake_service_main();
	return cmocka_run_group_tests(tests, setup, teardown);
}
