/* imap-parser.c - incremental, bounded IMAP command parser.
 *
 * A byte-level state machine: every state can stop at any byte and resume
 * with the next chunk. While a command is read, its text is copied into
 * one buffer (tag, name, unescaped strings, buffered literals, each
 * NUL-terminated) and its arguments are recorded as a flat token list with
 * list start/end markers; the tree handed to the caller is laid out from
 * those tokens in one pass when the command (or a streamed literal's
 * header) is complete. After an error the rest of the command is skipped
 * without being stored. This file does not execute commands. */
#include <strings.h>

#include "lib.h"
#include "imap-parser.h"

/* Buffers above these sizes are released when the next command begins, so
 * an idle connection does not keep what one large command needed. */
#define KEEP_BUF_SIZE 4096
#define KEEP_TOKENS 64

const struct imap_parser_settings imap_parser_prelogin_settings = {
    .max_line_length = 8192,
    .max_literal_size = 8192,
    .max_args = 128,
    .max_depth = 4,
};

enum parser_state {
	PS_TAG_START, /* at the start of a line */
	PS_TAG,
	PS_NAME_START,
	PS_NAME,
	PS_ARGS, /* between arguments */
	PS_ATOM,
	PS_TILDE, /* '~' at the start of an argument */
	PS_QUOTED,
	PS_QUOTED_ESC,
	PS_LIT_SIZE,
	PS_LIT_PLUS,
	PS_LIT_CLOSE,
	PS_LIT_CR,
	PS_LIT_DECIDE, /* IMAP_PARSE_LITERAL returned, checks pending */
	PS_LIT_DATA,
	PS_LIT_STREAM,
	PS_EOL_CR,
	PS_SKIP_LINE,
	PS_SKIP_LITERAL,
};

/* Recognising "{n}" / "{n+}" at the end of a line that is being skipped. */
enum skip_state {
	SK_NONE,
	SK_DIGITS,
	SK_PLUS,
	SK_CLOSED,
};

#define TOK_LIST_END 100

struct token {
	unsigned int type; /* enum imap_arg_type or TOK_LIST_END */
	unsigned int list_count;
	size_t off, len;
	uint64_t literal_size;
	bool literal8, nonsync, streamed;
};

struct imap_parser {
	struct imap_parser_settings set;
	enum parser_state state;

	/* this command's bytes, every string NUL-terminated */
	unsigned char *buf;
	size_t buf_len, buf_alloc;
	size_t cmd_bytes; /* counted against max_line_length */
	size_t tag_off, name_off;
	bool have_tag, have_name;

	struct token *tokens;
	unsigned int tok_count, tok_alloc;
	unsigned int arg_count; /* tokens without the list end markers */
	unsigned int list_total;
	/* token index of each open list, depth entries */
	unsigned int *open_lists;
	unsigned int depth, open_alloc;
	unsigned int top_count;

	/* the tree built from the tokens */
	struct imap_arg *nodes;
	size_t nodes_alloc;
	struct build_frame {
		struct imap_arg *arr;
		unsigned int pos;
	} * frames;
	unsigned int frames_alloc;

	/* the string or literal being read */
	size_t cur_off;
	uint64_t lit_size, lit_left;
	bool lit_nonsync, lit_literal8, lit_stream;
	unsigned int lit_digits;

	bool eol_empty; /* the line ending has no tag before it */
	bool reset_pending;

	enum skip_state sk_state;
	uint64_t sk_num;
	bool sk_overflow, sk_nonsync;
};

static void apply_settings(struct imap_parser *parser,
			   const struct imap_parser_settings *set)
{
	parser->set = *set;
	if (parser->set.max_line_length == 0)
		parser->set.max_line_length = IMAP_PARSER_DEFAULT_MAX_LINE;
	if (parser->set.max_literal_size == 0)
		parser->set.max_literal_size = IMAP_PARSER_DEFAULT_MAX_LITERAL;
	if (parser->set.max_args == 0)
		parser->set.max_args = IMAP_PARSER_DEFAULT_MAX_ARGS;
	if (parser->set.max_depth == 0)
		parser->set.max_depth = IMAP_PARSER_DEFAULT_MAX_DEPTH;
}

