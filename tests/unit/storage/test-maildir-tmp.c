/* Unit tests for maildir-tmp: a message file written before it has its
 * name. An unnamed file (where the kernel and file system allow one)
 * leaves no name in tmp/ while written, after an abort, or after it is
 * published; a named one is tmp/<base> until renamed or discarded; tmp/
 * is made again when missing; a link never replaces an existing file. */
#include "lib.h"
#include "pool.h"
#include "maildir-tmp.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define MAILDIR_TEST_DIR_TEMPLATE "/tmp/loft-tmp-test.XXXXXX"
#include "maildir-test-dir.h"

static unsigned int count_entries(const char *rel)
{
	DIR *dir = opendir(path_of(rel));
	struct dirent *d;
	unsigned int n = 0;

	assert_non_null(dir);
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
	}
	closedir(dir);
	return n;
}

static void make_maildir(void)
{
	assert_int_equal(mkdir(path_of(""), 0700), 0);
	assert_int_equal(mkdir(path_of("tmp"), 0700), 0);
	assert_int_equal(mkdir(path_of("cur"), 0700), 0);
}

static void read_back(const char *rel, const char *expected)
{
	assert_string_equal(read_file(rel), expected);
}

/* Writes "hello" into a new file, publishes it as cur/<name>. */
static void create_write(pool_t pool, struct maildir_tmp *tmp,
			 const char **base_r)
{
	const char *error = NULL;
	char maildir[300];

	snprintf(maildir, sizeof(maildir), "%s/Maildir", test_dir);
	assert_int_equal(maildir_tmp_create(pool, maildir, tmp, base_r, &error),
			 0);
	assert_true(tmp->fd >= 0);
	assert_non_null(tmp->desc);
	assert_non_null(*base_r);
	assert_int_equal(write(tmp->fd, "hello", 5), 5);
	assert_int_equal(fsync(tmp->fd), 0);
}

static void test_unnamed(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct maildir_tmp tmp;
	const char *base, *call;

	(void)state;
	make_maildir();
	maildir_tmp_set_unnamed(true);
	create_write(pool, &tmp, &base);
	/* the kernel of the test machines has O_TMPFILE and linkat() for it
	 * on ext4 and tmpfs: a named file here means it was not used */
	assert_null(tmp.path);
	assert_non_null(strstr(tmp.desc, "(unnamed)"));
	assert_int_equal(count_entries("tmp"), 0);
	assert_int_equal(maildir_tmp_publish(&tmp, path_of("cur/a"), &call), 0);
	assert_string_equal(call, "link");
	maildir_tmp_discard(&tmp, true);
	assert_int_equal(tmp.fd, -1);
	read_back("cur/a", "hello");
	assert_int_equal(count_entries("tmp"), 0);

	/* an abort leaves nothing anywhere */
	create_write(pool, &tmp, &base);
	maildir_tmp_discard(&tmp, false);
	assert_int_equal(count_entries("tmp"), 0);
	assert_int_equal(count_entries("cur"), 1);

	/* a link does not replace a file of that name */
	create_write(pool, &tmp, &base);
	assert_int_equal(maildir_tmp_publish(&tmp, path_of("cur/a"), &call),
			 -1);
	assert_int_equal(errno, EEXIST);
	maildir_tmp_discard(&tmp, false);
	read_back("cur/a", "hello");
	pool_unref(&pool);
}

static void test_named(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct maildir_tmp tmp;
	const char *base, *call;
	char rel[128];

	(void)state;
	make_maildir();
	maildir_tmp_set_unnamed(false);
	create_write(pool, &tmp, &base);
	assert_non_null(tmp.path);
	assert_string_equal(tmp.desc, tmp.path);
	assert_true(strlen(base) < 100);
	snprintf(rel, sizeof(rel), "tmp/%s", base);
	assert_string_equal(tmp.path, path_of(rel));
	read_back(rel, "hello");
	assert_int_equal(maildir_tmp_publish(&tmp, path_of("cur/b"), &call), 0);
	assert_string_equal(call, "rename");
	maildir_tmp_discard(&tmp, true);
	read_back("cur/b", "hello");
	assert_int_equal(count_entries("tmp"), 0);

	/* an abort removes it */
	create_write(pool, &tmp, &base);
	assert_int_equal(count_entries("tmp"), 1);
	maildir_tmp_discard(&tmp, false);
	assert_int_equal(count_entries("tmp"), 0);
	maildir_tmp_set_unnamed(true);
	pool_unref(&pool);
}

static void test_tmp_dir_missing(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct maildir_tmp tmp;
	const char *base, *call, *error = NULL;

	(void)state;
	make_maildir();
	for (unsigned int named = 0; named < 2; named++) {
		maildir_tmp_set_unnamed(named == 0);
		assert_int_equal(rmdir(path_of("tmp")), 0);
		create_write(pool, &tmp, &base);
		assert_int_equal(named == 0, tmp.path == NULL);
		assert_int_equal(
		    maildir_tmp_publish(
			&tmp, path_of(named == 0 ? "cur/c" : "cur/d"), &call),
		    0);
		maildir_tmp_discard(&tmp, true);
	}
	read_back("cur/c", "hello");
	read_back("cur/d", "hello");

	/* no maildir at all: an error naming the directory */
	maildir_tmp_set_unnamed(true);
	assert_int_equal(
	    maildir_tmp_create(pool, "/proc/loft-none", &tmp, &base, &error),
	    -1);
	assert_non_null(strstr(error, "/proc/loft-none/tmp"));
	assert_int_equal(tmp.fd, -1);
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_unnamed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tmp_dir_missing, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
