/* imapbench.c - IMAP load generator for comparing Loft with Dovecot.
 *
 * One process, one epoll loop, many non-blocking connections over plain
 * TCP (loopback counts as secure, so LOGIN is allowed there). Modes:
 *   select        per round: connect, LOGIN, SELECT (timed), LOGOUT;
 *                 the first round of a fresh Maildir opens it without an
 *                 index, the later rounds with one.
 *   fetch-meta    LOGIN, SELECT, then FETCH 1:* (UID FLAGS RFC822.SIZE)
 *                 ROUNDS times, each timed.
 *   fetch-body    CONNS users each SELECT their mailbox and FETCH
 *                 BODY.PEEK[] of every message in batches, ROUNDS passes;
 *                 MB/s of literal data received.
 *   search-header, search-body
 *                 LOGIN, SELECT, then SEARCH <key> ROUNDS times, timed
 *                 (the key is -q, e.g. 'SUBJECT "needle"').
 *   append        CONNS users APPEND a message to INBOX in a loop for
 *                 SECS seconds; messages/s.
 *   idle          CONNS connections LOGIN, SELECT INBOX and IDLE; prints
 *                 "ready N" when all are set up and holds them until
 *                 stdin reaches EOF (the caller measures memory), then
 *                 ends IDLE and logs out.
 * Responses are parsed as IMAP: lines, tagged completions and {n}
 * literals (skipped in place, counted). Results are one line of
 * key=value pairs on stdout. It is a client only: it neither starts
 * servers nor measures memory. Users are -U NAME (every connection) or a
 * prefix and a 1-based number (-u bench -n USERS: bench1, bench2, ...).
 * Not part of the main build; see bench/Makefile and bench/run-imap.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

#define MAX_LINE_BUF (64 * 1024 * 1024)
#define STDIN_KEY UINT64_MAX

enum mode {
	MODE_SELECT,
	MODE_FETCH_META,
	MODE_FETCH_BODY,
	MODE_SEARCH_HEADER,
	MODE_SEARCH_BODY,
	MODE_APPEND,
	MODE_IDLE,
};

static const char *const mode_names[] = {
    "select",	   "fetch-meta", "fetch-body", "search-header",
    "search-body", "append",	 "idle",
};

enum phase {
	PH_UNUSED = 0,
	PH_GREETING,
	PH_LOGIN,
	PH_SELECT,
	PH_READY,	/* waiting for the others (barrier) */
	PH_WORK,	/* a timed command is outstanding */
	PH_APPEND_CONT, /* APPEND sent, waiting for "+" */
	PH_IDLE_CONT,	/* IDLE sent, waiting for "+" */
	PH_IDLING,
	PH_IDLE_DONE, /* DONE sent */
	PH_LOGOUT,
	PH_CLOSED,
};

struct conn {
	int fd;
	unsigned int id, gen;
	enum phase phase;
	unsigned int user;
	/* input: [start, end) unparsed, LF searched up to scan */
	char *in;
	size_t start, end, scan, size;
	uint64_t literal_left;
	bool continuation; /* the next line continues a response */
	/* output */
	char *out;
	size_t out_pos, out_len, out_size;
	bool want_out;
	/* the outstanding command */
	unsigned int tag;
	double cmd_start;
	unsigned long fetches, hits, exists;
	unsigned int round;
	unsigned long next_seq; /* fetch-body: next message to fetch */
	bool failed;
};

static struct {
	const char *host, *port, *user, *user_prefix, *password, *mailbox;
	const char *query;
	enum mode mode;
	unsigned int conns, users, rounds, seconds, batch, parallel, timeout;
	unsigned int msg_size;
} opt = {
    .host = "127.0.0.1",
    .port = "143",
    .user_prefix = "bench",
    .password = "bench",
    .mailbox = "INBOX",
    .conns = 1,
    .rounds = 5,
    .seconds = 10,
    .batch = 500,
    .parallel = 64,
    .timeout = 900,
    .msg_size = 4096,
};

static struct {
	unsigned long ok, errors, fetches, hits, exists, messages;
	uint64_t bytes;
	double first_ms, sum_ms, max_ms;
	double *all_ms;	     /* the commands after the first, for the median */
	unsigned long timed; /* commands after the first */
	bool have_first;
	double t0, t1;
} st;