struct imap_parser *imap_parser_create(const struct imap_parser_settings *set)
{
	struct imap_parser *parser = i_malloc(sizeof(*parser));

	apply_settings(parser, set);
	return parser;
}

void imap_parser_set_settings(struct imap_parser *parser,
			      const struct imap_parser_settings *set)
{
	apply_settings(parser, set);
}

static void free_buffers(struct imap_parser *parser, bool all)
{
	if (all || parser->buf_alloc > KEEP_BUF_SIZE) {
		i_free(parser->buf);
		parser->buf_alloc = 0;
	}
	if (all || parser->tok_alloc > KEEP_TOKENS) {
		i_free(parser->tokens);
		parser->tok_alloc = 0;
	}
	if (all || parser->nodes_alloc > KEEP_TOKENS) {
		i_free(parser->nodes);
		parser->nodes_alloc = 0;
	}
	if (all || parser->open_alloc > 8) {
		i_free(parser->open_lists);
		parser->open_alloc = 0;
	}
	if (all || parser->frames_alloc > 8) {
		i_free(parser->frames);
		parser->frames_alloc = 0;
	}
}

void imap_parser_destroy(struct imap_parser **_parser)
{
	struct imap_parser *parser = *_parser;

	if (parser == NULL)
		return;
	*_parser = NULL;
	free_buffers(parser, true);
	i_free(parser);
}

/* Forgets the command's data; the state is left alone. */
static void command_reset(struct imap_parser *parser)
{
	free_buffers(parser, false);
	parser->buf_len = 0;
	parser->cmd_bytes = 0;
	parser->have_tag = parser->have_name = false;
	parser->tok_count = parser->arg_count = parser->list_total = 0;
	parser->depth = parser->top_count = 0;
	parser->reset_pending = false;
}

void imap_parser_reset(struct imap_parser *parser)
{
	command_reset(parser);
	parser->state = PS_TAG_START;
}

bool imap_parser_has_partial(const struct imap_parser *parser)
{
	return parser->state != PS_TAG_START;
}

size_t imap_parser_memory_used(const struct imap_parser *parser)
{
	return sizeof(*parser) + parser->buf_alloc +
	       (size_t)parser->tok_alloc * sizeof(struct token) +
	       parser->nodes_alloc * sizeof(struct imap_arg) +
	       (size_t)parser->open_alloc * sizeof(unsigned int) +
	       (size_t)parser->frames_alloc * sizeof(struct build_frame);
}

void imap_parser_literal_buffer(struct imap_parser *parser)
{
	if (parser->state == PS_LIT_DECIDE)
		parser->lit_stream = false;
}

void imap_parser_skip_command(struct imap_parser *parser)
{
	parser->sk_state = SK_NONE;
	switch (parser->state) {
	case PS_TAG_START:
		return;
	case PS_LIT_DECIDE:
		if (!parser->lit_nonsync) {
			/* RFC 3501 section 7.5: without "+" the client does
			 * not send the literal; the command is over */
			parser->state = PS_TAG_START;
			break;
		}
		parser->lit_left = parser->lit_size;
		parser->state = PS_SKIP_LITERAL;
		break;
	case PS_LIT_STREAM:
	case PS_LIT_DATA:
	case PS_SKIP_LITERAL:
		parser->state =
		    parser->lit_left > 0 ? PS_SKIP_LITERAL : PS_SKIP_LINE;
		break;
	default:
		parser->state = PS_SKIP_LINE;
		break;
	}
	parser->reset_pending = true;
}

/* Grows *mem (of *alloc elements) to hold need elements, doubling. */
static void grow(void **mem, size_t *alloc, size_t elem_size, size_t need)
{
	size_t new_alloc;

	if (need <= *alloc)
		return;
	new_alloc = *alloc < 16 ? 16 : size_mul(*alloc, 2);
	if (new_alloc < need)
		new_alloc = need;
	*mem = i_realloc(*mem, size_mul(new_alloc, elem_size));
	*alloc = new_alloc;
}

static void buf_reserve(struct imap_parser *parser, size_t more)
{
	grow((void **)&parser->buf, &parser->buf_alloc, 1,
	     size_add(parser->buf_len, more));
}

