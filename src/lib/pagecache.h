#ifndef PAGECACHE_H
#define PAGECACHE_H

/* pagecache.h - whether a file's bytes are in the page cache. */
#include <stdint.h>

/* 1 when every page of fd's bytes [offset, offset + len) (within the
 * file) is in the page cache, 0 when one is not, -1 when the kernel
 * cannot tell (cachestat(2) is Linux 6.5 and later). */
int pagecache_range_cached(int fd, uint64_t offset, uint64_t len);

#endif
