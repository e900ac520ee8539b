/* log.h - logging in Dovecot's line shapes.
 *
 * Each process sets its prefix ("pop3-login: ", "auth: ",
 * "pop3(user)<pid><session>: ") and its targets. A line written to a file or
 * stderr looks like Nov 22 00:46:03 pop3-login: Info: Login: user=<u>,
 * method=PLAIN, rip=... and to syslog (facility mail) without the timestamp.
 * Debug lines are written only when enabled. Lines are written with one
 * write(2) each, so processes sharing one file do not interleave. */
#ifndef LOFT_LOG_H
#define LOFT_LOG_H

#include "lib.h"

enum log_type {
	LOG_TYPE_DEBUG,
	LOG_TYPE_INFO,
	LOG_TYPE_WARNING,
	LOG_TYPE_ERROR,
	LOG_TYPE_FATAL,
	LOG_TYPE_PANIC,
};

/* prefix e.g. "pop3-login: ". Defaults: stderr for everything. */
void log_set_prefix(const char *prefix);
const char *log_get_prefix(void);
/* path: a file path, "syslog", or NULL/"" for stderr. Separate targets for
 * error+warning+fatal (log_path), info (info_log_path) and debug
 * (debug_log_path); an unset info/debug target follows log_path as Dovecot
 * does. Returns -1 with *error_r when a file cannot be opened. */
int log_set_targets(const char *log_path, const char *info_log_path,
		    const char *debug_log_path, const char **error_r);
void log_set_debug(bool enabled);
bool log_debug_enabled(void);
/* Timestamp format for file/stderr targets (strftime), default
 * "%b %d %H:%M:%S ". */
void log_set_timestamp_format(const char *fmt);

void i_log(enum log_type type, const char *fmt, ...) ATTR_FORMAT(2, 3);
void i_logv(enum log_type type, const char *fmt, va_list args)
    ATTR_FORMAT(2, 0);
#define i_debug(...)                                                           \
	do {                                                                   \
		if (log_debug_enabled())                                       \
			i_log(LOG_TYPE_DEBUG, __VA_ARGS__);                    \
	} while (0)
#define i_info(...) i_log(LOG_TYPE_INFO, __VA_ARGS__)
#define i_warning(...) i_log(LOG_TYPE_WARNING, __VA_ARGS__)
#define i_error(...) i_log(LOG_TYPE_ERROR, __VA_ARGS__)
/* Logs "Fatal: ..." and exits with status 89 (as Dovecot's FATAL_DEFAULT). */
void i_fatal(const char *fmt, ...) ATTR_FORMAT(1, 2) ATTR_NORETURN;
/* Exits with the given status. */
void i_fatal_status(int status, const char *fmt, ...)
    ATTR_FORMAT(2, 3) ATTR_NORETURN;

#endif
