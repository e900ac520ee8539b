/* auth-worker.h - a small pool of threads for blocking work: slow
 * password hashes, NSS lookups (passwd, shadow) and PAM conversations.
 *
 * run() executes in a worker thread and must touch only its context;
 * done() is then called in the ioloop thread, through a pipe watched by
 * the ioloop, so one slow job never stalls the other clients. Without
 * auth_worker_pool_init() (unit tests, fuzzing, loftadm) jobs run
 * synchronously inside the submit call.
 *
 * Jobs submitted with a timeout are never waited for longer than that:
 * a job whose run() hangs (a PAM module waiting forever on a network
 * service) is abandoned, its thread is replaced so that the pool keeps
 * its capacity, and the ioloop goes on. Not here: what a job does, and
 * any notion of requests or users. */
#ifndef LOFT_AUTH_WORKER_H
#define LOFT_AUTH_WORKER_H

#include "lib.h"

/* Threads abandoned to hung jobs at any one time; past this, a hung job's
 * thread is no longer replaced (the pool shrinks instead of growing
 * without bound), which is logged. */
#define AUTH_WORKER_MAX_ABANDONED 64

typedef void auth_worker_run_t(void *context);
typedef void auth_worker_done_t(void *context);

/* threads 0 = number of online CPUs. Aborts when threads cannot be
 * started (a broken environment). */
void auth_worker_pool_init(unsigned int threads);
/* Stops the pool: jobs without a timeout that are queued or running are
 * finished and their done() called; jobs with a timeout that are still
 * queued or running are timed out at once (see below), so that a hung
 * job never blocks the shutdown. */
void auth_worker_pool_deinit(void);
void auth_worker_submit(auth_worker_run_t *run, auth_worker_done_t *done,
			void *context);

/* Like auth_worker_submit(), with a deadline of timeout_msecs (> 0).
 * Exactly one of done() or timed_out() is called, in the ioloop thread.
 * After timed_out(), run() may still be executing in its (now abandoned)
 * thread, so timed_out() must not free or change what run() uses; it
 * only reports the failure with data that run() does not write.
 * release(context) is then called exactly once, when nothing uses the
 * context any more: right after timed_out() when run() had not started
 * or has returned meanwhile, otherwise in the abandoned thread when run()
 * finally returns - so it must be thread-safe (wipe and free heap
 * memory, nothing else). Without the pool the job runs synchronously and
 * done() is called. */
void auth_worker_submit_timeout(auth_worker_run_t *run,
				auth_worker_done_t *done,
				auth_worker_done_t *timed_out,
				auth_worker_done_t *release, void *context,
				unsigned int timeout_msecs);

/* For tests and diagnostics: threads currently serving the queue, and
 * threads abandoned to hung jobs that have not returned yet. */
unsigned int auth_worker_pool_thread_count(void);
unsigned int auth_worker_pool_abandoned_count(void);

#endif
