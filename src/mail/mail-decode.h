/* mail-decode.h - Content-Transfer-Encoding decoders (RFC 2045 section 6):
 * base64 and quoted-printable as resumable byte filters, the one decoder
 * of message bodies for IMAP BINARY (RFC 3516) and SEARCH (BODY, TEXT,
 * and the "B" encoded words of RFC 2047, through mail-search-decode.h).
 *
 * Input and output may be cut anywhere; the decoder carries its state
 * between calls, so a part of any size is decoded through fixed buffers.
 * Decoding is lenient as mail readers are: base64 ignores characters
 * outside its alphabet (lib/base64.h's table) and stops at '=' padding;
 * quoted-printable keeps an '=' that is not followed by two hex digits or
 * a line break as it is, takes "=" with blanks before the line break as a
 * soft line break, and drops the whitespace that ends an encoded line
 * (RFC 2045 section 6.7 rules 3 and 5). Line breaks of quoted-printable
 * text are written as CR LF.
 *
 * No I/O, no charsets. The identity encodings (7bit, 8bit, binary) need
 * no decoder: mail_cte_parse() says so.
 *
 * mail_binary_plan() and mail_binary_filter say what BINARY[section]
 * (RFC 3516 section 4.2) is made of when the section holds more than one
 * body: a multipart, a message/rfc822 part, TEXT or the whole message.
 * Every body inside is decoded and the header of each decoded part has
 * its Content-Transfer-Encoding fields replaced by
 * "Content-Transfer-Encoding: binary" at its end (as Dovecot rewrites
 * it); the rest is sent as stored with CRLF line breaks. The plan is a
 * list of byte ranges of the message file, each with the filter that
 * turns it into output; reading the file is the caller's job. */
#ifndef LOFT_MAIL_DECODE_H
#define LOFT_MAIL_DECODE_H

#include "lib.h"
#include "str.h"
#include "message-parser.h"

enum mail_cte {
	MAIL_CTE_IDENTITY = 0, /* none, 7bit, 8bit, binary */
	MAIL_CTE_BASE64,
	MAIL_CTE_QP,
};

/* Maps a Content-Transfer-Encoding value (case-insensitive, NULL = none)
 * to a decoder. Returns 0, or -1 for an encoding we cannot decode (IMAP
 * answers "NO [UNKNOWN-CTE]", RFC 3516 section 4.3). */
int mail_cte_parse(const char *value, enum mail_cte *cte_r);

/* Whitespace held back at most while waiting for the end of a
 * quoted-printable line (or, after "=", for a soft line break); a longer
 * run is written out as it is. */
#define MAIL_DECODE_QP_HOLD_MAX 256

enum mail_decoder_qp_state {
	MAIL_DECODER_QP_TEXT = 0,
	MAIL_DECODER_QP_EQ,	/* "=" held */
	MAIL_DECODER_QP_EQ_WS,	/* "=" and blanks (in qp_ws) held */
	MAIL_DECODER_QP_EQ_HEX, /* "=X" held */
	/* "=" [blanks] CR held: a soft break if LF follows */
	MAIL_DECODER_QP_EQ_CR,
	MAIL_DECODER_QP_CR, /* CR held: a line break if LF follows */
};

struct mail_decoder {
	enum mail_cte cte;
	/* base64: the sextets of the group being collected */
	uint32_t b64_bits;
	unsigned int b64_count;
	bool b64_end; /* '=' seen: the rest is ignored */
	/* quoted-printable: the escape being read (qp_hex: the hex digit
	 * after "=", as it came), and the whitespace held until what
	 * follows decides whether it ends a line */
	enum mail_decoder_qp_state qp_state;
	unsigned char qp_hex;
	unsigned char qp_ws[MAIL_DECODE_QP_HOLD_MAX];
	size_t qp_ws_len;
};

/* Largest output of mail_decoder_run() for in_size input bytes, and of
 * mail_decoder_finish() for 0 (the out buffer must have room for this
 * much): each input byte gives at most two (LF as CR LF), plus what was
 * held back before ("=", blanks, CR). */
#define MAIL_DECODE_MAX_OUTPUT(in_size)                                        \
	(2 * (in_size) + MAIL_DECODE_QP_HOLD_MAX + 2)

