/* mailbox-list.h - the folders of one user's Maildir, as Dovecot lays them
 * out, and the subscriptions file.
 *
 * Names given to and returned by this API are UTF-8 with the namespace
 * hierarchy separator (e.g. "Lists/Loft" with '/', "Lists.Loft" with '.');
 * "INBOX" is case-insensitive. On disk the names are modified UTF-7
 * (Dovecot's default, mailbox_list_utf8 = no) with the storage separator:
 *
 *   LAYOUT=maildir++ (default)   <root>/.Lists.Loft/{cur,new,tmp,maildirfolder}
 *   LAYOUT=fs                    <root>/Lists/Loft/{cur,new,tmp}
 *
 * INBOX is the location's INBOX directory (the root by default). A name
 * whose parent has no directory of its own (Maildir++ ".a.b" without
 * ".a") still lists the parent, as \Noselect.
 *
 * subscriptions (in CONTROL= or the root) is Dovecot's version 2 file:
 * "V\t2\n\n" then one name per line, modified UTF-7, hierarchy levels
 * separated by '\t'. Version 1 files (one name per line with the storage
 * separator) are read too; the file is always written as version 2.
 *
 * Nothing here is thread-safe; a list belongs to one session. */
#ifndef LOFT_MAILBOX_LIST_H
#define LOFT_MAILBOX_LIST_H

#include "lib.h"
#include "pool.h"
#include "array.h"
#include "mailbox.h"

#include <limits.h>

struct mailbox_list;
struct mailbox;

#define MAILBOX_LIST_SUBSCRIPTIONS_FNAME "subscriptions"
#define MAILBOX_LIST_MAILDIRFOLDER_FNAME "maildirfolder"
/* Longest accepted mailbox name in UTF-8 bytes, and longest hierarchy
 * level in its on-disk form (modified UTF-7): the filesystem's PATH_MAX and
 * NAME_MAX, which are also Dovecot's limits (4096 and 255). The depth of
 * the hierarchy is not limited; a Maildir++ name whose ".a.b.c" directory
 * name exceeds NAME_MAX fails at mkdir() (ENAMETOOLONG). */
#define MAILBOX_LIST_NAME_MAX_LENGTH PATH_MAX
#define MAILBOX_LIST_LEVEL_MAX_LENGTH NAME_MAX

enum mailbox_info_flags {
	MAILBOX_INFO_NOSELECT = 0x01,
	MAILBOX_INFO_NONEXISTENT = 0x02,
	MAILBOX_INFO_CHILDREN = 0x04,
	MAILBOX_INFO_NOCHILDREN = 0x08,
	MAILBOX_INFO_SUBSCRIBED = 0x10,
};

struct mailbox_info {
	const char *name; /* UTF-8, namespace separator */
	enum mailbox_info_flags flags;
	const char *special_use; /* "\\Sent ..." from the settings, or NULL */
};

/* A configured mailbox (Dovecot's namespace { mailbox NAME { ... } }). */
enum mailbox_autocreate {
	MAILBOX_AUTOCREATE_NO = 0,
	MAILBOX_AUTOCREATE_CREATE,
	MAILBOX_AUTOCREATE_SUBSCRIBE,
};
struct mailbox_autobox {
	const char *name;	 /* UTF-8, namespace separator */
	const char *special_use; /* NULL or e.g. "\\Sent" */
	enum mailbox_autocreate autocreate;
};

/* Opens the folder tree of a mail location ("maildir:~/Maildir[:...]",
 * variables already expanded). separator is the namespace hierarchy
 * separator, '\0' for the layout's own ('.' for Maildir++, '/' for fs).
 * Creates nothing. Returns 0, or -1 with *error_r. */
int mailbox_list_init(const char *mail_location, const char *home,
		      char separator, struct mailbox_list **list_r,
		      const char **error_r);
void mailbox_list_deinit(struct mailbox_list **list);

char mailbox_list_get_separator(const struct mailbox_list *list);

/* Copies the configured mailboxes (special-use, auto=create|subscribe).
 * Names are normalised ("inbox" -> "INBOX"). */
void mailbox_list_set_autoboxes(struct mailbox_list *list,
				const struct mailbox_autobox *boxes,
				unsigned int count);
/* Creates the auto=create/subscribe mailboxes that do not exist yet and
 * subscribes the auto=subscribe ones that are not subscribed (Dovecot
 * does this when the user first lists or opens them; call it at login).
 * 0 or -1. */