static int epfd;
static struct conn *conns;
static unsigned int n_started, n_ready, n_finished, n_idling;
static bool work_started, stop_work, stdin_eof;
static char *append_msg;
static size_t append_len;

const char *const bench_progname = "imapbench";

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (p == NULL)
		bench_die("out of memory");
	return p;
}

static void conn_watch(struct conn *c, bool out)
{
	struct epoll_event ev = {
	    .events = EPOLLIN | (out ? EPOLLOUT : 0),
	    .data.u64 = ((uint64_t)c->gen << 32) | c->id,
	};

	if (c->want_out == out)
		return;
	c->want_out = out;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		bench_die("epoll_ctl: %s", strerror(errno));
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->gen++;
	c->start = c->end = c->scan = 0;
	c->out_pos = c->out_len = 0;
	c->literal_left = 0;
	c->continuation = false;
	c->want_out = false;
}

/* Connects without blocking; the greeting tells that it worked. */
static bool conn_open(struct conn *c)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	struct epoll_event ev;
	int fd, one = 1;

	if (getaddrinfo(opt.host, opt.port, &hints, &ai) != 0)
		bench_die("cannot resolve %s:%s", opt.host, opt.port);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		freeaddrinfo(ai);
		fprintf(stderr, "imapbench: socket: %s\n", strerror(errno));
		return false;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
	    errno != EINPROGRESS) {
		fprintf(stderr, "imapbench: connect: %s\n", strerror(errno));
		freeaddrinfo(ai);
		close(fd);
		return false;
	}
	freeaddrinfo(ai);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->gen++;
	c->want_out = false;
	ev.events = EPOLLIN;
	ev.data.u64 = ((uint64_t)c->gen << 32) | c->id;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		bench_die("epoll_ctl: %s", strerror(errno));
	c->phase = PH_GREETING;
	return true;
}

static void conn_flush(struct conn *c)
{
	while (c->out_pos < c->out_len) {
		ssize_t w =
		    write(c->fd, c->out + c->out_pos, c->out_len - c->out_pos);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			c->failed = true;
			return;
		}
		c->out_pos += (size_t)w;
	}
	if (c->out_pos == c->out_len)
		c->out_pos = c->out_len = 0;
	conn_watch(c, c->out_len > 0);
}

static void conn_write(struct conn *c, const void *data, size_t len)
{
	if (c->out_len + len > c->out_size) {
		c->out_size = (c->out_len + len) * 2;
		c->out = xrealloc(c->out, c->out_size);
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
}

/* Sends "a<tag> " followed by the formatted command and CRLF. */
static void conn_cmd(struct conn *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, m;

	c->tag++;
	n = snprintf(line, sizeof(line), "a%u ", c->tag);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 2, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)(n + m) >= sizeof(line) - 2)
		bench_die("command too long");
	n += m;
	line[n++] = '\r';
	line[n++] = '\n';
	c->cmd_start = bench_now();
	c->fetches = c->hits = 0;
	conn_write(c, line, (size_t)n);
	conn_flush(c);
}

static const char *user_of(const struct conn *c, char *buf, size_t size)
{
	if (opt.user != NULL)
		return opt.user;
	snprintf(buf, size, "%s%u", opt.user_prefix, c->user);
	return buf;
}

static void record(double ms)
{
	if (!st.have_first) {
		st.have_first = true;
		st.first_ms = ms;
		return;
	}
	st.sum_ms += ms;
	if (st.timed % 64 == 0)
		st.all_ms =
		    xrealloc(st.all_ms, (st.timed + 64) * sizeof(*st.all_ms));
	st.all_ms[st.timed++] = ms;
	if (ms > st.max_ms)
		st.max_ms = ms;
}

static void conn_finish(struct conn *c, bool ok)
{
	if (c->phase == PH_CLOSED)
		return;
	if (!ok) {
		st.errors++;
		if (st.errors <= 5)
			fprintf(stderr,
				"imapbench: connection %u (user %u) "
				"failed in phase %d\n",
				c->id, c->user, c->phase);
	}
	conn_close(c);
	c->phase = PH_CLOSED;
	n_finished++;
}

