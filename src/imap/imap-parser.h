/* imap-parser.h - the IMAP command parser (RFC 3501 section 9, RFC 9051
 * section 9; literals of RFC 7888 LITERAL+/LITERAL- and RFC 3516 BINARY).
 *
 * Untrusted client bytes are fed in any chunks (one byte at a time works
 * the same as the whole input); the parser keeps its state between calls
 * and yields events: a complete command (tag, upper-cased name and the
 * arguments as a tree), "send a continuation request now" for a
 * synchronising literal, and, for the commands that stream their literals
 * (APPEND), the literal's header and then its bytes as slices of the
 * caller's input, never copied.
 *
 * Everything is bounded: the bytes of one command that the parser keeps
 * (its text and any buffered literal contents) by max_line_length, the
 * number of arguments (lists and literals included) by max_args, list
 * nesting by max_depth, streamed literals by max_literal_size. A command
 * that breaks a rule or a limit yields one error event; the parser then
 * drops the rest of that command by itself (the rest of the line, and the
 * bytes of a non-synchronising literal ending it, counted, not stored) and
 * is ready for the next command. Memory use between commands is small:
 * buffers grown by a large command are released when the next begins.
 *
 * Atoms may contain '[', ']', '%', '*' and a leading '\\' (flags, list
 * wildcards, sequence sets, BODY[...] sections). A section with a header
 * list, BODY[HEADER.FIELDS (From To)]<0.10>, is parsed as the atom
 * "BODY[HEADER.FIELDS", the list (From To) and the atom "]<0.10>": an
 * atom may follow a ')' without a space. Spaces between arguments are not
 * counted (extra ones are tolerated, as Dovecot does); an empty line is
 * ignored. A line may end in CR LF or a bare LF. Quoted strings may hold
 * 8-bit bytes (UTF-8 under UTF8=ACCEPT; checking them is the command's
 * job) but never NUL, CR or LF.
 *
 * The parser knows no command's syntax beyond this and no session state. */
#ifndef LOFT_IMAP_PARSER_H
#define LOFT_IMAP_PARSER_H

#include "lib.h"

/* Defaults used when a setting is 0. */
#define IMAP_PARSER_DEFAULT_MAX_LINE 65536
#define IMAP_PARSER_DEFAULT_MAX_ARGS 4096
#define IMAP_PARSER_DEFAULT_MAX_DEPTH 64
#define IMAP_PARSER_DEFAULT_MAX_LITERAL ((uint64_t)UINT32_MAX)
/* RFC 7888 section 4: with LITERAL- (and so in IMAP4rev2, RFC 9051
 * section 4.3) a non-synchronising literal may hold at most this much. */
#define IMAP_PARSER_LITERAL_MINUS_MAX 4096

enum imap_arg_type {
	IMAP_ARG_EOL = 0, /* ends every argument array */
	IMAP_ARG_NIL,	  /* the atom NIL, any case */
	IMAP_ARG_ATOM,
	IMAP_ARG_STRING,  /* a quoted string, unescaped */
	IMAP_ARG_LITERAL, /* {n}, {n+} or ~{n} */
	IMAP_ARG_LIST,
};

struct imap_arg {
	enum imap_arg_type type;
	/* ATOM, NIL ("NIL" as sent), STRING, buffered LITERAL: the bytes,
	 * NUL-terminated (a literal8 may also hold NULs: use len). A
	 * streamed literal has str NULL and len 0. */
	const char *str;
	size_t len;
	/* LIST: the elements, list_count of them, then an IMAP_ARG_EOL. */
	const struct imap_arg *list;
	unsigned int list_count;
	/* LITERAL only */
	uint64_t literal_size;
	bool literal8;	      /* ~{n} */
	bool literal_nonsync; /* {n+} */
	bool literal_streamed;
};

struct imap_parser_settings {
	/* Bytes of one command kept by the parser: its text without CR LF
	 * plus buffered literal contents (imap_max_line_length). */
	size_t max_line_length;
	/* Size of a streamed literal (APPENDLIMIT). */
	uint64_t max_literal_size;
	/* Arguments of one command, counting every list element. */
	unsigned int max_args;
	/* Depth of nested parenthesised lists. */
	unsigned int max_depth;
	/* LITERAL- instead of LITERAL+ (IMAP4rev2): a non-synchronising
	 * literal over IMAP_PARSER_LITERAL_MINUS_MAX is an error. */
	bool literal_minus;
	/* Upper-case command names (NULL-terminated array, may be NULL)
	 * whose literals are streamed: see IMAP_PARSE_LITERAL. */
	const char *const *stream_commands;
};

/* Limits fit for a client that has not logged in yet: small enough that
 * thousands of connections cost little, large enough for LOGIN,
 * AUTHENTICATE with SASL-IR and ID. */
extern const struct imap_parser_settings imap_parser_prelogin_settings;

