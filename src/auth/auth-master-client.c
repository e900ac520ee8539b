/* auth-master-client.c - blocking client of the auth-master socket, with
 * a poll() deadline. One connection per lookup: it is used once per
 * session start and by command-line tools, never inside a busy loop. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "net.h"
#include "auth-master-client.h"

#include <poll.h>

#define AUTH_MASTER_CLIENT_MAX_LINE 65536
#define AUTH_MASTER_CLIENT_ID 1

struct master_client {
	pool_t pool;
	int fd;
	uint64_t deadline;
	string_t *inbuf;
	const char **error_r;
};

const char *auth_user_reply_field(const struct auth_user_reply *reply,
				  const char *key)
{
	size_t klen = strlen(key);

	if (reply->fields == NULL)
		return NULL;
	for (unsigned int i = 0; reply->fields[i] != NULL; i++) {
		if (strncmp(reply->fields[i], key, klen) == 0 &&
		    reply->fields[i][klen] == '=')
			return reply->fields[i] + klen + 1;
	}
	return NULL;
}

static int client_wait(struct master_client *c, short events)
{
	struct pollfd pfd = {.fd = c->fd, .events = events};
	uint64_t now = time_now_msecs();
	int ret;

	if (now >= c->deadline) {
		*c->error_r = "Timeout waiting for the auth server";
		return -1;
	}
	ret = poll(&pfd, 1, (int)(c->deadline - now));
	if (ret < 0 && errno == EINTR)
		return 0;
	if (ret < 0) {
		*c->error_r = p_strdup_printf(c->pool, "poll() failed: %m");
		return -1;
	}
	if (ret == 0) {
		*c->error_r = "Timeout waiting for the auth server";
		return -1;
	}
	return 0;
}

static int client_write(struct master_client *c, const char *data, size_t size)
{
	while (size > 0) {
		ssize_t ret = write(c->fd, data, size);

		if (ret < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (client_wait(c, POLLOUT) < 0)
				return -1;
			continue;
		}
		if (ret < 0) {
			*c->error_r = p_strdup_printf(
			    c->pool, "write(auth socket) failed: %m");
			return -1;
		}
		data += ret;
		size -= (size_t)ret;
	}
	return 0;
}

/* Returns the next line (pool), or NULL with *error_r. */
static char *client_read_line(struct master_client *c)
{
	for (;;) {
		const char *lf =
		    memchr(str_data(c->inbuf), '\n', str_len(c->inbuf));
		if (lf != NULL) {
			size_t len = lf - str_c(c->inbuf);
			char *line =
			    p_strndup(c->pool, str_data(c->inbuf), len);

			str_delete(c->inbuf, 0, len + 1);
			return line;
		}
		if (str_len(c->inbuf) > AUTH_MASTER_CLIENT_MAX_LINE) {
			*c->error_r = "Auth server sent too long line";
			return NULL;
		}
		unsigned char *buf = str_reserve(c->inbuf, 4096);
		ssize_t ret = read(c->fd, buf, 4096);
		if (ret < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (client_wait(c, POLLIN) < 0)
				return NULL;
			continue;
		}
		if (ret < 0) {
			*c->error_r = p_strdup_printf(
			    c->pool, "read(auth socket) failed: %m");
			return NULL;
		}
		if (ret == 0) {
			*c->error_r = "Auth server disconnected unexpectedly";
			return NULL;
		}
		str_commit(c->inbuf, (size_t)ret);
	}
}

static enum auth_master_result
master_client_run(pool_t pool, const char *socket_path, const char *cmd,
		  const char *reply_cmd, unsigned int timeout_msecs,
		  struct auth_user_reply *reply_r, const char **error_r)
{
	struct master_client c = {
	    .pool = pool,
	    .error_r = error_r,
	    .deadline =
		time_now_msecs() + (timeout_msecs == 0 ? 30000 : timeout_msecs),
	};
	enum auth_master_result result = AUTH_MASTER_RESULT_INTERNAL_ERROR;
	char idstr[16];
	char *line;

	memset(reply_r, 0, sizeof(*reply_r));
	*error_r = NULL;
	c.fd = net_connect_unix(socket_path);
	if (c.fd < 0) {
		*error_r = p_strdup_printf(pool, "connect(%s) failed: %m",
					   socket_path);
		return AUTH_MASTER_RESULT_INTERNAL_ERROR;
	}
	c.inbuf = str_new(pool, 1024);
	if (client_write(&c, cmd, strlen(cmd)) < 0)
		goto out;
	snprintf(idstr, sizeof(idstr), "%u", AUTH_MASTER_CLIENT_ID);

