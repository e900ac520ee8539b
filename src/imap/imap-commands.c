/* imap-commands.c - the command table: name, function, where it is
 * allowed (see imap-commands.h). Sorted by name for bsearch(). */
#include "lib.h"
#include "imap-commands.h"

#include <stdlib.h>

static const struct command imap_commands[] = {
    {"APPEND", cmd_append, COMMAND_FLAG_AUTH | COMMAND_FLAG_STREAM_LITERALS,
     cmd_append_literal_begin, cmd_append_literal_data},
    {"CAPABILITY", cmd_capability, COMMAND_FLAG_AUTH, NULL, NULL},
    {"CHECK", cmd_check, COMMAND_FLAG_SELECTED, NULL, NULL},
    {"CLOSE", cmd_close, COMMAND_FLAG_SELECTED, NULL, NULL},
    {"COPY", cmd_copy,
     COMMAND_FLAG_SELECTED | COMMAND_FLAG_UID | COMMAND_FLAG_NO_EXPUNGE_REPORTS,
     NULL, NULL},
    {"CREATE", cmd_create, COMMAND_FLAG_AUTH, NULL, NULL},
    {"DELETE", cmd_delete, COMMAND_FLAG_AUTH, NULL, NULL},
    {"ENABLE", cmd_enable, COMMAND_FLAG_AUTH, NULL, NULL},
    {"EXAMINE", cmd_examine, COMMAND_FLAG_AUTH, NULL, NULL},
    {"EXPUNGE", cmd_expunge, COMMAND_FLAG_SELECTED | COMMAND_FLAG_UID, NULL,
     NULL},
    {"FETCH", cmd_fetch,
     COMMAND_FLAG_SELECTED | COMMAND_FLAG_UID | COMMAND_FLAG_NO_EXPUNGE_REPORTS,
     NULL, NULL},
    {"ID", cmd_id, COMMAND_FLAG_AUTH, NULL, NULL},
    {"IDLE", cmd_idle, COMMAND_FLAG_AUTH, NULL, NULL},
    {"LIST", cmd_list, COMMAND_FLAG_AUTH, NULL, NULL},
    {"LOGOUT", cmd_logout, COMMAND_FLAG_AUTH, NULL, NULL},
    {"LSUB", cmd_lsub, COMMAND_FLAG_AUTH, NULL, NULL},
    {"MOVE", cmd_move, COMMAND_FLAG_SELECTED | COMMAND_FLAG_UID, NULL, NULL},
    {"NAMESPACE", cmd_namespace, COMMAND_FLAG_AUTH, NULL, NULL},
    {"NOOP", cmd_noop, COMMAND_FLAG_AUTH, NULL, NULL},
    {"RENAME", cmd_rename, COMMAND_FLAG_AUTH, NULL, NULL},
    {"SEARCH", cmd_search,
     COMMAND_FLAG_SELECTED | COMMAND_FLAG_UID | COMMAND_FLAG_NO_EXPUNGE_REPORTS,
     NULL, NULL},
    {"SELECT", cmd_select, COMMAND_FLAG_AUTH, NULL, NULL},
    {"STATUS", cmd_status, COMMAND_FLAG_AUTH, NULL, NULL},
    {"STORE", cmd_store,
     COMMAND_FLAG_SELECTED | COMMAND_FLAG_UID | COMMAND_FLAG_NO_EXPUNGE_REPORTS,
     NULL, NULL},
    {"SUBSCRIBE", cmd_subscribe, COMMAND_FLAG_AUTH, NULL, NULL},
    {"UNSELECT", cmd_unselect, COMMAND_FLAG_SELECTED, NULL, NULL},
    {"UNSUBSCRIBE", cmd_unsubscribe, COMMAND_FLAG_AUTH, NULL, NULL},
};

const char *const imap_stream_commands[] = {"APPEND", NULL};

static int command_cmp(const void *key, const void *member)
{
	const struct command *cmd = member;

	return strcmp(key, cmd->name);
}

const struct command *command_find(const char *name)
{
	return bsearch(name, imap_commands, N_ELEMENTS(imap_commands),
		       sizeof(imap_commands[0]), command_cmp);
}
