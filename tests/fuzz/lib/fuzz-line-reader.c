/* fuzz-line-reader.c - libFuzzer harness for the iostream line splitter:
 * the first byte picks the chunk size and the rest is fed through a
 * socketpair into a stream with a small input limit; too-long lines are
 * skipped as protocol code does. Every returned line must be
 * NUL-terminated without CR LF at its end. */
#include "lib.h"
#include "iostream.h"

#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct iostream *s)
{
	ssize_t ret;
	bool too_long;
	char *line;

	do {
		ret = iostream_read(s);
		while ((line = iostream_next_line(s, &too_long)) != NULL) {
			size_t len = strlen(line);

			if (len > 0 && line[len - 1] == '\n')
				abort();
			if (len > 32)
				abort();
		}
		if (too_long)
			iostream_skip_line(s);
	} while (ret > 0 || too_long);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iostream *s;
	size_t chunk, pos = 1;
	int fds[2];

	if (size < 1 || size > 65536)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		return 0;
	fd_set_nonblock(fds[0], true);
	chunk = (size_t)(data[0] % 17) + 1;
	s = iostream_create(fds[0], 32, 64);
	while (pos < size) {
		size_t n = MIN_OF(chunk, size - pos);

		if (write(fds[1], data + pos, n) != (ssize_t)n)
			abort();
		pos += n;
		drain(s);
	}
	close(fds[1]);
	drain(s);
	if (iostream_read(s) != -1)
		abort();
	iostream_destroy(&s);
	return 0;
}
