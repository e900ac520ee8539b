/* popbench.c - POP3 load generator for comparing Loft with Dovecot.
 *
 * Three measurements, each over plain TCP (loopback counts as secure, so
 * USER/PASS is allowed there):
 *   logins  N threads loop USER/PASS/QUIT for a fixed duration; prints
 *           completed logins per second.
 *   retr    N threads each log in as their own user and RETR every message
 *           of the mailbox once (or -R times over, in the same session);
 *           prints MB/s of message data received.
 *   idle    opens N logged-in connections, prints "ready" and holds them
 *           until stdin reaches EOF, so the caller can measure memory.
 * It is a client only: it neither starts servers nor measures memory.
 * Users are named by a prefix and a 1-based number: bench1, bench2, ...
 * (at least as many users as connections: no two connections share one).
 * Not part of the main build; see bench/Makefile and bench/run-pop3.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

#define BUF_SIZE 65536
#define MAX_LINE 8192

struct conn {
	int fd;
	size_t start, end;
	char buf[BUF_SIZE];
	char line[MAX_LINE];
};

struct options {
	const char *host, *port, *user_prefix, *password, *mode;
	unsigned int threads, users, seconds, rounds;
};

static struct options opt = {
    .host = "127.0.0.1",
    .port = "110",
    .user_prefix = "bench",
    .password = "bench",
    .mode = "logins",
    .threads = 8,
    .users = 0,
    .seconds = 10,
    .rounds = 1,
};

static atomic_ulong n_ok, n_err, n_bytes, n_msgs;
static atomic_bool stop_flag;

const char *const bench_progname = "popbench";

/* Returns a connected socket, or -1. */
static int conn_open(struct conn *c)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai, *a;
	int fd = -1, one = 1;

	if (getaddrinfo(opt.host, opt.port, &hints, &ai) != 0)
		return -1;
	for (a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->start = c->end = 0;
	return fd;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Reads one line into c->line without CRLF. Returns its length, or -1 on
 * EOF/error. Overlong lines are truncated (a benchmark, not a parser). */
static ssize_t conn_line(struct conn *c)
{
	size_t len = 0;

	for (;;) {
		char *nl;
		size_t avail = c->end - c->start, take;

		nl = memchr(c->buf + c->start, '\n', avail);
		take =
		    nl != NULL ? (size_t)(nl - (c->buf + c->start)) + 1 : avail;
		if (len + take < MAX_LINE) {
			memcpy(c->line + len, c->buf + c->start, take);
			len += take;
		}
		c->start += take;
		if (nl != NULL)
			break;
		c->start = c->end = 0;
		ssize_t r = read(c->fd, c->buf, sizeof(c->buf));
		if (r <= 0)
			return -1;
		c->end = r;
	}
	while (len > 0 &&
	       (c->line[len - 1] == '\n' || c->line[len - 1] == '\r'))
		len--;
	c->line[len] = '\0';
	return len;
}

static bool conn_send(struct conn *c, const char *fmt, ...)
{
	char out[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, sizeof(out), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(out))
		return false;
	for (int off = 0; off < n;) {
		ssize_t w = write(c->fd, out + off, n - off);
		if (w <= 0)
			return false;
		off += w;
	}
	return true;
}

/* Sends a command and reads the status line. Returns true on +OK. */
static bool conn_cmd(struct conn *c, const char *fmt, const char *arg)
{
	if (!conn_send(c, fmt, arg) || conn_line(c) < 0)
		return false;
	return strncmp(c->line, "+OK", 3) == 0;
}

/* Reads a multi-line body up to the terminating "." CR LF line; returns
 * its size in bytes (CR LF and dot-stuffing counted, the terminator not),
 * or -1 on error. The data is scanned in place, never copied line by
 * line, so the client costs little next to the server it measures: only
 * a '.' right after a line feed can start the terminator. */
static long conn_multiline(struct conn *c)
{
	long total = 0;
	char prev = '\n'; /* the status line ended with LF */

	for (;;) {
		char *start = c->buf + c->start, *end = c->buf + c->end;
		char *p = start;

		while (p < end) {
			char *dot = memchr(p, '.', (size_t)(end - p));

			if (dot == NULL) {
				p = end;
				break;
			}
			if ((dot > start ? dot[-1] : prev) == '\n') {
				if (end - dot < 3) {
					p = dot; /* undecided: need more */
					break;
				}
				if (dot[1] == '\r' && dot[2] == '\n') {
					total += dot - start;
					c->start = (size_t)(dot + 3 - c->buf);
					return total;
				}
			}
			p = dot + 1;
		}
		/* consume [start, p), keep the undecided tail [p, end) */
		total += p - start;
		if (p > start)
			prev = p[-1];
		memmove(c->buf, p, (size_t)(end - p));
		c->end = (size_t)(end - p);
		c->start = 0;
		ssize_t r =
		    read(c->fd, c->buf + c->end, sizeof(c->buf) - c->end);
		if (r <= 0)
			return -1;
		c->end += (size_t)r;
	}
}

static void user_name(char *dest, size_t size, unsigned int idx)
{
	snprintf(dest, size, "%s%u", opt.user_prefix, idx);
}

static bool login(struct conn *c, unsigned int user_idx)
{
	char user[256];

	user_name(user, sizeof(user), user_idx);
	if (conn_open(c) < 0)
		return false;
	if (conn_line(c) < 0 || strncmp(c->line, "+OK", 3) != 0)
		return false;
	if (!conn_cmd(c, "USER %s\r\n", user))
		return false;
	return conn_cmd(c, "PASS %s\r\n", opt.password);
}

static void *logins_thread(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg, round = 0;
	/* thread id uses users id+1, id+1+threads, ...: no two threads
	 * ever log in as the same user at the same time (a server with a
	 * POP3 session lock would refuse the second) */
	unsigned int per_thread = opt.users / opt.threads;
	struct conn *c = malloc(sizeof(*c));

	if (c == NULL)
		bench_die("out of memory");
	while (!atomic_load(&stop_flag)) {
		unsigned int idx = id + (round % per_thread) * opt.threads + 1;

		round++;
		if (login(c, idx) && conn_cmd(c, "QUIT\r\n", NULL))
			atomic_fetch_add(&n_ok, 1);
		else if (atomic_fetch_add(&n_err, 1) < 3)
			fprintf(stderr, "popbench: login %u failed: %s\n", idx,
				c->fd < 0 ? "connect failed" : c->line);
		conn_close(c);
	}
	free(c);
	return NULL;
}

static void *retr_thread(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	struct conn *c = malloc(sizeof(*c));
	unsigned long count;
	char num[32];

	if (c == NULL)
		bench_die("out of memory");
	if (!login(c, id % opt.users + 1) || !conn_cmd(c, "STAT\r\n", NULL) ||
	    sscanf(c->line, "+OK %lu", &count) != 1) {
		fprintf(stderr, "popbench: retr login failed: %s\n", c->line);
		atomic_fetch_add(&n_err, 1);
		conn_close(c);
		free(c);
		return NULL;
	}
	for (unsigned long n = 0; n < count * opt.rounds; n++) {
		unsigned long i = n % count + 1;
		long size;

		snprintf(num, sizeof(num), "%lu", i);
		if (!conn_cmd(c, "RETR %s\r\n", num) ||
		    (size = conn_multiline(c)) < 0) {
			atomic_fetch_add(&n_err, 1);
			break;
		}
		atomic_fetch_add(&n_bytes, (unsigned long)size);
		atomic_fetch_add(&n_msgs, 1);
	}
	conn_cmd(c, "QUIT\r\n", NULL);
	conn_close(c);
	free(c);
	return NULL;
}

static int run_threads(void *(*fn)(void *), bool timed, double *elapsed_r)
{
	pthread_t *tids = calloc(opt.threads, sizeof(*tids));
	double start = bench_now();

	if (tids == NULL)
		bench_die("out of memory");
	for (unsigned int i = 0; i < opt.threads; i++) {
		if (pthread_create(&tids[i], NULL, fn, (void *)(uintptr_t)i) !=
		    0)
			bench_die("pthread_create failed");
	}
	if (timed) {
		struct timespec ts = {.tv_sec = opt.seconds};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		atomic_store(&stop_flag, true);
	}
	for (unsigned int i = 0; i < opt.threads; i++)
		pthread_join(tids[i], NULL);
	*elapsed_r = bench_now() - start;
	free(tids);
	return 0;
}

static int mode_idle(void)
{
	struct conn *conns = calloc(opt.threads, sizeof(*conns));
	char buf[256];
	unsigned int ok = 0;

	if (conns == NULL)
		bench_die("out of memory");
	for (unsigned int i = 0; i < opt.threads; i++) {
		if (login(&conns[i], i % opt.users + 1))
			ok++;
		else {
			fprintf(stderr, "popbench: idle login %u failed: %s\n",
				i + 1, conns[i].line);
			conn_close(&conns[i]);
		}
	}
	printf("ready %u\n", ok);
	fflush(stdout);
	while (fgets(buf, sizeof(buf), stdin) != NULL)
		;
	for (unsigned int i = 0; i < opt.threads; i++) {
		if (conns[i].fd >= 0)
			conn_cmd(&conns[i], "QUIT\r\n", NULL);
		conn_close(&conns[i]);
	}
	printf("mode=idle conns=%u ok=%u errors=%u\n", opt.threads, ok,
	       opt.threads - ok);
	free(conns);
	return ok == opt.threads ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: popbench [-H host] [-p port] [-m "
			"logins|retr|idle] [-c conns]\n"
			"                [-d seconds] [-u user-prefix] [-n "
			"users] [-w password]\n"
			"                [-R rounds]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	double elapsed;
	int ch;

	while ((ch = getopt(argc, argv, "H:p:m:c:d:u:n:w:R:")) != -1) {
		switch (ch) {
		case 'H':
			opt.host = optarg;
			break;
		case 'p':
			opt.port = optarg;
			break;
		case 'm':
			opt.mode = optarg;
			break;
		case 'c':
			opt.threads = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			opt.seconds = strtoul(optarg, NULL, 10);
			break;
		case 'u':
			opt.user_prefix = optarg;
			break;
		case 'n':
			opt.users = strtoul(optarg, NULL, 10);
			break;
		case 'w':
			opt.password = optarg;
			break;
		case 'R':
			opt.rounds = strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (opt.threads == 0 || opt.seconds == 0 || opt.rounds == 0)
		usage();
	if (opt.users == 0)
		opt.users = opt.threads;
	if (opt.users < opt.threads)
		bench_die("need at least as many users as connections");

	if (strcmp(opt.mode, "logins") == 0) {
		run_threads(logins_thread, true, &elapsed);
		printf("mode=logins conns=%u secs=%.2f ok=%lu errors=%lu "
		       "rate=%.1f\n",
		       opt.threads, elapsed, atomic_load(&n_ok),
		       atomic_load(&n_err), atomic_load(&n_ok) / elapsed);
		return atomic_load(&n_ok) > 0 ? 0 : 1;
	}
	if (strcmp(opt.mode, "retr") == 0) {
		run_threads(retr_thread, false, &elapsed);
		printf("mode=retr conns=%u rounds=%u secs=%.2f messages=%lu "
		       "bytes=%lu errors=%lu mbps=%.2f\n",
		       opt.threads, opt.rounds, elapsed, atomic_load(&n_msgs),
		       atomic_load(&n_bytes), atomic_load(&n_err),
		       atomic_load(&n_bytes) / elapsed / 1e6);
		return atomic_load(&n_err) == 0 ? 0 : 1;
	}
	if (strcmp(opt.mode, "idle") == 0)
		return mode_idle();
	usage();
	return 2;
}
