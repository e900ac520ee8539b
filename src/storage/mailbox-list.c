/* mailbox-list.c - Maildir++ and LAYOUT=fs folder trees and the
 * subscriptions file, compatible with Dovecot 2.3/2.4.
 *
 * Does: name <-> directory mapping (modified UTF-7 on disk), create,
 * delete, rename, listing with hierarchy flags, subscriptions, configured
 * special-use and auto-created mailboxes. Does not: shared/public
 * namespaces, ACLs, quota, listescape, mailbox_list_utf8 = yes. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "array.h"
#include "hash.h"
#include "log.h"
#include "mail-location.h"
#include "mutf7.h"
#include "dotlock.h"
#include "maildir-private.h"
#include "mailbox-list.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#define SUBSCRIPTIONS_LOCK_STALE_SECS 120
#define SUBSCRIPTIONS_LOCK_TIMEOUT_SECS 10
#define SUBSCRIPTIONS_MAX_SIZE (4u * 1024 * 1024)

struct mailbox_list {
	pool_t pool;
	struct mail_location *loc;
	char sep;	  /* namespace separator */
	char storage_sep; /* '.' (Maildir++) or '/' (fs) */
	const char *control_root;
	ARRAY(struct mailbox_autobox) autoboxes;
};

static bool name_is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

int mailbox_list_init(const char *mail_location, const char *home,
		      char separator, struct mailbox_list **list_r,
		      const char **error_r)
{
	pool_t pool = pool_create("mailbox list", 1024);
	struct mailbox_list *list = p_new(pool, struct mailbox_list, 1);

	list->pool = pool;
	if (mail_location_parse(pool, mail_location, home, &list->loc,
				error_r) < 0) {
		*error_r = maildir_error("%s", *error_r);
		pool_unref(&pool);
		return -1;
	}
	list->storage_sep =
	    list->loc->layout == MAIL_LOCATION_LAYOUT_FS ? '/' : '.';
	list->sep = separator != '\0' ? separator : list->storage_sep;
	list->control_root =
	    list->loc->control != NULL ? list->loc->control : list->loc->root;
	array_init(&list->autoboxes, pool, 8);
	*list_r = list;
	return 0;
}

void mailbox_list_deinit(struct mailbox_list **_list)
{
	struct mailbox_list *list = *_list;

	if (list == NULL)
		return;
	*_list = NULL;
	pool_unref(&list->pool);
}

char mailbox_list_get_separator(const struct mailbox_list *list)
{
	return list->sep;
}

void mailbox_list_set_autoboxes(struct mailbox_list *list,
				const struct mailbox_autobox *boxes,
				unsigned int count)
{
	array_clear(&list->autoboxes);
	for (unsigned int i = 0; i < count; i++) {
		struct mailbox_autobox *b =
		    array_append_space(&list->autoboxes);

		b->name = name_is_inbox(boxes[i].name)
			      ? "INBOX"
			      : p_strdup(list->pool, boxes[i].name);
		b->special_use = p_strdup(list->pool, boxes[i].special_use);
		b->autocreate = boxes[i].autocreate;
	}
}

const char *mailbox_list_get_special_use(const struct mailbox_list *list,
					 const char *name)
{
	for (unsigned int i = 0; i < list->autoboxes.count; i++) {
		const struct mailbox_autobox *b = &list->autoboxes.items[i];

		if (b->special_use != NULL && b->special_use[0] != '\0' &&
		    (strcmp(b->name, name) == 0 ||
		     (name_is_inbox(name) && strcmp(b->name, "INBOX") == 0)))
			return b->special_use;
	}
	return NULL;
}

/* ---- names ---- */

