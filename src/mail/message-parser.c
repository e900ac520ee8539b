/* message-parser.c - streaming MIME parser (see the header).
 *
 * The input is cut into lines. Only a bounded prefix of each line is kept:
 * the whole line (up to the field limit) while in a header, enough to
 * recognise a boundary while in a body. Global counters (physical bytes,
 * virtual bytes, LFs) are snapshotted where parts begin and end, so part
 * sizes never depend on how the input was chunked.
 *
 * RFC 2046 section 5.1.1: the line break before a boundary line belongs
 * to the boundary, not to the part before it; text after the boundary on
 * the same line is ignored; the longest matching boundary of any open
 * multipart wins, the innermost on ties.
 *
 * A boundary line owns the rest of its own line, line break included (as
 * Dovecot counts it): after a close delimiter "--inner--" that line break
 * stays in the inner multipart's body, so a boundary line that follows it
 * directly has no line break of its own before it. */
#include "message-parser.h"

#include <strings.h>

#include "array.h"
#include "message-part-data.h"
#include "str.h"

/* bytes of a body line kept: enough for "--" boundary "--" */
#define BODY_LINE_KEEP (MESSAGE_PARSER_MAX_BOUNDARY_LEN + 4)

struct counters {
	uint64_t phys, virt, lines;
};

struct boundary {
	struct message_part *part; /* the multipart */
	const char *str;
	size_t len;
};

/* An open part: the innermost is the last one. */
struct open_part {
	struct message_part *part;
	struct counters start, body_start;
	bool in_body;
};

struct message_parser {
	pool_t pool;
	struct message_parser_settings set;
	message_header_callback_t *callback;
	void *context;

	struct message_part *root;
	ARRAY(struct open_part) stack;
	ARRAY(struct boundary) boundaries;
	unsigned int nesting, parts;

	/* current line: a bounded prefix of it, its full length without the
	 * line break, and whether it ended in CR so far */
	string_t *line;
	uint64_t line_len;
	bool line_cr;
	/* the previous line was a boundary line */
	bool prev_line_boundary;

	/* position at the start of the current line, and the end of the
	 * previous line's content (before its line break) */
	struct counters pos, prev_content_end;

	/* header field being collected */
	string_t *field;
	bool field_open;
};

static struct open_part *top(struct message_parser *parser)
{
	i_assert(parser->stack.count > 0);
	return &parser->stack.items[parser->stack.count - 1];
}

static void counters_diff(struct message_size *size_r,
			  const struct counters *start,
			  const struct counters *end)
{
	size_r->physical_size = end->phys - start->phys;
	size_r->virtual_size = end->virt - start->virt;
	size_r->lines = end->lines - start->lines;
}

/* Opens a new part whose header starts at the current position. */
static void part_begin(struct message_parser *parser,
		       struct message_part *parent)
{
	struct message_part *part = p_new(parser->pool, struct message_part, 1);
	struct open_part *op;

	part->parent = parent;
	part->physical_pos = parser->pos.phys;
	if (parent != NULL) {
		struct message_part **p = &parent->children;

		while (*p != NULL)
			p = &(*p)->next;
		*p = part;
		parent->children_count++;
	} else {
		parser->root = part;
	}
	parser->parts++;
	op = array_append_space(&parser->stack);
	op->part = part;
	op->start = parser->pos;
	parser->field_open = false;
}

static void field_flush(struct message_parser *parser)
{
	struct message_header_line hdr;
	const unsigned char *data = str_data(parser->field);
	size_t len = str_len(parser->field), name_len, i;
	const unsigned char *colon;

	if (!parser->field_open)
		return;
	parser->field_open = false;

	colon = memchr(data, ':', len);
	name_len = colon == NULL ? len : (size_t)(colon - data);
	i = name_len;
	while (i > 0 && (data[i - 1] == ' ' || data[i - 1] == '\t'))
		i--;
	hdr.name = p_strndup(parser->pool, data, i);
	if (colon == NULL) {
		hdr.value = data + len;
		hdr.value_len = 0;
	} else {
		i = name_len + 1;
		while (i < len && (data[i] == ' ' || data[i] == '\t'))
			i++;
		hdr.value = data + i;
		hdr.value_len = len - i;
	}
	message_part_data_parse_header(parser->pool, top(parser)->part, &hdr);
	if (parser->callback != NULL)
		parser->callback(top(parser)->part, &hdr, parser->context);
}

static bool nesting_allowed(struct message_parser *parser)
{
	return parser->nesting < parser->set.max_nesting &&
	       parser->parts < parser->set.max_parts;
}

static void part_data_finish(struct message_parser *parser,
			     struct message_part *part)
{
	if (part->data == NULL)
		part->data = p_new(parser->pool, struct message_part_data, 1);
}

