/* master-pidfile.c - reading, checking and writing master.pid. Does not
 * lock the file: the liveness check of the pid in it is the lock, as in
 * Dovecot. */
#include "master-pidfile.h"
#include "master-common.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#define PIDFILE_MAX_SIZE 32

int master_pidfile_read(const char *path, pid_t *pid_r, const char **error_r)
{
	char buf[PIDFILE_MAX_SIZE + 1];
	size_t len = 0;
	ssize_t ret;
	unsigned int num;
	int fd;

	*pid_r = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r =
		    master_errorf("open(%s) failed: %s", path, strerror(errno));
		return -1;
	}
	while (len < PIDFILE_MAX_SIZE) {
		ret = read(fd, buf + len, PIDFILE_MAX_SIZE - len);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			*error_r = master_errorf("read(%s) failed: %s", path,
						 strerror(errno));
			i_close_fd(&fd);
			return -1;
		}
		if (ret == 0)
			break;
		len += (size_t)ret;
	}
	i_close_fd(&fd);
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
			   buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (str_to_uint(buf, &num) < 0 || num == 0 || num > INT32_MAX)
		return 0;
	*pid_r = (pid_t)num;
	return 1;
}

/* A zombie is dead for our purposes: its parent just has not reaped it
 * yet (e.g. a test harness that started `loft -F`). */
static bool pid_is_zombie(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	i_close_fd(&fd);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	/* "pid (comm) S ...": comm may contain anything, so the state is
	 * after the last ')' */
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

bool master_pid_is_alive(pid_t pid)
{
	if (pid <= 0)
		return false;
	if (kill(pid, 0) < 0 && errno != EPERM)
		return false;
	return !pid_is_zombie(pid);
}

int master_pidfile_check(const char *path, pid_t *pid_r, const char **error_r)
{
	int ret;

	ret = master_pidfile_read(path, pid_r, error_r);
	if (ret <= 0)
		return ret;
	if (*pid_r == getpid() || !master_pid_is_alive(*pid_r))
		return 0;
	return 1;
}

int master_pidfile_write(const char *path, pid_t pid, const char **error_r)
{
	char tmp_path[4096], buf[PIDFILE_MAX_SIZE];
	int fd, len;

	if ((size_t)snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", path) >=
	    sizeof(tmp_path)) {
		*error_r = master_errorf("pid file path too long: %s", path);
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		*error_r = master_errorf("open(%s) failed: %s", tmp_path,
					 strerror(errno));
		return -1;
	}
	errno = 0;
	if (fchmod(fd, 0644) < 0 || write(fd, buf, (size_t)len) != len) {
		*error_r =
		    master_errorf("write(%s) failed: %s", tmp_path,
				  errno == 0 ? "short write" : strerror(errno));
		i_close_fd(&fd);
		(void)unlink(tmp_path);
		return -1;
	}
	if (close(fd) < 0) {
		*error_r = master_errorf("close(%s) failed: %s", tmp_path,
					 strerror(errno));
		(void)unlink(tmp_path);
		return -1;
	}
	if (rename(tmp_path, path) < 0) {
		*error_r = master_errorf("rename(%s, %s) failed: %s", tmp_path,
					 path, strerror(errno));
		(void)unlink(tmp_path);
		return -1;
	}
	return 0;
}

void master_pidfile_remove(const char *path, pid_t pid)
{
	const char *error;
	pid_t file_pid;

	if (master_pidfile_read(path, &file_pid, &error) > 0 && file_pid == pid)
		(void)unlink(path);
}