bool mailbox_list_name_is_valid(const struct mailbox_list *list,
				const char *name, const char **error_r)
{
	const char *p = name, *level = name;
	string_t *tmp;
	size_t level_len = 0;
	bool too_long = false;
	int ret;

	if (name[0] == '\0') {
		*error_r = "Empty mailbox name";
		return false;
	}
	if (strlen(name) > MAILBOX_LIST_NAME_MAX_LENGTH) {
		*error_r = "Mailbox name too long";
		return false;
	}
	for (;; p++) {
		if (*p == list->sep || *p == '\0') {
			size_t len = (size_t)(p - level);

			if (len == 0 || (len == 1 && level[0] == '.') ||
			    (len == 2 && level[0] == '.' && level[1] == '.')) {
				*error_r = "Invalid mailbox name: empty or "
					   "dot hierarchy level";
				return false;
			}
			if (list->loc->layout == MAIL_LOCATION_LAYOUT_FS &&
			    level[0] == '~') {
				*error_r = "Invalid mailbox name: level "
					   "begins with '~'";
				return false;
			}
			if (*p == '\0')
				break;
			level = p + 1;
			continue;
		}
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*error_r = "Invalid mailbox name: control character";
			return false;
		}
		if (*p == list->storage_sep || *p == '/' || *p == '*' ||
		    *p == '%') {
			*error_r = p_strdup_printf(
			    list->pool,
			    "Character not allowed in mailbox name: '%c'", *p);
			return false;
		}
	}
	/* each level in its on-disk form: the separator is printable ASCII,
	 * so it ends any base64 run and the encoded name splits where the
	 * name does */
	tmp = str_new(NULL, strlen(name) * 2 + 8);
	ret = mutf7_from_utf8(name, tmp);
	for (size_t i = 0; ret == 0 && i <= str_len(tmp); i++) {
		if (i == str_len(tmp) || str_data(tmp)[i] == list->sep) {
			too_long = too_long ||
				   level_len > MAILBOX_LIST_LEVEL_MAX_LENGTH;
			level_len = 0;
		} else {
			level_len++;
		}
	}
	str_free(&tmp);
	if (ret < 0) {
		*error_r = "Mailbox name is not valid UTF-8";
		return false;
	}
	if (too_long) {
		*error_r = "Mailbox name too long";
		return false;
	}
	return true;
}

/* The on-disk name: levels in modified UTF-7 joined with the storage
 * separator. name must be valid. */
static const char *storage_name(const struct mailbox_list *list, pool_t pool,
				const char *name)
{
	string_t *str = str_new(pool, strlen(name) * 2 + 8);
	char **levels = p_strsplit(pool, name, (char[]){list->sep, '\0'});

	for (unsigned int i = 0; levels[i] != NULL; i++) {
		if (i > 0)
			str_append_c(str, list->storage_sep);
		if (mutf7_from_utf8(levels[i], str) < 0)
			i_unreached();
	}
	return str_c(str);
}

/* The directory of a valid non-INBOX name. */
static const char *name_path(const struct mailbox_list *list, pool_t pool,
			     const char *name)
{
	if (name_is_inbox(name))
		return list->loc->inbox;
	if (list->loc->layout == MAIL_LOCATION_LAYOUT_FS)
		return p_strconcat(pool, list->loc->root, "/",
				   storage_name(list, pool, name), NULL);
	return p_strconcat(pool, list->loc->root, "/.",
			   storage_name(list, pool, name), NULL);
}

const char *mailbox_list_get_path(const struct mailbox_list *list, pool_t pool,
				  const char *name, const char **error_r)
{
	if (!name_is_inbox(name) &&
	    !mailbox_list_name_is_valid(list, name, error_r))
		return NULL;
	return name_path(list, pool, name);
}

/* A UTF-8 name from on-disk levels joined by storage_sep; NULL when a
 * level is not valid modified UTF-7 or empty. */
