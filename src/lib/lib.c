/* lib.c - heap allocation that aborts on failure, overflow-checked size
 * arithmetic, secret wiping, constant-time comparison, strict number
 * parsing, clocks and fd flags.
 *
 * Does not do pools (pool.c) or logging (log.c); failures here end in
 * i_panic() or i_fatal(). */
#include "lib.h"
#include "log.h"

#include <fcntl.h>
#include <limits.h>
#include <time.h>

static void *check_alloc(void *mem, size_t size)
{
	if (unlikely(mem == NULL))
		i_fatal_status(83, "Out of memory (allocating %zu bytes)",
			       size);
	return mem;
}

void *i_malloc(size_t size)
{
	return check_alloc(calloc(1, size == 0 ? 1 : size), size);
}

void *i_calloc(size_t count, size_t size)
{
	return i_malloc(size_mul(count, size));
}

void *i_realloc(void *mem, size_t size)
{
	return check_alloc(realloc(mem, size == 0 ? 1 : size), size);
}

char *i_strdup(const char *s)
{
	if (s == NULL)
		return NULL;
	size_t len = strlen(s);
	char *p = i_malloc(size_add(len, 1));
	memcpy(p, s, len);
	return p;
}

char *i_strndup(const char *s, size_t max_len)
{
	if (s == NULL)
		return NULL;
	size_t len = strnlen(s, max_len);
	char *p = i_malloc(size_add(len, 1));
	memcpy(p, s, len);
	return p;
}

char *i_strdup_printf(const char *fmt, ...)
{
	va_list args, args2;
	char tmp[256];
	int len;
	char *p;

	va_start(args, fmt);
	va_copy(args2, args);
	len = vsnprintf(tmp, sizeof(tmp), fmt, args);
	va_end(args);
	if (len < 0)
		i_panic("i_strdup_printf: invalid format '%s'", fmt);
	p = i_malloc((size_t)len + 1);
	if ((size_t)len < sizeof(tmp))
		memcpy(p, tmp, (size_t)len);
	else
		vsnprintf(p, (size_t)len + 1, fmt, args2);
	va_end(args2);
	return p;
}

void i_free_(void *mem)
{
	free(mem);
}

size_t size_add(size_t a, size_t b)
{
	size_t r;

	if (unlikely(__builtin_add_overflow(a, b, &r)))
		i_panic("size_add: overflow (%zu + %zu)", a, b);
	return r;
}

size_t size_mul(size_t a, size_t b)
{
	size_t r;

	if (unlikely(__builtin_mul_overflow(a, b, &r)))
		i_panic("size_mul: overflow (%zu * %zu)", a, b);
	return r;
}

void safe_memset0(void *mem, size_t size)
{
	if (mem != NULL && size > 0)
		explicit_bzero(mem, size);
}

bool mem_equals_timing_safe(const void *a, const void *b, size_t size)
{
	const volatile unsigned char *pa = a, *pb = b;
	unsigned char diff = 0;

	for (size_t i = 0; i < size; i++)
		diff |= pa[i] ^ pb[i];
	return diff == 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *num_r)
{
	uint64_t n = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned int d = (unsigned int)(*s - '0');
		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*num_r = n;
	return 0;
}

int str_to_uint(const char *s, unsigned int *num_r)
{
	uint64_t n;

	if (parse_u64(s, UINT_MAX, &n) < 0)
		return -1;
	*num_r = (unsigned int)n;
	return 0;
}

int str_to_ulong(const char *s, unsigned long *num_r)
{
	uint64_t n;

	if (parse_u64(s, ULONG_MAX, &n) < 0)
		return -1;
	*num_r = (unsigned long)n;
	return 0;
}

int str_to_uint64(const char *s, uint64_t *num_r)
{
	return parse_u64(s, UINT64_MAX, num_r);
}

int str_to_int(const char *s, int *num_r)
{
	uint64_t n;

	if (s == NULL)
		return -1;
	if (*s == '-') {
		if (parse_u64(s + 1, (uint64_t)INT_MAX + 1, &n) < 0)
			return -1;
		*num_r = n == (uint64_t)INT_MAX + 1 ? INT_MIN : -(int)n;
		return 0;
	}
	if (parse_u64(s, INT_MAX, &n) < 0)
		return -1;
	*num_r = (int)n;
	return 0;
}

uint64_t time_now_usecs(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		i_fatal("clock_gettime(CLOCK_MONOTONIC) failed: %m");
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t time_now_msecs(void)
{
	return time_now_usecs() / 1000;
}

void fd_set_nonblock(int fd, bool nonblock)
{
	int flags = fcntl(fd, F_GETFL, 0);

	if (flags < 0)
		i_fatal("fcntl(%d, F_GETFL) failed: %m", fd);
	flags = nonblock ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
	if (fcntl(fd, F_SETFL, flags) < 0)
		i_fatal("fcntl(%d, F_SETFL) failed: %m", fd);
}

void fd_close_on_exec(int fd, bool set)
{
	int flags = fcntl(fd, F_GETFD, 0);

	if (flags < 0)
		i_fatal("fcntl(%d, F_GETFD) failed: %m", fd);
	flags = set ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
	if (fcntl(fd, F_SETFD, flags) < 0)
		i_fatal("fcntl(%d, F_SETFD) failed: %m", fd);
}

void i_close_fd(int *fd)
{
	if (*fd == -1)
		return;
	int saved = errno;
	(void)close(*fd);
	errno = saved;
	*fd = -1;
}

int write_full(int fd, const void *data, size_t size)
{
	const unsigned char *p = data;

	while (size > 0) {
		ssize_t ret = write(fd, p, size);

		if (ret < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += ret;
		size -= (size_t)ret;
	}
	return 0;
}
