#ifndef FILE_MMAP_H
#define FILE_MMAP_H

/* file-mmap.h - read-only mappings of files that another process may
 * shorten.
 *
 * Reading a mapped page that lies past the end of its file raises SIGBUS,
 * which would end the process and every session in it. Loft never
 * shortens the files it maps (they are replaced by a rename, or only
 * appended to), but an administrator or another program may. Inside a
 * mapping made here such a read gets zeros instead: the signal handler
 * maps zero pages over the rest of the mapping and counts the fault, and
 * the reader, which must treat the bytes as untrusted anyway, checks
 * file_mmap_faults() before it believes what it copied out. A SIGBUS
 * anywhere else keeps its default action.
 *
 * Mappings are made, read and released by one thread. */
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>

struct file_mmap {
	const unsigned char *data; /* NULL when not mapped */
	size_t size;
	/* private */
	size_t map_size; /* size rounded up to whole pages */
	volatile sig_atomic_t faults;
	struct file_mmap *prev, *next;
};

/* Maps fd's first size bytes (size > 0) read-only, with MAP_SHARED or
 * MAP_PRIVATE in flags. 0, or -1 with errno set. */
int file_mmap_map(struct file_mmap *fm, int fd, size_t size, int flags);
/* Unmaps it; nothing when it is not mapped. */
void file_mmap_unmap(struct file_mmap *fm);

/* How many reads past the end of the file the mapping has had: bytes read
 * from it since this was last seen the same may be zeros, not the file's. */
static inline unsigned int file_mmap_faults(const struct file_mmap *fm)
{
	return (unsigned int)fm->faults;
}

#endif