static const char *name_from_storage(const struct mailbox_list *list,
				     pool_t pool, const char *sname, char ssep)
{
	string_t *str = str_new(pool, strlen(sname) + 8);
	char **levels = p_strsplit(pool, sname, (char[]){ssep, '\0'});

	for (unsigned int i = 0; levels[i] != NULL; i++) {
		if (levels[i][0] == '\0')
			return NULL;
		if (i > 0)
			str_append_c(str, list->sep);
		if (mutf7_to_utf8(levels[i], str) < 0)
			return NULL;
	}
	if (str_len(str) == 0)
		return NULL;
	return str_c(str);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int mailbox_list_exists(const struct mailbox_list *list, const char *name,
			const char **error_r)
{
	pool_t pool;
	const char *path;
	int ret;

	pool = pool_create("mailbox exists", 256);
	path = mailbox_list_get_path(list, pool, name, error_r);
	if (path == NULL) {
		pool_unref(&pool);
		return -1;
	}
	ret = is_dir(p_strconcat(pool, path, "/cur", NULL)) ? 1 : 0;
	pool_unref(&pool);
	return ret;
}

/* ---- create ---- */

int mailbox_list_create_mailbox(struct mailbox_list *list, const char *name,
				const char **error_r)
{
	static const char *const subdirs[] = {"cur", "new", "tmp"};
	pool_t pool = pool_create("mailbox create", 512);
	const char *path;
	int ret = -1;

	path = mailbox_list_get_path(list, pool, name, error_r);
	if (path == NULL)
		goto out;
	if (is_dir(p_strconcat(pool, path, "/cur", NULL))) {
		*error_r = "Mailbox already exists";
		ret = 0;
		goto out;
	}
	if (maildir_mkdir_parents(path, MAILDIR_DIR_MODE) < 0) {
		*error_r = maildir_error("mkdir(%s) failed: %s", path,
					 strerror(errno));
		goto out;
	}
	/* tmp/ and new/ first, cur/ last: cur/ is what makes it exist */
	for (unsigned int i = N_ELEMENTS(subdirs); i-- > 0;) {
		const char *dir =
		    p_strconcat(pool, path, "/", subdirs[i], NULL);

		if (mkdir(dir, MAILDIR_DIR_MODE) < 0 && errno != EEXIST) {
			*error_r = maildir_error("mkdir(%s) failed: %s", dir,
						 strerror(errno));
			goto out;
		}
	}
	if (list->loc->layout == MAIL_LOCATION_LAYOUT_MAILDIRPP &&
	    !name_is_inbox(name)) {
		const char *mf = p_strconcat(
		    pool, path, "/" MAILBOX_LIST_MAILDIRFOLDER_FNAME, NULL);
		int fd =
		    open(mf, O_WRONLY | O_CREAT | O_CLOEXEC, MAILDIR_FILE_MODE);

		if (fd < 0) {
			*error_r = maildir_error("open(%s) failed: %s", mf,
						 strerror(errno));
			goto out;
		}
		i_close_fd(&fd);
	}
	if (maildir_fsync_dir(list->loc->root) < 0)
		i_warning("fsync(%s) failed: %s", list->loc->root,
			  strerror(errno));
	ret = 1;
out:
	pool_unref(&pool);
	return ret;
}

/* ---- iteration ---- */

struct list_ctx {
	pool_t pool;
	struct hash_table *names; /* name -> struct mailbox_info */
	ARRAY(struct mailbox_info *) infos;
};

static struct mailbox_info *list_add(struct mailbox_list *list,
				     struct list_ctx *ctx, const char *name,
				     bool selectable)
{
	struct mailbox_info *info = hash_table_lookup(ctx->names, name);

	if (info == NULL) {
		info = p_new(ctx->pool, struct mailbox_info, 1);
		info->name = p_strdup(ctx->pool, name);
		info->flags = MAILBOX_INFO_NOSELECT | MAILBOX_INFO_NONEXISTENT;
		hash_table_insert(ctx->names, info->name, info);
		array_push(&ctx->infos, info);
	}
	if (selectable)
		info->flags &=
		    ~(MAILBOX_INFO_NOSELECT | MAILBOX_INFO_NONEXISTENT);
	/* parents */
	for (const char *p = strrchr(name, list->sep); p != NULL;
	     p = strrchr(name, list->sep)) {
		name = p_strndup(ctx->pool, name, (size_t)(p - name));
		if (hash_table_lookup(ctx->names, name) != NULL)
			break;
		(void)list_add(list, ctx, name, false);
	}
	return info;
}

static void list_fs_dir(struct mailbox_list *list, struct list_ctx *ctx,
			const char *dir, const char *prefix, unsigned int depth)
{
	struct dirent *d;
	DIR *dirp;

	/* a valid name has at most this many levels ("a/b/..."); deeper
	 * directories (a symlink loop) are not listed */
	if (depth > MAILBOX_LIST_NAME_MAX_LENGTH / 2 ||
	    (dirp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dirp)) != NULL) {
		const char *path, *sname, *name;

		if (d->d_name[0] == '.' || strcmp(d->d_name, "cur") == 0 ||
		    strcmp(d->d_name, "new") == 0 ||
		    strcmp(d->d_name, "tmp") == 0)
			continue;
		path = p_strconcat(ctx->pool, dir, "/", d->d_name, NULL);
		if (!is_dir(path))
			continue;
		sname = prefix == NULL ? d->d_name
				       : p_strconcat(ctx->pool, prefix, "/",
						     d->d_name, NULL);
		name = name_from_storage(list, ctx->pool, sname, '/');
		if (name == NULL) {
			i_warning("Mailbox list %s: ignoring %s (not valid "
				  "modified UTF-7)",
				  list->loc->root, path);
			continue;
		}
		if (depth == 0 && name_is_inbox(name) &&
		    strcmp(list->loc->inbox, list->loc->root) == 0)
			continue;
		(void)list_add(
		    list, ctx, name,
		    is_dir(p_strconcat(ctx->pool, path, "/cur", NULL)));
		list_fs_dir(list, ctx, path, sname, depth + 1);
	}
	(void)closedir(dirp);
}

