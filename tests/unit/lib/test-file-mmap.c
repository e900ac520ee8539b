/* Unit tests for file-mmap: a mapped file shortened by someone else reads
 * as zeros past its new end and the fault is counted, while the bytes
 * before the end stay; the mapping goes away with file_mmap_unmap(); a
 * SIGBUS outside any such mapping still ends the process. */
#include "lib.h"
#include "file-mmap.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

/* A temporary file of size bytes of 'x'; its path in path. */
static int make_file(char *path, size_t size)
{
	char buf[4096];
	int fd;

	strcpy(path, "/tmp/loft-file-mmap-test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	for (size_t done = 0; done < size;) {
		size_t n = MIN_OF(sizeof(buf), size - done);

		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		done += n;
	}
	return fd;
}

static void test_shortened(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct file_mmap fm, other;
	char path[64], path2[64];
	int fd = make_file(path, 3 * page + 100);
	int fd2 = make_file(path2, page);

	(void)state;
	assert_int_equal(file_mmap_map(&fm, fd, 3 * page + 100, MAP_SHARED), 0);
	assert_int_equal(file_mmap_map(&other, fd2, page, MAP_PRIVATE), 0);
	assert_int_equal(fm.size, 3 * page + 100);
	assert_int_equal(fm.data[3 * page + 99], 'x');
	assert_int_equal(file_mmap_faults(&fm), 0);

	/* shortened to a page and a half: the first page and a half
	 * stay, the rest is zeros */
	assert_int_equal(ftruncate(fd, (off_t)(page + page / 2)), 0);
	assert_int_equal(fm.data[0], 'x');
	assert_int_equal(fm.data[page + page / 2 - 1], 'x');
	assert_int_equal(file_mmap_faults(&fm), 0);
	assert_int_equal(fm.data[2 * page + 1], 0);
	assert_int_equal(file_mmap_faults(&fm), 1);
	assert_int_equal(fm.data[3 * page + 99], 0);
	assert_int_equal(file_mmap_faults(&fm), 1);
	/* the other mapping is untouched */
	assert_int_equal(other.data[page - 1], 'x');
	assert_int_equal(file_mmap_faults(&other), 0);

	/* a private mapping too */
	assert_int_equal(ftruncate(fd2, 0), 0);
	assert_int_equal(other.data[10], 0);
	assert_int_equal(file_mmap_faults(&other), 1);

	file_mmap_unmap(&fm);
	assert_null(fm.data);
	file_mmap_unmap(&fm); /* nothing */
	file_mmap_unmap(&other);
	close(fd);
	close(fd2);
	unlink(path);
	unlink(path2);
}

/* A file mapped without file-mmap and shortened: reading past its end
 * still ends the process with SIGBUS, with the handler installed. */
static void test_not_ours(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct file_mmap fm;
	char path[64];
	int fd = make_file(path, 2 * page);
	int status;
	pid_t pid;

	(void)state;
	/* installs the handler */
	assert_int_equal(file_mmap_map(&fm, fd, page, MAP_SHARED), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const volatile unsigned char *p =
		    mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 0);

		if (p == MAP_FAILED || ftruncate(fd, 0) < 0)
			_exit(2);
		(void)p[page];
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGBUS);
	file_mmap_unmap(&fm);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shortened),
	    cmocka_unit_test(test_not_ours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
