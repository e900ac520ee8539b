/* pop3-fetch.c - LF to CR LF conversion, dot-stuffing and TOP's line
 * limit as a resumable byte filter (see pop3-fetch.h). No I/O here. */
#include "lib.h"
#include "pop3-fetch.h"

void pop3_fetch_filter_init(struct pop3_fetch_filter *filter, bool top,
			    uint64_t body_lines)
{
	memset(filter, 0, sizeof(*filter));
	filter->top = top;
	filter->last = '\n';
	/* the empty line between header and body counts as the first */
	filter->body_lines_left =
	    body_lines == UINT64_MAX ? UINT64_MAX : body_lines + 1;
}

/* RETR: the whole message, so only line ends and leading dots matter.
 * Runs of bytes up to the next LF are found with memchr() and copied in
 * one go; the per-byte work is left to the line ends. */
static size_t filter_run_retr(struct pop3_fetch_filter *filter,
			      const unsigned char *in, size_t in_size,
			      size_t *in_used_r, unsigned char *out,
			      size_t out_size)
{
	unsigned char last = filter->last;
	size_t i = 0, o = 0;

	while (i < in_size && out_size - o >= 2) {
		const unsigned char *lf;
		size_t n;

		if (in[i] == '\n') {
			if (last != '\r')
				out[o++] = '\r';
			out[o++] = '\n';
			last = '\n';
			i++;
			continue;
		}
		if (last == '\n' && in[i] == '.') {
			out[o++] = '.';
			out[o++] = '.';
			last = '.';
			i++;
			continue;
		}
		/* in[i] starts a run of plain bytes that ends before the
		 * next LF (or the end of the input or output room) */
		n = MIN_OF(in_size - i, out_size - o);
		lf = memchr(in + i, '\n', n);
		if (lf != NULL)
			n = (size_t)(lf - (in + i));
		memcpy(out + o, in + i, n);
		o += n;
		i += n;
		last = in[i - 1];
	}
	filter->last = last;
	*in_used_r = i;
	return o;
}

/* TOP: byte by byte, counting the header's end and the body lines. */
static size_t filter_run_top(struct pop3_fetch_filter *filter,
			     const unsigned char *in, size_t in_size,
			     size_t *in_used_r, unsigned char *out,
			     size_t out_size)
{
	size_t i = 0, o = 0;

	for (; i < in_size && out_size - o >= 2; i++) {
		unsigned char c = in[i];

		if (c == '\n') {
			if (filter->last != '\r')
				out[o++] = '\r';
			out[o++] = '\n';
			filter->last = '\n';
			if (!filter->in_body && filter->line_len == 0)
				filter->in_body = true;
			filter->line_len = 0;
			if (filter->in_body && --filter->body_lines_left == 0) {
				filter->done = true;
				*in_used_r = in_size;
				return o;
			}
			continue;
		}
		if (c == '.' && filter->last == '\n')
			out[o++] = '.';
		out[o++] = c;
		filter->last = c;
		if (c != '\r')
			filter->line_len++;
	}
	*in_used_r = i;
	return o;
}

size_t pop3_fetch_filter_run(struct pop3_fetch_filter *filter,
			     const unsigned char *in, size_t in_size,
			     size_t *in_used_r, unsigned char *out,
			     size_t out_size)
{
	if (filter->done) {
		*in_used_r = in_size;
		return 0;
	}
	if (!filter->top)
		return filter_run_retr(filter, in, in_size, in_used_r, out,
				       out_size);
	return filter_run_top(filter, in, in_size, in_used_r, out, out_size);
}

size_t pop3_fetch_filter_finish(struct pop3_fetch_filter *filter,
				unsigned char *out)
{
	size_t o = 0;

	if (filter->last != '\n') {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	out[o++] = '.';
	out[o++] = '\r';
	out[o++] = '\n';
	filter->last = '\n';
	return o;
}