static void list_maildirpp(struct mailbox_list *list, struct list_ctx *ctx)
{
	struct dirent *d;
	DIR *dirp = opendir(list->loc->root);

	if (dirp == NULL)
		return;
	while ((d = readdir(dirp)) != NULL) {
		const char *name, *path;

		/* ".name"; "." "..", and "..anything" (our deleted-mailbox
		 * scratch names, Dovecot's ..DOVECOT-TRASHED) are not */
		if (d->d_name[0] != '.' || d->d_name[1] == '\0' ||
		    d->d_name[1] == '.')
			continue;
		if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN &&
		    d->d_type != DT_LNK)
			continue;
		path = p_strconcat(ctx->pool, list->loc->root, "/", d->d_name,
				   NULL);
		if (!is_dir(path))
			continue;
		name = name_from_storage(list, ctx->pool, d->d_name + 1, '.');
		if (name == NULL) {
			i_warning("Mailbox list %s: ignoring %s (not valid "
				  "modified UTF-7)",
				  list->loc->root, path);
			continue;
		}
		if (name_is_inbox(name))
			continue;
		(void)list_add(list, ctx, name, true);
	}
	(void)closedir(dirp);
}

static int info_cmp(const void *a, const void *b)
{
	const struct mailbox_info *const *ia = a, *const *ib = b;
	bool inbox_a = strcmp((*ia)->name, "INBOX") == 0;
	bool inbox_b = strcmp((*ib)->name, "INBOX") == 0;

	if (inbox_a != inbox_b)
		return inbox_a ? -1 : 1;
	return strcmp((*ia)->name, (*ib)->name);
}

int mailbox_list_iter(struct mailbox_list *list, pool_t pool,
		      struct mailbox_info **infos_r, unsigned int *count_r,
		      const char **error_r)
{
	struct list_ctx ctx;
	const char **subs;
	struct mailbox_info *result;

	ctx.pool = pool;
	ctx.names = hash_table_create(pool, 64, str_hash, str_cmp);
	array_init(&ctx.infos, pool, 16);
	(void)list_add(list, &ctx, "INBOX", true);
	if (list->loc->layout == MAIL_LOCATION_LAYOUT_FS)
		list_fs_dir(list, &ctx, list->loc->root, NULL, 0);
	else
		list_maildirpp(list, &ctx);

	if (mailbox_list_get_subscriptions(list, pool, &subs, error_r) < 0)
		return -1;
	for (unsigned int i = 0; subs[i] != NULL; i++) {
		struct mailbox_info *info =
		    hash_table_lookup(ctx.names, subs[i]);

		if (info == NULL) {
			info = p_new(pool, struct mailbox_info, 1);
			info->name = subs[i];
			info->flags = MAILBOX_INFO_NONEXISTENT;
			hash_table_insert(ctx.names, info->name, info);
			array_push(&ctx.infos, info);
		}
		info->flags |= MAILBOX_INFO_SUBSCRIBED;
	}

	qsort(ctx.infos.items, ctx.infos.count, sizeof(ctx.infos.items[0]),
	      info_cmp);
	result = p_new(pool, struct mailbox_info, ctx.infos.count + 1);
	for (unsigned int i = 0; i < ctx.infos.count; i++) {
		struct mailbox_info *info = ctx.infos.items[i];
		size_t len = strlen(info->name);
		bool inbox = strcmp(info->name, "INBOX") == 0;
		bool children = false;

		/* sorted by name: children follow their parent, possibly
		 * after names like "a b" that sort between "a" and "a.b";
		 * INBOX sorts first, away from its children, so for it the
		 * whole list is looked at */
		for (unsigned int j = i + 1; j < ctx.infos.count; j++) {
			const struct mailbox_info *o = ctx.infos.items[j];

			if (strncmp(o->name, info->name, len) != 0) {
				if (inbox)
					continue;
				break;
			}
			if (o->name[len] == list->sep &&
			    (o->flags & MAILBOX_INFO_NONEXISTENT) == 0) {
				children = true;
				break;
			}
			if (o->name[len] == list->sep &&
			    (o->flags & MAILBOX_INFO_NOSELECT) != 0) {
				/* a \Noselect parent of real mailboxes */
				children = true;
				break;
			}
		}
		if ((info->flags & MAILBOX_INFO_NONEXISTENT) == 0 ||
		    (info->flags & MAILBOX_INFO_NOSELECT) != 0)
			info->flags |= children ? MAILBOX_INFO_CHILDREN
						: MAILBOX_INFO_NOCHILDREN;
		info->special_use =
		    mailbox_list_get_special_use(list, info->name);
		result[i] = *info;
	}
	*infos_r = result;
	*count_r = ctx.infos.count;
	return 0;
}

