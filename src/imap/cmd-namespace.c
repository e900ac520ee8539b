/* cmd-namespace.c - NAMESPACE (RFC 2342, RFC 9051 section 6.3.10): the
 * one private namespace, with its prefix and separator. */
#include "lib.h"
#include "str.h"
#include "imap-quote.h"
#include "imap-commands.h"

bool cmd_namespace(struct client_command *cmd)
{
	struct client *client = cmd->client;
	string_t *str = str_new(cmd->pool, 128);
	char sep[2] = {client->separator, '\0'};

	str_append(str, "* NAMESPACE ((");
	imap_append_string(str, client->ns_prefix,
			   (client->enabled & (CLIENT_ENABLED_UTF8_ACCEPT |
					       CLIENT_ENABLED_IMAP4REV2)) != 0
			       ? IMAP_QUOTE_UTF8
			       : 0);
	str_append_c(str, ' ');
	imap_append_string(str, sep, 0);
	str_append(str, ")) NIL NIL");
	client_send_line(client, str_c(str));
	client_command_reply(cmd, "OK Namespace completed.");
	return true;
}
