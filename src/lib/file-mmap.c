/* file-mmap.c - mappings that survive their file being shortened (see
 * file-mmap.h). */
#include "lib.h"
#include "log.h"
#include "file-mmap.h"

#include <sys/mman.h>
#include <unistd.h>

/* every current mapping; read by the signal handler */
static struct file_mmap *mappings;
static size_t page_size;

/* The rest of fm from the faulting page on becomes zero pages: the file
 * ended before it. */
static void fault_fill(struct file_mmap *fm, uintptr_t addr)
{
	uintptr_t start = (uintptr_t)fm->data;
	uintptr_t page = addr & ~((uintptr_t)page_size - 1);

	(void)mmap((void *)page, start + fm->map_size - page, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	fm->faults++;
}

static void sigbus_handler(int signo, siginfo_t *si, void *context)
{
	uintptr_t addr = (uintptr_t)si->si_addr;

	(void)context;
	for (struct file_mmap *fm = mappings; fm != NULL; fm = fm->next) {
		uintptr_t start = (uintptr_t)fm->data;

		if (addr >= start && addr - start < fm->map_size) {
			/* the read is retried and finds the zero page */
			fault_fill(fm, addr);
			return;
		}
	}
	/* not a mapping of ours: returning retries the access, which now
	 * gets the default action (the process ends, with a core dump) */
	(void)signal(signo, SIG_DFL);
}

/* Installs the handler unless it is the current one (each time: mappings
 * are made seldom, and whatever replaced it since is replaced back). */
static void handler_install(void)
{
	struct sigaction act, old;

	if (sigaction(SIGBUS, NULL, &old) == 0 &&
	    (old.sa_flags & SA_SIGINFO) != 0 &&
	    old.sa_sigaction == sigbus_handler)
		return;
	memset(&act, 0, sizeof(act));
	act.sa_sigaction = sigbus_handler;
	act.sa_flags = SA_SIGINFO;
	sigemptyset(&act.sa_mask);
	if (sigaction(SIGBUS, &act, NULL) < 0)
		i_fatal("sigaction(SIGBUS) failed: %m");
	page_size = (size_t)sysconf(_SC_PAGESIZE);
}

int file_mmap_map(struct file_mmap *fm, int fd, size_t size, int flags)
{
	void *map;

	memset(fm, 0, sizeof(*fm));
	handler_install();
	map = mmap(NULL, size, PROT_READ, flags, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	fm->size = size;
	fm->map_size = (size + page_size - 1) & ~(page_size - 1);
	fm->next = mappings;
	if (mappings != NULL)
		mappings->prev = fm;
	/* complete before the handler can find it */
	__atomic_store_n(&fm->data, (const unsigned char *)map,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&mappings, fm, __ATOMIC_RELEASE);
	return 0;
}

void file_mmap_unmap(struct file_mmap *fm)
{
	if (fm->data == NULL)
		return;
	if (fm->prev != NULL)
		fm->prev->next = fm->next;
	else
		mappings = fm->next;
	if (fm->next != NULL)
		fm->next->prev = fm->prev;
	(void)munmap((void *)fm->data, fm->size);
	fm->data = NULL;
	fm->size = fm->map_size = 0;
	fm->prev = fm->next = NULL;
}
