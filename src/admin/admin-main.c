/* admin-main.c - loftadm: command-line administration. Parses the global
 * options (-c CONFIG) and dispatches to one command. */
#include "lib.h"
#include "log.h"
#include "admin.h"

#include <signal.h>

static void usage(void)
{
	fprintf(stderr, "usage: loftadm [-c CONFIG] COMMAND [ARGS]\n"
			"  pw [-s SCHEME] [-p PASSWORD] [-r ROUNDS]\n"
			"  auth explain USER [PASSWORD] [-x key=value]...\n"
			"  auth test USER [PASSWORD] [-x key=value]...\n"
			"  auth lookup USER [-x key=value]...\n"
			"  auth cache flush [USER...]\n"
			"  user USER [-x key=value]...\n");
}

int main(int argc, char *argv[])
{
	struct admin_context ctx = {.config_path = NULL};
	int i = 1;

	log_set_prefix("loftadm: ");
	signal(SIGPIPE, SIG_IGN);
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			ctx.config_path = argv[i + 1];
			i += 2;
		} else {
			usage();
			return ADMIN_EX_USAGE;
		}
	}
	if (i >= argc) {
		usage();
		return ADMIN_EX_USAGE;
	}
	if (strcmp(argv[i], "pw") == 0)
		return admin_cmd_pw(&ctx, argc - i, argv + i);
	if (strcmp(argv[i], "auth") == 0 && i + 1 < argc &&
	    strcmp(argv[i + 1], "explain") == 0)
		return admin_cmd_auth_explain(&ctx, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "auth") == 0)
		return admin_cmd_auth(&ctx, argc - i, argv + i);
	if (strcmp(argv[i], "user") == 0)
		return admin_cmd_user(&ctx, argc - i, argv + i);
	usage();
	return ADMIN_EX_USAGE;
}
