/* auth-worker.h - a small pool of threads for blocking work (slow
 * password hashes now; PAM and synchronous libraries later).
 *
 * run() executes in a worker thread and must touch only its context;
 * done() is then called in the ioloop thread, through a pipe watched by
 * the ioloop, so one slow hash never stalls the other clients. Without
 * auth_worker_pool_init() (unit tests, fuzzing, loftadm) jobs run
 * synchronously inside auth_worker_submit(). */
#ifndef LOFT_AUTH_WORKER_H
#define LOFT_AUTH_WORKER_H

#include "lib.h"

typedef void auth_worker_run_t(void *context);
typedef void auth_worker_done_t(void *context);

/* threads 0 = number of online CPUs. Aborts when threads cannot be
 * started (a broken environment). */
void auth_worker_pool_init(unsigned int threads);
void auth_worker_pool_deinit(void);
void auth_worker_submit(auth_worker_run_t *run, auth_worker_done_t *done,
			void *context);

#endif
