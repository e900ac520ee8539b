/* ioloop.c - the process event loop: epoll (level-triggered) for I/O,
 * a binary min-heap of timers on the monotonic clock, and signals
 * delivered through a self-pipe so that their callbacks run in the loop.
 *
 * Callbacks may add and remove any io or timeout, including their own.
 * A timer added or rescheduled during an iteration runs at the earliest
 * in the next one, so zero-interval timers cannot starve I/O. Not
 * thread-safe: one loop per process (nested loops stack on
 * current_ioloop). */
#include "lib.h"
#include "ioloop.h"
#include "log.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <time.h>

#define IOLOOP_MAX_EVENTS 64

struct io {
	struct ioloop *ioloop;
	int fd;
	enum io_condition cond;
	io_callback_t *cb;
	void *context;
};

struct io_fd {
	struct io *read, *write;
};

struct timeout {
	struct ioloop *ioloop;
	unsigned int msecs;
	uint64_t next_run; /* monotonic msecs */
	unsigned int heap_idx;
	uint64_t iter_stamp; /* loop iteration of the last (re)schedule */
	bool once;
	struct timeout **to_ptr;
	io_callback_t *cb;
	void *context;
};

struct ioloop {
	struct ioloop *prev;
	int epfd;
	bool running;
	uint64_t iteration;

	struct io_fd *fds;
	unsigned int fds_alloc;

	struct timeout **heap;
	unsigned int heap_count, heap_alloc;
};

struct signal_handler {
	signal_callback_t *cb;
	void *context;
};

struct ioloop *current_ioloop;
time_t ioloop_time;

static int sig_pipe[2] = {-1, -1};
static struct io *sig_io;
static struct signal_handler sig_handlers[NSIG];

static void signal_pipe_read(void *context);

/* ---- epoll registration ---- */

static struct io_fd *ioloop_fd(struct ioloop *ioloop, int fd, bool grow)
{
	if ((unsigned int)fd >= ioloop->fds_alloc) {
		unsigned int new_alloc;

		if (!grow)
			return NULL;
		new_alloc = ioloop->fds_alloc < 64 ? 64 : ioloop->fds_alloc;
		while (new_alloc <= (unsigned int)fd)
			new_alloc *= 2;
		ioloop->fds = i_realloc(
		    ioloop->fds, size_mul(new_alloc, sizeof(*ioloop->fds)));
		memset(ioloop->fds + ioloop->fds_alloc, 0,
		       (new_alloc - ioloop->fds_alloc) * sizeof(*ioloop->fds));
		ioloop->fds_alloc = new_alloc;
	}
	return &ioloop->fds[fd];
}

static void ioloop_update_fd(struct ioloop *ioloop, int fd, int old_events)
{
	struct io_fd *ifd = ioloop_fd(ioloop, fd, false);
	struct epoll_event ev;
	int op;

	memset(&ev, 0, sizeof(ev));
	if (ifd != NULL && ifd->read != NULL)
		ev.events |= EPOLLIN;
	if (ifd != NULL && ifd->write != NULL)
		ev.events |= EPOLLOUT;
	ev.data.fd = fd;

	if (ev.events == 0)
		op = EPOLL_CTL_DEL;
	else if (old_events == 0)
		op = EPOLL_CTL_ADD;
	else
		op = EPOLL_CTL_MOD;
	if (epoll_ctl(ioloop->epfd, op, fd, &ev) < 0) {
		/* the fd may have been closed before io_remove() */
		if (op == EPOLL_CTL_DEL && (errno == EBADF || errno == ENOENT))
			return;
		i_panic("epoll_ctl(%s, %d) failed: %m",
			op == EPOLL_CTL_ADD   ? "add"
			: op == EPOLL_CTL_MOD ? "mod"
					      : "del",
			fd);
	}
}

static int io_fd_events(const struct io_fd *ifd)
{
	return (ifd->read != NULL ? EPOLLIN : 0) |
	       (ifd->write != NULL ? EPOLLOUT : 0);
}

