/* log.c - log lines in Dovecot's shapes to stderr, files or syslog.
 *
 * Each line is built in memory and written with one write(2), so that
 * processes sharing a log file do not interleave. Control characters in
 * the prefix and message are replaced with '?' so that client data cannot
 * forge extra lines. Does no buffering and no rotation. */
#include "lib.h"
#include "log.h"

#include <fcntl.h>
#include <syslog.h>
#include <time.h>

#define LOG_STACK_BUF 4096
#define FATAL_DEFAULT_STATUS 89

enum log_target_kind {
	LOG_TARGET_STDERR,
	LOG_TARGET_FILE,
	LOG_TARGET_SYSLOG,
};

struct log_target {
	enum log_target_kind kind;
	int fd;
	char *path;
};

static char *log_prefix;
static char *log_timestamp_fmt;
static bool log_debug;
static bool syslog_opened;
static bool log_in_progress;
/* 0 = error/warning/fatal/panic, 1 = info, 2 = debug */
static struct log_target targets[3] = {
    {LOG_TARGET_STDERR, STDERR_FILENO, NULL},
    {LOG_TARGET_STDERR, STDERR_FILENO, NULL},
    {LOG_TARGET_STDERR, STDERR_FILENO, NULL},
};

static const char *const log_type_names[] = {
    [LOG_TYPE_DEBUG] = "Debug",	    [LOG_TYPE_INFO] = "Info",
    [LOG_TYPE_WARNING] = "Warning", [LOG_TYPE_ERROR] = "Error",
    [LOG_TYPE_FATAL] = "Fatal",	    [LOG_TYPE_PANIC] = "Panic",
};

void log_set_prefix(const char *prefix)
{
	char *old = log_prefix;

	log_prefix = i_strdup(prefix);
	free(old);
}

const char *log_get_prefix(void)
{
	return log_prefix == NULL ? "" : log_prefix;
}

void log_set_debug(bool enabled)
{
	log_debug = enabled;
}

bool log_debug_enabled(void)
{
	return log_debug;
}

void log_set_timestamp_format(const char *fmt)
{
	char *old = log_timestamp_fmt;

	log_timestamp_fmt = i_strdup(fmt);
	free(old);
}

static void targets_release(struct log_target *list)
{
	for (unsigned int i = 0; i < 3; i++) {
		bool shared = false;

		for (unsigned int j = 0; j < i; j++) {
			if (list[j].kind == LOG_TARGET_FILE &&
			    list[j].fd == list[i].fd)
				shared = true;
		}
		if (list[i].kind == LOG_TARGET_FILE && !shared)
			(void)close(list[i].fd);
		free(list[i].path);
		list[i].path = NULL;
		list[i].kind = LOG_TARGET_STDERR;
		list[i].fd = STDERR_FILENO;
	}
}

int log_set_targets(const char *log_path, const char *info_log_path,
		    const char *debug_log_path, const char **error_r)
{
	static char errbuf[512];
	struct log_target new_targets[3];
	const char *paths[3];

	if (info_log_path == NULL || *info_log_path == '\0')
		info_log_path = log_path;
	if (debug_log_path == NULL || *debug_log_path == '\0')
		debug_log_path = info_log_path;
	paths[0] = log_path;
	paths[1] = info_log_path;
	paths[2] = debug_log_path;

	for (unsigned int i = 0; i < 3; i++) {
		new_targets[i].kind = LOG_TARGET_STDERR;
		new_targets[i].fd = STDERR_FILENO;
		new_targets[i].path = NULL;
	}
	for (unsigned int i = 0; i < 3; i++) {
		struct log_target *t = &new_targets[i];
		const char *path = paths[i];

		if (path == NULL || *path == '\0' ||
		    strcmp(path, "/dev/stderr") == 0)
			continue;
		if (strcmp(path, "syslog") == 0) {
			t->kind = LOG_TARGET_SYSLOG;
			t->fd = -1;
			if (!syslog_opened) {
				openlog("loft", LOG_NDELAY, LOG_MAIL);
				syslog_opened = true;
			}
			continue;
		}
		t->kind = LOG_TARGET_FILE;
		t->path = i_strdup(path);
		t->fd = -1;
		for (unsigned int j = 0; j < i; j++) {
			if (new_targets[j].kind == LOG_TARGET_FILE &&
			    strcmp(new_targets[j].path, path) == 0)
				t->fd = new_targets[j].fd;
		}
		if (t->fd != -1)
			continue;
		t->fd =
		    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (t->fd < 0) {
			snprintf(errbuf, sizeof(errbuf), "open(%s) failed: %s",
				 path, strerror(errno));
			*error_r = errbuf;
			t->kind = LOG_TARGET_STDERR;
			t->fd = STDERR_FILENO;
			targets_release(new_targets);
			return -1;
		}
	}
	targets_release(targets);
	memcpy(targets, new_targets, sizeof(targets));
	return 0;
}

