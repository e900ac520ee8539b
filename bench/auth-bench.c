/* auth-bench.c - authentications per second through a Dovecot-protocol
 * auth-client socket (Loft's or Dovecot's), and the raw SHA512-CRYPT
 * hashing rate of this machine for comparison.
 *
 *   auth-bench -s SOCKET -u PREFIX -n USERS -w PASSWORD [-c CONNS]
 *              [-p PIPELINE] [-d SECS]
 *     CONNS threads each open one connection, do the handshake, then
 *     keep PIPELINE AUTH PLAIN requests outstanding for SECS seconds,
 *     rotating over PREFIX0 .. PREFIX<USERS-1>. Prints the OK replies per
 *     second; any FAIL is counted and reported (a wrong set-up).
 *   auth-bench -H [-t THREADS] [-d SECS]
 *     THREADS threads (default: online CPUs) run crypt_r() of a
 *     SHA512-CRYPT hash with the default 5000 rounds for SECS seconds.
 *     Prints hashes per second: the ceiling for SHA512-CRYPT logins.
 *
 * A benchmark, run by hand (bench/run-auth.sh); never a test. */
#define _GNU_SOURCE
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 65536

static const char *sock_path, *user_prefix = "user", *password = "pass";
static unsigned int nusers = 1, conns = 8, pipeline = 8, secs = 10, threads = 0;
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

struct reader {
	int fd;
	char buf[MAX_LINE];
	size_t len;
};

/* Next line (NUL-terminated in place, valid until the next call) or NULL. */
static char *read_line(struct reader *r, size_t *consumed)
{
	char *lf;

	memmove(r->buf, r->buf + *consumed, r->len - *consumed);
	r->len -= *consumed;
	*consumed = 0;
	while ((lf = memchr(r->buf, '\n', r->len)) == NULL) {
		if (r->len == sizeof(r->buf))
			return NULL;
		ssize_t n =
		    read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		r->len += (size_t)n;
	}
	*lf = '\0';
	*consumed = (size_t)(lf - r->buf) + 1;
	return r->buf;
}

static int send_auth(int fd, unsigned int id, unsigned int user)
{
	char resp[1024], b64[1400], line[1600];
	int ulen, plen = (int)strlen(password);

	resp[0] = '\0';
	ulen = snprintf(resp + 1, sizeof(resp) - 2 - plen, "%s%u", user_prefix,
			user);
	memcpy(resp + 2 + ulen, password, plen);
	b64_encode((unsigned char *)resp, 2 + ulen + plen, b64);
	int n = snprintf(line, sizeof(line),
			 "AUTH\t%u\tPLAIN\tservice=smtp\tno-penalty\t"
			 "rip=127.0.0.1\tresp=%s\n",
			 id, b64);
	return write_all(fd, line, (size_t)n);
}

static void *conn_thread(void *arg)
{
	struct worker *w = arg;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static __thread struct reader r;
	size_t consumed = 0;
	unsigned int next_id = 1, next_user = w->idx * 7919;
	char hello[128], *line;

	r.len = 0;
	r.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (r.fd < 0 || connect(r.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		w->error = errno;
		return NULL;
	}
	int n = snprintf(hello, sizeof(hello), "VERSION\t1\t2\nCPID\t%ld\n",
			 (long)getpid());
	if (write_all(r.fd, hello, (size_t)n) < 0) {
		w->error = EPIPE;
		return NULL;
	}
	while ((line = read_line(&r, &consumed)) != NULL &&
	       strcmp(line, "DONE") != 0)
		;
	for (unsigned int i = 0; i < pipeline; i++) {
		if (send_auth(r.fd, next_id++, next_user++ % nusers) < 0)
			break;
	}
	while (!stop_flag && (line = read_line(&r, &consumed)) != NULL) {
		if (strncmp(line, "OK\t", 3) == 0)
			w->ok++;
		else if (strncmp(line, "FAIL\t", 5) == 0)
			w->fail++;
		else
			continue;
		if (send_auth(r.fd, next_id++, next_user++ % nusers) < 0)
			break;
	}
	close(r.fd);
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
		"[-c CONNS] [-p PIPELINE] [-d SECS]\n"
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

	while ((c = getopt(argc, argv, "s:u:n:w:c:p:d:t:H")) != -1) {
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
	count = hash_mode ? threads : conns;
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
	if (fails > 0)
		fprintf(stderr, "auth-bench: %llu FAIL replies\n",
			(unsigned long long)fails);
	printf("%.0f\n", total / elapsed);
	return fails > 0 ? 2 : 0;
}