struct io *io_add(int fd, enum io_condition cond, io_callback_t *cb,
		  void *context)
{
	struct ioloop *ioloop = current_ioloop;
	struct io_fd *ifd;
	struct io *io;
	int old_events;

	i_assert(ioloop != NULL);
	i_assert(fd >= 0);
	i_assert((cond & (IO_READ | IO_WRITE)) != 0);

	ifd = ioloop_fd(ioloop, fd, true);
	old_events = io_fd_events(ifd);
	if ((cond & IO_READ) != 0 && ifd->read != NULL)
		i_panic("io_add(%d): IO_READ already added", fd);
	if ((cond & IO_WRITE) != 0 && ifd->write != NULL)
		i_panic("io_add(%d): IO_WRITE already added", fd);

	io = i_malloc(sizeof(*io));
	io->ioloop = ioloop;
	io->fd = fd;
	io->cond = cond;
	io->cb = cb;
	io->context = context;
	if ((cond & IO_READ) != 0)
		ifd->read = io;
	if ((cond & IO_WRITE) != 0)
		ifd->write = io;
	ioloop_update_fd(ioloop, fd, old_events);
	return io;
}

void io_remove(struct io **_io)
{
	struct io *io = *_io;
	struct io_fd *ifd;
	int old_events;

	if (io == NULL)
		return;
	*_io = NULL;
	ifd = ioloop_fd(io->ioloop, io->fd, false);
	i_assert(ifd != NULL);
	old_events = io_fd_events(ifd);
	if (ifd->read == io)
		ifd->read = NULL;
	if (ifd->write == io)
		ifd->write = NULL;
	ioloop_update_fd(io->ioloop, io->fd, old_events);
	free(io);
}

/* ---- timers (binary min-heap on next_run) ---- */

static bool heap_less(const struct timeout *a, const struct timeout *b)
{
	return a->next_run < b->next_run;
}

static void heap_set(struct ioloop *ioloop, unsigned int idx,
		     struct timeout *to)
{
	ioloop->heap[idx] = to;
	to->heap_idx = idx;
}

static void heap_up(struct ioloop *ioloop, unsigned int idx)
{
	struct timeout *to = ioloop->heap[idx];

	while (idx > 0) {
		unsigned int parent = (idx - 1) / 2;

		if (!heap_less(to, ioloop->heap[parent]))
			break;
		heap_set(ioloop, idx, ioloop->heap[parent]);
		idx = parent;
	}
	heap_set(ioloop, idx, to);
}

static void heap_down(struct ioloop *ioloop, unsigned int idx)
{
	struct timeout *to = ioloop->heap[idx];

	for (;;) {
		unsigned int child = idx * 2 + 1;

		if (child >= ioloop->heap_count)
			break;
		if (child + 1 < ioloop->heap_count &&
		    heap_less(ioloop->heap[child + 1], ioloop->heap[child]))
			child++;
		if (!heap_less(ioloop->heap[child], to))
			break;
		heap_set(ioloop, idx, ioloop->heap[child]);
		idx = child;
	}
	heap_set(ioloop, idx, to);
}

static void heap_insert(struct ioloop *ioloop, struct timeout *to)
{
	if (ioloop->heap_count == ioloop->heap_alloc) {
		ioloop->heap_alloc =
		    ioloop->heap_alloc < 16 ? 16 : ioloop->heap_alloc * 2;
		ioloop->heap =
		    i_realloc(ioloop->heap, size_mul(ioloop->heap_alloc,
						     sizeof(*ioloop->heap)));
	}
	heap_set(ioloop, ioloop->heap_count++, to);
	heap_up(ioloop, to->heap_idx);
}

static void heap_remove(struct ioloop *ioloop, struct timeout *to)
{
	unsigned int idx = to->heap_idx;
	struct timeout *last;

	i_assert(idx < ioloop->heap_count && ioloop->heap[idx] == to);
	last = ioloop->heap[--ioloop->heap_count];
	if (last == to)
		return;
	heap_set(ioloop, idx, last);
	heap_up(ioloop, idx);
	heap_down(ioloop, last->heap_idx);
}

static struct timeout *timeout_new(unsigned int msecs, io_callback_t *cb,
				   void *context, bool once,
				   struct timeout **to_ptr)
{
	struct ioloop *ioloop = current_ioloop;
	struct timeout *to;

	i_assert(ioloop != NULL);
	to = i_malloc(sizeof(*to));
	to->ioloop = ioloop;
	to->msecs = msecs;
	to->next_run = time_now_msecs() + msecs;
	to->iter_stamp = ioloop->iteration;
	to->once = once;
	to->to_ptr = to_ptr;
	to->cb = cb;
	to->context = context;
	heap_insert(ioloop, to);
	return to;
}

struct timeout *timeout_add(unsigned int msecs, io_callback_t *cb,
			    void *context)
{
	return timeout_new(msecs, cb, context, false, NULL);
}

