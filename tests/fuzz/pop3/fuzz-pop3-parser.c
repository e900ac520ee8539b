/* fuzz-pop3-parser.c - feeds arbitrary bytes to the POP3 command parser,
 * split at a point chosen by the first input byte, with a small line limit
 * so that overlong lines are exercised too; then parses every argument as
 * message numbers. */
#include "lib.h"
#include "pool.h"
#include "pop3-parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_args(const char *args)
{
	const char *rest;
	uint64_t num;

	(void)pop3_parse_number(args, false, UINT32_MAX, &num, &rest);
	if (pop3_parse_number(args, true, UINT32_MAX, &num, &rest) ==
	    POP3_NUMBER_OK)
		(void)pop3_parse_number(rest, false, UINT64_MAX, &num, &rest);
}

static void feed_all(struct pop3_parser *parser, const uint8_t *data,
		     size_t size)
{
	while (size > 0) {
		struct pop3_command cmd;
		const char *error;
		size_t used = 0;
		int ret =
		    pop3_parser_feed(parser, data, size, &used, &cmd, &error);

		if (used == 0 || used > size)
			abort();
		if (ret == 1) {
			if (strlen(cmd.name) > 64 + 1)
				abort();
			check_args(cmd.args);
		}
		data += used;
		size -= used;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pool_t pool;
	struct pop3_parser *parser;
	size_t split;

	if (size == 0)
		return 0;
	split = data[0] % size;
	data++;
	size--;
	if (split > size)
		split = size;
	pool = pool_create("fuzz", 512);
	parser = pop3_parser_create(pool, 64);
	feed_all(parser, data, split);
	feed_all(parser, data + split, size - split);
	pool_unref(&pool);
	return 0;
}
