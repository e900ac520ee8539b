/* maildir-uidlist.c - parse and write dovecot-uidlist content (see
 * maildir-uidlist.h). Works on memory buffers only: no file I/O, no
 * locking. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "array.h"
#include "hash.h"
#include "log.h"
#include "maildir-uidlist.h"

#include <fcntl.h>
#include <sys/random.h>

struct uidlist_parser {
	struct maildir_uidlist *list;
	const char *path;
	unsigned int line_num;
	struct hash_table *basenames;
};

struct maildir_uidlist *maildir_uidlist_new(pool_t pool, uint32_t uid_validity)
{
	struct maildir_uidlist *list = p_new(pool, struct maildir_uidlist, 1);

	list->pool = pool;
	list->version = 3;
	list->uid_validity = uid_validity;
	list->next_uid = 1;
	array_init(&list->recs, pool, 16);
	return list;
}

static bool parse_u32(const char *s, size_t len, uint32_t *num_r)
{
	uint64_t num = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		num = num * 10 + (uint64_t)(s[i] - '0');
	}
	if (num > UINT32_MAX)
		return false;
	*num_r = (uint32_t)num;
	return true;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Next space-separated token in [*pos, end). */
static bool next_token(const char **pos, const char *end, const char **tok_r,
		       size_t *len_r)
{
	const char *p = *pos;

	while (p < end && *p == ' ')
		p++;
	if (p == end)
		return false;
	*tok_r = p;
	while (p < end && *p != ' ')
		p++;
	*len_r = (size_t)(p - *tok_r);
	*pos = p;
	return true;
}

/* Returns 1 ok, 0 damaged (uid_validity may still have been read). */
static int parse_header(struct maildir_uidlist *list, const char *line,
			size_t len)
{
	const char *pos = line, *end = line + len, *tok;
	size_t tlen;
	uint32_t num;
	bool have_v = false, have_n = false;

	if (!next_token(&pos, end, &tok, &tlen) || tlen != 1)
		return 0;
	if (tok[0] == '1') {
		/* Courier-compatible "1 <uidvalidity> <next_uid>" */
		list->version = 1;
		if (!next_token(&pos, end, &tok, &tlen) ||
		    !parse_u32(tok, tlen, &num) || num == 0)
			return 0;
		list->uid_validity = num;
		if (!next_token(&pos, end, &tok, &tlen) ||
		    !parse_u32(tok, tlen, &num) || num == 0)
			return 0;
		list->next_uid = num;
		return 1;
	}
	if (tok[0] != '3')
		return 0;
	list->version = 3;
	while (next_token(&pos, end, &tok, &tlen)) {
		switch (tok[0]) {
		case 'V':
			if (!parse_u32(tok + 1, tlen - 1, &num) || num == 0)
				return 0;
			list->uid_validity = num;
			have_v = true;
			break;
		case 'N':
			if (!parse_u32(tok + 1, tlen - 1, &num) || num == 0)
				return 0;
			list->next_uid = num;
			have_n = true;
			break;
		case 'G':
			if (tlen == 33) {
				bool ok = true;

				for (size_t i = 1; i < 33; i++)
					ok = ok && is_hex(tok[i]);
				if (ok) {
					memcpy(list->guid, tok + 1, 32);
					list->guid[32] = '\0';
				}
			}
			break;
		default:
			/* unknown header field: ignored */
			break;
		}
	}
	return have_v && have_n ? 1 : 0;
}

static void ATTR_FORMAT(2, 3)
    parser_warning(struct uidlist_parser *parser, const char *fmt, ...)
{
	char buf[256];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	i_warning("Broken file %s line %u: %s", parser->path, parser->line_num,
		  buf);
	parser->list->skipped_lines++;
}

