/* pop3-login-client.c - POP3 before login: greeting, CAPA, STLS, USER,
 * PASS, AUTH, APOP and QUIT, with Dovecot's reply texts.
 *
 * Every line comes from the bounded parser in pop3-login-parser.c. While
 * the auth process is working on a request the client's input is paused,
 * so pipelined commands wait and what follows a successful login is handed
 * to the mail service as leftover input. Nothing here talks to the auth
 * process or the mail service directly: login-common.c does. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "ioloop.h"
#include "iostream.h"
#include "log.h"
#include "login-sasl.h"
#include "pop3-login-parser.h"
#include "pop3-login-client.h"

#include <sys/random.h>

#define POP3_MAX_USER_LEN 255

#define MSG_PLAINTEXT_DISABLED                                                 \
	"[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) "  \
	"connections."
#define MSG_AUTH_FAILED "Authentication failed."
#define MSG_TEMP_FAILED "Temporary authentication failure."
#define MSG_AUTH_UNAVAILABLE "Authentication service temporarily unavailable"

struct pop3_client {
	struct login_client common;
	struct pop3_login_parser parser;
	const char *apop_challenge; /* NULL when APOP is not offered */
	const char *user;	    /* from USER */
	bool sasl_response;	    /* the next line answers a "+ " */
};

struct pop3_cmd_def {
	const char *name;
	/* Returns 1 when done, 0 for an invalid command (the handler has
	 * replied; it is counted), -1 when the client was destroyed. */
	int (*func)(struct pop3_client *client, const char *args);
};

static void pop3_send(struct pop3_client *client, const char *line)
{
	string_t *str = str_new(client->common.pool, strlen(line) + 3);

	str_append(str, line);
	str_append(str, "\r\n");
	login_client_send_raw(&client->common, str_c(str));
}

static void pop3_send_error(struct login_client *c, const char *code,
			    const char *text)
{
	struct pop3_client *client = (struct pop3_client *)c;
	string_t *str = str_new(c->pool, 128);

	str_append(str, "-ERR ");
	if (code != NULL)
		str_printfa(str, "[%s] ", code);
	str_append(str, text);
	pop3_send(client, str_c(str));
}

const char *pop3_login_apop_challenge(pool_t pool)
{
	char hostname[256];
	uint32_t rnd = 0;

	if (gethostname(hostname, sizeof(hostname)) < 0)
		strcpy(hostname, "localhost");
	hostname[sizeof(hostname) - 1] = '\0';
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)time_now_usecs();
	return p_strdup_printf(pool, "<%lx.%x.%lx@%s>", (unsigned long)getpid(),
			       rnd, (unsigned long)ioloop_time, hostname);
}

/* SASL mechanisms this connection may use, space separated into dest. */
static void append_mechs(struct pop3_client *client, string_t *dest,
			 const char *sep)
{
	const struct auth_mech_desc *mechs;
	unsigned int count;

	if (!login_client_auth_allowed(&client->common))
		return;
	mechs = auth_client_get_mechs(login_auth_client, &count);
	for (unsigned int i = 0; i < count; i++) {
		if (!login_client_mech_offered(&client->common, &mechs[i]))
			continue;
		str_append(dest, sep);
		str_append(dest, mechs[i].name);
	}
}

/* ---- authentication ---- */

static void pop3_auth_callback(struct login_client *c,
			       enum login_auth_result result, const char *data)
{
	struct pop3_client *client = (struct pop3_client *)c;

	switch (result) {
	case LOGIN_AUTH_RESULT_CONTINUE: {
		string_t *str = str_new(c->pool, 16 + strlen(data));

		str_printfa(str, "+ %s", data);
		pop3_send(client, str_c(str));
		client->sasl_response = true;
		login_client_resume(&client->common);
		return;
	}
	case LOGIN_AUTH_RESULT_OK:
		return;
	case LOGIN_AUTH_RESULT_FAILED:
		client->sasl_response = false;
		pop3_send_error(c, "AUTH",
				data != NULL ? data : MSG_AUTH_FAILED);
		break;
	case LOGIN_AUTH_RESULT_TEMPFAIL:
		client->sasl_response = false;
		pop3_send_error(c, "SYS/TEMP",
				data != NULL ? data : MSG_TEMP_FAILED);
		break;
	}
	login_client_resume(&client->common);
}

