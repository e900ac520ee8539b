/* var-expand.h - Dovecot's variable expansion in both generations.
 *
 * 2.3 form: %u %n %d %s %r %l %p %h %{name}, with modifiers before the
 * letter: L (lower), U (upper), and %% for a literal percent.
 * 2.4 form: %{name}, %{name | filter | filter}, filters lower, upper,
 * domain, username, and %{name:default}? (not supported: an unknown
 * filter is an error).
 *
 * The caller passes a table of variables; each has a one-letter key
 * (or '\0') and a long name. An unknown variable is an error. */
#ifndef LOFT_VAR_EXPAND_H
#define LOFT_VAR_EXPAND_H

#include "lib.h"
#include "str.h"

struct var_expand_table {
	char key;	   /* '\0' when there is no short form */
	const char *value; /* NULL expands to "" */
	const char *long_key;
};

/* Expands tmpl into dest. Returns 1 on success, -1 with *error_r on a
 * syntax error or unknown variable/filter (dest then holds what was
 * expanded so far). table ends with an all-zero entry. */
int var_expand(string_t *dest, const char *tmpl,
	       const struct var_expand_table *table, const char **error_r);

/* Standard table for a login: user (u), username (n: part before @),
 * domain (d: after @), service (s: imap/pop3), remote_ip (r), local_ip (l),
 * pid (p), home (h), session (no short key). Any value may be NULL. The
 * table is allocated from pool. */
struct var_expand_table *
var_expand_table_login(pool_t pool, const char *user, const char *service,
		       const char *remote_ip, const char *local_ip,
		       const char *home, const char *session);

/* var_expand() with the table of var_expand_table_login(), built on the
 * stack with the values used in place: nothing is allocated for a
 * one-off expansion. A template without '%' is copied as is. */
int var_expand_login(string_t *dest, const char *tmpl, const char *user,
		     const char *service, const char *remote_ip,
		     const char *local_ip, const char *home,
		     const char *session, const char **error_r);

#endif