/* ---- subscriptions ---- */

static const char *subscriptions_path(const struct mailbox_list *list,
				      pool_t pool)
{
	return p_strconcat(pool, list->control_root,
			   "/" MAILBOX_LIST_SUBSCRIPTIONS_FNAME, NULL);
}

/* Reads the whole file into a NUL-terminated buffer; NULL when missing. */
static int read_file(pool_t pool, const char *path, size_t max_size,
		     char **data_r, const char **error_r)
{
	struct stat st;
	size_t pos = 0;
	char *data;
	int fd;

	*data_r = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r =
		    maildir_error("open(%s) failed: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > max_size) {
		*error_r = maildir_error("%s: unusable (too large or fstat "
					 "failed)",
					 path);
		i_close_fd(&fd);
		return -1;
	}
	data = p_malloc(pool, (size_t)st.st_size + 1);
	while (pos < (size_t)st.st_size) {
		ssize_t ret = read(fd, data + pos, (size_t)st.st_size - pos);

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			*error_r = maildir_error("read(%s) failed: %s", path,
						 strerror(errno));
			i_close_fd(&fd);
			return -1;
		}
		if (ret == 0)
			break;
		pos += (size_t)ret;
	}
	data[pos] = '\0';
	i_close_fd(&fd);
	*data_r = data;
	return 1;
}

int mailbox_list_get_subscriptions(struct mailbox_list *list, pool_t pool,
				   const char ***names_r, const char **error_r)
{
	ARRAY(const char *) names;
	char *data, **lines;
	unsigned int i = 0;
	char ssep;
	int ret;

	array_init(&names, pool, 16);
	ret = read_file(pool, subscriptions_path(list, pool),
			SUBSCRIPTIONS_MAX_SIZE, &data, error_r);
	if (ret < 0)
		return -1;
	if (ret > 0) {
		lines = p_strsplit(pool, data, "\n");
		if (lines[0] != NULL && strcmp(lines[0], "V\t2") == 0) {
			/* version 2: header lines up to an empty one */
			for (i = 1; lines[i] != NULL && lines[i][0] != '\0';)
				i++;
			if (lines[i] != NULL)
				i++;
			ssep = '\t';
		} else {
			ssep = list->sep;
		}
		for (; lines[i] != NULL; i++) {
			const char *name;

			if (lines[i][0] == '\0')
				continue;
			name = name_from_storage(list, pool, lines[i], ssep);
			if (name == NULL)
				continue;
			if (name_is_inbox(name))
				name = "INBOX";
			array_push(&names, name);
		}
	}
	array_push(&names, NULL);
	*names_r = names.items;
	return 0;
}

