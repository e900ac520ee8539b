/* restrict.h - dropping privileges in one fixed order.
 *
 * setgroups, chroot, chdir, setresgid, setresuid, then a check that root
 * cannot be regained. Run as a normal user, a request to become that same
 * user (or uid/gid -1) succeeds without changing anything, so the demo and
 * tests run the same code. */
#ifndef LOFT_RESTRICT_H
#define LOFT_RESTRICT_H

#include "lib.h"

struct restrict_settings {
	uid_t uid;		/* (uid_t)-1 = keep */
	gid_t gid;		/* (gid_t)-1 = keep */
	const char *chroot_dir; /* NULL = none; ignored when not root */
	const char *home;	/* chdir here after (NULL = "/") */
	const char
	    *user_name; /* for initgroups(); NULL = setgroups(gid) only */
};

/* Returns 0, or -1 with *error_r. Afterwards getuid()==uid etc. */
int restrict_access(const struct restrict_settings *set, const char **error_r);

/* Looks up a user/group by name. 0 found, -1 not found/error. */
int user_lookup(const char *name, uid_t *uid_r, gid_t *gid_r);
int group_lookup(const char *name, gid_t *gid_r);

#endif