enum imap_parse_result {
	/* A bad command: ev->error says why. The parser drops the rest of
	 * the command by itself; keep feeding. */
	IMAP_PARSE_ERROR = -1,
	/* All input consumed, no event yet. */
	IMAP_PARSE_MORE = 0,
	/* A complete command in ev->tag, name, args. */
	IMAP_PARSE_COMMAND = 1,
	/* A synchronising literal was accepted: send "+ OK\r\n" now
	 * (RFC 3501 section 7.5), then keep feeding. */
	IMAP_PARSE_CONTINUE = 2,
	/* In a stream command, a literal header was read: ev->tag, name and
	 * args hold the arguments so far, the last being this literal (not
	 * yet streamed). Its bytes will come as IMAP_PARSE_LITERAL_DATA
	 * events unless imap_parser_literal_buffer() is called first (for a
	 * literal that is no message, such as APPEND's mailbox name). Call
	 * imap_parser_feed() again even with no new input: it may need to
	 * answer with IMAP_PARSE_CONTINUE or an error before the client
	 * sends the literal. */
	IMAP_PARSE_LITERAL = 3,
	/* ev->data/ev->size: the next bytes of a streamed literal, pointing
	 * into the input just fed; ev->last on the final slice (which may
	 * be empty for a zero-length literal). */
	IMAP_PARSE_LITERAL_DATA = 4,
};

struct imap_parser_event {
	/* COMMAND, LITERAL, and ERROR when the tag was read (else NULL:
	 * answer "* BAD"). */
	const char *tag;
	/* COMMAND and LITERAL; ERROR when read (else NULL). */
	const char *name;
	const struct imap_arg *args; /* ends with IMAP_ARG_EOL */
	unsigned int args_count;

	/* LITERAL */
	uint64_t literal_size;
	bool literal8, literal_nonsync;

	/* LITERAL_DATA */
	const unsigned char *data;
	size_t size;
	bool last;

	/* ERROR: human-readable text for "<tag> BAD <error>". resp_code is
	 * NULL or a response code for it ("TOOBIG"). no_reply is set when
	 * the RFC answer is NO rather than BAD (a literal over
	 * max_literal_size, RFC 7889 section 4). */
	const char *error;
	const char *resp_code;
	bool no_reply;
};

struct imap_parser;

/* Creates a parser with the given limits (copied; the stream_commands
 * array must outlive the parser). Its memory is the parser's own: free it
 * with imap_parser_destroy(). */
struct imap_parser *imap_parser_create(const struct imap_parser_settings *set);
void imap_parser_destroy(struct imap_parser **parser);
/* Changes the limits, for the next command on (after login, after
 * ENABLE IMAP4rev2). */
void imap_parser_set_settings(struct imap_parser *parser,
			      const struct imap_parser_settings *set);
/* Forgets everything of a partial command. */
void imap_parser_reset(struct imap_parser *parser);

/* Feeds size bytes (size may be 0). Consumes a prefix of them and sets
 * *consumed_r; call again with the rest. Returns one event as above,
 * filling *ev_r. Everything ev_r points to stays valid until the next call
 * of any imap_parser_* function (LITERAL_DATA: as long as the input). */
enum imap_parse_result imap_parser_feed(struct imap_parser *parser,
					const void *data, size_t size,
					size_t *consumed_r,
					struct imap_parser_event *ev_r);

/* After IMAP_PARSE_LITERAL: keep this literal in the parser (bounded by
 * max_line_length) instead of streaming it. */
void imap_parser_literal_buffer(struct imap_parser *parser);

/* Drops the rest of the command being read, as after an error, without an
 * event: for a streamed literal the command refused (APPEND to a missing
 * mailbox, over APPENDLIMIT). Right after IMAP_PARSE_LITERAL, a
 * synchronising literal is forgotten (no continuation is sent and the
 * client will not send it); the bytes of a non-synchronising one, or what
 * is left of a literal being streamed, are read and discarded; then the
 * rest of the line (and any non-synchronising literal ending it) is
 * skipped. The next command starts after it. */
void imap_parser_skip_command(struct imap_parser *parser);

/* True while a command is partly read (or being skipped after an error). */
bool imap_parser_has_partial(const struct imap_parser *parser);
/* Bytes of heap memory the parser holds now (for tests of boundedness). */
size_t imap_parser_memory_used(const struct imap_parser *parser);

/* Argument helpers: return false when arg is not of the expected kind. */
/* ATOM only. */
bool imap_arg_get_atom(const struct imap_arg *arg, const char **str_r);
/* ATOM, NIL (as "NIL"), STRING or buffered LITERAL (RFC 3501 astring). */
bool imap_arg_get_astring(const struct imap_arg *arg, const char **str_r);
/* STRING or buffered LITERAL. */
bool imap_arg_get_string(const struct imap_arg *arg, const char **str_r);
/* STRING, buffered LITERAL, or NIL giving *str_r = NULL. */
bool imap_arg_get_nstring(const struct imap_arg *arg, const char **str_r);
bool imap_arg_get_list(const struct imap_arg *arg,
		       const struct imap_arg **list_r, unsigned int *count_r);
bool imap_arg_atom_equals(const struct imap_arg *arg, const char *str);

#endif
