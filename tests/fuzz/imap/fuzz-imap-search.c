/* fuzz-imap-search.c - SEARCH arguments and matching: the first line of
 * the input is parsed as the arguments of a SEARCH command (through the
 * command parser), the rest is a message the resulting keys are matched
 * against, as it would be read from a file in small pieces. Checks that
 * parsing and matching terminate with a decided result. */
#include "lib.h"
#include "str.h"
#include "imap-parser.h"
#include "imap-search-args.h"
#include "mail-search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct msg {
	const uint8_t *data;
	size_t size;
};

static ssize_t msg_read(void *context, uint64_t offset, void *buf, size_t size,
			bool *expunged_r, const char **error_r)
{
	struct msg *msg = context;

	if (offset >= msg->size)
		return 0;
	/* small reads, to cut sequences and escapes anywhere */
	size_t n = MIN_OF(MIN_OF(size, msg->size - offset), 7);
	memcpy(buf, msg->data + offset, n);
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t line_len = nl == NULL ? size : (size_t)(nl - data);
	struct msg msg = {nl == NULL ? data + size : nl + 1,
			  nl == NULL ? 0 : size - line_len - 1};
	struct imap_parser_settings set = {.max_line_length = 8192};
	struct imap_parser *parser = imap_parser_create(&set);
	pool_t pool = pool_create("fuzz", 4096);
	string_t *cmd = str_new(pool, line_len + 16);
	struct imap_parser_event ev;
	size_t used;

	str_append(cmd, "a SEARCH ");
	str_append_n(cmd, data, line_len);
	str_append(cmd, "\r\n");
	if (imap_parser_feed(parser, str_data(cmd), str_len(cmd), &used, &ev) ==
	    IMAP_PARSE_COMMAND) {
		struct imap_search_program *prog;
		const char *error;

		if (imap_search_args_parse(pool, ev.args, &prog, &error) ==
		    IMAP_SEARCH_PARSE_OK) {
			struct mail_search_record rec = {
			    .seq = 2,
			    .uid = 5,
			    .flags = MAIL_SEARCH_FLAG_SEEN,
			    .keywords = 1,
			    .size = msg.size,
			    .received_time = 1700000000,
			    .modseq = 3,
			};
			bool expunged;

			mail_search_args_resolve(pool, prog->args, 3, 9);
			int ret = mail_search_match_record(prog->args, &rec);
			if (ret < 0) {
				pool_t mpool = pool_create("msg", 1024);
				ret = mail_search_match_content(
				    prog->args, mpool, msg_read, &msg,
				    &expunged, &error);
				pool_unref(&mpool);
				if (ret < 0)
					abort();
			}
		} else if (error == NULL) {
			abort();
		}
	}
	imap_parser_destroy(&parser);
	pool_unref(&pool);
	return 0;
}