int mailbox_list_autocreate(struct mailbox_list *list, const char **error_r);
/* The special-use flags configured for name, or NULL. */
const char *mailbox_list_get_special_use(const struct mailbox_list *list,
					 const char *name);

/* Checks a mailbox name: valid UTF-8, no empty level, no control
 * characters, no storage separator inside a level (Maildir++: '.' when the
 * namespace separator is another), no "." or ".." level, not starting with
 * '~' (LAYOUT=fs), at most MAILBOX_LIST_NAME_MAX_LENGTH bytes and each level
 * at most MAILBOX_LIST_LEVEL_MAX_LENGTH bytes on disk. Returns true when
 * usable, else false with *error_r (static text for the client). */
bool mailbox_list_name_is_valid(const struct mailbox_list *list,
				const char *name, const char **error_r);

/* The mailbox's directory, allocated from pool; NULL with *error_r when
 * the name is invalid. */
const char *mailbox_list_get_path(const struct mailbox_list *list, pool_t pool,
				  const char *name, const char **error_r);

/* Whether the mailbox exists (has its cur/ directory): 1 yes, 0 no, -1
 * invalid name or I/O error. */
int mailbox_list_exists(const struct mailbox_list *list, const char *name,
			const char **error_r);

/* Creates a mailbox: its directory with cur/ new/ tmp/ and (Maildir++) an
 * empty maildirfolder file. Returns 1 created, 0 it already exists
 * (*error_r "Mailbox already exists"), -1 error (invalid name, I/O). */
int mailbox_list_create_mailbox(struct mailbox_list *list, const char *name,
				const char **error_r);

/* Deletes a mailbox and its messages, following RFC 3501 6.3.4 as Dovecot
 * does on Maildir: INBOX cannot be deleted; a mailbox that only exists as
 * a \Noselect parent of others cannot be deleted ("Mailbox has children,
 * delete them first"); deleting a mailbox with children removes its own
 * directory (messages, uidlist...) and leaves it listed as \Noselect.
 * The directory is first renamed out of the way so that a crash never
 * leaves a half-deleted mailbox visible. Returns 1 deleted, 0 no such
 * mailbox (*error_r), -1 error. Subscriptions are left alone (RFC 3501). */
int mailbox_list_delete_mailbox(struct mailbox_list *list, const char *name,
				const char **error_r);

/* Renames a mailbox and all its children (directories are renamed, UIDs
 * and UIDVALIDITY stay). Renaming INBOX is refused. Returns 1 renamed, 0
 * the source does not exist or the destination exists (*error_r, with
 * *exists_r telling which: true = destination exists), -1 error. */
int mailbox_list_rename_mailbox(struct mailbox_list *list, const char *old_name,
				const char *new_name, bool *exists_r,
				const char **error_r);

/* Lists every mailbox (INBOX first, then by name) with \Noselect parents,
 * \HasChildren/\HasNoChildren, \Subscribed and special-use. Subscribed
 * names that no longer exist are listed with MAILBOX_INFO_NONEXISTENT |
 * MAILBOX_INFO_SUBSCRIBED (LSUB and LIST (SUBSCRIBED) need them). The
 * array and strings come from pool. 0, or -1 with *error_r. */
int mailbox_list_iter(struct mailbox_list *list, pool_t pool,
		      struct mailbox_info **infos_r, unsigned int *count_r,
		      const char **error_r);

/* The subscribed names in file order as a NULL-terminated array, from
 * pool. A missing file is no subscriptions; lines that are not valid
 * modified UTF-7 are skipped. 0 or -1. */
int mailbox_list_get_subscriptions(struct mailbox_list *list, pool_t pool,
				   const char ***names_r, const char **error_r);
/* Adds or removes a subscription (rewrites the file under its dotlock,
 * atomically). Subscribing a name that does not exist is allowed. 0 or
 * -1. */
int mailbox_list_set_subscribed(struct mailbox_list *list, const char *name,
				bool subscribed, const char **error_r);

/* Opens a mailbox by name (see mailbox.h for the handle; it is synced
 * once). Returns 1, 0 when it does not exist (*error_r), -1 on error. */
int mailbox_list_open_mailbox(struct mailbox_list *list, const char *name,
			      struct mailbox **box_r, const char **error_r);
/* The same with flags (mailbox.h: MAILBOX_OPEN_FLAG_TAKE_RECENT for
 * SELECT). */
int mailbox_list_open_mailbox_flags(struct mailbox_list *list, const char *name,
				    enum mailbox_open_flags flags,
				    struct mailbox **box_r,
				    const char **error_r);

#endif
