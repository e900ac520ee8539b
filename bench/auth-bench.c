/* auth-bench.c - authentications per second through a Dovecot-protocol
 * auth-client socket (Loft's or Dovecot's), and the raw SHA512-CRYPT
 * hashing rate of this machine for comparison.
 *
 *   auth-bench -s SOCKET -u PREFIX -n USERS -w PASSWORD [-c CONNS]
 *              [-p PIPELINE] [-d SECS] [-T THREADS]
 *     CONNS connections, spread over THREADS threads (default 1), each do
 *     the handshake, then keep PIPELINE AUTH PLAIN requests outstanding
 *     for SECS seconds, rotating over PREFIX0 .. PREFIX<USERS-1>. Every
 *     reply is answered by a new request; the replies of one read are
 *     answered with one write, and the requests are encoded once per user
 *     up front, so that the client costs little CPU next to the server.
 *     Prints the OK replies per second; any FAIL is counted and reported
 *     (a wrong set-up).
 *   auth-bench -H [-t THREADS] [-d SECS]
 *     THREADS threads (default: online CPUs) run crypt_r() of a
 *     SHA512-CRYPT hash with the default 5000 rounds for SECS seconds.
 *     Prints hashes per second: the ceiling for SHA512-CRYPT logins.
 *
 * A benchmark, run by hand (bench/run-auth.sh); never a test. */
#define _GNU_SOURCE
#include <crypt.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 65536

static const char *sock_path, *user_prefix = "user", *password = "pass";
static unsigned int nusers = 1, conns = 8, pipeline = 8, secs = 10, threads = 0;
static unsigned int client_threads = 1;
static volatile int stop_flag;

