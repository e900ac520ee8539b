/* cmd-id.c - ID (RFC 2971): logs the fields named by imap_id_log and
 * answers with the fields of imap_id_send ("*" as a value is the built-in
 * one). The client's list is checked against RFC 2971 section 3.3's
 * limits (30 pairs, 30-byte names, 1024-byte values). */
#include "lib.h"
#include "str.h"
#include "imap-parser.h"
#include "imap-quote.h"
#include "imap-commands.h"
#include "loft-config.h"

#include <strings.h>
#include <sys/utsname.h>

#define ID_MAX_PAIRS 30
#define ID_MAX_NAME 30
#define ID_MAX_VALUE 1024

static const char *id_builtin(pool_t pool, const char *name)
{
	struct utsname u;

	if (strcasecmp(name, "name") == 0)
		return "Loft";
	if (strcasecmp(name, "version") == 0)
		return LOFT_VERSION;
	if (uname(&u) == 0) {
		if (strcasecmp(name, "os") == 0)
			return p_strdup(pool, u.sysname);
		if (strcasecmp(name, "os-version") == 0)
			return p_strdup(pool, u.release);
	}
	return NULL;
}

/* Splits a setting value into words; "quoted words" may hold spaces. */
static const char **id_split(pool_t pool, const char *value)
{
	ARRAY(const char *) words;
	const char **result;

	array_init(&words, pool, 8);
	while (*value != '\0') {
		const char *start;

		while (*value == ' ' || *value == '\t')
			value++;
		if (*value == '\0')
			break;
		if (*value == '"') {
			start = ++value;
			while (*value != '\0' && *value != '"')
				value++;
			array_push(&words, p_strndup(pool, start,
						     (size_t)(value - start)));
			if (*value == '"')
				value++;
		} else {
			start = value;
			while (*value != '\0' && *value != ' ' &&
			       *value != '\t')
				value++;
			array_push(&words, p_strndup(pool, start,
						     (size_t)(value - start)));
		}
	}
	result = p_new(pool, const char *, words.count + 1);
	for (unsigned int i = 0; i < words.count; i++)
		result[i] = words.items[i];
	return result;
}

static void id_reply(struct client_command *cmd)
{
	struct client *client = cmd->client;
	const char **words = id_split(cmd->pool, client->set->imap_id_send);
	string_t *str = str_new(cmd->pool, 256);
	unsigned int pairs = 0;

	str_append(str, "* ID (");
	for (unsigned int i = 0; words[i] != NULL && words[i + 1] != NULL;
	     i += 2) {
		const char *value = words[i + 1];

		if (strcmp(value, "*") == 0)
			value = id_builtin(cmd->pool, words[i]);
		if (pairs++ > 0)
			str_append_c(str, ' ');
		imap_append_string(str, words[i], 0);
		str_append_c(str, ' ');
		imap_append_nstring(str, value, 0);
	}
	str_append_c(str, ')');
	client_send_line(client, pairs == 0 ? "* ID NIL" : str_c(str));
}

static bool id_log_wanted(const char *const *keys, const char *name)
{
	for (unsigned int i = 0; keys[i] != NULL; i++) {
		if (strcmp(keys[i], "*") == 0 || strcasecmp(keys[i], name) == 0)
			return true;
	}
	return false;
}

bool cmd_id(struct client_command *cmd)
{
	struct client *client = cmd->client;
	const struct imap_arg *list;
	unsigned int count;
	const char *const *log_keys;
	string_t *log = NULL;

	if (cmd->args_count != 1) {
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	if (cmd->args[0].type == IMAP_ARG_NIL) {
		list = NULL;
		count = 0;
	} else if (!imap_arg_get_list(&cmd->args[0], &list, &count) ||
		   count % 2 != 0 || count / 2 > ID_MAX_PAIRS) {
		client_command_bad(cmd, "Invalid arguments.");
		return true;
	}
	log_keys = id_split(cmd->pool, client->set->imap_id_log);
	if (log_keys[0] != NULL)
		log = str_new(cmd->pool, 128);
	for (unsigned int i = 0; i < count; i += 2) {
		const char *name, *value;

		if (!imap_arg_get_string(&list[i], &name) ||
		    !imap_arg_get_nstring(&list[i + 1], &value) ||
		    strlen(name) > ID_MAX_NAME ||
		    (value != NULL && strlen(value) > ID_MAX_VALUE)) {
			client_command_bad(cmd, "Invalid arguments.");
			return true;
		}
		if (log != NULL && id_log_wanted(log_keys, name)) {
			if (str_len(log) > 0)
				str_append(log, ", ");
			str_printfa(log, "%s=", name);
			for (const char *p = value != NULL ? value : "NIL";
			     *p != '\0'; p++) {
				str_append_c(
				    log, (unsigned char)*p < 0x20 ? '?' : *p);
			}
		}
	}
	if (log != NULL && str_len(log) > 0)
		client_log(client, LOG_TYPE_INFO, "ID sent: %s", str_c(log));
	id_reply(cmd);
	client_command_reply(cmd, "OK ID completed.");
	return true;
}
