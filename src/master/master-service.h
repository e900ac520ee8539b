/* master-service.h - the services the master runs and their processes.
 *
 * A "generation" is everything built from one loaded configuration: the
 * services of the enabled protocols (auth always; pop3-login and pop3 for
 * `pop3`, imap-login and imap for `imap`), their listeners and their
 * processes. Start-up creates the first generation; a reload creates the
 * next one, moves over the sockets whose address did not change, starts
 * its processes and retires the old generation: its processes get SIGQUIT
 * (stop accepting, finish the clients, exit), its auth process SIGTERM, and
 * none is restarted. Processes of the current generation that exit unasked
 * are logged and restarted with backoff (master-restart.h).
 *
 * Each process is fork+exec'ed with its listeners on fds 3.., described
 * in LOFT_LISTENERS, plus LOFT_CONFIG and LOFT_SERVICE (see
 * config/service-env.h); stdin is /dev/null, stdout and stderr go to the
 * child log fd; every other fd is closed and signals are reset. The
 * services drop their own privileges. This module parses no client input
 * and does not talk to its children. */
#ifndef LOFT_MASTER_SERVICE_H
#define LOFT_MASTER_SERVICE_H

#include "lib.h"
#include "settings.h"

/* Process-wide parameters. config_path must be absolute; self_dir is the
 * directory of the running loft (may be NULL), see master-binary.h.
 * Strings are copied. */
void master_services_init(const char *config_path, const char *self_dir);
/* Destroys every generation: closes all listeners and unlinks the UNIX
 * sockets. Call after all children are gone. */
void master_services_deinit(void);

/* Makes snapshot_path (a private copy of the configuration, see
 * config_dump_snapshot()) the file that the processes of the next
 * generation load instead of the config_path given to init, so that a
 * process started later does not read a file edited since. The next
 * master_services_bind() or _reload() takes it over and unlinks it when
 * that generation is gone (or fails); NULL unlinks a pending one. */
void master_services_set_next_config(const char *snapshot_path);

/* Sets the fd that children get as stdout/stderr; -1 = the master's own
 * fd 2. The module takes ownership and closes the previous one. */
void master_services_set_child_log_fd(int fd);

/* Starts the first generation from set: binds all listeners and starts
 * the processes (auth first). Takes ownership of set on success. Needs
 * the ioloop to exist. Returns 0, or -1 with *error_r (nothing left
 * bound). */
int master_services_start(struct loft_settings *set, const char **error_r);
/* Binds only (no processes): master_services_start() split in two so
 * that the master can bind before it daemonizes and start the processes
 * after. Returns as master_services_start(). */
int master_services_bind(struct loft_settings *set, const char **error_r);
/* Starts the processes of the generation bound by master_services_bind(). */
void master_services_run(void);

/* Reload with new settings: on success (0) the new generation runs, the
 * old one is retired and set is owned by the module. On failure (-1,
 * *error_r) nothing changed and the caller still owns set. */
int master_services_reload(struct loft_settings *set, const char **error_r);

/* The current generation's settings (owned by the module), or NULL. */
const struct loft_settings *master_services_get_settings(void);
/* The enabled and implemented protocols, e.g. "pop3, imap", or "" for
 * none. */
const char *master_services_get_protocols(void);

/* Reaps exited children (call on SIGCHLD), logging and restarting as
 * described above. */
void master_services_reap(void);
/* Begins shutdown: no more restarts, SIGTERM to every child. Returns the
 * number of children still running. */
unsigned int master_services_stop(void);
/* SIGKILLs every child that is still running and reaps them. */
void master_services_kill(void);
/* Number of child processes still running, of all generations. */
unsigned int master_services_count_processes(void);

#endif
