/* charset-utf8.c - MIME charset to UTF-8 through iconv (see the header). */
#include "charset-utf8.h"

#include <iconv.h>
#include <strings.h>

/* Longest multibyte sequence iconv may leave unconverted at a chunk end
 * (ISO-2022 escapes, GB18030 four-byte sequences). */
#define CHARSET_MAX_PARTIAL 16
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

struct charset_translation {
	iconv_t cd; /* (iconv_t)-1: copy */
	unsigned char partial[CHARSET_MAX_PARTIAL];
	size_t partial_len;
};

bool charset_is_utf8(const char *charset)
{
	static const char *const names[] = {
	    "utf-8",	      "utf8",	   "us-ascii", "ascii",	   "us_ascii",
	    "ansi_x3.4-1968", "iso646-us", "csascii",  "iso-ir-6", NULL};

	for (unsigned int i = 0; names[i] != NULL; i++) {
		if (strcasecmp(charset, names[i]) == 0)
			return true;
	}
	return false;
}

int charset_to_utf8_create(const char *charset,
			   struct charset_translation **trans_r)
{
	iconv_t cd = (iconv_t)-1;

	if (!charset_is_utf8(charset)) {
		cd = iconv_open("UTF-8", charset);
		if (cd == (iconv_t)-1)
			return -1;
	}
	struct charset_translation *trans = i_malloc(sizeof(*trans));
	trans->cd = cd;
	*trans_r = trans;
	return 0;
}

void charset_to_utf8_destroy(struct charset_translation **_trans)
{
	struct charset_translation *trans = *_trans;

	if (trans == NULL)
		return;
	*_trans = NULL;
	if (trans->cd != (iconv_t)-1)
		iconv_close(trans->cd);
	i_free(trans);
}

void charset_to_utf8_reset(struct charset_translation *trans)
{
	trans->partial_len = 0;
	if (trans->cd != (iconv_t)-1)
		(void)iconv(trans->cd, NULL, NULL, NULL, NULL);
}

/* Converts as much of *data as iconv can; stops at an incomplete sequence
 * at the end (returns true then, with data and size left at it). */
static bool convert_some(struct charset_translation *trans,
			 const unsigned char **data, size_t *size,
			 string_t *dest)
{
	while (*size > 0) {
		size_t room = *size * 4 + 16;
		unsigned char *out = str_reserve(dest, room);
		char *inp = (char *)*data, *outp = (char *)out;
		size_t inleft = *size, outleft = room;
		size_t ret = iconv(trans->cd, &inp, &inleft, &outp, &outleft);
		int err = errno;

		str_commit(dest, room - outleft);
		*data = (const unsigned char *)inp;
		*size = inleft;
		if (ret != (size_t)-1)
			return false;
		if (err == E2BIG)
			continue;
		if (err == EINVAL)
			return true;
		/* EILSEQ (or anything else): one replacement character per
		 * invalid byte, then go on */
		str_append(dest, UTF8_REPLACEMENT);
		(*data)++;
		(*size)--;
	}
	return false;
}

void charset_to_utf8(struct charset_translation *trans, const void *data,
		     size_t size, bool last, string_t *dest)
{
	const unsigned char *p = data;

	if (trans->cd == (iconv_t)-1) {
		str_append_n(dest, data, size);
		return;
	}
	/* complete a sequence left from the previous chunk one byte at a
	 * time, so that the rest is converted in place */
	while (trans->partial_len > 0 && size > 0) {
		trans->partial[trans->partial_len++] = *p++;
		size--;
		const unsigned char *pp = trans->partial;
		size_t plen = trans->partial_len;
		bool incomplete = convert_some(trans, &pp, &plen, dest);
		if (!incomplete || plen == 0) {
			trans->partial_len = 0;
		} else {
			memmove(trans->partial, pp, plen);
			trans->partial_len = plen;
			if (plen == CHARSET_MAX_PARTIAL) {
				str_append(dest, UTF8_REPLACEMENT);
				trans->partial_len = 0;
			}
		}
	}
	if (size > 0 && convert_some(trans, &p, &size, dest)) {
		if (size > CHARSET_MAX_PARTIAL - 1) {
			/* not a partial sequence after all */
			str_append(dest, UTF8_REPLACEMENT);
			size = 0;
		} else {
			memcpy(trans->partial, p, size);
			trans->partial_len = size;
		}
	}
	if (last) {
		if (trans->partial_len > 0)
			str_append(dest, UTF8_REPLACEMENT);
		charset_to_utf8_reset(trans);
	}
}

bool charset_to_utf8_str(const char *charset, const void *data, size_t size,
			 string_t *dest)
{
	struct charset_translation *trans;

	if (charset_to_utf8_create(charset, &trans) < 0)
		return false;
	charset_to_utf8(trans, data, size, true, dest);
	charset_to_utf8_destroy(&trans);
	return true;
}
