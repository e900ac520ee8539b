/* auth-request.c - an authentication request and the passdb/userdb chain
 * walker.
 *
 * Passdbs are tried in configuration order. Each is first checked for
 * whether it applies (master or not, skip, mechanisms, username_filter);
 * its answer (ok, failure, internal failure) then maps to the db's
 * result_success / result_failure / result_internalfail action: return or
 * continue, marking the authentication state success or failure, as
 * Dovecot documents. A failed password or an unknown user never becomes
 * a success, whatever the action says. After a passdb accepted the
 * password (continue after success, continue-ok), later passdbs are only
 * looked up. Ending the chain on a continue after an internal failure
 * anywhere is an internal failure (the failing db might have accepted).
 * deny passdbs and allow_nets refuse for good; nologin refuses after the
 * chain succeeded, with its reason. Master logins run the master passdbs
 * for the master first, then (pass=yes / continue) the normal passdbs for
 * the login user without a password. Unknown users are verified against
 * the passdb's dummy hash so that they cost as much as known ones, and
 * get the same answer as a wrong password. Slow schemes are verified in
 * the worker pool. After a passdb success the userdb chain runs with the
 * same applicability checks and result rules. Every decision can be
 * recorded in a trace for `loftadm auth explain`. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "log.h"
#include "var-expand.h"
#include "restrict.h"
#include "password-scheme.h"
#include "auth-worker.h"
#include "mech.h"
#include "auth.h"
#include "auth-request.h"
#include "auth-username.h"
#include "auth-cache.h"

#include <strings.h>

/* A password verification handed to the worker pool. Everything the
 * worker touches is copied into heap memory that is wiped after use. */
struct verify_job {
	struct auth_request *request;
	const struct passdb_module *passdb;
	struct password_stored pw;
	char *plaintext;
	size_t plaintext_len;
	bool dummy; /* unknown user: the result is USER_UNKNOWN anyway */
	int ret;
	const char *error; /* static string from the scheme */
};

static void passdb_verify_next(struct auth_request *request);
static void passdb_handle_result(struct auth_request *request,
				 enum passdb_result result);
static void userdb_chain_start(struct auth_request *request);
static void credentials_deliver(struct auth_request *request);
static void passdb_credentials_callback(struct auth_request *request,
					enum passdb_result result,
					const char *password);

struct auth_request *auth_request_new(struct auth *auth,
				      const struct mech_module *mech,
				      auth_request_reply_callback_t *reply_cb,
				      void *context)
{
	pool_t pool = pool_create_secure("auth request", 2048);
	struct auth_request *request = p_new(pool, struct auth_request, 1);

	request->pool = pool;
	request->refcount = 1;
	request->auth = auth;
	request->mech = mech;
	request->reply_callback = reply_cb;
	request->context = context;
	request->passdb_result = PASSDB_RESULT_USER_UNKNOWN;
	array_init(&request->extra_fields, pool, 8);
	array_init(&request->userdb_fields, pool, 8);
	array_init(&request->userdb_prefetch, pool, 4);
	return request;
}

void auth_request_ref(struct auth_request *request)
{
	i_assert(request->refcount > 0);
	request->refcount++;
}

void auth_request_unref(struct auth_request **_request)
{
	struct auth_request *request = *_request;
	pool_t pool;

	*_request = NULL;
	if (request == NULL)
		return;
	i_assert(request->refcount > 0);
	if (--request->refcount > 0)
		return;
	if (request->password != NULL)
		safe_memset0(request->password, strlen(request->password));
	pool = request->pool;
	pool_unref(&pool);
}

void auth_request_abort(struct auth_request *request)
{
	request->aborted = true;
}

bool auth_request_import(struct auth_request *request, const char *key,
			 const char *value)
{
	pool_t pool = request->pool;

	if (strcmp(key, "service") == 0)
		request->service = p_strdup(pool, value);
	else if (strcmp(key, "session") == 0)
		request->session = p_strdup(pool, value);
	else if (strcmp(key, "lip") == 0)
		request->local_ip = p_strdup(pool, value);
	else if (strcmp(key, "rip") == 0)
		request->remote_ip = p_strdup(pool, value);
	else if (strcmp(key, "lport") == 0) {
		if (value == NULL ||
		    str_to_uint(value, &request->local_port) < 0 ||
		    request->local_port > 65535)
			return false;
	} else if (strcmp(key, "rport") == 0) {
		if (value == NULL ||
		    str_to_uint(value, &request->remote_port) < 0 ||
		    request->remote_port > 65535)
			return false;
	} else if (strcmp(key, "secured") == 0)
		request->secured = true;
	else if (strcmp(key, "valid-client-cert") == 0)
		request->valid_client_cert = true;
	else if (strcmp(key, "no-penalty") == 0)
		request->no_penalty = true;
	else if (strcmp(key, "channel_binding") == 0)
		request->channel_binding = p_strdup(pool, value);
	else if (strcmp(key, "cert_username") == 0)
		request->cert_username = p_strdup(pool, value);
	return true;
}

/* --- user names --- */

bool auth_request_set_username(struct auth_request *request,
			       const unsigned char *name, size_t name_len,
			       const char **error_r)
{
	const struct loft_settings *set = request->auth->set;
	const char *error, *user, *login_user = NULL, *master_user;
	bool valid;

	/* NUL-safe copy: an invalid name is kept up to its first NUL. */
	user = p_strndup(request->pool, name, name_len);
	request->original_username = user;
	request->requested_login_user = NULL;

	/* "login*master" is split before the character checks, which then
	 * apply to each name (the separator need not be allowed). */
	if ((request->mech != NULL || request->trace_enabled) &&
	    strlen(user) == name_len &&
	    auth_username_split_master(request->pool, set, user, &login_user,
				       &master_user)) {
		error = auth_username_check(
		    set, (const unsigned char *)login_user, strlen(login_user));
		if (error == NULL)
			error = auth_username_check(
			    set, (const unsigned char *)master_user,
			    strlen(master_user));
		valid = error == NULL;
		if (valid &&
		    auth_username_normalize(
			request->pool, set, login_user, request->service,
			request->remote_ip, request->local_ip, request->session,
			&login_user, &error) < 0)
			valid = false;
		if (valid) {
			request->requested_login_user = login_user;
			user = master_user;
		}
	} else {
		error = auth_username_check(set, name, name_len);
		valid = error == NULL;
	}
	if (valid &&
	    auth_username_normalize(request->pool, set, user, request->service,
				    request->remote_ip, request->local_ip,
				    request->session, &user, &error) < 0)
		valid = false;
	request->user = user;
	request->invalid_user = !valid;
	*error_r = error;
	if (!valid) {
		auth_request_trace(request, "user name refused: %s", error);
		if (auth_verbose_enabled(request->auth, NULL)) {
			i_info("%s: %s",
			       auth_request_log_prefix(
				   request,
				   request->mech != NULL ? "auth" : "lookup"),
			       error);
		}
	} else if (request->requested_login_user != NULL) {
		auth_request_trace(
		    request, "master user login: master %s, login user %s",
		    request->user, request->requested_login_user);
	} else if (strcmp(request->user, request->original_username) != 0) {
		auth_request_trace(request, "user name %s normalised to %s",
				   request->original_username, request->user);
	}
	return valid;
}

