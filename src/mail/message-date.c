/* message-date.c - RFC 5322 and IMAP dates (see the header). Times are
 * computed with timegm(), never with the process's local zone. */
#include "message-date.h"

#include <ctype.h>
#include <strings.h>

#include "rfc822-parser.h"
#include "str.h"

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr",
					  "May", "Jun", "Jul", "Aug",
					  "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed",
					"Thu", "Fri", "Sat"};

static int parse_month(const char *s, size_t len)
{
	if (len != 3)
		return -1;
	for (int i = 0; i < 12; i++) {
		if (strncasecmp(s, month_names[i], 3) == 0)
			return i;
	}
	return -1;
}

static bool valid_tm(const struct tm *tm)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};

	return tm->tm_mday >= 1 && tm->tm_mday <= mdays[tm->tm_mon] &&
	       tm->tm_hour <= 23 && tm->tm_min <= 59 && tm->tm_sec <= 60;
}

/* Reads the next token: a run of letters, of digits, or one other
 * character, after whitespace and comments. */
static bool next_token(struct rfc822_parser *p, string_t *tok)
{
	str_truncate(tok, 0);
	if (rfc822_skip_lwsp(p) <= 0)
		return false;
	if (isalpha(*p->data)) {
		while (p->data < p->end && isalpha(*p->data))
			str_append_c(tok, (char)*p->data++);
	} else if (isdigit(*p->data)) {
		while (p->data < p->end && isdigit(*p->data) &&
		       str_len(tok) < 8)
			str_append_c(tok, (char)*p->data++);
	} else {
		str_append_c(tok, (char)*p->data++);
	}
	return true;
}

static bool is_number(const string_t *tok, size_t min, size_t max)
{
	return str_len(tok) >= min && str_len(tok) <= max &&
	       isdigit(str_c(tok)[0]);
}

static bool parse_zone(const char *s, int *tz_r)
{
	static const struct {
		const char *name;
		int offset;
	} zones[] = {
	    {"UT", 0},	      {"UTC", 0},	{"GMT", 0},
	    {"EST", -5 * 60}, {"EDT", -4 * 60}, {"CST", -6 * 60},
	    {"CDT", -5 * 60}, {"MST", -7 * 60}, {"MDT", -6 * 60},
	    {"PST", -8 * 60}, {"PDT", -7 * 60},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(zones); i++) {
		if (strcasecmp(s, zones[i].name) == 0) {
			*tz_r = zones[i].offset;
			return true;
		}
	}
	/* RFC 5322 section 4.3: military zones are treated as -0000 */
	if (strlen(s) == 1 && isalpha((unsigned char)s[0]) &&
	    toupper((unsigned char)s[0]) != 'J') {
		*tz_r = 0;
		return true;
	}
	return false;
}

bool message_date_parse(const void *data, size_t size, time_t *time_r,
			int *tz_offset_r)
{
	pool_t pool = pool_create("message-date", 256);
	struct rfc822_parser p;
	string_t *tok = str_new(pool, 16);
	struct tm tm;
	int tz = 0, year;
	bool ok = false;

	memset(&tm, 0, sizeof(tm));
	rfc822_parser_init(&p, data, size, NULL);
	/* [day-of-week ","] day month year hour ":" minute [":" second]
	 * zone (RFC 5322 section 3.3) */
	if (!next_token(&p, tok))
		goto out;
	if (isalpha(str_c(tok)[0])) {
		if (!next_token(&p, tok))
			goto out;
		if (strcmp(str_c(tok), ",") == 0 && !next_token(&p, tok))
			goto out;
	}
	if (!is_number(tok, 1, 2))
		goto out;
	tm.tm_mday = atoi(str_c(tok));
	if (!next_token(&p, tok) ||
	    (tm.tm_mon = parse_month(str_c(tok), str_len(tok))) < 0)
		goto out;
	if (!next_token(&p, tok) || !is_number(tok, 2, 4))
		goto out;
	year = atoi(str_c(tok));
	if (str_len(tok) == 2)
		year += year < 50 ? 2000 : 1900;
	else if (str_len(tok) == 3)
		year += 1900;
	tm.tm_year = year - 1900;
	if (!next_token(&p, tok) || !is_number(tok, 1, 2))
		goto out;
	tm.tm_hour = atoi(str_c(tok));
	if (!next_token(&p, tok) || strcmp(str_c(tok), ":") != 0 ||
	    !next_token(&p, tok) || !is_number(tok, 1, 2))
		goto out;
	tm.tm_min = atoi(str_c(tok));
	if (next_token(&p, tok) && strcmp(str_c(tok), ":") == 0) {
		if (!next_token(&p, tok) || !is_number(tok, 1, 2))
			goto out;
		tm.tm_sec = atoi(str_c(tok));
		(void)next_token(&p, tok);
	}
	if (str_len(tok) == 0) {
		/* no zone: -0000 */
	} else if (strcmp(str_c(tok), "+") == 0 ||
		   strcmp(str_c(tok), "-") == 0) {
		bool neg = str_c(tok)[0] == '-';
		int num;

		if (!next_token(&p, tok) || str_len(tok) != 4 ||
		    !isdigit(str_c(tok)[0]))
			goto out;
		num = atoi(str_c(tok));
		if (num % 100 > 59)
			goto out;
		tz = (num / 100) * 60 + num % 100;
		if (neg)
			tz = -tz;
	} else if (!parse_zone(str_c(tok), &tz)) {
		goto out;
	}
	if (!valid_tm(&tm))
		goto out;
	*time_r = timegm(&tm) - (time_t)tz * 60;
	*tz_offset_r = tz;
	ok = true;
out:
	pool_unref(&pool);
	return ok;
}

