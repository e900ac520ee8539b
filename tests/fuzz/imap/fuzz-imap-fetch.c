/* fuzz-imap-fetch.c - FETCH item parsing: the input is fed to the command
 * parser as "a FETCH 1 " + input; every complete command's arguments are
 * parsed as FETCH items. An accepted request must be well formed: items
 * in range, names set for sections, partials only where allowed. The
 * MIME side (sections, decoding) is covered by mail's fuzzers and the
 * decoder run below on the raw input. */
#include "lib.h"
#include "pool.h"
#include "imap-parser.h"
#include "imap-fetch.h"
#include "mail-decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const struct imap_fetch_request *req)
{
	for (unsigned int i = 0; i < req->count; i++) {
		const struct imap_fetch_item *item = &req->items[i];

		if (item->type > IMAP_FETCH_ITEM_BINARY_SIZE)
			abort();
		if (item->type == IMAP_FETCH_ITEM_SECTION &&
		    (item->name == NULL || item->section == NULL))
			abort();
		if (item->type == IMAP_FETCH_ITEM_BINARY_SIZE && item->partial)
			abort();
	}
	if (req->vanished && !req->changedsince_set)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "a FETCH 1 ";
	struct imap_parser_settings set;
	struct imap_parser *parser;
	struct imap_parser_event ev;
	unsigned char out[MAIL_DECODE_MAX_OUTPUT(4096) + 16];
	struct mail_decoder dec;
	size_t consumed, pos = 0;
	pool_t pool;

	memset(&set, 0, sizeof(set));
	set.max_line_length = 8192;
	parser = imap_parser_create(&set);
	pool = pool_create("fuzz", 1024);
	(void)imap_parser_feed(parser, prefix, sizeof(prefix) - 1, &consumed,
			       &ev);
	while (pos < size) {
		enum imap_parse_result ret = imap_parser_feed(
		    parser, data + pos, size - pos, &consumed, &ev);

		pos += consumed;
		if (ret == IMAP_PARSE_COMMAND && ev.args_count > 0) {
			struct imap_fetch_request req;
			const char *error;

			for (int uid = 0; uid < 2; uid++) {
				if (imap_fetch_parse(pool, ev.args + 1,
						     uid != 0, &req,
						     &error) == 0)
					check_request(&req);
			}
			pool_clear(pool);
		}
		if (consumed == 0 && ret == IMAP_PARSE_MORE)
			break;
	}
	/* the decoders on the raw bytes, both encodings */
	for (int cte = MAIL_CTE_BASE64; cte <= MAIL_CTE_QP; cte++) {
		size_t n = MIN_OF(size, (size_t)4096);

		mail_decoder_init(&dec, (enum mail_cte)cte);
		(void)mail_decoder_run(&dec, data, n, out);
		(void)mail_decoder_finish(&dec, out);
	}
	pool_unref(&pool);
	imap_parser_destroy(&parser);
	return 0;
}
