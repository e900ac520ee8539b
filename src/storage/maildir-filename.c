/* maildir-filename.c - parsing and building maildir file names (see
 * maildir-filename.h). No I/O except reading the clock and hostname for
 * new names. */
#include "lib.h"
#include "str.h"
#include "dotlock.h"
#include "maildir-filename.h"

#include <sys/time.h>

#define MAILDIR_INFO_PREFIX ":2,"

static const struct {
	char letter;
	enum mail_flags flag;
} flag_letters[] = {
    /* ASCII order */
    {'D', MAIL_DRAFT}, {'F', MAIL_FLAGGED}, {'R', MAIL_ANSWERED},
    {'S', MAIL_SEEN},  {'T', MAIL_DELETED},
};

size_t maildir_filename_base_len(const char *fname)
{
	const char *p = strchr(fname, ':');

	return p == NULL ? strlen(fname) : (size_t)(p - fname);
}

char *maildir_filename_base(pool_t pool, const char *fname)
{
	return p_strndup(pool, fname, maildir_filename_base_len(fname));
}

static const char *maildir_filename_info(const char *fname)
{
	const char *p = strchr(fname, ':');

	if (p == NULL || strncmp(p, MAILDIR_INFO_PREFIX, 3) != 0)
		return NULL;
	return p + 3;
}

static enum mail_flags letter_to_flag(char c)
{
	for (unsigned int i = 0; i < N_ELEMENTS(flag_letters); i++) {
		if (flag_letters[i].letter == c)
			return flag_letters[i].flag;
	}
	return 0;
}

enum mail_flags maildir_filename_get_flags(const char *fname)
{
	const char *info = maildir_filename_info(fname);
	enum mail_flags flags = 0;

	if (info == NULL)
		return 0;
	for (; *info != '\0'; info++)
		flags |= letter_to_flag(*info);
	return flags;
}

bool maildir_filename_get_size(const char *fname, char field, uint64_t *size_r)
{
	size_t base_len = maildir_filename_base_len(fname);
	const char *p = fname, *end = fname + base_len;
	uint64_t value;
	bool found;

	/* the fields follow the first ',' of the base name */
	while ((p = memchr(p, ',', (size_t)(end - p))) != NULL) {
		p++;
		if (end - p < 3 || p[0] != field || p[1] != '=')
			continue;
		p += 2;
		value = 0;
		found = false;
		while (p < end && *p >= '0' && *p <= '9') {
			if (value > (UINT64_MAX - 9) / 10)
				return false;
			value = value * 10 + (uint64_t)(*p - '0');
			found = true;
			p++;
		}
		if (!found || (p < end && *p != ','))
			return false;
		*size_r = value;
		return true;
	}
	return false;
}

/* One ",<field>=<digits>" of the base name for maildir_filename_parse():
 * p is just after the ','; the first occurrence of each field decides,
 * as in maildir_filename_get_size() (*state: 0 not seen, 1 found, 2
 * broken). */
static void parse_size_field(const char *p, const char *end, int *state,
			     uint64_t *value_r)
{
	uint64_t value = 0;
	bool found = false;

	p += 2;
	while (p < end && *p >= '0' && *p <= '9') {
		if (value > (UINT64_MAX - 9) / 10) {
			*state = 2;
			return;
		}
		value = value * 10 + (uint64_t)(*p - '0');
		found = true;
		p++;
	}
	if (!found || (p < end && *p != ',')) {
		*state = 2;
		return;
	}
	*value_r = value;
	*state = 1;
}

void maildir_filename_parse(const char *fname, size_t name_len,
			    struct maildir_filename_info *info_r)
{
	const char *colon = memchr(fname, ':', name_len);
	const char *end = colon == NULL ? fname + name_len : colon;
	const char *p = fname, *info;
	int s_state = 0, w_state = 0;

	memset(info_r, 0, sizeof(*info_r));
	info_r->base_len = (size_t)(end - fname);
	while (p < end && (s_state == 0 || w_state == 0) &&
	       (p = memchr(p, ',', (size_t)(end - p))) != NULL) {
		p++;
		if (end - p < 3 || p[1] != '=')
			continue;
		if (p[0] == 'S' && s_state == 0)
			parse_size_field(p, end, &s_state, &info_r->psize);
		else if (p[0] == 'W' && w_state == 0)
			parse_size_field(p, end, &w_state, &info_r->vsize);
	}
	info_r->has_psize = s_state == 1;
	info_r->has_vsize = w_state == 1;

