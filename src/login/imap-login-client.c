/* imap-login-client.c - IMAP before login: greeting, CAPABILITY, NOOP,
 * LOGOUT, ID, ENABLE, STARTTLS, LOGIN and AUTHENTICATE, with Dovecot's
 * reply texts.
 *
 * Every command comes from the bounded parser of imap-parser.h as an
 * event; imap-login-cmd.c says which command it is and checks its
 * arguments, and one function here answers it. While the auth process
 * works on a request, input is paused, so pipelined commands wait and what
 * follows a successful login is handed to the mail service as leftover
 * input. SASL responses to "+ " are single lines read from the stream, not
 * commands. Nothing here talks to the auth process or the mail service
 * directly: login-common.c and login-proxy.c do. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "ioloop.h"
#include "iostream.h"
#include "log.h"
#include "login-sasl.h"
#include "imap-parser.h"
#include "imap-login-cmd.h"
#include "imap-login-client.h"

#define MSG_PLAINTEXT_DISABLED                                                 \
	"Plaintext authentication disallowed on non-secure (SSL/TLS) "         \
	"connections."
#define MSG_PASSWORD_EXPOSED                                                   \
	"Plaintext authentication not allowed without SSL/TLS, but your "      \
	"client did it anyway. If anyone was listening, the password was "     \
	"exposed."
#define MSG_MECH_PLAINTEXT_DISABLED "Plaintext authentication disabled."
#define MSG_SSL_REQUIRED "Authentication not allowed until SSL/TLS is enabled."
#define MSG_AUTH_FAILED "Authentication failed."
#define MSG_TEMP_FAILED "Temporary authentication failure."
#define MSG_AUTH_UNAVAILABLE "Authentication service temporarily unavailable"

struct imap_login_client {
	struct login_client common;
	struct imap_parser *parser;
	/* replies and arguments of one command or auth step, cleared at the
	 * next: memory stays flat however many commands a client sends */
	pool_t cmd_pool;
	/* tag of the LOGIN/AUTHENTICATE being processed ("" when none) */
	string_t *tag;
	bool sasl_response; /* the next line answers a "+ " */
	bool id_logged;	    /* the client's ID was logged (imap_id_log) */
};

static void imap_send(struct imap_login_client *client, const char *text)
{
	login_client_send_raw(&client->common, text);
}

/* "<tag> <text>\r\n" */
static void imap_send_tagged(struct imap_login_client *client, const char *tag,
			     const char *text)
{
	string_t *str = str_new(client->cmd_pool, strlen(tag) + 128);

	str_printfa(str, "%s %s\r\n", tag, text);
	imap_send(client, str_c(str));
}

/* The reply to the pending LOGIN/AUTHENTICATE, which is then done. */
static void imap_send_auth_reply(struct imap_login_client *client,
				 const char *text)
{
	imap_send_tagged(client, str_c(client->tag), text);
	str_truncate(client->tag, 0);
}

static const char *imap_code(const char *code)
{
	/* login-common.c speaks POP3's RFC 3206 codes */
	if (code != NULL && strncmp(code, "SYS/", 4) == 0)
		return "UNAVAILABLE";
	return code;
}

static void imap_send_error(struct login_client *c, const char *code,
			    const char *text)
{
	struct imap_login_client *client = (struct imap_login_client *)c;
	string_t *str = str_new(client->cmd_pool, 128);

	code = imap_code(code);
	/* a failed hand-off answers the command that logged in; anything
	 * else that login-common.c reports ends the connection */
	if (c->handing_off && str_len(client->tag) > 0)
		str_printfa(str, "%s NO ", str_c(client->tag));
	else
		str_append(str, "* BYE ");
	if (code != NULL)
		str_printfa(str, "[%s] ", code);
	str_append(str, text);
	str_append(str, "\r\n");
	str_truncate(client->tag, 0);
	imap_send(client, str_c(str));
}

/* The SASL mechanisms this connection may use, NULL-terminated. */
static const char *const *imap_client_mechs(struct imap_login_client *client)
{
	const struct auth_mech_desc *mechs;
	const char **names;
	unsigned int count, n = 0;

	if (!login_client_auth_allowed(&client->common))
		return NULL;
	mechs = auth_client_get_mechs(login_auth_client, &count);
	names = p_new(client->cmd_pool, const char *, count + 1);
	for (unsigned int i = 0; i < count; i++) {
		if (login_client_mech_offered(&client->common, &mechs[i]))
			names[n++] = mechs[i].name;
	}
	return names;
}