static void parse_record(struct uidlist_parser *parser, const char *line,
			 size_t len)
{
	struct maildir_uidlist *list = parser->list;
	const char *pos = line, *end = line + len, *tok, *fname = NULL;
	const char *exts_start = NULL, *exts_end = NULL;
	struct maildir_uidlist_rec *rec;
	size_t tlen, fname_len, base_len;
	uint32_t uid;
	char *basename;

	if (memchr(line, '\0', len) != NULL) {
		parser_warning(parser, "NUL byte");
		return;
	}
	if (!next_token(&pos, end, &tok, &tlen) ||
	    !parse_u32(tok, tlen, &uid) || uid == 0 || uid == UINT32_MAX) {
		parser_warning(parser, "Invalid UID");
		return;
	}
	if (list->version == 1) {
		if (!next_token(&pos, end, &tok, &tlen)) {
			parser_warning(parser, "Missing file name");
			return;
		}
		fname = tok;
		fname_len = (size_t)(end - tok);
	} else {
		while (next_token(&pos, end, &tok, &tlen)) {
			if (tok[0] == ':') {
				fname = tok + 1;
				fname_len = (size_t)(end - fname);
				break;
			}
			if (!((tok[0] >= 'A' && tok[0] <= 'Z') ||
			      (tok[0] >= 'a' && tok[0] <= 'z'))) {
				parser_warning(parser,
					       "Invalid extension field");
				return;
			}
			if (exts_start == NULL)
				exts_start = tok;
			exts_end = tok + tlen;
		}
		if (fname == NULL) {
			parser_warning(parser, "Missing ':' before file name");
			return;
		}
	}
	base_len = 0;
	while (base_len < fname_len && fname[base_len] != ':')
		base_len++;
	if (base_len == 0 || memchr(fname, '/', base_len) != NULL ||
	    memchr(fname, ' ', base_len) != NULL || fname[0] == '.') {
		parser_warning(parser, "Invalid file name");
		return;
	}
	if (array_is_created(&list->recs) && list->recs.count > 0 &&
	    list->recs.items[list->recs.count - 1].uid >= uid) {
		parser_warning(parser, "UIDs not ordered (%u after %u)", uid,
			       list->recs.items[list->recs.count - 1].uid);
		return;
	}
	basename = p_strndup(list->pool, fname, base_len);
	if (hash_table_lookup(parser->basenames, basename) != NULL) {
		parser_warning(parser, "Duplicate file name %s", basename);
		return;
	}
	rec = array_append_space(&list->recs);
	rec->uid = uid;
	rec->basename = basename;
	rec->exts = exts_start == NULL
			? ""
			: p_strndup(list->pool, exts_start,
				    (size_t)(exts_end - exts_start));
	hash_table_insert(parser->basenames, basename, rec);
	if (uid >= list->next_uid)
		list->next_uid = uid + 1;
}

int maildir_uidlist_parse(pool_t pool, const char *path, const void *data,
			  size_t size, struct maildir_uidlist **list_r)
{
	struct uidlist_parser parser;
	const char *p = data, *end = p + size, *nl;
	struct maildir_uidlist *list;

	list = maildir_uidlist_new(pool, 0);
	list->version = 0;
	*list_r = list;

	memset(&parser, 0, sizeof(parser));
	parser.list = list;
	parser.path = path;
	parser.line_num = 1;

	nl = memchr(p, '\n', size);
	if (nl == NULL || (size_t)(nl - p) > MAILDIR_UIDLIST_MAX_LINE ||
	    memchr(p, '\0', (size_t)(nl - p)) != NULL ||
	    parse_header(list, p, (size_t)(nl - p)) <= 0) {
		i_warning("Broken file %s line 1: Corrupted header", path);
		list->next_uid = 1;
		return 0;
	}
	parser.basenames = hash_table_create(pool, 64, str_hash, str_cmp);
	for (p = nl + 1; p < end; p = nl + 1) {
		parser.line_num++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			parser_warning(&parser, "Unterminated last line");
			break;
		}
		if (nl == p)
			continue;
		if ((size_t)(nl - p) > MAILDIR_UIDLIST_MAX_LINE) {
			parser_warning(&parser, "Line too long");
			continue;
		}
		parse_record(&parser, p, (size_t)(nl - p));
	}
	hash_table_destroy(&parser.basenames);
	return 1;
}

/* Writes num in decimal at p; returns the number of digits. */
static size_t format_u32(unsigned char *p, uint32_t num)
{
	unsigned char tmp[10];
	size_t len = 0;

	do {
		tmp[len++] = (unsigned char)('0' + num % 10);
		num /= 10;
	} while (num != 0);
	for (size_t i = 0; i < len; i++)
		p[i] = tmp[len - 1 - i];
	return len;
}