static void buf_append(struct imap_parser *parser, unsigned char c)
{
	buf_reserve(parser, 1);
	parser->buf[parser->buf_len++] = c;
}

static void buf_terminate(struct imap_parser *parser)
{
	buf_append(parser, '\0');
}

static struct token *token_add(struct imap_parser *parser, unsigned int type)
{
	struct token *tok;
	size_t alloc = parser->tok_alloc;

	grow((void **)&parser->tokens, &alloc, sizeof(struct token),
	     (size_t)parser->tok_count + 1);
	parser->tok_alloc = (unsigned int)alloc;
	tok = &parser->tokens[parser->tok_count++];
	memset(tok, 0, sizeof(*tok));
	tok->type = type;
	if (type != TOK_LIST_END) {
		parser->arg_count++;
		if (parser->depth == 0)
			parser->top_count++;
		else
			parser->tokens[parser->open_lists[parser->depth - 1]]
			    .list_count++;
	}
	return tok;
}

static void event_names(struct imap_parser *parser,
			struct imap_parser_event *ev)
{
	ev->tag = parser->have_tag ? (const char *)parser->buf + parser->tag_off
				   : NULL;
	ev->name = parser->have_name
		       ? (const char *)parser->buf + parser->name_off
		       : NULL;
}

/* Lays out the tree of the tokens so far; lists still open are closed. */
static void build_args(struct imap_parser *parser, struct imap_parser_event *ev)
{
	size_t need = (size_t)parser->arg_count + parser->list_total + 1;
	size_t next_free, frames_alloc = parser->frames_alloc;
	unsigned int d = 0;

	grow((void **)&parser->nodes, &parser->nodes_alloc,
	     sizeof(struct imap_arg), need);
	memset(parser->nodes, 0, need * sizeof(struct imap_arg));
	grow((void **)&parser->frames, &frames_alloc,
	     sizeof(struct build_frame), (size_t)parser->open_alloc + 1);
	parser->frames_alloc = (unsigned int)frames_alloc;

	parser->frames[0].arr = parser->nodes;
	parser->frames[0].pos = 0;
	next_free = (size_t)parser->top_count + 1;
	for (unsigned int i = 0; i < parser->tok_count; i++) {
		const struct token *tok = &parser->tokens[i];
		struct imap_arg *node;

		if (tok->type == TOK_LIST_END) {
			i_assert(d > 0);
			d--;
			continue;
		}
		node = &parser->frames[d].arr[parser->frames[d].pos++];
		node->type = (enum imap_arg_type)tok->type;
		node->literal_size = tok->literal_size;
		node->literal8 = tok->literal8;
		node->literal_nonsync = tok->nonsync;
		node->literal_streamed = tok->streamed;
		if (tok->type == IMAP_ARG_LIST) {
			i_assert(next_free + tok->list_count + 1 <= need);
			node->list = &parser->nodes[next_free];
			node->list_count = tok->list_count;
			next_free += (size_t)tok->list_count + 1;
			d++;
			i_assert(d < parser->frames_alloc);
			parser->frames[d].arr =
			    &parser->nodes[next_free - tok->list_count - 1];
			parser->frames[d].pos = 0;
		} else if (!tok->streamed) {
			node->str = (const char *)parser->buf + tok->off;
			node->len = tok->len;
		}
	}
	event_names(parser, ev);
	ev->args = parser->nodes;
	ev->args_count = parser->top_count;
}

enum error_skip {
	SKIP_NONE,    /* the command ended where the error was found */
	SKIP_LINE,    /* drop the rest of the line */
	SKIP_LITERAL, /* drop lit_left literal bytes, then the line */
};

static enum imap_parse_result parser_error(struct imap_parser *parser,
					   struct imap_parser_event *ev,
					   enum error_skip skip,
					   const char *error)
{
	event_names(parser, ev);
	ev->error = error;
	switch (skip) {
	case SKIP_NONE:
		parser->state = PS_TAG_START;
		break;
	case SKIP_LINE:
		parser->state = PS_SKIP_LINE;
		parser->sk_state = SK_NONE;
		break;
	case SKIP_LITERAL:
		parser->state = PS_SKIP_LITERAL;
		parser->sk_state = SK_NONE;
		break;
	}
	parser->reset_pending = true;
	return IMAP_PARSE_ERROR;
}

