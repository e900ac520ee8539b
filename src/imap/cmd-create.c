/* cmd-create.c - CREATE (RFC 3501 section 6.3.3, RFC 9051 section 6.3.4)
 * with the USE parameter of CREATE-SPECIAL-USE (RFC 6154 section 3).
 *
 * A trailing hierarchy separator only declares that names will be
 * created below (RFC 3501 section 6.3.3): it is dropped and the mailbox
 * created, as Dovecot does on Maildir. Special-use attributes come from
 * the configuration (namespace { mailbox X { special_use } }); USE with
 * a known attribute is accepted and not stored, an unknown one is refused
 * with [USEATTR] (RFC 6154 section 5.3). */
#include "lib.h"
#include "imap-commands.h"
#include "imap-parser.h"
#include "imap-list-util.h"
#include "mailbox-list.h"

#include <strings.h>

static const char *const special_use_attrs[] = {
    "\\All",  "\\Archive", "\\Drafts", "\\Flagged",
    "\\Junk", "\\Sent",	   "\\Trash",  "\\Important", /* RFC 8457 */
};

/* (USE (\Sent ...)). Returns 1 ok, 0 unknown attribute, -1 syntax. */
static int check_params(const struct imap_arg *args)
{
	const struct imap_arg *list, *attrs;
	unsigned int count, attr_count;
	const char *str;

	if (args->type == IMAP_ARG_EOL)
		return 1;
	if (!imap_arg_get_list(args, &list, &count) ||
	    args[1].type != IMAP_ARG_EOL)
		return -1;
	for (unsigned int i = 0; i < count; i += 2) {
		if (!imap_arg_atom_equals(&list[i], "USE") || i + 1 >= count ||
		    !imap_arg_get_list(&list[i + 1], &attrs, &attr_count))
			return -1;
		for (unsigned int j = 0; j < attr_count; j++) {
			unsigned int k;

			if (!imap_arg_get_atom(&attrs[j], &str))
				return -1;
			for (k = 0; k < N_ELEMENTS(special_use_attrs); k++) {
				if (strcasecmp(str, special_use_attrs[k]) == 0)
					break;
			}
			if (k == N_ELEMENTS(special_use_attrs))
				return 0;
		}
	}
	return 1;
}

bool cmd_create(struct client_command *cmd)
{
	struct client *client = cmd->client;
	const char *name, *storage_name, *error;
	char *trimmed;
	size_t len;
	int ret;

	if (!imap_arg_get_astring(&cmd->args[0], &name)) {
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	ret = check_params(&cmd->args[1]);
	if (ret < 0) {
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	if (ret == 0) {
		client_command_no(cmd, "USEATTR",
				  "Unsupported SPECIAL-USE attribute");
		return true;
	}
	/* RFC 3501 section 6.3.3: "foo/" creates foo */
	trimmed = p_strdup(cmd->pool, name);
	len = strlen(trimmed);
	if (len > 1 && trimmed[len - 1] == client->separator)
		trimmed[len - 1] = '\0';
	if (!client_mailbox_name_from_imap(client, trimmed, &storage_name,
					   &error)) {
		client_command_no(cmd, NULL, error);
		return true;
	}
	if (strcmp(storage_name, "INBOX") == 0) {
		client_command_no(cmd, "ALREADYEXISTS",
				  "Mailbox already exists");
		return true;
	}
	if (!imap_cmd_mailbox_name_is_valid(client, storage_name, &error)) {
		imap_cmd_name_refused(cmd, error);
		return true;
	}
	ret = mailbox_list_create_mailbox(client->list, storage_name, &error);
	if (ret == 0) {
		client_command_no(cmd, "ALREADYEXISTS",
				  "Mailbox already exists");
		return true;
	}
	if (ret < 0) {
		imap_cmd_storage_failed(cmd, "CREATE", error);
		return true;
	}
	client_command_reply(cmd, "OK Create completed.");
	return true;
}
