/* maildir-tmp.c - a message file being written, before it has its name
 * (see maildir-tmp.h).
 *
 * Whether an unnamed file can be linked is found once per process, by
 * linking a probe file into tmp/ and removing it: linkat(AT_EMPTY_PATH)
 * (any user since Linux 6.10, the file having been opened with the same
 * credentials), else linkat() of /proc/self/fd/N, else named files. A
 * file system without O_TMPFILE gets named files too. */
#include "lib.h"
#include "pool.h"
#include "log.h"
#include "maildir-filename.h"
#include "maildir-private.h"
#include "maildir-tmp.h"

#include <fcntl.h>
#include <stdio.h>

enum tmp_link {
	TMP_LINK_UNKNOWN,
	TMP_LINK_EMPTY_PATH,
	TMP_LINK_PROC,
	TMP_LINK_NONE,
};

static enum tmp_link tmp_link_method = TMP_LINK_UNKNOWN;

void maildir_tmp_set_unnamed(bool allowed)
{
	tmp_link_method = allowed ? TMP_LINK_UNKNOWN : TMP_LINK_NONE;
}

static int tmp_link(int fd, enum tmp_link method, const char *dest_path)
{
	char proc_path[64];

	if (method == TMP_LINK_EMPTY_PATH)
		return linkat(fd, "", AT_FDCWD, dest_path, AT_EMPTY_PATH);
	(void)snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc_path, AT_FDCWD, dest_path,
		      AT_SYMLINK_FOLLOW);
}

/* Finds tmp_link_method with a probe file in tmp_dir; leaves it unknown
 * with errno ENOENT when tmp_dir is missing. */
static void tmp_probe(pool_t pool, const char *tmp_dir, const char *base)
{
	static const enum tmp_link methods[] = {TMP_LINK_EMPTY_PATH,
						TMP_LINK_PROC};
	const char *probe =
	    p_strconcat(pool, tmp_dir, "/", base, ".probe", NULL);
	int fd;

	fd = open(tmp_dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, MAILDIR_FILE_MODE);
	if (fd < 0) {
		/* ENOENT: no tmp/ to try it in yet */
		if (errno != ENOENT)
			tmp_link_method = TMP_LINK_NONE;
		return;
	}
	tmp_link_method = TMP_LINK_NONE;
	for (unsigned int i = 0; i < N_ELEMENTS(methods); i++) {
		if (tmp_link(fd, methods[i], probe) == 0) {
			tmp_link_method = methods[i];
			(void)unlink(probe);
			break;
		}
	}
	i_close_fd(&fd);
}

/* The unnamed file, or -1 (errno set) when there is none to be had. */
static int tmp_open_unnamed(pool_t pool, const char *tmp_dir, const char *base)
{
	if (tmp_link_method == TMP_LINK_UNKNOWN) {
		tmp_probe(pool, tmp_dir, base);
		if (tmp_link_method == TMP_LINK_UNKNOWN)
			return -1;
	}
	if (tmp_link_method == TMP_LINK_NONE) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return open(tmp_dir, O_TMPFILE | O_WRONLY | O_CLOEXEC,
		    MAILDIR_FILE_MODE);
}

int maildir_tmp_create(pool_t pool, const char *maildir_path,
		       struct maildir_tmp *tmp_r, const char **base_r,
		       const char **error_r)
{
	const char *tmp_dir = p_strconcat(pool, maildir_path, "/tmp", NULL);
	const char *base = maildir_filename_generate(pool);
	bool made_dir = false;

	memset(tmp_r, 0, sizeof(*tmp_r));
	tmp_r->fd = -1;
	for (unsigned int attempt = 0;;) {
		/* ENOENT: tmp/ was removed after the mailbox was opened */
		int fd = tmp_open_unnamed(pool, tmp_dir, base);

		if (fd >= 0) {
			/* no name, even if a named file was tried before */
			tmp_r->path = NULL;
			tmp_r->fd = fd;
			tmp_r->link_by_proc = tmp_link_method == TMP_LINK_PROC;
			tmp_r->desc =
			    p_strconcat(pool, tmp_dir, " (unnamed)", NULL);
			break;
		}
		if (errno != ENOENT) {
			tmp_r->path =
			    p_strconcat(pool, tmp_dir, "/", base, NULL);
			fd = open(tmp_r->path,
				  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				  MAILDIR_FILE_MODE);
			if (fd >= 0) {
				tmp_r->fd = fd;
				tmp_r->desc = tmp_r->path;
				break;
			}
		}
		if (errno == ENOENT && !made_dir) {
			made_dir = true;
			if (maildir_mkdir_parents(tmp_dir, MAILDIR_DIR_MODE) <
			    0) {
				*error_r =
				    maildir_error("mkdir(%s) failed: %s",
						  tmp_dir, strerror(errno));
				return -1;
			}
			continue;
		}
		if (errno != EEXIST || ++attempt >= 10) {
			*error_r = maildir_error(
			    "open(%s) failed: %s",
			    tmp_r->path != NULL ? tmp_r->path : tmp_dir,
			    strerror(errno));
			return -1;
		}
		base = maildir_filename_generate(pool);
	}
	*base_r = base;
	return 0;
}

int maildir_tmp_publish(struct maildir_tmp *tmp, const char *dest_path,
			const char **call_r)
{
	if (tmp->path != NULL) {
		*call_r = "rename";
		return rename(tmp->path, dest_path);
	}
	*call_r = "link";
	return tmp_link(tmp->fd,
			tmp->link_by_proc ? TMP_LINK_PROC : TMP_LINK_EMPTY_PATH,
			dest_path);
}

void maildir_tmp_discard(struct maildir_tmp *tmp, bool published)
{
	if (tmp->fd >= 0)
		(void)close(tmp->fd);
	tmp->fd = -1;
	if (tmp->path != NULL && !published && unlink(tmp->path) < 0 &&
	    errno != ENOENT)
		i_error("unlink(%s) failed: %s", tmp->path, strerror(errno));
}