static void shifted_tm(time_t t, int tz_offset, struct tm *tm_r)
{
	time_t shifted = t + (time_t)tz_offset * 60;

	gmtime_r(&shifted, tm_r);
}

const char *message_date_create(pool_t pool, time_t t, int tz_offset)
{
	struct tm tm;
	int abs_tz = tz_offset < 0 ? -tz_offset : tz_offset;

	shifted_tm(t, tz_offset, &tm);
	return p_strdup_printf(
	    pool, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d",
	    day_names[tm.tm_wday], tm.tm_mday, month_names[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    tz_offset < 0 ? '-' : '+', abs_tz / 60, abs_tz % 60);
}

const char *message_date_imap_create(pool_t pool, time_t t, int tz_offset)
{
	struct tm tm;
	int abs_tz = tz_offset < 0 ? -tz_offset : tz_offset;

	shifted_tm(t, tz_offset, &tm);
	return p_strdup_printf(
	    pool, "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d", tm.tm_mday,
	    month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, tz_offset < 0 ? '-' : '+', abs_tz / 60, abs_tz % 60);
}

/* "d-Mon-yyyy" or "dd-Mon-yyyy" at *s; advances *s. */
static bool parse_imap_date_part(const char **s, struct tm *tm)
{
	const char *p = *s;
	int day = 0, year = 0, i;

	if (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	day = *p++ - '0';
	if (isdigit((unsigned char)*p))
		day = day * 10 + (*p++ - '0');
	if (*p++ != '-')
		return false;
	if (strlen(p) < 3 || (tm->tm_mon = parse_month(p, 3)) < 0)
		return false;
	p += 3;
	if (*p++ != '-')
		return false;
	for (i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		year = year * 10 + (p[i] - '0');
	}
	p += 4;
	tm->tm_mday = day;
	tm->tm_year = year - 1900;
	*s = p;
	return true;
}

bool message_date_imap_parse_date(const char *str, time_t *time_r)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!parse_imap_date_part(&str, &tm) || *str != '\0' || !valid_tm(&tm))
		return false;
	*time_r = timegm(&tm);
	return true;
}

bool message_date_imap_parse_datetime(const char *str, time_t *time_r,
				      int *tz_offset_r)
{
	struct tm tm;
	int tz;

	memset(&tm, 0, sizeof(tm));
	/* date-time = DQUOTE date-day-fixed "-" date-month "-" date-year
	 * SP time SP zone DQUOTE (RFC 3501 section 9), quotes removed */
	if (!parse_imap_date_part(&str, &tm) || *str++ != ' ')
		return false;
	if (strlen(str) != 14 || !isdigit((unsigned char)str[0]) ||
	    !isdigit((unsigned char)str[1]) || str[2] != ':' ||
	    !isdigit((unsigned char)str[3]) ||
	    !isdigit((unsigned char)str[4]) || str[5] != ':' ||
	    !isdigit((unsigned char)str[6]) ||
	    !isdigit((unsigned char)str[7]) || str[8] != ' ' ||
	    (str[9] != '+' && str[9] != '-'))
		return false;
	for (int i = 10; i < 14; i++) {
		if (!isdigit((unsigned char)str[i]))
			return false;
	}
	tm.tm_hour = (str[0] - '0') * 10 + (str[1] - '0');
	tm.tm_min = (str[3] - '0') * 10 + (str[4] - '0');
	tm.tm_sec = (str[6] - '0') * 10 + (str[7] - '0');
	tz = ((str[10] - '0') * 10 + (str[11] - '0')) * 60 +
	     (str[12] - '0') * 10 + (str[13] - '0');
	if ((str[12] - '0') * 10 + (str[13] - '0') > 59 || !valid_tm(&tm))
		return false;
	if (str[9] == '-')
		tz = -tz;
	*time_r = timegm(&tm) - (time_t)tz * 60;
	*tz_offset_r = tz;
	return true;
}
