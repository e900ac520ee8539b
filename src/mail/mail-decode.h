/* mail-decode.h - Content-Transfer-Encoding decoders (RFC 2045 section 6)
 * for IMAP BINARY (RFC 3516): base64 and quoted-printable, as resumable
 * byte filters.
 *
 * Input and output may be cut anywhere; the decoder carries its state
 * between calls, so a part of any size is decoded through fixed buffers.
 * Decoding is lenient as mail readers are: base64 ignores characters
 * outside its alphabet and stops at '=' padding; quoted-printable keeps
 * an '=' that is not followed by two hex digits or a line break, and drops
 * the whitespace that ends an encoded line (RFC 2045 section 6.7 rule 3).
 * Line breaks of quoted-printable text are written as CR LF.
 *
 * No I/O, no charsets. The identity encodings (7bit, 8bit, binary) need
 * no decoder: mail_cte_parse() says so. */
#ifndef LOFT_MAIL_DECODE_H
#define LOFT_MAIL_DECODE_H

#include "lib.h"

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
 * quoted-printable line; a longer run is written out as it is. */
#define MAIL_DECODE_QP_HOLD_MAX 256

enum mail_decoder_qp_state {
	MAIL_DECODER_QP_TEXT = 0,
	MAIL_DECODER_QP_EQ,	/* "=" held */
	MAIL_DECODER_QP_EQ_HEX, /* "=X" held */
	MAIL_DECODER_QP_EQ_CR,	/* "=" CR held: a soft break if LF follows */
	MAIL_DECODER_QP_CR,	/* CR held: a line break if LF follows */
};

struct mail_decoder {
	enum mail_cte cte;
	/* base64: the sextets of the group being collected */
	uint32_t b64_bits;
	unsigned int b64_count;
	bool b64_end; /* '=' seen: the rest is ignored */
	/* quoted-printable: the escape being read, and the whitespace
	 * held until what follows decides whether it ends a line */
	enum mail_decoder_qp_state qp_state;
	unsigned char qp_hex;
	unsigned char qp_ws[MAIL_DECODE_QP_HOLD_MAX];
	size_t qp_ws_len;
};

/* Largest output of mail_decoder_run() for in_size input bytes (the
 * out buffer must have room for this much). */
#define MAIL_DECODE_MAX_OUTPUT(in_size)                                        \
	((in_size) + MAIL_DECODE_QP_HOLD_MAX + 2)

void mail_decoder_init(struct mail_decoder *dec, enum mail_cte cte);
/* Decodes in[0..in_size) into out, which must have room for
 * MAIL_DECODE_MAX_OUTPUT(in_size) bytes. Returns the bytes written. */
size_t mail_decoder_run(struct mail_decoder *dec, const unsigned char *in,
			size_t in_size, unsigned char *out);
/* Ends the input: writes what was held back (at most
 * MAIL_DECODE_QP_HOLD_MAX + 2 bytes). Returns the bytes written. */
size_t mail_decoder_finish(struct mail_decoder *dec, unsigned char *out);

#endif