static enum imap_parse_result parser_error_toobig(struct imap_parser *parser,
						  struct imap_parser_event *ev,
						  enum error_skip skip,
						  const char *error)
{
	ev->resp_code = "TOOBIG";
	return parser_error(parser, ev, skip, error);
}

static bool is_atom_char(unsigned char c)
{
	/* RFC 3501 section 9 ATOM-CHAR, plus resp-specials ']', the list
	 * wildcards and '\' of flags; '[' is an ATOM-CHAR already. */
	if (c <= 0x20 || c >= 0x7f)
		return false;
	switch (c) {
	case '(':
	case ')':
	case '{':
	case '"':
		return false;
	default:
		return true;
	}
}

static bool is_tag_char(unsigned char c)
{
	/* tag = 1*<any ASTRING-CHAR except "+"> */
	return is_atom_char(c) && c != '+' && c != '%' && c != '*' && c != '\\';
}

static bool is_stream_command(const struct imap_parser *parser)
{
	const char *name = (const char *)parser->buf + parser->name_off;

	if (parser->set.stream_commands == NULL || !parser->have_name)
		return false;
	for (unsigned int i = 0; parser->set.stream_commands[i] != NULL; i++) {
		if (strcmp(parser->set.stream_commands[i], name) == 0)
			return true;
	}
	return false;
}

static bool arg_room(struct imap_parser *parser, unsigned int more)
{
	return parser->arg_count + more <= parser->set.max_args;
}

static void finish_atom(struct imap_parser *parser)
{
	struct token *tok;
	size_t len = parser->buf_len - parser->cur_off;
	const char *str;

	buf_terminate(parser);
	str = (const char *)parser->buf + parser->cur_off;
	tok = token_add(parser, IMAP_ARG_ATOM);
	tok->off = parser->cur_off;
	tok->len = len;
	if (len == 3 && strncasecmp(str, "NIL", 3) == 0)
		tok->type = IMAP_ARG_NIL;
}

static void finish_quoted(struct imap_parser *parser)
{
	struct token *tok;
	size_t len = parser->buf_len - parser->cur_off;

	buf_terminate(parser);
	tok = token_add(parser, IMAP_ARG_STRING);
	tok->off = parser->cur_off;
	tok->len = len;
}

/* Ends the line: a complete command or an error. */
static enum imap_parse_result finish_line(struct imap_parser *parser,
					  struct imap_parser_event *ev)
{
	if (!parser->have_tag)
		return parser_error(parser, ev, SKIP_NONE, "Invalid tag");
	if (!parser->have_name)
		return parser_error(parser, ev, SKIP_NONE,
				    "Missing command name");
	if (parser->depth > 0)
		return parser_error(parser, ev, SKIP_NONE, "Missing ')'");
	build_args(parser, ev);
	parser->state = PS_TAG_START;
	parser->reset_pending = true;
	return IMAP_PARSE_COMMAND;
}

/* A line ending in any state that allows it (CR seen or LF now). */
static enum imap_parse_result line_end(struct imap_parser *parser,
				       struct imap_parser_event *ev,
				       unsigned char c, bool *event_r)
{
	*event_r = false;
	if (c == '\r') {
		parser->eol_empty = false;
		parser->state = PS_EOL_CR;
		return IMAP_PARSE_MORE;
	}
	*event_r = true;
	return finish_line(parser, ev);
}

/* The checks of a literal whose header was read: size limits and
 * LITERAL-. Returns IMAP_PARSE_MORE when the literal's bytes may follow
 * (setting *continue_r for a synchronising one). */
