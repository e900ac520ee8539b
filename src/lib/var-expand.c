/* var-expand.c - Dovecot-style %-variable expansion, 2.3 and 2.4 forms.
 *
 * 2.3: %<mods><key> and %<mods>{long_name} where mods are any of
 *   L (lower case), U (upper case), X / x (value is a decimal number,
 *   printed as upper/lower-case hex), and a width: "8" keeps the first 8
 *   bytes, "08" zero-pads to 8, "2.3" takes 3 bytes from offset 2
 *   (a negative offset counts from the end). %% is a literal '%'.
 * 2.4: %{name | filter | ...} with filters lower, upper, domain (after the
 *   last '@', "" if none), username (before the last '@'), hex (decimal
 *   number to lower-case hex) and hex(N) (zero-padded to N digits).
 * Unknown variables and filters are errors. Does no conditionals, no
 * hashing filters and no provider lookups. */
#include "lib.h"
#include "var-expand.h"

#include <ctype.h>
#include <inttypes.h>

#define VAR_EXPAND_MAX_WIDTH 1024

struct mods {
	bool lower, upper;
	char hex; /* 0, 'x' or 'X' */
	bool have_width, have_offset, zero_pad;
	int offset;
	unsigned int width;
};

static char var_error[256];

static int set_error(const char **error_r, const char *fmt, ...)
    ATTR_FORMAT(2, 3);
static int set_error(const char **error_r, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(var_error, sizeof(var_error), fmt, args);
	va_end(args);
	*error_r = var_error;
	return -1;
}

static const struct var_expand_table *
find_key(const struct var_expand_table *table, char key)
{
	for (; table->key != '\0' || table->long_key != NULL; table++) {
		if (table->key == key && key != '\0')
			return table;
	}
	return NULL;
}

static const struct var_expand_table *
find_long(const struct var_expand_table *table, const char *name, size_t len)
{
	for (; table->key != '\0' || table->long_key != NULL; table++) {
		if (table->long_key != NULL && strlen(table->long_key) == len &&
		    memcmp(table->long_key, name, len) == 0)
			return table;
	}
	return NULL;
}

/* Decimal text to hex in place of str. */
static int to_hex(string_t *str, bool upper, unsigned int pad,
		  const char **error_r)
{
	uint64_t num;
	char buf[32];

	if (str_to_uint64(str_c(str), &num) < 0)
		return set_error(error_r, "Value '%s' is not a number",
				 str_c(str));
	snprintf(buf, sizeof(buf), upper ? "%0*" PRIX64 : "%0*" PRIx64,
		 (int)pad, num);
	str_truncate(str, 0);
	str_append(str, buf);
	return 0;
}

static void apply_case(string_t *str, bool lower, bool upper)
{
	unsigned char *p = (unsigned char *)str->data;

	for (size_t i = 0; i < str->len; i++) {
		if (lower)
			p[i] = (unsigned char)tolower(p[i]);
		else if (upper)
			p[i] = (unsigned char)toupper(p[i]);
	}
}

static int apply_mods(string_t *value, const struct mods *m,
		      const char **error_r)
{
	if (m->hex != 0 && to_hex(value, m->hex == 'X', 0, error_r) < 0)
		return -1;
	if (m->have_width || m->have_offset) {
		size_t len = str_len(value), start = 0, count = len;

		if (m->have_offset) {
			if (m->offset < 0) {
				size_t back = (size_t) - (long)m->offset;
				start = back > len ? 0 : len - back;
			} else {
				start = MIN_OF((size_t)m->offset, len);
			}
			count = len - start;
		}
		if (m->zero_pad && !m->have_offset) {
			if (len < m->width) {
				size_t pad = m->width - len;
				string_t *tmp = str_new(NULL, m->width);

				for (size_t i = 0; i < pad; i++)
					str_append_c(tmp, '0');
				str_append_str(tmp, value);
				str_truncate(value, 0);
				str_append_str(value, tmp);
				str_free(&tmp);
			}
		} else {
			if (m->have_width && m->width < count)
				count = m->width;
			str_delete(value, 0, start);
			str_truncate(value, count);
		}
	}
	apply_case(value, m->lower, m->upper);
	return 0;
}

