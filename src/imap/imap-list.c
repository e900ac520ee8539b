/* imap-list.c - LIST/LSUB argument syntax and wildcard matching.
 * Does not list anything: cmd-list.c walks the mailbox list. */
#include "lib.h"
#include "pool.h"
#include "imap-list.h"

#include <strings.h>

struct imap_match {
	char *pattern; /* wildcard runs collapsed */
	size_t len;
	size_t literals; /* non-wildcard characters */
	char sep;
};

/* ---- arguments ---- */

static int parse_select_options(const struct imap_arg *list, unsigned int count,
				struct imap_list_request *req,
				const char **error_r)
{
	for (unsigned int i = 0; i < count; i++) {
		const char *opt;

		if (!imap_arg_get_atom(&list[i], &opt)) {
			*error_r = "List options contains non-atoms.";
			return -1;
		}
		if (strcasecmp(opt, "SUBSCRIBED") == 0) {
			/* RFC 5258 section 3.1: implies the return option */
			req->select |= IMAP_LIST_SELECT_SUBSCRIBED;
			req->ret |= IMAP_LIST_RETURN_SUBSCRIBED;
		} else if (strcasecmp(opt, "REMOTE") == 0) {
			req->select |= IMAP_LIST_SELECT_REMOTE;
		} else if (strcasecmp(opt, "RECURSIVEMATCH") == 0) {
			req->select |= IMAP_LIST_SELECT_RECURSIVEMATCH;
		} else if (strcasecmp(opt, "SPECIAL-USE") == 0) {
			req->select |= IMAP_LIST_SELECT_SPECIAL_USE;
			req->ret |= IMAP_LIST_RETURN_SPECIAL_USE;
		} else {
			*error_r = "Unknown select options";
			return -1;
		}
	}
	/* RFC 5258 section 3.1: RECURSIVEMATCH needs another option that
	 * selects (REMOTE does not) */
	if ((req->select & IMAP_LIST_SELECT_RECURSIVEMATCH) != 0 &&
	    (req->select & ~(IMAP_LIST_SELECT_RECURSIVEMATCH |
			     IMAP_LIST_SELECT_REMOTE)) == 0) {
		*error_r = "RECURSIVEMATCH must not be the only selection";
		return -1;
	}
	return 0;
}

static int parse_return_options(const struct imap_arg *list, unsigned int count,
				struct imap_list_request *req,
				const char **error_r)
{
	for (unsigned int i = 0; i < count; i++) {
		const struct imap_arg *items;
		unsigned int items_count;
		const char *opt;

		if (!imap_arg_get_atom(&list[i], &opt)) {
			*error_r = "List options contains non-atoms.";
			return -1;
		}
		if (strcasecmp(opt, "SUBSCRIBED") == 0) {
			req->ret |= IMAP_LIST_RETURN_SUBSCRIBED;
		} else if (strcasecmp(opt, "CHILDREN") == 0) {
			req->ret |= IMAP_LIST_RETURN_CHILDREN;
		} else if (strcasecmp(opt, "SPECIAL-USE") == 0) {
			req->ret |= IMAP_LIST_RETURN_SPECIAL_USE;
		} else if (strcasecmp(opt, "STATUS") == 0) {
			/* RFC 5819 section 2: STATUS (items) */
			if (i + 1 >= count ||
			    !imap_arg_get_list(&list[i + 1], &items,
					       &items_count)) {
				*error_r = "STATUS option has no arguments";
				return -1;
			}
			if (imap_status_parse_items(items, items_count,
						    &req->status_items,
						    error_r) < 0)
				return -1;
			req->ret |= IMAP_LIST_RETURN_STATUS;
			i++;
		} else {
			*error_r = "Unknown return options";
			return -1;
		}
	}
	return 0;
}

int imap_list_parse_args(pool_t pool, const struct imap_arg *args, bool lsub,
			 struct imap_list_request *req_r, const char **error_r)
{
	const struct imap_arg *list;
	unsigned int count;
	const char *str;

