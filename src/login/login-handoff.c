/* login-handoff.c - encoding and strict decoding of the LOGIN line a login
 * process sends to a mail service, and of the service's one-line answer.
 *
 * Only the message format lives here: no sockets, no fd passing (the
 * login's login-proxy.c and the mail service do that). The decoder
 * validates every field and refuses anything unexpected. */
#include "lib.h"
#include "base64.h"
#include "net.h"
#include "login-handoff.h"

#define HANDOFF_FIELD_COUNT 12
#define HANDOFF_MAX_TAG_LEN 256
#define HANDOFF_COOKIE_LEN 32
#define HANDOFF_MAX_SESSION_ID_LEN 256

static void append_flags(const struct login_handoff *h, string_t *dest)
{
	bool first = true;

	if (h->secured) {
		str_append(dest, "secured");
		first = false;
	}
	if (h->tls) {
		if (!first)
			str_append_c(dest, ',');
		str_append(dest, "tls");
	}
}

void login_handoff_encode(const struct login_handoff *h, string_t *dest)
{
	str_printfa(dest, "LOGIN\t%ld\t%u\t", (long)h->auth_pid, h->auth_id);
	str_append_tabescaped(dest, h->cookie != NULL ? h->cookie : "");
	str_append_c(dest, '\t');
	str_append_tabescaped(dest, h->session_id != NULL ? h->session_id : "");
	str_append_c(dest, '\t');
	str_append_tabescaped(dest, h->local_ip != NULL ? h->local_ip : "");
	str_printfa(dest, "\t%u\t", h->local_port);
	str_append_tabescaped(dest, h->remote_ip != NULL ? h->remote_ip : "");
	str_printfa(dest, "\t%u\t", h->remote_port);
	append_flags(h, dest);
	str_append_c(dest, '\t');
	if (h->leftover_size > 0)
		base64_encode(h->leftover, h->leftover_size, dest);
	str_append_c(dest, '\t');
	str_append_tabescaped(dest, h->tag != NULL ? h->tag : "");
	str_append_c(dest, '\n');
}

static bool is_hex_cookie(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return false;
	}
	return i == HANDOFF_COOKIE_LEN;
}

static bool is_printable_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	}
	return true;
}

static int parse_port(const char *s, unsigned int *port_r)
{
	if (str_to_uint(s, port_r) < 0 || *port_r > 65535)
		return -1;
	return 0;
}

static int parse_ip(pool_t pool, const char *field, const char **ip_r)
{
	struct ip_addr ip;

	if (net_addr2ip(field, &ip) < 0)
		return -1;
	*ip_r = p_strdup(pool, field);
	return 0;
}