static void imap_append_capability(struct imap_login_client *client,
				   string_t *dest)
{
	struct imap_login_capability_params p = {
	    .imap_capability = login_settings->imap_capability,
	    .literal_minus = login_settings->imap_literal_minus,
	    .starttls = login_client_tls_available(&client->common),
	    .logindisabled = !login_client_plaintext_allowed(&client->common),
	    .mechs = imap_client_mechs(client),
	};

	imap_login_capability_append(dest, &p);
}

/* ---- authentication ---- */

static void imap_auth_callback(struct login_client *c,
			       enum login_auth_result result, const char *data)
{
	struct imap_login_client *client = (struct imap_login_client *)c;
	string_t *str;

	pool_clear(client->cmd_pool);
	switch (result) {
	case LOGIN_AUTH_RESULT_CONTINUE:
		/* RFC 3501 section 7.5: "+" SP base64 */
		str = str_new(client->cmd_pool, 16 + strlen(data));
		str_printfa(str, "+ %s\r\n", data);
		imap_send(client, str_c(str));
		client->sasl_response = true;
		login_client_resume(&client->common);
		return;
	case LOGIN_AUTH_RESULT_OK:
		/* handed off: the mail service answers the tag */
		return;
	case LOGIN_AUTH_RESULT_FAILED:
		client->sasl_response = false;
		/* RFC 5530 section 3: a reason from the passdb is for a
		 * human, so it goes out as an ALERT, as in Dovecot */
		str = str_new(client->cmd_pool, 128);
		if (data != NULL)
			str_printfa(str, "NO [ALERT] %s", data);
		else
			str_append(str, "NO [AUTHENTICATIONFAILED] "
					"" MSG_AUTH_FAILED);
		imap_send_auth_reply(client, str_c(str));
		break;
	case LOGIN_AUTH_RESULT_TEMPFAIL:
		client->sasl_response = false;
		str = str_new(client->cmd_pool, 128);
		str_printfa(str, "NO [UNAVAILABLE] %s",
			    data != NULL ? data : MSG_TEMP_FAILED);
		imap_send_auth_reply(client, str_c(str));
		break;
	}
	if (!c->destroyed)
		login_client_resume(&client->common);
}

/* Starts authentication for the command tagged tag. */
static void imap_auth_start(struct imap_login_client *client, const char *tag,
			    const char *mech, const char *initial_resp)
{
	const char *error;

	str_truncate(client->tag, 0);
	str_append(client->tag, tag);
	/* for the hand-off: the mail service sends "<tag> OK" */
	client->common.handoff_tag = str_c(client->tag);
	if (!login_client_auth_begin(&client->common, mech, initial_resp,
				     imap_auth_callback, &error)) {
		imap_send_auth_reply(client,
				     "NO [UNAVAILABLE] " MSG_AUTH_UNAVAILABLE);
		return;
	}
	login_client_wait_auth(&client->common);
}

/* Returns true when plaintext authentication may go on; else replies
 * "NO [PRIVACYREQUIRED] <refusal>". */
static bool imap_check_plaintext(struct imap_login_client *client,
				 const char *tag, const char *refusal)
{
	if (!login_client_auth_allowed(&client->common)) {
		client->common.auth_tried_disabled_plaintext = true;
		imap_send_tagged(client, tag,
				 "NO [PRIVACYREQUIRED] " MSG_SSL_REQUIRED);
		return false;
	}
	if (login_client_plaintext_allowed(&client->common))
		return true;
	client->common.auth_tried_disabled_plaintext = true;
	imap_send_tagged(client, tag,
			 p_strconcat(client->cmd_pool, "NO [PRIVACYREQUIRED] ",
				     refusal, NULL));
	return false;
}

/* A line answering "+ " during AUTHENTICATE (RFC 3501 section 6.2.2). */
static void imap_sasl_response(struct imap_login_client *client,
			       const char *line)
{
	client->sasl_response = false;
	if (strcmp(line, "*") == 0) {
		login_client_auth_abort(&client->common);
		imap_send_auth_reply(client,
				     "BAD Authentication aborted by client.");
		return;
	}
	if (line[0] != '\0' && !imap_login_is_base64(line)) {
		login_client_auth_abort(&client->common);
		imap_send_auth_reply(client,
				     "NO [ALERT] Invalid base64 in response");
		return;
	}
	login_client_auth_continue(&client->common, line);
	login_client_wait_auth(&client->common);
}

/* ---- commands: each returns 1 done, 0 bad (counted), -1 destroyed ---- */

