/* pop3-fetch.h - the byte transformation of RETR and TOP.
 *
 * Turns a message as stored (usually LF line endings) into what POP3 puts
 * on the wire: every line ending becomes CR LF, a line starting with '.'
 * gets one more '.', and the response ends with "." CR LF (after a CR LF
 * when the message did not end with one). For TOP it stops after the
 * header, the empty line and the requested number of body lines.
 *
 * This is a pure, resumable filter: input and output may be cut anywhere
 * (the state carries across calls), so RETR streams a message of any size
 * through fixed buffers. It does no I/O and knows nothing of files or
 * sockets. */
#ifndef LOFT_POP3_FETCH_H
#define LOFT_POP3_FETCH_H

#include "lib.h"

struct pop3_fetch_filter {
	bool top;		  /* stop after body_lines_left reaches 0 */
	bool in_body;		  /* the empty line after the header seen */
	bool done;		  /* TOP's limit reached: ignore the rest */
	unsigned char last;	  /* last byte written ('\n' at start) */
	uint64_t line_len;	  /* non-CR bytes on the current line */
	uint64_t body_lines_left; /* TOP: the blank line + n body lines */
};

/* top=false: RETR (body_lines ignored); top=true: TOP with body_lines. */
void pop3_fetch_filter_init(struct pop3_fetch_filter *filter, bool top,
			    uint64_t body_lines);

/* Transforms in[0..in_size) into out[0..out_size). Each input byte needs
 * at most 2 output bytes; the call stops when fewer than 2 bytes of out
 * are left, when the input is used up, or when TOP's limit is reached
 * (then filter->done is true and further input is ignored: it is counted
 * as used). Returns the number of bytes written to out; *in_used_r is
 * the number of input bytes consumed. */
size_t pop3_fetch_filter_run(struct pop3_fetch_filter *filter,
			     const unsigned char *in, size_t in_size,
			     size_t *in_used_r, unsigned char *out,
			     size_t out_size);

/* The end of the response: CR LF when the last line was not terminated,
 * then "." CR LF. out must have room for POP3_FETCH_FINISH_MAX bytes.
 * Returns the number of bytes written. */
#define POP3_FETCH_FINISH_MAX 5
size_t pop3_fetch_filter_finish(struct pop3_fetch_filter *filter,
				unsigned char *out);

#endif