static enum imap_parse_result literal_accept(struct imap_parser *parser,
					     struct imap_parser_event *ev,
					     bool *continue_r)
{
	enum error_skip skip = parser->lit_nonsync ? SKIP_LITERAL : SKIP_NONE;
	struct token *tok = &parser->tokens[parser->tok_count - 1];

	*continue_r = false;
	parser->lit_left = parser->lit_size;
	if (parser->lit_nonsync && parser->set.literal_minus &&
	    parser->lit_size > IMAP_PARSER_LITERAL_MINUS_MAX) {
		/* RFC 7888 section 4 */
		return parser_error_toobig(
		    parser, ev, skip,
		    "Non-synchronizing literal over 4096 bytes");
	}
	if (parser->lit_stream) {
		if (parser->lit_size > parser->set.max_literal_size) {
			ev->no_reply = true;
			return parser_error_toobig(parser, ev, skip,
						   "Literal size too large");
		}
		tok->streamed = true;
		parser->state = PS_LIT_STREAM;
	} else {
		size_t room = parser->set.max_line_length - parser->cmd_bytes;

		if (parser->lit_size > room) {
			return parser_error_toobig(parser, ev, skip,
						   "Literal size too large");
		}
		tok->streamed = false;
		/* the contents count against the line, and fit it */
		buf_reserve(parser, (size_t)parser->lit_size + 1);
		parser->cur_off = parser->buf_len;
		tok->off = parser->cur_off;
		tok->len = (size_t)parser->lit_size;
		parser->state = PS_LIT_DATA;
	}
	*continue_r = !parser->lit_nonsync;
	return IMAP_PARSE_MORE;
}

/* The LF after a literal's "}" was read. */
static enum imap_parse_result literal_header_done(struct imap_parser *parser,
						  struct imap_parser_event *ev)
{
	struct token *tok;
	bool cont;
	enum imap_parse_result ret;

	tok = token_add(parser, IMAP_ARG_LITERAL);
	tok->literal_size = parser->lit_size;
	tok->literal8 = parser->lit_literal8;
	tok->nonsync = parser->lit_nonsync;

	if (is_stream_command(parser)) {
		tok->streamed = true;
		parser->lit_stream = true;
		parser->state = PS_LIT_DECIDE;
		build_args(parser, ev);
		ev->literal_size = parser->lit_size;
		ev->literal8 = parser->lit_literal8;
		ev->literal_nonsync = parser->lit_nonsync;
		return IMAP_PARSE_LITERAL;
	}
	parser->lit_stream = false;
	ret = literal_accept(parser, ev, &cont);
	if (ret != IMAP_PARSE_MORE)
		return ret;
	return cont ? IMAP_PARSE_CONTINUE : IMAP_PARSE_MORE;
}

/* One byte while skipping a bad command's line. Returns true when the
 * command ended. */
static bool skip_byte(struct imap_parser *parser, unsigned char c)
{
	if (c == '\n') {
		if (parser->sk_state == SK_CLOSED && parser->sk_nonsync) {
			parser->lit_left =
			    parser->sk_overflow ? UINT64_MAX : parser->sk_num;
			parser->sk_state = SK_NONE;
			parser->state = PS_SKIP_LITERAL;
			return false;
		}
		parser->state = PS_TAG_START;
		return true;
	}
	if (c == '{') {
		parser->sk_state = SK_DIGITS;
		parser->sk_num = 0;
		parser->sk_overflow = false;
		parser->sk_nonsync = false;
		return false;
	}
	switch (parser->sk_state) {
	case SK_DIGITS:
		if (c >= '0' && c <= '9') {
			if (parser->sk_num > (UINT64_MAX - 9) / 10)
				parser->sk_overflow = true;
			else
				parser->sk_num =
				    parser->sk_num * 10 + (uint64_t)(c - '0');
			return false;
		}
		if (c == '+') {
			parser->sk_state = SK_PLUS;
			return false;
		}
		if (c == '}') {
			parser->sk_state = SK_CLOSED;
			return false;
		}
		break;
	case SK_PLUS:
		if (c == '}') {
			parser->sk_state = SK_CLOSED;
			parser->sk_nonsync = true;
			return false;
		}
		break;
	case SK_CLOSED:
		if (c == '\r')
			return false;
		break;
	case SK_NONE:
		break;
	}
	parser->sk_state = SK_NONE;
	return false;
}

enum imap_parse_result imap_parser_feed(struct imap_parser *parser,
					const void *data, size_t size,
					size_t *consumed_r,
					struct imap_parser_event *ev)
{
	const unsigned char *src = data;
	size_t i = 0;
	enum imap_parse_result ret = IMAP_PARSE_MORE;
	bool event = false;

	memset(ev, 0, sizeof(*ev));
	if (parser->reset_pending)
		command_reset(parser);

