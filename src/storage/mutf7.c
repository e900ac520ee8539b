/* mutf7.c - modified UTF-7 <-> UTF-8 for mailbox names (RFC 3501 5.1.3).
 *
 * Does: strict conversion both ways. Does not: plain UTF-7 (RFC 2152) or
 * any other charset. */
#include "lib.h"
#include "str.h"
#include "mutf7.h"

static const char mutf7_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

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
	if (c == ',')
		return 63;
	return -1;
}

/* Decodes one UTF-8 code point at *p. Returns it and advances *p, or -1 on
 * an invalid sequence (overlong, surrogate, > U+10FFFF, truncated). */
static int32_t utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t cp;
	unsigned int len;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	} else if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		len = 2;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		len = 3;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07;
		len = 4;
	} else {
		return -1;
	}
	for (unsigned int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*p = s + len;
	return (int32_t)cp;
}

static void utf8_append(string_t *dest, uint32_t cp)
{
	if (cp < 0x80) {
		str_append_c(dest, (char)cp);
	} else if (cp < 0x800) {
		str_append_c(dest, (char)(0xc0 | (cp >> 6)));
		str_append_c(dest, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		str_append_c(dest, (char)(0xe0 | (cp >> 12)));
		str_append_c(dest, (char)(0x80 | ((cp >> 6) & 0x3f)));
		str_append_c(dest, (char)(0x80 | (cp & 0x3f)));
	} else {
		str_append_c(dest, (char)(0xf0 | (cp >> 18)));
		str_append_c(dest, (char)(0x80 | ((cp >> 12) & 0x3f)));
		str_append_c(dest, (char)(0x80 | ((cp >> 6) & 0x3f)));
		str_append_c(dest, (char)(0x80 | (cp & 0x3f)));
	}
}

int mutf7_from_utf8(const char *src, string_t *dest)
{
	const unsigned char *p = (const unsigned char *)src;

	while (*p != '\0') {
		uint32_t bits = 0;
		unsigned int nbits = 0;

		if (*p >= 0x20 && *p <= 0x7e) {
			if (*p == '&')
				str_append(dest, "&-");
			else
				str_append_c(dest, (char)*p);
			p++;
			continue;
		}
		/* a run of characters outside printable ASCII */
		str_append_c(dest, '&');
		while (*p != '\0' && (*p < 0x20 || *p > 0x7e)) {
			int32_t cp = utf8_next(&p);
			uint16_t units[2];
			unsigned int n = 1;

			if (cp < 0)
				return -1;
			if (cp >= 0x10000) {
				uint32_t v = (uint32_t)cp - 0x10000;

				units[0] = (uint16_t)(0xd800 | (v >> 10));
				units[1] = (uint16_t)(0xdc00 | (v & 0x3ff));
				n = 2;
			} else {
				units[0] = (uint16_t)cp;
			}
			for (unsigned int i = 0; i < n; i++) {
				bits = (bits << 16) | units[i];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					str_append_c(
					    dest,
					    mutf7_b64[(bits >> nbits) & 0x3f]);
				}
				bits &= (1u << nbits) - 1;
			}
		}
		if (nbits > 0)
			str_append_c(dest,
				     mutf7_b64[(bits << (6 - nbits)) & 0x3f]);
		str_append_c(dest, '-');
	}
	return 0;
}

/* Decodes one base64 run starting after '&' up to the closing '-'. */
static int decode_run(const unsigned char **_p, string_t *dest)
{
	const unsigned char *p = *_p;
	uint32_t bits = 0, high = 0;
	unsigned int nbits = 0, chars = 0;
	int v;

	for (; *p != '-'; p++) {
		if ((v = b64_value(*p)) < 0)
			return -1;
		chars++;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t unit = (bits >> nbits) & 0xffff;

		bits &= (1u << nbits) - 1;
		if (high != 0) {
			if (unit < 0xdc00 || unit > 0xdfff)
				return -1;
			utf8_append(dest, 0x10000 + ((high - 0xd800) << 10) +
					      (unit - 0xdc00));
			high = 0;
		} else if (unit >= 0xd800 && unit <= 0xdbff) {
			high = unit;
		} else if (unit >= 0xdc00 && unit <= 0xdfff) {
			return -1;
		} else if (unit == 0 || (unit >= 0x20 && unit <= 0x7e)) {
			/* NUL, or one that must have been written
			 * directly */
			return -1;
		} else {
			utf8_append(dest, unit);
		}
	}
	/* leftover bits must be padding zeros, fewer than 6 */
	if (chars == 0 || high != 0 || nbits >= 6 || bits != 0)
		return -1;
	*_p = p + 1;
	return 0;
}

int mutf7_to_utf8(const char *src, string_t *dest)
{
	const unsigned char *p = (const unsigned char *)src;
	bool prev_run = false;

	while (*p != '\0') {
		if (*p < 0x20 || *p > 0x7e)
			return -1;
		if (*p != '&') {
			str_append_c(dest, (char)*p++);
			prev_run = false;
			continue;
		}
		p++;
		if (*p == '-') {
			str_append_c(dest, '&');
			p++;
			prev_run = false;
			continue;
		}
		if (prev_run || decode_run(&p, dest) < 0)
			return -1;
		prev_run = true;
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
