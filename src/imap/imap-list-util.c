/* imap-list-util.c - mailbox name arguments and storage failures for the
 * mailbox commands. */
#include "lib.h"
#include "str.h"
#include "mutf7.h"
#include "imap-parser.h"
#include "imap-list-util.h"
#include "mailbox-list.h"
#include "mailbox-error.h"

bool imap_cmd_get_mailbox(struct client_command *cmd,
			  const struct imap_arg *arg, const char **imap_name_r,
			  const char **storage_name_r)
{
	const char *error;

	if (!imap_arg_get_astring(arg, imap_name_r)) {
		client_command_bad(cmd, "Invalid arguments.");
		return false;
	}
	if (!client_mailbox_name_from_imap(cmd->client, *imap_name_r,
					   storage_name_r, &error)) {
		client_command_no(cmd, NULL, error);
		return false;
	}
	if (!imap_cmd_mailbox_name_is_valid(cmd->client, *storage_name_r,
					    &error)) {
		imap_cmd_name_refused(cmd, error);
		return false;
	}
	return true;
}

bool imap_cmd_get_only_mailbox(struct client_command *cmd,
			       const char **imap_name_r,
			       const char **storage_name_r)
{
	if (!imap_cmd_get_mailbox(cmd, &cmd->args[0], imap_name_r,
				  storage_name_r))
		return false;
	if (cmd->args[1].type != IMAP_ARG_EOL) {
		client_command_bad(cmd, "Invalid arguments.");
		return false;
	}
	return true;
}

void imap_cmd_no_such_mailbox(struct client_command *cmd, const char *code,
			      const char *imap_name)
{
	client_command_no(
	    cmd, code,
	    p_strdup_printf(cmd->pool, "Mailbox doesn't exist: %s", imap_name));
}

void imap_cmd_close_selected(struct client *client)
{
	client_close_mailbox(client);
	client_send_untagged(client, "OK [CLOSED] Previous mailbox closed.");
}

bool imap_cmd_mailbox_name_is_valid(struct client *client, const char *name,
				    const char **error_r)
{
	char sep = client->separator;

	/* Dovecot's checks and texts first, then the storage's rules */
	if (name[0] == sep && sep != '\0') {
		*error_r = "Invalid mailbox name: Begins with hierarchy "
			   "separator";
		return false;
	}
	if (sep != '\0' &&
	    strstr(name, (const char[]){sep, sep, '\0'}) != NULL) {
		*error_r = "Invalid mailbox name: Has adjacent hierarchy "
			   "separators";
		return false;
	}
	if (name[0] == '~') {
		/* a home-relative path in Dovecot's mailbox names */
		*error_r = "Invalid mailbox name: Begins with '~'";
		return false;
	}
	return mailbox_list_name_is_valid(client->list, name, error_r);
}

void imap_cmd_name_refused(struct client_command *cmd, const char *error)
{
	/* Dovecot's refusals of a name, "too long" included, are [CANNOT]
	 * (RFC 5530 section 3) */
	client_command_no(cmd, "CANNOT", error);
}

bool imap_cmd_keywords_fit(const struct client *client,
			   const char *const *keywords)
{
	for (; keywords != NULL && *keywords != NULL; keywords++) {
		if (strlen(*keywords) > client->set->mail_max_keyword_length)
			return false;
	}
	return true;
}

void imap_cmd_storage_failed(struct client_command *cmd, const char *what,
			     const char *error)
{
	/* RFC 5530 section 3: OVERQUOTA and LIMIT */
	switch (mailbox_error_get_kind(error)) {
	case MAILBOX_ERROR_NOSPACE:
		/* the administrator must hear of a full disk */
		client_log(cmd->client, LOG_TYPE_ERROR, "%s failed: %s", what,
			   error);
		client_command_no(cmd, "OVERQUOTA", "Not enough disk space");
		return;
	case MAILBOX_ERROR_NOQUOTA:
		client_command_no(cmd, "OVERQUOTA", "Not enough disk quota");
		return;
	case MAILBOX_ERROR_LIMIT:
		client_command_no(cmd, "LIMIT", error);
		return;
	case MAILBOX_ERROR_NAMETOOLONG:
		/* a name within the name limits whose Maildir++ directory
		 * exceeds NAME_MAX: Dovecot's answer to its CREATE */
		client_command_no(cmd, NULL, "Not found");
		return;
	case MAILBOX_ERROR_INTERNAL:
		break;
	}
	client_log(cmd->client, LOG_TYPE_ERROR, "%s failed: %s", what, error);
	client_command_no(cmd, "SERVERBUG", IMAP_INTERNAL_ERROR);
}

bool imap_cmd_utf8_names(const struct client *client)
{
	return (client->enabled &
		(CLIENT_ENABLED_UTF8_ACCEPT | CLIENT_ENABLED_IMAP4REV2)) != 0;
}

const char *imap_cmd_mailbox_visible_name(struct client *client, pool_t pool,
					  const char *storage_name)
{
	string_t *str;

	if (strcmp(storage_name, "INBOX") == 0)
		return "INBOX";
	str = str_new(pool, strlen(storage_name) + 16);
	str_append(str, client->ns_prefix != NULL ? client->ns_prefix : "");
	if (imap_cmd_utf8_names(client))
		str_append(str, storage_name);
	else if (mutf7_from_utf8(storage_name, str) < 0)
		return NULL;
	return str_c(str);
}