static const char *trim(const char *s, const char *end, size_t *len_r)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*len_r = (size_t)(end - s);
	return s;
}

static bool filter_is(const char *f, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(f, name, len) == 0;
}

static int apply_filter(string_t *value, const char *f, size_t len,
			const char **error_r)
{
	const char *at;

	if (filter_is(f, len, "lower")) {
		apply_case(value, true, false);
	} else if (filter_is(f, len, "upper")) {
		apply_case(value, false, true);
	} else if (filter_is(f, len, "domain")) {
		at = strrchr(str_c(value), '@');
		if (at == NULL)
			str_truncate(value, 0);
		else
			str_delete(value, 0, (size_t)(at - str_c(value)) + 1);
	} else if (filter_is(f, len, "username")) {
		at = strrchr(str_c(value), '@');
		if (at != NULL)
			str_truncate(value, (size_t)(at - str_c(value)));
	} else if (filter_is(f, len, "hex")) {
		return to_hex(value, false, 0, error_r);
	} else if (len > 5 && memcmp(f, "hex(", 4) == 0 && f[len - 1] == ')') {
		unsigned int pad = 0;
		size_t i;

		for (i = 4; i < len - 1; i++) {
			if (!isdigit((unsigned char)f[i]) || pad > 1000)
				break;
			pad = pad * 10 + (unsigned int)(f[i] - '0');
		}
		if (i != len - 1 || i == 4 || pad > 64)
			return set_error(error_r, "Invalid filter '%.*s'",
					 (int)len, f);
		return to_hex(value, false, pad, error_r);
	} else {
		return set_error(error_r, "Unknown filter '%.*s'",
				 (int)MIN_OF(len, 64), f);
	}
	return 0;
}

/* Parses "{...}" starting after '{'. Returns the position after '}'. */
static int expand_braces(string_t *value, const char *p, const char **end_r,
			 const struct var_expand_table *table,
			 bool *has_filters_r, const char **error_r)
{
	const char *close = strchr(p, '}');
	const char *name, *bar, *seg;
	const struct var_expand_table *var;
	size_t len;

	if (close == NULL)
		return set_error(error_r, "Missing '}' in variable");
	bar = memchr(p, '|', (size_t)(close - p));
	name = trim(p, bar != NULL ? bar : close, &len);
	if (len == 0)
		return set_error(error_r, "Empty variable name");
	var = find_long(table, name, len);
	if (var == NULL)
		return set_error(error_r, "Unknown variable '%.*s'",
				 (int)MIN_OF(len, 64), name);
	if (var->value != NULL)
		str_append(value, var->value);

	*has_filters_r = bar != NULL;
	while (bar != NULL) {
		const char *next;

		seg = bar + 1;
		next = memchr(seg, '|', (size_t)(close - seg));
		seg = trim(seg, next != NULL ? next : close, &len);
		if (len == 0)
			return set_error(error_r, "Empty filter");
		if (apply_filter(value, seg, len, error_r) < 0)
			return -1;
		bar = next;
	}
	*end_r = close + 1;
	return 0;
}

static int parse_number(const char **pp, int *num_r)
{
	const char *p = *pp;
	long n = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (*p - '0');
		if (n > VAR_EXPAND_MAX_WIDTH)
			return -1;
	}
	*num_r = (int)n;
	*pp = p;
	return 0;
}