static int cmd_capability(struct imap_login_client *client, const char *tag,
			  const struct imap_login_cmd *cmd ATTR_UNUSED)
{
	string_t *str = str_new(client->cmd_pool, 256);

	str_append(str, "* CAPABILITY ");
	imap_append_capability(client, str);
	str_printfa(str,
		    "\r\n%s OK Pre-login capabilities listed, post-login "
		    "capabilities have more.\r\n",
		    tag);
	imap_send(client, str_c(str));
	return 1;
}

static int cmd_noop(struct imap_login_client *client, const char *tag,
		    const struct imap_login_cmd *cmd ATTR_UNUSED)
{
	imap_send_tagged(client, tag, "OK NOOP completed.");
	return 1;
}

static int cmd_logout(struct imap_login_client *client, const char *tag,
		      const struct imap_login_cmd *cmd ATTR_UNUSED)
{
	/* RFC 3501 section 6.1.3: BYE first, then the tagged OK */
	imap_send(client, "* BYE Logging out\r\n");
	imap_send_tagged(client, tag, "OK Logout completed.");
	login_client_destroy(&client->common,
			     "Disconnected: Aborted login by logging out");
	return -1;
}

static int cmd_id(struct imap_login_client *client, const char *tag,
		  const struct imap_login_cmd *cmd)
{
	string_t *str = str_new(client->cmd_pool, 128);

	/* the first ID only, as Dovecot logs it */
	if (!client->id_logged) {
		str_append(str, "ID sent: ");
		if (imap_login_id_log_append(str, login_settings->imap_id_log,
					     cmd)) {
			client->id_logged = true;
			str_append(str, ": ");
			login_client_append_log_fields(&client->common, str, 0);
			i_info("%s", str_c(str));
		}
		str_truncate(str, 0);
	}

	/* RFC 2971 section 3.1: the server's ID in an untagged reply */
	str_append(str, "* ID ");
	imap_login_id_reply_append(str, login_settings->imap_id_send);
	str_printfa(str, "\r\n%s OK ID completed.\r\n", tag);
	imap_send(client, str_c(str));
	return 1;
}

static int cmd_enable(struct imap_login_client *client, const char *tag,
		      const struct imap_login_cmd *cmd ATTR_UNUSED)
{
	/* RFC 5161 allows ENABLE only after login; Dovecot answers OK
	 * with an empty ENABLED, and so do we */
	imap_send(client, "* ENABLED\r\n");
	imap_send_tagged(client, tag,
			 "OK ENABLE ignored in non-authenticated state.");
	return 1;
}

static int cmd_starttls(struct imap_login_client *client, const char *tag,
			const struct imap_login_cmd *cmd ATTR_UNUSED)
{
	if (client->common.tls) {
		imap_send_tagged(client, tag, "BAD TLS is already active.");
		return 1;
	}
	if (!login_client_tls_available(&client->common)) {
		imap_send_tagged(client, tag, "BAD TLS support isn't enabled.");
		return 1;
	}
	imap_send_tagged(client, tag, "OK Begin TLS negotiation now.");
	if (client->common.destroyed)
		return -1;
	/* RFC 3501 section 6.2.1 and RFC 2595 section 3.1: what the client
	 * pipelined after STARTTLS is discarded */
	imap_parser_reset(client->parser);
	if (login_client_start_tls(&client->common) < 0)
		return -1;
	return 1;
}

static int cmd_login(struct imap_login_client *client, const char *tag,
		     const struct imap_login_cmd *cmd)
{
	const char *plain[3];
	string_t *b64;

	if (!login_client_plaintext_allowed(&client->common) &&
	    login_client_auth_allowed(&client->common)) {
		/* the password already crossed the network in the clear:
		 * say so, as Dovecot does */
		imap_send(client, "* BAD [ALERT] " MSG_PASSWORD_EXPOSED "\r\n");
	}
	if (!imap_check_plaintext(client, tag, MSG_PLAINTEXT_DISABLED))
		return 1;
	/* LOGIN is SASL PLAIN with no authorization identity */
	plain[0] = "";
	plain[1] = cmd->user;
	plain[2] = cmd->password;
	b64 = login_sasl_fields_base64(plain, N_ELEMENTS(plain));
	client->common.virtual_user = p_strdup(client->common.pool, cmd->user);
	imap_auth_start(client, tag, "PLAIN", str_c(b64));
	str_free(&b64);
	return 1;
}

