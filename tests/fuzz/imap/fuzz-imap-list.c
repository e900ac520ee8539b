/* fuzz-imap-list.c - feeds arbitrary bytes to the command parser as a LIST
 * command and parses its arguments as LIST-EXTENDED; every pattern of an
 * accepted request is then matched against names taken from the input.
 * A pattern must match itself when it has no wildcard, and "*" must match
 * every name. */
#include "lib.h"
#include "pool.h"
#include "imap-parser.h"
#include "imap-list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"INBOX", "a",	 "a/b",
					    "a/b/c", "Foo&AOQ-", ""};
	struct imap_parser_settings set = {0};
	struct imap_match *star;
	struct imap_parser *parser = imap_parser_create(&set);
	struct imap_parser_event ev;
	struct imap_list_request req;
	const char *error;
	size_t consumed;
	pool_t pool = pool_create("fuzz", 1024);

	star = imap_match_init(pool, "*", '/');
	(void)imap_parser_feed(parser, "t LIST ", 7, &consumed, &ev);
	while (size > 0) {
		enum imap_parse_result ret =
		    imap_parser_feed(parser, data, size, &consumed, &ev);

		data += consumed;
		size -= consumed;
		if (ret == IMAP_PARSE_COMMAND &&
		    imap_list_parse_args(pool, ev.args, false, &req, &error) ==
			0) {
			for (unsigned int i = 0; i < req.pattern_count; i++) {
				const char *pat = imap_list_join_ref(
				    pool, req.ref, req.patterns[i], '/');
				struct imap_match *m =
				    imap_match_init(pool, pat, '/');

				for (unsigned int j = 0; j < N_ELEMENTS(names);
				     j++)
					(void)imap_match(m, names[j]);
				if (!imap_match(star, req.patterns[i]) &&
				    strlen(req.patterns[i]) <= 255)
					abort();
				if (strpbrk(pat, "*%") == NULL &&
				    strlen(pat) <= 255 && !imap_match(m, pat))
					abort();
			}
		}
		if (ret == IMAP_PARSE_MORE && consumed == 0)
			break;
	}
	imap_parser_destroy(&parser);
	pool_unref(&pool);
	return 0;
}
