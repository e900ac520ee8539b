/* master-restart.h - when to restart a service process that exited, and
 * how to describe its exit status in the log.
 *
 * Pure computations: no clocks, no signals, no I/O. The caller measures
 * how long the process ran and schedules the restart itself. */
#ifndef LOFT_MASTER_RESTART_H
#define LOFT_MASTER_RESTART_H

#include "lib.h"

/* First delay after a failure; doubled per failure up to the maximum. */
#define MASTER_BACKOFF_INITIAL_MSECS 1000u
#define MASTER_BACKOFF_MAX_MSECS 60000u
/* A process that ran this long before failing resets the backoff. */
#define MASTER_BACKOFF_RESET_MSECS 60000u
/* A clean exit (status 0) sooner than this counts as a failure, so that a
 * process that exits at once cannot make the master spin. */
#define MASTER_QUICK_EXIT_MSECS 1000u

struct master_backoff {
	unsigned int delay_msecs; /* last delay used; 0 = none yet */
};

/* A process of the service exited without being asked to after running
 * run_msecs. failed is true for a non-zero exit status or a signal.
 * Returns the delay in milliseconds before the replacement is started
 * (0 = start it now) and updates the backoff state:
 *  - a run of MASTER_BACKOFF_RESET_MSECS or more first resets the state;
 *  - a clean exit after MASTER_QUICK_EXIT_MSECS or more restarts at once;
 *  - otherwise the delay is 1 s, then doubled per failure, at most 60 s. */
unsigned int master_backoff_exit(struct master_backoff *backoff,
				 uint64_t run_msecs, bool failed);
void master_backoff_reset(struct master_backoff *backoff);

/* Describes a waitpid() status as Dovecot's master does, without the
 * "service(x): child N " part, e.g. "returned error 89",
 * "killed with signal 11 (core dumped)",
 * "killed with signal 11 (core dumps disabled)", "killed with signal 9".
 * core_dumps_enabled says whether RLIMIT_CORE is non-zero. Writes into
 * buf (truncating) and returns it. Status 0 gives "exited normally". */
const char *master_exit_status_str(int status, bool core_dumps_enabled,
				   char *buf, size_t size);
/* True when the status is anything but a zero exit. */
bool master_exit_status_failed(int status);

#endif
