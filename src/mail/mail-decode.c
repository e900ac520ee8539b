/* mail-decode.c - base64 and quoted-printable decoding as resumable byte
 * filters (see mail-decode.h). */
#include "mail-decode.h"

#include <strings.h>

#include "array.h"
#include "base64.h"
#include "message-part-data.h"

int mail_cte_parse(const char *value, enum mail_cte *cte_r)
{
	if (value == NULL || value[0] == '\0' ||
	    strcasecmp(value, "7bit") == 0 || strcasecmp(value, "8bit") == 0 ||
	    strcasecmp(value, "binary") == 0) {
		*cte_r = MAIL_CTE_IDENTITY;
		return 0;
	}
	if (strcasecmp(value, "base64") == 0) {
		*cte_r = MAIL_CTE_BASE64;
		return 0;
	}
	if (strcasecmp(value, "quoted-printable") == 0) {
		*cte_r = MAIL_CTE_QP;
		return 0;
	}
	return -1;
}

void mail_decoder_init(struct mail_decoder *dec, enum mail_cte cte)
{
	memset(dec, 0, sizeof(*dec));
	dec->cte = cte;
}

/* Writes the whole bytes of a group that ended early (padding or end of
 * input): 2 sextets give 1 byte, 3 give 2. */
static size_t b64_flush_partial(struct mail_decoder *dec, unsigned char *out)
{
	size_t o = 0;

	if (dec->b64_count == 2) {
		out[o++] = (unsigned char)(dec->b64_bits >> 4);
	} else if (dec->b64_count == 3) {
		out[o++] = (unsigned char)(dec->b64_bits >> 10);
		out[o++] = (unsigned char)(dec->b64_bits >> 2);
	}
	dec->b64_count = 0;
	dec->b64_bits = 0;
	return o;
}

static size_t b64_run(struct mail_decoder *dec, const unsigned char *in,
		      size_t in_size, unsigned char *out)
{
	size_t i, o = 0;

	for (i = 0; i < in_size && !dec->b64_end; i++) {
		int v;

		if (in[i] == '=') {
			o += b64_flush_partial(dec, out + o);
			dec->b64_end = true;
			break;
		}
		v = base64_char_value(in[i]);
		if (v < 0)
			continue; /* line breaks and junk */
		dec->b64_bits = (dec->b64_bits << 6) | (uint32_t)v;
		if (++dec->b64_count == 4) {
			out[o++] = (unsigned char)(dec->b64_bits >> 16);
			out[o++] = (unsigned char)(dec->b64_bits >> 8);
			out[o++] = (unsigned char)dec->b64_bits;
			dec->b64_count = 0;
			dec->b64_bits = 0;
		}
	}
	return o;
}

static size_t qp_flush_ws(struct mail_decoder *dec, unsigned char *out)
{
	size_t n = dec->qp_ws_len;

	memcpy(out, dec->qp_ws, n);
	dec->qp_ws_len = 0;
	return n;
}

/* One byte in the text state. */
static size_t qp_text(struct mail_decoder *dec, unsigned char c,
		      unsigned char *out)
{
	size_t o = 0;

	switch (c) {
	case ' ':
	case '\t':
		if (dec->qp_ws_len == sizeof(dec->qp_ws))
			o += qp_flush_ws(dec, out);
		dec->qp_ws[dec->qp_ws_len++] = c;
		return o;
	case '\r':
		/* RFC 2045 section 6.7 rule 3: whitespace at the end of
		 * an encoded line is not part of the text */
		dec->qp_ws_len = 0;
		dec->qp_state = MAIL_DECODER_QP_CR;
		return 0;
	case '\n':
		dec->qp_ws_len = 0;
		out[o++] = '\r';
		out[o++] = '\n';
		return o;
	case '=':
		o += qp_flush_ws(dec, out);
		dec->qp_state = MAIL_DECODER_QP_EQ;
		return o;
	default:
		o += qp_flush_ws(dec, out);
		out[o++] = c;
		return o;
	}
}