static void start_select(struct conn *c)
{
	conn_cmd(c, "SELECT \"%s\"", opt.mailbox);
	c->phase = PH_SELECT;
}

static void fetch_body_next(struct conn *c)
{
	unsigned long last;

	if (c->next_seq > c->exists) {
		c->round++;
		c->next_seq = 1;
		if (c->round >= opt.rounds || c->exists == 0) {
			conn_cmd(c, "LOGOUT");
			c->phase = PH_LOGOUT;
			return;
		}
	}
	last = c->next_seq + opt.batch - 1;
	if (last > c->exists)
		last = c->exists;
	conn_cmd(c, "FETCH %lu:%lu (BODY.PEEK[])", c->next_seq, last);
	c->next_seq = last + 1;
	c->phase = PH_WORK;
}

static void append_next(struct conn *c)
{
	if (stop_work) {
		conn_cmd(c, "LOGOUT");
		c->phase = PH_LOGOUT;
		return;
	}
	conn_cmd(c, "APPEND \"%s\" (\\Seen) {%zu}", opt.mailbox, append_len);
	c->phase = PH_APPEND_CONT;
}

/* The next timed command of the mode, or LOGOUT when it is done. */
static void work_next(struct conn *c)
{
	switch (opt.mode) {
	case MODE_FETCH_META:
	case MODE_SEARCH_HEADER:
	case MODE_SEARCH_BODY:
		if (c->round >= opt.rounds) {
			conn_cmd(c, "LOGOUT");
			c->phase = PH_LOGOUT;
			return;
		}
		c->round++;
		if (opt.mode == MODE_FETCH_META)
			conn_cmd(c, "FETCH 1:* (UID FLAGS RFC822.SIZE)");
		else
			conn_cmd(c, "SEARCH %s", opt.query);
		c->phase = PH_WORK;
		break;
	case MODE_FETCH_BODY:
		fetch_body_next(c);
		break;
	case MODE_APPEND:
		append_next(c);
		break;
	case MODE_IDLE:
		conn_cmd(c, "IDLE");
		c->phase = PH_IDLE_CONT;
		break;
	case MODE_SELECT:
		break;
	}
}

static void start_work_all(void)
{
	work_started = true;
	st.t0 = bench_now();
	for (unsigned int i = 0; i < opt.conns; i++) {
		if (conns[i].phase == PH_READY) {
			conns[i].next_seq = 1;
			work_next(&conns[i]);
		}
	}
}

static void conn_ready(struct conn *c)
{
	c->phase = PH_READY;
	n_ready++;
	if (opt.mode == MODE_IDLE) {
		work_next(c);
		return;
	}
	if (work_started) {
		/* a late one (should not happen: the barrier waits) */
		work_next(c);
	}
}

static void on_tagged(struct conn *c, const char *status, const char *line)
{
	bool ok = strncmp(status, "OK", 2) == 0;
	double ms = (bench_now() - c->cmd_start) * 1000.0;
	char user[256];

	switch (c->phase) {
	case PH_LOGIN:
		if (!ok) {
			fprintf(stderr, "imapbench: LOGIN %s: %s\n",
				user_of(c, user, sizeof(user)), line);
			conn_finish(c, false);
			return;
		}
		if (opt.mode == MODE_APPEND)
			conn_ready(c);
		else
			start_select(c);
		return;
	case PH_SELECT:
		if (!ok) {
			fprintf(stderr, "imapbench: SELECT: %s\n", line);
			conn_finish(c, false);
			return;
		}
		st.exists = c->exists;
		if (opt.mode == MODE_SELECT) {
			record(ms);
			st.ok++;
			c->round++;
			conn_cmd(c, "LOGOUT");
			c->phase = PH_LOGOUT;
			return;
		}
		conn_ready(c);
		return;
	case PH_WORK:
		if (!ok) {
			fprintf(stderr, "imapbench: command failed: %s\n",
				line);
			conn_finish(c, false);
			return;
		}
		st.ok++;
		st.fetches += c->fetches;
		st.hits = c->hits;
		if (opt.mode == MODE_FETCH_META) {
			if (c->fetches != c->exists) {
				fprintf(stderr,
					"imapbench: FETCH 1:* returned %lu of "
					"%lu messages\n",
					c->fetches, c->exists);
				st.errors++;
			}
			record(ms);
		} else if (opt.mode == MODE_SEARCH_HEADER ||
			   opt.mode == MODE_SEARCH_BODY) {
			record(ms);
		} else if (opt.mode == MODE_APPEND) {
			st.messages++;
		}
		st.t1 = bench_now();
		work_next(c);
		return;
	case PH_APPEND_CONT:
		fprintf(stderr, "imapbench: APPEND refused: %s\n", line);
		conn_finish(c, false);
		return;
	case PH_IDLE_CONT:
		fprintf(stderr, "imapbench: IDLE refused: %s\n", line);
		conn_finish(c, false);
		return;
	case PH_IDLE_DONE:
		conn_cmd(c, "LOGOUT");
		c->phase = PH_LOGOUT;
		return;
	case PH_LOGOUT:
		if (opt.mode == MODE_SELECT && c->round < opt.rounds) {
			conn_close(c);
			if (!conn_open(c))
				conn_finish(c, false);
			return;
		}
		conn_finish(c, true);
		return;
	default:
		fprintf(stderr, "imapbench: unexpected tagged reply: %s\n",
			line);
		conn_finish(c, false);
		return;
	}
}

