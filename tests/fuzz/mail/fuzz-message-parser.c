/* libFuzzer harness: the MIME parser fed in input-chosen chunk sizes, then
 * ENVELOPE, BODYSTRUCTURE and BODY written for the tree. Checks that the
 * part sizes add up and that chunking changes nothing. */
#include "lib.h"

#include "imap-bodystructure.h"
#include "imap-envelope.h"
#include "message-parser.h"
#include "message-part-data.h"
#include "pool.h"
#include "str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sizes(const struct message_part *part, uint64_t end)
{
	for (; part != NULL; part = part->next) {
		uint64_t body =
		    part->physical_pos + part->header_size.physical_size;

		i_assert(body + part->body_size.physical_size <= end);
		i_assert(part->data != NULL);
		check_sizes(part->children,
			    body + part->body_size.physical_size);
	}
}

static void dump(pool_t pool, const uint8_t *data, size_t size, size_t chunk,
		 string_t *out)
{
	struct message_parser_settings set = {
	    .max_header_field_size = 1024, .max_nesting = 8, .max_parts = 64};
	struct message_parser *parser =
	    message_parser_init(pool, &set, NULL, NULL);
	struct message_part *root;

	for (size_t i = 0; i < size; i += chunk)
		message_parser_feed(parser, data + i, MIN_OF(chunk, size - i));
	root = message_parser_finish(&parser);
	i_assert(root->physical_pos == 0);
	i_assert(root->header_size.physical_size +
		     root->body_size.physical_size ==
		 size);
	check_sizes(root, size);
	i_assert(message_part_count(root) <= set.max_parts + 1);
	imap_envelope_write(root->data->envelope, out);
	imap_bodystructure_write(root, out, true);
	imap_bodystructure_write(root, out, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pool_t pool = pool_create("fuzz-message-parser", 4096);
	string_t *a = str_new(pool, 256), *b = str_new(pool, 256);
	size_t chunk = size > 0 ? (size_t)data[0] % 17 + 1 : 1;

	dump(pool, data, size, size > 0 ? size : 1, a);
	dump(pool, data, size, chunk, b);
	i_assert(str_len(a) == str_len(b) &&
		 memcmp(str_data(a), str_data(b), str_len(a)) == 0);
	pool_unref(&pool);
	return 0;
}
