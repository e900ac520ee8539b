/* imap-date.c - IMAP date and date-time formatting and parsing.
 *
 * Days from the civil date are computed with the proleptic Gregorian
 * calendar, so that no libc time zone state is involved. */
#include <strings.h>

#include "lib.h"
#include "imap-date.h"

static const char *const month_names[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static bool is_leap(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int64_t year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};

	return month == 1 && is_leap(year) ? 29 : days[month];
}

/* Days since 1970-01-01 of year-month(0-11)-day(1-31). */
static int64_t days_from_civil(int64_t y, int month, int d)
{
	int64_t m = month + 1, era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y_r, int *month_r, int *d_r)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month_r = (int)(mp < 10 ? mp + 2 : mp - 10);
	*y_r = yoe + era * 400 + (*month_r <= 1);
}

void imap_append_datetime(string_t *dest, time_t t, int tz_minutes)
{
	int64_t local = (int64_t)t + (int64_t)tz_minutes * 60;
	int64_t days = local / 86400, secs = local % 86400, year;
	int month, day, tz_abs = tz_minutes < 0 ? -tz_minutes : tz_minutes;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &year, &month, &day);
	str_printfa(dest, "%02d-%s-%04lld %02d:%02d:%02d %c%02d%02d", day,
		    month_names[month], (long long)year, (int)(secs / 3600),
		    (int)(secs / 60 % 60), (int)(secs % 60),
		    tz_minutes < 0 ? '-' : '+', tz_abs / 60, tz_abs % 60);
}

/* Reads exactly n digits. */
static bool get_digits(const char **p, unsigned int n, int *num_r)
{
	int num = 0;

	for (unsigned int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		num = num * 10 + (c - '0');
	}
	*p += n;
	*num_r = num;
	return true;
}

/* "d-Mon-yyyy" or "dd-Mon-yyyy" (with_space: also " d-"). */
static bool parse_day_month_year(const char **_p, bool with_space,
				 int64_t *days_r)
{
	const char *p = *_p;
	int day, month = -1, year;

	if (with_space && *p == ' ')
		p++;
	if (p[0] < '0' || p[0] > '9')
		return false;
	if (p[1] >= '0' && p[1] <= '9') {
		if (!get_digits(&p, 2, &day))
			return false;
	} else if (!get_digits(&p, 1, &day)) {
		return false;
	}
	if (*p++ != '-')
		return false;
	for (int i = 0; i < 12; i++) {
		if (strncasecmp(p, month_names[i], 3) == 0) {
			month = i;
			break;
		}
	}
	if (month < 0)
		return false;
	p += 3;
	if (*p++ != '-' || !get_digits(&p, 4, &year))
		return false;
	if (day < 1 || day > days_in_month(year, month))
		return false;
	*days_r = days_from_civil(year, month, day);
	*_p = p;
	return true;
}

bool imap_parse_date(const char *str, time_t *time_r)
{
	int64_t days;

	if (!parse_day_month_year(&str, false, &days) || *str != '\0')
		return false;
	*time_r = (time_t)(days * 86400);
	return true;
}

bool imap_parse_datetime(const char *str, time_t *time_r, int *tz_minutes_r)
{
	const char *p = str;
	int64_t days;
	int hour, min, sec, tz_h, tz_m, sign;

	if (!parse_day_month_year(&p, true, &days))
		return false;
	if (*p++ != ' ' || !get_digits(&p, 2, &hour) || *p++ != ':' ||
	    !get_digits(&p, 2, &min) || *p++ != ':' ||
	    !get_digits(&p, 2, &sec) || *p++ != ' ')
		return false;
	if (hour > 23 || min > 59 || sec > 60)
		return false;
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!get_digits(&p, 2, &tz_h) || !get_digits(&p, 2, &tz_m) ||
	    *p != '\0')
		return false;
	if (tz_h > 23 || tz_m > 59)
		return false;
	*tz_minutes_r = sign * (tz_h * 60 + tz_m);
	*time_r = (time_t)(days * 86400 + hour * 3600 + min * 60 + sec -
			   (int64_t)*tz_minutes_r * 60);
	return true;
}
