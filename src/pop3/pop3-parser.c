/* pop3-parser.c - incremental, bounded POP3 command line parser.
 *
 * Bytes are copied into a buffer of max_line_length + 1 bytes until an LF
 * arrives; one trailing CR is dropped. A line that does not fit is
 * reported once and then skipped to its LF. Nothing here executes
 * commands or knows the session state. */
#include "lib.h"
#include "pool.h"
#include "pop3-parser.h"

struct pop3_parser {
	size_t max_line;
	size_t len;    /* bytes of the current line in buf */
	bool skipping; /* dropping the rest of an overlong line */
	char *buf;     /* grown on demand up to max_line + 2 bytes */
	size_t size;   /* of buf */
	pool_t pool;
};

struct pop3_parser *pop3_parser_create(pool_t pool, size_t max_line_length)
{
	struct pop3_parser *parser = p_new(pool, struct pop3_parser, 1);

	if (max_line_length == 0)
		max_line_length = POP3_PARSER_DEFAULT_MAX_LINE;
	parser->max_line = max_line_length;
	parser->pool = pool;
	/* buf is allocated with the first command: an idle session holds
	   no line buffer */
	return parser;
}

void pop3_parser_reset(struct pop3_parser *parser)
{
	parser->len = 0;
	parser->skipping = false;
}

bool pop3_parser_has_partial(const struct pop3_parser *parser)
{
	return parser->len > 0 || parser->skipping;
}

/* Makes room for one more byte in buf (the line or its NUL). Lines are
 * short, so buf starts small and doubles up to max_line + 2 (a CR that
 * may precede the LF, and the NUL). */
static void parser_grow(struct pop3_parser *parser)
{
	size_t limit = size_add(parser->max_line, 2), new_size;

	if (parser->len < parser->size)
		return;
	i_assert(parser->size < limit);
	new_size = parser->size == 0 ? 64 : size_mul(parser->size, 2);
	new_size = MIN_OF(new_size, limit);
	parser->buf =
	    p_realloc(parser->pool, parser->buf, parser->size, new_size);
	parser->size = new_size;
}

static void parser_split(struct pop3_parser *parser, struct pop3_command *cmd_r)
{
	char *line, *p;

	parser_grow(parser);
	line = parser->buf;

	if (parser->len > 0 && line[parser->len - 1] == '\r')
		parser->len--;
	line[parser->len] = '\0';

	/* the command name ends at the first space */
	for (p = line; *p != '\0' && *p != ' '; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	if (*p == ' ') {
		*p++ = '\0';
		while (*p == ' ')
			p++;
	}
	cmd_r->name = line;
	cmd_r->args = p;
	parser->len = 0;
}

int pop3_parser_feed(struct pop3_parser *parser, const void *data, size_t size,
		     size_t *consumed_r, struct pop3_command *cmd_r,
		     const char **error_r)
{
	const unsigned char *src = data;
	size_t i;

	for (i = 0; i < size; i++) {
		unsigned char c = src[i];

		if (parser->skipping) {
			if (c == '\n')
				parser->skipping = false;
			continue;
		}
		if (c == '\n') {
			*consumed_r = i + 1;
			parser_split(parser, cmd_r);
			return 1;
		}
		/* Room for max_line bytes plus one CR that the LF may
		 * follow; a byte beyond that makes the line too long. */
		if (parser->len == parser->max_line + 1 ||
		    (parser->len == parser->max_line && c != '\r')) {
			parser->len = 0;
			parser->skipping = true;
			*consumed_r = i + 1;
			*error_r = "Input line too long.";
			return -1;
		}
		parser_grow(parser);
		parser->buf[parser->len++] = (char)c;
	}
	*consumed_r = size;
	return 0;
}

enum pop3_number_result pop3_parse_number(const char *args, bool then_space,
					  uint64_t max, uint64_t *num_r,
					  const char **rest_r)
{
	const char *p = args;
	uint64_t num = 0;

	*rest_r = args;
	if (*p < '0' || *p > '9')
		return POP3_NUMBER_INVALID;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int digit = (unsigned int)(*p - '0');

		if (digit > max || num > (max - digit) / 10)
			return POP3_NUMBER_TOO_LARGE;
		num = num * 10 + digit;
	}
	if (*p != (then_space ? ' ' : '\0')) {
		*rest_r = p;
		return POP3_NUMBER_NOISE;
	}
	while (*p == ' ')
		p++;
	*num_r = num;
	*rest_r = p;
	return POP3_NUMBER_OK;
}
