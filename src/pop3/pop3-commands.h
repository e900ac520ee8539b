/* pop3-commands.h - the POP3 commands of the TRANSACTION state, one per
 * file (cmd-*.c), registered in one table (pop3-commands.c).
 *
 * A command function gets the session and the arguments after the
 * command name (leading spaces skipped). It returns 1 when it is done
 * (whatever it replied), 0 when it set client->cmd_continue to finish
 * later, -1 when the client made an error (counted towards
 * POP3_CLIENT_MAX_BAD_COMMANDS); the -ERR line is always sent by the
 * command itself. */
#ifndef LOFT_POP3_COMMANDS_H
#define LOFT_POP3_COMMANDS_H

#include "pop3-client.h"

typedef int pop3_command_func_t(struct pop3_client *client, const char *args);

struct pop3_command_def {
	const char *name;
	pop3_command_func_t *func;
};

/* Finds a command by its upper-cased name, or NULL. */
const struct pop3_command_def *pop3_command_find(const char *name);
/* Runs the command line: unknown commands get "-ERR Unknown command:
 * <NAME>" and return -1. Same return values as a command. */
int pop3_command_execute(struct pop3_client *client, const char *name,
			 const char *args);

/* The post-login CAPA reply lines (without the final "."), CR LF each. */
#define POP3_CAPABILITY_REPLY                                                  \
	"CAPA\r\n"                                                             \
	"TOP\r\n"                                                              \
	"UIDL\r\n"                                                             \
	"RESP-CODES\r\n"                                                       \
	"PIPELINING\r\n"                                                       \
	"AUTH-RESP-CODE\r\n"

pop3_command_func_t cmd_capa, cmd_dele, cmd_list, cmd_noop, cmd_quit, cmd_retr,
    cmd_rset, cmd_stat, cmd_top, cmd_uidl;

/* Starts sending message idx (RETR when top is false, else TOP with
 * body_lines): the +OK line, then the message through pop3-fetch's filter,
 * resumable. Shared by cmd-retr.c and cmd-top.c. Returns like a command. */
int pop3_fetch_start(struct pop3_client *client, unsigned int idx, bool top,
		     uint64_t body_lines);

#endif
