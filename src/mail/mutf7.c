/* mutf7.c - modified UTF-7 (RFC 3501 section 5.1.3) and UTF-8.
 *
 * Modified UTF-7 writes printable US-ASCII as itself ("&" as "&-") and
 * everything else as "&" + modified base64 (',' for '/', no padding) of
 * its UTF-16BE form + "-". */
#include "lib.h"
#include "base64.h"
#include "mutf7.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Modified base64: lib/base64.h's values with ',' in the place of '/'. */
static int b64_value(unsigned char c)
{
	if (c == ',')
		return 63;
	if (c == '/')
		return -1;
	return base64_char_value(c);
}

int mail_utf8_get_char(const unsigned char *data, size_t size, uint32_t *chr_r)
{
	uint32_t chr, min;
	int len;

	if (size == 0)
		return -1;
	if (data[0] < 0x80) {
		*chr_r = data[0];
		return 1;
	}
	if ((data[0] & 0xe0) == 0xc0) {
		len = 2;
		chr = data[0] & 0x1f;
		min = 0x80;
	} else if ((data[0] & 0xf0) == 0xe0) {
		len = 3;
		chr = data[0] & 0x0f;
		min = 0x800;
	} else if ((data[0] & 0xf8) == 0xf0) {
		len = 4;
		chr = data[0] & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (size < (size_t)len)
		return -1;
	for (int i = 1; i < len; i++) {
		if ((data[i] & 0xc0) != 0x80)
			return -1;
		chr = (chr << 6) | (data[i] & 0x3f);
	}
	/* RFC 3629 section 3: overlong forms, surrogates, > U+10FFFF */
	if (chr < min || chr > 0x10ffff || (chr >= 0xd800 && chr <= 0xdfff))
		return -1;
	*chr_r = chr;
	return len;
}

bool mail_utf8_is_valid(const void *data, size_t size)
{
	const unsigned char *p = data;

	while (size > 0) {
		uint32_t chr;
		int len = mail_utf8_get_char(p, size, &chr);

		if (len < 0 || chr == 0)
			return false;
		p += len;
		size -= (size_t)len;
	}
	return true;
}

static void append_utf8(string_t *dest, uint32_t chr)
{
	if (chr < 0x80) {
		str_append_c(dest, (char)chr);
	} else if (chr < 0x800) {
		str_append_c(dest, (char)(0xc0 | (chr >> 6)));
		str_append_c(dest, (char)(0x80 | (chr & 0x3f)));
	} else if (chr < 0x10000) {
		str_append_c(dest, (char)(0xe0 | (chr >> 12)));
		str_append_c(dest, (char)(0x80 | ((chr >> 6) & 0x3f)));
		str_append_c(dest, (char)(0x80 | (chr & 0x3f)));
	} else {
		str_append_c(dest, (char)(0xf0 | (chr >> 18)));
		str_append_c(dest, (char)(0x80 | ((chr >> 12) & 0x3f)));
		str_append_c(dest, (char)(0x80 | ((chr >> 6) & 0x3f)));
		str_append_c(dest, (char)(0x80 | (chr & 0x3f)));
	}
}

struct b64_writer {
	string_t *dest;
	uint32_t bits;
	unsigned int nbits;
};

static void b64_put16(struct b64_writer *w, uint16_t unit)
{
	w->bits = (w->bits << 16) | unit;
	w->nbits += 16;
	while (w->nbits >= 6) {
		w->nbits -= 6;
		str_append_c(w->dest, b64chars[(w->bits >> w->nbits) & 0x3f]);
	}
}

static void b64_flush(struct b64_writer *w)
{
	if (w->nbits > 0) {
		str_append_c(w->dest,
			     b64chars[(w->bits << (6 - w->nbits)) & 0x3f]);
	}
	w->bits = 0;
	w->nbits = 0;
}

int mutf7_from_utf8(const char *src, string_t *dest)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t left = strlen(src);
	struct b64_writer w = {.dest = dest};
	bool in_b64 = false;

	while (left > 0) {
		uint32_t chr;
		int len = mail_utf8_get_char(p, left, &chr);

		if (len < 0 || chr == 0)
			return -1;
		p += len;
		left -= (size_t)len;
		if (chr >= 0x20 && chr <= 0x7e) {
			if (in_b64) {
				b64_flush(&w);
				str_append_c(dest, '-');
				in_b64 = false;
			}
			if (chr == '&')
				str_append(dest, "&-");
			else
				str_append_c(dest, (char)chr);
			continue;
		}
		if (!in_b64) {
			str_append_c(dest, '&');
			in_b64 = true;
		}
		if (chr >= 0x10000) {
			chr -= 0x10000;
			b64_put16(&w, (uint16_t)(0xd800 | (chr >> 10)));
			b64_put16(&w, (uint16_t)(0xdc00 | (chr & 0x3ff)));
		} else {
			b64_put16(&w, (uint16_t)chr);
		}
	}
	if (in_b64) {
		b64_flush(&w);
		str_append_c(dest, '-');
	}
	return 0;
}

/* Decodes the base64 run starting at *p (after '&') up to its '-'. */
static int decode_run(const unsigned char **_p, string_t *dest)
{
	const unsigned char *p = *_p;
	uint32_t bits = 0, high = 0;
	unsigned int nbits = 0, units = 0;

	for (; *p != '-'; p++) {
		int v = b64_value(*p);

		if (v < 0)
			return -1; /* includes the NUL of an unterminated run */
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t unit = (bits >> nbits) & 0xffff;

		units++;
		if (high != 0) {
			if (unit < 0xdc00 || unit > 0xdfff)
				return -1;
			append_utf8(dest, 0x10000 + ((high - 0xd800) << 10) +
					      (unit - 0xdc00));
			high = 0;
		} else if (unit >= 0xd800 && unit <= 0xdbff) {
			high = unit;
		} else if (unit >= 0xdc00 && unit <= 0xdfff) {
			return -1;
		} else if (unit == 0 || (unit >= 0x20 && unit <= 0x7e)) {
			/* RFC 3501 section 5.1.3: printable US-ASCII is
			 * never base64-encoded; NUL ends a C string */
			return -1;
		} else {
			append_utf8(dest, unit);
		}
	}
	/* "&-" means '&' and is handled by the caller; a run must end on
	 * a whole character with only zero padding bits (fewer than 6) */
	if (units == 0 || high != 0 || nbits >= 6 ||
	    (bits & ((1u << nbits) - 1)) != 0)
		return -1;
	*_p = p + 1;
	return 0;
}

int mutf7_to_utf8(const char *src, string_t *dest)
{
	const unsigned char *p = (const unsigned char *)src;

	while (*p != '\0') {
		if (*p < 0x20 || *p > 0x7e)
			return -1;
		if (*p != '&') {
			str_append_c(dest, (char)*p++);
			continue;
		}
		p++;
		if (*p == '-') {
			str_append_c(dest, '&');
			p++;
			continue;
		}
		if (decode_run(&p, dest) < 0)
			return -1;
		/* two runs in a row would have been one */
		if (p[0] == '&' && p[1] != '-')
			return -1;
	}
	return 0;
}

bool mutf7_is_valid(const char *src)
{
	string_t *tmp = str_new(NULL, 64);
	int ret = mutf7_to_utf8(src, tmp);

	str_free(&tmp);
	return ret == 0;
}