struct timeout *timeout_add_once(unsigned int msecs, io_callback_t *cb,
				 void *context, struct timeout **to_ptr)
{
	return timeout_new(msecs, cb, context, true, to_ptr);
}

void timeout_remove(struct timeout **_to)
{
	struct timeout *to = *_to;

	if (to == NULL)
		return;
	*_to = NULL;
	heap_remove(to->ioloop, to);
	if (to->to_ptr != NULL && to->to_ptr != _to && *to->to_ptr == to)
		*to->to_ptr = NULL;
	free(to);
}

void timeout_reset(struct timeout *to)
{
	to->next_run = time_now_msecs() + to->msecs;
	to->iter_stamp = to->ioloop->iteration;
	heap_up(to->ioloop, to->heap_idx);
	heap_down(to->ioloop, to->heap_idx);
}

static void ioloop_run_timeouts(struct ioloop *ioloop)
{
	uint64_t now = time_now_msecs();

	while (ioloop->heap_count > 0 && ioloop->running) {
		struct timeout *to = ioloop->heap[0];
		io_callback_t *cb = to->cb;
		void *context = to->context;

		if (to->next_run > now || to->iter_stamp == ioloop->iteration)
			break;
		if (to->once) {
			heap_remove(ioloop, to);
			if (to->to_ptr != NULL && *to->to_ptr == to)
				*to->to_ptr = NULL;
			free(to);
		} else {
			to->next_run = now + to->msecs;
			to->iter_stamp = ioloop->iteration;
			heap_down(ioloop, 0);
		}
		cb(context);
	}
}

static int ioloop_next_timeout_msecs(struct ioloop *ioloop)
{
	uint64_t now;
	struct timeout *to;

	if (ioloop->heap_count == 0)
		return -1;
	to = ioloop->heap[0];
	now = time_now_msecs();
	if (to->next_run <= now)
		return 0;
	if (to->next_run - now > 24 * 3600 * 1000)
		return 24 * 3600 * 1000;
	return (int)(to->next_run - now);
}

/* ---- the loop ---- */

struct ioloop *ioloop_create(void)
{
	struct ioloop *ioloop = i_malloc(sizeof(*ioloop));

	ioloop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ioloop->epfd < 0)
		i_fatal("epoll_create1() failed: %m");
	ioloop->prev = current_ioloop;
	current_ioloop = ioloop;
	ioloop_time = time(NULL);

	if (sig_pipe[0] != -1) {
		/* move signal delivery to the new loop */
		io_remove(&sig_io);
		sig_io = io_add(sig_pipe[0], IO_READ, signal_pipe_read, NULL);
	}
	return ioloop;
}

void ioloop_destroy(struct ioloop **_ioloop)
{
	struct ioloop *ioloop = *_ioloop;

	if (ioloop == NULL)
		return;
	*_ioloop = NULL;

	if (sig_io != NULL && sig_io->ioloop == ioloop)
		io_remove(&sig_io);
	for (unsigned int fd = 0; fd < ioloop->fds_alloc; fd++) {
		struct io_fd *ifd = &ioloop->fds[fd];

		if (ifd->read != NULL)
			free(ifd->read);
		if (ifd->write != NULL && ifd->write != ifd->read)
			free(ifd->write);
	}
	while (ioloop->heap_count > 0) {
		struct timeout *to = ioloop->heap[--ioloop->heap_count];

		if (to->to_ptr != NULL && *to->to_ptr == to)
			*to->to_ptr = NULL;
		free(to);
	}
	free(ioloop->heap);
	free(ioloop->fds);
	(void)close(ioloop->epfd);

	if (current_ioloop == ioloop) {
		current_ioloop = ioloop->prev;
		if (current_ioloop != NULL && sig_pipe[0] != -1 &&
		    sig_io == NULL)
			sig_io = io_add(sig_pipe[0], IO_READ, signal_pipe_read,
					NULL);
	}
	free(ioloop);
}

static void ioloop_dispatch(struct ioloop *ioloop, const struct epoll_event *ev)
{
	int fd = ev->data.fd;
	bool err = (ev->events & (EPOLLERR | EPOLLHUP)) != 0;
	struct io_fd *ifd;
	struct io *read_io;

	ifd = ioloop_fd(ioloop, fd, false);
	if (ifd == NULL)
		return;
	read_io = ifd->read;
	if (read_io != NULL && ((ev->events & EPOLLIN) != 0 || err))
		read_io->cb(read_io->context);

	/* the read callback may have removed or replaced the write io;
	   fds may also have been reallocated */
	if (!ioloop->running)
		return;
	ifd = ioloop_fd(ioloop, fd, false);
	if (ifd == NULL || ifd->write == NULL || ifd->write == read_io)
		return;
	if ((ev->events & EPOLLOUT) != 0 || err)
		ifd->write->cb(ifd->write->context);
}

