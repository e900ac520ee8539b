/* master.h - the running master: start-up, the event loop, reload and
 * shutdown, and the `loft stop` / `loft reload` commands.
 *
 * The command line is parsed by main.c; this module owns everything from
 * "the configuration is valid" on. It never parses client input. */
#ifndef LOFT_MASTER_H
#define LOFT_MASTER_H

#include "lib.h"
#include "settings.h"

/* Seconds the master waits for children after SIGTERM before SIGKILL. */
#define MASTER_STOP_TIMEOUT_SECS 5
/* Seconds `loft stop` waits for the master to go away. */
#define MASTER_CTL_STOP_WAIT_SECS 30

/* Loads the configuration at path without a protocol filter into *set_r
 * and checks the filtered view of every enabled, implemented protocol.
 * Returns 0, or -1 with *error_r as config_load() gives it. */
int master_config_load(const char *path, struct loft_settings **set_r,
		       const char **error_r);

/* Runs the master with the already loaded settings (owned by the master
 * from here on). config_path must be absolute. Start-up failures are
 * logged as "master: Fatal: ..." on stderr and exit 1. Returns the exit
 * status after a SIGTERM/SIGINT shutdown (0). */
int master_run(const char *config_path, struct loft_settings *set,
	       bool foreground);

/* Sends signo to the master whose pid is in base_dir/master.pid. With
 * wait_exit, waits up to MASTER_CTL_STOP_WAIT_SECS for it to exit.
 * Returns 0, or -1 with *error_r (not running, kill failed, timeout). */
int master_ctl_signal(const char *base_dir, int signo, bool wait_exit,
		      const char **error_r);

/* Creates path and its missing parents with mode (existing directories
 * are left as they are). Returns 0, or -1 with *error_r. */
int master_mkdir_parents(const char *path, mode_t mode, const char **error_r);

#endif
