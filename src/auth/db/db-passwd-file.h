/* db-passwd-file.h - Dovecot's passwd-file format and a cache of parsed
 * files, shared by the passwd-file passdb and userdb.
 *
 * Each line: user:password:uid:gid:gecos:home:shell:extra_fields, where
 * trailing fields may be left out and extra_fields is a space-separated
 * list of key=value (or bare key) words; everything after the seventh
 * colon belongs to extra_fields, so values may contain colons
 * (userdb_mail=maildir:~/Maildir). '#' starts a comment line; blank lines
 * are skipped. The file path may contain %-variables (one file per
 * domain); files are re-read when their inode, size or mtime change,
 * checked at most once a second. */
#ifndef LOFT_DB_PASSWD_FILE_H
#define LOFT_DB_PASSWD_FILE_H

#include "lib.h"
#include "pool.h"

struct auth_request;

struct passwd_user {
	const char *user;
	const char *password; /* NULL when the field is empty/missing */
	const char *uid, *gid, *gecos, *home, *shell; /* NULL when empty */
	const char *const *extra_fields; /* NULL-terminated "key=value" */
};

/* Parses one line (without the newline) into pool. Returns 1 for an
 * entry, 0 for a comment or blank line, -1 with *error_r for a malformed
 * one (empty user name). */
int passwd_file_parse_line(pool_t pool, const char *line,
			   struct passwd_user *pu_r, const char **error_r);

struct passwd_file_db;

/* path may contain %-variables; username_format (NULL = "%u") gives the
 * key looked up in the file. */
struct passwd_file_db *passwd_file_db_init(const char *path,
					   const char *username_format);
void passwd_file_db_deinit(struct passwd_file_db **db);

/* Finds the request's user. Returns 1 found (*pu_r valid until the next
 * lookup), 0 unknown user, -1 internal failure (logged). */
int passwd_file_db_lookup(struct passwd_file_db *db,
			  struct auth_request *request,
			  const struct passwd_user **pu_r);

/* Calls cb for every user of a file without %-variables. Returns 0, or
 * -1 when the path has variables or the file cannot be read. */
int passwd_file_db_iterate(struct passwd_file_db *db,
			   void (*cb)(const char *user, void *context),
			   void *context);

#endif