static int cmd_authenticate(struct imap_login_client *client, const char *tag,
			    const struct imap_login_cmd *cmd)
{
	const struct auth_mech_desc *mech;

	mech = login_find_sasl_mech(cmd->mech);
	if (mech == NULL) {
		imap_send_tagged(
		    client, tag,
		    "NO [ALERT] Unsupported authentication mechanism.");
		return 1;
	}
	if (!login_client_auth_allowed(&client->common)) {
		imap_send_tagged(client, tag,
				 "NO [PRIVACYREQUIRED] " MSG_SSL_REQUIRED);
		return 1;
	}
	if ((mech->flags & AUTH_MECH_FLAG_PLAINTEXT) != 0 &&
	    !imap_check_plaintext(client, tag, MSG_MECH_PLAINTEXT_DISABLED))
		return 1;
	client->common.virtual_user = NULL;
	imap_auth_start(client, tag, mech->name, cmd->initial_resp);
	return 1;
}

typedef int imap_login_cmd_func_t(struct imap_login_client *client,
				  const char *tag,
				  const struct imap_login_cmd *cmd);

static imap_login_cmd_func_t *const imap_login_cmd_funcs[] = {
    [IMAP_LOGIN_CMD_UNKNOWN] = NULL,
    [IMAP_LOGIN_CMD_CAPABILITY] = cmd_capability,
    [IMAP_LOGIN_CMD_NOOP] = cmd_noop,
    [IMAP_LOGIN_CMD_LOGOUT] = cmd_logout,
    [IMAP_LOGIN_CMD_ID] = cmd_id,
    [IMAP_LOGIN_CMD_ENABLE] = cmd_enable,
    [IMAP_LOGIN_CMD_STARTTLS] = cmd_starttls,
    [IMAP_LOGIN_CMD_LOGIN] = cmd_login,
    [IMAP_LOGIN_CMD_AUTHENTICATE] = cmd_authenticate,
};

/* ---- the event loop side ---- */

/* Counts a bad command and answers it. Returns false when the client was
 * disconnected for too many. */
static bool imap_client_bad(struct imap_login_client *client, const char *tag,
			    const char *error)
{
	string_t *str;

	if (++client->common.bad_counter >= IMAP_LOGIN_MAX_BAD_COMMANDS) {
		imap_send(client, "* BYE Too many invalid IMAP commands.\r\n");
		login_client_destroy(&client->common,
				     "Disconnected: Too many invalid commands");
		return false;
	}
	str = str_new(client->cmd_pool, 128);
	str_printfa(str, "%s BAD %s\r\n", tag == NULL ? "*" : tag, error);
	imap_send(client, str_c(str));
	return !client->common.destroyed;
}

/* Wipes the bytes of a LOGIN password where the parser keeps them. */
static void imap_wipe_password(const struct imap_login_cmd *cmd)
{
	if (cmd->type == IMAP_LOGIN_CMD_LOGIN && cmd->password != NULL)
		safe_memset0((char *)cmd->password, strlen(cmd->password));
}

/* Returns false when the client was destroyed. */
static bool imap_client_command(struct imap_login_client *client,
				const struct imap_parser_event *ev)
{
	struct imap_login_cmd cmd;
	const char *error;
	int ret;

	if (ev->name == NULL || ev->name[0] == '\0')
		return imap_client_bad(client, ev->tag,
				       IMAP_LOGIN_MSG_BAD_COMMAND);
	ret = imap_login_cmd_parse(client->cmd_pool, ev->name, ev->args, &cmd,
				   &error);
	if (ret <= 0) {
		imap_wipe_password(&cmd);
		return imap_client_bad(client, ev->tag, error);
	}
	ret = imap_login_cmd_funcs[cmd.type](client, ev->tag, &cmd);
	imap_wipe_password(&cmd);
	if (ret < 0 || client->common.destroyed)
		return false;
	if (ret == 0)
		return imap_client_bad(client, ev->tag,
				       IMAP_LOGIN_MSG_BAD_COMMAND);
	return true;
}

