/* mail-worker-request.c - encoding and strict decoding of the CLIENT
 * record the dispatcher sends a worker (format in mail-service.h). Only the
 * message format lives here: no sockets, no fd passing. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "base64.h"
#include "mail-service.h"

#define REQUEST_FIELD_COUNT 10

void mail_worker_request_encode(string_t *dest, const char *user,
				const char *const *userdb_fields,
				const struct login_handoff *h)
{
	str_append(dest, "CLIENT\t");
	str_append_tabescaped(dest, user);
	str_append_c(dest, '\t');
	str_append_tabescaped(dest, h->session_id != NULL ? h->session_id : "");
	str_append_c(dest, '\t');
	str_append_tabescaped(dest, h->local_ip != NULL ? h->local_ip : "");
	str_printfa(dest, "\t%u\t", h->local_port);
	str_append_tabescaped(dest, h->remote_ip != NULL ? h->remote_ip : "");
	str_printfa(dest, "\t%u\t", h->remote_port);
	if (h->secured)
		str_append(dest, "secured");
	if (h->tls)
		str_append(dest, h->secured ? ",tls" : "tls");
	str_append_c(dest, '\t');
	if (h->leftover_size > 0)
		base64_encode(h->leftover, h->leftover_size, dest);
	str_append_c(dest, '\t');
	str_append_tabescaped(dest, h->tag != NULL ? h->tag : "");
	for (unsigned int i = 0;
	     userdb_fields != NULL && userdb_fields[i] != NULL; i++) {
		str_append_c(dest, '\t');
		str_append_tabescaped(dest, userdb_fields[i]);
	}
	str_append_c(dest, '\n');
}

static int parse_port(const char *str, unsigned int *port_r)
{
	if (str_to_uint(str, port_r) < 0 || *port_r > 65535)
		return -1;
	return 0;
}

static int parse_flags(const char *str, struct mail_session_params *params)
{
	char flag[16];

	while (*str != '\0') {
		size_t len = strcspn(str, ",");

		if (len == 0 || len >= sizeof(flag))
			return -1;
		memcpy(flag, str, len);
		flag[len] = '\0';
		if (strcmp(flag, "secured") == 0)
			params->secured = true;
		else if (strcmp(flag, "tls") == 0)
			params->tls = true;
		else
			return -1;
		str += len;
		if (*str == ',')
			str++;
	}
	return 0;
}

int mail_worker_request_decode(pool_t pool, const char *line,
			       struct mail_session_params *params_r,
			       const char **error_r)
{
	char **f = p_strsplit(pool, line, "\t");
	unsigned int count = str_array_length((const char *const *)f);
	const char **fields;

	memset(params_r, 0, sizeof(*params_r));
	if (count < REQUEST_FIELD_COUNT || strcmp(f[0], "CLIENT") != 0) {
		*error_r = "Not a CLIENT line";
		return -1;
	}
	for (unsigned int i = 1; i < count; i++)
		f[i] = str_tabunescape(pool, f[i]);
	if (*f[1] == '\0') {
		*error_r = "Empty user";
		return -1;
	}
	params_r->user = f[1];
	params_r->session_id = f[2];
	params_r->local_ip = *f[3] == '\0' ? NULL : f[3];
	params_r->remote_ip = *f[5] == '\0' ? NULL : f[5];
	if (parse_port(f[4], &params_r->local_port) < 0 ||
	    parse_port(f[6], &params_r->remote_port) < 0) {
		*error_r = "Invalid port";
		return -1;
	}
	if (parse_flags(f[7], params_r) < 0) {
		*error_r = "Invalid flags";
		return -1;
	}
	if (*f[8] != '\0') {
		string_t *buf = str_new(pool, strlen(f[8]));

		if (base64_decode(f[8], strlen(f[8]), buf) < 0) {
			*error_r = "Invalid leftover base64";
			return -1;
		}
		params_r->leftover = str_data(buf);
		params_r->leftover_size = str_len(buf);
	}
	params_r->tag = f[9];
	fields = p_new(pool, const char *, count - REQUEST_FIELD_COUNT + 1);
	for (unsigned int i = REQUEST_FIELD_COUNT; i < count; i++) {
		if (strchr(f[i], '=') == NULL) {
			*error_r = "Invalid userdb field";
			return -1;
		}
		fields[i - REQUEST_FIELD_COUNT] = f[i];
	}
	params_r->userdb_fields = fields;
	return 0;
}

const char *mail_session_userdb_field(const struct mail_session_params *params,
				      const char *key)
{
	size_t len = strlen(key);

	if (params->userdb_fields == NULL)
		return NULL;
	for (unsigned int i = 0; params->userdb_fields[i] != NULL; i++) {
		const char *f = params->userdb_fields[i];

		if (strncmp(f, key, len) == 0 && f[len] == '=')
			return f + len + 1;
	}
	return NULL;
}
