/* maildir-notify.c - change notification for IDLE (mailbox.h, "change
 * notification"): one inotify instance per process shared by every
 * mailbox handle, and one eventfd per handle that the shared reader wakes.
 *
 * Why shared: fs.inotify.max_user_instances (128 by default) counts per
 * uid, and virtual users share one uid, so an instance per handle would
 * cap a machine at ~128 IDLE sessions. Watches are cheap in comparison
 * (max_user_watches is in the hundreds of thousands).
 *
 * How: the instance is created on the first mailbox_notify_fd() and
 * io_add()ed on the ioloop current at that moment; that loop must outlive
 * the handles that use notification (the mail processes have one loop for
 * their whole life). inotify_add_watch() on a directory already watched
 * returns the same watch descriptor, so watches are kept in a table
 * wd -> the handles interested; the watch is removed with the last of
 * them (mailbox_close()), and the instance itself with the last handle.
 * An event wakes the handles of its watch by writing to their eventfds;
 * IN_Q_OVERFLOW (events lost) wakes every handle.
 *
 * Without a current ioloop (a tool, a unit test without a loop) nothing
 * could read the shared instance, so the handle gets an inotify instance
 * of its own, as it did before sharing: its fd is returned directly and
 * mailbox_notify_clear() drains it.
 *
 * Does not: tell what changed (the caller syncs), poll where inotify is
 * missing (the caller falls back to a timer), or survive fork() without
 * exec (the child would share the parent's instance). */
#include "lib.h"
#include "hash.h"
#include "ioloop.h"
#include "log.h"
#include "maildir-private.h"

#include <limits.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

/* What changes a Maildir: files arriving (delivery, save, new/ -> cur/),
 * renamed (flags) and removed (expunge). Modifying a message in place is
 * not something Maildir does. Every watch uses the same mask: adding a
 * watch again replaces its mask. */
#define NOTIFY_MASK                                                            \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |                 \
	 IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)

/* The reader takes at most this many reads per wakeup, so a flood of
 * events into one mailbox cannot starve the other connections; the io is
 * level-triggered and fires again. */
#define NOTIFY_MAX_READS_PER_WAKEUP 16

static const char *const notify_subdirs[MAILDIR_NOTIFY_DIRS] = {"new", "cur"};

/* One inotify watch (a directory) and the handles interested in it. */
struct maildir_notify_watch {
	int wd; /* -1 once the kernel dropped it (IN_IGNORED) */
	struct maildir_notify_link *links;
};

/* The process's shared instance. */
static struct {
	int fd;
	struct io *io;
	/* wd (as a pointer, wd + 1) -> struct maildir_notify_watch */
	struct hash_table *watches;
	/* handles using the shared instance */
	unsigned int handle_count;
	/* all of them, for IN_Q_OVERFLOW */
	struct mailbox *boxes;
} notify = {.fd = -1};

static void *wd_key(int wd)
{
	return (void *)(uintptr_t)((unsigned int)wd + 1);
}

static void notify_wake(struct mailbox *box)
{
	uint64_t one = 1;

	/* EAGAIN only when the counter is near overflow: it is readable
	 * anyway. */
	if (write(box->notify_fd1 - 1, &one, sizeof(one)) < 0 &&
	    errno != EAGAIN && errno != EINTR)
		i_error("write(eventfd) failed: %m");
}

static void notify_wake_all(void)
{
	for (struct mailbox *box = notify.boxes; box != NULL;
	     box = box->notify_next)
		notify_wake(box);
}

static void notify_event(const struct inotify_event *ev)
{
	struct maildir_notify_watch *watch;

	if ((ev->mask & IN_Q_OVERFLOW) != 0) {
		/* events were lost: anyone may have missed a change */
		notify_wake_all();
		return;
	}
	watch = hash_table_lookup(notify.watches, wd_key(ev->wd));
	if (watch == NULL)
		return; /* removed while the event was queued */
	for (struct maildir_notify_link *link = watch->links; link != NULL;
	     link = link->next)
		notify_wake(link->box);
	if ((ev->mask & IN_IGNORED) != 0) {
		/* the directory is gone (mailbox deleted) and the kernel
		 * dropped the watch; its handles keep the struct until they
		 * are closed, but must not remove the wd, which may be
		 * given to another directory later */
		(void)hash_table_remove(notify.watches, wd_key(ev->wd));
		watch->wd = -1;
	}
}

