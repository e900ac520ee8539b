/* auth-connection-common.h - line handling shared by the client and
 * master protocol connections: splitting a line at tabs and checking
 * the VERSION handshake. */
#ifndef LOFT_AUTH_CONNECTION_COMMON_H
#define LOFT_AUTH_CONNECTION_COMMON_H

#include "lib.h"

enum auth_connection_version {
	AUTH_CONNECTION_VERSION_OK,
	/* not a VERSION line, or too few or bad parameters */
	AUTH_CONNECTION_VERSION_MISSING,
	/* a different major version */
	AUTH_CONNECTION_VERSION_INCOMPATIBLE,
};

/* Splits line in place at tabs: line becomes the command and args[]
 * (max_args + 1 slots) its NULL-terminated parameters, still escaped.
 * Returns 0, or -1 if there are more than max_args parameters. */
int auth_connection_split_line(char *line, char **args, unsigned int max_args,
			       unsigned int *argc_r);

/* Checks a VERSION line with at least min_argc parameters, the first
 * being the major version. */
enum auth_connection_version
auth_connection_check_version(const char *cmd, char *const *args,
			      unsigned int argc, unsigned int min_argc,
			      unsigned int major);

#endif
