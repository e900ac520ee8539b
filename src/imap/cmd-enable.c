/* cmd-enable.c - ENABLE (RFC 5161): CONDSTORE (RFC 7162 section 3.1),
 * QRESYNC (which implies CONDSTORE, RFC 7162 section 3.2.3), UTF8=ACCEPT
 * (RFC 6855) and IMAP4rev2 (RFC 9051). "* ENABLED" lists only what this
 * command newly enabled; unknown names are ignored. */
#include "lib.h"
#include "str.h"
#include "imap-parser.h"
#include "imap-commands.h"

#include <strings.h>

static const struct {
	const char *name;
	enum client_enabled flag;
} enable_names[] = {
    {"CONDSTORE", CLIENT_ENABLED_CONDSTORE},
    {"QRESYNC", CLIENT_ENABLED_QRESYNC},
    {"UTF8=ACCEPT", CLIENT_ENABLED_UTF8_ACCEPT},
    {"IMAP4rev2", CLIENT_ENABLED_IMAP4REV2},
};

bool cmd_enable(struct client_command *cmd)
{
	struct client *client = cmd->client;
	string_t *str = str_new(cmd->pool, 64);
	const char *name;

	if (cmd->args_count == 0) {
		client_command_bad(cmd, "Missing arguments.");
		return true;
	}
	for (unsigned int i = 0; i < cmd->args_count; i++) {
		if (!imap_arg_get_atom(&cmd->args[i], &name)) {
			client_command_bad(cmd, "Invalid arguments.");
			return true;
		}
	}
	str_append(str, "ENABLED");
	for (unsigned int i = 0; i < cmd->args_count; i++) {
		enum client_enabled flag = 0;

		(void)imap_arg_get_atom(&cmd->args[i], &name);
		for (unsigned int j = 0; j < N_ELEMENTS(enable_names); j++) {
			if (strcasecmp(name, enable_names[j].name) == 0) {
				flag = enable_names[j].flag;
				name = enable_names[j].name;
				break;
			}
		}
		if (flag == 0 || (client->enabled & flag) != 0)
			continue;
		client->enabled |= flag;
		if (flag == CLIENT_ENABLED_QRESYNC)
			client->enabled |= CLIENT_ENABLED_CONDSTORE;
		str_append_c(str, ' ');
		str_append(str, name);
	}
	client_send_untagged(client, "%s", str_c(str));
	client_command_reply(cmd, "OK Enabled.");
	return true;
}
