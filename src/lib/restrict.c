/* restrict.c - dropping privileges in one fixed order and user/group
 * lookups.
 *
 * Order: supplementary groups, chroot, chdir, gid, uid, then a check that
 * uid 0 cannot be regained. Run unprivileged, changing to the current
 * ids (or -1) only changes directory. Does not touch rlimits or
 * capabilities. */
#include "lib.h"
#include "restrict.h"

#include <grp.h>
#include <pwd.h>

int restrict_access(const struct restrict_settings *set, const char **error_r)
{
	static char errbuf[512];
	uid_t cur_uid = geteuid();
	gid_t cur_gid = getegid();
	uid_t uid = set->uid;
	gid_t gid = set->gid;
	const char *home = set->home != NULL ? set->home : "/";

#define FAIL(...)                                                              \
	do {                                                                   \
		snprintf(errbuf, sizeof(errbuf), __VA_ARGS__);                 \
		*error_r = errbuf;                                             \
		return -1;                                                     \
	} while (0)

	if (cur_uid != 0) {
		/* unprivileged: only "become myself" is possible */
		if (uid != (uid_t)-1 && uid != cur_uid)
			FAIL("Can't change uid to %ld: running as uid %ld "
			     "without privileges",
			     (long)uid, (long)cur_uid);
		if (gid != (gid_t)-1 && gid != cur_gid && gid != getgid())
			FAIL("Can't change gid to %ld: running as gid %ld "
			     "without privileges",
			     (long)gid, (long)cur_gid);
		if (chdir(home) < 0)
			FAIL("chdir(%s) failed: %s", home, strerror(errno));
		return 0;
	}

	/* root */
	if (gid != (gid_t)-1) {
		if (set->user_name != NULL) {
			if (initgroups(set->user_name, gid) < 0)
				FAIL("initgroups(%s, %ld) failed: %s",
				     set->user_name, (long)gid,
				     strerror(errno));
		} else {
			if (setgroups(1, &gid) < 0)
				FAIL("setgroups(%ld) failed: %s", (long)gid,
				     strerror(errno));
		}
	} else if (uid != (uid_t)-1 && uid != 0) {
		/* keeping root's supplementary groups would leak them */
		if (set->user_name != NULL) {
			if (initgroups(set->user_name, cur_gid) < 0)
				FAIL("initgroups(%s) failed: %s",
				     set->user_name, strerror(errno));
		} else if (setgroups(1, &cur_gid) < 0) {
			FAIL("setgroups() failed: %s", strerror(errno));
		}
	}
	if (set->chroot_dir != NULL && *set->chroot_dir != '\0' &&
	    strcmp(set->chroot_dir, "/") != 0) {
		if (chroot(set->chroot_dir) < 0)
			FAIL("chroot(%s) failed: %s", set->chroot_dir,
			     strerror(errno));
	}
	if (chdir(home) < 0)
		FAIL("chdir(%s) failed: %s", home, strerror(errno));
	if (gid != (gid_t)-1 && setresgid(gid, gid, gid) < 0)
		FAIL("setresgid(%ld) failed: %s", (long)gid, strerror(errno));
	if (uid != (uid_t)-1 && setresuid(uid, uid, uid) < 0)
		FAIL("setresuid(%ld) failed: %s", (long)uid, strerror(errno));

	if (uid != (uid_t)-1 && uid != 0) {
		if (setuid(0) == 0 || geteuid() == 0 || getuid() == 0)
			FAIL("Dropped privileges to uid %ld but root could "
			     "be regained",
			     (long)uid);
		if (gid != (gid_t)-1 && gid != 0 &&
		    (setgid(0) == 0 || getegid() == 0))
			FAIL("Dropped privileges to gid %ld but gid 0 could "
			     "be regained",
			     (long)gid);
	}
#undef FAIL
	return 0;
}

int user_lookup(const char *name, uid_t *uid_r, gid_t *gid_r)
{
	struct passwd pw, *result = NULL;
	char buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &result) != 0 ||
	    result == NULL)
		return -1;
	if (uid_r != NULL)
		*uid_r = pw.pw_uid;
	if (gid_r != NULL)
		*gid_r = pw.pw_gid;
	return 0;
}

int group_lookup(const char *name, gid_t *gid_r)
{
	struct group gr, *result = NULL;
	char buf[16384];

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &result) != 0 ||
	    result == NULL)
		return -1;
	if (gid_r != NULL)
		*gid_r = gr.gr_gid;
	return 0;
}