	if (parser->state == PS_LIT_DECIDE) {
		bool cont;

		ret = literal_accept(parser, ev, &cont);
		if (ret == IMAP_PARSE_MORE && cont)
			ret = IMAP_PARSE_CONTINUE;
		if (ret != IMAP_PARSE_MORE) {
			*consumed_r = 0;
			return ret;
		}
	}

	while (i < size || parser->state == PS_LIT_STREAM) {
		unsigned char c;

		if (parser->state == PS_LIT_STREAM) {
			/* the bytes are the caller's: no copy */
			size_t n = size - i;

			if (n > parser->lit_left)
				n = (size_t)parser->lit_left;
			if (n == 0 && parser->lit_left > 0)
				break;
			ev->data = src + i;
			ev->size = n;
			parser->lit_left -= n;
			i += n;
			ev->last = parser->lit_left == 0;
			if (ev->last)
				parser->state = PS_ARGS;
			*consumed_r = i;
			return IMAP_PARSE_LITERAL_DATA;
		}
		if (parser->state == PS_LIT_DATA) {
			size_t n = size - i;

			if (n > parser->lit_left)
				n = (size_t)parser->lit_left;
			if (!parser->lit_literal8 && memchr(src + i, 0, n)) {
				/* RFC 3501 section 9: CHAR8 excludes NUL */
				const unsigned char *nul =
				    memchr(src + i, 0, n);
				size_t upto = (size_t)(nul - (src + i)) + 1;

				parser->lit_left -= upto;
				i += upto;
				ret = parser_error(
				    parser, ev, SKIP_LITERAL,
				    "NUL characters not allowed in literals");
				event = true;
				break;
			}
			memcpy(parser->buf + parser->buf_len, src + i, n);
			parser->buf_len += n;
			parser->cmd_bytes += n;
			parser->lit_left -= n;
			i += n;
			if (parser->lit_left == 0) {
				buf_terminate(parser);
				parser->state = PS_ARGS;
			}
			continue;
		}
		if (parser->state == PS_SKIP_LITERAL) {
			size_t n = size - i;

			if (n > parser->lit_left)
				n = (size_t)parser->lit_left;
			parser->lit_left -= n;
			i += n;
			if (parser->lit_left == 0)
				parser->state = PS_SKIP_LINE;
			continue;
		}

		c = src[i++];
		if (parser->state == PS_SKIP_LINE) {
			(void)skip_byte(parser, c);
			continue;
		}
		if (c != '\r' && c != '\n' &&
		    ++parser->cmd_bytes > parser->set.max_line_length) {
			ret = parser_error_toobig(parser, ev, SKIP_LINE,
						  "Command line too long");
			(void)skip_byte(parser, c);
			event = true;
			break;
		}

		switch (parser->state) {
		case PS_TAG_START:
			if (c == '\n')
				break; /* an empty line is ignored */
			if (c == '\r') {
				parser->eol_empty = true;
				parser->state = PS_EOL_CR;
				break;
			}
			if (!is_tag_char(c)) {
				ret = parser_error(parser, ev, SKIP_LINE,
						   "Invalid tag");
				event = true;
				break;
			}
			parser->tag_off = parser->buf_len;
			buf_append(parser, c);
			parser->state = PS_TAG;
			break;
		case PS_TAG:
			if (c == ' ' || c == '\r' || c == '\n') {
				buf_terminate(parser);
				parser->have_tag = true;
				if (c == ' ') {
					parser->state = PS_NAME_START;
					break;
				}
				ret = line_end(parser, ev, c, &event);
				break;
			}
			if (!is_tag_char(c)) {
				ret = parser_error(parser, ev, SKIP_LINE,
						   "Invalid tag");
				event = true;
				break;
			}
			buf_append(parser, c);
			break;
		case PS_NAME_START:
		case PS_NAME:
			if (parser->state == PS_NAME &&
			    (c == ' ' || c == '\r' || c == '\n')) {
				buf_terminate(parser);
				parser->have_name = true;
				if (c == ' ') {
					parser->state = PS_ARGS;
					break;
				}
				ret = line_end(parser, ev, c, &event);
				break;
			}
			if (c == '\r' || c == '\n') {
				ret = line_end(parser, ev, c, &event);
				break;
			}
			if (!is_tag_char(c) || c == '[' || c == ']') {
				ret = parser_error(parser, ev, SKIP_LINE,
						   "Invalid command name");
				event = true;
				break;
			}
			if (parser->state == PS_NAME_START) {
				parser->name_off = parser->buf_len;
				parser->state = PS_NAME;
			}
			buf_append(parser, c >= 'a' && c <= 'z'
					       ? (unsigned char)(c - 'a' + 'A')
					       : c);
			break;
		case PS_ARGS:
			if (c == ' ')
				break;
			if (c == '\r' || c == '\n') {
				ret = line_end(parser, ev, c, &event);
				break;
			}
			if (c == ')') {
				if (parser->depth == 0) {
					ret =
					    parser_error(parser, ev, SKIP_LINE,
							 "Unexpected ')'");
					event = true;
					break;
				}
				(void)token_add(parser, TOK_LIST_END);
				parser->depth--;
				break;
			}
			if (!arg_room(parser, 1)) {
				ret = parser_error(parser, ev, SKIP_LINE,
						   "Too many arguments");
				event = true;
				break;
			}
			if (c == '(') {
				size_t alloc = parser->open_alloc;

				if (parser->depth >= parser->set.max_depth) {
					ret = parser_error(
					    parser, ev, SKIP_LINE,
					    "Too deep parenthesis nesting");
					event = true;
					break;
				}
				(void)token_add(parser, IMAP_ARG_LIST);
				grow((void **)&parser->open_lists, &alloc,
				     sizeof(unsigned int),
				     (size_t)parser->depth + 1);
				parser->open_alloc = (unsigned int)alloc;
				parser->open_lists[parser->depth++] =
				    parser->tok_count - 1;
				parser->list_total++;
				break;
			}
			if (c == '"') {
				parser->cur_off = parser->buf_len;
				parser->state = PS_QUOTED;
				break;
			}
			if (c == '{') {
				parser->lit_literal8 = false;
				goto literal_start;
			}
			if (c == '~') {
				parser->state = PS_TILDE;
				break;
			}
			if (!is_atom_char(c)) {
				ret =
				    parser_error(parser, ev, SKIP_LINE,
						 "Invalid characters in atom");
				event = true;
				break;
			}
			parser->cur_off = parser->buf_len;
			buf_append(parser, c);
			parser->state = PS_ATOM;
			break;
		case PS_TILDE:
			if (c == '{') {
				parser->lit_literal8 = true;
				goto literal_start;
			}
			/* an atom starting with '~' */
			parser->cur_off = parser->buf_len;
			buf_append(parser, '~');
			parser->state = PS_ATOM;
			/* fall through */
		case PS_ATOM:
			if (c == ' ' || c == '\r' || c == '\n' || c == ')') {
				finish_atom(parser);
				parser->state = PS_ARGS;
				if (c == ' ')
					break;
				if (c == ')') {
					i--; /* closes the list in PS_ARGS */
					parser->cmd_bytes--;
					break;
				}
				ret = line_end(parser, ev, c, &event);
				break;
			}
			if (!is_atom_char(c)) {
				ret =
				    parser_error(parser, ev, SKIP_LINE,
						 "Invalid characters in atom");
				event = true;
				break;
			}
			buf_append(parser, c);
			break;
		case PS_QUOTED:
			if (c == '"') {
				finish_quoted(parser);
				parser->state = PS_ARGS;
				break;
			}
			if (c == '\\') {
				parser->state = PS_QUOTED_ESC;
				break;
			}
			if (c == '\r' || c == '\n') {
				ret = parser_error(parser, ev,
						   c == '\n' ? SKIP_NONE
							     : SKIP_LINE,
						   "Missing '\"'");
				event = true;
				break;
			}
			if (c == '\0') {
				ret = parser_error(
				    parser, ev, SKIP_LINE,
				    "NUL characters not allowed in strings");
				event = true;
				break;
			}
			buf_append(parser, c);
			break;
		case PS_QUOTED_ESC:
			/* RFC 3501 section 9: only quoted-specials */
			if (c != '"' && c != '\\') {
				ret = parser_error(
				    parser, ev,
				    c == '\n' ? SKIP_NONE : SKIP_LINE,
				    "Invalid escape in quoted string");
				event = true;
				break;
			}
			buf_append(parser, c);
			parser->state = PS_QUOTED;
			break;
		case PS_LIT_SIZE:
			if (c >= '0' && c <= '9') {
				uint64_t d = (uint64_t)(c - '0');

				if (parser->lit_size > (UINT64_MAX - d) / 10) {
					ret = parser_error_toobig(
					    parser, ev, SKIP_LINE,
					    "Literal size too large");
					event = true;
					break;
				}
				parser->lit_size = parser->lit_size * 10 + d;
				parser->lit_digits++;
				break;
			}
			if (parser->lit_digits > 0 && (c == '+' || c == '}')) {
				parser->lit_nonsync = c == '+';
				parser->state =
				    c == '+' ? PS_LIT_PLUS : PS_LIT_CLOSE;
				break;
			}
			ret = parser_error(parser, ev,
					   c == '\n' ? SKIP_NONE : SKIP_LINE,
					   "Invalid literal size");
			event = true;
			break;
		case PS_LIT_PLUS:
			if (c == '}') {
				parser->state = PS_LIT_CLOSE;
				break;
			}
			ret = parser_error(parser, ev,
					   c == '\n' ? SKIP_NONE : SKIP_LINE,
					   "Invalid literal size");
			event = true;
			break;
		case PS_LIT_CLOSE:
		case PS_LIT_CR:
			if (c == '\r' && parser->state == PS_LIT_CLOSE) {
				parser->state = PS_LIT_CR;
				break;
			}
			if (c == '\n') {
				ret = literal_header_done(parser, ev);
				event = ret != IMAP_PARSE_MORE;
				break;
			}
			ret = parser_error(parser, ev, SKIP_LINE,
					   "Missing CRLF after literal size");
			event = true;
			break;
		case PS_EOL_CR:
			if (c != '\n') {
				ret = parser_error(parser, ev, SKIP_LINE,
						   "CR without LF");
				event = true;
				break;
			}
			if (parser->eol_empty) {
				parser->state = PS_TAG_START;
				break;
			}
			ret = finish_line(parser, ev);
			event = true;
			break;
		case PS_LIT_DECIDE:
		case PS_LIT_DATA:
		case PS_LIT_STREAM:
		case PS_SKIP_LINE:
		case PS_SKIP_LITERAL:
			i_unreached();
		}
		if (event) {
			/* the byte that caused the error may start the
			 * literal that ends the line being skipped */
			if (parser->state == PS_SKIP_LINE)
				(void)skip_byte(parser, c);
			break;
		}
		continue;

	literal_start:
		parser->lit_size = 0;
		parser->lit_digits = 0;
		parser->lit_nonsync = false;
		parser->state = PS_LIT_SIZE;
	}
	*consumed_r = i;
	return event ? ret : IMAP_PARSE_MORE;
}

bool imap_arg_get_atom(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type != IMAP_ARG_ATOM)
		return false;
	*str_r = arg->str;
	return true;
}

bool imap_arg_get_string(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type != IMAP_ARG_STRING &&
	    (arg->type != IMAP_ARG_LITERAL || arg->literal_streamed))
		return false;
	*str_r = arg->str;
	return true;
}

bool imap_arg_get_astring(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type == IMAP_ARG_ATOM || arg->type == IMAP_ARG_NIL) {
		*str_r = arg->str;
		return true;
	}
	return imap_arg_get_string(arg, str_r);
}

bool imap_arg_get_nstring(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type == IMAP_ARG_NIL) {
		*str_r = NULL;
		return true;
	}
	return imap_arg_get_string(arg, str_r);
}

bool imap_arg_get_list(const struct imap_arg *arg,
		       const struct imap_arg **list_r, unsigned int *count_r)
{
	if (arg->type != IMAP_ARG_LIST)
		return false;
	*list_r = arg->list;
	*count_r = arg->list_count;
	return true;
}

bool imap_arg_atom_equals(const struct imap_arg *arg, const char *str)
{
	return arg->type == IMAP_ARG_ATOM && strcasecmp(arg->str, str) == 0;
}
