/* mail-location.h - parsing Dovecot's mail_location setting.
 *
 *   maildir:PATH[:INBOX=path][:LAYOUT=fs|maildir++][:CONTROL=path]
 *               [:INDEX=path|MEMORY]
 *
 * "::" inside a value is a literal ':'. A leading "~/" (or a bare "~") in
 * any path is replaced by home. Other keys Dovecot knows for maildir
 * (VOLATILEDIR, DIRNAME, SUBSCRIPTIONS, ...) are accepted and ignored; an
 * unknown key is an error. Only the "maildir" driver exists. No I/O. */
#ifndef LOFT_MAIL_LOCATION_H
#define LOFT_MAIL_LOCATION_H

#include "lib.h"
#include "pool.h"

enum mail_location_layout {
	MAIL_LOCATION_LAYOUT_MAILDIRPP = 0,
	MAIL_LOCATION_LAYOUT_FS,
};

struct mail_location {
	const char *driver;  /* "maildir" */
	const char *root;    /* the mail root directory */
	const char *inbox;   /* INBOX's maildir: INBOX= or root */
	const char *control; /* CONTROL= or NULL (same as the mailbox) */
	const char *index;   /* INDEX= or NULL; "MEMORY" when in-memory */
	enum mail_location_layout layout;
};

/* Parses location; strings are allocated from pool. Returns 0, or -1 with
 * *error_r (static or pool-allocated). home may be NULL when the location
 * uses no "~". */
int mail_location_parse(pool_t pool, const char *location, const char *home,
			struct mail_location **loc_r, const char **error_r);

#endif
