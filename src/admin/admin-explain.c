/* admin-explain.c - `loftadm auth explain USER [PASSWORD] [-x key=value]`:
 * asks the auth process (EXPLAIN on base_dir/auth-master) to run the
 * passdb and userdb chains for a login (with a password) or a lookup
 * (without), and prints its trace: for every passdb and userdb in order
 * whether it was skipped and why, what it returned, which result rule
 * fired and what the chain did next, then the final decision. The
 * password travels only to the auth process and is never printed.
 *
 * -x keys: service, rip, lip, rport, lport, mech, session, secured. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "net.h"
#include "admin.h"

#include <poll.h>

#define EXPLAIN_TIMEOUT_MSECS 30000
#define EXPLAIN_MAX_LINE 65536

static int explain_write_all(int fd, const void *data, size_t size)
{
	const unsigned char *p = data;

	while (size > 0) {
		ssize_t ret = write(fd, p, size);

		if (ret < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			(void)poll(&pfd, 1, 1000);
			continue;
		}
		if (ret < 0)
			return -1;
		p += ret;
		size -= (size_t)ret;
	}
	return 0;
}

/* Next line from fd (pool), or NULL on EOF, error, overlong line or
 * when the deadline passed. */
static char *explain_read_line(pool_t pool, int fd, string_t *buf,
			       uint64_t deadline)
{
	for (;;) {
		const char *lf = memchr(str_data(buf), '\n', str_len(buf));

		if (lf != NULL) {
			size_t len = (size_t)(lf - str_c(buf));
			char *line = p_strndup(pool, str_data(buf), len);

			str_delete(buf, 0, len + 1);
			return line;
		}
		if (str_len(buf) > EXPLAIN_MAX_LINE)
			return NULL;
		uint64_t now = time_now_msecs();
		if (now >= deadline)
			return NULL;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			return NULL;
		unsigned char *p = str_reserve(buf, 4096);
		ssize_t ret = read(fd, p, 4096);
		if (ret < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (ret <= 0)
			return NULL;
		str_commit(buf, (size_t)ret);
	}
}

static void explain_usage(void)
{
	fprintf(stderr, "usage: loftadm auth explain USER [PASSWORD] "
			"[-x service=imap] [-x rip=IP] [-x lip=IP] "
			"[-x mech=PLAIN]\n");
}

int admin_cmd_auth_explain(struct admin_context *ctx, int argc, char **argv)
{
	const char *path, *user = NULL, *password = NULL;
	pool_t pool;
	string_t *out, *buf;
	char *line;
	uint64_t deadline;
	int fd, ret = ADMIN_EX_TEMPFAIL;
	bool have_service = false;

	pool = pool_create_secure("auth explain", 2048);
	out = str_new(pool, 512);
	str_append(out, "VERSION\t1\t0\nEXPLAIN\t1\t");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-x") == 0 && i + 1 < argc) {
			const char *kv = argv[++i];

			if (strchr(kv, '=') == NULL ||
			    str_begins(kv, "password=", NULL)) {
				explain_usage();
				pool_unref(&pool);
				return ADMIN_EX_USAGE;
			}
			have_service =
			    have_service || str_begins(kv, "service=", NULL);
			continue;
		}
		if (user == NULL)
			user = argv[i];
		else if (password == NULL)
			password = argv[i];
		else {
			explain_usage();
			pool_unref(&pool);
			return ADMIN_EX_USAGE;
		}
	}
	if (user == NULL || user[0] == '\0') {
		explain_usage();
		pool_unref(&pool);
		return ADMIN_EX_USAGE;
	}
	str_append_tabescaped(out, user);
	if (password != NULL) {
		str_append(out, "\tpassword=");
		str_append_tabescaped(out, password);
	}
	if (!have_service)
		str_append(out, "\tservice=loftadm");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-x") == 0 && i + 1 < argc) {
			str_append_c(out, '\t');
			str_append_tabescaped(out, argv[++i]);
		}
	}
	str_append_c(out, '\n');

	path = admin_socket_path(ctx, "auth-master");
	if (path == NULL) {
		pool_unref(&pool);
		return ADMIN_EX_TEMPFAIL;
	}
	fd = net_connect_unix(path);
	if (fd < 0) {
		fprintf(stderr, "loftadm: Error: connect(%s) failed: %m\n",
			path);
		pool_unref(&pool);
		return ADMIN_EX_TEMPFAIL;
	}
	if (explain_write_all(fd, str_data(out), str_len(out)) < 0) {
		fprintf(stderr, "loftadm: Error: write(%s) failed: %m\n", path);
		goto out;
	}
	buf = str_new(pool, 1024);
	deadline = time_now_msecs() + EXPLAIN_TIMEOUT_MSECS;
	printf("auth explain: %s%s\n", user,
	       password != NULL ? " (with password)" : " (lookup)");
	while ((line = explain_read_line(pool, fd, buf, deadline)) != NULL) {
		char **args = p_strsplit(pool, line, "\t");

		if (strcmp(args[0], "EXPLAIN") == 0 && args[1] != NULL &&
		    args[2] != NULL) {
			printf("  %s\n", str_tabunescape(pool, args[2]));
			continue;
		}
		if (strcmp(args[0], "DONE") == 0 && args[1] != NULL &&
		    args[2] != NULL) {
			const char *result = args[2];

			printf("decision: %s\n",
			       strcmp(result, "OK") == 0 ? "allowed (OK)"
			       : strcmp(result, "FAIL") == 0
				   ? "refused (FAIL)"
				   : "temporary failure (TEMPFAIL)");
			for (unsigned int i = 3; args[i] != NULL; i++)
				printf("  %s\n",
				       str_tabunescape(pool, args[i]));
			ret = strcmp(result, "OK") == 0	    ? 0
			      : strcmp(result, "FAIL") == 0 ? ADMIN_EX_NOPERM
							    : ADMIN_EX_TEMPFAIL;
			break;
		}
		/* VERSION, SPID */
	}
	if (line == NULL)
		fprintf(stderr, "loftadm: Error: no answer from %s\n", path);
out:
	i_close_fd(&fd);
	pool_unref(&pool);
	return ret;
}