bool auth_request_set_login_user(struct auth_request *request,
				 const unsigned char *authzid, size_t len,
				 const char **error_r)
{
	const struct loft_settings *set = request->auth->set;
	const char *error, *login_user;

	if (request->requested_login_user != NULL) {
		*error_r = "authorization identity given with a "
			   "login*master user name";
		return false;
	}
	error = auth_username_check(set, authzid, len);
	login_user = p_strndup(request->pool, authzid, len);
	if (error == NULL &&
	    auth_username_normalize(request->pool, set, login_user,
				    request->service, request->remote_ip,
				    request->local_ip, request->session,
				    &login_user, &error) < 0 &&
	    error == NULL)
		error = "invalid authorization identity";
	if (error != NULL) {
		auth_request_trace(request,
				   "authorization identity refused: %s", error);
		*error_r = error;
		return false;
	}
	if (strcmp(login_user, request->user) == 0) {
		/* the same user: no login as someone else */
		return true;
	}
	request->requested_login_user = login_user;
	auth_request_trace(request,
			   "master user login (SASL authorization identity): "
			   "master %s, login user %s",
			   request->user, login_user);
	return true;
}

/* --- fields --- */

const char *auth_fields_find(const auth_fields_t *fields, const char *key)
{
	size_t klen = strlen(key);

	for (unsigned int i = 0; i < fields->count; i++) {
		const char *f = fields->items[i];
		if (strncmp(f, key, klen) == 0 && f[klen] == '=')
			return f + klen + 1;
	}
	return NULL;
}

static void fields_set(pool_t pool, auth_fields_t *fields, const char *key,
		       const char *value)
{
	size_t klen = strlen(key);
	const char *f =
	    p_strconcat(pool, key, "=", value == NULL ? "" : value, NULL);

	for (unsigned int i = 0; i < fields->count; i++) {
		if (strncmp(fields->items[i], key, klen) == 0 &&
		    fields->items[i][klen] == '=') {
			fields->items[i] = f;
			return;
		}
	}
	array_push(fields, f);
}

void auth_request_set_passdb_field(struct auth_request *request,
				   const char *key, const char *value)
{
	const char *ukey, *at;

	if (str_begins(key, "userdb_", &ukey)) {
		if (ukey[0] != '\0')
			fields_set(request->pool, &request->userdb_prefetch,
				   ukey, value);
		return;
	}
	if (value == NULL)
		value = "";
	if (strcmp(key, "password") == 0) {
		request->passdb_password = p_strdup(request->pool, value);
		return;
	}
	if (strcmp(key, "password_noscheme") == 0) {
		/* never a {SCHEME} prefix: the passdb's default scheme */
		request->passdb_password = p_strconcat(
		    request->pool, "{",
		    request->auth->passdbs.items[request->passdb_idx]
			->default_scheme,
		    "}", value, NULL);
		return;
	}
	if (strcmp(key, "user") == 0 && value[0] != '\0') {
		/* The passdb changed the user name (e.g. case). */
		request->user = p_strdup(request->pool, value);
		return;
	}
	if (strcmp(key, "username") == 0 && value[0] != '\0') {
		/* Like user, but keeps the current domain when the new
		 * name has none. */
		at = strchr(request->user, '@');
		request->user =
		    strchr(value, '@') != NULL || at == NULL
			? p_strdup(request->pool, value)
			: p_strconcat(request->pool, value, at, NULL);
		return;
	}
	if (strcmp(key, "domain") == 0 && value[0] != '\0') {
		at = strchr(request->user, '@');
		request->user = p_strconcat(
		    request->pool,
		    at == NULL ? request->user
			       : p_strndup(request->pool, request->user,
					   (size_t)(at - request->user)),
		    "@", value, NULL);
		return;
	}
	fields_set(request->pool, &request->extra_fields, key, value);
}

void auth_request_set_userdb_field(struct auth_request *request,
				   const char *key, const char *value)
{
	char numbuf[32];

	if (value == NULL)
		value = "";
	if (strcmp(key, "uid") == 0 && value[0] != '\0') {
		unsigned int num;
		uid_t uid;
		gid_t gid;

		if (str_to_uint(value, &num) < 0) {
			if (user_lookup(value, &uid, &gid) < 0) {
				auth_request_log_error(request, "userdb",
						       "Invalid uid value '%s'",
						       value);
				return;
			}
			snprintf(numbuf, sizeof(numbuf), "%u",
				 (unsigned int)uid);
			value = numbuf;
		}
	} else if (strcmp(key, "gid") == 0 && value[0] != '\0') {
		unsigned int num;
		gid_t gid;

		if (str_to_uint(value, &num) < 0) {
			if (group_lookup(value, &gid) < 0) {
				auth_request_log_error(request, "userdb",
						       "Invalid gid value '%s'",
						       value);
				return;
			}
			snprintf(numbuf, sizeof(numbuf), "%u",
				 (unsigned int)gid);
			value = numbuf;
		}
	} else if (strcmp(key, "user") == 0 && value[0] != '\0') {
		request->user = p_strdup(request->pool, value);
		return;
	}
	fields_set(request->pool, &request->userdb_fields, key, value);
}

const char *auth_request_var_expand(struct auth_request *request,
				    const char *tmpl, const char **error_r)
{
	string_t *dest;

	if (strchr(tmpl, '%') == NULL) {
		/* e.g. a passwd-file path: nothing to expand */
		return p_strdup(request->pool, tmpl);
	}
	dest = str_new(request->pool, 64);
	if (var_expand_login(dest, tmpl, request->user, request->service,
			     request->remote_ip, request->local_ip,
			     auth_fields_find(&request->userdb_fields, "home"),
			     request->session, error_r) < 0)
		return NULL;
	return str_c(dest);
}

/* Applies default_fields (only when unset) or override_fields. */
static void apply_db_fields(struct auth_request *request,
			    const struct auth_db_settings *set, bool userdb)
{
	const char *error;

	for (int pass = 0; pass < 2; pass++) {
		bool override = pass == 1;
		const ARRAY(const char *) *list =
		    override ? (const void *)&set->override_fields
			     : (const void *)&set->default_fields;

		if (!array_is_created(list))
			continue;
		for (unsigned int i = 0; i < list->count; i++) {
			const char *f = list->items[i], *eq, *key, *value;
			auth_fields_t *target = userdb ? &request->userdb_fields
						       : &request->extra_fields;

			eq = strchr(f, '=');
			key = eq == NULL ? f
					 : p_strndup(request->pool, f, eq - f);
			if (!override && auth_fields_find(target, key) != NULL)
				continue;
			value = auth_request_var_expand(
			    request, eq == NULL ? "" : eq + 1, &error);
			if (value == NULL) {
				auth_request_log_error(
				    request, set->driver,
				    "Failed to expand field %s: %s", key,
				    error);
				continue;
			}
			if (userdb)
				auth_request_set_userdb_field(request, key,
							      value);
			else
				auth_request_set_passdb_field(request, key,
							      value);
		}
	}
}

