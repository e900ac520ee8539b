/* dotlock.c - O_EXCL lock files with stale detection (see dotlock.h).
 *
 * Does: create/wait/steal-if-stale, touch, replace-by-rename, delete.
 * Does not: NFS attribute cache flushing, fcntl locks, async waiting. */
#include "lib.h"
#include "pool.h"
#include "log.h"
#include "dotlock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#define DOTLOCK_RETRY_MSECS 100

/* Error strings returned via error_r stay valid until the next call into
 * this module. */
static _Thread_local char dotlock_errbuf[1024];

static const char *dotlock_error(const char *fmt, ...) ATTR_FORMAT(1, 2);
static const char *dotlock_error(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(dotlock_errbuf, sizeof(dotlock_errbuf), fmt, args);
	va_end(args);
	return dotlock_errbuf;
}

struct dotlock {
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
};

const char *dotlock_hostname(void)
{
	static char name[256];

	if (name[0] == '\0') {
		if (gethostname(name, sizeof(name) - 1) < 0 || name[0] == '\0')
			strcpy(name, "localhost");
		name[sizeof(name) - 1] = '\0';
	}
	return name;
}

/* Returns true when the lock file's content names a dead process on this
 * host. */
static bool dotlock_owner_dead(const char *path)
{
	char buf[300], *colon, *end;
	ssize_t ret;
	long pid;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	ret = read(fd, buf, sizeof(buf) - 1);
	i_close_fd(&fd);
	if (ret <= 0)
		return false;
	buf[ret] = '\0';
	colon = strchr(buf, ':');
	if (colon == NULL)
		return false;
	*colon = '\0';
	end = strpbrk(colon + 1, "\r\n");
	if (end != NULL)
		*end = '\0';
	if (strcmp(colon + 1, dotlock_hostname()) != 0)
		return false;
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (*end != '\0' || pid <= 0 || errno != 0)
		return false;
	if (pid == getpid())
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Removes the lock at path when it is stale. Returns true when removed (or
 * already gone). */
static bool dotlock_remove_if_stale(const char *path, unsigned int stale_secs)
{
	struct stat st, st2;
	time_t now = time(NULL);
	bool stale;

	if (lstat(path, &st) < 0)
		return errno == ENOENT;
	stale = stale_secs > 0 && st.st_mtime + (time_t)stale_secs < now;
	if (!stale)
		stale = dotlock_owner_dead(path);
	if (!stale)
		return false;
	/* make sure it is still the same file before removing it */
	if (lstat(path, &st2) < 0)
		return errno == ENOENT;
	if (st2.st_ino != st.st_ino || st2.st_dev != st.st_dev)
		return false;
	if (unlink(path) < 0 && errno != ENOENT)
		return false;
	i_warning("Removed stale lock file %s", path);
	return true;
}

static int dotlock_try_create(const char *path,
			      const struct dotlock_settings *set, int *fd_r,
			      const char **error_r)
{
	char content[320];
	size_t len;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		*error_r =
		    dotlock_error("open(%s) failed: %s", path, strerror(errno));
		return -1;
	}
	if (set->write_pid) {
		len = (size_t)snprintf(content, sizeof(content), "%ld:%s",
				       (long)getpid(), dotlock_hostname());
		if (len >= sizeof(content) ||
		    write(fd, content, len) != (ssize_t)len) {
			*error_r = dotlock_error("write(%s) failed: %s", path,
						 strerror(errno));
			(void)unlink(path);
			i_close_fd(&fd);
			return -1;
		}
	}
	*fd_r = fd;
	return 1;
}

int dotlock_create(const char *lock_path, const struct dotlock_settings *set,
		   struct dotlock **lock_r, const char **error_r)
{
	struct dotlock *lock;
	struct stat st;
	uint64_t deadline;
	int fd = -1, ret;

	*lock_r = NULL;
	deadline = time_now_msecs() + (uint64_t)set->timeout_secs * 1000;
	for (;;) {
		ret = dotlock_try_create(lock_path, set, &fd, error_r);
		if (ret != 0)
			break;
		if (dotlock_remove_if_stale(lock_path, set->stale_secs))
			continue;
		if (time_now_msecs() >= deadline)
			break;
		usleep(DOTLOCK_RETRY_MSECS * 1000);
	}
	if (ret < 0)
		return -1;
	if (ret == 0) {
		*error_r = dotlock_error("Timeout while waiting for lock %s",
					 lock_path);
		return 0;
	}
	if (fstat(fd, &st) < 0) {
		*error_r = dotlock_error("fstat(%s) failed: %s", lock_path,
					 strerror(errno));
		(void)unlink(lock_path);
		i_close_fd(&fd);
		return -1;
	}
	lock = i_malloc(sizeof(*lock));
	lock->path = i_strdup(lock_path);
	lock->fd = fd;
	lock->dev = st.st_dev;
	lock->ino = st.st_ino;
	*lock_r = lock;
	return 1;
}

int dotlock_get_fd(const struct dotlock *lock)
{
	return lock->fd;
}

const char *dotlock_get_path(const struct dotlock *lock)
{
	return lock->path;
}

static bool dotlock_is_ours(const struct dotlock *lock)
{
	struct stat st;

	if (lstat(lock->path, &st) < 0)
		return false;
	return st.st_ino == lock->ino && st.st_dev == lock->dev;
}

int dotlock_touch(struct dotlock *lock)
{
	if (!dotlock_is_ours(lock))
		return -1;
	return futimens(lock->fd, NULL) < 0 ? -1 : 0;
}

static void dotlock_free(struct dotlock **_lock)
{
	struct dotlock *lock = *_lock;

	*_lock = NULL;
	i_close_fd(&lock->fd);
	i_free(lock->path);
	i_free(lock);
}

int dotlock_replace(struct dotlock **_lock, const char *target_path,
		    const char **error_r)
{
	struct dotlock *lock = *_lock;

	if (fsync(lock->fd) < 0) {
		*error_r = dotlock_error("fsync(%s) failed: %s", lock->path,
					 strerror(errno));
		dotlock_delete(_lock);
		return -1;
	}
	if (!dotlock_is_ours(lock)) {
		*error_r = dotlock_error(
		    "Lock file %s was overridden by another process",
		    lock->path);
		dotlock_free(_lock);
		return -1;
	}
	if (rename(lock->path, target_path) < 0) {
		*error_r =
		    dotlock_error("rename(%s, %s) failed: %s", lock->path,
				  target_path, strerror(errno));
		dotlock_delete(_lock);
		return -1;
	}
	dotlock_free(_lock);
	return 0;
}

void dotlock_delete(struct dotlock **_lock)
{
	struct dotlock *lock = *_lock;

	if (lock == NULL)
		return;
	if (dotlock_is_ours(lock) && unlink(lock->path) < 0 && errno != ENOENT)
		i_error("unlink(%s) failed: %s", lock->path, strerror(errno));
	dotlock_free(_lock);
}
