/* pop3-login-parser.h - bounded, incremental line parser for the commands a
 * POP3 client sends before it has logged in, and the split of a line into
 * command name and arguments.
 *
 * The parser copies bytes into its own buffer of max_line bytes until LF;
 * a line may end in CR LF or a bare LF. A longer line is reported once as
 * an error at the moment it overflows, and the rest of it is then skipped
 * up to its LF, so that the conversation never desynchronizes. A line
 * holding a NUL byte is reported as an error when it ends. Feeding the
 * same bytes all at once or one at a time gives the same results. It does
 * no I/O and knows nothing of the commands' meaning. */
#ifndef LOFT_POP3_LOGIN_PARSER_H
#define LOFT_POP3_LOGIN_PARSER_H

#include "lib.h"
#include "pool.h"

/* Longest line accepted, CR LF excluded: SASL responses may be long. */
#define POP3_LOGIN_MAX_LINE 8192
/* Longest command name ("USER", "CAPA"...): anything longer is invalid. */
#define POP3_LOGIN_MAX_COMMAND_NAME 16

#define POP3_LOGIN_ERROR_TOO_LONG "Input line too long."
#define POP3_LOGIN_ERROR_NUL "Invalid characters in command."

struct pop3_login_parser {
	unsigned char *buf; /* max_line + 2 bytes: room for CR and NUL */
	size_t len, max_line;
	bool skipping; /* rest of an overlong line is being dropped */
	bool nul_seen;
};

/* Allocates the line buffer from pool. max_line 0 = POP3_LOGIN_MAX_LINE. */
void pop3_login_parser_init(struct pop3_login_parser *parser, pool_t pool,
			    size_t max_line);
/* Forgets any partial line (after STLS, when buffered input is dropped). */
void pop3_login_parser_reset(struct pop3_login_parser *parser);
/* Consumes bytes from data until a line event or the end of data;
 * *consumed_r says how many were used (the caller skips them).
 * Returns 1 when a full line is available in *line_r (NUL-terminated,
 * without CR LF, valid until the next call), 0 when all of data was
 * consumed without completing a line, -1 for a bad line with *error_r
 * (POP3_LOGIN_ERROR_TOO_LONG or POP3_LOGIN_ERROR_NUL). */
int pop3_login_parser_feed(struct pop3_login_parser *parser,
			   const unsigned char *data, size_t size,
			   size_t *consumed_r, const char **line_r,
			   const char **error_r);
/* True while a partial line is buffered (or an overlong one skipped). */
bool pop3_login_parser_has_partial(const struct pop3_login_parser *parser);

struct pop3_login_command {
	const char *name; /* upper-cased */
	const char *args; /* everything after the first space, "" if none */
};

/* Splits a line in place: the name ends at the first space and is
 * upper-cased. Returns 0, or -1 when the name is empty, too long or has
 * characters other than ASCII letters and digits. */
int pop3_login_command_parse(char *line, struct pop3_login_command *cmd_r);

#endif
