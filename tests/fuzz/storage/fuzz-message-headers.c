/* Fuzzes maildir_message_header_fields() (the header scan of a first
 * SEARCH) against the MIME parser it stands in for: the cached header
 * fields must be the same as a whole parse's header callback gives. */
#include "lib.h"
#include "pool.h"
#include "message-parser.h"
#include "message-part-data.h"
#include "maildir-message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ref_context {
	pool_t pool;
	struct maildir_message_fields *fields;
};

static void ref_header_cb(struct message_part *part,
			  const struct message_header_line *hdr, void *context)
{
	struct ref_context *ctx = context;
	int idx;

	if (part->parent != NULL)
		return;
	idx = maildir_message_cached_header_idx(hdr->name);
	if (idx < 0 || ctx->fields->headers[idx] != NULL)
		return;
	const char *raw =
	    message_header_strdup(ctx->pool, hdr->value, hdr->value_len);
	char *value = p_strdup(ctx->pool, raw), *d = value;
	for (const char *s = raw; *s != '\0'; s++) {
		if (*s != '\r' && *s != '\n')
			*d++ = *s;
	}
	*d = '\0';
	ctx->fields->headers[idx] = value;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pool_t pool = pool_create("fuzz", 1024);
	struct maildir_message_fields ref, got;
	struct ref_context ctx = {pool, &ref};
	struct message_parser *parser;

	memset(&ref, 0, sizeof(ref));
	parser = message_parser_init(pool, NULL, ref_header_cb, &ctx);
	message_parser_feed(parser, data, size);
	(void)message_parser_finish(&parser);
	maildir_message_header_fields(pool, data, size, &got);
	for (unsigned int i = 0; i < MAILDIR_MESSAGE_CACHED_HEADERS; i++) {
		if ((ref.headers[i] == NULL) != (got.headers[i] == NULL) ||
		    (ref.headers[i] != NULL &&
		     strcmp(ref.headers[i], got.headers[i]) != 0))
			abort();
	}
	pool_unref(&pool);
	return 0;
}
