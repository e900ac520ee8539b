/* crlf.h - LF to CR LF conversion as a resumable byte filter, for sending
 * Maildir files (stored with bare LF line ends) in IMAP literals: FETCH
 * BODY[], RFC822 and the other sections that are counted and sent with CR
 * LF line ends (RFC 3501 section 2.1, RFC 9051 section 2.1). A CR LF that
 * is already there stays as it is; a bare CR is left alone. Optionally
 * NULs become 0x80, as Dovecot sends them in a literal that is not a
 * literal8 (RFC 3516 section 4.2: only BINARY may carry NULs).
 *
 * Blocks of bytes are compared and copied with vector instructions on
 * x86-64 (a few per 70-byte line), elsewhere runs between line ends are
 * found with memchr() and copied in one go. No I/O, no
 * allocation: the caller owns both buffers. It does not do POP3's
 * dot-stuffing (pop3-fetch.h) nor decode anything (mail-decode.h). */
#ifndef LOFT_CRLF_H
#define LOFT_CRLF_H

#include "lib.h"

struct crlf_filter {
	/* the last byte written was CR (a following LF gets none) */
	bool last_cr;
	bool replace_nuls;
};

/* Starts a conversion at the beginning of a line. */
void crlf_filter_init(struct crlf_filter *filter, bool replace_nuls);

/* Converts bytes of in into out. Stops when in is used up or out has no
 * room left for the next byte (an LF needs two). Returns the number of
 * bytes written to out, *in_used_r the number taken from in. With
 * out_size >= 2 and in_size > 0 at least one input byte is taken. */
size_t crlf_filter_run(struct crlf_filter *filter, const unsigned char *in,
		       size_t in_size, size_t *in_used_r, unsigned char *out,
		       size_t out_size);

/* For tests: the vector code used at most, 0 none (as on CPUs other than
 * x86-64), 1 SSE2, 2 AVX2 (when the CPU has it; the default is the best
 * it has). All give the same bytes. */
void crlf_filter_set_vector_level(unsigned int max_level);

/* The most output in_size bytes can give. */
#define CRLF_MAX_OUTPUT(in_size) (2 * (in_size))

#endif