/* --- logging --- */

static const char *log_sanitize(pool_t pool, const char *s)
{
	char *out = p_strdup(pool, s == NULL ? "?" : s);

	for (char *p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return out;
}

const char *auth_request_log_prefix(struct auth_request *request,
				    const char *driver)
{
	const char *user = log_sanitize(
	    request->pool,
	    request->user != NULL ? request->user : request->original_username);

	if (request->remote_ip != NULL) {
		return p_strdup_printf(
		    request->pool, "%s(%s,%s)", driver, user,
		    log_sanitize(request->pool, request->remote_ip));
	}
	return p_strdup_printf(request->pool, "%s(%s)", driver, user);
}

void auth_request_log_info(struct auth_request *request, const char *driver,
			   const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	const char *msg = p_strdup_vprintf(request->pool, fmt, args);
	va_end(args);
	i_info("%s: %s", auth_request_log_prefix(request, driver), msg);
}

void auth_request_log_error(struct auth_request *request, const char *driver,
			    const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	const char *msg = p_strdup_vprintf(request->pool, fmt, args);
	va_end(args);
	i_error("%s: %s", auth_request_log_prefix(request, driver), msg);
}

/* --- explain trace --- */

void auth_request_enable_trace(struct auth_request *request)
{
	if (!request->trace_enabled) {
		request->trace_enabled = true;
		array_init(&request->trace, request->pool, 16);
	}
}

void auth_request_trace(struct auth_request *request, const char *fmt, ...)
{
	va_list args;

	if (!request->trace_enabled)
		return;
	va_start(args, fmt);
	array_push(&request->trace, p_strdup_vprintf(request->pool, fmt, args));
	va_end(args);
}

/* "passdb #2 passwd-file" (+ " (name)" when the 2.4 name differs). */
static const char *db_label(struct auth_request *request,
			    const struct auth_db_settings *set,
			    unsigned int idx)
{
	const char *kind = set->userdb ? "userdb" : "passdb";

	if (!request->trace_enabled) {
		/* only traces show it */
		return "";
	}
	if (set->name != NULL && strcmp(set->name, set->driver) != 0)
		return p_strdup_printf(request->pool, "%s #%u %s (%s)", kind,
				       idx + 1, set->driver, set->name);
	return p_strdup_printf(request->pool, "%s #%u %s", kind, idx + 1,
			       set->driver);
}

/* Fields for the trace, without anything secret. */
static const char *trace_fields(struct auth_request *request,
				const auth_fields_t *fields)
{
	string_t *str;

	if (!request->trace_enabled) {
		/* only traces show it */
		return "";
	}
	str = str_new(request->pool, 128);
	for (unsigned int i = 0; i < fields->count; i++) {
		const char *f = fields->items[i];

		if (str_begins(f, "password", NULL) ||
		    str_begins(f, "pass=", NULL))
			continue;
		if (str_len(str) > 0)
			str_append_c(str, ' ');
		str_append(str, f);
	}
	return str_len(str) == 0 ? "(none)" : str_c(str);
}

static const char *result_action_name(enum db_result_action action)
{
	static const char *const names[] = {
	    "return-ok",   "return-fail",   "return",
	    "continue-ok", "continue-fail", "continue",
	};
	return (unsigned int)action < N_ELEMENTS(names) ? names[action] : "?";
}

/* --- replies --- */

static void auth_request_reply(struct auth_request *request,
			       enum auth_reply_type type,
			       const unsigned char *data, size_t size)
{
	if (request->aborted || request->finished)
		return;
	if (type != AUTH_REPLY_CONTINUE)
		request->finished = true;
	if (request->reply_callback != NULL)
		request->reply_callback(request, type, data, size);
}

void auth_request_challenge(struct auth_request *request, const void *data,
			    size_t size)
{
	auth_request_reply(request, AUTH_REPLY_CONTINUE, data, size);
}

static const char *mech_log_name(struct auth_request *request)
{
	char *name =
	    p_strdup(request->pool,
		     request->mech != NULL ? request->mech->name : "auth");
	return str_lcase(name);
}

void auth_request_fail(struct auth_request *request, const char *reason)
{
	if (reason != NULL && auth_verbose_enabled(request->auth, NULL)) {
		auth_request_log_info(request, mech_log_name(request), "%s",
				      reason);
	}
	auth_request_reply(request, AUTH_REPLY_FAIL, NULL, 0);
}

void auth_request_internal_failure(struct auth_request *request)
{
	auth_request_reply(request, AUTH_REPLY_INTERNAL_FAIL, NULL, 0);
}

static void userdb_chain_done_for_auth(struct auth_request *request)
{
	auth_request_trace(
	    request, "result: OK, authenticated as %s%s%s", request->user,
	    request->master_user != NULL ? " by master user " : "",
	    request->master_user != NULL ? request->master_user : "");
	auth_request_reply(request, AUTH_REPLY_SUCCESS, NULL, 0);
}

/* nologin (a passdb field): the credentials were right, but the account
 * may not log in; the client sees the reason. Returns true when it
 * refused the login. */
static bool auth_request_check_nologin(struct auth_request *request)
{
	const char *reason;

	if (auth_fields_find(&request->extra_fields, "nologin") == NULL)
		return false;
	reason = auth_fields_find(&request->extra_fields, "reason");
	if (reason != NULL && reason[0] != '\0')
		request->fail_reason = reason;
	auth_request_trace(request, "nologin field: login refused");
	if (auth_verbose_enabled(request->auth, NULL)) {
		auth_request_log_info(
		    request, "passdb", "Login disabled (nologin)%s%s",
		    reason != NULL ? ": " : "", reason != NULL ? reason : "");
	}
	auth_request_trace(request, "result: FAIL%s%s",
			   request->fail_reason != NULL ? ", reason: " : "",
			   request->fail_reason != NULL ? request->fail_reason
							: "");
	auth_request_reply(request, AUTH_REPLY_FAIL, NULL, 0);
	return true;
}

void auth_request_success(struct auth_request *request)
{
	if (request->aborted || request->finished)
		return;
	if (auth_request_check_nologin(request))
		return;
	request->passdb_success = true;
	if (request->want_userdb && request->auth->userdbs.count > 0) {
		request->lookup_callback = NULL;
		userdb_chain_start(request);
		return;
	}
	userdb_chain_done_for_auth(request);
}

/* --- passdb chain: verification --- */

static struct passdb_module *current_passdb(struct auth_request *request)
{
	return request->auth->passdbs.items[request->passdb_idx];
}

/* Whether the list of mechanisms names the request's ("none" = a lookup
 * without SASL). */
static bool db_mechanism_matches(struct auth_request *request,
				 const char *mechs)
{
	const char *name = request->mech != NULL ? request->mech->name : "none";
	char **list = p_strsplit_spaces(request->pool, mechs, " \t,");

	for (unsigned int i = 0; list[i] != NULL; i++) {
		if (strcasecmp(list[i], name) == 0)
			return true;
	}
	return false;
}

/* Why a passdb or userdb does not apply to this request: NULL when it
 * applies, "" to pass over it silently, else the reason. */
static const char *db_skip_reason(struct auth_request *request,
				  const struct auth_db_settings *set)
{
	const char *why;

	if (!set->userdb) {
		if (set->master && !request->master_phase)
			return "master passdb, used only for master user "
			       "logins";
		if (!set->master && request->master_phase)
			return "";
		if (set->skip == DB_SKIP_AUTHENTICATED &&
		    request->passdb_success)
			return "skip = authenticated, and an earlier passdb "
			       "authenticated the user";
		if (set->skip == DB_SKIP_UNAUTHENTICATED &&
		    !request->passdb_success)
			return "skip = unauthenticated, and no earlier passdb "
			       "authenticated the user";
		if (set->mechanisms != NULL && set->mechanisms[0] != '\0' &&
		    !db_mechanism_matches(request, set->mechanisms)) {
			return p_strdup_printf(
			    request->pool, "mechanism %s is not in '%s'",
			    request->mech != NULL ? request->mech->name
						  : "none",
			    set->mechanisms);
		}
	} else {
		if (set->skip == DB_SKIP_FOUND && request->userdb_found)
			return "skip = found, and an earlier userdb found the "
			       "user";
		if (set->skip == DB_SKIP_NOTFOUND && !request->userdb_found)
			return "skip = notfound, and no earlier userdb found "
			       "the user";
	}
	if (request->user != NULL &&
	    !auth_username_filter_match(request->pool, set->username_filter,
					request->user, &why)) {
		return p_strdup_printf(request->pool, "username_filter: %s %s",
				       request->user, why);
	}
	return NULL;
}

static void verify_job_run(void *context)
{
	struct verify_job *job = context;

	job->error = NULL;
	job->ret =
	    password_verify_parsed(job->plaintext, &job->pw, &job->error);
}

static void verify_job_free(struct verify_job *job)
{
	safe_memset0(job->plaintext, job->plaintext_len);
	i_free(job->plaintext);
	safe_memset0(job->pw.raw, job->pw.raw_size);
	i_free(job->pw.raw);
	i_free(job);
}

static enum passdb_result verify_job_result(const struct verify_job *job)
{
	struct auth_request *request = job->request;
	enum passdb_result result;

	if (job->dummy) {
		result = PASSDB_RESULT_USER_UNKNOWN;
	} else if (job->ret > 0) {
		result = PASSDB_RESULT_OK;
	} else if (job->ret == 0) {
		result = PASSDB_RESULT_PASSWORD_MISMATCH;
	} else {
		auth_request_log_error(request, job->passdb->iface->name,
				       "Invalid password in passdb: %s",
				       job->error != NULL ? job->error
							  : "unknown error");
		result = PASSDB_RESULT_INTERNAL_FAILURE;
	}
	return result;
}

static void verify_job_done(void *context)
{
	struct verify_job *job = context;
	struct auth_request *request = job->request;
	enum passdb_result result = verify_job_result(job);

	verify_job_free(job);
	if (!request->aborted)
		passdb_handle_result(request, result);
	auth_request_unref(&request);
}

/* Starts verifying request->password against stored. dummy=true runs the
 * same work for an unknown user. */
static void passdb_start_verify(struct auth_request *request,
				const struct passdb_module *passdb,
				const char *stored, bool dummy)
{
	struct password_stored pw;
	struct verify_job *job;
	const char *error;
	int ret;

	ret = password_parse(request->pool, stored, passdb->default_scheme, &pw,
			     &error);
	if (ret <= 0) {
		if (dummy) {
			passdb_handle_result(request,
					     PASSDB_RESULT_USER_UNKNOWN);
			return;
		}
		auth_request_log_error(request, passdb->iface->name,
				       "Invalid password in passdb: %s", error);
		passdb_handle_result(
		    request, ret == 0 ? PASSDB_RESULT_SCHEME_NOT_AVAILABLE
				      : PASSDB_RESULT_INTERNAL_FAILURE);
		return;
	}

	if (!pw.scheme->slow) {
		/* verified here and now: the job needs no copies (pw is in
		   the request's secure pool, the password is wiped with it) */
		struct verify_job inline_job = {
		    .request = request,
		    .passdb = passdb,
		    .pw = pw,
		    .plaintext = request->password,
		    .dummy = dummy,
		};

		auth_request_ref(request);
		verify_job_run(&inline_job);
		enum passdb_result result = verify_job_result(&inline_job);
		if (!request->aborted)
			passdb_handle_result(request, result);
		auth_request_unref(&request);
		return;
	}
	job = i_malloc(sizeof(*job));
	job->request = request;
	job->passdb = passdb;
	job->dummy = dummy;
	job->pw.scheme = pw.scheme;
	job->pw.raw_size = pw.raw_size;
	job->pw.raw = i_malloc(pw.raw_size + 1);
	memcpy(job->pw.raw, pw.raw, pw.raw_size);
	job->plaintext_len = strlen(request->password);
	job->plaintext = i_strdup(request->password);
	auth_request_ref(request);
	auth_worker_submit(verify_job_run, verify_job_done, job);
}

static void passdb_verify_lookup_callback(struct auth_request *request,
					  enum passdb_result result,
					  const char *password)
{
	struct passdb_module *passdb = current_passdb(request);

	if (request->aborted)
		return;
	switch (result) {
	case PASSDB_RESULT_OK:
		if (password == NULL || password[0] == '\0')
			password = request->passdb_password;
		if (password == NULL || password[0] == '\0') {
			if (auth_fields_find(&request->extra_fields,
					     "nopassword") != NULL) {
				passdb_handle_result(request, PASSDB_RESULT_OK);
				return;
			}
			auth_request_log_info(request, passdb->iface->name,
					      "Empty password");
			passdb_handle_result(request,
					     PASSDB_RESULT_PASSWORD_MISMATCH);
			return;
		}
		passdb_start_verify(request, passdb, password, false);
		return;
	case PASSDB_RESULT_USER_UNKNOWN:
		if (passdb->dummy_hash != NULL) {
			passdb_start_verify(request, passdb, passdb->dummy_hash,
					    true);
			return;
		}
		break;
	default:
		break;
	}
	passdb_handle_result(request, result);
}

static void passdb_verify_plain_callback(struct auth_request *request,
					 enum passdb_result result)
{
	if (!request->aborted)
		passdb_handle_result(request, result);
}

/* The passdb state saved before each passdb runs, restored when it does
 * not accept the user (its fields must not leak into the answer). */
struct passdb_snapshot {
	const char *user;
	unsigned int extra_count, prefetch_count;
	const char **extra, **prefetch;
};

static void snapshot_take(struct auth_request *request,
			  struct passdb_snapshot *snap)
{
	snap->user = request->user;
	snap->extra_count = request->extra_fields.count;
	snap->prefetch_count = request->userdb_prefetch.count;
	snap->extra = p_new(request->pool, const char *, snap->extra_count + 1);
	snap->prefetch =
	    p_new(request->pool, const char *, snap->prefetch_count + 1);
	for (unsigned int i = 0; i < snap->extra_count; i++)
		snap->extra[i] = request->extra_fields.items[i];
	for (unsigned int i = 0; i < snap->prefetch_count; i++)
		snap->prefetch[i] = request->userdb_prefetch.items[i];
}

static void snapshot_restore(struct auth_request *request,
			     const struct passdb_snapshot *snap)
{
	bool nodelay =
	    auth_fields_find(&request->extra_fields, "nodelay") != NULL;

	request->user = snap->user;
	request->extra_fields.count = 0;
	request->userdb_prefetch.count = 0;
	for (unsigned int i = 0; i < snap->extra_count; i++)
		array_push(&request->extra_fields, snap->extra[i]);
	for (unsigned int i = 0; i < snap->prefetch_count; i++)
		array_push(&request->userdb_prefetch, snap->prefetch[i]);
	/* nodelay also applies to the failure it came with */
	if (nodelay)
		fields_set(request->pool, &request->extra_fields, "nodelay",
			   "yes");
}

static struct passdb_snapshot *passdb_snapshot(struct auth_request *request)
{
	struct passdb_snapshot *snap =
	    p_new(request->pool, struct passdb_snapshot, 1);

	snapshot_take(request, snap);
	return snap;
}

static void passdb_lookup_end(struct auth_request *request,
			      enum auth_lookup_result result)
{
	auth_request_lookup_callback_t *cb = request->lookup_callback;

	auth_request_trace(request, "passdb result: %s",
			   result == AUTH_LOOKUP_OK ? "found"
			   : result == AUTH_LOOKUP_NOTFOUND
			       ? "not found"
			       : "internal failure");
	cb(request, result);
}

static void passdb_fail(struct auth_request *request)
{
	enum passdb_result result = request->passdb_result;

	if (request->passdb_lookup_only) {
		passdb_lookup_end(request, AUTH_LOOKUP_NOTFOUND);
		return;
	}
	if (request->credentials_mode) {
		/* the mechanism decides how to fail (SCRAM goes on with
		 * fake credentials so that the refusal looks the same) */
		if (request->passdb_failed)
			result = PASSDB_RESULT_USER_DISABLED;
		else if (result == PASSDB_RESULT_OK ||
			 result == PASSDB_RESULT_INTERNAL_FAILURE ||
			 result == PASSDB_RESULT_SCHEME_NOT_AVAILABLE)
			result = PASSDB_RESULT_USER_UNKNOWN;
		auth_request_trace(request,
				   "result: FAIL (credentials lookup)");
		request->credentials_callback(request, result, NULL);
		return;
	}
	auth_request_trace(request, "result: FAIL%s%s",
			   request->fail_reason != NULL ? ", reason: " : "",
			   request->fail_reason != NULL ? request->fail_reason
							: "");
	auth_request_reply(request, AUTH_REPLY_FAIL, NULL, 0);
}

static void passdb_internal_fail(struct auth_request *request)
{
	if (request->passdb_lookup_only) {
		passdb_lookup_end(request, AUTH_LOOKUP_INTERNAL_FAIL);
		return;
	}
	if (request->credentials_mode) {
		/* a passdb that knows the user but not in the wanted
		 * scheme: the mechanism refuses cleanly */
		auth_request_trace(request,
				   "result: credentials lookup failed");
		request->credentials_callback(
		    request,
		    request->passdb_result == PASSDB_RESULT_SCHEME_NOT_AVAILABLE
			? PASSDB_RESULT_SCHEME_NOT_AVAILABLE
			: PASSDB_RESULT_INTERNAL_FAILURE,
		    NULL);
		return;
	}
	auth_request_trace(request, "result: internal failure (temporary)");
	auth_request_internal_failure(request);
}

/* The master passdbs accepted the master: log in as the requested user.
 * With continue (pass = yes) the normal passdbs must still know the user;
 * with return the master's word is enough. */
static void master_switch_to_login_user(struct auth_request *request,
					bool lookup_user)
{
	request->master_user = request->user;
	request->user = request->requested_login_user;
	request->master_phase = false;
	/* the master's fields are not the user's */
	request->extra_fields.count = 0;
	request->userdb_prefetch.count = 0;
	auth_request_trace(request, "master user %s accepted; %s login user %s",
			   request->master_user,
			   lookup_user ? "looking up" : "logging in as",
			   request->user);
	if (!lookup_user)
		return;
	request->skip_password_check = true;
	request->passdb_success = false;
	request->passdb_idx = 0;
	passdb_verify_next(request);
}

static void passdb_chain_finish_full(struct auth_request *request,
				     bool exhausted, bool last_internal)
{
	if (request->passdb_failed) {
		passdb_fail(request);
		return;
	}
	if (request->passdb_success && request->master_phase) {
		master_switch_to_login_user(request, false);
		request->passdb_success = true;
	}
	if (request->passdb_success) {
		if (request->passdb_lookup_only) {
			passdb_lookup_end(request, AUTH_LOOKUP_OK);
			return;
		}
		if (request->credentials_mode) {
			credentials_deliver(request);
			return;
		}
		auth_request_success(request);
		return;
	}
	/* Ending on a continue after an internal failure anywhere in the
	 * chain is an internal failure: the failing passdb might have
	 * accepted the user. */
	if (request->passdb_internal_failure && (exhausted || last_internal)) {
		passdb_internal_fail(request);
		return;
	}
	passdb_fail(request);
}

static void passdb_chain_finish(struct auth_request *request)
{
	passdb_chain_finish_full(request, true, false);
}

static const char *passdb_result_text(enum passdb_result result)
{
	switch (result) {
	case PASSDB_RESULT_OK:
		return "user found, password ok";
	case PASSDB_RESULT_USER_UNKNOWN:
		return "user unknown";
	case PASSDB_RESULT_USER_DISABLED:
		return "user disabled";
	case PASSDB_RESULT_PASSWORD_MISMATCH:
		return "password mismatch";
	case PASSDB_RESULT_SCHEME_NOT_AVAILABLE:
		return "password scheme not available (internal failure)";
	case PASSDB_RESULT_INTERNAL_FAILURE:
		return "internal failure";
	}
	return "?";
}

static void passdb_handle_result(struct auth_request *request,
				 enum passdb_result result)
{
	struct passdb_module *passdb = current_passdb(request);
	const struct auth_db_settings *set = passdb->set;
	const char *driver = passdb->iface->name;
	const char *label = db_label(request, set, request->passdb_idx);
	const char *rule, *nets, *error = NULL, *verdict;
	struct passdb_snapshot *snap = request->db_context;
	enum db_result_action action;
	bool stop, next_only = false, internal = false;

	request->db_context = NULL;
	if (auth_cache_passdb_verified(request, result)) {
		/* checked against a cached entry that may be stale */
		if (snap != NULL)
			snapshot_restore(request, snap);
		passdb_verify_next(request);
		return;
	}
	if (set->deny) {
		if (result == PASSDB_RESULT_OK) {
			auth_request_trace(request,
					   "%s: user found in deny passdb: "
					   "access denied",
					   label);
			if (auth_verbose_enabled(request->auth, set))
				auth_request_log_info(
				    request, driver,
				    "User found from deny passdb");
			request->passdb_failed = true;
			request->passdb_success = false;
			request->passdb_result = PASSDB_RESULT_USER_DISABLED;
			passdb_chain_finish_full(request, false, false);
			return;
		}
		if (snap != NULL)
			snapshot_restore(request, snap);
		if (result == PASSDB_RESULT_INTERNAL_FAILURE) {
			/* cannot tell whether the user is denied */
			request->passdb_internal_failure = true;
			auth_request_trace(request,
					   "%s: internal failure: cannot "
					   "check the deny list",
					   label);
			passdb_chain_finish_full(request, false, true);
			return;
		}
		auth_request_trace(
		    request, "%s: user not in deny passdb: continue", label);
		goto next;
	}

	if (result == PASSDB_RESULT_OK) {
		apply_db_fields(request, set, false);
		nets = auth_fields_find(&request->extra_fields, "allow_nets");
		if (nets != NULL &&
		    !auth_allow_nets_match(request->pool, nets,
					   request->remote_ip, &error)) {
			if (error != NULL)
				auth_request_log_error(request, driver, "%s",
						       error);
			auth_request_log_info(
			    request, driver,
			    "allow_nets check failed: IP %s not in %s",
			    request->remote_ip != NULL &&
				    request->remote_ip[0] != '\0'
				? request->remote_ip
				: "(local)",
			    nets);
			auth_request_trace(request,
					   "%s: user found, but remote IP %s "
					   "is not in allow_nets %s: refused",
					   label,
					   request->remote_ip != NULL
					       ? request->remote_ip
					       : "(local)",
					   nets);
			request->passdb_failed = true;
			request->passdb_success = false;
			result = PASSDB_RESULT_USER_DISABLED;
			passdb_chain_finish_full(request, false, false);
			return;
		}
		if (auth_fields_find(&request->extra_fields,
				     "noauthenticate") != NULL)
			next_only = true;
	}
	if (auth_verbose_enabled(request->auth, set)) {
		if (result == PASSDB_RESULT_USER_UNKNOWN)
			auth_request_log_info(request, driver, "unknown user");
		else if (result == PASSDB_RESULT_PASSWORD_MISMATCH)
			auth_request_log_info(request, driver,
					      "Password mismatch");
	}
	if (result == PASSDB_RESULT_OK) {
		auth_request_trace(
		    request, "%s: %s; fields: %s", label,
		    request->skip_password_check || request->passdb_lookup_only
			? "user found (password not checked here)"
			: passdb_result_text(result),
		    trace_fields(request, &request->extra_fields));
		if (request->userdb_prefetch.count > 0)
			auth_request_trace(
			    request, "%s: userdb fields: %s", label,
			    trace_fields(request, &request->userdb_prefetch));
	} else {
		auth_request_trace(request, "%s: %s", label,
				   passdb_result_text(result));
		if (snap != NULL)
			snapshot_restore(request, snap);
	}

	if (result == PASSDB_RESULT_OK ||
	    request->passdb_result == PASSDB_RESULT_USER_UNKNOWN)
		request->passdb_result = result;
	if (next_only) {
		auth_request_trace(request,
				   "%s: noauthenticate: continue without "
				   "deciding",
				   label);
		goto next;
	}
	if (result == PASSDB_RESULT_OK) {
		action = set->result_success;
		rule = "result_success";
		/* 2.3's pass = yes on a master passdb is 2.4's
		 * result_success = continue. */
		if (set->master && set->pass)
			action = DB_RESULT_CONTINUE;
	} else if (result == PASSDB_RESULT_INTERNAL_FAILURE ||
		   result == PASSDB_RESULT_SCHEME_NOT_AVAILABLE) {
		request->passdb_internal_failure = true;
		internal = true;
		action = set->result_internalfail;
		rule = "result_internalfail";
	} else {
		action = set->result_failure;
		rule = "result_failure";
	}

	switch (action) {
	case DB_RESULT_RETURN_OK:
		stop = true;
		/* A failed password or an unknown user never turns into a
		 * success, whatever the action says. */
		if (result == PASSDB_RESULT_OK)
			request->passdb_success = true;
		break;
	case DB_RESULT_RETURN_FAIL:
		stop = true;
		request->passdb_success = false;
		break;
	case DB_RESULT_RETURN:
		stop = true;
		break;
	case DB_RESULT_CONTINUE_OK:
		stop = false;
		if (result == PASSDB_RESULT_OK) {
			request->passdb_success = true;
			request->skip_password_check = true;
		}
		break;
	case DB_RESULT_CONTINUE_FAIL:
		stop = false;
		request->passdb_success = false;
		break;
	case DB_RESULT_CONTINUE:
	default:
		stop = false;
		/* the password was verified: later passdbs only look up */
		if (result == PASSDB_RESULT_OK)
			request->skip_password_check = true;
		break;
	}
	verdict =
	    request->passdb_success ? "authenticated" : "not authenticated";
	if (stop) {
		auth_request_trace(request, "%s: %s=%s: stop, %s", label, rule,
				   result_action_name(action), verdict);
		/* an explicit return-fail is a plain failure */
		passdb_chain_finish_full(
		    request, false, internal && action == DB_RESULT_RETURN);
		return;
	}
	if (result == PASSDB_RESULT_OK && request->master_phase) {
		/* continue* after a master passdb accepted the master: go
		 * on to the normal passdbs for the login user. */
		auth_request_trace(request,
				   "%s: %s=%s: master accepted, continue "
				   "to the normal passdbs",
				   label, rule, result_action_name(action));
		master_switch_to_login_user(request, true);
		return;
	}
	auth_request_trace(request, "%s: %s=%s: continue, %s", label, rule,
			   result_action_name(action), verdict);
next:
	request->passdb_idx++;
	passdb_verify_next(request);
}

static void passdb_lookup_only_callback(struct auth_request *request,
					enum passdb_result result,
					const char *password ATTR_UNUSED)
{
	if (!request->aborted)
		passdb_handle_result(request, result);
}

static void passdb_verify_next(struct auth_request *request)
{
	struct passdb_module *passdb;
	const char *why;

	if (request->aborted)
		return;
	while (request->passdb_idx < request->auth->passdbs.count) {
		passdb = current_passdb(request);
		why = db_skip_reason(request, passdb->set);
		if (why == NULL)
			break;
		if (why[0] != '\0') {
			auth_request_trace(
			    request, "%s: skipped: %s",
			    db_label(request, passdb->set, request->passdb_idx),
			    why);
		}
		request->passdb_idx++;
	}
	if (request->passdb_idx >= request->auth->passdbs.count) {
		passdb_chain_finish(request);
		return;
	}
	passdb = current_passdb(request);
	if (request->invalid_user) {
		/* Same work and answer as an unknown user. */
		if (passdb->dummy_hash != NULL &&
		    !request->passdb_lookup_only &&
		    !request->credentials_mode && !request->nopassword_auth) {
			request->passdb_idx = request->auth->passdbs.count - 1;
			passdb_start_verify(request, passdb, passdb->dummy_hash,
					    true);
		} else {
			passdb_chain_finish(request);
		}
		return;
	}
	request->passdb_password = NULL;
	request->db_context = passdb_snapshot(request);
	if (passdb->set->deny || request->passdb_lookup_only ||
	    request->skip_password_check || request->nopassword_auth) {
		if (passdb->iface->lookup == NULL) {
			auth_request_trace(
			    request,
			    "%s: skipped: the driver cannot look users up "
			    "without a password",
			    db_label(request, passdb->set,
				     request->passdb_idx));
			request->db_context = NULL;
			request->passdb_idx++;
			passdb_verify_next(request);
			return;
		}
		auth_cache_passdb_lookup(request, passdb,
					 passdb_lookup_only_callback);
		return;
	}
	if (request->credentials_mode) {
		if (passdb->iface->lookup == NULL) {
			/* e.g. PAM: cannot give credentials */
			auth_request_trace(
			    request,
			    "%s: skipped: the driver cannot give credentials",
			    db_label(request, passdb->set,
				     request->passdb_idx));
			request->db_context = NULL;
			if (request->passdb_result ==
			    PASSDB_RESULT_USER_UNKNOWN)
				request->passdb_result =
				    PASSDB_RESULT_SCHEME_NOT_AVAILABLE;
			request->passdb_idx++;
			passdb_verify_next(request);
			return;
		}
		auth_cache_passdb_lookup(request, passdb,
					 passdb_credentials_callback);
		return;
	}
	if (passdb->iface->verify_plain != NULL) {
		passdb->iface->verify_plain(passdb, request, request->password,
					    passdb_verify_plain_callback);
	} else {
		auth_cache_passdb_lookup(request, passdb,
					 passdb_verify_lookup_callback);
	}
}

static void passdb_chain_start(struct auth_request *request)
{
	request->passdb_idx = 0;
	request->passdb_success = false;
	request->passdb_internal_failure = false;
	request->passdb_failed = false;
	request->skip_password_check = false;
	request->master_phase = request->requested_login_user != NULL;
	if (request->master_phase) {
		bool any = false;

		for (unsigned int i = 0; i < request->auth->passdbs.count; i++)
			any =
			    any || request->auth->passdbs.items[i]->set->master;
		if (!any) {
			auth_request_trace(request,
					   "master user login, but no master "
					   "passdbs are configured");
			if (auth_verbose_enabled(request->auth, NULL))
				auth_request_log_info(
				    request, "passdb",
				    "Master user login attempted without "
				    "master passdbs");
			passdb_fail(request);
			return;
		}
	}
	passdb_verify_next(request);
}

void auth_request_verify_plain(struct auth_request *request,
			       const char *password)
{
	if (request->aborted || request->finished)
		return;
	if (request->password != NULL)
		safe_memset0(request->password, strlen(request->password));
	request->password = p_strdup(request->pool, password);
	request->passdb_lookup_only = false;
	if (request->auth->passdbs.count == 0) {
		auth_request_log_error(request, "auth",
				       "No passdbs configured");
		auth_request_internal_failure(request);
		return;
	}
	passdb_chain_start(request);
}

/* --- passdb chain: credentials and lookups --- */

/* Stores pw in request->credentials_scheme (converting a plaintext
 * password), or the plaintext when no scheme is wanted. Returns false
 * when it cannot. */
static bool credentials_store(struct auth_request *request,
			      struct passdb_module *passdb,
			      const struct password_stored *pw)
{
	const struct password_scheme *want = NULL;
	const char *plain, *error;
	string_t *raw;

	if (request->credentials_scheme != NULL) {
		want = password_scheme_find(request->credentials_scheme);
		if (want == NULL)
			return false;
	}
	plain = password_get_plaintext(pw);
	if (want != NULL && pw->scheme == want) {
		raw = str_new(request->pool, pw->raw_size + 1);
		str_append_n(raw, pw->raw, pw->raw_size);
	} else if (plain != NULL && want == NULL) {
		raw = str_new(request->pool, strlen(plain) + 1);
		str_append(raw, plain);
	} else if (plain != NULL) {
		raw = str_new(request->pool, 128);
		if (want->generate(plain, 0, raw, &error) < 0) {
			auth_request_log_error(request, passdb->iface->name,
					       "%s: %s", want->name, error);
			return false;
		}
	} else {
		auth_request_log_info(
		    request, passdb->iface->name,
		    "Requested %s scheme, but we have only %s",
		    want != NULL ? want->name : "CLEARTEXT", pw->scheme->name);
		return false;
	}
	request->credentials = str_data(raw);
	request->credentials_size = str_len(raw);
	return true;
}

static void scheme_credentials_failed(struct auth_request *request,
				      enum passdb_result result,
				      const char *password ATTR_UNUSED)
{
	i_assert(result != PASSDB_RESULT_OK);
	request->scheme_credentials_callback(request, result, NULL, 0);
}

/* The chain accepted the user: the mechanism gets the credentials of the
 * passdb that decided. */
static void credentials_deliver(struct auth_request *request)
{
	if (request->credentials == NULL) {
		/* accepted without any passdb giving credentials */
		request->credentials_callback(
		    request, PASSDB_RESULT_SCHEME_NOT_AVAILABLE, NULL);
		return;
	}
	auth_request_trace(request, "result: credentials found, the "
				    "mechanism verifies them");
	if (request->credentials_scheme != NULL) {
		request->scheme_credentials_callback(request, PASSDB_RESULT_OK,
						     request->credentials,
						     request->credentials_size);
	} else {
		request->credentials_callback(
		    request, PASSDB_RESULT_OK,
		    (const char *)request->credentials);
	}
}

static void passdb_credentials_callback(struct auth_request *request,
					enum passdb_result result,
					const char *password)
{
	struct passdb_module *passdb = current_passdb(request);
	struct password_stored pw;
	const char *error;
	int ret;

	if (request->aborted)
		return;
	if (result == PASSDB_RESULT_OK) {
		if (password == NULL || password[0] == '\0')
			password = request->passdb_password;
		if (password == NULL || password[0] == '\0') {
			auth_request_log_info(request, passdb->iface->name,
					      "No password in the passdb for "
					      "a credentials lookup");
			result = PASSDB_RESULT_SCHEME_NOT_AVAILABLE;
		} else if ((ret = password_parse(request->pool, password,
						 passdb->default_scheme, &pw,
						 &error)) <= 0) {
			auth_request_log_error(request, passdb->iface->name,
					       "Invalid password in passdb: %s",
					       error);
			result = ret == 0 ? PASSDB_RESULT_SCHEME_NOT_AVAILABLE
					  : PASSDB_RESULT_INTERNAL_FAILURE;
		} else if (!credentials_store(request, passdb, &pw)) {
			result = PASSDB_RESULT_SCHEME_NOT_AVAILABLE;
		}
	}
	passdb_handle_result(request, result);
}

static void credentials_chain_start(struct auth_request *request)
{
	request->credentials_mode = true;
	request->passdb_lookup_only = false;
	request->credentials = NULL;
	request->credentials_size = 0;
	request->passdb_result = PASSDB_RESULT_USER_UNKNOWN;
	if (request->auth->passdbs.count == 0) {
		auth_request_log_error(request, "auth",
				       "No passdbs configured");
		request->credentials_callback(
		    request, PASSDB_RESULT_INTERNAL_FAILURE, NULL);
		return;
	}
	passdb_chain_start(request);
}

void auth_request_lookup_credentials_scheme(
    struct auth_request *request, const char *scheme,
    auth_request_scheme_credentials_callback_t *cb)
{
	if (request->aborted || request->finished)
		return;
	request->credentials_scheme = p_strdup(request->pool, scheme);
	request->scheme_credentials_callback = cb;
	request->credentials_callback = scheme_credentials_failed;
	credentials_chain_start(request);
}

void auth_request_lookup_credentials(struct auth_request *request,
				     auth_request_credentials_callback_t *cb)
{
	if (request->aborted || request->finished)
		return;
	request->credentials_scheme = NULL;
	request->credentials_callback = cb;
	credentials_chain_start(request);
}

void auth_request_verify_nopassword(struct auth_request *request)
{
	if (request->aborted || request->finished)
		return;
	request->nopassword_auth = true;
	request->passdb_lookup_only = false;
	if (request->auth->passdbs.count == 0) {
		auth_request_log_error(request, "auth",
				       "No passdbs configured");
		auth_request_internal_failure(request);
		return;
	}
	passdb_chain_start(request);
}

void auth_request_lookup_passdb(struct auth_request *request,
				auth_request_lookup_callback_t *cb)
{
	request->lookup_callback = cb;
	request->passdb_lookup_only = true;
	request->requested_login_user = NULL;
	if (request->invalid_user) {
		cb(request, AUTH_LOOKUP_NOTFOUND);
		return;
	}
	passdb_chain_start(request);
}

/* --- userdb chain --- */

static void userdb_chain_next(struct auth_request *request);

static void userdb_chain_finish(struct auth_request *request)
{
	auth_request_lookup_callback_t *cb = request->lookup_callback;

	request->userdb_done = true;
	if (request->userdb_found && request->master_user != NULL)
		fields_set(request->pool, &request->userdb_fields,
			   "master_user", request->master_user);
	if (request->userdb_found)
		auth_request_trace(
		    request, "userdb result: found, user %s; fields: %s",
		    request->user,
		    trace_fields(request, &request->userdb_fields));
	else if (request->userdb_internal_failure)
		auth_request_trace(request, "userdb result: internal failure");
	else
		auth_request_trace(request, "userdb result: user not found");
	if (cb == NULL) {
		/* part of an authentication */
		userdb_chain_done_for_auth(request);
		return;
	}
	if (request->userdb_found)
		cb(request, AUTH_LOOKUP_OK);
	else if (request->userdb_internal_failure)
		cb(request, AUTH_LOOKUP_INTERNAL_FAIL);
	else
		cb(request, AUTH_LOOKUP_NOTFOUND);
}

static void userdb_callback(struct auth_request *request,
			    enum userdb_result result)
{
	struct userdb_module *userdb;
	const struct auth_db_settings *set;
	enum db_result_action action;
	const char *label, *rule;
	bool stop;

	if (request->aborted)
		return;
	userdb = request->auth->userdbs.items[request->userdb_idx];
	set = userdb->set;
	label = db_label(request, set, request->userdb_idx);
	switch (result) {
	case USERDB_RESULT_OK:
		apply_db_fields(request, set, true);
		auth_request_trace(
		    request, "%s: user found; fields: %s", label,
		    trace_fields(request, &request->userdb_fields));
		action = set->result_success;
		rule = "result_success";
		break;
	case USERDB_RESULT_USER_UNKNOWN:
		if (auth_verbose_enabled(request->auth, set)) {
			auth_request_log_info(request, userdb->iface->name,
					      "unknown user");
		}
		auth_request_trace(request, "%s: user unknown", label);
		action = set->result_failure;
		rule = "result_failure";
		break;
	case USERDB_RESULT_INTERNAL_FAILURE:
	default:
		request->userdb_internal_failure = true;
		auth_request_trace(request, "%s: internal failure", label);
		action = set->result_internalfail;
		rule = "result_internalfail";
		break;
	}
	switch (action) {
	case DB_RESULT_RETURN_OK:
		stop = true;
		if (result == USERDB_RESULT_OK)
			request->userdb_found = true;
		break;
	case DB_RESULT_RETURN_FAIL:
		stop = true;
		request->userdb_found = false;
		break;
	case DB_RESULT_RETURN:
		stop = true;
		break;
	case DB_RESULT_CONTINUE_OK:
		stop = false;
		if (result == USERDB_RESULT_OK)
			request->userdb_found = true;
		break;
	case DB_RESULT_CONTINUE_FAIL:
		stop = false;
		request->userdb_found = false;
		break;
	case DB_RESULT_CONTINUE:
	default:
		stop = false;
		break;
	}
	auth_request_trace(request, "%s: %s=%s: %s", label, rule,
			   result_action_name(action),
			   stop ? "stop" : "continue");
	if (stop) {
		userdb_chain_finish(request);
		return;
	}
	request->userdb_idx++;
	userdb_chain_next(request);
}

static void userdb_chain_next(struct auth_request *request)
{
	struct userdb_module *userdb;
	const char *why;

	if (request->aborted)
		return;
	while (request->userdb_idx < request->auth->userdbs.count) {
		userdb = request->auth->userdbs.items[request->userdb_idx];
		why = db_skip_reason(request, userdb->set);
		if (why == NULL)
			break;
		auth_request_trace(
		    request, "%s: skipped: %s",
		    db_label(request, userdb->set, request->userdb_idx), why);
		request->userdb_idx++;
	}
	if (request->userdb_idx >= request->auth->userdbs.count) {
		userdb_chain_finish(request);
		return;
	}
	userdb = request->auth->userdbs.items[request->userdb_idx];
	auth_cache_userdb_lookup(request, userdb, userdb_callback);
}

static void userdb_chain_start(struct auth_request *request)
{
	request->userdb_idx = 0;
	request->userdb_found = false;
	request->userdb_internal_failure = false;
	userdb_chain_next(request);
}

void auth_request_lookup_userdb(struct auth_request *request,
				auth_request_lookup_callback_t *cb)
{
	request->lookup_callback = cb;
	if (request->invalid_user) {
		auth_request_trace(request, "userdb result: user not found "
					    "(invalid user name)");
		cb(request, AUTH_LOOKUP_NOTFOUND);
		return;
	}
	userdb_chain_start(request);
}
