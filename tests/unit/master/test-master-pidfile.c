/* test-master-pidfile.c - writing, reading and checking master.pid with
 * live, stale, zombie and garbage contents. */
#include "lib.h"
#include "master-pidfile.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

static char dir[] = "/tmp/test-master-pidfile.XXXXXX";
static char path[256];

static int setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, MASTER_PIDFILE_NAME);
	return 0;
}

static int teardown(void **state)
{
	(void)unlink(path);
	return rmdir(dir);
}

static void write_content(const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	close(fd);
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static void test_read_contents(void **state)
{
	static const struct {
		const char *content;
		int ret;
		pid_t pid;
	} tests[] = {
	    {"1234\n", 1, 1234},
	    {"1234", 1, 1234},
	    {"1234\r\n", 1, 1234},
	    {"", 0, 0},
	    {"\n", 0, 0},
	    {"0\n", 0, 0},
	    {"-5\n", 0, 0},
	    {"12ab\n", 0, 0},
	    {"99999999999999999999\n", 0, 0},
	    {"garbage", 0, 0},
	};
	const char *error;
	pid_t pid;

	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		write_content(tests[i].content);
		if (master_pidfile_read(path, &pid, &error) != tests[i].ret ||
		    pid != tests[i].pid)
			fail_msg("'%s': got pid %ld", tests[i].content,
				 (long)pid);
	}
	assert_int_equal(unlink(path), 0);
	assert_int_equal(master_pidfile_read(path, &pid, &error), 0);
}

static void test_write_read(void **state)
{
	const char *error;
	struct stat st;
	pid_t pid;

	assert_int_equal(master_pidfile_write(path, 4321, &error), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(master_pidfile_read(path, &pid, &error), 1);
	assert_int_equal(pid, 4321);
	/* overwriting works and leaves no temporary file behind */
	assert_int_equal(master_pidfile_write(path, 42, &error), 0);
	assert_int_equal(master_pidfile_read(path, &pid, &error), 1);
	assert_int_equal(pid, 42);
	{
		char tmp[300];

		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		assert_int_equal(access(tmp, F_OK), -1);
	}
}

static void test_check_live_and_stale(void **state)
{
	const char *error;
	pid_t child, pid;
	int status;

	/* a live process holds it */
	child = spawn_sleeper();
	assert_int_equal(master_pidfile_write(path, child, &error), 0);
	assert_true(master_pid_is_alive(child));
	assert_int_equal(master_pidfile_check(path, &pid, &error), 1);
	assert_int_equal(pid, child);

	/* a zombie does not */
	assert_int_equal(kill(child, SIGKILL), 0);
	for (int i = 0; i < 200 && master_pid_is_alive(child); i++)
		usleep(10000);
	assert_false(master_pid_is_alive(child));
	assert_int_equal(master_pidfile_check(path, &pid, &error), 0);

	/* nor a reaped one */
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_false(master_pid_is_alive(child));
	assert_int_equal(master_pidfile_check(path, &pid, &error), 0);

	/* our own pid is stale too (pid reuse after a restart) */
	assert_int_equal(master_pidfile_write(path, getpid(), &error), 0);
	assert_int_equal(master_pidfile_check(path, &pid, &error), 0);

	/* garbage and missing files */
	write_content("not a pid\n");
	assert_int_equal(master_pidfile_check(path, &pid, &error), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(master_pidfile_check(path, &pid, &error), 0);

	/* pid 1 always exists (EPERM counts as alive) */
	assert_true(master_pid_is_alive(1));
	assert_false(master_pid_is_alive(0));
	assert_false(master_pid_is_alive(-1));
}

static void test_remove_only_own(void **state)
{
	const char *error;

	assert_int_equal(master_pidfile_write(path, 1111, &error), 0);
	master_pidfile_remove(path, 2222);
	assert_int_equal(access(path, F_OK), 0);
	master_pidfile_remove(path, 1111);
	assert_int_equal(access(path, F_OK), -1);
	/* a missing file is fine */
	master_pidfile_remove(path, 1111);
}

static void test_unreadable(void **state)
{
	char subpath[300];
	const char *error = NULL;
	pid_t pid;

	/* a directory in place of the file cannot be read */
	snprintf(subpath, sizeof(subpath), "%s/dir.pid", dir);
	assert_int_equal(mkdir(subpath, 0755), 0);
	assert_int_equal(master_pidfile_read(subpath, &pid, &error), -1);
	assert_non_null(error);
	assert_int_equal(master_pidfile_write(subpath, 1, &error), -1);
	assert_int_equal(rmdir(subpath), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_contents),
	    cmocka_unit_test(test_write_read),
	    cmocka_unit_test(test_check_live_and_stale),
	    cmocka_unit_test(test_remove_only_own),
	    cmocka_unit_test(test_unreadable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