struct worker {
	pthread_t thread;
	unsigned int idx;
	uint64_t ok, fail, hashes;
	int error;
};

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void b64_encode(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = tab[in[i] >> 2];
		out[o++] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		out[o++] = tab[in[i + 2] & 63];
	}
	if (i < len) {
		out[o++] = tab[in[i] >> 2];
		if (i + 1 < len) {
			out[o++] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			out[o++] = tab[(in[i + 1] & 15) << 2];
		} else {
			out[o++] = tab[(in[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t r = write(fd, buf, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/* "\tPLAIN\t...\tresp=BASE64\n" of every user, built once. */
static char **req_tails;
static size_t *req_tail_lens;

static void build_requests(void)
{
	char resp[1024], b64[1400], line[1600];
	int plen = (int)strlen(password);

	req_tails = calloc(nusers, sizeof(*req_tails));
	req_tail_lens = calloc(nusers, sizeof(*req_tail_lens));
	for (unsigned int u = 0; u < nusers; u++) {
		int ulen;

		resp[0] = '\0';
		ulen = snprintf(resp + 1, sizeof(resp) - 2 - plen, "%s%u",
				user_prefix, u);
		resp[1 + ulen] = '\0';
		memcpy(resp + 2 + ulen, password, plen);
		b64_encode((unsigned char *)resp, 2 + ulen + plen, b64);
		int n = snprintf(line, sizeof(line),
				 "\tPLAIN\tservice=smtp\tno-penalty\t"
				 "rip=127.0.0.1\tresp=%s\n",
				 b64);
		req_tails[u] = strdup(line);
		req_tail_lens[u] = (size_t)n;
	}
}

struct conn {
	int fd;
	unsigned int next_id, next_user;
	size_t len;
	char buf[MAX_LINE];
};

/* Appends "AUTH\tID" and the next user's tail to out. */
static size_t add_request(struct conn *c, char *out)
{
	unsigned int user = c->next_user++ % nusers, id = c->next_id++;
	char digits[16];
	size_t n = 0, nd = 0;

	do {
		digits[nd++] = (char)('0' + id % 10);
		id /= 10;
	} while (id > 0);
	memcpy(out, "AUTH\t", 5);
	n = 5;
	while (nd > 0)
		out[n++] = digits[--nd];

	memcpy(out + n, req_tails[user], req_tail_lens[user]);
	return n + req_tail_lens[user];
}

static int conn_open(struct conn *c, unsigned int idx)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char hello[128];
	char *lf;

	c->len = 0;
	c->next_id = 1;
	c->next_user = idx * 7919;
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return errno;
	int n = snprintf(hello, sizeof(hello), "VERSION\t1\t2\nCPID\t%ld\n",
			 (long)getpid());
	if (write_all(c->fd, hello, (size_t)n) < 0)
		return EPIPE;
	/* the handshake ends with DONE */
	for (;;) {
		ssize_t r =
		    read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return EPIPE;
		c->len += (size_t)r;
		c->buf[c->len] = '\0';
		if ((lf = strstr(c->buf, "DONE\n")) != NULL &&
		    (lf == c->buf || lf[-1] == '\n'))
			break;
		if (c->len >= sizeof(c->buf) - 1)
			return EPROTO;
	}
	c->len = 0;
	return 0;
}

/* Reads what is there and answers each OK/FAIL with a new request, all
 * in one write. */
static int conn_input(struct worker *w, struct conn *c, char *out)
{
	size_t olen = 0, pos = 0;
	ssize_t r;
	char *lf;

	r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (r < 0 && errno == EINTR)
		return 0;
	if (r <= 0)
		return r == 0 ? EPIPE : errno;
	c->len += (size_t)r;
	while ((lf = memchr(c->buf + pos, '\n', c->len - pos)) != NULL) {
		const char *line = c->buf + pos;

		if (strncmp(line, "OK\t", 3) == 0) {
			w->ok++;
			olen += add_request(c, out + olen);
		} else if (strncmp(line, "FAIL\t", 5) == 0) {
			w->fail++;
			olen += add_request(c, out + olen);
		}
		pos = (size_t)(lf - c->buf) + 1;
	}
	memmove(c->buf, c->buf + pos, c->len - pos);
	c->len -= pos;
	if (c->len == sizeof(c->buf))
		return EPROTO;
	if (olen > 0 && write_all(c->fd, out, olen) < 0)
		return EPIPE;
	return 0;
}

static void *conn_thread(void *arg)
{
	struct worker *w = arg;
	unsigned int first = w->idx * conns / client_threads;
	unsigned int n = (w->idx + 1) * conns / client_threads - first;
	struct conn *cs = calloc(n, sizeof(*cs));
	struct pollfd *pfds = calloc(n, sizeof(*pfds));
	/* a reply is at least "OK\t1\n": bounds the requests of one read */
	char *out = malloc((MAX_LINE / 5 + 1) * 1600);

	for (unsigned int i = 0; i < n; i++) {
		size_t olen = 0;

		if ((w->error = conn_open(&cs[i], first + i)) != 0)
			goto out;
		for (unsigned int j = 0; j < pipeline; j++)
			olen += add_request(&cs[i], out + olen);
		if (write_all(cs[i].fd, out, olen) < 0) {
			w->error = EPIPE;
			goto out;
		}
		pfds[i].fd = cs[i].fd;
		pfds[i].events = POLLIN;
	}
	while (!stop_flag) {
		int ret = poll(pfds, n, 100);

		if (ret < 0 && errno != EINTR) {
			w->error = errno;
			break;
		}
		for (unsigned int i = 0; i < n && ret > 0; i++) {
			if (pfds[i].revents == 0)
				continue;
			ret--;
			if ((w->error = conn_input(w, &cs[i], out)) != 0)
				goto out;
		}
	}
out:
	for (unsigned int i = 0; i < n; i++) {
		if (cs[i].fd > 0)
			close(cs[i].fd);
	}
	free(out);
	free(pfds);
	free(cs);
	return NULL;
}

static void *hash_thread(void *arg)
{
	struct worker *w = arg;
	struct crypt_data *data = calloc(1, sizeof(*data));
	char setting[64];

	snprintf(setting, sizeof(setting), "$6$benchsalt%04u$", w->idx);
	while (!stop_flag) {
		if (crypt_r(password, setting, data) == NULL) {
			w->error = errno;
			break;
		}
		w->hashes++;
	}
	free(data);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: auth-bench -s SOCKET -u PREFIX -n USERS -w PASSWORD "
		"[-c CONNS] [-p PIPELINE] [-d SECS] [-T THREADS]\n"
		"       auth-bench -H [-t THREADS] [-w PASSWORD] [-d SECS]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	int c, hash_mode = 0;
	unsigned int count;
	struct worker *ws;
	uint64_t total = 0, fails = 0;
	double start, elapsed;

	while ((c = getopt(argc, argv, "s:u:n:w:c:p:d:t:T:H")) != -1) {
		switch (c) {
		case 's':
			sock_path = optarg;
			break;
		case 'u':
			user_prefix = optarg;
			break;
		case 'n':
			nusers = (unsigned int)atoi(optarg);
			break;
		case 'w':
			password = optarg;
			break;
		case 'c':
			conns = (unsigned int)atoi(optarg);
			break;
		case 'p':
			pipeline = (unsigned int)atoi(optarg);
			break;
		case 'd':
			secs = (unsigned int)atoi(optarg);
			break;
		case 't':
			threads = (unsigned int)atoi(optarg);
			break;
		case 'T':
			client_threads = (unsigned int)atoi(optarg);
			break;
		case 'H':
			hash_mode = 1;
			break;
		default:
			usage();
		}
	}
	if ((!hash_mode && sock_path == NULL) || nusers == 0 || conns == 0 ||
	    pipeline == 0 || secs == 0)
		usage();
	if (threads == 0)
		threads = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	if (client_threads == 0 || client_threads > conns)
		client_threads = conns;
	if (!hash_mode)
		build_requests();
	count = hash_mode ? threads : client_threads;
	ws = calloc(count, sizeof(*ws));
	start = now_secs();
	for (unsigned int i = 0; i < count; i++) {
		ws[i].idx = i;
		pthread_create(&ws[i].thread, NULL,
			       hash_mode ? hash_thread : conn_thread, &ws[i]);
	}
	while (now_secs() - start < secs)
		usleep(50000);
	stop_flag = 1;
	elapsed = now_secs() - start;
	for (unsigned int i = 0; i < count; i++) {
		pthread_join(ws[i].thread, NULL);
		if (ws[i].error != 0) {
			fprintf(stderr, "auth-bench: worker %u: %s\n", i,
				strerror(ws[i].error));
			return 1;
		}
		total += hash_mode ? ws[i].hashes : ws[i].ok;
		fails += ws[i].fail;
	}
	if (!hash_mode) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr,
			"auth-bench: client CPU %.0f%% of one core "
			"(user %.2f s, sys %.2f s)\n",
			100.0 *
			    (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			     ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6) /
			    elapsed,
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
			ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	}
	if (fails > 0)
		fprintf(stderr, "auth-bench: %llu FAIL replies\n",
			(unsigned long long)fails);
	printf("%.0f\n", total / elapsed);
	return fails > 0 ? 2 : 0;
}
