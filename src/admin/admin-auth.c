/* admin-auth.c - `loftadm auth test USER [PASSWORD]` (authenticates with
 * PLAIN over base_dir/auth-client, as a login process would) and
 * `loftadm user USER` (userdb lookup over base_dir/auth-master). */
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

int admin_cmd_auth_test(struct admin_context *ctx, int argc, char **argv)
{
	const char *path, *user;
	char *password, *line;
	struct line_reader r;
	pool_t pool;
	string_t *out, *resp;
	int ret = ADMIN_EX_TEMPFAIL;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: loftadm auth test USER [PASSWORD]\n");
		return ADMIN_EX_USAGE;
	}
	user = argv[1];
	password =
	    argc == 3 ? i_strdup(argv[2]) : admin_read_password("Password: ");
	if (password == NULL)
		return ADMIN_EX_USAGE;
	path = admin_socket_path(ctx, "auth-client");
	if (path == NULL) {
		safe_memset0(password, strlen(password));
		i_free(password);
		return ADMIN_EX_TEMPFAIL;
	}

	pool = pool_create_secure("auth test", 1024);
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
	str_printfa(out,
		    "VERSION\t1\t2\nCPID\t%ld\n"
		    "AUTH\t1\tPLAIN\tservice=loftadm\tdebug\tresp=",
		    (long)getpid());
	base64_encode(str_data(resp), str_len(resp), out);
	str_append_c(out, '\n');
	if (write_all(r.fd, str_data(out), str_len(out)) < 0) {
		fprintf(stderr, "loftadm: Error: write(%s) failed: %m\n", path);
		goto out;
	}

	while ((line = read_line(pool, &r)) != NULL) {
		char **args = p_strsplit(pool, line, "\t");

		if (strcmp(args[0], "OK") == 0 && args[1] != NULL &&
		    strcmp(args[1], "1") == 0) {
			printf("passdb: %s auth succeeded\n", user);
			printf("extra fields:\n");
			for (unsigned int i = 2; args[i] != NULL; i++)
				printf("  %s\n",
				       str_tabunescape(pool, args[i]));
			ret = 0;
			break;
		}
		if (strcmp(args[0], "FAIL") == 0 && args[1] != NULL &&
		    strcmp(args[1], "1") == 0) {
			bool temp = false;
			for (unsigned int i = 2; args[i] != NULL; i++) {
				if (strcmp(args[i], "temp") == 0)
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
			for (unsigned int i = 2; args[i] != NULL; i++) {
				if (str_begins(args[i], "reason=", NULL))
					printf("  %s\n", args[i]);
			}
			break;
		}
		if (strcmp(args[0], "CONT") == 0) {
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

int admin_cmd_user(struct admin_context *ctx, int argc, char **argv)
{
	static const char *const extra[] = {"service=loftadm", NULL};
	struct auth_user_reply reply;
	const char *path, *error;
	enum auth_master_result result;
	pool_t pool;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: loftadm user USER\n");
		return ADMIN_EX_USAGE;
	}
	path = admin_socket_path(ctx, "auth-master");
	if (path == NULL)
		return ADMIN_EX_TEMPFAIL;
	pool = pool_create("user", 1024);
	result =
	    auth_master_user_lookup(pool, path, argv[1], extra,
				    ADMIN_AUTH_TIMEOUT_MSECS, &reply, &error);
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
		fprintf(stderr, "userdb lookup: user %s doesn't exist\n",
			argv[1]);
		ret = ADMIN_EX_NOUSER;
		break;
	default:
		fprintf(stderr, "userdb lookup: user %s failed: %s\n", argv[1],
			error);
		ret = ADMIN_EX_TEMPFAIL;
		break;
	}
	pool_unref(&pool);
	return ret;
}
