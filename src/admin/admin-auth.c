/* admin-auth.c - `loftadm auth test USER [PASSWORD] [-x key=value]...`
 * (authenticates with PLAIN over base_dir/auth-client, as a login process
 * would), `loftadm auth lookup USER [-x ...]` (passdb lookup, auth-master
 * PASS), `loftadm user USER [-x ...]` (userdb lookup, auth-master USER)
 * and `loftadm auth cache flush [USER...]` (auth-master CACHE-FLUSH).
 * -x passes auth info as doveadm does: service=imap, rip=, lip=, rport=,
 * lport=, session=... */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "base64.h"
#include "net.h"
#include "auth-master-client.h"
#include "admin.h"

#include <poll.h>

#define ADMIN_AUTH_TIMEOUT_MSECS 30000
#define ADMIN_AUTH_MAX_LINE 65536

struct line_reader {
	int fd;
	uint64_t deadline;
	string_t *buf;
};

/* Returns the next line (pool) or NULL on EOF/error/timeout. */
static char *read_line(pool_t pool, struct line_reader *r)
{
	for (;;) {
		const char *lf =
		    memchr(str_data(r->buf), '\n', str_len(r->buf));
		if (lf != NULL) {
			size_t len = lf - str_c(r->buf);
			char *line = p_strndup(pool, str_data(r->buf), len);
			str_delete(r->buf, 0, len + 1);
			return line;
		}
		if (str_len(r->buf) > ADMIN_AUTH_MAX_LINE)
			return NULL;
		uint64_t now = time_now_msecs();
		if (now >= r->deadline)
			return NULL;
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		if (poll(&pfd, 1, (int)(r->deadline - now)) <= 0)
			return NULL;
		unsigned char *p = str_reserve(r->buf, 4096);
		ssize_t ret = read(r->fd, p, 4096);
		if (ret < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (ret <= 0)
			return NULL;
		str_commit(r->buf, (size_t)ret);
	}
}

static int write_all(int fd, const void *data, size_t size)
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

/* Splits argv (after the command name) into positional arguments and
 * -x key=value auth info; both NULL-terminated, from pool. Returns -1 for
 * a malformed option. */
static int parse_auth_info(pool_t pool, int argc, char **argv,
			   const char ***args_r, const char ***info_r)
{
	const char **args = p_new(pool, const char *, argc + 1);
	const char **info = p_new(pool, const char *, argc + 1);
	unsigned int nargs = 0, ninfo = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-x") == 0) {
			if (i + 1 >= argc || strchr(argv[i + 1], '=') == NULL ||
			    strpbrk(argv[i + 1], "\t\n") != NULL)
				return -1;
			info[ninfo++] = argv[++i];
		} else if (str_begins(argv[i], "-x", NULL)) {
			if (strchr(argv[i] + 2, '=') == NULL ||
			    strpbrk(argv[i], "\t\n") != NULL)
				return -1;
			info[ninfo++] = argv[i] + 2;
		} else {
			args[nargs++] = argv[i];
		}
	}
	*args_r = args;
	*info_r = info;
	return 0;
}

static bool auth_info_has(const char *const *info, const char *key)
{
	size_t len = strlen(key);

	for (unsigned int i = 0; info[i] != NULL; i++) {
		if (strncmp(info[i], key, len) == 0 && info[i][len] == '=')
			return true;
	}
	return false;
}

/* The -x list with service=loftadm added when no service was given. */
static const char **auth_info_with_service(pool_t pool, const char **info)
{
	unsigned int n;
	const char **out;

	if (auth_info_has(info, "service"))
		return info;
	for (n = 0; info[n] != NULL; n++)
		;
	out = p_new(pool, const char *, n + 2);
	out[0] = "service=loftadm";
	for (unsigned int i = 0; i < n; i++)
		out[i + 1] = info[i];
	return out;
}

