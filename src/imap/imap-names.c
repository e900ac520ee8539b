/* imap-names.c - mailbox names between the wire and the storage (see
 * client_mailbox_name_from_imap() in imap-client.h): modified UTF-7 or
 * UTF-8, the namespace prefix, INBOX in any case. Uses only the session's
 * enabled extensions and namespace; no storage access. */
#include "lib.h"
#include "str.h"
#include "mutf7.h"
#include "imap-quote.h"
#include "imap-client.h"

#include <strings.h>

static pool_t client_name_pool(struct client *client)
{
	return client->cmd != NULL ? client->cmd->pool : client->pool;
}

static bool client_utf8(const struct client *client)
{
	return (client->enabled &
		(CLIENT_ENABLED_UTF8_ACCEPT | CLIENT_ENABLED_IMAP4REV2)) != 0;
}

bool client_mailbox_name_from_imap(struct client *client, const char *name,
				   const char **storage_name_r,
				   const char **error_r)
{
	pool_t pool = client_name_pool(client);
	size_t prefix_len = strlen(client->ns_prefix);
	const char *decoded;

	/* RFC 3501 section 5.1: INBOX is case-insensitive */
	if (strcasecmp(name, "INBOX") == 0) {
		*storage_name_r = "INBOX";
		return true;
	}
	if (client_utf8(client)) {
		/* RFC 6855 section 3 / RFC 9051 section 5.1: UTF-8 names */
		if (!mail_utf8_is_valid(name, strlen(name))) {
			*error_r = "Mailbox name is not valid UTF-8";
			return false;
		}
		decoded = name;
	} else {
		string_t *str = str_new(pool, strlen(name) + 16);

		/* RFC 3501 section 5.1.3 */
		if (mutf7_to_utf8(name, str) < 0) {
			*error_r = "Mailbox name is not valid mUTF-7";
			return false;
		}
		decoded = str_c(str);
	}
	if (prefix_len > 0) {
		if (strncmp(decoded, client->ns_prefix, prefix_len) != 0 &&
		    !(strncasecmp(client->ns_prefix, "INBOX", 5) == 0 &&
		      strncasecmp(decoded, client->ns_prefix, prefix_len) ==
			  0)) {
			/* Dovecot's text for a name in no namespace */
			*error_r = p_strdup_printf(
			    pool,
			    "Client tried to access nonexistent namespace. "
			    "(Mailbox name should probably be prefixed with: "
			    "%s)",
			    client->ns_prefix);
			return false;
		}
		decoded += prefix_len;
		if (*decoded == '\0') {
			*error_r = "Invalid mailbox name";
			return false;
		}
		if (strcasecmp(decoded, "INBOX") == 0)
			decoded = "INBOX";
	}
	*storage_name_r = decoded == name ? p_strdup(pool, name) : decoded;
	return true;
}

void client_mailbox_name_to_imap(struct client *client,
				 const char *storage_name, string_t *dest)
{
	string_t *full = str_new(NULL, 128);
	enum imap_quote_flags flags = 0;

	if (strcmp(storage_name, "INBOX") != 0)
		str_append(full, client->ns_prefix);
	str_append(full, storage_name);
	if (client_utf8(client)) {
		flags |= IMAP_QUOTE_UTF8;
		imap_append_astring(dest, str_c(full), flags);
	} else {
		string_t *enc = str_new(NULL, str_len(full) + 16);

		if (mutf7_from_utf8(str_c(full), enc) < 0) {
			/* storage names are valid UTF-8; keep going */
			str_truncate(enc, 0);
			str_append(enc, str_c(full));
		}
		imap_append_astring(dest, str_c(enc), flags);
		str_free(&enc);
	}
	str_free(&full);
}
