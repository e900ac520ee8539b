/* maildir-keywords.c - the dovecot-keywords file and keyword letters in
 * maildir file names.
 *
 * Does: parse/write the file, name <-> index, letters in names. Does not:
 * I/O and locking (maildir-flags.c does that for a mailbox). */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "mailbox.h"
#include "maildir-filename.h"
#include "maildir-keywords.h"

bool maildir_keyword_is_valid(const char *name)
{
	size_t len = 0;

	if (name[0] == '\0' || name[0] == '\\')
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0';
	     p++, len++) {
		if (*p <= 0x20 || *p >= 0x7f ||
		    strchr("(){%*\"\\]", *p) != NULL)
			return false;
	}
	return len <= MAILDIR_KEYWORD_MAX_LEN;
}

unsigned int maildir_keywords_parse(pool_t pool, const void *data, size_t size,
				    struct maildir_keywords *kw)
{
	const char *p = data, *end = p + size;
	unsigned int skipped = 0;

	memset(kw, 0, sizeof(*kw));
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol != NULL ? eol : end;
		const char *q = p;
		unsigned int idx = 0, digits = 0;
		char *name;

		while (q < line_end && *q >= '0' && *q <= '9' && digits < 3) {
			idx = idx * 10 + (unsigned int)(*q - '0');
			q++;
			digits++;
		}
		if (q == p && q == line_end) {
			/* empty line */
		} else if (digits == 0 || q >= line_end || *q != ' ' ||
			   idx >= MAILDIR_KEYWORDS_MAX) {
			skipped++;
		} else {
			name = p_strndup(pool, q + 1,
					 (size_t)(line_end - (q + 1)));
			if (!maildir_keyword_is_valid(name) ||
			    kw->names[idx] != NULL ||
			    maildir_keywords_lookup(kw, name) >= 0)
				skipped++;
			else
				kw->names[idx] = name;
		}
		p = eol != NULL ? eol + 1 : end;
	}
	return skipped;
}

void maildir_keywords_write(const struct maildir_keywords *kw, string_t *dest)
{
	for (unsigned int i = 0; i < MAILDIR_KEYWORDS_MAX; i++) {
		if (kw->names[i] != NULL)
			str_printfa(dest, "%u %s\n", i, kw->names[i]);
	}
}

int maildir_keywords_lookup(const struct maildir_keywords *kw, const char *name)
{
	for (unsigned int i = 0; i < MAILDIR_KEYWORDS_MAX; i++) {
		if (kw->names[i] != NULL && strcasecmp(kw->names[i], name) == 0)
			return (int)i;
	}
	return -1;
}

int maildir_keywords_add(pool_t pool, struct maildir_keywords *kw,
			 const char *name)
{
	int idx = maildir_keywords_lookup(kw, name);

	if (idx >= 0)
		return idx;
	if (!maildir_keyword_is_valid(name))
		return -1;
	for (unsigned int i = 0; i < MAILDIR_KEYWORDS_MAX; i++) {
		if (kw->names[i] == NULL) {
			kw->names[i] = p_strdup(pool, name);
			return (int)i;
		}
	}
	return -1;
}

uint32_t maildir_filename_get_keywords(const char *fname)
{
	const char *info = strstr(fname, ":2,");
	uint32_t kw = 0;

	if (info == NULL)
		return 0;
	for (info += 3; *info != '\0'; info++) {
		if (*info >= 'a' && *info <= 'z')
			kw |= 1u << (*info - 'a');
	}
	return kw;
}

char *maildir_filename_set_flags_keywords(pool_t pool, const char *fname,
					  unsigned int flags, uint32_t keywords)
{
	bool letters[128] = {false};
	size_t base_len = maildir_filename_base_len(fname);
	const char *info = strstr(fname, ":2,");
	string_t *str = str_new(pool, base_len + 40);

	if (info != NULL) {
		for (info += 3; *info != '\0'; info++) {
			unsigned char c = (unsigned char)*info;

			if (c < 128 && !(c >= 'a' && c <= 'z') &&
			    strchr("DFRST", c) == NULL)
				letters[c] = true;
		}
	}
	if ((flags & MAIL_DRAFT) != 0)
		letters['D'] = true;
	if ((flags & MAIL_FLAGGED) != 0)
		letters['F'] = true;
	if ((flags & MAIL_ANSWERED) != 0)
		letters['R'] = true;
	if ((flags & MAIL_SEEN) != 0)
		letters['S'] = true;
	if ((flags & MAIL_DELETED) != 0)
		letters['T'] = true;
	for (unsigned int i = 0; i < MAILDIR_KEYWORDS_MAX; i++) {
		if ((keywords & (1u << i)) != 0)
			letters['a' + i] = true;
	}
	str_append_n(str, fname, base_len);
	str_append(str, ":2,");
	for (unsigned int c = 33; c < 127; c++) {
		if (letters[c] && c != ',')
			str_append_c(str, (char)c);
	}
	return (char *)str_c(str);
}
