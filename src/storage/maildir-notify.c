/* maildir-notify.c - change notification for IDLE: an inotify descriptor
 * on a Maildir's new/ and cur/ (mailbox.h, "change notification").
 *
 * Does: create the descriptor on demand and drain it. Does not: tell what
 * changed (the caller syncs) or poll where inotify is missing. */
#include "lib.h"
#include "maildir-private.h"

#include <limits.h>
#include <sys/inotify.h>

/* What changes a Maildir: files arriving (delivery, save, new/ -> cur/),
 * renamed (flags) and removed (expunge). Modifying a message in place is
 * not something Maildir does. */
#define NOTIFY_MASK                                                            \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |                 \
	 IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)

int mailbox_notify_fd(struct mailbox *box, const char **error_r)
{
	static const char *const subdirs[] = {"new", "cur"};
	char path[PATH_MAX];
	int fd;

	if (box->notify_fd1 > 0)
		return box->notify_fd1 - 1;
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0) {
		*error_r = maildir_error("inotify_init1() failed: %s",
					 strerror(errno));
		return -1;
	}
	for (unsigned int i = 0; i < N_ELEMENTS(subdirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", box->path, subdirs[i]);
		if (inotify_add_watch(fd, path, NOTIFY_MASK) < 0) {
			*error_r = maildir_error(
			    "inotify_add_watch(%s) failed: %s%s", path,
			    strerror(errno),
			    errno == ENOSPC ? " (raise /proc/sys/fs/inotify/"
					      "max_user_watches)"
					    : "");
			i_close_fd(&fd);
			return -1;
		}
	}
	box->notify_fd1 = fd + 1;
	return fd;
}

void mailbox_notify_clear(struct mailbox *box)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));

	if (box->notify_fd1 <= 0)
		return;
	for (;;) {
		ssize_t ret = read(box->notify_fd1 - 1, buf, sizeof(buf));

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
	}
}
