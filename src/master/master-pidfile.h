/* master-pidfile.h - the master's pid file (base_dir/master.pid).
 *
 * The file holds the master's pid in decimal and a newline. It is written
 * atomically (temporary file + rename). A pid file whose process is gone,
 * which holds our own pid (a reused pid after a reboot or in a container)
 * or which holds no valid pid is stale and is simply overwritten. */
#ifndef LOFT_MASTER_PIDFILE_H
#define LOFT_MASTER_PIDFILE_H

#include "lib.h"

#define MASTER_PIDFILE_NAME "master.pid"

/* Reads the pid. Returns 1 with *pid_r set, 0 when the file does not exist
 * or does not hold a valid pid (*pid_r = 0), -1 when it cannot be read,
 * with *error_r. */
int master_pidfile_read(const char *path, pid_t *pid_r, const char **error_r);

/* True when a process with this pid exists (kill(pid, 0) succeeds or
 * fails only with EPERM) and is not a zombie. */
bool master_pid_is_alive(pid_t pid);

/* Returns 1 when path names a live process other than the caller (*pid_r
 * set), 0 when there is no file or it is stale, -1 when it cannot be read
 * (*error_r). */
int master_pidfile_check(const char *path, pid_t *pid_r, const char **error_r);

/* Writes pid to path atomically with mode 0644. Returns 0, or -1 with
 * *error_r. */
int master_pidfile_write(const char *path, pid_t pid, const char **error_r);

/* Removes path when it still holds pid (so that a master never removes a
 * newer master's file). Errors are ignored. */
void master_pidfile_remove(const char *path, pid_t pid);

#endif
