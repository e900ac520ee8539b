/* auth-username.c - user name rules before lookups (see the header):
 * checks, translation, default realm, format, master user split, and
 * username_filter wildcards. Nothing here logs or touches a request. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "var-expand.h"
#include "net.h"
#include "auth.h"
#include "auth-username.h"

#include <strings.h>

bool auth_wildcard_match(const char *str, const char *pattern)
{
	const char *star_p = NULL, *star_s = NULL;

	/* Iterative matching with backtracking to the last '*': linear
	 * memory, O(n*m) worst case on names of at most 255 bytes. */
	while (*str != '\0') {
		if (*pattern == '*') {
			star_p = ++pattern;
			star_s = str;
		} else if (*pattern == '?' || *pattern == *str) {
			pattern++;
			str++;
		} else if (star_p != NULL) {
			pattern = star_p;
			str = ++star_s;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

bool auth_username_filter_match(pool_t pool, const char *filter,
				const char *user, const char **why_r)
{
	char **words;
	bool have_positive = false, matched = false;

	if (filter == NULL || filter[0] == '\0')
		return true;
	words = p_strsplit_spaces(pool, filter, " \t,");
	for (unsigned int i = 0; words[i] != NULL; i++) {
		const char *w = words[i];

		if (w[0] == '!') {
			if (auth_wildcard_match(user, w + 1)) {
				if (why_r != NULL)
					*why_r = p_strdup_printf(
					    pool, "excluded by '%s'", w);
				return false;
			}
		} else {
			have_positive = true;
			if (!matched && auth_wildcard_match(user, w))
				matched = true;
		}
	}
	if (have_positive && !matched) {
		if (why_r != NULL)
			*why_r = p_strdup_printf(pool, "matches none of '%s'",
						 filter);
		return false;
	}
	return true;
}

static bool utf8_is_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned int n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (unsigned int j = 1; j <= n; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		/* overlong forms, surrogates and out of range */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* Whether map (auth_username_translation pairs) translates c. */
static bool translation_maps(const char *map, unsigned char c)
{
	size_t maplen = map == NULL ? 0 : strlen(map);

	for (size_t i = 0; i + 1 < maplen; i += 2) {
		if ((unsigned char)map[i] == c)
			return true;
	}
	return false;
}

const char *auth_username_check(const struct loft_settings *set,
				const unsigned char *name, size_t len)
{
	const char *chars = set->auth_username_chars;

	if (len == 0)
		return "Empty username";
	if (len > AUTH_USERNAME_MAX_LEN)
		return "Username too long";
	if (memchr(name, '\0', len) != NULL)
		return "Username contains NUL";
	if (!utf8_is_valid(name, len))
		return "Username is not valid UTF-8";
	for (size_t i = 0; i < len; i++) {
		/* C0 controls and DEL reach no driver, whatever the
		 * configuration says. */
		if (name[i] < 0x20 || name[i] == 0x7f)
			return "Username contains control characters";
	}
	if (chars != NULL && chars[0] != '\0') {
		for (size_t i = 0; i < len; i++) {
			if (name[i] >= 0x80 || strchr(chars, name[i]) == NULL)
				return "Username character disallowed by "
				       "auth_username_chars";
		}
		return NULL;
	}
	/* Empty auth_username_chars allows all characters in Dovecot. Loft
	 * still keeps away those a driver could interpret (quotes for SQL,
	 * wildcards for LDAP filters, % for expansions, '/' and dot names
	 * for paths with %u), unless auth_username_translation maps them
	 * to something else first. */
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return "Username is a path component (. or ..)";
	for (size_t i = 0; i < len; i++) {
		if (strchr(AUTH_USERNAME_UNSAFE_CHARS, name[i]) != NULL &&
		    !translation_maps(set->auth_username_translation, name[i]))
			return "Username character disallowed (unsafe for "
			       "drivers while auth_username_chars is empty)";
	}
	return NULL;
}

const char *auth_username_translate(pool_t pool, const char *map,
				    const char *user)
{
	size_t maplen = map == NULL ? 0 : strlen(map);
	char *out;

	if (maplen < 2)
		return user;
	out = p_strdup(pool, user);
	for (char *p = out; *p != '\0'; p++) {
		for (size_t i = 0; i + 1 < maplen; i += 2) {
			if (*p == map[i]) {
				*p = map[i + 1];
				break;
			}
		}
	}
	return out;
}

int auth_username_normalize(pool_t pool, const struct loft_settings *set,
			    const char *user, const char *service,
			    const char *remote_ip, const char *local_ip,
			    const char *session, const char **user_r,
			    const char **error_r)
{
	const char *format = set->auth_username_format;

	user =
	    auth_username_translate(pool, set->auth_username_translation, user);
	if (set->auth_default_realm != NULL &&
	    set->auth_default_realm[0] != '\0' && strchr(user, '@') == NULL)
		user =
		    p_strconcat(pool, user, "@", set->auth_default_realm, NULL);
	/* 2.4 spells the same default %{user | lower}. */
	if (format != NULL && format[0] != '\0') {
		string_t *dest = str_new(pool, 64);
		const char *error;

		if (var_expand_login(dest, format, user, service, remote_ip,
				     local_ip, NULL, session, &error) < 0) {
			*error_r = p_strdup_printf(
			    pool, "auth_username_format %s: %s", format, error);
			return -1;
		}
		user = str_c(dest);
	}
	if (user[0] == '\0') {
		*error_r = "Empty username after formatting";
		return -1;
	}
	*user_r = user;
	return 0;
}

bool auth_username_split_master(pool_t pool, const struct loft_settings *set,
				const char *name, const char **login_user_r,
				const char **master_user_r)
{
	const char *sep = set->auth_master_user_separator, *p;

	if (sep == NULL || sep[0] == '\0')
		return false;
	p = strstr(name, sep);
	if (p == NULL || p == name || p[strlen(sep)] == '\0')
		return false;
	*login_user_r = p_strndup(pool, name, (size_t)(p - name));
	*master_user_r = p_strdup(pool, p + strlen(sep));
	return true;
}

bool auth_realm_is_allowed(const struct loft_settings *set, const char *realm)
{
	const char *realms = set->auth_realms, *p;
	size_t len = strlen(realm);

	if (realms == NULL || realms[0] == '\0')
		return true;
	for (p = realms; *p != '\0';) {
		size_t wlen = strcspn(p, " \t,");

		if (wlen == len && strncasecmp(p, realm, len) == 0)
			return true;
		p += wlen;
		p += strspn(p, " \t,");
	}
	return false;
}

bool auth_allow_nets_match(pool_t pool, const char *nets, const char *remote_ip,
			   const char **error_r)
{
	struct ip_addr ip = {.family = 0}, net_ip;
	unsigned int bits;
	bool local = remote_ip == NULL || remote_ip[0] == '\0';
	char **words = p_strsplit_spaces(pool, nets, " \t,");

	if (!local && net_addr2ip(remote_ip, &ip) < 0)
		ip.family = 0; /* matches no network */
	for (unsigned int i = 0; words[i] != NULL; i++) {
		if (strcmp(words[i], "local") == 0) {
			if (local)
				return true;
			continue;
		}
		if (net_parse_range(words[i], &net_ip, &bits) < 0) {
			if (error_r != NULL)
				*error_r = p_strdup_printf(
				    pool, "allow_nets: Invalid network '%s'",
				    words[i]);
			continue;
		}
		if (!local && ip.family != 0 &&
		    net_is_in_network(&ip, &net_ip, bits))
			return true;
	}
	return false;
}