static void on_continue(struct conn *c)
{
	switch (c->phase) {
	case PH_APPEND_CONT:
		conn_write(c, append_msg, append_len);
		conn_write(c, "\r\n", 2);
		conn_flush(c);
		c->phase = PH_WORK;
		break;
	case PH_IDLE_CONT:
		c->phase = PH_IDLING;
		n_idling++;
		break;
	default:
		break;
	}
}

static void on_untagged(struct conn *c, const char *line)
{
	const char *p = line + 2;
	char *end;
	unsigned long n;

	if (c->phase == PH_GREETING) {
		char user[256];

		if (strncmp(p, "OK", 2) != 0) {
			fprintf(stderr, "imapbench: greeting: %s\n", line);
			conn_finish(c, false);
			return;
		}
		conn_cmd(c, "LOGIN \"%s\" \"%s\"",
			 user_of(c, user, sizeof(user)), opt.password);
		c->phase = PH_LOGIN;
		return;
	}
	if (strncmp(p, "SEARCH", 6) == 0) {
		for (p += 6; *p != '\0'; p++) {
			if (*p == ' ' && p[1] >= '0' && p[1] <= '9')
				c->hits++;
		}
		return;
	}
	if (strncmp(p, "BYE", 3) == 0)
		return;
	n = strtoul(p, &end, 10);
	if (end == p || *end != ' ')
		return;
	if (strncmp(end + 1, "FETCH", 5) == 0)
		c->fetches++;
	else if (strncmp(end + 1, "EXISTS", 6) == 0)
		c->exists = n;
}

/* A complete line [p, p+len) without CR LF: a response start or the
 * continuation after a literal. Returns false if the connection ended. */
static bool on_line(struct conn *c, char *p, size_t len)
{
	bool start = !c->continuation;
	size_t i;

	c->continuation = false;
	/* a literal at the end: "{123}" or "{123+}" (and "~{123}") */
	if (len >= 3 && p[len - 1] == '}') {
		i = len - 2;
		if (p[i] == '+')
			i--;
		while (i > 0 && p[i] >= '0' && p[i] <= '9')
			i--;
		if (p[i] == '{' && i < len - 2) {
			c->literal_left = strtoull(p + i + 1, NULL, 10);
			c->continuation = true;
		}
	}
	if (!start)
		return true;
	p[len] = '\0';
	if (p[0] == '+') {
		on_continue(c);
	} else if (p[0] == '*' && p[1] == ' ') {
		on_untagged(c, p);
	} else if (p[0] == 'a') {
		char *sp = strchr(p, ' ');
		unsigned long tag = strtoul(p + 1, NULL, 10);

		if (sp == NULL || tag != c->tag) {
			fprintf(stderr, "imapbench: unexpected line: %s\n", p);
			conn_finish(c, false);
			return false;
		}
		on_tagged(c, sp + 1, p);
	} else {
		fprintf(stderr, "imapbench: unexpected line: %.200s\n", p);
		conn_finish(c, false);
		return false;
	}
	return c->phase != PH_CLOSED;
}

