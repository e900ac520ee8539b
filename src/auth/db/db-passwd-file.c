/* db-passwd-file.c - parsing and caching passwd-file files.
 *
 * A file is parsed whole into its own pool (secure: it holds password
 * hashes) with a hash table by user name. Files whose path depends on the
 * user (%d) are cached per expanded path, up to PASSWD_FILE_MAX_FILES;
 * beyond that the least recently checked one is dropped. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "array.h"
#include "hash.h"
#include "log.h"
#include "auth-request.h"
#include "db-passwd-file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#define PASSWD_FILE_MAX_SIZE (256 * 1024 * 1024)
#define PASSWD_FILE_MAX_FILES 1024
#define PASSWD_FILE_CHECK_INTERVAL_SECS 1
#define PASSWD_FILE_MAX_MISSING_LOGGED 1024

struct passwd_file {
	pool_t pool;
	char *path;
	struct hash_table *users; /* user -> struct passwd_user */
	bool loaded;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	time_t last_check;
};

struct passwd_file_db {
	char *path_tmpl;
	char *username_format;
	bool path_has_vars;
	struct hash_table *files; /* path -> struct passwd_file */
	/* paths already logged as missing/unreadable (heap strings) */
	struct hash_table *logged;
};

static const char *nonempty(pool_t pool, const char *s)
{
	return s == NULL || s[0] == '\0' ? NULL : p_strdup(pool, s);
}

int passwd_file_parse_line(pool_t pool, const char *line,
			   struct passwd_user *pu_r, const char **error_r)
{
	const char *fields[8];
	unsigned int n = 0;
	const char *p = line, *start = line;
	char **words;

	memset(pu_r, 0, sizeof(*pu_r));
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;

	/* Split into at most 8 fields: the last takes the rest. */
	for (unsigned int i = 0; i < N_ELEMENTS(fields); i++)
		fields[i] = NULL;
	for (p = line;; p++) {
		if (*p == ':' || *p == '\0') {
			fields[n++] = p_strndup(pool, start, p - start);
			if (*p == '\0')
				break;
			start = p + 1;
			if (n == 7) {
				fields[n++] = p_strdup(pool, start);
				break;
			}
		}
	}

	if (fields[0] == NULL || fields[0][0] == '\0') {
		*error_r = "Empty user name";
		return -1;
	}
	pu_r->user = fields[0];
	pu_r->password = nonempty(pool, fields[1]);
	pu_r->uid = nonempty(pool, fields[2]);
	pu_r->gid = nonempty(pool, fields[3]);
	pu_r->gecos = nonempty(pool, fields[4]);
	pu_r->home = nonempty(pool, fields[5]);
	pu_r->shell = nonempty(pool, fields[6]);
	words =
	    p_strsplit_spaces(pool, fields[7] == NULL ? "" : fields[7], " \t");
	for (unsigned int i = 0; words[i] != NULL; i++) {
		if (strchr(words[i], '=') == NULL)
			words[i] = p_strconcat(pool, words[i], "=", NULL);
	}
	pu_r->extra_fields = (const char *const *)words;
	return 1;
}

struct passwd_file_db *passwd_file_db_init(const char *path,
					   const char *username_format)
{
	struct passwd_file_db *db = i_malloc(sizeof(*db));

	db->path_tmpl = i_strdup(path);
	db->username_format =
	    i_strdup(username_format != NULL && username_format[0] != '\0'
			 ? username_format
			 : "%u");
	db->path_has_vars = strchr(path, '%') != NULL;
	db->files = hash_table_create(NULL, 16, str_hash, str_cmp);
	db->logged = hash_table_create(NULL, 16, str_hash, str_cmp);
	return db;
}

static void passwd_file_free(struct passwd_file *file)
{
	hash_table_destroy(&file->users);
	pool_unref(&file->pool);
}

