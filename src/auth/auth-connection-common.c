/* auth-connection-common.c - line handling shared by the client and
 * master protocol connections. */
#include "lib.h"
#include "auth-connection-common.h"

#include <string.h>

int auth_connection_split_line(char *line, char **args, unsigned int max_args,
			       unsigned int *argc_r)
{
	unsigned int argc = 0;
	char *p;

	p = strchr(line, '\t');
	if (p != NULL) {
		*p++ = '\0';
		while (p != NULL && argc < max_args) {
			args[argc++] = p;
			p = strchr(p, '\t');
			if (p != NULL)
				*p++ = '\0';
		}
		if (p != NULL)
			return -1;
	}
	args[argc] = NULL;
	*argc_r = argc;
	return 0;
}

enum auth_connection_version
auth_connection_check_version(const char *cmd, char *const *args,
			      unsigned int argc, unsigned int min_argc,
			      unsigned int major)
{
	unsigned int received;

	if (strcmp(cmd, "VERSION") != 0 || argc < min_argc ||
	    str_to_uint(args[0], &received) < 0)
		return AUTH_CONNECTION_VERSION_MISSING;
	if (received != major)
		return AUTH_CONNECTION_VERSION_INCOMPATIBLE;
	return AUTH_CONNECTION_VERSION_OK;
}
