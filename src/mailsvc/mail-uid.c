/* mail-uid.c - which uid/gid a user's mail is served as (see
 * mail_service_get_ids() in mail-service.h). No process handling. */
#include "lib.h"
#include "restrict.h"
#include "settings.h"
#include "mail-service.h"

#include <pwd.h>

static int parse_uid(const char *str, uid_t *uid_r, gid_t *gid_r,
		     bool *have_gid_r)
{
	unsigned int num;

	*have_gid_r = false;
	if (str_to_uint(str, &num) == 0) {
		*uid_r = (uid_t)num;
		return 0;
	}
	if (user_lookup(str, uid_r, gid_r) < 0)
		return -1;
	*have_gid_r = true;
	return 0;
}

static int parse_gid(const char *str, gid_t *gid_r)
{
	unsigned int num;

	if (str_to_uint(str, &num) == 0) {
		*gid_r = (gid_t)num;
		return 0;
	}
	return group_lookup(str, gid_r);
}

int mail_service_get_ids(const struct loft_settings *set, const char *uid_field,
			 const char *gid_field, uid_t *uid_r, gid_t *gid_r,
			 const char **error_r)
{
	const char *uid_str = uid_field, *gid_str = gid_field;
	bool have_uid = false, have_gid = false, user_gid = false;
	gid_t pw_gid = 0;

	if (getuid() != 0) {
		/* nothing to change to when not root */
		*uid_r = getuid();
		*gid_r = getgid();
		return 0;
	}
	if (uid_str == NULL || *uid_str == '\0')
		uid_str = set->mail_uid;
	if (gid_str == NULL || *gid_str == '\0')
		gid_str = set->mail_gid;
	if (uid_str != NULL && *uid_str != '\0') {
		if (parse_uid(uid_str, uid_r, &pw_gid, &user_gid) < 0) {
			*error_r = "Unknown uid in userdb or mail_uid";
			return -1;
		}
		have_uid = true;
	}
	if (gid_str != NULL && *gid_str != '\0') {
		if (parse_gid(gid_str, gid_r) < 0) {
			*error_r = "Unknown gid in userdb or mail_gid";
			return -1;
		}
		have_gid = true;
	}
	if (!have_uid) {
		*error_r = "Mail access not allowed: no uid from userdb and "
			   "mail_uid not set";
		return -1;
	}
	if (!have_gid) {
		struct passwd *pw = getpwuid(*uid_r);

		if (user_gid)
			*gid_r = pw_gid;
		else if (pw != NULL)
			*gid_r = pw->pw_gid;
		else {
			*error_r = "No gid from userdb and mail_gid not set";
			return -1;
		}
	}
	if (*uid_r == 0 || *uid_r < set->first_valid_uid ||
	    (set->last_valid_uid != 0 && *uid_r > set->last_valid_uid)) {
		*error_r = "Mail access for users with this UID not permitted "
			   "(see first_valid_uid in config file)";
		return -1;
	}
	if (*gid_r == 0) {
		*error_r = "Mail access for users with GID 0 not permitted";
		return -1;
	}
	return 0;
}
