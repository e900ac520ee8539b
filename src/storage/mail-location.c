/* mail-location.c - mail_location parsing (see mail-location.h). */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "mail-location.h"

static const char *const ignored_keys[] = {
    "VOLATILEDIR", "DIRNAME",	    "FULLDIRNAME", "SUBSCRIPTIONS",
    "ITERINDEX",   "INDEXPVT",	    "INDEXSHARED", "ALT",
    "NO-NOSELECT", "UTF-8",	    "UTF8",	   "LITERAL",
    "NOCHILDREN",  "NO-NOCHILDREN", "BROKENCHAR",  "MAILBOXDIR",
    "LISTINDEX",   "KEEP-NOSELECT", "DIRPREFIX",
};

/* Splits at single ':' and unescapes "::". */
static char **location_split(pool_t pool, const char *str)
{
	unsigned int count = 1, idx = 0;
	char **parts;
	string_t *cur;

	for (const char *p = str; *p != '\0'; p++) {
		if (*p == ':')
			count++;
	}
	parts = p_new(pool, char *, count + 1);
	cur = str_new(pool, 64);
	for (const char *p = str;; p++) {
		if (*p == ':' && p[1] == ':') {
			str_append_c(cur, ':');
			p++;
		} else if (*p == ':' || *p == '\0') {
			parts[idx++] = p_strdup(pool, str_c(cur));
			str_clear(cur);
			if (*p == '\0')
				break;
		} else {
			str_append_c(cur, *p);
		}
	}
	parts[idx] = NULL;
	return parts;
}

static int expand_home(pool_t pool, const char *path, const char *home,
		       const char **path_r, const char **error_r)
{
	const char *rest;

	if (path[0] != '~' || (path[1] != '\0' && path[1] != '/')) {
		*path_r = path;
		return 0;
	}
	if (home == NULL || home[0] == '\0') {
		*error_r = p_strdup_printf(
		    pool, "Home directory not set, can't expand ~ in %s", path);
		return -1;
	}
	rest = path + 1;
	if (strcmp(home, "/") == 0 && rest[0] == '/')
		home = "";
	*path_r = p_strconcat(pool, home, rest, NULL);
	return 0;
}

static const char *strip_trailing_slashes(pool_t pool, const char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	return p_strndup(pool, path, len);
}

int mail_location_parse(pool_t pool, const char *location, const char *home,
			struct mail_location **loc_r, const char **error_r)
{
	struct mail_location *loc;
	const char *driver_end;
	char **parts;

	driver_end = strchr(location, ':');
	if (driver_end == NULL) {
		*error_r =
		    p_strdup_printf(pool,
				    "Mail location '%s' has no storage driver "
				    "(expected maildir:PATH)",
				    location);
		return -1;
	}
	if ((size_t)(driver_end - location) != 7 ||
	    strncmp(location, "maildir", 7) != 0) {
		*error_r =
		    p_strdup_printf(pool, "Unknown mail storage driver %.*s",
				    (int)(driver_end - location), location);
		return -1;
	}
	parts = location_split(pool, driver_end + 1);
	loc = p_new(pool, struct mail_location, 1);
	loc->driver = "maildir";
	if (parts[0][0] == '\0') {
		*error_r = "Mail location has an empty maildir path";
		return -1;
	}
	if (expand_home(pool, parts[0], home, &loc->root, error_r) < 0)
		return -1;
	loc->root = strip_trailing_slashes(pool, loc->root);

	for (unsigned int i = 1; parts[i] != NULL; i++) {
		char *key = parts[i], *value = strchr(key, '=');
		const char *path;
		bool known = false;

		if (key[0] == '\0')
			continue;
		if (value != NULL)
			*value++ = '\0';
		else
			value = "";

		if (strcmp(key, "LAYOUT") == 0) {
			if (strcmp(value, "fs") == 0)
				loc->layout = MAIL_LOCATION_LAYOUT_FS;
			else if (strcmp(value, "maildir++") == 0 ||
				 strcmp(value, "Maildir++") == 0)
				loc->layout = MAIL_LOCATION_LAYOUT_MAILDIRPP;
			else {
				*error_r = p_strdup_printf(
				    pool, "Unsupported mailbox list LAYOUT=%s",
				    value);
				return -1;
			}
			continue;
		}
		if (strcmp(key, "INBOX") == 0 || strcmp(key, "CONTROL") == 0 ||
		    strcmp(key, "INDEX") == 0) {
			if (value[0] == '\0') {
				*error_r = p_strdup_printf(
				    pool,
				    "Mail location %s= has an empty value",
				    key);
				return -1;
			}
			if (strcmp(key, "INDEX") == 0 &&
			    strcmp(value, "MEMORY") == 0) {
				loc->index = "MEMORY";
				continue;
			}
			if (expand_home(pool, value, home, &path, error_r) < 0)
				return -1;
			path = strip_trailing_slashes(pool, path);
			if (key[1] == 'N' && key[2] == 'B')
				loc->inbox = path;
			else if (key[0] == 'C')
				loc->control = path;
			else
				loc->index = path;
			continue;
		}
		for (unsigned int j = 0; j < N_ELEMENTS(ignored_keys); j++) {
			if (strcmp(key, ignored_keys[j]) == 0)
				known = true;
		}
		if (!known) {
			*error_r = p_strdup_printf(
			    pool, "Unknown setting in mail location: %s", key);
			return -1;
		}
	}
	if (loc->inbox == NULL)
		loc->inbox = loc->root;
	*loc_r = loc;
	return 0;
}