/* Parses what has arrived: lines and literals, in place. */
static void conn_parse(struct conn *c)
{
	unsigned int gen = c->gen;

	while (c->start < c->end && c->gen == gen) {
		if (c->literal_left > 0) {
			size_t take = c->end - c->start;

			if (take > c->literal_left)
				take = (size_t)c->literal_left;
			c->literal_left -= take;
			c->start += take;
			st.bytes += take;
			c->scan = c->start;
			continue;
		}
		if (c->scan < c->start)
			c->scan = c->start;
		char *lf = memchr(c->in + c->scan, '\n', c->end - c->scan);

		if (lf == NULL) {
			c->scan = c->end;
			break;
		}
		char *line = c->in + c->start;
		size_t len = (size_t)(lf - line);

		c->start += len + 1;
		c->scan = c->start;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (!on_line(c, line, len))
			return;
	}
	if (c->gen == gen && c->start == c->end)
		c->start = c->end = c->scan = 0;
}

static void conn_input(struct conn *c)
{
	unsigned int gen = c->gen;

	for (;;) {
		if (c->end == c->size) {
			if (c->start > 0) {
				memmove(c->in, c->in + c->start,
					c->end - c->start);
				c->end -= c->start;
				c->scan -= c->start;
				c->start = 0;
			} else {
				if (c->size >= MAX_LINE_BUF)
					bench_die("response line over %d bytes",
						  MAX_LINE_BUF);
				c->size *= 2;
				c->in = xrealloc(c->in, c->size);
			}
		}
		ssize_t r;

		if (c->literal_left > 0 && c->start == c->end) {
			/* literal bytes are only counted: the kernel drops
			 * them without copying them here (MSG_TRUNC on TCP),
			 * so that on a machine shared with the server the
			 * load generator takes as little CPU from it as it
			 * can */
			size_t want = c->literal_left > (1u << 30)
					  ? (size_t)1 << 30
					  : (size_t)c->literal_left;

			r = recv(c->fd, NULL, want, MSG_TRUNC | MSG_DONTWAIT);
			if (r > 0) {
				c->literal_left -= (uint64_t)r;
				st.bytes += (uint64_t)r;
				continue;
			}
		} else {
			/* in small pieces while a big literal may follow,
			 * so that most of it is dropped as above */
			size_t want = c->size - c->end;

			if (opt.mode == MODE_FETCH_BODY && want > 1024)
				want = 1024;
			r = read(c->fd, c->in + c->end, want);
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			/* a LOGOUT answered with BYE may close before the
			 * tagged OK is read: still a clean end */
			bool ok = c->phase == PH_LOGOUT;

			if (ok && opt.mode == MODE_SELECT &&
			    c->round < opt.rounds) {
				conn_close(c);
				if (!conn_open(c))
					conn_finish(c, false);
				return;
			}
			if (!ok && c->phase == PH_IDLING)
				n_idling--;
			conn_finish(c, ok);
			return;
		}
		c->end += (size_t)r;
		conn_parse(c);
		if (c->gen != gen || c->phase == PH_CLOSED)
			return;
		if (c->failed) {
			conn_finish(c, false);
			return;
		}
	}
}

static void start_more(void)
{
	unsigned int setting_up = n_started - n_ready - n_finished;

	if (opt.mode == MODE_IDLE)
		setting_up = n_started - n_idling - n_finished;
	while (n_started < opt.conns && setting_up < opt.parallel) {
		struct conn *c = &conns[n_started++];

		setting_up++;
		if (!conn_open(c))
			conn_finish(c, false);
	}
}

static void make_message(void)
{
	static const char line[] =
	    "The quick brown fox jumps over the lazy dog 0123456789 "
	    "abcdefghijklmnopqrs\r\n";
	size_t hdr, n;

	append_msg = xrealloc(NULL, opt.msg_size + 512);
	hdr = (size_t)snprintf(append_msg, 512,
			       "From: Bench <bench@example.org>\r\n"
			       "To: user@example.com\r\n"
			       "Subject: appended message\r\n"
			       "Message-ID: <append-%d@example.org>\r\n"
			       "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n",
			       (int)getpid());
	for (n = hdr; n + sizeof(line) - 1 <= opt.msg_size || n == hdr;
	     n += sizeof(line) - 1)
		memcpy(append_msg + n, line, sizeof(line) - 1);
	append_len = n;
}

