/* imap-login-cmd.c - pre-login IMAP commands as data: the command table,
 * argument checks, the CAPABILITY list and the ID reply. No I/O. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "imap-quote.h"
#include "imap-login-cmd.h"
#include "login-sasl.h"
#include "loft-config.h"

#include <sys/utsname.h>

struct imap_login_cmd_def {
	const char *name;
	enum imap_login_cmd_type type;
};

static const struct imap_login_cmd_def imap_login_cmd_defs[] = {
    {"CAPABILITY", IMAP_LOGIN_CMD_CAPABILITY},
    {"NOOP", IMAP_LOGIN_CMD_NOOP},
    {"LOGOUT", IMAP_LOGIN_CMD_LOGOUT},
    {"ID", IMAP_LOGIN_CMD_ID},
    {"ENABLE", IMAP_LOGIN_CMD_ENABLE},
    {"STARTTLS", IMAP_LOGIN_CMD_STARTTLS},
    {"LOGIN", IMAP_LOGIN_CMD_LOGIN},
    {"AUTHENTICATE", IMAP_LOGIN_CMD_AUTHENTICATE},
};

bool imap_login_is_base64(const char *s)
{
	return *s != '\0' && login_sasl_is_base64_text(s);
}

/* RFC 3501 section 6.2.3: LOGIN SP userid SP password, both astrings. */
static int parse_login(const struct imap_arg *args, struct imap_login_cmd *cmd,
		       const char **error_r)
{
	if (!imap_arg_get_astring(&args[0], &cmd->user) ||
	    !imap_arg_get_astring(&args[1], &cmd->password) ||
	    args[2].type != IMAP_ARG_EOL) {
		*error_r = IMAP_LOGIN_MSG_BAD_COMMAND;
		return -1;
	}
	return 1;
}

/* RFC 3501 section 6.2.2 with RFC 4959's initial response: AUTHENTICATE
 * SP auth-type [SP (base64 / "=")]. */
static int parse_authenticate(const struct imap_arg *args,
			      struct imap_login_cmd *cmd, const char **error_r)
{
	const char *resp;

	if (!imap_arg_get_atom(&args[0], &cmd->mech) || cmd->mech[0] == '\0') {
		*error_r = IMAP_LOGIN_MSG_BAD_COMMAND;
		return -1;
	}
	if (args[1].type == IMAP_ARG_EOL)
		return 1;
	if (!imap_arg_get_atom(&args[1], &resp) ||
	    args[2].type != IMAP_ARG_EOL) {
		*error_r = IMAP_LOGIN_MSG_BAD_COMMAND;
		return -1;
	}
	if (strcmp(resp, "=") == 0) {
		cmd->initial_resp = "";
		return 1;
	}
	if (!imap_login_is_base64(resp)) {
		*error_r = "Invalid base64 data in initial response";
		return -1;
	}
	cmd->initial_resp = resp;
	return 1;
}

/* RFC 2971 section 3.3: ID SP ("(" string SP nstring *(SP string SP
 * nstring) ")" / NIL). Dovecot accepts an odd trailing field, ignoring it;
 * so do we. */
static int parse_id(pool_t pool, const struct imap_arg *args,
		    struct imap_login_cmd *cmd, const char **error_r)
{
	const struct imap_arg *list;
	unsigned int count, n = 0;

	if (args[0].type == IMAP_ARG_NIL)
		return 1;
	if (!imap_arg_get_list(&args[0], &list, &count)) {
		*error_r = "Invalid ID parameters";
		return -1;
	}
	cmd->id_fields = p_new(pool, const char *, count + 1);
	for (unsigned int i = 0; i + 1 < count; i += 2) {
		const char *key, *value;

		if (!imap_arg_get_string(&list[i], &key) ||
		    !imap_arg_get_nstring(&list[i + 1], &value)) {
			*error_r = "Invalid ID parameters";
			return -1;
		}
		if (n / 2 >= IMAP_LOGIN_ID_MAX_PAIRS ||
		    strlen(key) > IMAP_LOGIN_ID_MAX_KEY_LEN ||
		    (value != NULL &&
		     strlen(value) > IMAP_LOGIN_ID_MAX_VALUE_LEN))
			continue;
		cmd->id_fields[n++] = key;
		cmd->id_fields[n++] = value;
	}
	cmd->id_count = n / 2;
	return 1;
}

int imap_login_cmd_parse(pool_t pool, const char *name,
			 const struct imap_arg *args,
			 struct imap_login_cmd *cmd_r, const char **error_r)
{
	memset(cmd_r, 0, sizeof(*cmd_r));
	*error_r = NULL;
	for (unsigned int i = 0; i < N_ELEMENTS(imap_login_cmd_defs); i++) {
		if (strcmp(imap_login_cmd_defs[i].name, name) == 0) {
			cmd_r->type = imap_login_cmd_defs[i].type;
			break;
		}
	}
	switch (cmd_r->type) {
	case IMAP_LOGIN_CMD_UNKNOWN:
		*error_r = IMAP_LOGIN_MSG_BAD_COMMAND;
		return 0;
	case IMAP_LOGIN_CMD_LOGIN:
		return parse_login(args, cmd_r, error_r);
	case IMAP_LOGIN_CMD_AUTHENTICATE:
		return parse_authenticate(args, cmd_r, error_r);
	case IMAP_LOGIN_CMD_ID:
		return parse_id(pool, args, cmd_r, error_r);
	case IMAP_LOGIN_CMD_CAPABILITY:
	case IMAP_LOGIN_CMD_NOOP:
	case IMAP_LOGIN_CMD_LOGOUT:
	case IMAP_LOGIN_CMD_ENABLE:
	case IMAP_LOGIN_CMD_STARTTLS:
		break;
	}
	return 1;
}

