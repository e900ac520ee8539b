/* pop3-dispatch.h - the pop3 service's dispatcher role.
 *
 * Accepts connections from login processes on "login/pop3", reads the
 * client fd and the LOGIN line (login-handoff.h), asks the auth process
 * (auth-master REQUEST) who the user is, and hands the client to the
 * worker process of the user's uid (pop3-worker.h), starting it on demand.
 * The worker's answer is relayed to the login ("OK\t<pid>" or
 * "FAIL\t<reason>"). It never reads mail and never parses client bytes.
 *
 * SIGTERM: workers are told to stop and the dispatcher exits. SIGQUIT:
 * no new logins; exits when the last worker has gone. */
#ifndef LOFT_POP3_DISPATCH_H
#define LOFT_POP3_DISPATCH_H

#include "lib.h"
#include "service-env.h"

/* Decides the uid/gid a user's mail is served as: userdb "uid"/"gid"
 * (numbers or names), else mail_uid/mail_gid, else, when not running as
 * root, the current ones (as they are when not root anyway). Returns 0,
 * or -1 with *error_r (for the log) when there is none or the uid is
 * refused (0, or below first_valid_uid / above last_valid_uid). */
int pop3_dispatch_get_ids(const struct loft_settings *set,
			  const char *uid_field, const char *gid_field,
			  uid_t *uid_r, gid_t *gid_r, const char **error_r);

/* Runs the dispatcher until it is stopped. argv is passed on to the
 * workers it starts (after "--worker"). Never returns. */
void pop3_dispatch_main(struct service_env *env, int argc,
			char **argv) ATTR_NORETURN;

#endif