void passwd_file_db_deinit(struct passwd_file_db **_db)
{
	struct passwd_file_db *db = *_db;
	struct hash_iterate_context *iter;
	const void *key;
	void *value;

	*_db = NULL;
	if (db == NULL)
		return;
	iter = hash_table_iterate_init(db->files);
	while (hash_table_iterate(iter, &key, &value)) {
		struct passwd_file *file = value;

		hash_table_remove(db->files, key);
		if (file->loaded)
			passwd_file_free(file);
		i_free(file->path);
		i_free(file);
	}
	hash_table_iterate_deinit(&iter);
	hash_table_destroy(&db->files);
	iter = hash_table_iterate_init(db->logged);
	while (hash_table_iterate(iter, &key, &value)) {
		char *k = (char *)key;
		i_free(k);
	}
	hash_table_iterate_deinit(&iter);
	hash_table_destroy(&db->logged);
	i_free(db->path_tmpl);
	i_free(db->username_format);
	i_free(db);
}

/* Logs an error about path once. */
static void passwd_file_log_once(struct passwd_file_db *db, const char *path,
				 const char *fmt, ...) ATTR_FORMAT(3, 4);
static void passwd_file_log_once(struct passwd_file_db *db, const char *path,
				 const char *fmt, ...)
{
	va_list args;
	char *key;

	if (hash_table_lookup(db->logged, path) != NULL)
		return;
	if (hash_table_count(db->logged) < PASSWD_FILE_MAX_MISSING_LOGGED) {
		key = i_strdup(path);
		hash_table_insert(db->logged, key, key);
	}
	va_start(args, fmt);
	i_logv(LOG_TYPE_ERROR, fmt, args);
	va_end(args);
}

static void passwd_file_forget_logged(struct passwd_file_db *db,
				      const char *path)
{
	const void *key;
	void *value;

	if (hash_table_lookup_full(db->logged, path, &key, &value)) {
		hash_table_remove(db->logged, path);
		i_free(value);
	}
}

static int passwd_file_read(struct passwd_file *file, int fd,
			    const struct stat *st)
{
	pool_t pool = pool_create_secure("passwd-file", 4096);
	struct hash_table *users =
	    hash_table_create(pool, 64, str_hash, str_cmp);
	char *data = p_malloc(pool, (size_t)st->st_size + 1);
	size_t pos = 0;
	unsigned int linenum = 0;
	char *line, *next;

	while (pos < (size_t)st->st_size) {
		ssize_t ret = read(fd, data + pos, (size_t)st->st_size - pos);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			i_error("passwd-file %s: read() failed: %m",
				file->path);
			hash_table_destroy(&users);
			pool_unref(&pool);
			return -1;
		}
		if (ret == 0)
			break;
		pos += (size_t)ret;
	}
	data[pos] = '\0';

	for (line = data; line != NULL && *line != '\0'; line = next) {
		struct passwd_user *pu;
		const char *error;
		size_t len;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		linenum++;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		pu = p_new(pool, struct passwd_user, 1);
		int ret = passwd_file_parse_line(pool, line, pu, &error);
		if (ret < 0) {
			i_error("passwd-file %s: line %u: %s", file->path,
				linenum, error);
			continue;
		}
		if (ret == 0)
			continue;
		if (hash_table_lookup(users, pu->user) != NULL) {
			i_warning("passwd-file %s: line %u: User %s exists "
				  "more than once, using the first",
				  file->path, linenum, pu->user);
			continue;
		}
		hash_table_insert(users, pu->user, pu);
	}
	/* the raw file copy held hashes: wipe what is not referenced */
	if (file->loaded)
		passwd_file_free(file);
	file->pool = pool;
	file->users = users;
	file->loaded = true;
	file->dev = st->st_dev;
	file->ino = st->st_ino;
	file->size = st->st_size;
	file->mtime = st->st_mtim;
	return 0;
}

/* Makes sure the file is loaded and fresh. Returns 0 or -1 (logged). */
static int passwd_file_refresh(struct passwd_file_db *db,
			       struct passwd_file *file)
{
	struct stat st;
	time_t now = time(NULL);
	int fd, ret;

