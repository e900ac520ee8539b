/* mail-decode.c - base64 and quoted-printable decoding as resumable byte
 * filters (see mail-decode.h). */
#include "mail-decode.h"

#include <strings.h>

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

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
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
		v = b64_value(in[i]);
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

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
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

static size_t qp_run(struct mail_decoder *dec, const unsigned char *in,
		     size_t in_size, unsigned char *out)
{
	size_t i, o = 0;

	for (i = 0; i < in_size; i++) {
		unsigned char c = in[i];
		int v;

		switch (dec->qp_state) {
		case MAIL_DECODER_QP_TEXT:
			o += qp_text(dec, c, out + o);
			break;
		case MAIL_DECODER_QP_EQ:
			v = hex_value(c);
			if (v >= 0) {
				dec->qp_hex = (unsigned char)v;
				dec->qp_state = MAIL_DECODER_QP_EQ_HEX;
			} else if (c == '\r') {
				dec->qp_state = MAIL_DECODER_QP_EQ_CR;
			} else if (c == '\n') {
				/* soft line break (rule 5) */
				dec->qp_state = MAIL_DECODER_QP_TEXT;
			} else {
				/* not an escape: keep the '=' as it is */
				out[o++] = '=';
				dec->qp_state = MAIL_DECODER_QP_TEXT;
				o += qp_text(dec, c, out + o);
			}
			break;
		case MAIL_DECODER_QP_EQ_HEX:
			v = hex_value(c);
			dec->qp_state = MAIL_DECODER_QP_TEXT;
			if (v >= 0) {
				out[o++] =
				    (unsigned char)((dec->qp_hex << 4) | v);
			} else {
				out[o++] = '=';
				out[o++] = "0123456789ABCDEF"[dec->qp_hex];
				o += qp_text(dec, c, out + o);
			}
			break;
		case MAIL_DECODER_QP_EQ_CR:
			dec->qp_state = MAIL_DECODER_QP_TEXT;
			if (c != '\n') {
				out[o++] = '=';
				out[o++] = '\r';
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
			out[o++] = '=';
			break;
		case MAIL_DECODER_QP_EQ_HEX:
			out[o++] = '=';
			out[o++] = "0123456789ABCDEF"[dec->qp_hex];
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
