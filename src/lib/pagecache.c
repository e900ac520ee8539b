/* pagecache.c - whether a file's bytes are in the page cache, with
 * cachestat(2). A read with RWF_NOWAIT also fails with EAGAIN on cached
 * pages (one that would start the next readahead), so it alone does not
 * tell a cold file from a warm one. */
#include "lib.h"
#include "pagecache.h"

#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_cachestat
/* the same number on every architecture (the unified table) */
#define __NR_cachestat 451
#endif

struct pagecache_range {
	uint64_t off;
	uint64_t len;
};

struct pagecache_stat {
	uint64_t nr_cache;
	uint64_t nr_dirty;
	uint64_t nr_writeback;
	uint64_t nr_evicted;
	uint64_t nr_recently_evicted;
};

int pagecache_range_cached(int fd, uint64_t offset, uint64_t len)
{
	static bool unsupported = false;
	struct pagecache_range range = {.off = offset, .len = len};
	struct pagecache_stat st;
	long page_size = sysconf(_SC_PAGESIZE);
	uint64_t pages;

	if (unsupported || len == 0 || page_size <= 0)
		return -1;
	if (syscall(__NR_cachestat, fd, &range, &st, 0) < 0) {
		if (errno == ENOSYS)
			unsupported = true;
		return -1;
	}
	pages = (offset + len + (uint64_t)page_size - 1) / (uint64_t)page_size -
		offset / (uint64_t)page_size;
	/* pages past the end of the file are not counted */
	return st.nr_cache >= pages ? 1 : 0;
}
