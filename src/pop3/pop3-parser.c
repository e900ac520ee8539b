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
	char *buf;     /* max_line + 1 (NUL) bytes */
};

struct pop3_parser *pop3_parser_create(pool_t pool, size_t max_line_length)
{
	struct pop3_parser *parser = p_new(pool, struct pop3_parser, 1);

	if (max_line_length == 0)
		max_line_length = POP3_PARSER_DEFAULT_MAX_LINE;
	parser->max_line = max_line_length;
	/* +1 for a CR that may precede the LF, +1 for the NUL */
	parser->buf = p_malloc(pool, size_add(max_line_length, 2));
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

static void parser_split(struct pop3_parser *parser, struct pop3_command *cmd_r)
{
	char *line = parser->buf, *p;

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