/* What followed "=" (and the blanks held after it) was no escape: the
 * "=" and the blanks are text, and c is read as text. */
static size_t qp_not_escape(struct mail_decoder *dec, unsigned char c,
			    unsigned char *out)
{
	size_t o = 0;

	out[o++] = '=';
	o += qp_flush_ws(dec, out + o);
	dec->qp_state = MAIL_DECODER_QP_TEXT;
	return o + qp_text(dec, c, out + o);
}

static size_t qp_run(struct mail_decoder *dec, const unsigned char *in,
		     size_t in_size, unsigned char *out)
{
	size_t i = 0, o = 0;

	while (i < in_size) {
		unsigned char c = in[i];

		switch (dec->qp_state) {
		case MAIL_DECODER_QP_TEXT: {
			/* a run of plain bytes is copied at once */
			size_t n = 0;

			while (i + n < in_size && in[i + n] != '=' &&
			       in[i + n] != ' ' && in[i + n] != '\t' &&
			       in[i + n] != '\r' && in[i + n] != '\n')
				n++;
			if (n > 0) {
				o += qp_flush_ws(dec, out + o);
				memcpy(out + o, in + i, n);
				o += n;
				i += n;
				continue;
			}
			o += qp_text(dec, c, out + o);
			break;
		}
		case MAIL_DECODER_QP_EQ:
			if (hex_digit_value(c) >= 0) {
				dec->qp_hex = c;
				dec->qp_state = MAIL_DECODER_QP_EQ_HEX;
			} else if (c == '\r') {
				dec->qp_state = MAIL_DECODER_QP_EQ_CR;
			} else if (c == '\n') {
				/* soft line break (rule 5) */
				dec->qp_state = MAIL_DECODER_QP_TEXT;
			} else if (c == ' ' || c == '\t') {
				/* blanks may come before a soft line
				 * break (rule 3) */
				dec->qp_ws[dec->qp_ws_len++] = c;
				dec->qp_state = MAIL_DECODER_QP_EQ_WS;
			} else {
				/* not an escape: kept as it is */
				o += qp_not_escape(dec, c, out + o);
			}
			break;
		case MAIL_DECODER_QP_EQ_WS:
			if ((c == ' ' || c == '\t') &&
			    dec->qp_ws_len < sizeof(dec->qp_ws)) {
				dec->qp_ws[dec->qp_ws_len++] = c;
			} else if (c == '\r') {
				dec->qp_state = MAIL_DECODER_QP_EQ_CR;
			} else if (c == '\n') {
				dec->qp_ws_len = 0;
				dec->qp_state = MAIL_DECODER_QP_TEXT;
			} else {
				o += qp_not_escape(dec, c, out + o);
			}
			break;
		case MAIL_DECODER_QP_EQ_HEX: {
			int hi = hex_digit_value(dec->qp_hex);
			int lo = hex_digit_value(c);

			dec->qp_state = MAIL_DECODER_QP_TEXT;
			if (lo >= 0) {
				out[o++] = (unsigned char)((hi << 4) | lo);
			} else {
				out[o++] = '=';
				out[o++] = dec->qp_hex;
				o += qp_text(dec, c, out + o);
			}
			break;
		}
		case MAIL_DECODER_QP_EQ_CR:
			if (c == '\n') {
				/* soft line break, maybe after blanks */
				dec->qp_ws_len = 0;
				dec->qp_state = MAIL_DECODER_QP_TEXT;
			} else {
				out[o++] = '=';
				o += qp_flush_ws(dec, out + o);
				out[o++] = '\r';
				dec->qp_state = MAIL_DECODER_QP_TEXT;
				o += qp_text(dec, c, out + o);
			}
			break;
		case MAIL_DECODER_QP_CR:
			dec->qp_state = MAIL_DECODER_QP_TEXT;
			out[o++] = '\r';
			if (c == '\n')
				out[o++] = '\n';
			else
				o += qp_text(dec, c, out + o);
			break;
		}
		i++;
	}
	return o;
}

