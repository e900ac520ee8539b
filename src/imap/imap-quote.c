/* imap-quote.c - choosing and writing atom, quoted string or literal. */
#include <strings.h>

#include "lib.h"
#include "imap-quote.h"
#include "mutf7.h"

static bool is_astring_char(unsigned char c)
{
	/* RFC 3501 section 9: ATOM-CHAR / resp-specials */
	if (c <= 0x20 || c >= 0x7f)
		return false;
	switch (c) {
	case '(':
	case ')':
	case '{':
	case '%':
	case '*':
	case '"':
	case '\\':
		return false;
	default:
		return true;
	}
}

bool imap_is_astring_atom(const char *str)
{
	if (*str == '\0' || strcasecmp(str, "NIL") == 0)
		return false;
	for (const char *p = str; *p != '\0'; p++) {
		if (!is_astring_char((unsigned char)*p))
			return false;
	}
	return true;
}

static bool can_quote(const unsigned char *data, size_t size,
		      enum imap_quote_flags flags)
{
	bool eightbit = false;

	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\0' || data[i] == '\r' || data[i] == '\n')
			return false;
		if (data[i] >= 0x80)
			eightbit = true;
	}
	if (!eightbit)
		return true;
	return (flags & IMAP_QUOTE_UTF8) != 0 && mail_utf8_is_valid(data, size);
}

void imap_append_literal(string_t *dest, const void *data, size_t size)
{
	str_printfa(dest, "{%zu}\r\n", size);
	str_append_n(dest, data, size);
}

void imap_append_literal8(string_t *dest, const void *data, size_t size)
{
	str_printfa(dest, "~{%zu}\r\n", size);
	str_append_n(dest, data, size);
}

void imap_append_string_n(string_t *dest, const void *data, size_t size,
			  enum imap_quote_flags flags)
{
	const unsigned char *p = data;

	if (!can_quote(p, size, flags)) {
		imap_append_literal(dest, data, size);
		return;
	}
	str_append_c(dest, '"');
	for (size_t i = 0; i < size; i++) {
		if (p[i] == '"' || p[i] == '\\')
			str_append_c(dest, '\\');
		str_append_c(dest, (char)p[i]);
	}
	str_append_c(dest, '"');
}

void imap_append_string(string_t *dest, const char *str,
			enum imap_quote_flags flags)
{
	imap_append_string_n(dest, str, strlen(str), flags);
}

void imap_append_astring(string_t *dest, const char *str,
			 enum imap_quote_flags flags)
{
	if (imap_is_astring_atom(str))
		str_append(dest, str);
	else
		imap_append_string(dest, str, flags);
}

void imap_append_nstring(string_t *dest, const char *str,
			 enum imap_quote_flags flags)
{
	if (str == NULL)
		str_append(dest, "NIL");
	else
		imap_append_string(dest, str, flags);
}
