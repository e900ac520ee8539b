/* fuzz-imap-parser.c - feeds arbitrary bytes to the IMAP command parser
 * with small limits, split at a point chosen by the first input byte, in
 * one of several modes (streamed APPEND literals, LITERAL-, pre-login),
 * and checks that every call makes progress, that the argument trees are
 * well formed and that memory stays within what the limits allow. */
#include "lib.h"
#include "imap-parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const stream_cmds[] = {"APPEND", NULL};

static void check_args(const struct imap_arg *args, unsigned int count,
		       unsigned int depth, unsigned int max_depth)
{
	if (depth > max_depth)
		abort();
	for (unsigned int i = 0; i < count; i++) {
		const struct imap_arg *arg = &args[i];

		switch (arg->type) {
		case IMAP_ARG_EOL:
			abort();
		case IMAP_ARG_NIL:
		case IMAP_ARG_ATOM:
		case IMAP_ARG_STRING:
			if (strlen(arg->str) != arg->len)
				abort();
			break;
		case IMAP_ARG_LITERAL:
			if (!arg->literal_streamed &&
			    (arg->str == NULL || arg->len != arg->literal_size))
				abort();
			break;
		case IMAP_ARG_LIST:
			check_args(arg->list, arg->list_count, depth + 1,
				   max_depth);
			break;
		}
	}
	if (args[count].type != IMAP_ARG_EOL)
		abort();
}

static void feed_all(struct imap_parser *parser,
		     const struct imap_parser_settings *set,
		     const uint8_t *data, size_t size, size_t max_memory)
{
	unsigned int idle = 0;

	for (;;) {
		struct imap_parser_event ev;
		size_t used = 0;
		enum imap_parse_result ret =
		    imap_parser_feed(parser, data, size, &used, &ev);

		if (used > size)
			abort();
		data += used;
		size -= used;
		/* CONTINUE and LITERAL may consume nothing, never twice */
		idle = used == 0 ? idle + 1 : 0;
		if (idle > 3)
			abort();
		if (imap_parser_memory_used(parser) > max_memory)
			abort();
		switch (ret) {
		case IMAP_PARSE_MORE:
			if (size != 0)
				abort();
			return;
		case IMAP_PARSE_COMMAND:
		case IMAP_PARSE_LITERAL:
			if (ev.tag == NULL || ev.name == NULL)
				abort();
			check_args(ev.args, ev.args_count, 0, set->max_depth);
			if (ret == IMAP_PARSE_LITERAL &&
			    (ev.literal_size & 1) != 0)
				imap_parser_literal_buffer(parser);
			break;
		case IMAP_PARSE_ERROR:
			if (ev.error == NULL)
				abort();
			break;
		case IMAP_PARSE_CONTINUE:
			break;
		case IMAP_PARSE_LITERAL_DATA:
			if (ev.size > 0 && ev.data == NULL)
				abort();
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser_settings set = {
	    .max_line_length = 256,
	    .max_literal_size = 1000,
	    .max_args = 32,
	    .max_depth = 8,
	};
	struct imap_parser *parser;
	size_t split, max_memory;

	if (size < 2)
		return 0;
	switch (data[0] % 4) {
	case 0:
		break;
	case 1:
		set.stream_commands = stream_cmds;
		break;
	case 2:
		set.literal_minus = true;
		set.stream_commands = stream_cmds;
		break;
	case 3:
		set = imap_parser_prelogin_settings;
		break;
	}
	split = data[1] % (size - 1);
	data += 2;
	size -= 2;
	if (split > size)
		split = size;
	/* the buffers double, the tree holds two entries per argument */
	max_memory = 4 * (set.max_line_length + set.max_args) +
		     set.max_args * 256 + 4096;
	parser = imap_parser_create(&set);
	feed_all(parser, &set, data, split, max_memory);
	feed_all(parser, &set, data + split, size - split, max_memory);
	imap_parser_destroy(&parser);
	return 0;
}
