/* auth-client-parser.c - parsing of the auth server's lines for
 * auth-client.c: the handshake (VERSION, MECH, SPID, CUID, COOKIE, DONE)
 * and the replies (OK, CONT, FAIL). No I/O; every field is checked. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "array.h"
#include "auth-client.h"

void auth_client_handshake_init(struct auth_client_handshake *hs, pool_t pool)
{
	memset(hs, 0, sizeof(*hs));
	hs->pool = pool;
	array_init(&hs->mechs, pool, 8);
}

static unsigned int mech_flag_parse(const char *name)
{
	static const struct {
		const char *name;
		unsigned int flag;
	} flags[] = {
	    {"private", AUTH_MECH_FLAG_PRIVATE},
	    {"anonymous", AUTH_MECH_FLAG_ANONYMOUS},
	    {"plaintext", AUTH_MECH_FLAG_PLAINTEXT},
	    {"dictionary", AUTH_MECH_FLAG_DICTIONARY},
	    {"active", AUTH_MECH_FLAG_ACTIVE},
	    {"forward-secrecy", AUTH_MECH_FLAG_FORWARD_SECRECY},
	    {"mutual-auth", AUTH_MECH_FLAG_MUTUAL_AUTH},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(flags); i++) {
		if (strcmp(flags[i].name, name) == 0)
			return flags[i].flag;
	}
	return 0; /* unknown flags are ignored */
}

static bool mech_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64)
		return false;
	for (; *name != '\0'; name++) {
		char c = *name;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

int auth_client_handshake_input(struct auth_client_handshake *hs,
				const char *line, const char **error_r)
{
	char **args = p_strsplit(hs->pool, line, "\t");
	unsigned int count = str_array_length((const char *const *)args);
	unsigned int num;

	if (count == 0)
		return 0;
	if (strcmp(args[0], "VERSION") == 0) {
		if (count < 3 || str_to_uint(args[1], &num) < 0) {
			*error_r = "Malformed VERSION line";
			return -1;
		}
		if (num != AUTH_CLIENT_PROTOCOL_MAJOR) {
			*error_r = "Authentication server protocol major "
				   "version mismatch";
			return -1;
		}
		hs->version_received = true;
	} else if (strcmp(args[0], "MECH") == 0) {
		struct auth_mech_desc *mech;

		if (count < 2 || !mech_name_valid(args[1])) {
			*error_r = "Malformed MECH line";
			return -1;
		}
		if (hs->mechs.count >= AUTH_CLIENT_MAX_MECHS) {
			*error_r = "Too many mechanisms";
			return -1;
		}
		mech = array_append_space(&hs->mechs);
		mech->name = str_ucase(p_strdup(hs->pool, args[1]));
		for (unsigned int i = 2; i < count; i++)
			mech->flags |= mech_flag_parse(args[i]);
	} else if (strcmp(args[0], "SPID") == 0) {
		int pid;

		if (count < 2 || str_to_int(args[1], &pid) < 0 || pid <= 0) {
			*error_r = "Malformed SPID line";
			return -1;
		}
		hs->server_pid = (pid_t)pid;
	} else if (strcmp(args[0], "CUID") == 0) {
		if (count < 2 || str_to_uint(args[1], &hs->connect_uid) < 0) {
			*error_r = "Malformed CUID line";
			return -1;
		}
	} else if (strcmp(args[0], "COOKIE") == 0) {
		size_t len;

		if (count < 2) {
			*error_r = "Malformed COOKIE line";
			return -1;
		}
		len = strlen(args[1]);
		if (len != 32 ||
		    strspn(args[1], "0123456789abcdefABCDEF") != len) {
			*error_r = "Malformed COOKIE line";
			return -1;
		}
		hs->cookie = p_strdup(hs->pool, args[1]);
	} else if (strcmp(args[0], "DONE") == 0) {
		if (!hs->version_received || hs->server_pid == 0 ||
		    hs->cookie == NULL) {
			*error_r =
			    "Handshake ended before VERSION, SPID and COOKIE";
			return -1;
		}
		hs->done = true;
		return 1;
	}
	return 0;
}

int auth_client_reply_parse(pool_t pool, const char *line,
			    struct auth_reply *reply_r, const char **error_r)
{
	char **args = p_strsplit(pool, line, "\t");
	unsigned int count = str_array_length((const char *const *)args);
	const char **fields;

	memset(reply_r, 0, sizeof(*reply_r));
	if (count == 0)
		return 0;
	if (strcmp(args[0], "OK") == 0)
		reply_r->type = AUTH_REPLY_OK;
	else if (strcmp(args[0], "CONT") == 0)
		reply_r->type = AUTH_REPLY_CONT;
	else if (strcmp(args[0], "FAIL") == 0)
		reply_r->type = AUTH_REPLY_FAIL;
	else
		return 0;

	if (count < 2 || str_to_uint(args[1], &reply_r->id) < 0 ||
	    reply_r->id == 0) {
		*error_r =
		    p_strdup_printf(pool, "Malformed %s line: bad id", args[0]);
		return -1;
	}
	if (reply_r->type == AUTH_REPLY_CONT) {
		if (count < 3) {
			*error_r = "Malformed CONT line: missing data";
			return -1;
		}
		reply_r->data = args[2];
		fields = p_new(pool, const char *, 1);
		reply_r->fields = fields;
		return 1;
	}
	fields = p_new(pool, const char *, count - 1);
	for (unsigned int i = 2; i < count; i++)
		fields[i - 2] = str_tabunescape(pool, args[i]);
	fields[count - 2] = NULL;
	reply_r->fields = fields;
	return 1;
}

const char *auth_reply_field(const struct auth_reply *reply, const char *key)
{
	size_t key_len = strlen(key);

	if (reply->fields == NULL)
		return NULL;
	for (unsigned int i = 0; reply->fields[i] != NULL; i++) {
		const char *f = reply->fields[i];

		if (strncmp(f, key, key_len) != 0)
			continue;
		if (f[key_len] == '=')
			return f + key_len + 1;
		if (f[key_len] == '\0')
			return "";
	}
	return NULL;
}