int mailbox_list_set_subscribed(struct mailbox_list *list, const char *name,
				bool subscribed, const char **error_r)
{
	static const struct dotlock_settings set = {
	    .timeout_secs = SUBSCRIPTIONS_LOCK_TIMEOUT_SECS,
	    .stale_secs = SUBSCRIPTIONS_LOCK_STALE_SECS,
	    .write_pid = false,
	};
	pool_t pool = pool_create("subscriptions", 1024);
	const char **names, *path = subscriptions_path(list, pool);
	struct dotlock *lock;
	bool found = false;
	string_t *str;
	int ret = -1;

	if (name_is_inbox(name))
		name = "INBOX";
	else if (!mailbox_list_name_is_valid(list, name, error_r))
		goto out;
	if (maildir_mkdir_parents(list->control_root, MAILDIR_DIR_MODE) < 0) {
		*error_r = maildir_error("mkdir(%s) failed: %s",
					 list->control_root, strerror(errno));
		goto out;
	}
	if (dotlock_create(p_strconcat(pool, path, ".lock", NULL), &set, &lock,
			   error_r) <= 0) {
		*error_r =
		    maildir_error("%s: couldn't lock: %s", path, *error_r);
		goto out;
	}
	if (mailbox_list_get_subscriptions(list, pool, &names, error_r) < 0) {
		dotlock_delete(&lock);
		goto out;
	}
	str = str_new(pool, 256);
	str_append(str, "V\t2\n\n");
	for (unsigned int i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], name) == 0) {
			if (found || !subscribed)
				continue;
			found = true;
		}
		/* the file's separator is '\t' */
		char **levels =
		    p_strsplit(pool, names[i], (char[]){list->sep, '\0'});
		for (unsigned int j = 0; levels[j] != NULL; j++) {
			if (j > 0)
				str_append_c(str, '\t');
			(void)mutf7_from_utf8(levels[j], str);
		}
		str_append_c(str, '\n');
	}
	if (subscribed && !found) {
		char **levels =
		    p_strsplit(pool, name, (char[]){list->sep, '\0'});
		for (unsigned int j = 0; levels[j] != NULL; j++) {
			if (j > 0)
				str_append_c(str, '\t');
			(void)mutf7_from_utf8(levels[j], str);
		}
		str_append_c(str, '\n');
	}
	if (write_full(dotlock_get_fd(lock), str_data(str), str_len(str)) < 0) {
		*error_r =
		    maildir_error("write(%s) failed: %s",
				  dotlock_get_path(lock), strerror(errno));
		dotlock_delete(&lock);
		goto out;
	}
	if (dotlock_replace(&lock, path, error_r) < 0)
		goto out;
	ret = 0;
out:
	pool_unref(&pool);
	return ret;
}

/* ---- autocreate ---- */

int mailbox_list_autocreate(struct mailbox_list *list, const char **error_r)
{
	pool_t pool = pool_create("autocreate", 512);
	const char **subs;
	int ret = 0;

	if (mailbox_list_get_subscriptions(list, pool, &subs, error_r) < 0) {
		pool_unref(&pool);
		return -1;
	}
	for (unsigned int i = 0; i < list->autoboxes.count && ret == 0; i++) {
		const struct mailbox_autobox *b = &list->autoboxes.items[i];
		bool subscribed = false;

		if (b->autocreate == MAILBOX_AUTOCREATE_NO)
			continue;
		if (!name_is_inbox(b->name) &&
		    mailbox_list_create_mailbox(list, b->name, error_r) < 0)
			ret = -1;
		if (ret < 0 || b->autocreate != MAILBOX_AUTOCREATE_SUBSCRIBE)
			continue;
		for (unsigned int j = 0; subs[j] != NULL; j++) {
			if (strcmp(subs[j], b->name) == 0)
				subscribed = true;
		}
		if (!subscribed && mailbox_list_set_subscribed(
				       list, b->name, true, error_r) < 0)
			ret = -1;
	}
	pool_unref(&pool);
	return ret;
}

/* ---- delete and rename ---- */

static int rm_rf(const char *path)
{
	struct dirent *d;
	DIR *dirp = opendir(path);
	int ret = 0;

	if (dirp == NULL)
		return errno == ENOENT ? 0 : unlink(path);
	while ((d = readdir(dirp)) != NULL) {
		char sub[PATH_MAX];
		struct stat st;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
				     d->d_name) >= sizeof(sub)) {
			ret = -1;
			continue;
		}
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (rm_rf(sub) < 0)
				ret = -1;
		} else if (unlink(sub) < 0 && errno != ENOENT) {
			ret = -1;
		}
	}
	(void)closedir(dirp);
	if (rmdir(path) < 0 && errno != ENOENT)
		ret = -1;
	return ret;
}

/* True when some other mailbox lives below name. */
static bool has_children(struct mailbox_list *list, pool_t pool,
			 const char *name)
{
	struct mailbox_info *infos;
	unsigned int count;
	const char *error;
	size_t len = strlen(name);

	if (mailbox_list_iter(list, pool, &infos, &count, &error) < 0)
		return false;
	for (unsigned int i = 0; i < count; i++) {
		if (strncmp(infos[i].name, name, len) == 0 &&
		    infos[i].name[len] == list->sep &&
		    (infos[i].flags & MAILBOX_INFO_NONEXISTENT) == 0)
			return true;
		if (strncmp(infos[i].name, name, len) == 0 &&
		    infos[i].name[len] == list->sep &&
		    (infos[i].flags & MAILBOX_INFO_NOSELECT) != 0)
			return true;
	}
	return false;
}

