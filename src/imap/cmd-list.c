/* cmd-list.c - LIST (RFC 3501 section 6.3.8, RFC 9051 section 6.3.9) with
 * LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819), SPECIAL-USE (RFC 6154
 * section 2) and CHILDREN (RFC 3348 attributes), and LSUB (RFC 3501
 * section 6.3.9, IMAP4rev1 only by RFC 9051 appendix E).
 *
 * The whole mailbox tree is read once (mailbox_list_iter()), the matching
 * entries are chosen, and the responses are then streamed: the command
 * stops when the output buffer is full and resumes when it drains, so a
 * large tree costs output memory only per line. Attributes follow
 * Dovecot: plain LIST reports \HasChildren/\HasNoChildren and special-use
 * always and a parent without a mailbox as \Noselect; extended LIST only
 * what the RETURN options ask for, and such a parent as \NonExistent.
 *
 * The parents of subscribed mailboxes that match the pattern while the
 * subscribed child does not are listed by LSUB as \Noselect (RFC 3501
 * section 6.3.9) and by LIST (SUBSCRIBED RECURSIVEMATCH) with
 * CHILDINFO ("SUBSCRIBED") (RFC 5258 section 3.5).
 *
 * A namespace prefix ending in the separator is itself a name in the
 * hierarchy, as in Dovecot: with "INBOX." it is INBOX, which then always
 * has children; with "Mail/" it is "Mail", listed as a \Noselect parent
 * (\NonExistent in extended LIST, RFC 5258 section 3.4) that has children,
 * and INBOX, outside the prefix, gets \NoInferiors (RFC 3501 section
 * 7.2.2). Names outside the prefix other than INBOX do not exist. */
#include "lib.h"
#include "str.h"
#include "hash.h"
#include "array.h"
#include "imap-commands.h"
#include "imap-parser.h"
#include "imap-list.h"
#include "imap-status.h"
#include "imap-list-util.h"
#include "imap-quote.h"
#include "mailbox-list.h"
#include "mutf7.h"

#include <strings.h>

#define LIST_LINE_RESERVE 4096
/* by_name key of the namespace prefix's own entry when it is not INBOX
 * (no storage name is empty) */
#define LIST_NS_PARENT_KEY ""

struct list_entry {
	const char *storage_name;
	const char *visible_name;
	const struct mailbox_info *info; /* NULL for a synthesized parent */
	bool childinfo;
	bool lsub_noselect;
	bool ns_parent; /* the prefix without its separator, not a mailbox */
};

struct list_context {
	struct imap_list_request req;
	bool lsub;
	struct imap_match **matches;
	unsigned int match_count;
	ARRAY(struct list_entry *) entries;
	struct hash_table *by_name; /* storage name -> entry */
	unsigned int pos;
	bool status_pending;
	/* the namespace prefix as a name: "INBOX" for "INBOX.", "Mail" for
	 * "Mail/" (in the session's wire encoding), or NULL */
	const char *ns_parent;
	bool ns_parent_is_inbox;
};

/* Sets ctx->ns_parent from the session's namespace prefix. */
static void list_init_ns_parent(struct client_command *cmd,
				struct list_context *ctx)
{
	struct client *client = cmd->client;
	const char *prefix = client->ns_prefix != NULL ? client->ns_prefix : "";
	size_t len = strlen(prefix);
	const char *name;
	string_t *str;

	if (len < 2 || prefix[len - 1] != client->separator)
		return;
	name = p_strndup(cmd->pool, prefix, len - 1);
	if (strcasecmp(name, "INBOX") == 0) {
		ctx->ns_parent = "INBOX";
		ctx->ns_parent_is_inbox = true;
		return;
	}
	if (imap_cmd_utf8_names(client)) {
		ctx->ns_parent = name;
		return;
	}
	str = str_new(cmd->pool, len + 16);
	if (mutf7_from_utf8(name, str) == 0)
		ctx->ns_parent = str_c(str);
}

static bool list_matches(const struct list_context *ctx, const char *visible)
{
	for (unsigned int i = 0; i < ctx->match_count; i++) {
		if (imap_match(ctx->matches[i], visible))
			return true;
	}
	return false;
}

/* Whether info is chosen by the selection options (before patterns). */
static bool list_selected(const struct list_context *ctx,
			  const struct mailbox_info *info)
{
	bool subscribed = (info->flags & MAILBOX_INFO_SUBSCRIBED) != 0;

	if (ctx->lsub || (ctx->req.select & IMAP_LIST_SELECT_SUBSCRIBED) != 0) {
		if (!subscribed)
			return false;
	} else if ((info->flags & MAILBOX_INFO_NONEXISTENT) != 0 &&
		   (info->flags & MAILBOX_INFO_NOSELECT) == 0) {
		/* only a subscription of a mailbox that is gone */
		return false;
	}
	if ((ctx->req.select & IMAP_LIST_SELECT_SPECIAL_USE) != 0 &&
	    info->special_use == NULL)
		return false;
	return true;
}

