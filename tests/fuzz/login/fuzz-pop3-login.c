/* fuzz-pop3-login.c - the pop3-login line parser and command split. The
 * first input byte chooses the chunk size the rest is fed in, so that
 * partial lines and split CR LF are exercised; every complete line is
 * split into a command. Invariants: consumed never exceeds the chunk, a
 * line never exceeds the limit nor holds CR LF at its end. */
#include "lib.h"
#include "pool.h"
#include "pop3-login-parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3_login_parser parser;
	size_t chunk, max_line;
	pool_t pool;

	if (size < 2)
		return 0;
	chunk = (data[0] & 0x1f) + 1;
	max_line = (data[1] & 0x80) != 0 ? (size_t)(data[1] & 0x7f) + 1 : 0;
	data += 2;
	size -= 2;

	pool = pool_create("fuzz", 1024);
	pop3_login_parser_init(&parser, pool, max_line);
	while (size > 0) {
		size_t n = MIN_OF(chunk, size);

		while (n > 0) {
			const char *line, *error;
			size_t consumed = 0;
			int ret = pop3_login_parser_feed(
			    &parser, data, n, &consumed, &line, &error);

			i_assert(consumed <= n);
			if (ret > 0) {
				struct pop3_login_command cmd;
				size_t len = strlen(line);
				char *copy;

				i_assert(len <= parser.max_line + 1);
				copy = p_strndup(pool, line, len);
				if (pop3_login_command_parse(copy, &cmd) == 0)
					i_assert(strlen(cmd.name) <=
						 POP3_LOGIN_MAX_COMMAND_NAME);
			} else if (ret < 0) {
				i_assert(error != NULL);
			} else {
				i_assert(consumed == n);
			}
			data += consumed;
			size -= consumed;
			n -= consumed;
		}
	}
	pool_unref(&pool);
	return 0;
}