int mailbox_list_delete_mailbox(struct mailbox_list *list, const char *name,
				const char **error_r)
{
	pool_t pool = pool_create("mailbox delete", 1024);
	const char *path, *trash;
	bool children;
	int ret = -1;

	if (name_is_inbox(name)) {
		*error_r = "INBOX can't be deleted.";
		goto out;
	}
	path = mailbox_list_get_path(list, pool, name, error_r);
	if (path == NULL)
		goto out;
	children = has_children(list, pool, name);
	if (!is_dir(p_strconcat(pool, path, "/cur", NULL))) {
		if (children) {
			/* RFC 3501 6.3.4: a \Noselect name with inferiors */
			*error_r = "Mailbox has children, delete them first";
			goto out;
		}
		if (!is_dir(path)) {
			*error_r = p_strdup_printf(
			    pool, "Mailbox doesn't exist: %s", name);
			*error_r = maildir_error("%s", *error_r);
			ret = 0;
			goto out;
		}
	}
	if (list->loc->layout == MAIL_LOCATION_LAYOUT_FS && children) {
		/* children live inside: remove only the mailbox's own files
		 * (cur/ first, so that it stops existing at once) */
		static const char *const own[] = {"cur",
						  "new",
						  "tmp",
						  "dovecot-uidlist",
						  "dovecot-keywords",
						  "loft.index",
						  "loft.index.lock",
						  "loft.index.log"};

		for (unsigned int i = 0; i < N_ELEMENTS(own); i++) {
			if (rm_rf(p_strconcat(pool, path, "/", own[i], NULL)) <
			    0) {
				*error_r = maildir_error(
				    "Couldn't delete %s/%s: %s", path, own[i],
				    strerror(errno));
				goto out;
			}
		}
		ret = 1;
		goto out;
	}
	/* rename out of the way atomically, then remove at leisure */
	trash =
	    p_strdup_printf(pool, "%s/..loft-deleted.%ld.%ld", list->loc->root,
			    (long)getpid(), (long)time(NULL));
	if (rename(path, trash) < 0) {
		if (errno == ENOENT) {
			*error_r =
			    maildir_error("Mailbox doesn't exist: %s", name);
			ret = 0;
			goto out;
		}
		*error_r = maildir_error("rename(%s, %s) failed: %s", path,
					 trash, strerror(errno));
		goto out;
	}
	if (rm_rf(trash) < 0)
		i_warning("Couldn't remove %s completely: %s", trash,
			  strerror(errno));
	if (list->loc->control != NULL || list->loc->index != NULL) {
		/* control/index dirs of the mailbox, when kept apart */
		const char *sname = storage_name(list, pool, name);
		const char *dirs[2] = {list->loc->control, list->loc->index};

		for (unsigned int i = 0; i < 2; i++) {
			if (dirs[i] == NULL || strcmp(dirs[i], "MEMORY") == 0)
				continue;
			(void)rm_rf(p_strconcat(
			    pool, dirs[i],
			    list->loc->layout == MAIL_LOCATION_LAYOUT_FS ? "/"
									 : "/.",
			    sname, NULL));
		}
	}
	ret = 1;
out:
	pool_unref(&pool);
	return ret;
}