static struct list_entry *list_add(struct client_command *cmd,
				   struct list_context *ctx,
				   const char *storage_name,
				   const char *visible,
				   const struct mailbox_info *info)
{
	struct list_entry *entry = p_new(cmd->pool, struct list_entry, 1);

	entry->storage_name = storage_name;
	entry->visible_name = visible;
	entry->info = info;
	array_push(&ctx->entries, entry);
	hash_table_insert(ctx->by_name, storage_name, entry);
	return entry;
}

/* LSUB's \Noselect parents and RECURSIVEMATCH's CHILDINFO: the matching
 * ancestors of a selected mailbox that does not match itself. */
static void list_add_parents(struct client_command *cmd,
			     struct list_context *ctx, struct hash_table *infos,
			     const struct mailbox_info *info)
{
	struct client *client = cmd->client;
	const char *name = info->name, *p, *visible;
	struct list_entry *entry;

	while ((p = strrchr(name, client->separator)) != NULL) {
		name = p_strndup(cmd->pool, name, (size_t)(p - name));
		visible =
		    imap_cmd_mailbox_visible_name(client, cmd->pool, name);
		if (visible == NULL || !list_matches(ctx, visible))
			continue;
		entry = hash_table_lookup(ctx->by_name, name);
		if (ctx->lsub) {
			if (entry == NULL) {
				entry = list_add(cmd, ctx, name, visible, NULL);
				entry->lsub_noselect = true;
			}
		} else {
			if (entry == NULL) {
				entry =
				    list_add(cmd, ctx, name, visible,
					     hash_table_lookup(infos, name));
			}
			entry->childinfo = true;
		}
	}
	/* every name but INBOX is below the namespace prefix */
	if (ctx->ns_parent == NULL || strcmp(info->name, "INBOX") == 0 ||
	    !list_matches(ctx, ctx->ns_parent))
		return;
	name = ctx->ns_parent_is_inbox ? "INBOX" : LIST_NS_PARENT_KEY;
	entry = hash_table_lookup(ctx->by_name, name);
	if (entry == NULL) {
		entry = list_add(cmd, ctx, name, ctx->ns_parent,
				 ctx->ns_parent_is_inbox
				     ? hash_table_lookup(infos, name)
				     : NULL);
		entry->ns_parent = !ctx->ns_parent_is_inbox;
		if (ctx->lsub) {
			entry->lsub_noselect = true;
			return;
		}
	}
	if (!ctx->lsub)
		entry->childinfo = true;
}

static int list_build(struct client_command *cmd, struct list_context *ctx)
{
	struct client *client = cmd->client;
	struct mailbox_info *infos;
	struct hash_table *by_info;
	unsigned int count;
	const char *error;
	bool recursive, inbox_children = false;

	if (mailbox_list_iter(client->list, cmd->pool, &infos, &count, &error) <
	    0) {
		imap_cmd_storage_failed(cmd, ctx->lsub ? "LSUB" : "LIST",
					error);
		return -1;
	}
	array_init(&ctx->entries, cmd->pool, count + 1);
	ctx->by_name =
	    hash_table_create(cmd->pool, count + 1, str_hash, str_cmp);
	by_info = hash_table_create(cmd->pool, count + 1, str_hash, str_cmp);
	/* INBOX as the namespace prefix has the namespace below it */
	inbox_children = ctx->ns_parent_is_inbox;
	for (unsigned int i = 0; i < count; i++) {
		hash_table_insert(by_info, infos[i].name, &infos[i]);
		if (strncmp(infos[i].name, "INBOX", 5) == 0 &&
		    infos[i].name[5] == client->separator &&
		    (infos[i].flags & MAILBOX_INFO_NOSELECT) == 0 &&
		    (infos[i].flags & MAILBOX_INFO_NONEXISTENT) == 0)
			inbox_children = true;
	}
	for (unsigned int i = 0; i < count && inbox_children; i++) {
		/* INBOX sorts first, away from its children: the list's
		 * \HasNoChildren may be wrong for it */
		if (strcmp(infos[i].name, "INBOX") == 0) {
			infos[i].flags &= ~MAILBOX_INFO_NOCHILDREN;
			infos[i].flags |= MAILBOX_INFO_CHILDREN;
		}
	}

	for (unsigned int i = 0; i < count; i++) {
		const struct mailbox_info *info = &infos[i];
		const char *visible;

		if (!list_selected(ctx, info))
			continue;
		visible = imap_cmd_mailbox_visible_name(client, cmd->pool,
							info->name);
		if (visible == NULL)
			continue;
		if (list_matches(ctx, visible))
			(void)list_add(cmd, ctx, info->name, visible, info);
	}
	if (ctx->ns_parent != NULL && !ctx->ns_parent_is_inbox && !ctx->lsub &&
	    (ctx->req.select & (IMAP_LIST_SELECT_SUBSCRIBED |
				IMAP_LIST_SELECT_SPECIAL_USE)) == 0 &&
	    list_matches(ctx, ctx->ns_parent)) {
		struct list_entry *entry = list_add(
		    cmd, ctx, LIST_NS_PARENT_KEY, ctx->ns_parent, NULL);

		entry->ns_parent = true;
	}
	recursive = (ctx->req.select & IMAP_LIST_SELECT_RECURSIVEMATCH) != 0;
	if (ctx->lsub || recursive) {
		for (unsigned int i = 0; i < count; i++) {
			const struct mailbox_info *info = &infos[i];
			const char *visible;

			if (!list_selected(ctx, info))
				continue;
			visible = imap_cmd_mailbox_visible_name(
			    client, cmd->pool, info->name);
			if (visible != NULL && !list_matches(ctx, visible))
				list_add_parents(cmd, ctx, by_info, info);
		}
	}
	return 0;
}