static int admin_cmd_auth_test(struct admin_context *ctx, int argc, char **argv)
{
	const char *path, *user, **args, **info;
	char *password, *line;
	struct line_reader r = {.fd = -1};
	pool_t pool;
	string_t *out, *resp;
	int ret = ADMIN_EX_TEMPFAIL;
	unsigned int nargs;

	pool = pool_create_secure("auth test", 1024);
	if (parse_auth_info(pool, argc, argv, &args, &info) < 0) {
		pool_unref(&pool);
		fprintf(stderr, "usage: loftadm auth test USER [PASSWORD] "
				"[-x key=value]...\n");
		return ADMIN_EX_USAGE;
	}
	for (nargs = 0; args[nargs] != NULL; nargs++)
		;
	if (nargs < 1 || nargs > 2) {
		pool_unref(&pool);
		fprintf(stderr, "usage: loftadm auth test USER [PASSWORD] "
				"[-x key=value]...\n");
		return ADMIN_EX_USAGE;
	}
	info = auth_info_with_service(pool, info);
	user = args[0];
	password =
	    nargs == 2 ? i_strdup(args[1]) : admin_read_password("Password: ");
	if (password == NULL) {
		pool_unref(&pool);
		return ADMIN_EX_USAGE;
	}
	path = admin_socket_path(ctx, "auth-client");
	if (path == NULL) {
		safe_memset0(password, strlen(password));
		i_free(password);
		pool_unref(&pool);
		return ADMIN_EX_TEMPFAIL;
	}

	r.fd = net_connect_unix(path);
	if (r.fd < 0) {
		fprintf(stderr, "loftadm: Error: connect(%s) failed: %m\n",
			path);
		goto out;
	}
	r.deadline = time_now_msecs() + ADMIN_AUTH_TIMEOUT_MSECS;
	r.buf = str_new(pool, 1024);

	resp = str_new(pool, 256);
	str_append_c(resp, '\0');
	str_append(resp, user);
	str_append_c(resp, '\0');
	str_append(resp, password);
	out = str_new(pool, 512);
	str_printfa(out, "VERSION\t1\t2\nCPID\t%ld\nAUTH\t1\tPLAIN",
		    (long)getpid());
	for (unsigned int i = 0; info[i] != NULL; i++)
		str_printfa(out, "\t%s", info[i]);
	str_append(out, "\tdebug\tresp=");
	base64_encode(str_data(resp), str_len(resp), out);
	str_append_c(out, '\n');
	if (write_all(r.fd, str_data(out), str_len(out)) < 0) {
		fprintf(stderr, "loftadm: Error: write(%s) failed: %m\n", path);
		goto out;
	}

	while ((line = read_line(pool, &r)) != NULL) {
		char **reply = p_strsplit(pool, line, "\t");

		if (strcmp(reply[0], "OK") == 0 && reply[1] != NULL &&
		    strcmp(reply[1], "1") == 0) {
			printf("passdb: %s auth succeeded\n", user);
			printf("extra fields:\n");
			for (unsigned int i = 2; reply[i] != NULL; i++)
				printf("  %s\n",
				       str_tabunescape(pool, reply[i]));
			ret = 0;
			break;
		}
		if (strcmp(reply[0], "FAIL") == 0 && reply[1] != NULL &&
		    strcmp(reply[1], "1") == 0) {
			bool temp = false;
			for (unsigned int i = 2; reply[i] != NULL; i++) {
				if (strcmp(reply[i], "temp") == 0)
					temp = true;
			}
			if (temp) {
				fprintf(stderr,
					"passdb: %s auth failed: "
					"internal error\n",
					user);
				ret = ADMIN_EX_TEMPFAIL;
			} else {
				printf("passdb: %s auth failed\n", user);
				ret = ADMIN_EX_NOPERM;
			}
			for (unsigned int i = 2; reply[i] != NULL; i++) {
				if (str_begins(reply[i], "reason=", NULL))
					printf("  %s\n", reply[i]);
			}
			break;
		}
		if (strcmp(reply[0], "CONT") == 0) {
			fprintf(stderr, "loftadm: Error: unexpected CONT\n");
			break;
		}
		/* handshake lines */
	}
	if (line == NULL)
		fprintf(stderr, "loftadm: Error: no answer from %s\n", path);
out:
	if (r.fd >= 0)
		i_close_fd(&r.fd);
	safe_memset0(password, strlen(password));
	i_free(password);
	pool_unref(&pool);
	return ret;
}