int mailbox_list_rename_mailbox(struct mailbox_list *list, const char *old_name,
				const char *new_name, bool *exists_r,
				const char **error_r)
{
	pool_t pool = pool_create("mailbox rename", 1024);
	const char *old_path, *new_path;
	size_t old_len = strlen(old_name);
	bool old_children;
	int ret = -1;

	*exists_r = false;
	if (name_is_inbox(old_name) || name_is_inbox(new_name)) {
		*error_r = "Renaming INBOX isn't supported";
		goto out;
	}
	old_path = mailbox_list_get_path(list, pool, old_name, error_r);
	new_path = old_path == NULL
		       ? NULL
		       : mailbox_list_get_path(list, pool, new_name, error_r);
	if (new_path == NULL)
		goto out;
	if (strncmp(new_name, old_name, old_len) == 0 &&
	    (new_name[old_len] == list->sep || new_name[old_len] == '\0')) {
		*error_r = "Can't rename mailbox under itself";
		goto out;
	}
	if (is_dir(new_path) || has_children(list, pool, new_name)) {
		*error_r = "Target mailbox already exists";
		*exists_r = true;
		ret = 0;
		goto out;
	}
	old_children = has_children(list, pool, old_name);
	if (!is_dir(old_path) && !old_children) {
		*error_r = maildir_error("Mailbox doesn't exist: %s", old_name);
		ret = 0;
		goto out;
	}
	if (list->loc->layout == MAIL_LOCATION_LAYOUT_FS) {
		const char *slash = strrchr(new_path, '/');
		const char *parent =
		    p_strndup(pool, new_path, (size_t)(slash - new_path));

		if (maildir_mkdir_parents(parent, MAILDIR_DIR_MODE) < 0 ||
		    rename(old_path, new_path) < 0) {
			*error_r =
			    maildir_error("rename(%s, %s) failed: %s", old_path,
					  new_path, strerror(errno));
			goto out;
		}
		ret = 1;
		goto out;
	}
	/* Maildir++: the mailbox and each child is its own directory */
	if (is_dir(old_path) && rename(old_path, new_path) < 0) {
		*error_r = maildir_error("rename(%s, %s) failed: %s", old_path,
					 new_path, strerror(errno));
		goto out;
	}
	if (old_children) {
		const char *old_prefix = p_strconcat(
		    pool, ".", storage_name(list, pool, old_name), ".", NULL);
		const char *new_prefix = p_strconcat(
		    pool, ".", storage_name(list, pool, new_name), ".", NULL);
		size_t plen = strlen(old_prefix);
		struct dirent *d;
		DIR *dirp = opendir(list->loc->root);

		if (dirp == NULL) {
			*error_r =
			    maildir_error("opendir(%s) failed: %s",
					  list->loc->root, strerror(errno));
			goto out;
		}
		while ((d = readdir(dirp)) != NULL) {
			if (strncmp(d->d_name, old_prefix, plen) != 0)
				continue;
			const char *src = p_strconcat(pool, list->loc->root,
						      "/", d->d_name, NULL);
			const char *dest =
			    p_strconcat(pool, list->loc->root, "/", new_prefix,
					d->d_name + plen, NULL);
			if (rename(src, dest) < 0)
				i_warning("rename(%s, %s) failed: %s", src,
					  dest, strerror(errno));
		}
		(void)closedir(dirp);
	}
	if (maildir_fsync_dir(list->loc->root) < 0)
		i_warning("fsync(%s) failed: %s", list->loc->root,
			  strerror(errno));
	ret = 1;
out:
	pool_unref(&pool);
	return ret;
}

/* ---- open ---- */

int mailbox_list_open_mailbox(struct mailbox_list *list, const char *name,
			      struct mailbox **box_r, const char **error_r)
{
	return mailbox_list_open_mailbox_flags(list, name, 0, box_r, error_r);
}

int mailbox_list_open_mailbox_flags(struct mailbox_list *list, const char *name,
				    enum mailbox_open_flags flags,
				    struct mailbox **box_r,
				    const char **error_r)
{
	pool_t pool = pool_create("mailbox open", 512);
	const char *path, *control, *index, *uidv, *sub;
	int ret;

	*box_r = NULL;
	path = mailbox_list_get_path(list, pool, name, error_r);
	if (path == NULL) {
		pool_unref(&pool);
		return -1;
	}
	if (!name_is_inbox(name) &&
	    !is_dir(p_strconcat(pool, path, "/cur", NULL))) {
		*error_r = maildir_error("Mailbox doesn't exist: %s", name);
		pool_unref(&pool);
		return 0;
	}
	sub = name_is_inbox(name)
		  ? ""
		  : p_strconcat(pool,
				list->loc->layout == MAIL_LOCATION_LAYOUT_FS
				    ? "/"
				    : "/.",
				storage_name(list, pool, name), NULL);
	control = list->loc->control != NULL
		      ? p_strconcat(pool, list->loc->control, sub, NULL)
		      : path;
	index =
	    list->loc->index != NULL && strcmp(list->loc->index, "MEMORY") != 0
		? p_strconcat(pool, list->loc->index, sub, NULL)
		: (name_is_inbox(name) ? list->loc->root : path);
	uidv = list->control_root;
	ret = maildir_mailbox_open_dir(path, control, index, uidv, flags, box_r,
				       error_r);
	pool_unref(&pool);
	return ret < 0 ? -1 : 1;
}