	while ((line = client_read_line(&c)) != NULL) {
		char **args = p_strsplit(pool, line, "\t");
		unsigned int argc = str_array_length((const char *const *)args);

		if (strcmp(args[0], "VERSION") == 0) {
			if (argc < 2 || strcmp(args[1], "1") != 0) {
				*error_r = "Auth server has an incompatible "
					   "protocol version";
				goto out;
			}
			continue;
		}
		if (strcmp(args[0], "SPID") == 0)
			continue;
		if (argc < 2 || strcmp(args[1], idstr) != 0) {
			*error_r = "Auth server sent an unexpected reply";
			goto out;
		}
		if (strcmp(args[0], "NOTFOUND") == 0) {
			result = AUTH_MASTER_RESULT_NOTFOUND;
			goto out;
		}
		if (strcmp(args[0], "FAIL") == 0) {
			*error_r = "Auth lookup failed";
			for (unsigned int i = 2; i < argc; i++) {
				if (str_begins(args[i], "reason=", NULL))
					*error_r =
					    str_tabunescape(pool, args[i] + 7);
			}
			goto out;
		}
		if (strcmp(args[0], reply_cmd) == 0 && argc >= 3) {
			const char **fields =
			    p_new(pool, const char *, argc - 3 + 1);
			for (unsigned int i = 3; i < argc; i++)
				fields[i - 3] = str_tabunescape(pool, args[i]);
			reply_r->user = str_tabunescape(pool, args[2]);
			reply_r->fields = fields;
			result = AUTH_MASTER_RESULT_OK;
			goto out;
		}
		*error_r = "Auth server sent an unexpected reply";
		goto out;
	}
out:
	if (result == AUTH_MASTER_RESULT_INTERNAL_ERROR && *error_r == NULL)
		*error_r = "Auth lookup failed";
	i_close_fd(&c.fd);
	return result;
}

static const char *build_lookup(pool_t pool, const char *cmd, const char *user,
				const char *const *extra_fields)
{
	string_t *str = str_new(pool, 256);

	str_printfa(str, "VERSION\t1\t0\n%s\t%u\t", cmd, AUTH_MASTER_CLIENT_ID);
	str_append_tabescaped(str, user);
	for (unsigned int i = 0;
	     extra_fields != NULL && extra_fields[i] != NULL; i++) {
		str_append_c(str, '\t');
		str_append_tabescaped(str, extra_fields[i]);
	}
	str_append_c(str, '\n');
	return str_c(str);
}

enum auth_master_result
auth_master_request(pool_t pool, const char *socket_path, pid_t client_pid,
		    unsigned int client_auth_id, const char *cookie,
		    unsigned int timeout_msecs, struct auth_user_reply *reply_r,
		    const char **error_r)
{
	string_t *str = str_new(pool, 128);

	if (strpbrk(cookie, "\t\n\r") != NULL) {
		memset(reply_r, 0, sizeof(*reply_r));
		*error_r = "Invalid cookie";
		return AUTH_MASTER_RESULT_INTERNAL_ERROR;
	}
	str_printfa(str, "VERSION\t1\t0\nREQUEST\t%u\t%ld\t%u\t%s\n",
		    AUTH_MASTER_CLIENT_ID, (long)client_pid, client_auth_id,
		    cookie);
	return master_client_run(pool, socket_path, str_c(str), "USER",
				 timeout_msecs, reply_r, error_r);
}

enum auth_master_result
auth_master_user_lookup(pool_t pool, const char *socket_path, const char *user,
			const char *const *extra_fields,
			unsigned int timeout_msecs,
			struct auth_user_reply *reply_r, const char **error_r)
{
	return master_client_run(pool, socket_path,
				 build_lookup(pool, "USER", user, extra_fields),
				 "USER", timeout_msecs, reply_r, error_r);
}

enum auth_master_result
auth_master_pass_lookup(pool_t pool, const char *socket_path, const char *user,
			const char *const *extra_fields,
			unsigned int timeout_msecs,
			struct auth_user_reply *reply_r, const char **error_r)
{
	return master_client_run(pool, socket_path,
				 build_lookup(pool, "PASS", user, extra_fields),
				 "PASS", timeout_msecs, reply_r, error_r);
}