/* The header of the innermost part ended; its body starts at end. */
static void header_end(struct message_parser *parser,
		       const struct counters *end)
{
	struct open_part *op = top(parser);
	struct message_part *part = op->part;
	struct message_part_data *data;
	const char *boundary;
	bool digest_child;

	field_flush(parser);
	part_data_finish(parser, part);
	data = part->data;
	counters_diff(&part->header_size, &op->start, end);
	op->body_start = *end;
	op->in_body = true;

	digest_child =
	    part->parent != NULL &&
	    (part->parent->flags & MESSAGE_PART_FLAG_MULTIPART_DIGEST) != 0;
	if (data->content_type == NULL) {
		/* RFC 2046 section 5.1.5: digest parts default to
		 * message/rfc822 */
		if (!digest_child) {
			part->flags |= MESSAGE_PART_FLAG_TEXT;
			return;
		}
		if (!nesting_allowed(parser))
			return;
	} else if (strcasecmp(data->content_type, "text") == 0) {
		part->flags |= MESSAGE_PART_FLAG_TEXT;
		return;
	} else if (strcasecmp(data->content_type, "multipart") == 0) {
		if (!nesting_allowed(parser))
			return;
		/* without a usable boundary it stays a multipart with no
		 * parts (written as one empty text/plain part) */
		part->flags |= MESSAGE_PART_FLAG_MULTIPART;
		if (strcasecmp(data->content_subtype, "digest") == 0)
			part->flags |= MESSAGE_PART_FLAG_MULTIPART_DIGEST;
		boundary = message_part_data_get_param(data, "boundary");
		if (boundary == NULL || boundary[0] == '\0' ||
		    strlen(boundary) > MESSAGE_PARSER_MAX_BOUNDARY_LEN) {
			parser->nesting++;
			return;
		}
		struct boundary b = {part, boundary, strlen(boundary)};
		array_push(&parser->boundaries, b);
		parser->nesting++;
		return;
	} else if (strcasecmp(data->content_type, "message") != 0 ||
		   strcasecmp(data->content_subtype, "rfc822") != 0 ||
		   !nesting_allowed(parser)) {
		return;
	}
	/* message/rfc822: the body is a message of its own */
	part->flags |= MESSAGE_PART_FLAG_MESSAGE_RFC822;
	parser->nesting++;
	parser->pos = *end;
	part_begin(parser, part);
}

/* Closes the innermost open part, ending at end. */
static void part_close(struct message_parser *parser,
		       const struct counters *end)
{
	struct open_part *op = top(parser);
	struct message_part *part = op->part;

	if (!op->in_body) {
		field_flush(parser);
		part_data_finish(parser, part);
		if (part->data->content_type == NULL)
			part->flags |= MESSAGE_PART_FLAG_TEXT;
		counters_diff(&part->header_size, &op->start, end);
	} else {
		counters_diff(&part->body_size, &op->body_start, end);
	}
	if ((part->flags & (MESSAGE_PART_FLAG_MULTIPART |
			    MESSAGE_PART_FLAG_MESSAGE_RFC822)) != 0 &&
	    parser->nesting > 0)
		parser->nesting--;
	while (parser->boundaries.count > 0 &&
	       parser->boundaries.items[parser->boundaries.count - 1].part ==
		   part)
		parser->boundaries.count--;
	parser->stack.count--;
}

/* Where the innermost part ends when a boundary line starts here: the
 * line break before the boundary belongs to the boundary, unless it ended
 * a boundary line itself (then it was counted with that line). */
static struct counters boundary_part_end(struct message_parser *parser)
{
	struct open_part *op = top(parser);
	const struct counters *from =
	    op->in_body ? &op->body_start : &op->start;

	if (parser->pos.phys <= from->phys)
		return *from;
	return parser->prev_line_boundary ? parser->pos
					  : parser->prev_content_end;
}

static const struct boundary *boundary_find(struct message_parser *parser,
					    const unsigned char *data,
					    size_t len)
{
	const struct boundary *best = NULL;

	if (len < 2 || data[0] != '-' || data[1] != '-')
		return NULL;
	data += 2;
	len -= 2;
	for (unsigned int i = parser->boundaries.count; i > 0; i--) {
		const struct boundary *b = &parser->boundaries.items[i - 1];

		if (b->len <= len && memcmp(b->str, data, b->len) == 0 &&
		    (best == NULL || best->len < b->len)) {
			best = b;
			if (b->len == len)
				break;
		}
	}
	return best;
}

static void boundary_line(struct message_parser *parser,
			  const struct boundary *b, const unsigned char *data,
			  size_t len, const struct counters *next_line)
{
	struct message_part *multipart = b->part;
	struct counters end = boundary_part_end(parser);
	bool closing;

	closing = len >= 2 + b->len + 2 && data[2 + b->len] == '-' &&
		  data[2 + b->len + 1] == '-';
	while (top(parser)->part != multipart)
		part_close(parser, &end);
	if (closing) {
		/* the rest is the epilogue of the multipart */
		while (parser->boundaries.count > 0 &&
		       parser->boundaries.items[parser->boundaries.count - 1]
			       .part == multipart)
			parser->boundaries.count--;
		return;
	}
	parser->pos = *next_line;
	part_begin(parser, multipart);
	if (parser->parts >= parser->set.max_parts)
		parser->boundaries.count = 0;
}

