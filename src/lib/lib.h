/* lib.h - the base every Loft source file includes first.
 *
 * Common system headers, assertion and allocation helpers that abort on
 * out-of-memory or size overflow (callers never check for NULL), and small
 * utility macros. Nothing here does I/O. */
#ifndef LOFT_LIB_H
#define LOFT_LIB_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define ATTR_FORMAT(fmt, args) __attribute__((format(printf, fmt, args)))
#define ATTR_NORETURN __attribute__((noreturn))
#define ATTR_UNUSED __attribute__((unused))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define MIN_OF(a, b) ((a) < (b) ? (a) : (b))
#define MAX_OF(a, b) ((a) > (b) ? (a) : (b))

/* Assertions stay on in release builds. A failed one logs the expression,
 * file and line and aborts. Never assert on client input. */
#define i_assert(expr)                                                         \
	do {                                                                   \
		if (unlikely(!(expr)))                                         \
			i_panic(                                               \
			    "file %s: line %d (%s): assertion failed: (%s)",   \
			    __FILE__, __LINE__, __func__, #expr);              \
	} while (0)
#define i_unreached() i_panic("file %s: line %d: unreached", __FILE__, __LINE__)

/* Logs "Panic: ..." and aborts. Defined in log.c. */
void i_panic(const char *fmt, ...) ATTR_FORMAT(1, 2) ATTR_NORETURN;

/* Heap allocation for the few long-lived objects that have no pool.
 * Memory is zeroed. Aborts on failure or when count*size overflows. */
void *i_malloc(size_t size);
void *i_calloc(size_t count, size_t size);
void *i_realloc(void *mem, size_t size);
char *i_strdup(const char *s);
char *i_strndup(const char *s, size_t max_len);
char *i_strdup_printf(const char *fmt, ...) ATTR_FORMAT(1, 2);
void i_free_(void *mem);
#define i_free(p)                                                              \
	do {                                                                   \
		i_free_(p);                                                    \
		(p) = NULL;                                                    \
	} while (0)

/* Overflow-checked arithmetic for sizes: aborts on overflow. */
size_t size_add(size_t a, size_t b);
size_t size_mul(size_t a, size_t b);

/* Wipes memory so that the compiler cannot elide it (secrets). */
void safe_memset0(void *mem, size_t size);
/* Constant-time comparison: returns true when equal. Time depends only on
 * size, never on content. */
bool mem_equals_timing_safe(const void *a, const void *b, size_t size);

/* Strict number parsing: the whole string must be a decimal number in
 * range. Return 0 on success, -1 on error. */
int str_to_uint(const char *s, unsigned int *num_r);
int str_to_ulong(const char *s, unsigned long *num_r);
int str_to_uint64(const char *s, uint64_t *num_r);
int str_to_int(const char *s, int *num_r);

/* Monotonic clock in milliseconds and microseconds. */
uint64_t time_now_msecs(void);
uint64_t time_now_usecs(void);

/* Sets O_NONBLOCK / FD_CLOEXEC. Abort on failure (a broken environment). */
void fd_set_nonblock(int fd, bool nonblock);
void fd_close_on_exec(int fd, bool set);
/* write() until all of data is written, retrying on EINTR. Returns 0, or
 * -1 with errno (a partial write may have happened). For blocking fds. */
int write_full(int fd, const void *data, size_t size);
/* close() that preserves errno and sets *fd to -1; no-op when *fd is -1. */
void i_close_fd(int *fd);

#endif
