/* imap-quote.c - IMAP string output (see the header). */
#include "imap-quote.h"

static void append_literal(string_t *dest, const char *src, size_t len)
{
	str_printfa(dest, "{%zu}\r\n", len);
	str_append_n(dest, src, len);
}

static void append_quoted(string_t *dest, const char *src)
{
	str_append_c(dest, '"');
	for (; *src != '\0'; src++) {
		if (*src == '"' || *src == '\\')
			str_append_c(dest, '\\');
		str_append_c(dest, *src);
	}
	str_append_c(dest, '"');
}

void mail_imap_append_nstring(string_t *dest, const char *src)
{
	unsigned int escapes = 0;

	if (src == NULL) {
		str_append(dest, "NIL");
		return;
	}
	for (const char *p = src; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			if (escapes++ < 4)
				continue;
		} else if (c != '\r' && c != '\n' && c < 0x80) {
			continue;
		}
		append_literal(dest, src, strlen(src));
		return;
	}
	append_quoted(dest, src);
}

void mail_imap_append_string(string_t *dest, const char *src)
{
	i_assert(src != NULL);
	mail_imap_append_nstring(dest, src);
}

void imap_append_nstring_nolf(string_t *dest, const char *src)
{
	string_t *tmp;

	if (src == NULL || strpbrk(src, "\r\n") == NULL) {
		mail_imap_append_nstring(dest, src);
		return;
	}
	tmp = str_new(NULL, strlen(src) + 1);
	for (const char *p = src; *p != '\0'; p++) {
		if (*p != '\r' && *p != '\n')
			str_append_c(tmp, *p);
		else if (p[1] != ' ' && p[1] != '\t' && p[1] != '\0' &&
			 p[1] != '\r' && p[1] != '\n')
			str_append_c(tmp, ' ');
	}
	mail_imap_append_nstring(dest, str_c(tmp));
	str_free(&tmp);
}

void imap_append_string_for_humans(string_t *dest, const unsigned char *src,
				   size_t size)
{
	string_t *out = str_new(NULL, size + 1);
	bool modify = false, last_lwsp = true;

	for (size_t i = 0; i < size; i++) {
		unsigned char c = src[i];

		switch (c) {
		case '\0':
			str_append_c(out, (char)0x80);
			modify = true;
			last_lwsp = false;
			break;
		case '\r':
		case '\n':
		case '\t':
		case ' ':
			if (c != ' ' || last_lwsp)
				modify = true;
			if (!last_lwsp)
				str_append_c(out, ' ');
			last_lwsp = true;
			break;
		case '"':
		case '\\':
			modify = true;
			str_append_c(out, (char)c);
			last_lwsp = false;
			break;
		default:
			if (c >= 0x80)
				modify = true;
			str_append_c(out, (char)c);
			last_lwsp = false;
			break;
		}
	}
	if (last_lwsp && str_len(out) > 0) {
		str_truncate(out, str_len(out) - 1);
		modify = true;
	}
	if (!modify)
		append_quoted(dest, str_c(out));
	else if (str_len(out) == 0)
		str_append(dest, "\"\"");
	else
		append_literal(dest, str_c(out), str_len(out));
	str_free(&out);
}