size_t mail_decoder_run(struct mail_decoder *dec, const unsigned char *in,
			size_t in_size, unsigned char *out)
{
	switch (dec->cte) {
	case MAIL_CTE_BASE64:
		return b64_run(dec, in, in_size, out);
	case MAIL_CTE_QP:
		return qp_run(dec, in, in_size, out);
	case MAIL_CTE_IDENTITY:
		break;
	}
	memcpy(out, in, in_size);
	return in_size;
}

size_t mail_decoder_finish(struct mail_decoder *dec, unsigned char *out)
{
	size_t o = 0;

	switch (dec->cte) {
	case MAIL_CTE_BASE64:
		if (!dec->b64_end)
			o = b64_flush_partial(dec, out);
		dec->b64_end = true;
		break;
	case MAIL_CTE_QP:
		/* trailing whitespace ends the last line: dropped */
		dec->qp_ws_len = 0;
		switch (dec->qp_state) {
		case MAIL_DECODER_QP_TEXT:
			break;
		case MAIL_DECODER_QP_EQ:
		case MAIL_DECODER_QP_EQ_WS:
			out[o++] = '=';
			break;
		case MAIL_DECODER_QP_EQ_HEX:
			out[o++] = '=';
			out[o++] = dec->qp_hex;
			break;
		case MAIL_DECODER_QP_EQ_CR:
			break;
		case MAIL_DECODER_QP_CR:
			out[o++] = '\r';
			break;
		}
		dec->qp_state = MAIL_DECODER_QP_TEXT;
		break;
	case MAIL_CTE_IDENTITY:
		break;
	}
	return o;
}

void mail_decoder_run_str(struct mail_decoder *dec, const void *in,
			  size_t in_size, bool last, string_t *dest)
{
	unsigned char *out;
	size_t n;

	out = str_reserve(dest, MAIL_DECODE_MAX_OUTPUT(in_size));
	n = mail_decoder_run(dec, in, in_size, out);
	if (last)
		n += mail_decoder_finish(dec, out + n);
	str_commit(dest, n);
}

/* ---------------------------------------------------------- BINARY --- */

static const char binary_cte_line[] = "Content-Transfer-Encoding: binary\r\n";
static const char cte_name[] = "content-transfer-encoding";

struct binary_steps {
	ARRAY(struct mail_binary_step) arr;
};

static void plan_add(struct binary_steps *bs, enum mail_binary_step_kind kind,
		     enum mail_cte cte, uint64_t offset, uint64_t end)
{
	struct mail_binary_step *step;

	if (end <= offset)
		return;
	if (kind == MAIL_BINARY_STEP_COPY && bs->arr.count > 0) {
		step = &bs->arr.items[bs->arr.count - 1];
		if (step->kind == MAIL_BINARY_STEP_COPY &&
		    step->offset + step->size == offset) {
			step->size += end - offset;
			return;
		}
	}
	step = array_append_space(&bs->arr);
	step->kind = kind;
	step->cte = cte;
	step->offset = offset;
	step->size = end - offset;
}

/* RFC 3516 section 4.2: the part's header (when wanted) and its content
 * with every body inside decoded. Returns -1 on an unknown encoding. */
