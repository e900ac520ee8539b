/* maildir-save.c - delivering one message into a maildir.
 *
 * tmp/<name> created with O_EXCL, written, fsynced, then renamed into new/
 * (or into cur/ with ":2,<flags>" when flags are given) and the directory
 * fsynced, so that a crash leaves either nothing visible or the whole
 * message. The name carries S=<size> and W=<size with CRLF line endings>
 * like Dovecot's LDA. Does not assign UIDs: the next sync does. */
#include "lib.h"
#include "pool.h"
#include "log.h"
#include "maildir-filename.h"
#include "maildir-private.h"

#include <fcntl.h>
#include <sys/stat.h>

static uint64_t count_vsize(const unsigned char *data, size_t size)
{
	uint64_t vsize = size;

	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			vsize++;
	}
	return vsize;
}

static int write_all(int fd, const unsigned char *data, size_t size)
{
	while (size > 0) {
		ssize_t ret = write(fd, data, size);

		if (ret < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += ret;
		size -= (size_t)ret;
	}
	return 0;
}

int maildir_save_file_letters(const char *maildir_path, const void *data,
			      size_t size, const char *letters,
			      time_t received_time, pool_t result_pool,
			      const char **basename_r, const char **error_r)
{
	static const char *const subdirs[] = {"cur", "new", "tmp"};
	pool_t pool = pool_create("maildir save", 1024);
	const char *name = NULL, *tmp_path = NULL, *dest_dir, *dest_path;
	uint64_t vsize = count_vsize(data, size);
	int fd = -1, ret = -1;

	for (unsigned int i = 0; i < N_ELEMENTS(subdirs); i++) {
		const char *dir =
		    p_strconcat(pool, maildir_path, "/", subdirs[i], NULL);

		if (maildir_mkdir_parents(dir, MAILDIR_DIR_MODE) < 0) {
			*error_r = maildir_error("mkdir(%s) failed: %s", dir,
						 strerror(errno));
			goto out;
		}
	}
	for (unsigned int attempt = 0; fd < 0; attempt++) {
		name = p_strdup_printf(pool, "%s,S=%zu,W=%llu",
				       maildir_filename_generate(pool), size,
				       (unsigned long long)vsize);
		tmp_path = p_strconcat(pool, maildir_path, "/tmp/", name, NULL);
		fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  MAILDIR_FILE_MODE);
		if (fd < 0 && (errno != EEXIST || attempt >= 10)) {
			*error_r = maildir_error("open(%s) failed: %s",
						 tmp_path, strerror(errno));
			goto out;
		}
	}
	if (write_all(fd, data, size) < 0) {
		*error_r = maildir_error("write(%s) failed: %s", tmp_path,
					 strerror(errno));
		goto out_unlink;
	}
	if (received_time > 0) {
		struct timespec ts[2] = {
		    {.tv_sec = received_time, .tv_nsec = 0},
		    {.tv_sec = received_time, .tv_nsec = 0},
		};

		if (futimens(fd, ts) < 0) {
			*error_r = maildir_error("futimens(%s) failed: %s",
						 tmp_path, strerror(errno));
			goto out_unlink;
		}
	}
	if (fsync(fd) < 0) {
		*error_r = maildir_error("fsync(%s) failed: %s", tmp_path,
					 strerror(errno));
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		*error_r = maildir_error("close(%s) failed: %s", tmp_path,
					 strerror(errno));
		goto out_unlink;
	}
	fd = -1;

	if (letters[0] != '\0') {
		dest_dir = p_strconcat(pool, maildir_path, "/cur", NULL);
		dest_path = p_strconcat(pool, dest_dir, "/", name, ":2,",
					letters, NULL);
	} else {
		dest_dir = p_strconcat(pool, maildir_path, "/new", NULL);
		dest_path = p_strconcat(pool, dest_dir, "/", name, NULL);
	}
	if (rename(tmp_path, dest_path) < 0) {
		*error_r = maildir_error("rename(%s, %s) failed: %s", tmp_path,
					 dest_path, strerror(errno));
		goto out_unlink;
	}
	if (maildir_fsync_dir(dest_dir) < 0) {
		/* the message is in place but may not survive a crash */
		*error_r = maildir_error("fsync(%s) failed: %s", dest_dir,
					 strerror(errno));
		goto out;
	}
	if (basename_r != NULL)
		*basename_r = p_strdup(result_pool, name);
	ret = 0;
	goto out;
out_unlink:
	(void)unlink(tmp_path);
out:
	i_close_fd(&fd);
	pool_unref(&pool);
	return ret;
}

int maildir_save_file(const char *maildir_path, const void *data, size_t size,
		      enum mail_flags flags, time_t received_time,
		      const char **error_r)
{
	char letters[16];

	maildir_flags_to_letters(flags, letters, sizeof(letters));
	return maildir_save_file_letters(maildir_path, data, size, letters,
					 received_time, NULL, NULL, error_r);
}