/* Returns 1 when the request was sent, -1 otherwise (error replied). */
static int pop3_auth_start(struct pop3_client *client, const char *mech,
			   const char *initial_resp)
{
	const char *error;

	if (!login_client_auth_begin(&client->common, mech, initial_resp,
				     pop3_auth_callback, &error)) {
		pop3_send_error(&client->common, "SYS/TEMP",
				MSG_AUTH_UNAVAILABLE);
		return -1;
	}
	login_client_wait_auth(&client->common);
	return 1;
}

static bool pop3_check_plaintext(struct pop3_client *client)
{
	if (login_client_plaintext_allowed(&client->common))
		return true;
	client->common.auth_tried_disabled_plaintext = true;
	pop3_send(client, "-ERR " MSG_PLAINTEXT_DISABLED);
	return false;
}

static void pop3_sasl_response(struct pop3_client *client, const char *line)
{
	client->sasl_response = false;
	if (strcmp(line, "*") == 0) {
		login_client_auth_abort(&client->common);
		pop3_send(client, "-ERR Authentication aborted by client.");
		return;
	}
	if (!login_sasl_is_base64_text(line)) {
		login_client_auth_abort(&client->common);
		pop3_send(client,
			  "-ERR Invalid base64 data in continued response.");
		return;
	}
	login_client_auth_continue(&client->common, line);
	login_client_wait_auth(&client->common);
}

/* ---- commands ---- */

static int cmd_capa(struct pop3_client *client, const char *args ATTR_UNUSED)
{
	string_t *str = str_new(client->common.pool, 256);

	str_append(str, "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
			"PIPELINING\r\nAUTH-RESP-CODE\r\n");
	if (login_client_tls_available(&client->common))
		str_append(str, "STLS\r\n");
	if (login_client_plaintext_allowed(&client->common))
		str_append(str, "USER\r\n");
	if (login_client_auth_allowed(&client->common)) {
		size_t pos;

		str_append(str, "SASL");
		pos = str_len(str);
		append_mechs(client, str, " ");
		if (str_len(str) == pos)
			str_truncate(str, pos - 4);
		else
			str_append(str, "\r\n");
	}
	str_append(str, ".\r\n");
	login_client_send_raw(&client->common, str_c(str));
	return 1;
}

static int cmd_stls(struct pop3_client *client, const char *args ATTR_UNUSED)
{
	if (client->common.tls) {
		pop3_send(client, "-ERR TLS is already active.");
		return 1;
	}
	if (!login_client_tls_available(&client->common)) {
		pop3_send(client, "-ERR TLS support isn't enabled.");
		return 1;
	}
	pop3_send(client, "+OK Begin TLS negotiation now.");
	if (client->common.destroyed)
		return -1;
	/* RFC 2595: input pipelined after STLS is discarded. */
	pop3_login_parser_reset(&client->parser);
	if (login_client_start_tls(&client->common) < 0)
		return -1;
	return 1;
}

static int cmd_user(struct pop3_client *client, const char *args)
{
	if (!pop3_check_plaintext(client))
		return 1;
	if (*args == '\0') {
		pop3_send(client, "-ERR No username given.");
		return 0;
	}
	if (strlen(args) > POP3_MAX_USER_LEN) {
		pop3_send(client, "-ERR Username too long.");
		return 0;
	}
	client->user = p_strdup(client->common.pool, args);
	pop3_send(client, "+OK");
	return 1;
}