void mail_decoder_init(struct mail_decoder *dec, enum mail_cte cte);
/* Decodes in[0..in_size) into out, which must have room for
 * MAIL_DECODE_MAX_OUTPUT(in_size) bytes. Returns the bytes written. */
size_t mail_decoder_run(struct mail_decoder *dec, const unsigned char *in,
			size_t in_size, unsigned char *out);
/* Ends the input: writes what was held back (at most
 * MAIL_DECODE_MAX_OUTPUT(0) bytes). Returns the bytes written. */
size_t mail_decoder_finish(struct mail_decoder *dec, unsigned char *out);
/* mail_decoder_run() appending to dest; with last, mail_decoder_finish()
 * too. */
void mail_decoder_run_str(struct mail_decoder *dec, const void *in,
			  size_t in_size, bool last, string_t *dest);

enum mail_binary_step_kind {
	/* bytes as stored, bare LF written as CRLF */
	MAIL_BINARY_STEP_COPY,
	/* a body, decoded (cte is never MAIL_CTE_IDENTITY) */
	MAIL_BINARY_STEP_DECODE,
	/* a header block, its Content-Transfer-Encoding fields left out and
	 * "Content-Transfer-Encoding: binary" added before the empty line
	 * ending it; line breaks as CRLF */
	MAIL_BINARY_STEP_HEADER,
};

struct mail_binary_step {
	enum mail_binary_step_kind kind;
	enum mail_cte cte;
	/* physical range of the message */
	uint64_t offset, size;
};

struct mail_binary_plan {
	const struct mail_binary_step *steps;
	unsigned int count;
	/* some body is decoded: Dovecot then always answers with literal8 */
	bool decodes;
};

/* The steps of BINARY of part: its header too when include_hdr (the whole
 * message: BINARY[]), otherwise its body (BINARY[1.2], BINARY[TEXT] of the
 * message part). Allocated from pool. Returns 0, or -1 when part or a
 * part inside it has a Content-Transfer-Encoding that cannot be decoded
 * (RFC 3516 section 4.3: the server answers NO [UNKNOWN-CTE]). */
int mail_binary_plan(pool_t pool, const struct message_part *part,
		     bool include_hdr, struct mail_binary_plan *plan_r);

/* Header fields whose name is longer than this are never
 * Content-Transfer-Encoding (whitespace before the colon included). */
#define MAIL_BINARY_NAME_MAX 64

enum mail_binary_header_state {
	MAIL_BINARY_HDR_LINE_START = 0,
	MAIL_BINARY_HDR_LINE_START_CR, /* CR at the start of a line */
	MAIL_BINARY_HDR_NAME,	       /* the start of a field, held back */
	MAIL_BINARY_HDR_COPY,	       /* the rest of a line kept */
	MAIL_BINARY_HDR_SKIP,	       /* the rest of a line dropped */
	MAIL_BINARY_HDR_BODY,	       /* after the empty line */
};

/* Turns the bytes of one step into output, through fixed buffers. */
struct mail_binary_filter {
	enum mail_binary_step_kind kind;
	/* COPY and HEADER: a CR is held until we know whether LF follows */
	bool cr_held;
	struct mail_decoder dec;
	/* HEADER */
	enum mail_binary_header_state hdr_state;
	bool skip_field;
	unsigned char name[MAIL_BINARY_NAME_MAX];
	size_t name_len;
};

/* Largest output of mail_binary_filter_run() for in_size input bytes,
 * and of mail_binary_filter_finish() for 0. */
#define MAIL_BINARY_MAX_OUTPUT(in_size)                                        \
	(2 * (in_size) + MAIL_DECODE_QP_HOLD_MAX + 16)

void mail_binary_filter_init(struct mail_binary_filter *filter,
			     const struct mail_binary_step *step);
/* Filters in[0..in_size) into out (room for
 * MAIL_BINARY_MAX_OUTPUT(in_size) bytes). Returns the bytes written. */
size_t mail_binary_filter_run(struct mail_binary_filter *filter,
			      const unsigned char *in, size_t in_size,
			      unsigned char *out);
/* Ends the step's input; returns the bytes written. */
size_t mail_binary_filter_finish(struct mail_binary_filter *filter,
				 unsigned char *out);

#endif