/* One parser event. Returns false when the client was destroyed. */
static bool imap_client_event(struct imap_login_client *client,
			      enum imap_parse_result ret,
			      const struct imap_parser_event *ev)
{
	string_t *str;

	pool_clear(client->cmd_pool);
	switch (ret) {
	case IMAP_PARSE_MORE:
		return true;
	case IMAP_PARSE_CONTINUE:
		/* RFC 3501 section 7.5 */
		imap_send(client, "+ OK\r\n");
		return !client->common.destroyed;
	case IMAP_PARSE_COMMAND:
		return imap_client_command(client, ev);
	case IMAP_PARSE_ERROR:
		/* a line without a command name gets Dovecot's generic
		 * text; other syntax errors say what was wrong */
		if (ev->name == NULL || ev->name[0] == '\0')
			return imap_client_bad(client, ev->tag,
					       IMAP_LOGIN_MSG_BAD_COMMAND);
		if (ev->resp_code == NULL)
			return imap_client_bad(client, ev->tag, ev->error);
		str = str_new(client->cmd_pool, 128);
		str_printfa(str, "[%s] %s", ev->resp_code, ev->error);
		return imap_client_bad(client, ev->tag, str_c(str));
	case IMAP_PARSE_LITERAL:
	case IMAP_PARSE_LITERAL_DATA:
		/* no command streams its literals before login */
		break;
	}
	imap_parser_reset(client->parser);
	return imap_client_bad(client, ev->tag, IMAP_LOGIN_MSG_BAD_COMMAND);
}

/* Reads a SASL response line. Returns 1 when one was handled, 0 when none
 * is complete yet, -1 when the client was destroyed. */
static int imap_client_sasl_line(struct imap_login_client *client)
{
	struct login_client *c = &client->common;
	bool too_long;
	char *line;

	line = iostream_next_line(c->stream, &too_long);
	if (line == NULL) {
		if (!too_long)
			return 0;
		iostream_skip_line(c->stream);
		client->sasl_response = false;
		login_client_auth_abort(c);
		imap_send_auth_reply(client, "BAD Authentication response "
					     "too long.");
		return c->destroyed ? -1 : 1;
	}
	login_client_idle_reset(c);
	imap_sasl_response(client, line);
	/* the line may have held a password */
	safe_memset0(line, strlen(line));
	return c->destroyed ? -1 : 1;
}

/* Handles buffered input. Returns false when the client was destroyed. */
static bool imap_client_process(struct imap_login_client *client)
{
	struct login_client *c = &client->common;
	struct imap_parser_event ev;
	enum imap_parse_result ret;
	const unsigned char *data;
	size_t size, consumed;

	while (!c->destroyed && !c->waiting_auth && !c->handing_off &&
	       c->stream != NULL) {
		if (client->sasl_response) {
			int r = imap_client_sasl_line(client);

			if (r < 0)
				return false;
			if (r == 0)
				break;
			continue;
		}
		data = iostream_get_data(c->stream, &size);
		if (size == 0)
			break;
		ret = imap_parser_feed(client->parser, data, size, &consumed,
				       &ev);
		/* the parser keeps what it needs: the event stays valid */
		iostream_skip(c->stream, consumed);
		if (ret == IMAP_PARSE_MORE)
			continue;
		login_client_idle_reset(c);
		if (!imap_client_event(client, ret, &ev))
			return false;
	}
	return !c->destroyed;
}

/* ---- login_binary callbacks ---- */

static void imap_client_created(struct login_client *c)
{
	struct imap_login_client *client = (struct imap_login_client *)c;

	client->parser = imap_parser_create(&imap_parser_prelogin_settings);
	client->cmd_pool = pool_create("imap-login command", 1024);
	client->tag = str_new(c->pool, 32);
}

static void imap_client_ready(struct login_client *c)
{
	struct imap_login_client *client = (struct imap_login_client *)c;
	string_t *str = str_new(client->cmd_pool, 256);

	/* RFC 3501 section 7.1: the CAPABILITY response code saves a
	 * round trip */
	str_append(str, "* OK [CAPABILITY ");
	imap_append_capability(client, str);
	str_printfa(str, "] %s\r\n", login_settings->login_greeting);
	imap_send(client, str_c(str));
}

static bool imap_client_process_cb(struct login_client *c)
{
	return imap_client_process((struct imap_login_client *)c);
}

static void imap_client_destroy(struct login_client *c)
{
	struct imap_login_client *client = (struct imap_login_client *)c;

	if (client->parser != NULL)
		imap_parser_destroy(&client->parser);
	if (client->cmd_pool != NULL)
		pool_unref(&client->cmd_pool);
}

const struct login_binary imap_login_binary = {
    .protocol = "imap",
    .process_name = "imap-login",
    .client_size = sizeof(struct imap_login_client),
    .client_created = imap_client_created,
    .client_ready = imap_client_ready,
    .client_process = imap_client_process_cb,
    .closed_reason = "Disconnected: Connection closed",
    .client_send_error = imap_send_error,
    .client_destroy = imap_client_destroy,
};