static int cmd_pass(struct pop3_client *client, const char *args)
{
	const char *plain[3];
	string_t *b64;

	if (!pop3_check_plaintext(client))
		return 1;
	if (client->user == NULL) {
		pop3_send(client, "-ERR No username given.");
		return 0;
	}
	plain[0] = "";
	plain[1] = client->user;
	plain[2] = args;
	b64 = login_sasl_fields_base64(plain, N_ELEMENTS(plain));
	client->common.virtual_user = client->user;
	(void)pop3_auth_start(client, "PLAIN", str_c(b64));
	str_free(&b64);
	return 1;
}

static void pop3_send_mech_list(struct pop3_client *client)
{
	string_t *str = str_new(client->common.pool, 128);

	str_append(str, "+OK");
	append_mechs(client, str, "\r\n");
	str_append(str, "\r\n.\r\n");
	login_client_send_raw(&client->common, str_c(str));
}

static int cmd_auth(struct pop3_client *client, const char *args)
{
	const struct auth_mech_desc *mech;
	char **list;
	const char *initial = NULL;

	if (*args == '\0') {
		pop3_send_mech_list(client);
		return 1;
	}
	list = p_strsplit_spaces(client->common.pool, args, " ");
	if (list[0] == NULL || (list[1] != NULL && list[2] != NULL)) {
		pop3_send(client, "-ERR Invalid parameters.");
		return 0;
	}
	mech = login_find_sasl_mech(list[0]);
	if (mech == NULL) {
		pop3_send(client, "-ERR Unsupported authentication mechanism.");
		return 0;
	}
	if (!login_client_auth_allowed(&client->common)) {
		pop3_send(client, "-ERR [AUTH] Authentication not allowed "
				  "until SSL/TLS is enabled.");
		return 1;
	}
	if ((mech->flags & AUTH_MECH_FLAG_PLAINTEXT) != 0 &&
	    !pop3_check_plaintext(client))
		return 1;
	if (list[1] != NULL) {
		initial = strcmp(list[1], "=") == 0 ? "" : list[1];
		if (!login_sasl_is_base64_text(initial)) {
			pop3_send(
			    client,
			    "-ERR Invalid base64 data in initial response.");
			return 0;
		}
	}
	client->common.virtual_user = NULL;
	(void)pop3_auth_start(client, mech->name, initial);
	return 1;
}

static bool is_hex32(const char *s)
{
	size_t len = strlen(s);

	return len == 32 && strspn(s, "0123456789abcdefABCDEF") == len;
}

static int cmd_apop(struct pop3_client *client, const char *args)
{
	char **list;
	const char *fields[3];
	string_t *b64;

	if (client->apop_challenge == NULL) {
		pop3_send(client, "-ERR APOP not enabled.");
		return 0;
	}
	list = p_strsplit_spaces(client->common.pool, args, " ");
	if (list[0] == NULL || list[1] == NULL || list[2] != NULL ||
	    strlen(list[0]) > POP3_MAX_USER_LEN || !is_hex32(list[1])) {
		pop3_send(client, "-ERR Invalid parameters.");
		return 0;
	}
	fields[0] = client->apop_challenge;
	fields[1] = list[0];
	fields[2] = list[1];
	b64 = login_sasl_fields_base64(fields, N_ELEMENTS(fields));
	client->common.virtual_user = p_strdup(client->common.pool, list[0]);
	(void)pop3_auth_start(client, "APOP", str_c(b64));
	str_free(&b64);
	return 1;
}

static int cmd_quit(struct pop3_client *client, const char *args ATTR_UNUSED)
{
	pop3_send(client, "+OK Logging out");
	login_client_destroy(&client->common, "Aborted login by logging out");
	return -1;
}

static const struct pop3_cmd_def pop3_cmd_defs[] = {
    {"CAPA", cmd_capa}, {"STLS", cmd_stls}, {"USER", cmd_user},
    {"PASS", cmd_pass}, {"AUTH", cmd_auth}, {"APOP", cmd_apop},
    {"QUIT", cmd_quit},
};