/* The client shares the CPUs with the server it measures: its own CPU
 * time goes to stderr so that a run can be checked for it. */
static void print_client_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return;
	fprintf(stderr, "imapbench: client cpu user=%.2fs sys=%.2fs\n",
		ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: imapbench [-H host] [-p port] -m MODE [-c conns] "
		"[-r rounds]\n"
		"       [-d seconds] [-U user | -u prefix -n users] "
		"[-w password]\n"
		"       [-b mailbox] [-q search-key] [-B batch] [-S msg-size]\n"
		"       [-P parallel-setup] [-t timeout]\n"
		"modes: select fetch-meta fetch-body search-header "
		"search-body append idle\n");
	exit(2);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* first_ms is the first command (for a fresh mailbox: without an index
 * or cache); avg_ms, med_ms and max_ms are over the others. */
static void print_timed(void)
{
	double avg = st.timed > 0 ? st.sum_ms / st.timed : st.first_ms;
	double med = st.first_ms;

	if (st.timed > 0) {
		size_t h = st.timed / 2;

		qsort(st.all_ms, st.timed, sizeof(*st.all_ms), cmp_double);
		med = st.timed % 2 == 1 ? st.all_ms[h]
					: (st.all_ms[h - 1] + st.all_ms[h]) / 2;
	}
	printf("mode=%s conns=%u rounds=%u exists=%lu ok=%lu errors=%lu "
	       "first_ms=%.2f avg_ms=%.2f med_ms=%.2f max_ms=%.2f",
	       mode_names[opt.mode], opt.conns, opt.rounds, st.exists, st.ok,
	       st.errors, st.first_ms, avg, med, st.max_ms);
	if (opt.mode == MODE_FETCH_META)
		printf(" msgs_per_s=%.0f",
		       med > 0 ? st.exists / med * 1000 : 0);
	if (opt.mode == MODE_SEARCH_HEADER || opt.mode == MODE_SEARCH_BODY)
		printf(" hits=%lu", st.hits);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct epoll_event events[256];
	struct rlimit rl;
	double deadline, work_end = 0;
	int ch;

	opt.mode = (enum mode) - 1;
	while ((ch = getopt(argc, argv, "H:p:m:c:r:d:U:u:n:w:b:q:B:S:P:t:")) !=
	       -1) {
		switch (ch) {
		case 'H':
			opt.host = optarg;
			break;
		case 'p':
			opt.port = optarg;
			break;
		case 'm':
			for (size_t i = 0;
			     i < sizeof(mode_names) / sizeof(*mode_names); i++)
				if (strcmp(optarg, mode_names[i]) == 0)
					opt.mode = (enum mode)i;
			break;
		case 'c':
			opt.conns = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			opt.rounds = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			opt.seconds = strtoul(optarg, NULL, 10);
			break;
		case 'U':
			opt.user = optarg;
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
		case 'b':
			opt.mailbox = optarg;
			break;
		case 'q':
			opt.query = optarg;
			break;
		case 'B':
			opt.batch = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			opt.msg_size = strtoul(optarg, NULL, 10);
			break;
		case 'P':
			opt.parallel = strtoul(optarg, NULL, 10);
			break;
		case 't':
			opt.timeout = strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if ((int)opt.mode < 0 || opt.conns == 0 || opt.rounds == 0 ||
	    opt.seconds == 0 || opt.batch == 0 || opt.parallel == 0)
		usage();
	if (opt.users == 0)
		opt.users = opt.conns;
	if (opt.query == NULL)
		opt.query = opt.mode == MODE_SEARCH_BODY ? "BODY \"needle\""
							 : "SUBJECT \"needle\"";
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	make_message();

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		bench_die("epoll_create1: %s", strerror(errno));
	conns = calloc(opt.conns, sizeof(*conns));
	if (conns == NULL)
		bench_die("out of memory");
	for (unsigned int i = 0; i < opt.conns; i++) {
		conns[i].fd = -1;
		conns[i].id = i;
		conns[i].user = i % opt.users + 1;
		conns[i].size = opt.mode == MODE_FETCH_BODY ? 256 * 1024 : 4096;
		conns[i].in = xrealloc(NULL, conns[i].size);
	}
	if (opt.mode == MODE_IDLE) {
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 = STDIN_KEY};

		if (epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev) < 0)
			stdin_eof = true; /* not pollable: do not hold */
	}

	deadline = bench_now() + opt.timeout;
	bool ready_printed = false, releasing = false;

	start_more();
	while (n_finished < opt.conns) {
		int n = epoll_wait(epfd, events, 256, 100);

		if (n < 0 && errno != EINTR)
			bench_die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			uint64_t key = events[i].data.u64;

			if (key == STDIN_KEY) {
				char buf[256];
				ssize_t r = read(0, buf, sizeof(buf));

				if (r <= 0) {
					stdin_eof = true;
					epoll_ctl(epfd, EPOLL_CTL_DEL, 0, NULL);
				}
				continue;
			}
			struct conn *c = &conns[(uint32_t)key];

			if ((key >> 32) != c->gen || c->fd < 0)
				continue;
			if ((events[i].events & EPOLLOUT) != 0) {
				conn_flush(c);
				if (c->failed) {
					conn_finish(c, false);
					continue;
				}
			}
			if ((events[i].events &
			     (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0)
				conn_input(c);
		}
		start_more();
		if (opt.mode == MODE_IDLE && ready_printed && !stdin_eof)
			deadline = bench_now() +
				   60; /* holding: only the caller ends it */
		if (bench_now() > deadline) {
			fprintf(stderr,
				"imapbench: timed out after %u s "
				"(%u of %u connections finished)\n",
				opt.timeout, n_finished, opt.conns);
			printf("mode=%s error=timeout\n", mode_names[opt.mode]);
			return 1;
		}
		if (opt.mode == MODE_IDLE) {
			if (!ready_printed && n_started == opt.conns &&
			    n_idling + n_finished == opt.conns) {
				printf("ready %u\n", n_idling);
				fflush(stdout);
				ready_printed = true;
			}
			if (ready_printed && stdin_eof && !releasing) {
				releasing = true;
				st.ok = n_idling; /* still held at the end */
				for (unsigned int i = 0; i < opt.conns; i++) {
					struct conn *c = &conns[i];

					if (c->phase != PH_IDLING)
						continue;
					conn_write(c, "DONE\r\n", 6);
					conn_flush(c);
					c->phase = PH_IDLE_DONE;
				}
			}
			continue;
		}
		if (!work_started && opt.mode != MODE_SELECT &&
		    n_started == opt.conns && n_ready + n_finished == opt.conns)
			start_work_all();
		if (opt.mode == MODE_APPEND && work_started && !stop_work &&
		    bench_now() - st.t0 >= opt.seconds) {
			stop_work = true;
			work_end = bench_now();
		}
	}

	switch (opt.mode) {
	case MODE_SELECT:
	case MODE_FETCH_META:
	case MODE_SEARCH_HEADER:
	case MODE_SEARCH_BODY:
		print_timed();
		break;
	case MODE_FETCH_BODY: {
		double secs = st.t1 > st.t0 ? st.t1 - st.t0 : 0;

		printf("mode=fetch-body conns=%u rounds=%u exists=%lu "
		       "messages=%lu bytes=%" PRIu64 " secs=%.2f errors=%lu "
		       "mbps=%.2f\n",
		       opt.conns, opt.rounds, st.exists, st.fetches, st.bytes,
		       secs, st.errors, secs > 0 ? st.bytes / secs / 1e6 : 0);
		break;
	}
	case MODE_APPEND: {
		double secs = (work_end > 0 ? work_end : st.t1) - st.t0;

		printf("mode=append conns=%u secs=%.2f messages=%lu size=%zu "
		       "errors=%lu rate=%.1f\n",
		       opt.conns, secs, st.messages, append_len, st.errors,
		       secs > 0 ? st.messages / secs : 0);
		break;
	}
	case MODE_IDLE:
		printf("mode=idle conns=%u held=%lu errors=%lu\n", opt.conns,
		       st.ok, st.errors);
		break;
	}
	print_client_cpu();
	return st.errors == 0 ? 0 : 1;
}
