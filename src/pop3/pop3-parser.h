/* pop3-parser.h - the POP3 command line parser (RFC 1939, RFC 2449).
 *
 * Splits untrusted client bytes into command lines, incrementally and
 * bounded: bytes are fed as they arrive (one at a time or in any chunks)
 * and a complete line yields the command name (upper-cased) and its
 * arguments. A line longer than the limit is reported once and skipped up
 * to its LF, so the parser stays in sync with the client. The parser keeps
 * at most max_line_length bytes; it never allocates after creation.
 *
 * It also parses the numeric arguments of the commands (message numbers
 * and TOP's line count) with Dovecot's error cases. It does not know which
 * commands exist or what state the session is in. */
#ifndef LOFT_POP3_PARSER_H
#define LOFT_POP3_PARSER_H

#include "lib.h"
#include "pool.h"

/* Default limit of one command line, without its CR LF. */
#define POP3_PARSER_DEFAULT_MAX_LINE 4096

struct pop3_parser;

struct pop3_command {
	/* Upper-cased command name: the bytes before the first space (may
	 * be empty). */
	const char *name;
	/* Everything after the spaces that follow the name; "" when none.
	 * The line ends at its first NUL byte, as a C string does. */
	const char *args;
};

/* Creates a parser whose buffer lives in pool. max_line_length 0 means
 * POP3_PARSER_DEFAULT_MAX_LINE. */
struct pop3_parser *pop3_parser_create(pool_t pool, size_t max_line_length);
/* Forgets any partial line (and a pending skip of an overlong one). */
void pop3_parser_reset(struct pop3_parser *parser);

/* Feeds bytes. Consumes data up to and including the LF ending a line and
 * sets *consumed_r to the number of bytes used.
 * Returns 1 when a command line is complete (*cmd_r is filled; its strings
 * stay valid until the next call), 0 when all of data was consumed without
 * completing a line, -1 when the current line went over the limit: then
 * *error_r is "Input line too long." and the rest of that line, up to its
 * LF, is dropped silently by later calls. */
int pop3_parser_feed(struct pop3_parser *parser, const void *data, size_t size,
		     size_t *consumed_r, struct pop3_command *cmd_r,
		     const char **error_r);

/* True while the parser holds part of a line (or skips an overlong one). */
bool pop3_parser_has_partial(const struct pop3_parser *parser);

enum pop3_number_result {
	POP3_NUMBER_OK = 0,
	POP3_NUMBER_INVALID,   /* does not start with a digit */
	POP3_NUMBER_TOO_LARGE, /* over max */
	POP3_NUMBER_NOISE,     /* something else than the expected end */
};

/* Parses a decimal number at the start of args, at most max.
 * then_space: the number must be followed by a space (more arguments
 * follow), else by the end of the string.
 * On POP3_NUMBER_OK, *num_r is the number and *rest_r points past the
 * spaces after it. On an error, *rest_r points where the error was found:
 * args itself for INVALID and TOO_LARGE, the unexpected text for NOISE
 * (these are what Dovecot echoes in its -ERR lines). */
enum pop3_number_result pop3_parse_number(const char *args, bool then_space,
					  uint64_t max, uint64_t *num_r,
					  const char **rest_r);

#endif