static int plan_part(struct binary_steps *steps,
		     const struct message_part *part, bool include_hdr,
		     bool *decodes)
{
	uint64_t body = part->physical_pos + part->header_size.physical_size;
	uint64_t end = body + part->body_size.physical_size;
	enum mail_cte cte;

	if (mail_cte_parse(part->data == NULL
			       ? NULL
			       : part->data->content_transfer_encoding,
			   &cte) < 0)
		return -1;
	if (include_hdr) {
		plan_add(steps,
			 cte == MAIL_CTE_IDENTITY ? MAIL_BINARY_STEP_COPY
						  : MAIL_BINARY_STEP_HEADER,
			 cte, part->physical_pos, body);
	}
	if (part->children != NULL) {
		/* multipart or message/rfc822: what lies between the parts
		 * (boundaries, preamble, epilogue) is copied */
		uint64_t pos = body;

		for (const struct message_part *child = part->children;
		     child != NULL; child = child->next) {
			plan_add(steps, MAIL_BINARY_STEP_COPY,
				 MAIL_CTE_IDENTITY, pos, child->physical_pos);
			if (plan_part(steps, child, true, decodes) < 0)
				return -1;
			pos = child->physical_pos +
			      child->header_size.physical_size +
			      child->body_size.physical_size;
		}
		plan_add(steps, MAIL_BINARY_STEP_COPY, MAIL_CTE_IDENTITY, pos,
			 end);
	} else if (cte == MAIL_CTE_IDENTITY) {
		plan_add(steps, MAIL_BINARY_STEP_COPY, cte, body, end);
	} else if (end > body) {
		plan_add(steps, MAIL_BINARY_STEP_DECODE, cte, body, end);
		*decodes = true;
	}
	return 0;
}

int mail_binary_plan(pool_t pool, const struct message_part *part,
		     bool include_hdr, struct mail_binary_plan *plan_r)
{
	struct binary_steps steps;

	memset(plan_r, 0, sizeof(*plan_r));
	array_init(&steps.arr, pool, 4);
	if (plan_part(&steps, part, include_hdr, &plan_r->decodes) < 0)
		return -1;
	plan_r->steps = steps.arr.items;
	plan_r->count = steps.arr.count;
	return 0;
}

void mail_binary_filter_init(struct mail_binary_filter *filter,
			     const struct mail_binary_step *step)
{
	memset(filter, 0, sizeof(*filter));
	filter->kind = step->kind;
	if (step->kind == MAIL_BINARY_STEP_DECODE)
		mail_decoder_init(&filter->dec, step->cte);
}

/* One byte of a line written with CRLF line breaks: a CR is held until
 * the next byte shows whether it starts the line break. Returns the
 * bytes written and sets *eol when the line ended. */
static size_t crlf_byte(struct mail_binary_filter *f, unsigned char c,
			unsigned char *out, bool *eol)
{
	size_t o = 0;

	*eol = false;
	if (f->cr_held) {
		f->cr_held = false;
		if (c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			*eol = true;
			return o;
		}
		out[o++] = '\r';
	}
	if (c == '\r') {
		f->cr_held = true;
	} else if (c == '\n') {
		out[o++] = '\r';
		out[o++] = '\n';
		*eol = true;
	} else {
		out[o++] = c;
	}
	return o;
}

/* Whether the held field start can still be "Content-Transfer-Encoding"
 * followed by whitespace. */
static bool name_may_be_cte(const struct mail_binary_filter *f)
{
	size_t n = sizeof(cte_name) - 1;

	for (size_t i = 0; i < f->name_len; i++) {
		unsigned char c = f->name[i];

		if (i < n) {
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			if (c != (unsigned char)cte_name[i])
				return false;
		} else if (c != ' ' && c != '\t') {
			return false;
		}
	}
	return true;
}

/* Writes the held field start out and goes on copying the line. */
static size_t name_flush(struct mail_binary_filter *f, unsigned char *out)
{
	size_t o = 0;
	bool eol;

	f->hdr_state = MAIL_BINARY_HDR_COPY;
	for (size_t i = 0; i < f->name_len; i++)
		o += crlf_byte(f, f->name[i], out + o, &eol);
	f->name_len = 0;
	return o;
}