	if (file->loaded &&
	    now - file->last_check < PASSWD_FILE_CHECK_INTERVAL_SECS &&
	    now >= file->last_check)
		return 0;
	file->last_check = now;
	if (stat(file->path, &st) < 0) {
		passwd_file_log_once(db, file->path,
				     "passwd-file %s: stat() failed: %m",
				     file->path);
		return -1;
	}
	if (file->loaded && st.st_ino == file->ino && st.st_dev == file->dev &&
	    st.st_size == file->size &&
	    st.st_mtim.tv_sec == file->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == file->mtime.tv_nsec)
		return 0;
	if (!S_ISREG(st.st_mode) || st.st_size > PASSWD_FILE_MAX_SIZE) {
		passwd_file_log_once(
		    db, file->path,
		    "passwd-file %s: not a regular file or too large",
		    file->path);
		return -1;
	}
	fd = open(file->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		passwd_file_log_once(db, file->path,
				     "passwd-file %s: open() failed: %m",
				     file->path);
		return -1;
	}
	ret = passwd_file_read(file, fd, &st);
	close(fd);
	if (ret == 0)
		passwd_file_forget_logged(db, file->path);
	return ret;
}

static void passwd_file_db_drop_one(struct passwd_file_db *db)
{
	struct hash_iterate_context *iter;
	struct passwd_file *oldest = NULL;
	const void *key;
	void *value;

	iter = hash_table_iterate_init(db->files);
	while (hash_table_iterate(iter, &key, &value)) {
		struct passwd_file *f = value;
		if (oldest == NULL || f->last_check < oldest->last_check)
			oldest = f;
	}
	hash_table_iterate_deinit(&iter);
	if (oldest != NULL) {
		hash_table_remove(db->files, oldest->path);
		i_free(oldest->path);
		if (oldest->loaded)
			passwd_file_free(oldest);
		i_free(oldest);
	}
}

static struct passwd_file *passwd_file_get(struct passwd_file_db *db,
					   const char *path)
{
	struct passwd_file *file = hash_table_lookup(db->files, path);

	if (file != NULL)
		return file;
	if (hash_table_count(db->files) >= PASSWD_FILE_MAX_FILES)
		passwd_file_db_drop_one(db);
	file = i_malloc(sizeof(*file));
	file->path = i_strdup(path);
	hash_table_insert(db->files, file->path, file);
	return file;
}

static void passwd_file_db_forget(struct passwd_file_db *db,
				  struct passwd_file *file)
{
	hash_table_remove(db->files, file->path);
	i_free(file->path);
	if (file->loaded)
		passwd_file_free(file);
	i_free(file);
}

int passwd_file_db_lookup(struct passwd_file_db *db,
			  struct auth_request *request,
			  const struct passwd_user **pu_r)
{
	struct passwd_file *file;
	const char *path, *key, *error;

	path = db->path_has_vars
		   ? auth_request_var_expand(request, db->path_tmpl, &error)
		   : db->path_tmpl;
	if (path == NULL) {
		auth_request_log_error(request, "passwd-file",
				       "Failed to expand path %s: %s",
				       db->path_tmpl, error);
		return -1;
	}
	if (db->path_has_vars &&
	    (strstr(path, "/../") != NULL || strstr(path, "/./") != NULL ||
	     strstr(path, "//") != NULL)) {
		/* A user-controlled part tried to walk the tree. */
		return 0;
	}
	key = auth_request_var_expand(request, db->username_format, &error);
	if (key == NULL) {
		auth_request_log_error(
		    request, "passwd-file",
		    "Failed to expand username_format %s: %s",
		    db->username_format, error);
		return -1;
	}

	file = passwd_file_get(db, path);
	if (passwd_file_refresh(db, file) < 0) {
		if (!file->loaded) {
			/* Do not keep entries for files that do not exist
			 * (user-chosen domains would fill the cache). */
			passwd_file_db_forget(db, file);
		}
		return -1;
	}
	*pu_r = hash_table_lookup(file->users, key);
	return *pu_r != NULL ? 1 : 0;
}

int passwd_file_db_iterate(struct passwd_file_db *db,
			   void (*cb)(const char *user, void *context),
			   void *context)
{
	struct passwd_file *file;
	struct hash_iterate_context *iter;
	const void *key;
	void *value;

	if (db->path_has_vars)
		return -1;
	file = passwd_file_get(db, db->path_tmpl);
	if (passwd_file_refresh(db, file) < 0)
		return -1;
	iter = hash_table_iterate_init(file->users);
	while (hash_table_iterate(iter, &key, &value))
		cb(key, context);
	hash_table_iterate_deinit(&iter);
	return 0;
}