bool maildir_uidlist_write_part(const struct maildir_uidlist *list,
				string_t *dest, unsigned int *pos,
				size_t max_len)
{
	if (*pos == 0) {
		str_printfa(dest, "3 V%u N%u", list->uid_validity,
			    list->next_uid);
		if (list->guid[0] != '\0')
			str_printfa(dest, " G%s", list->guid);
		str_append_c(dest, '\n');
		*pos = 1;
	}
	/* *pos - 1 is the next record: "<uid>[ <exts>] :<basename>\n",
	 * formatted in place */
	for (; *pos <= list->recs.count && str_len(dest) < max_len; (*pos)++) {
		const struct maildir_uidlist_rec *rec =
		    &list->recs.items[*pos - 1];
		size_t exts_len = strlen(rec->exts);
		size_t base_len = strlen(rec->basename);
		unsigned char *start, *p;

		start = p =
		    str_reserve(dest, 10 + 1 + exts_len + 2 + base_len + 1);
		p += format_u32(p, rec->uid);
		if (exts_len > 0) {
			*p++ = ' ';
			memcpy(p, rec->exts, exts_len);
			p += exts_len;
		}
		*p++ = ' ';
		*p++ = ':';
		memcpy(p, rec->basename, base_len);
		p += base_len;
		*p++ = '\n';
		str_commit(dest, (size_t)(p - start));
	}
	return *pos > list->recs.count;
}

void maildir_uidlist_write(const struct maildir_uidlist *list, string_t *dest)
{
	unsigned int pos = 0;

	(void)maildir_uidlist_write_part(list, dest, &pos, SIZE_MAX);
}

struct maildir_uidlist_rec *maildir_uidlist_append(struct maildir_uidlist *list,
						   uint32_t uid,
						   const char *basename)
{
	struct maildir_uidlist_rec *rec;

	i_assert(uid >= list->next_uid && uid < UINT32_MAX);
	rec = array_append_space(&list->recs);
	rec->uid = uid;
	rec->basename = p_strdup(list->pool, basename);
	rec->exts = "";
	list->next_uid = uid + 1;
	return rec;
}

struct maildir_uidlist_rec *
maildir_uidlist_append_ref(struct maildir_uidlist *list, uint32_t uid,
			   const char *basename)
{
	struct maildir_uidlist_rec *rec;

	i_assert(uid >= list->next_uid && uid < UINT32_MAX);
	rec = array_append_space(&list->recs);
	rec->uid = uid;
	rec->basename = basename;
	rec->exts = "";
	list->next_uid = uid + 1;
	return rec;
}

void maildir_uidlist_reserve(struct maildir_uidlist *list, unsigned int count)
{
	array_reserve_((void **)&list->recs.items, &list->recs.alloc,
		       list->recs.pool, sizeof(list->recs.items[0]), count);
}

struct maildir_uidlist_rec *
maildir_uidlist_lookup_uid(struct maildir_uidlist *list, uint32_t uid)
{
	unsigned int lo = 0, hi = list->recs.count;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		struct maildir_uidlist_rec *rec = &list->recs.items[mid];

		if (rec->uid == uid)
			return rec;
		if (rec->uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Finds the token for key in exts: returns its start and length. */
static const char *ext_find(const char *exts, char key, size_t *len_r)
{
	const char *p = exts;

	while (*p != '\0') {
		const char *end = strchr(p, ' ');
		size_t len = end == NULL ? strlen(p) : (size_t)(end - p);

		if (len > 0 && p[0] == key) {
			*len_r = len;
			return p;
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	return NULL;
}

const char *maildir_uidlist_rec_get_ext(pool_t pool,
					const struct maildir_uidlist_rec *rec,
					char key)
{
	size_t len;
	const char *tok = ext_find(rec->exts, key, &len);

	return tok == NULL ? NULL : p_strndup(pool, tok + 1, len - 1);
}

void maildir_uidlist_rec_set_ext(pool_t pool, struct maildir_uidlist_rec *rec,
				 char key, const char *value)
{
	size_t len;
	const char *tok = ext_find(rec->exts, key, &len);
	string_t *str = str_new(pool, strlen(rec->exts) + strlen(value) + 4);

	i_assert(strpbrk(value, " \n") == NULL);
	if (tok == NULL) {
		str_append(str, rec->exts);
		if (rec->exts[0] != '\0')
			str_append_c(str, ' ');
		str_append_c(str, key);
		str_append(str, value);
	} else {
		str_append_n(str, rec->exts, (size_t)(tok - rec->exts));
		str_append_c(str, key);
		str_append(str, value);
		str_append(str, tok + len);
	}
	rec->exts = str_c(str);
}

void maildir_uidlist_generate_guid(char guid[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t ret = getrandom(raw + got, sizeof(raw) - got, 0);

		if (ret < 0) {
			if (errno == EINTR)
				continue;
			i_fatal("getrandom() failed: %s", strerror(errno));
		}
		got += (size_t)ret;
	}
	for (unsigned int i = 0; i < sizeof(raw); i++) {
		guid[i * 2] = hex[raw[i] >> 4];
		guid[i * 2 + 1] = hex[raw[i] & 0x0f];
	}
	guid[32] = '\0';
}
