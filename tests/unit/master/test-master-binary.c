/* test-master-binary.c - where the master finds the service programs. */
#include "lib.h"
#include "master-binary.h"
#include "pool.h"
#include "loft-config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <cmocka.h>

static pool_t pool;
static char dir[] = "/tmp/test-master-binary.XXXXXX";
static char self_dir[256], env_dir[256];

static void make_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	char path[512];

	pool = pool_create("test", 1024);
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(self_dir, sizeof(self_dir), "%s/build", dir);
	snprintf(env_dir, sizeof(env_dir), "%s/env", dir);
	if (mkdir(self_dir, 0755) < 0 || mkdir(env_dir, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/pop3", self_dir);
	make_file(path, 0755);
	snprintf(path, sizeof(path), "%s/auth", self_dir);
	make_file(path, 0644); /* not executable */
	snprintf(path, sizeof(path), "%s/pop3-login", self_dir);
	if (mkdir(path, 0755) < 0) /* a directory, not a program */
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return -1;
	pool_unref(&pool);
	return 0;
}

static void test_find_table(void **state)
{
	const struct {
		const char *name;
		const char *env_dir;
		const char *self_dir;
		const char *expect_dir; /* NULL = the name as is */
	} tests[] = {
	    /* the build tree holds it */
	    {"pop3", NULL, self_dir, self_dir},
	    {"pop3", "", self_dir, self_dir},
	    /* the environment wins, even when it lacks the program */
	    {"pop3", env_dir, self_dir, env_dir},
	    {"imap", env_dir, NULL, env_dir},
	    /* missing, not executable, or not a file: the install dir */
	    {"imap", NULL, self_dir, "/usr/libexec/loft"},
	    {"auth", NULL, self_dir, "/usr/libexec/loft"},
	    {"pop3-login", NULL, self_dir, "/usr/libexec/loft"},
	    {"pop3", NULL, NULL, "/usr/libexec/loft"},
	    {"pop3", NULL, "", "/usr/libexec/loft"},
	    /* absolute names are used as they are */
	    {"/opt/bin/pop3", env_dir, self_dir, NULL},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		const char *path, *expect;

		path =
		    master_binary_find(pool, tests[i].name, tests[i].env_dir,
				       tests[i].self_dir, "/usr/libexec/loft");
		expect = tests[i].expect_dir == NULL
			     ? tests[i].name
			     : p_strconcat(pool, tests[i].expect_dir, "/",
					   tests[i].name, NULL);
		if (strcmp(path, expect) != 0)
			fail_msg("test %u: got %s, expected %s", i, path,
				 expect);
	}
}

static void test_self_dir(void **state)
{
	const char *self = master_self_dir(pool);
	const char *me;

	assert_non_null(self);
	assert_true(self[0] == '/');
	me = p_strconcat(pool, self, "/test-master-binary", NULL);
	assert_int_equal(access(me, X_OK), 0);
}

static void test_binary_path_env(void **state)
{
	const char *path;

	assert_int_equal(setenv(MASTER_ENV_LIBEXEC_DIR, env_dir, 1), 0);
	path = master_binary_path(pool, "pop3", self_dir);
	assert_string_equal(path, p_strconcat(pool, env_dir, "/pop3", NULL));

	assert_int_equal(unsetenv(MASTER_ENV_LIBEXEC_DIR), 0);
	path = master_binary_path(pool, "pop3", self_dir);
	assert_string_equal(path, p_strconcat(pool, self_dir, "/pop3", NULL));
	path = master_binary_path(pool, "imap", self_dir);
	assert_string_equal(path,
			    p_strconcat(pool, LOFT_LIBEXECDIR, "/imap", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find_table),
	    cmocka_unit_test(test_self_dir),
	    cmocka_unit_test(test_binary_path_env),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
