/* admin.h - loftadm's commands. Each command gets the arguments after
 * its name and returns the process exit status (0 ok; doveadm's codes
 * otherwise: 64 usage, 67 no such user, 75 temporary failure, 77 auth
 * failed). */
#ifndef LOFT_ADMIN_H
#define LOFT_ADMIN_H

#include "lib.h"

#define ADMIN_EX_USAGE 64
#define ADMIN_EX_NOUSER 67
#define ADMIN_EX_TEMPFAIL 75
#define ADMIN_EX_NOPERM 77

struct admin_context {
	const char *config_path; /* NULL = default */
};

int admin_cmd_pw(struct admin_context *ctx, int argc, char **argv);
/* auth explain; argv[0] = "explain" */
int admin_cmd_auth_explain(struct admin_context *ctx, int argc, char **argv);
/* auth test / auth lookup / auth cache flush; argv[0] = "auth" */
int admin_cmd_auth(struct admin_context *ctx, int argc, char **argv);
int admin_cmd_user(struct admin_context *ctx, int argc, char **argv);

/* Reads a password without echo from the terminal (prompt on stderr), or
 * one line from stdin when it is not a terminal. Returns a heap string
 * (wipe and free it) or NULL on EOF. */
char *admin_read_password(const char *prompt);
/* Loads the config and returns base_dir/<name>, or NULL after printing
 * the error. */
const char *admin_socket_path(struct admin_context *ctx, const char *name);

#endif