int var_expand(string_t *dest, const char *tmpl,
	       const struct var_expand_table *table, const char **error_r)
{
	static const struct var_expand_table empty_table[] = {
	    {'\0', NULL, NULL}};
	const char *p = tmpl;
	string_t *value;
	int ret = 1;

	if (table == NULL)
		table = empty_table;
	if (strchr(tmpl, '%') == NULL) {
		/* nothing to expand */
		str_append(dest, tmpl);
		return 1;
	}
	value = str_new(NULL, 64);
	while (*p != '\0') {
		const char *pct = strchr(p, '%');
		struct mods m;

		if (pct == NULL) {
			str_append(dest, p);
			break;
		}
		str_append_n(dest, p, (size_t)(pct - p));
		p = pct + 1;
		if (*p == '%') {
			str_append_c(dest, '%');
			p++;
			continue;
		}

		memset(&m, 0, sizeof(m));
		for (;;) {
			if (*p == 'L') {
				m.lower = true;
				m.upper = false;
			} else if (*p == 'U') {
				m.upper = true;
				m.lower = false;
			} else if ((*p == 'X' || *p == 'x') && p[1] != '\0') {
				m.hex = *p;
			} else if ((*p == '-' || isdigit((unsigned char)*p)) &&
				   !m.have_width && !m.have_offset) {
				bool neg = *p == '-';
				int n1, n2;

				if (neg)
					p++;
				m.zero_pad = *p == '0';
				if (parse_number(&p, &n1) < 0) {
					ret = set_error(
					    error_r, "Invalid width in '%%%s'",
					    pct + 1);
					goto out;
				}
				if (*p == '.') {
					p++;
					if (parse_number(&p, &n2) < 0) {
						ret = set_error(
						    error_r, "Invalid width in "
							     "variable");
						goto out;
					}
					m.have_offset = true;
					m.offset = neg ? -n1 : n1;
					m.width = (unsigned int)n2;
					m.have_width = true;
					m.zero_pad = false;
				} else if (neg) {
					ret = set_error(
					    error_r,
					    "Negative width in variable");
					goto out;
				} else {
					m.have_width = true;
					m.width = (unsigned int)n1;
				}
				continue;
			} else {
				break;
			}
			p++;
		}

		str_truncate(value, 0);
		if (*p == '\0') {
			ret = set_error(error_r, "Template ends with '%%'");
			goto out;
		}
		if (*p == '{') {
			bool has_filters;

			if (expand_braces(value, p + 1, &p, table, &has_filters,
					  error_r) < 0) {
				ret = -1;
				goto out;
			}
		} else {
			const struct var_expand_table *var =
			    find_key(table, *p);

			if (var == NULL) {
				if ((unsigned char)*p < 0x20 ||
				    (unsigned char)*p >= 0x7f)
					ret = set_error(
					    error_r,
					    "Unknown variable '%%\\x%02x'",
					    (unsigned char)*p);
				else
					ret = set_error(
					    error_r, "Unknown variable '%%%c'",
					    *p);
				goto out;
			}
			if (var->value != NULL)
				str_append(value, var->value);
			p++;
		}
		if (apply_mods(value, &m, error_r) < 0) {
			ret = -1;
			goto out;
		}
		str_append_str(dest, value);
	}
out:
	str_free(&value);
	return ret;
}

/* The process id as decimal text, in buf. */
static const char *pid_str(char buf[static 24])
{
	snprintf(buf, 24, "%ld", (long)getpid());
	return buf;
}

/* Fills tab (16 entries) with the login variables, pointing at the
 * arguments; username and domain point into userbuf when user has an
 * '@' (userbuf has user's length + 1 bytes) and pid into pid_buf. */
static void fill_login_table(struct var_expand_table *tab, char *userbuf,
			     const char *pid, const char *user,
			     const char *service, const char *remote_ip,
			     const char *local_ip, const char *home,
			     const char *session)
{
	const char *username = NULL, *domain = NULL;
	unsigned int i = 0;

	if (user != NULL) {
		const char *at = strchr(user, '@');

		if (at == NULL) {
			username = user;
			domain = "";
		} else {
			memcpy(userbuf, user, (size_t)(at - user));
			userbuf[at - user] = '\0';
			username = userbuf;
			domain = at + 1;
		}
	}
#define ADD(k, v, name)                                                        \
	do {                                                                   \
		tab[i].key = (k);                                              \
		tab[i].value = (v);                                            \
		tab[i].long_key = (name);                                      \
		i++;                                                           \
	} while (0)
	ADD('u', user, "user");
	ADD('n', username, "username");
	ADD('d', domain, "domain");
	ADD('s', service, "service");
	ADD('\0', service, "protocol");
	ADD('r', remote_ip, "remote_ip");
	ADD('\0', remote_ip, "rip");
	ADD('l', local_ip, "local_ip");
	ADD('\0', local_ip, "lip");
	ADD('p', pid, "pid");
	ADD('h', home, "home");
	ADD('\0', session, "session");
#undef ADD
	i_assert(i < 16);
	memset(&tab[i], 0, sizeof(tab[i]));
}