static void append_attr(string_t *str, const char *attr)
{
	if (str_len(str) > 0)
		str_append_c(str, ' ');
	str_append(str, attr);
}

static void list_attrs(const struct list_context *ctx,
		       const struct list_entry *entry, string_t *attrs)
{
	const struct mailbox_info *info = entry->info;
	enum imap_list_return ret = ctx->req.ret;
	bool extended = ctx->req.extended;

	if (entry->lsub_noselect) {
		append_attr(attrs, "\\Noselect");
		return;
	}
	if (entry->ns_parent) {
		append_attr(attrs, extended ? "\\NonExistent" : "\\Noselect");
		if (!extended || (ret & IMAP_LIST_RETURN_CHILDREN) != 0)
			append_attr(attrs, "\\HasChildren");
		return;
	}
	if (info == NULL) {
		/* a parent known only from a subscription's name */
		if (!ctx->lsub)
			append_attr(attrs, "\\NonExistent");
		return;
	}
	if ((info->flags & MAILBOX_INFO_NOSELECT) != 0) {
		append_attr(attrs, extended || ctx->lsub ? "\\NonExistent"
							 : "\\Noselect");
	} else if ((info->flags & MAILBOX_INFO_NONEXISTENT) != 0 &&
		   !ctx->lsub) {
		append_attr(attrs, "\\NonExistent");
	}
	if ((ret & IMAP_LIST_RETURN_SUBSCRIBED) != 0 &&
	    (info->flags & MAILBOX_INFO_SUBSCRIBED) != 0)
		append_attr(attrs, "\\Subscribed");
	if (!ctx->lsub &&
	    (!extended || (ret & IMAP_LIST_RETURN_CHILDREN) != 0)) {
		if (ctx->ns_parent != NULL && !ctx->ns_parent_is_inbox &&
		    strcmp(entry->storage_name, "INBOX") == 0)
			append_attr(attrs, "\\NoInferiors");
		else if ((info->flags & MAILBOX_INFO_CHILDREN) != 0)
			append_attr(attrs, "\\HasChildren");
		else if ((info->flags & MAILBOX_INFO_NOCHILDREN) != 0)
			append_attr(attrs, "\\HasNoChildren");
	}
	if (info->special_use != NULL &&
	    (!extended || (ret & IMAP_LIST_RETURN_SPECIAL_USE) != 0))
		append_attr(attrs, info->special_use);
}

static void append_separator(string_t *str, char sep)
{
	if (sep == '\0') {
		str_append(str, "NIL");
		return;
	}
	str_append_c(str, '"');
	if (sep == '"' || sep == '\\')
		str_append_c(str, '\\');
	str_append_c(str, sep);
	str_append_c(str, '"');
}

static void list_send_entry(struct client_command *cmd,
			    struct list_context *ctx,
			    const struct list_entry *entry)
{
	struct client *client = cmd->client;
	string_t *str = str_new(cmd->pool, 256),
		 *attrs = str_new(cmd->pool, 64);

	list_attrs(ctx, entry, attrs);
	str_append(str, ctx->lsub ? "LSUB (" : "LIST (");
	str_append_str(str, attrs);
	str_append(str, ") ");
	append_separator(str, client->separator);
	str_append_c(str, ' ');
	if (entry->ns_parent) {
		imap_append_astring(
		    str, entry->visible_name,
		    imap_cmd_utf8_names(client) ? IMAP_QUOTE_UTF8 : 0);
	} else {
		client_mailbox_name_to_imap(client, entry->storage_name, str);
	}
	if (entry->childinfo)
		str_append(str, " (CHILDINFO (\"SUBSCRIBED\"))");
	client_send_untagged(client, "%s", str_c(str));
}