/* Reads what the shared instance has queued and wakes the handles. */
static void notify_dispatch(void)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));

	for (unsigned int n = 0; n < NOTIFY_MAX_READS_PER_WAKEUP; n++) {
		ssize_t ret = read(notify.fd, buf, sizeof(buf));
		size_t pos = 0;

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0 && errno == EAGAIN)
			break;
		if (ret <= 0) {
			i_error("read(inotify) failed: %s",
				ret == 0 ? "EOF" : strerror(errno));
			notify_wake_all();
			break;
		}
		while (pos + sizeof(struct inotify_event) <= (size_t)ret) {
			const struct inotify_event *ev =
			    (const void *)(buf + pos);

			notify_event(ev);
			pos += sizeof(*ev) + ev->len;
		}
	}
}

static void notify_input(void *context ATTR_UNUSED)
{
	notify_dispatch();
}

static int notify_shared_init(const char **error_r)
{
	if (notify.fd != -1)
		return 0;
	notify.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (notify.fd < 0) {
		*error_r = maildir_error(
		    "inotify_init1() failed: %s%s", strerror(errno),
		    errno == EMFILE ? " (raise /proc/sys/fs/inotify/"
				      "max_user_instances)"
				    : "");
		notify.fd = -1;
		return -1;
	}
	notify.watches = hash_table_create(NULL, 64, direct_hash, direct_cmp);
	notify.io = io_add(notify.fd, IO_READ, notify_input, NULL);
	return 0;
}

static void notify_shared_deinit(void)
{
	i_assert(notify.handle_count == 0);
	i_assert(hash_table_count(notify.watches) == 0);
	io_remove(&notify.io);
	hash_table_destroy(&notify.watches);
	i_close_fd(&notify.fd);
}

static const char *notify_add_watch_error(const char *path)
{
	return maildir_error("inotify_add_watch(%s) failed: %s%s", path,
			     strerror(errno),
			     errno == ENOSPC ? " (raise /proc/sys/fs/inotify/"
					       "max_user_watches)"
					     : "");
}

static void notify_link_remove(struct maildir_notify_link *link)
{
	struct maildir_notify_watch *watch = link->watch;

	if (watch == NULL)
		return;
	if (link->prev != NULL)
		link->prev->next = link->next;
	else
		watch->links = link->next;
	if (link->next != NULL)
		link->next->prev = link->prev;
	link->prev = link->next = NULL;
	link->watch = NULL;
	if (watch->links != NULL)
		return;
	/* the last handle interested in this directory */
	if (watch->wd != -1) {
		(void)hash_table_remove(notify.watches, wd_key(watch->wd));
		/* EINVAL: already dropped by the kernel, IN_IGNORED still
		 * queued; it then finds no watch and is skipped */
		(void)inotify_rm_watch(notify.fd, watch->wd);
	}
	i_free(watch);
}

static int notify_link_add(struct mailbox *box,
			   struct maildir_notify_link *link, const char *path,
			   const char **error_r)
{
	struct maildir_notify_watch *watch;
	int wd;

	wd = inotify_add_watch(notify.fd, path, NOTIFY_MASK);
	if (wd < 0) {
		*error_r = notify_add_watch_error(path);
		return -1;
	}
	watch = hash_table_lookup(notify.watches, wd_key(wd));
	if (watch == NULL) {
		watch = i_malloc(sizeof(*watch));
		watch->wd = wd;
		hash_table_insert(notify.watches, wd_key(wd), watch);
	}
	link->box = box;
	link->watch = watch;
	link->prev = NULL;
	link->next = watch->links;
	if (watch->links != NULL)
		watch->links->prev = link;
	watch->links = link;
	return 0;
}