/* Returns false when the client was destroyed. */
static bool pop3_client_command(struct pop3_client *client, char *line)
{
	const struct pop3_cmd_def *def = NULL;
	struct pop3_login_command cmd;
	int ret = 0;

	if (pop3_login_command_parse(line, &cmd) == 0) {
		for (unsigned int i = 0; i < N_ELEMENTS(pop3_cmd_defs); i++) {
			if (strcmp(pop3_cmd_defs[i].name, cmd.name) == 0) {
				def = &pop3_cmd_defs[i];
				break;
			}
		}
	}
	if (def == NULL) {
		pop3_send(client, "-ERR Unknown command.");
	} else {
		ret = def->func(client, cmd.args);
		if (ret < 0 || client->common.destroyed)
			return false;
		if (ret > 0)
			return true;
	}
	if (client->common.destroyed)
		return false;
	if (!login_client_bad_command(&client->common)) {
		pop3_send(client, "-ERR Too many invalid commands.");
		login_client_destroy(&client->common,
				     "Disconnected: Too many invalid commands");
		return false;
	}
	return true;
}

/* Handles buffered lines. Returns false when the client was destroyed. */
static bool pop3_client_process(struct pop3_client *client)
{
	struct login_client *c = &client->common;
	const unsigned char *data;
	const char *line, *error;
	size_t size, consumed, line_len;
	bool alive;
	int ret;

	while (!c->destroyed && !c->waiting_auth && !c->handing_off &&
	       c->stream != NULL) {
		data = iostream_get_data(c->stream, &size);
		if (size == 0)
			break;
		ret = pop3_login_parser_feed(&client->parser, data, size,
					     &consumed, &line, &error);
		iostream_skip(c->stream, consumed);
		if (ret == 0)
			break;
		login_client_idle_reset(c);
		if (ret < 0) {
			pop3_send_error(c, NULL, error);
			if (c->destroyed)
				return false;
			if (client->sasl_response) {
				client->sasl_response = false;
				login_client_auth_abort(c);
			}
			if (!login_client_bad_command(c)) {
				pop3_send(client,
					  "-ERR Too many invalid commands.");
				login_client_destroy(
				    c,
				    "Disconnected: Too many invalid commands");
				return false;
			}
			continue;
		}
		line_len = strlen(line);
		if (client->sasl_response) {
			pop3_sasl_response(client, line);
			alive = !c->destroyed;
		} else {
			alive = pop3_client_command(client, (char *)line);
		}
		/* The line may have held a password. */
		safe_memset0(client->parser.buf, line_len);
		if (!alive)
			return false;
	}
	return !c->destroyed;
}

/* ---- login_binary callbacks ---- */

static void pop3_client_created(struct login_client *c)
{
	struct pop3_client *client = (struct pop3_client *)c;

	pop3_login_parser_init(&client->parser, c->pool, POP3_LOGIN_MAX_LINE);
}

static void pop3_client_ready(struct login_client *c)
{
	struct pop3_client *client = (struct pop3_client *)c;
	string_t *str = str_new(c->pool, 128);

	if (auth_client_find_mech(login_auth_client, "APOP") != NULL)
		client->apop_challenge = pop3_login_apop_challenge(c->pool);
	str_printfa(str, "+OK %s", login_settings->login_greeting);
	if (client->apop_challenge != NULL)
		str_printfa(str, " %s", client->apop_challenge);
	pop3_send(client, str_c(str));
}

static bool pop3_client_process_cb(struct login_client *c)
{
	return pop3_client_process((struct pop3_client *)c);
}

static void pop3_client_destroy(struct login_client *c)
{
	struct pop3_client *client = (struct pop3_client *)c;

	if (client->parser.buf != NULL)
		safe_memset0(client->parser.buf, client->parser.max_line + 2);
}

const struct login_binary pop3_login_binary = {
    .protocol = "pop3",
    .process_name = "pop3-login",
    .client_size = sizeof(struct pop3_client),
    .client_created = pop3_client_created,
    .client_ready = pop3_client_ready,
    .client_process = pop3_client_process_cb,
    .closed_reason = "Disconnected",
    .client_send_error = pop3_send_error,
    .client_destroy = pop3_client_destroy,
};
