/* test-restrict.c - privilege dropping: as a normal user only "become
 * myself" works; as root (checked in a forked child) the process ends up
 * in the chroot with the new ids and cannot regain root. */
#include "lib.h"
#include "restrict.h"

#include <setjmp.h>
#include <cmocka.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void test_unprivileged_paths(void **state)
{
	struct restrict_settings set;
	const char *error;
	char cwd[256];
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0) {
			/* become a normal user first */
			gid_t g = 65534;
			if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 ||
			    setresuid(65534, 65534, 65534) < 0)
				_exit(10);
		}
		memset(&set, 0, sizeof(set));
		set.uid = (uid_t)-1;
		set.gid = (gid_t)-1;
		set.home = "/tmp";
		if (restrict_access(&set, &error) < 0)
			_exit(11);
		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    strcmp(cwd, "/tmp") != 0)
			_exit(12);
		set.uid = geteuid();
		set.gid = getegid();
		set.chroot_dir = "/nonexistent"; /* ignored when not root */
		set.home = NULL;
		if (restrict_access(&set, &error) < 0)
			_exit(13);
		set.uid = geteuid() + 1;
		if (restrict_access(&set, &error) == 0)
			_exit(14);
		if (strstr(error, "Can't change uid") == NULL)
			_exit(15);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_root_drop(void **state)
{
	char dir[] = "/tmp/loft-test-restrict-XXXXXX", marker[128];
	struct restrict_settings set;
	const char *error;
	pid_t pid;
	int status;

	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(marker, sizeof(marker), "%s/marker", dir);
	FILE *f = fopen(marker, "w");
	assert_non_null(f);
	fclose(f);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		memset(&set, 0, sizeof(set));
		set.uid = 65534;
		set.gid = 65534;
		set.chroot_dir = dir;
		set.home = "/";
		if (restrict_access(&set, &error) < 0)
			_exit(20);
		if (getuid() != 65534 || geteuid() != 65534 ||
		    getgid() != 65534 || getegid() != 65534)
			_exit(21);
		if (access("/marker", F_OK) < 0)
			_exit(22);
		if (setuid(0) == 0)
			_exit(23);
		gid_t groups[8];
		int n = getgroups(8, groups);
		if (n != 1 || groups[0] != 65534)
			_exit(24);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	unlink(marker);
	rmdir(dir);
}

static void test_lookup(void **state)
{
	uid_t uid;
	gid_t gid;

	assert_int_equal(user_lookup("root", &uid, &gid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(group_lookup("root", &gid), 0);
	assert_int_equal(gid, 0);
	assert_int_equal(user_lookup("no-such-user-loft", &uid, &gid), -1);
	assert_int_equal(group_lookup("no-such-group-loft", &gid), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unprivileged_paths),
	    cmocka_unit_test(test_root_drop),
	    cmocka_unit_test(test_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
