/* pop3-login-parser.c - incremental bounded line splitting for pop3-login.
 *
 * Pure byte handling: no I/O, no knowledge of commands beyond the shape of
 * "NAME[ args]". See pop3-login-parser.h for the contract. */
#include "lib.h"
#include "pop3-login-parser.h"

void pop3_login_parser_init(struct pop3_login_parser *parser, pool_t pool,
			    size_t max_line)
{
	memset(parser, 0, sizeof(*parser));
	parser->max_line = max_line == 0 ? POP3_LOGIN_MAX_LINE : max_line;
	parser->buf = p_malloc(pool, size_add(parser->max_line, 2));
}

void pop3_login_parser_reset(struct pop3_login_parser *parser)
{
	parser->len = 0;
	parser->skipping = false;
	parser->nul_seen = false;
}

bool pop3_login_parser_has_partial(const struct pop3_login_parser *parser)
{
	return parser->len > 0 || parser->skipping;
}

int pop3_login_parser_feed(struct pop3_login_parser *parser,
			   const unsigned char *data, size_t size,
			   size_t *consumed_r, const char **line_r,
			   const char **error_r)
{
	size_t i;

	*line_r = NULL;
	*error_r = NULL;
	for (i = 0; i < size; i++) {
		unsigned char c = data[i];

		if (parser->skipping) {
			if (c == '\n')
				pop3_login_parser_reset(parser);
			continue;
		}
		if (c == '\n') {
			bool nul = parser->nul_seen;

			if (parser->len > 0 &&
			    parser->buf[parser->len - 1] == '\r')
				parser->len--;
			parser->buf[parser->len] = '\0';
			*consumed_r = i + 1;
			parser->len = 0;
			parser->nul_seen = false;
			if (nul) {
				*error_r = POP3_LOGIN_ERROR_NUL;
				return -1;
			}
			*line_r = (const char *)parser->buf;
			return 1;
		}
		/* Up to max_line bytes of content, plus one CR that must be
		 * followed by the LF. */
		if (parser->len > parser->max_line ||
		    (parser->len == parser->max_line && c != '\r')) {
			parser->len = 0;
			parser->nul_seen = false;
			parser->skipping = true;
			*consumed_r = i + 1;
			*error_r = POP3_LOGIN_ERROR_TOO_LONG;
			return -1;
		}
		if (c == '\0')
			parser->nul_seen = true;
		parser->buf[parser->len++] = c;
	}
	*consumed_r = size;
	return 0;
}

int pop3_login_command_parse(char *line, struct pop3_login_command *cmd_r)
{
	char *p;
	size_t len;

	p = strchr(line, ' ');
	if (p != NULL) {
		*p = '\0';
		cmd_r->args = p + 1;
	} else {
		cmd_r->args = "";
	}
	len = strlen(line);
	if (len == 0 || len > POP3_LOGIN_MAX_COMMAND_NAME)
		return -1;
	for (p = line; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
		else if (!((*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9')))
			return -1;
	}
	cmd_r->name = line;
	return 0;
}