	/* flags come from the info part after the first ':' only when it
	 * is ":2,"; keywords from the first ":2," anywhere */
	if (colon != NULL && strncmp(colon, MAILDIR_INFO_PREFIX, 3) == 0) {
		info = colon + 3;
		for (; *info != '\0'; info++) {
			if (*info >= 'a' && *info <= 'z')
				info_r->keywords |= 1u << (*info - 'a');
			else
				info_r->flags |= letter_to_flag(*info);
		}
	} else if (colon != NULL &&
		   (info = strstr(colon, MAILDIR_INFO_PREFIX)) != NULL) {
		for (info += 3; *info != '\0'; info++) {
			if (*info >= 'a' && *info <= 'z')
				info_r->keywords |= 1u << (*info - 'a');
		}
	}
}

void maildir_flags_to_letters(enum mail_flags flags, char *buf, size_t size)
{
	size_t pos = 0;

	i_assert(size > N_ELEMENTS(flag_letters));
	for (unsigned int i = 0; i < N_ELEMENTS(flag_letters); i++) {
		if ((flags & flag_letters[i].flag) != 0)
			buf[pos++] = flag_letters[i].letter;
	}
	buf[pos] = '\0';
}

static int char_cmp(const void *a, const void *b)
{
	return (int)*(const unsigned char *)a - (int)*(const unsigned char *)b;
}

char *maildir_filename_set_flags(pool_t pool, const char *fname,
				 enum mail_flags flags)
{
	const char *info = maildir_filename_info(fname);
	size_t base_len = maildir_filename_base_len(fname);
	size_t info_len = info == NULL ? 0 : strlen(info);
	char *letters, *ret;
	size_t n = 0;

	letters = p_malloc(pool, info_len + N_ELEMENTS(flag_letters) + 1);
	for (size_t i = 0; i < info_len; i++) {
		char c = info[i];

		if (letter_to_flag(c) != 0 || memchr(letters, c, n) != NULL)
			continue;
		letters[n++] = c;
	}
	for (unsigned int i = 0; i < N_ELEMENTS(flag_letters); i++) {
		if ((flags & flag_letters[i].flag) != 0)
			letters[n++] = flag_letters[i].letter;
	}
	qsort(letters, n, 1, char_cmp);
	letters[n] = '\0';

	ret = p_malloc(pool, base_len + 3 + n + 1);
	memcpy(ret, fname, base_len);
	memcpy(ret + base_len, MAILDIR_INFO_PREFIX, 3);
	memcpy(ret + base_len + 3, letters, n + 1);
	return ret;
}

/* Parses a leading decimal number; returns false if there is none. */
static bool parse_num(const char *s, uint64_t *num_r, const char **end_r)
{
	uint64_t num = 0;
	const char *p = s;

	while (*p >= '0' && *p <= '9' && p - s < 19) {
		num = num * 10 + (uint64_t)(*p - '0');
		p++;
	}
	*num_r = num;
	*end_r = p;
	return p != s;
}

int maildir_filename_sort_cmp(const char *a, const char *b)
{
	uint64_t na, nb;
	const char *ea, *eb;
	bool ha, hb;

	ha = parse_num(a, &na, &ea);
	hb = parse_num(b, &nb, &eb);
	if (ha && hb) {
		if (na != nb)
			return na < nb ? -1 : 1;
		if (ea[0] == '.' && ea[1] == 'M' && eb[0] == '.' &&
		    eb[1] == 'M') {
			ha = parse_num(ea + 2, &na, &ea);
			hb = parse_num(eb + 2, &nb, &eb);
			if (ha && hb && na != nb)
				return na < nb ? -1 : 1;
		}
	}
	return strcmp(a, b);
}

char *maildir_filename_generate(pool_t pool)
{
	static struct timeval last_tv;
	struct timeval tv;
	string_t *str;
	const char *host;

	gettimeofday(&tv, NULL);
	/* never hand out the same timestamp twice in this process */
	if (tv.tv_sec < last_tv.tv_sec ||
	    (tv.tv_sec == last_tv.tv_sec && tv.tv_usec <= last_tv.tv_usec)) {
		tv = last_tv;
		if (++tv.tv_usec >= 1000000) {
			tv.tv_sec++;
			tv.tv_usec = 0;
		}
	}
	last_tv = tv;

	str = str_new(pool, 64);
	str_printfa(str, "%lld.M%ldP%ld.", (long long)tv.tv_sec,
		    (long)tv.tv_usec, (long)getpid());
	for (host = dotlock_hostname(); *host != '\0'; host++) {
		if (*host == '/')
			str_append(str, "\\057");
		else if (*host == ':')
			str_append(str, "\\072");
		else
			str_append_c(str, *host);
	}
	return (char *)str_c(str);
}
