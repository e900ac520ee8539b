/* pop3-commands.c - the table of POP3 commands and their dispatch. The
 * commands themselves live in cmd-*.c. LAST (RFC 1725) is not supported,
 * nor are the AUTHORIZATION state commands (the login process has them). */
#include "lib.h"
#include "pop3-commands.h"

static const struct pop3_command_def pop3_commands[] = {
    {.name = "CAPA", .func = cmd_capa}, {.name = "DELE", .func = cmd_dele},
    {.name = "LIST", .func = cmd_list}, {.name = "NOOP", .func = cmd_noop},
    {.name = "QUIT", .func = cmd_quit}, {.name = "RETR", .func = cmd_retr},
    {.name = "RSET", .func = cmd_rset}, {.name = "STAT", .func = cmd_stat},
    {.name = "TOP", .func = cmd_top},	{.name = "UIDL", .func = cmd_uidl},
};

const struct pop3_command_def *pop3_command_find(const char *name)
{
	for (unsigned int i = 0; i < N_ELEMENTS(pop3_commands); i++) {
		if (strcmp(pop3_commands[i].name, name) == 0)
			return &pop3_commands[i];
	}
	return NULL;
}

int pop3_command_execute(struct pop3_client *client, const char *name,
			 const char *args)
{
	const struct pop3_command_def *cmd = pop3_command_find(name);

	if (cmd == NULL) {
		client_send_line(client, "-ERR Unknown command: %s",
				 client_echo(client, name));
		return -1;
	}
	return cmd->func(client, args);
}