static int parse_flags(const char *field, struct login_handoff *h)
{
	const char *p = field, *end;
	size_t len;

	if (*field == '\0')
		return 0;
	for (;;) {
		end = strchr(p, ',');
		len = end == NULL ? strlen(p) : (size_t)(end - p);
		if (len == 7 && memcmp(p, "secured", 7) == 0)
			h->secured = true;
		else if (len == 3 && memcmp(p, "tls", 3) == 0)
			h->tls = true;
		else
			return -1;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

int login_handoff_decode(pool_t pool, const char *line,
			 struct login_handoff *h_r, const char **error_r)
{
	char **f;
	unsigned int count;
	int pid;

	memset(h_r, 0, sizeof(*h_r));
	if (strlen(line) >= LOGIN_HANDOFF_MAX_LINE) {
		*error_r = "Line too long";
		return -1;
	}
	/* Escaped fields never contain raw control characters. */
	for (const char *p = line; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r') {
			*error_r = "Line contains CR or LF";
			return -1;
		}
	}
	f = p_strsplit(pool, line, "\t");
	count = str_array_length((const char *const *)f);
	if (count == 0 || strcmp(f[0], "LOGIN") != 0) {
		*error_r = "Not a LOGIN line";
		return -1;
	}
	if (count != HANDOFF_FIELD_COUNT) {
		*error_r = p_strdup_printf(
		    pool, "Wrong number of fields: %u (expected %u)", count,
		    HANDOFF_FIELD_COUNT);
		return -1;
	}
	if (str_to_int(f[1], &pid) < 0 || pid <= 0) {
		*error_r = "Invalid auth_pid";
		return -1;
	}
	h_r->auth_pid = (pid_t)pid;
	if (str_to_uint(f[2], &h_r->auth_id) < 0 || h_r->auth_id == 0) {
		*error_r = "Invalid auth_id";
		return -1;
	}
	h_r->cookie = str_tabunescape(pool, f[3]);
	if (!is_hex_cookie(h_r->cookie)) {
		*error_r = "Invalid cookie";
		return -1;
	}
	h_r->session_id = str_tabunescape(pool, f[4]);
	if (!is_printable_token(h_r->session_id) ||
	    strlen(h_r->session_id) > HANDOFF_MAX_SESSION_ID_LEN) {
		*error_r = "Invalid session_id";
		return -1;
	}
	if (parse_ip(pool, str_tabunescape(pool, f[5]), &h_r->local_ip) < 0) {
		*error_r = "Invalid local_ip";
		return -1;
	}
	if (parse_port(f[6], &h_r->local_port) < 0) {
		*error_r = "Invalid local_port";
		return -1;
	}
	if (parse_ip(pool, str_tabunescape(pool, f[7]), &h_r->remote_ip) < 0) {
		*error_r = "Invalid remote_ip";
		return -1;
	}
	if (parse_port(f[8], &h_r->remote_port) < 0) {
		*error_r = "Invalid remote_port";
		return -1;
	}
	if (parse_flags(f[9], h_r) < 0) {
		*error_r = "Invalid flags";
		return -1;
	}
	if (f[10][0] != '\0') {
		string_t *buf = str_new(pool, strlen(f[10]));

		if (base64_decode(f[10], strlen(f[10]), buf) < 0) {
			*error_r = "Invalid leftover base64";
			return -1;
		}
		h_r->leftover = str_data(buf);
		h_r->leftover_size = str_len(buf);
	}
	/* An IMAP tag is an astring-char run (RFC 3501 section 9): printable,
	 * no space; empty for protocols without tags. */
	h_r->tag = str_tabunescape(pool, f[11]);
	if ((*h_r->tag != '\0' && !is_printable_token(h_r->tag)) ||
	    strlen(h_r->tag) > HANDOFF_MAX_TAG_LEN) {
		*error_r = "Invalid tag";
		return -1;
	}
	return 0;
}

void login_handoff_reply_ok(string_t *dest, pid_t mail_pid)
{
	if (mail_pid > 0)
		str_printfa(dest, "OK\t%ld\n", (long)mail_pid);
	else
		str_append(dest, "OK\n");
}

void login_handoff_reply_fail(string_t *dest, const char *reason)
{
	str_append(dest, "FAIL\t");
	str_append_tabescaped(dest, reason);
	str_append_c(dest, '\n');
}

int login_handoff_parse_reply(pool_t pool, const char *line, pid_t *mail_pid_r,
			      const char **reason_r)
{
	const char *arg;
	int pid;

	*mail_pid_r = 0;
	*reason_r = NULL;
	if (strcmp(line, "OK") == 0)
		return 1;
	if (str_begins(line, "OK\t", &arg)) {
		if (str_to_int(arg, &pid) < 0 || pid <= 0) {
			*reason_r = "Invalid mail pid in OK reply";
			return -1;
		}
		*mail_pid_r = (pid_t)pid;
		return 1;
	}
	if (str_begins(line, "FAIL\t", &arg)) {
		*reason_r = str_tabunescape(pool, arg);
		if (**reason_r == '\0')
			*reason_r = "Login failed";
		return 0;
	}
	if (strcmp(line, "FAIL") == 0) {
		*reason_r = "Login failed";
		return 0;
	}
	*reason_r = "Malformed reply";
	return -1;
}