static void ioloop_iteration(struct ioloop *ioloop)
{
	struct epoll_event events[IOLOOP_MAX_EVENTS];
	int timeout_msecs, count;

	ioloop->iteration++;
	timeout_msecs = ioloop_next_timeout_msecs(ioloop);
	count =
	    epoll_wait(ioloop->epfd, events, IOLOOP_MAX_EVENTS, timeout_msecs);
	if (count < 0) {
		if (errno != EINTR)
			i_fatal("epoll_wait() failed: %m");
		count = 0;
	}
	ioloop_time = time(NULL);
	for (int i = 0; i < count && ioloop->running; i++)
		ioloop_dispatch(ioloop, &events[i]);
	if (ioloop->running)
		ioloop_run_timeouts(ioloop);
}

void ioloop_run(struct ioloop *ioloop)
{
	i_assert(!ioloop->running);
	ioloop->running = true;
	while (ioloop->running)
		ioloop_iteration(ioloop);
}

void ioloop_stop(struct ioloop *ioloop)
{
	ioloop->running = false;
}

/* ---- signals ---- */

/* caught and not yet handed to its callback */
static volatile sig_atomic_t sig_pending[NSIG];

static void signal_handler(int signo)
{
	int saved_errno = errno;
	unsigned char c = (unsigned char)signo;

	sig_pending[signo] = 1;
	/* a full pipe just drops the notification: one is already pending */
	if (write(sig_pipe[1], &c, 1) < 0) {
		/* nothing useful to do in signal context */
	}
	errno = saved_errno;
}

static void signal_pipe_read(void *context)
{
	unsigned char buf[64];
	bool seen[NSIG] = {false};
	ssize_t ret;

	while ((ret = read(sig_pipe[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < ret; i++) {
			if (buf[i] < NSIG)
				seen[buf[i]] = true;
		}
	}
	for (int signo = 1; signo < NSIG; signo++) {
		if (seen[signo])
			sig_pending[signo] = 0;
		if (seen[signo] && sig_handlers[signo].cb != NULL)
			sig_handlers[signo].cb(signo,
					       sig_handlers[signo].context);
	}
}

static void signal_pipe_init(void)
{
	if (sig_pipe[0] != -1)
		return;
	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		i_fatal("pipe2() failed: %m");
	if (current_ioloop != NULL)
		sig_io = io_add(sig_pipe[0], IO_READ, signal_pipe_read, NULL);
}

void signal_add(int signo, signal_callback_t *cb, void *context)
{
	struct sigaction act;

	i_assert(signo > 0 && signo < NSIG);
	signal_pipe_init();
	sig_handlers[signo].cb = cb;
	sig_handlers[signo].context = context;

	memset(&act, 0, sizeof(act));
	act.sa_handler = signal_handler;
	sigemptyset(&act.sa_mask);
	act.sa_flags = SA_RESTART;
	if (sigaction(signo, &act, NULL) < 0)
		i_fatal("sigaction(%d) failed: %m", signo);
}

bool signal_is_pending(int signo)
{
	i_assert(signo > 0 && signo < NSIG);
	return sig_pending[signo] != 0;
}

void signal_remove(int signo)
{
	struct sigaction act;

	i_assert(signo > 0 && signo < NSIG);
	memset(&act, 0, sizeof(act));
	act.sa_handler = SIG_DFL;
	sigemptyset(&act.sa_mask);
	if (sigaction(signo, &act, NULL) < 0)
		i_fatal("sigaction(%d) failed: %m", signo);
	sig_handlers[signo].cb = NULL;
	sig_handlers[signo].context = NULL;
}

void signal_ignore(int signo)
{
	struct sigaction act;

	i_assert(signo > 0 && signo < NSIG);
	memset(&act, 0, sizeof(act));
	act.sa_handler = SIG_IGN;
	sigemptyset(&act.sa_mask);
	if (sigaction(signo, &act, NULL) < 0)
		i_fatal("sigaction(%d) failed: %m", signo);
	sig_handlers[signo].cb = NULL;
}
