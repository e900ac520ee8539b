/* rfc822-parser.h - RFC 5322 / RFC 2045 lexical tokens over a byte range.
 *
 * A cursor over untrusted header bytes: skipping whitespace and comments,
 * atoms, dot-atoms, quoted strings, phrases, domains, MIME tokens and
 * Content-* parameters (with RFC 2231 continuations merged). It never
 * reads past `end` and never allocates except into the strings it is
 * given. It does not decode encoded words (RFC 2047) or charsets.
 *
 * Return convention of the parse functions: 1 = token read and more input
 * follows, 0 = token read and input ended, -1 = syntax error (the cursor
 * is left somewhere inside the bad token). */
#ifndef LOFT_RFC822_PARSER_H
#define LOFT_RFC822_PARSER_H

#include "lib.h"
#include "pool.h"
#include "str.h"

struct rfc822_parser {
	const unsigned char *data, *end;
	/* When non-NULL, the content of the last comment skipped (without
	 * the parentheses, with folding line breaks removed). */
	string_t *last_comment;
};

void rfc822_parser_init(struct rfc822_parser *ctx, const void *data,
			size_t size, string_t *last_comment);

/* RFC 5322 atext, extended with 8-bit bytes as Dovecot does. */
bool rfc822_is_atext(unsigned char c);

/* Skips SP, TAB, CR, LF and comments. 1 = more input, 0 = end, -1 = an
 * unterminated comment. */
int rfc822_skip_lwsp(struct rfc822_parser *ctx);
int rfc822_skip_comment(struct rfc822_parser *ctx);
int rfc822_parse_atom(struct rfc822_parser *ctx, string_t *str);
/* A run of atext and '.', then whitespace skipped. Accepts an empty run. */
int rfc822_parse_atom_or_dot(struct rfc822_parser *ctx, string_t *str);
/* dot-atom, allowing whitespace around the dots (RFC 822). */
int rfc822_parse_dot_atom(struct rfc822_parser *ctx, string_t *str);
/* *data must be '"'. Appends the unescaped content. */
int rfc822_parse_quoted_string(struct rfc822_parser *ctx, string_t *str);
/* Words (atoms, dots, quoted strings) joined with single spaces. */
int rfc822_parse_phrase(struct rfc822_parser *ctx, string_t *str);
/* *data must be '@'. Appends the domain (a dot-atom or a [literal]). */
int rfc822_parse_domain(struct rfc822_parser *ctx, string_t *str);
/* RFC 2045 token. */
int rfc822_parse_mime_token(struct rfc822_parser *ctx, string_t *str);
/* "type/subtype" into str. */
int rfc822_parse_content_type(struct rfc822_parser *ctx, string_t *str);

struct rfc822_param {
	const char *name, *value;
};
/* Parses ";name=value" parameters until the end of input, merging RFC 2231
 * continuations (name*0, name*1*, ...) into one "name" or "name*" entry in
 * their order of first appearance. Broken parameters are skipped. Entries
 * are allocated from pool; returns the count, with the array in *params_r. */
unsigned int rfc2231_parse(struct rfc822_parser *ctx, pool_t pool,
			   struct rfc822_param **params_r);

#endif