/* RFC 5819: STATUS after the LIST of each selectable mailbox. */
static void list_send_status(struct client_command *cmd,
			     struct list_context *ctx,
			     const struct list_entry *entry)
{
	struct client *client = cmd->client;
	struct imap_status_values values;
	const char *error;
	string_t *str;

	if (entry->info == NULL ||
	    (entry->info->flags &
	     (MAILBOX_INFO_NOSELECT | MAILBOX_INFO_NONEXISTENT)) != 0)
		return;
	if (imap_status_get(client, entry->storage_name, ctx->req.status_items,
			    &values, &error) <= 0)
		return;
	str = str_new(cmd->pool, 128);
	str_append(str, "STATUS ");
	client_mailbox_name_to_imap(client, entry->storage_name, str);
	str_append_c(str, ' ');
	imap_status_append_values(str, ctx->req.status_items, &values);
	client_send_untagged(client, "%s", str_c(str));
}

static bool list_send(struct client_command *cmd)
{
	struct list_context *ctx = cmd->context;
	struct client *client = cmd->client;

	while (ctx->pos < ctx->entries.count) {
		const struct list_entry *entry = ctx->entries.items[ctx->pos];

		if (client_output_wait(client, LIST_LINE_RESERVE))
			return false;
		if (!ctx->status_pending) {
			list_send_entry(cmd, ctx, entry);
			if ((ctx->req.ret & IMAP_LIST_RETURN_STATUS) != 0) {
				ctx->status_pending = true;
				continue;
			}
		} else {
			list_send_status(cmd, ctx, entry);
			ctx->status_pending = false;
		}
		ctx->pos++;
	}
	client_command_reply(cmd, ctx->lsub ? "OK Lsub completed."
					    : "OK List completed.");
	return true;
}

/* LIST "" "": the hierarchy separator and the root of the reference
 * (RFC 3501 section 6.3.8). */
static void list_send_root(struct client_command *cmd, const char *ref)
{
	struct client *client = cmd->client;
	const char *sep = strchr(ref, client->separator);
	string_t *str = str_new(cmd->pool, 64);

	str_append(str, "LIST (\\Noselect) ");
	append_separator(str, client->separator);
	str_append_c(str, ' ');
	str_append_c(str, '"');
	if (sep != NULL) {
		for (const char *p = ref; p <= sep; p++) {
			if (*p == '"' || *p == '\\')
				str_append_c(str, '\\');
			str_append_c(str, *p);
		}
	}
	str_append_c(str, '"');
	client_send_untagged(client, "%s", str_c(str));
	client_command_reply(cmd, "OK List completed.");
}

static bool list_start(struct client_command *cmd, bool lsub)
{
	struct client *client = cmd->client;
	struct list_context *ctx = p_new(cmd->pool, struct list_context, 1);
	const char *error;

	ctx->lsub = lsub;
	if (imap_list_parse_args(cmd->pool, cmd->args, lsub, &ctx->req,
				 &error) < 0) {
		client_command_bad(cmd, error);
		return true;
	}
	if (!lsub && ctx->req.pattern_count == 1 &&
	    ctx->req.patterns[0][0] == '\0' && !ctx->req.extended) {
		list_send_root(cmd, ctx->req.ref);
		return true;
	}
	list_init_ns_parent(cmd, ctx);
	ctx->matches =
	    p_new(cmd->pool, struct imap_match *, ctx->req.pattern_count);
	for (unsigned int i = 0; i < ctx->req.pattern_count; i++) {
		const char *pattern =
		    imap_list_join_ref(cmd->pool, ctx->req.ref,
				       ctx->req.patterns[i], client->separator);

		ctx->matches[ctx->match_count++] =
		    imap_match_init(cmd->pool, pattern, client->separator);
	}
	if (list_build(cmd, ctx) < 0)
		return true;
	cmd->context = ctx;
	return list_send(cmd);
}

bool cmd_list(struct client_command *cmd)
{
	if (cmd->context != NULL)
		return list_send(cmd);
	return list_start(cmd, false);
}

bool cmd_lsub(struct client_command *cmd)
{
	if (cmd->context != NULL)
		return list_send(cmd);
	return list_start(cmd, true);
}