void imap_login_capability_append(string_t *dest,
				  const struct imap_login_capability_params *p)
{
	const char *literal = p->literal_minus ? " LITERAL-" : " LITERAL+";
	const char *set = p->imap_capability == NULL ? "" : p->imap_capability;

	if (set[0] == '\0' || set[0] == '+') {
		str_append(dest, IMAP_LOGIN_CAPABILITY_BANNER);
		str_append(dest, literal);
		if (set[0] == '+' && set[1] != '\0') {
			str_append_c(dest, ' ');
			str_append(dest, set + 1);
		}
	} else {
		str_append(dest, set);
	}
	if (p->starttls)
		str_append(dest, " STARTTLS");
	if (p->logindisabled)
		str_append(dest, " LOGINDISABLED");
	for (unsigned int i = 0; p->mechs != NULL && p->mechs[i] != NULL; i++) {
		str_append(dest, " AUTH=");
		str_append(dest, p->mechs[i]);
	}
}

/* The built-in value of an ID field, or NULL when there is none. */
static const char *id_builtin_value(const char *key, struct utsname *uts,
				    bool *uts_done)
{
	if (strcasecmp(key, "name") == 0)
		return "Loft";
	if (strcasecmp(key, "version") == 0)
		return LOFT_VERSION;
	if (strcasecmp(key, "os") != 0 && strcasecmp(key, "os-version") != 0)
		return NULL;
	if (!*uts_done) {
		if (uname(uts) < 0)
			return NULL;
		*uts_done = true;
	}
	return strcasecmp(key, "os") == 0 ? uts->sysname : uts->release;
}

/* Reads the next word of imap_id_send: a double-quoted string (with '\'
 * escapes) or a run of non-space bytes. Returns false at the end. */
static bool id_next_word(const char **pp, string_t *word)
{
	const char *p = *pp;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return false;
	str_truncate(word, 0);
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			str_append_c(word, *p);
		}
		if (*p == '"')
			p++;
	} else {
		for (; *p != '\0' && *p != ' ' && *p != '\t'; p++)
			str_append_c(word, *p);
	}
	*pp = p;
	return true;
}

void imap_login_id_reply_append(string_t *dest, const char *imap_id_send)
{
	const char *p = imap_id_send == NULL ? "" : imap_id_send;
	pool_t pool = pool_create("imap id", 256);
	string_t *key = str_new(pool, 32), *value = str_new(pool, 64);
	struct utsname uts;
	bool uts_done = false, any = false;

	while (id_next_word(&p, key)) {
		const char *v;

		if (!id_next_word(&p, value))
			break;
		v = str_c(value);
		if (strcmp(v, "*") == 0) {
			v = id_builtin_value(str_c(key), &uts, &uts_done);
			if (v == NULL)
				continue;
		}
		str_append_c(dest, any ? ' ' : '(');
		imap_append_string(dest, str_c(key), 0);
		str_append_c(dest, ' ');
		imap_append_nstring(dest, v, 0);
		any = true;
	}
	if (any)
		str_append_c(dest, ')');
	else
		str_append(dest, "NIL");
	pool_unref(&pool);
}

static bool id_log_wanted(const char *imap_id_log, const char *key)
{
	size_t len = strlen(key);
	const char *p = imap_id_log;

	if (strcmp(imap_id_log, "*") == 0)
		return true;
	while (*p != '\0') {
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n == len && n > 0 && strncasecmp(p, key, n) == 0)
			return true;
		p += n;
	}
	return false;
}

static void id_log_append_value(string_t *dest, const char *value)
{
	for (; *value != '\0'; value++) {
		unsigned char c = (unsigned char)*value;

		str_append_c(dest, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
}

bool imap_login_id_log_append(string_t *dest, const char *imap_id_log,
			      const struct imap_login_cmd *cmd)
{
	bool any = false;

	if (imap_id_log == NULL || imap_id_log[0] == '\0' ||
	    cmd->id_fields == NULL)
		return false;
	for (unsigned int i = 0; i < cmd->id_count; i++) {
		const char *key = cmd->id_fields[i * 2];
		const char *value = cmd->id_fields[i * 2 + 1];

		if (!id_log_wanted(imap_id_log, key))
			continue;
		if (any)
			str_append(dest, ", ");
		id_log_append_value(dest, key);
		str_append_c(dest, '=');
		id_log_append_value(dest, value == NULL ? "NIL" : value);
		any = true;
	}
	return any;
}
