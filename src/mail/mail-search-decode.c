/* mail-search-decode.c - encoded words and case folding for SEARCH (see
 * the header). */
#include "mail-search-decode.h"
#include "base64.h"
#include "charset-utf8.h"
#include "mail-decode.h"

#include <strings.h>
#include <unicase.h>
#include <unistr.h>

/* RFC 2047 section 4.2: "Q" encoding. */
static void q_decode(const unsigned char *p, size_t size, string_t *dest)
{
	for (size_t i = 0; i < size; i++) {
		if (p[i] == '_') {
			str_append_c(dest, ' ');
		} else if (p[i] == '=' && i + 2 < size &&
			   hex_digit_value(p[i + 1]) >= 0 &&
			   hex_digit_value(p[i + 2]) >= 0) {
			str_append_c(dest,
				     (char)(hex_digit_value(p[i + 1]) * 16 +
					    hex_digit_value(p[i + 2])));
			i += 2;
		} else {
			str_append_c(dest, (char)p[i]);
		}
	}
}

/* Tries to decode the encoded word at p ("=?charset?E?text?="). Returns
 * its length and appends the UTF-8 text, or returns 0 when p holds no
 * usable encoded word (dest unchanged). */
static size_t encoded_word_decode(const unsigned char *p, size_t size,
				  string_t *dest)
{
	char charset[64];
	size_t i = 2, cs_start = 2;

	if (size < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	while (i < size && p[i] != '?' && p[i] > ' ' && p[i] < 0x7f)
		i++;
	if (i >= size || p[i] != '?' || i == cs_start ||
	    i - cs_start >= sizeof(charset))
		return 0;
	memcpy(charset, p + cs_start, i - cs_start);
	charset[i - cs_start] = '\0';
	/* RFC 2231 section 5: charset*language */
	char *star = strchr(charset, '*');
	if (star != NULL)
		*star = '\0';
	i++;
	if (i + 2 >= size || p[i + 1] != '?')
		return 0;
	unsigned char enc = p[i];
	if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q')
		return 0;
	size_t text_start = i + 2, end = text_start;
	while (end + 1 < size && !(p[end] == '?' && p[end + 1] == '=')) {
		if (p[end] == ' ' || p[end] == '\t' || p[end] == '\n')
			return 0;
		end++;
	}
	if (end + 1 >= size)
		return 0;

	string_t *raw = str_new(NULL, end - text_start + 8);
	if (enc == 'B' || enc == 'b') {
		struct mail_decoder dec;
		mail_decoder_init(&dec, MAIL_CTE_BASE64);
		mail_decoder_run_str(&dec, p + text_start, end - text_start,
				     true, raw);
	} else {
		q_decode(p + text_start, end - text_start, raw);
	}
	bool ok =
	    charset_to_utf8_str(charset, str_data(raw), str_len(raw), dest);
	str_free(&raw);
	return ok ? end + 2 : 0;
}

void mail_header_decode_utf8(const unsigned char *value, size_t size,
			     string_t *dest)
{
	/* where the blanks after the last encoded word began in dest, or
	 * SIZE_MAX when something else came after it */
	size_t blanks_start = SIZE_MAX;
	size_t i = 0;

	while (i < size) {
		unsigned char c = value[i];

		if (c != '=' && c != '\r' && c != '\n' && c != '\0') {
			/* a run of plain bytes, copied at once */
			size_t end = i + 1;
			bool blanks_only = c == ' ' || c == '\t';

			while (end < size && value[end] != '=' &&
			       value[end] != '\r' && value[end] != '\n' &&
			       value[end] != '\0') {
				if (value[end] != ' ' && value[end] != '\t')
					blanks_only = false;
				end++;
			}
			if (!blanks_only)
				blanks_start = SIZE_MAX;
			str_append_n(dest, value + i, end - i);
			i = end;
			continue;
		}
		if (c == '=' && i + 1 < size && value[i + 1] == '?') {
			size_t mark = str_len(dest);
			size_t n =
			    encoded_word_decode(value + i, size - i, dest);
			if (n > 0) {
				if (blanks_start != SIZE_MAX) {
					/* RFC 2047 section 6.2: blanks
					 * between two encoded words go */
					str_delete(dest, blanks_start,
						   mark - blanks_start);
				}
				blanks_start = str_len(dest);
				i += n;
				continue;
			}
		}
		if (c == '\r' || c == '\n') {
			i++;
			continue;
		}
		if (c != ' ' && c != '\t')
			blanks_start = SIZE_MAX;
		str_append_c(dest, c == '\0' ? ' ' : (char)c);
		i++;
	}
}

/* Length of the UTF-8 sequence a lead byte announces, 0 if invalid. */
static unsigned int utf8_seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* Folds one complete-or-invalid sequence at p (n bytes available);
 * returns the bytes used. */
static size_t fold_one(const unsigned char *p, size_t n, string_t *dest)
{
	ucs4_t uc;
	int len = u8_mbtoucr(&uc, p, n);

	if (len <= 0) {
		str_append_c(dest, (char)p[0]);
		return 1;
	}
	uint8_t buf[8];
	int out = u8_uctomb(buf, uc_tolower(uc), sizeof(buf));
	if (out > 0)
		str_append_n(dest, buf, (size_t)out);
	else
		str_append_n(dest, p, (size_t)len);
	return (size_t)len;
}

void mail_fold_utf8(struct mail_fold_state *state, const void *data,
		    size_t size, bool last, string_t *dest)
{
	const unsigned char *p = data;
	size_t i = 0;

	if (state != NULL && state->partial_len > 0) {
		unsigned int need = utf8_seq_len(state->partial[0]);
		while (state->partial_len < need && i < size &&
		       (p[i] & 0xc0) == 0x80)
			state->partial[state->partial_len++] = p[i++];
		if (state->partial_len < need && i == size && !last)
			return;
		size_t used = 0;
		while (used < state->partial_len)
			used += fold_one(state->partial + used,
					 state->partial_len - used, dest);
		state->partial_len = 0;
	}
	while (i < size) {
		unsigned char c = p[i];
		if (c < 0x80) {
			/* ASCII runs, the common case: folded straight into
			 * the string's buffer */
			size_t end = i + 1;
			for (;;) {
				uint64_t w;

				if (end + 8 > size)
					break;
				memcpy(&w, p + end, 8);
				if ((w & 0x8080808080808080ULL) != 0)
					break;
				end += 8;
			}
			while (end < size && p[end] < 0x80)
				end++;
			unsigned char *out = str_reserve(dest, end - i);
			size_t j = i;
			/* eight bytes at a time: each byte in 'A'..'Z' gets
			 * 0x20 added (no carries: every byte is < 0x80) */
			for (; j + 8 <= end; j += 8) {
				uint64_t w, ge_a, gt_z;

				memcpy(&w, p + j, 8);
				ge_a = w + 0x3f3f3f3f3f3f3f3fULL;
				gt_z = w + 0x2525252525252525ULL;
				w |= ((ge_a & ~gt_z) & 0x8080808080808080ULL) >>
				     2;
				memcpy(out + (j - i), &w, 8);
			}
			for (; j < end; j++) {
				unsigned char b = p[j];
				out[j - i] =
				    (unsigned char)((unsigned)(b - 'A') < 26u
							? b + 32
							: b);
			}
			str_commit(dest, end - i);
			i = end;
			continue;
		}
		unsigned int need = utf8_seq_len(c);
		if (need > 1 && size - i < need && state != NULL && !last) {
			/* possibly cut by the chunk end */
			bool cont = true;
			for (size_t j = i + 1; j < size; j++)
				cont = cont && (p[j] & 0xc0) == 0x80;
			if (cont) {
				memcpy(state->partial, p + i, size - i);
				state->partial_len = size - i;
				return;
			}
		}
		i += fold_one(p + i, size - i, dest);
	}
}
