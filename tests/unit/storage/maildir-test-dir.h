/* maildir-test-dir.h - a temporary directory with a Maildir location for
 * the storage unit tests: cmocka setup/teardown, paths inside the Maildir
 * and writing and reading a file there. Include after <cmocka.h>; define
 * MAILDIR_TEST_DIR_TEMPLATE ("/tmp/loft-<name>-test.XXXXXX") first. */
#ifndef LOFT_MAILDIR_TEST_DIR_H
#define LOFT_MAILDIR_TEST_DIR_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char test_dir[256];
static char location[300];

static inline int setup(void **state)
{
	snprintf(test_dir, sizeof(test_dir), "%s", MAILDIR_TEST_DIR_TEMPLATE);
	if (mkdtemp(test_dir) == NULL)
		return -1;
	snprintf(location, sizeof(location), "maildir:%s/Maildir", test_dir);
	return 0;
}

static inline int teardown(void **state)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* test_dir/Maildir/rel; the last four results stay valid. */
static inline const char *path_of(const char *rel)
{
	static char buf[4][512];
	static unsigned int idx;
	char *p = buf[idx++ % 4];

	snprintf(p, 512, "%s/Maildir/%s", test_dir, rel);
	return p;
}

static inline void write_file(const char *rel, const char *content)
{
	FILE *f = fopen(path_of(rel), "w");

	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

/* The contents of test_dir/Maildir/rel (up to 64 KB), valid until the
 * next call. */
static inline char *read_file(const char *rel)
{
	static char buf[65536];
	int fd = open(path_of(rel), O_RDONLY);
	ssize_t ret;

	assert_true(fd >= 0);
	ret = read(fd, buf, sizeof(buf) - 1);
	assert_true(ret >= 0);
	buf[ret] = '\0';
	close(fd);
	return buf;
}

#endif