static size_t header_byte(struct mail_binary_filter *f, unsigned char c,
			  unsigned char *out)
{
	size_t o = 0;
	bool eol;

	switch (f->hdr_state) {
	case MAIL_BINARY_HDR_LINE_START:
		if (c == '\r') {
			f->hdr_state = MAIL_BINARY_HDR_LINE_START_CR;
			return 0;
		}
		if (c == '\n')
			break; /* the empty line */
		if (c == ' ' || c == '\t') {
			/* a continuation line goes with its field */
			if (f->skip_field) {
				f->hdr_state = MAIL_BINARY_HDR_SKIP;
				return 0;
			}
			f->hdr_state = MAIL_BINARY_HDR_COPY;
			return crlf_byte(f, c, out, &eol);
		}
		f->skip_field = false;
		f->hdr_state = MAIL_BINARY_HDR_NAME;
		f->name_len = 0;
		return header_byte(f, c, out);
	case MAIL_BINARY_HDR_LINE_START_CR:
		if (c == '\n')
			break; /* the empty line, CRLF */
		f->skip_field = false;
		f->hdr_state = MAIL_BINARY_HDR_NAME;
		f->name[0] = '\r';
		f->name_len = 1;
		o = name_flush(f, out);
		return o + header_byte(f, c, out + o);
	case MAIL_BINARY_HDR_NAME:
		if (c == ':' && f->name_len >= sizeof(cte_name) - 1 &&
		    name_may_be_cte(f)) {
			/* dropped with its continuation lines */
			f->skip_field = true;
			f->hdr_state = MAIL_BINARY_HDR_SKIP;
			f->name_len = 0;
			return 0;
		}
		if (c == ':' || c == '\r' || c == '\n' ||
		    f->name_len == sizeof(f->name)) {
			o = name_flush(f, out);
			return o + header_byte(f, c, out + o);
		}
		f->name[f->name_len++] = c;
		return name_may_be_cte(f) ? 0 : name_flush(f, out);
	case MAIL_BINARY_HDR_COPY:
		o = crlf_byte(f, c, out, &eol);
		if (eol)
			f->hdr_state = MAIL_BINARY_HDR_LINE_START;
		return o;
	case MAIL_BINARY_HDR_SKIP:
		if (c == '\n')
			f->hdr_state = MAIL_BINARY_HDR_LINE_START;
		return 0;
	case MAIL_BINARY_HDR_BODY:
		/* nothing follows the empty line in a header range */
		return crlf_byte(f, c, out, &eol);
	}
	/* the empty line ending the header */
	memcpy(out, binary_cte_line, sizeof(binary_cte_line) - 1);
	o = sizeof(binary_cte_line) - 1;
	out[o++] = '\r';
	out[o++] = '\n';
	f->hdr_state = MAIL_BINARY_HDR_BODY;
	return o;
}

size_t mail_binary_filter_run(struct mail_binary_filter *filter,
			      const unsigned char *in, size_t in_size,
			      unsigned char *out)
{
	size_t o = 0;
	bool eol;

	switch (filter->kind) {
	case MAIL_BINARY_STEP_DECODE:
		return mail_decoder_run(&filter->dec, in, in_size, out);
	case MAIL_BINARY_STEP_COPY:
		for (size_t i = 0; i < in_size; i++)
			o += crlf_byte(filter, in[i], out + o, &eol);
		return o;
	case MAIL_BINARY_STEP_HEADER:
		for (size_t i = 0; i < in_size; i++)
			o += header_byte(filter, in[i], out + o);
		return o;
	}
	i_unreached();
}

size_t mail_binary_filter_finish(struct mail_binary_filter *filter,
				 unsigned char *out)
{
	size_t o = 0;

	if (filter->kind == MAIL_BINARY_STEP_DECODE)
		return mail_decoder_finish(&filter->dec, out);
	if (filter->kind == MAIL_BINARY_STEP_HEADER &&
	    filter->hdr_state == MAIL_BINARY_HDR_NAME)
		o = name_flush(filter, out);
	else if (filter->kind == MAIL_BINARY_STEP_HEADER &&
		 filter->hdr_state == MAIL_BINARY_HDR_LINE_START_CR)
		filter->cr_held = true;
	if (filter->cr_held) {
		out[o++] = '\r';
		filter->cr_held = false;
	}
	return o;
}
