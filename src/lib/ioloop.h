/* ioloop.h - the one event loop of a process (epoll), with I/O watches,
 * timers and signals.
 *
 * There is one current loop per process (current_ioloop); io_add() and
 * timeout_add() attach to it. Callbacks run from ioloop_run(). Signals are
 * delivered through a self-pipe, so their callbacks run in the loop, not in
 * signal context. */
#ifndef LOFT_IOLOOP_H
#define LOFT_IOLOOP_H

#include "lib.h"

enum io_condition {
	IO_READ = 0x01,
	IO_WRITE = 0x02,
};

struct ioloop;
struct io;
struct timeout;

typedef void io_callback_t(void *context);

extern struct ioloop *current_ioloop;

/* Creates the loop and makes it current. */
struct ioloop *ioloop_create(void);
void ioloop_destroy(struct ioloop **ioloop);
/* Runs until ioloop_stop() is called. */
void ioloop_run(struct ioloop *ioloop);
void ioloop_stop(struct ioloop *ioloop);
/* Time (wall clock, seconds) cached at the start of each loop iteration. */
extern time_t ioloop_time;

/* Watches fd for cond. Only one io per (fd, condition); an fd may have one
 * IO_READ and one IO_WRITE io at once. The callback is called while the
 * condition holds (level-triggered); error/hangup count as both. */
struct io *io_add(int fd, enum io_condition cond, io_callback_t *cb,
		  void *context);
/* Removes and sets *io to NULL. Safe to call from inside the callback. */
void io_remove(struct io **io);

/* Calls cb every msecs milliseconds until removed. */
struct timeout *timeout_add(unsigned int msecs, io_callback_t *cb,
			    void *context);
/* Calls cb after msecs once; the timeout is removed before the callback
 * runs and *to_ptr (if not NULL) is set to NULL at that point. */
struct timeout *timeout_add_once(unsigned int msecs, io_callback_t *cb,
				 void *context, struct timeout **to_ptr);
void timeout_remove(struct timeout **to);
/* Restarts the countdown from now. */
void timeout_reset(struct timeout *to);

/* Signal handling through the loop. signo's default action is replaced.
 * SIGPIPE should be ignored with signal_ignore(). */
typedef void signal_callback_t(int signo, void *context);
void signal_add(int signo, signal_callback_t *cb, void *context);
void signal_remove(int signo);
/* True when signo (given to signal_add()) was caught and its callback has
 * not run yet: e.g. a SIGTERM that arrived in the same loop iteration as
 * the event being handled. */
bool signal_is_pending(int signo);
void signal_ignore(int signo);

#endif