int var_expand_login(string_t *dest, const char *tmpl, const char *user,
		     const char *service, const char *remote_ip,
		     const char *local_ip, const char *home,
		     const char *session, const char **error_r)
{
	struct var_expand_table tab[16];
	char pid_buf[24], stack_user[256], *userbuf = stack_user;
	size_t user_len = user == NULL ? 0 : strlen(user);
	int ret;

	if (strchr(tmpl, '%') == NULL) {
		/* nothing to expand */
		str_append(dest, tmpl);
		return 1;
	}
	/* the usual username formats, without parsing */
	if (strcmp(tmpl, "%u") == 0 || strcmp(tmpl, "%{user}") == 0) {
		if (user != NULL)
			str_append_n(dest, user, user_len);
		return 1;
	}
	if (strcmp(tmpl, "%Lu") == 0 || strcmp(tmpl, "%{user | lower}") == 0) {
		size_t start = str_len(dest);
		unsigned char *p;

		if (user != NULL)
			str_append_n(dest, user, user_len);
		p = (unsigned char *)dest->data;
		for (size_t i = start; i < str_len(dest); i++)
			p[i] = (unsigned char)tolower(p[i]);
		return 1;
	}
	if (user_len >= sizeof(stack_user))
		userbuf = i_malloc(user_len + 1);
	/* %p and %{pid} are the only users of the pid */
	fill_login_table(tab, userbuf,
			 strchr(tmpl, 'p') == NULL ? NULL : pid_str(pid_buf),
			 user, service, remote_ip, local_ip, home, session);
	ret = var_expand(dest, tmpl, tab, error_r);
	if (userbuf != stack_user)
		i_free(userbuf);
	return ret;
}

struct var_expand_table *
var_expand_table_login(pool_t pool, const char *user, const char *service,
		       const char *remote_ip, const char *local_ip,
		       const char *home, const char *session)
{
	struct var_expand_table *tab = p_new(pool, struct var_expand_table, 16);
	const char *username = NULL, *domain = NULL, *pid;
	char pid_buf[24];
	unsigned int i = 0;

	if (user != NULL) {
		const char *at = strchr(user, '@');

		username = at == NULL
			       ? p_strdup(pool, user)
			       : p_strndup(pool, user, (size_t)(at - user));
		domain = at == NULL ? "" : p_strdup(pool, at + 1);
	}
	pid = p_strdup(pool, pid_str(pid_buf));

#define ADD(k, v, name)                                                        \
	do {                                                                   \
		tab[i].key = (k);                                              \
		tab[i].value = (v);                                            \
		tab[i].long_key = (name);                                      \
		i++;                                                           \
	} while (0)
	ADD('u', p_strdup(pool, user), "user");
	ADD('n', username, "username");
	ADD('d', domain, "domain");
	ADD('s', p_strdup(pool, service), "service");
	ADD('\0', p_strdup(pool, service), "protocol");
	ADD('r', p_strdup(pool, remote_ip), "remote_ip");
	ADD('\0', p_strdup(pool, remote_ip), "rip");
	ADD('l', p_strdup(pool, local_ip), "local_ip");
	ADD('\0', p_strdup(pool, local_ip), "lip");
	ADD('p', pid, "pid");
	ADD('h', p_strdup(pool, home), "home");
	ADD('\0', p_strdup(pool, session), "session");
#undef ADD
	i_assert(i < 16);
	return tab;
}