/* A complete line: the kept prefix is in parser->line, line_len is its
 * full length (without the LF, with a CR before the LF counted), has_lf
 * tells whether it ended in LF. */
static void line_done(struct message_parser *parser, bool has_lf)
{
	const unsigned char *data = str_data(parser->line);
	size_t kept = str_len(parser->line);
	uint64_t content_len = parser->line_len;
	struct counters next, content_end;
	const struct boundary *b = NULL;
	struct open_part *op;

	if (has_lf && parser->line_cr) {
		/* "\r\n": the CR belongs to the line break */
		content_len--;
		if (kept > content_len)
			kept = (size_t)content_len;
	}
	content_end = parser->pos;
	content_end.phys += content_len;
	content_end.virt += content_len;
	next = content_end;
	if (has_lf) {
		next.phys += parser->line_cr ? 2 : 1;
		next.virt += 2;
		next.lines++;
	}

	if (parser->boundaries.count > 0)
		b = boundary_find(parser, data, kept);
	if (b != NULL) {
		boundary_line(parser, b, data, kept, &next);
	} else if (!(op = top(parser))->in_body) {
		if (content_len == 0 && has_lf) {
			header_end(parser, &next);
		} else if ((data[0] == ' ' || data[0] == '\t') &&
			   parser->field_open) {
			if (str_len(parser->field) <
			    parser->set.max_header_field_size) {
				str_append_c(parser->field, '\n');
				str_append_n(
				    parser->field, data,
				    MIN_OF(kept,
					   parser->set.max_header_field_size -
					       str_len(parser->field)));
			}
		} else if (content_len > 0) {
			field_flush(parser);
			str_truncate(parser->field, 0);
			str_append_n(parser->field, data, kept);
			parser->field_open = true;
		}
	}
	parser->prev_line_boundary = b != NULL;
	parser->prev_content_end = content_end;
	parser->pos = next;
	str_truncate(parser->line, 0);
	parser->line_len = 0;
	parser->line_cr = false;
}

static size_t line_keep_limit(struct message_parser *parser)
{
	if (parser->stack.count > 0 && !top(parser)->in_body)
		return parser->set.max_header_field_size + 1;
	return BODY_LINE_KEEP;
}

struct message_parser *
message_parser_init(pool_t pool, const struct message_parser_settings *set,
		    message_header_callback_t *callback, void *context)
{
	struct message_parser *parser = p_new(pool, struct message_parser, 1);

	parser->pool = pool;
	if (set != NULL)
		parser->set = *set;
	if (parser->set.max_header_field_size == 0)
		parser->set.max_header_field_size =
		    MESSAGE_PARSER_DEFAULT_MAX_HEADER_FIELD_SIZE;
	if (parser->set.max_nesting == 0)
		parser->set.max_nesting = MESSAGE_PARSER_DEFAULT_MAX_NESTING;
	if (parser->set.max_parts == 0)
		parser->set.max_parts = MESSAGE_PARSER_DEFAULT_MAX_PARTS;
	parser->callback = callback;
	parser->context = context;
	array_init(&parser->stack, NULL, 8);
	array_init(&parser->boundaries, NULL, 4);
	parser->line = str_new(NULL, 256);
	parser->field = str_new(NULL, 256);
	part_begin(parser, NULL);
	return parser;
}

void message_parser_feed(struct message_parser *parser, const void *data,
			 size_t size)
{
	const unsigned char *p = data, *end = p + size;

	while (p < end) {
		const unsigned char *lf = memchr(p, '\n', end - p);
		const unsigned char *stop = lf == NULL ? end : lf;
		size_t n = stop - p, limit = line_keep_limit(parser);

		if (n > 0) {
			size_t kept = str_len(parser->line);

			if (kept < limit)
				str_append_n(parser->line, p,
					     MIN_OF(n, limit - kept));
			if (memchr(p, '\0', n) != NULL)
				top(parser)->part->flags |=
				    MESSAGE_PART_FLAG_HAS_NULS;
			parser->line_len += n;
			parser->line_cr = stop[-1] == '\r';
		}
		if (lf == NULL)
			break;
		line_done(parser, true);
		p = lf + 1;
	}
}

struct message_part *message_parser_finish(struct message_parser **_parser)
{
	struct message_parser *parser = *_parser;
	struct message_part *root;

	*_parser = NULL;
	if (parser->line_len > 0)
		line_done(parser, false);
	while (parser->stack.count > 0)
		part_close(parser, &parser->pos);
	root = parser->root;
	array_free(&parser->stack);
	array_free(&parser->boundaries);
	str_free(&parser->line);
	str_free(&parser->field);
	return root;
}

struct message_part *message_parse(pool_t pool, const void *data, size_t size)
{
	struct message_parser *parser =
	    message_parser_init(pool, NULL, NULL, NULL);

	message_parser_feed(parser, data, size);
	return message_parser_finish(&parser);
}

unsigned int message_part_count(const struct message_part *root)
{
	unsigned int count = 0;

	for (const struct message_part *p = root; p != NULL; p = p->next) {
		count++;
		count += message_part_count(p->children);
	}
	return count;
}
