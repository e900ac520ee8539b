/* libFuzzer harness: the MIME parser fed in input-chosen chunk sizes, then
 * ENVELOPE, BODYSTRUCTURE and BODY written for the tree, and BINARY of
 * every part (mail-decode.h plans and filters). Checks that the part sizes
 * add up, that chunking changes nothing and that the filters stay within
 * their output bound. */
#include "lib.h"

#include "imap-bodystructure.h"
#include "imap-envelope.h"
#include "mail-decode.h"
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

/* BINARY of part, its steps fed `chunk` bytes at a time, into out. */
static void binary(pool_t pool, const struct message_part *part,
		   bool include_hdr, const uint8_t *data, size_t chunk,
		   string_t *out)
{
	struct mail_binary_plan plan;

	if (mail_binary_plan(pool, part, include_hdr, &plan) < 0)
		return;
	for (unsigned int i = 0; i < plan.count; i++) {
		const struct mail_binary_step *step = &plan.steps[i];
		struct mail_binary_filter f;
		size_t n;

		mail_binary_filter_init(&f, step);
		for (uint64_t pos = 0; pos < step->size; pos += chunk) {
			size_t len =
			    (size_t)MIN_OF(step->size - pos, (uint64_t)chunk);
			unsigned char *dest =
			    str_reserve(out, MAIL_BINARY_MAX_OUTPUT(len));

			n = mail_binary_filter_run(
			    &f, data + step->offset + pos, len, dest);
			i_assert(n <= MAIL_BINARY_MAX_OUTPUT(len));
			str_commit(out, n);
		}
		n = mail_binary_filter_finish(
		    &f, str_reserve(out, MAIL_BINARY_MAX_OUTPUT(0)));
		i_assert(n <= MAIL_BINARY_MAX_OUTPUT(0));
		str_commit(out, n);
	}
}

static void binary_all(pool_t pool, const struct message_part *part,
		       const uint8_t *data, size_t chunk, string_t *out)
{
	for (; part != NULL; part = part->next) {
		binary(pool, part, part->parent == NULL, data, chunk, out);
		binary_all(pool, part->children, data, chunk, out);
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
	binary_all(pool, root, data, chunk, out);
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