	memset(req_r, 0, sizeof(*req_r));
	if (!lsub && args->type == IMAP_ARG_LIST) {
		req_r->extended = true;
		(void)imap_arg_get_list(args, &list, &count);
		if (parse_select_options(list, count, req_r, error_r) < 0)
			return -1;
		args++;
	}
	if (!imap_arg_get_astring(args, &req_r->ref)) {
		*error_r = "Invalid arguments.";
		return -1;
	}
	args++;
	if (!lsub && args->type == IMAP_ARG_LIST) {
		/* RFC 5258 section 3: a list of patterns */
		req_r->extended = true;
		(void)imap_arg_get_list(args, &list, &count);
		if (count == 0 || count > IMAP_LIST_MAX_PATTERNS) {
			*error_r = "Invalid pattern list";
			return -1;
		}
		req_r->patterns = p_new(pool, const char *, count);
		for (unsigned int i = 0; i < count; i++) {
			if (!imap_arg_get_astring(&list[i], &str)) {
				*error_r = "Invalid pattern list";
				return -1;
			}
			req_r->patterns[i] = str;
		}
		req_r->pattern_count = count;
	} else if (imap_arg_get_astring(args, &str)) {
		req_r->patterns = p_new(pool, const char *, 1);
		req_r->patterns[0] = str;
		req_r->pattern_count = 1;
	} else {
		*error_r = "Invalid arguments.";
		return -1;
	}
	args++;
	if (!lsub && imap_arg_atom_equals(args, "RETURN")) {
		req_r->extended = true;
		if (!imap_arg_get_list(&args[1], &list, &count)) {
			*error_r = "Invalid return options";
			return -1;
		}
		if (parse_return_options(list, count, req_r, error_r) < 0)
			return -1;
		args += 2;
	}
	if (args->type != IMAP_ARG_EOL) {
		*error_r = "Invalid arguments.";
		return -1;
	}
	return 0;
}

const char *imap_list_join_ref(pool_t pool, const char *ref,
			       const char *pattern, char sep)
{
	size_t ref_len = strlen(ref);

	if (ref_len == 0)
		return pattern;
	if (pattern[0] == sep && ref[ref_len - 1] == sep)
		return p_strconcat(pool, ref, pattern + 1, NULL);
	return p_strconcat(pool, ref, pattern, NULL);
}

/* ---- matching ---- */

struct imap_match *imap_match_init(pool_t pool, const char *pattern, char sep)
{
	struct imap_match *match = p_new(pool, struct imap_match, 1);
	size_t len = strlen(pattern), j = 0;

	match->sep = sep;
	match->pattern = p_malloc(pool, len + 1);
	for (size_t i = 0; i < len; i++) {
		char c = pattern[i];

		if (c == '*' || c == '%') {
			/* a run of wildcards is "*" when it holds one,
			 * else "%" */
			bool star = false;

			while (i < len &&
			       (pattern[i] == '*' || pattern[i] == '%')) {
				star = star || pattern[i] == '*';
				i++;
			}
			i--;
			match->pattern[j++] = star ? '*' : '%';
		} else {
			match->pattern[j++] = c;
			match->literals++;
		}
	}
	match->len = j;
	return match;
}

static bool name_has_inbox_level(const char *name, char sep)
{
	return strncmp(name, "INBOX", 5) == 0 &&
	       (name[5] == '\0' || name[5] == sep);
}

static bool chr_eq(char p, char n, bool icase)
{
	if (p == n)
		return true;
	if (!icase)
		return false;
	if (p >= 'a' && p <= 'z')
		p = (char)(p - 'a' + 'A');
	return p == n;
}

bool imap_match(const struct imap_match *match, const char *name)
{
	size_t n = strlen(name), i, j;
	bool inbox = name_has_inbox_level(name, match->sep);
	bool *cur, *prev, *tmp, result;

	if (match->literals > n)
		return false;
	/* prev[j]: the pattern so far matches the first j bytes of name */
	prev = i_calloc(n + 1, sizeof(bool));
	cur = i_calloc(n + 1, sizeof(bool));
	prev[0] = true;
	for (i = 0; i < match->len; i++) {
		char c = match->pattern[i];

		if (c == '*') {
			bool any = false;

			for (j = 0; j <= n; j++) {
				any = any || prev[j];
				cur[j] = any;
			}
		} else if (c == '%') {
			cur[0] = prev[0];
			for (j = 1; j <= n; j++) {
				cur[j] = prev[j] || (cur[j - 1] &&
						     name[j - 1] != match->sep);
			}
		} else {
			cur[0] = false;
			for (j = 1; j <= n; j++) {
				/* RFC 3501 section 5.1: INBOX in any case */
				cur[j] = prev[j - 1] && chr_eq(c, name[j - 1],
							       inbox && j <= 5);
			}
		}
		tmp = prev;
		prev = cur;
		cur = tmp;
	}
	result = prev[n];
	i_free(prev);
	i_free(cur);
	return result;
}