/* `user USER` (userdb) and `auth lookup USER` (passdb). */
static int admin_lookup(struct admin_context *ctx, int argc, char **argv,
			bool passdb)
{
	const char *usage =
	    passdb ? "usage: loftadm auth lookup USER "
		     "[-x key=value]...\n"
		   : "usage: loftadm user USER [-x key=value]...\n";
	const char *what = passdb ? "passdb" : "userdb";
	struct auth_user_reply reply;
	const char *path, *error, **args, **info;
	enum auth_master_result result;
	pool_t pool;
	int ret;

	pool = pool_create("user", 1024);
	if (parse_auth_info(pool, argc, argv, &args, &info) < 0 ||
	    args[0] == NULL || args[1] != NULL) {
		pool_unref(&pool);
		fputs(usage, stderr);
		return ADMIN_EX_USAGE;
	}
	info = auth_info_with_service(pool, info);
	path = admin_socket_path(ctx, "auth-master");
	if (path == NULL) {
		pool_unref(&pool);
		return ADMIN_EX_TEMPFAIL;
	}
	result = passdb ? auth_master_pass_lookup(pool, path, args[0], info,
						  ADMIN_AUTH_TIMEOUT_MSECS,
						  &reply, &error)
			: auth_master_user_lookup(pool, path, args[0], info,
						  ADMIN_AUTH_TIMEOUT_MSECS,
						  &reply, &error);
	switch (result) {
	case AUTH_MASTER_RESULT_OK:
		printf("field\tvalue\n");
		printf("user\t%s\n", reply.user);
		for (unsigned int i = 0; reply.fields[i] != NULL; i++) {
			const char *f = reply.fields[i], *eq = strchr(f, '=');
			if (eq == NULL)
				printf("%s\t\n", f);
			else
				printf("%.*s\t%s\n", (int)(eq - f), f, eq + 1);
		}
		ret = 0;
		break;
	case AUTH_MASTER_RESULT_NOTFOUND:
		fprintf(stderr, "%s lookup: user %s doesn't exist\n", what,
			args[0]);
		ret = ADMIN_EX_NOUSER;
		break;
	default:
		fprintf(stderr, "%s lookup: user %s failed: %s\n", what,
			args[0], error);
		ret = ADMIN_EX_TEMPFAIL;
		break;
	}
	pool_unref(&pool);
	return ret;
}

int admin_cmd_user(struct admin_context *ctx, int argc, char **argv)
{
	return admin_lookup(ctx, argc, argv, false);
}

/* `auth cache flush [USER...]` */
static int admin_cmd_auth_cache_flush(struct admin_context *ctx, int argc,
				      char **argv)
{
	struct line_reader r = {.fd = -1};
	const char *path;
	char *line;
	pool_t pool;
	string_t *out;
	int ret = ADMIN_EX_TEMPFAIL;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' || strpbrk(argv[i], "\t\n") != NULL) {
			fprintf(stderr,
				"usage: loftadm auth cache flush [USER...]\n");
			return ADMIN_EX_USAGE;
		}
	}
	path = admin_socket_path(ctx, "auth-master");
	if (path == NULL)
		return ADMIN_EX_TEMPFAIL;
	pool = pool_create("cache flush", 1024);
	r.fd = net_connect_unix(path);
	if (r.fd < 0) {
		fprintf(stderr, "loftadm: Error: connect(%s) failed: %m\n",
			path);
		pool_unref(&pool);
		return ADMIN_EX_TEMPFAIL;
	}
	r.deadline = time_now_msecs() + ADMIN_AUTH_TIMEOUT_MSECS;
	r.buf = str_new(pool, 256);
	out = str_new(pool, 256);
	str_append(out, "VERSION\t1\t0\nCACHE-FLUSH\t1");
	for (int i = 1; i < argc; i++)
		str_printfa(out, "\t%s", argv[i]);
	str_append_c(out, '\n');
	if (write_all(r.fd, str_data(out), str_len(out)) < 0) {
		fprintf(stderr, "loftadm: Error: write(%s) failed: %m\n", path);
	} else {
		while ((line = read_line(pool, &r)) != NULL) {
			char **f = p_strsplit(pool, line, "\t");

			if (strcmp(f[0], "OK") == 0 && f[1] != NULL &&
			    strcmp(f[1], "1") == 0) {
				printf("%s cache entries flushed\n",
				       f[2] != NULL ? f[2] : "0");
				ret = 0;
				break;
			}
			if (strcmp(f[0], "FAIL") == 0) {
				fprintf(stderr, "auth cache flush failed\n");
				break;
			}
		}
		if (line == NULL)
			fprintf(stderr,
				"loftadm: Error: no answer from %s "
				"(connection closed: an older auth process "
				"without CACHE-FLUSH?)\n",
				path);
	}
	i_close_fd(&r.fd);
	pool_unref(&pool);
	return ret;
}

int admin_cmd_auth(struct admin_context *ctx, int argc, char **argv)
{
	/* argv[0] = "auth" */
	if (argc >= 2 && strcmp(argv[1], "test") == 0)
		return admin_cmd_auth_test(ctx, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "lookup") == 0)
		return admin_lookup(ctx, argc - 1, argv + 1, true);
	if (argc >= 3 && strcmp(argv[1], "cache") == 0 &&
	    strcmp(argv[2], "flush") == 0)
		return admin_cmd_auth_cache_flush(ctx, argc - 2, argv + 2);
	fprintf(stderr, "usage: loftadm auth test USER [PASSWORD] [-x k=v]...\n"
			"       loftadm auth lookup USER [-x k=v]...\n"
			"       loftadm auth cache flush [USER...]\n");
	return ADMIN_EX_USAGE;
}