static void notify_box_unlink(struct mailbox *box)
{
	if (box->notify_prev != NULL)
		box->notify_prev->notify_next = box->notify_next;
	else
		notify.boxes = box->notify_next;
	if (box->notify_next != NULL)
		box->notify_next->notify_prev = box->notify_prev;
	box->notify_prev = box->notify_next = NULL;
}

/* The handle's eventfd and its watches on the shared instance. */
static int notify_shared_fd(struct mailbox *box, const char **error_r)
{
	char path[PATH_MAX];
	int efd;

	if (notify_shared_init(error_r) < 0)
		return -1;
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0) {
		*error_r =
		    maildir_error("eventfd() failed: %s", strerror(errno));
		if (notify.handle_count == 0)
			notify_shared_deinit();
		return -1;
	}
	box->notify_fd1 = efd + 1;
	box->notify_shared = true;
	notify.handle_count++;
	box->notify_next = notify.boxes;
	if (notify.boxes != NULL)
		notify.boxes->notify_prev = box;
	notify.boxes = box;
	for (unsigned int i = 0; i < MAILDIR_NOTIFY_DIRS; i++) {
		snprintf(path, sizeof(path), "%s/%s", box->path,
			 notify_subdirs[i]);
		if (notify_link_add(box, &box->notify_links[i], path, error_r) <
		    0) {
			maildir_notify_deinit(box);
			return -1;
		}
	}
	return efd;
}

/* Without a loop to read a shared instance: an instance of the handle's
 * own, as many as fs.inotify.max_user_instances allows. */
static int notify_private_fd(struct mailbox *box, const char **error_r)
{
	char path[PATH_MAX];
	int fd;

	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0) {
		*error_r = maildir_error("inotify_init1() failed: %s",
					 strerror(errno));
		return -1;
	}
	for (unsigned int i = 0; i < MAILDIR_NOTIFY_DIRS; i++) {
		snprintf(path, sizeof(path), "%s/%s", box->path,
			 notify_subdirs[i]);
		if (inotify_add_watch(fd, path, NOTIFY_MASK) < 0) {
			*error_r = notify_add_watch_error(path);
			i_close_fd(&fd);
			return -1;
		}
	}
	box->notify_fd1 = fd + 1;
	box->notify_shared = false;
	return fd;
}

int mailbox_notify_fd(struct mailbox *box, const char **error_r)
{
	if (box->notify_fd1 > 0)
		return box->notify_fd1 - 1;
	if (current_ioloop == NULL)
		return notify_private_fd(box, error_r);
	return notify_shared_fd(box, error_r);
}

void mailbox_notify_clear(struct mailbox *box)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	int fd = box->notify_fd1 - 1;

	if (box->notify_fd1 <= 0)
		return;
	if (box->notify_shared) {
		uint64_t count;

		/* pass on what is queued first, so that what this handle
		 * has pending is in its eventfd and cleared with it */
		notify_dispatch();
		while (read(fd, &count, sizeof(count)) < 0 && errno == EINTR)
			;
		return;
	}
	for (;;) {
		ssize_t ret = read(fd, buf, sizeof(buf));

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
	}
}

void maildir_notify_deinit(struct mailbox *box)
{
	int fd = box->notify_fd1 - 1;

	if (box->notify_fd1 <= 0)
		return;
	box->notify_fd1 = 0;
	if (box->notify_shared) {
		for (unsigned int i = 0; i < MAILDIR_NOTIFY_DIRS; i++)
			notify_link_remove(&box->notify_links[i]);
		notify_box_unlink(box);
		box->notify_shared = false;
		i_assert(notify.handle_count > 0);
		if (--notify.handle_count == 0)
			notify_shared_deinit();
	}
	i_close_fd(&fd);
}

unsigned int maildir_notify_shared_watch_count(void)
{
	return notify.watches == NULL ? 0 : hash_table_count(notify.watches);
}
