/* master-common.c - rotating error buffers for the master's modules.
 * Not thread-safe: the master is one single-threaded process. */
#include "master-common.h"

#define MASTER_ERROR_SLOTS 4

const char *master_errorf(const char *fmt, ...)
{
	static char bufs[MASTER_ERROR_SLOTS][MASTER_ERROR_MAX];
	static unsigned int next;
	char *buf = bufs[next];
	va_list args;

	next = (next + 1) % MASTER_ERROR_SLOTS;
	va_start(args, fmt);
	vsnprintf(buf, MASTER_ERROR_MAX, fmt, args);
	va_end(args);
	return buf;
}
