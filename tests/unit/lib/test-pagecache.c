/* Unit tests for pagecache_range_cached(): pages just written are in the
 * page cache, pages dropped with POSIX_FADV_DONTNEED are not, and a bad
 * descriptor is "cannot tell". */
#include "lib.h"
#include "pagecache.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static void test_cached_and_dropped(void **state)
{
	char path[] = "/tmp/loft-pagecache-test.XXXXXX";
	char buf[8192];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	assert_int_equal(fsync(fd), 0);
	/* the test machines' kernels have cachestat(2) */
	assert_int_equal(pagecache_range_cached(fd, 0, 4096), 1);
	assert_int_equal(pagecache_range_cached(fd, 0, sizeof(buf)), 1);
	/* clean pages: dropped at once */
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	assert_int_equal(pagecache_range_cached(fd, 0, 4096), 0);
	/* the first page read back, the second not */
	assert_int_equal(pread(fd, buf, 4096, 0), 4096);
	assert_int_equal(posix_fadvise(fd, 4096, 4096, POSIX_FADV_DONTNEED), 0);
	assert_int_equal(pagecache_range_cached(fd, 0, 4096), 1);
	assert_int_equal(pagecache_range_cached(fd, 0, sizeof(buf)), 0);
	assert_int_equal(pagecache_range_cached(fd, 0, 0), -1);
	close(fd);
	unlink(path);
	assert_int_equal(pagecache_range_cached(-1, 0, 4096), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cached_and_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