static void sanitize(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			s[i] = '?';
	}
}

static int log_type_syslog_priority(enum log_type type)
{
	switch (type) {
	case LOG_TYPE_DEBUG:
		return LOG_DEBUG;
	case LOG_TYPE_INFO:
		return LOG_INFO;
	case LOG_TYPE_WARNING:
		return LOG_WARNING;
	case LOG_TYPE_ERROR:
		return LOG_ERR;
	case LOG_TYPE_FATAL:
		return LOG_CRIT;
	case LOG_TYPE_PANIC:
		return LOG_CRIT;
	}
	return LOG_ERR;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t log_strftime(char *buf, size_t size, const struct tm *tm)
{
	/* the format is set by the process configuration, not by clients */
	return strftime(buf, size,
			log_timestamp_fmt != NULL ? log_timestamp_fmt
						  : "%b %d %H:%M:%S ",
			tm);
}
#pragma GCC diagnostic pop

void i_logv(enum log_type type, const char *fmt, va_list args)
{
	char stackbuf[LOG_STACK_BUF];
	char *buf = stackbuf, *heapbuf = NULL;
	size_t bufsize = sizeof(stackbuf), pos = 0, msg_start;
	const struct log_target *t;
	int saved_errno = errno;
	int len;

	if (type == LOG_TYPE_DEBUG && !log_debug)
		return;
	t = type == LOG_TYPE_DEBUG  ? &targets[2]
	    : type == LOG_TYPE_INFO ? &targets[1]
				    : &targets[0];
	if (log_in_progress && type < LOG_TYPE_FATAL)
		return;
	log_in_progress = true;

	if (t->kind != LOG_TARGET_SYSLOG) {
		struct tm tm;
		time_t now = time(NULL);

		if (localtime_r(&now, &tm) != NULL)
			pos = log_strftime(buf, bufsize, &tm);
	}
	msg_start = pos;
	len = snprintf(buf + pos, bufsize - pos, "%s", log_get_prefix());
	if (len > 0)
		pos += MIN_OF((size_t)len, bufsize - pos - 1);
	if (t->kind != LOG_TARGET_SYSLOG || type != LOG_TYPE_INFO) {
		len = snprintf(buf + pos, bufsize - pos,
			       "%s: ", log_type_names[type]);
		if (len > 0)
			pos += MIN_OF((size_t)len, bufsize - pos - 1);
	}

	va_list args2;
	va_copy(args2, args);
	errno = saved_errno;
	len = vsnprintf(buf + pos, bufsize - pos, fmt, args2);
	va_end(args2);
	if (len < 0)
		len = 0;
	if ((size_t)len >= bufsize - pos) {
		/* too long for the stack buffer: retry on the heap */
		size_t need = pos + (size_t)len + 2;
		heapbuf = malloc(need);
		if (heapbuf != NULL) {
			memcpy(heapbuf, buf, pos);
			errno = saved_errno;
			vsnprintf(heapbuf + pos, need - pos, fmt, args);
			buf = heapbuf;
			bufsize = need;
		} else {
			len = (int)(bufsize - pos - 1);
		}
	}
	pos += (size_t)len;
	sanitize(buf + msg_start, pos - msg_start);

	if (t->kind == LOG_TARGET_SYSLOG) {
		buf[pos] = '\0';
		syslog(log_type_syslog_priority(type), "%s", buf + msg_start);
	} else {
		buf[pos++] = '\n';
		(void)write_full(t->fd, buf, pos);
	}
	free(heapbuf);
	log_in_progress = false;
	errno = saved_errno;
}

void i_log(enum log_type type, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	i_logv(type, fmt, args);
	va_end(args);
}

void i_fatal_status(int status, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	i_logv(LOG_TYPE_FATAL, fmt, args);
	va_end(args);
	exit(status);
}

void i_fatal(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	i_logv(LOG_TYPE_FATAL, fmt, args);
	va_end(args);
	exit(FATAL_DEFAULT_STATUS);
}

void i_panic(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	i_logv(LOG_TYPE_PANIC, fmt, args);
	va_end(args);
	abort();
}
