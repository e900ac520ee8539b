/* test-log.c - log line shape, control character escaping, targets and
 * debug filtering, written to temporary files. */
#include "lib.h"
#include "log.h"

#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>

static char dir[] = "/tmp/loft-test-log-XXXXXX";

static char *read_file(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_lines(void **state)
{
	char err_path[128], info_path[128];
	const char *error;
	char *data;

	assert_non_null(mkdtemp(dir));
	snprintf(err_path, sizeof(err_path), "%s/errors.log", dir);
	snprintf(info_path, sizeof(info_path), "%s/info.log", dir);
	assert_int_equal(log_set_targets(err_path, info_path, NULL, &error), 0);
	log_set_prefix("pop3-login: ");
	log_set_timestamp_format("TS ");
	i_info("Login: user=<%s>, method=PLAIN", "joe");
	i_error("bad\r\nFake: Info: line\x7f");
	i_warning("careful");
	i_debug("hidden");
	log_set_debug(true);
	assert_true(log_debug_enabled());
	i_debug("shown %d", 1);
	errno = ENOENT;
	i_error("open(x) failed: %m");
	assert_string_equal(log_get_prefix(), "pop3-login: ");

	data = read_file(info_path);
	assert_non_null(data);
	assert_string_equal(
	    data, "TS pop3-login: Info: Login: user=<joe>, method=PLAIN\n"
		  "TS pop3-login: Debug: shown 1\n");
	data = read_file(err_path);
	assert_string_equal(data,
			    "TS pop3-login: Error: bad??Fake: Info: line?\n"
			    "TS pop3-login: Warning: careful\n"
			    "TS pop3-login: Error: open(x) failed: No such "
			    "file or directory\n");

	/* long lines are not truncated */
	char big[6000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	i_warning("%s", big);
	data = read_file(err_path);
	assert_non_null(strstr(data, big));

	assert_int_equal(
	    log_set_targets("/nonexistent/dir/x.log", NULL, NULL, &error), -1);
	assert_non_null(strstr(error, "/nonexistent/dir/x.log"));
	assert_int_equal(log_set_targets(NULL, NULL, NULL, &error), 0);
	log_set_debug(false);
	unlink(err_path);
	unlink(info_path);
	rmdir(dir);
}

static void test_fatal_exit(void **state)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		const char *error;
		(void)log_set_targets("/dev/null", NULL, NULL, &error);
		i_fatal("going away");
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 89);

	pid = fork();
	if (pid == 0) {
		const char *error;
		(void)log_set_targets("/dev/null", NULL, NULL, &error);
		i_assert(1 == 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),
	    cmocka_unit_test(test_fatal_exit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
