/* auth-request.c - an authentication request and the passdb/userdb chain
 * walker.
 *
 * Passdbs are tried in configuration order; each result (ok, failure,
 * internal failure) maps to the db's result_success / result_failure /
 * result_internalfail action (return or continue, marking success or
 * failure). A failed password or an unknown user never becomes a success,
 * whatever the action says. Unknown users are verified against the
 * passdb's dummy hash so that they cost as much as known ones, and get
 * the same answer as a wrong password. Slow schemes are verified in the
 * worker pool. After a passdb success the userdb chain runs (first
 * userdb that knows the user wins). */
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

static bool utf8_is_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned int n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (unsigned int j = 1; j <= n; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		/* overlong forms, surrogates and out of range */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static const char *username_check(const struct loft_settings *set,
				  const unsigned char *name, size_t len)
{
	const char *chars = set->auth_username_chars;

	if (len == 0)
		return "Empty username";
	if (len > AUTH_USERNAME_MAX_LEN)
		return "Username too long";
	if (memchr(name, '\0', len) != NULL)
		return "Username contains NUL";
	if (!utf8_is_valid(name, len))
		return "Username is not valid UTF-8";
	if (chars != NULL && chars[0] != '\0') {
		for (size_t i = 0; i < len; i++) {
			if (name[i] >= 0x80 || strchr(chars, name[i]) == NULL)
				return "Username contains disallowed character";
		}
	}
	return NULL;
}

bool auth_request_set_username(struct auth_request *request,
			       const unsigned char *name, size_t name_len,
			       const char **error_r)
{
	const struct loft_settings *set = request->auth->set;
	const char *error, *user, *format;
	bool valid;

	error = username_check(set, name, name_len);
	valid = error == NULL;
	/* NUL-safe copy: an invalid name is kept up to its first NUL. */
	user = p_strndup(request->pool, name, name_len);
	request->original_username = user;

	if (valid && set->auth_default_realm != NULL &&
	    set->auth_default_realm[0] != '\0' && strchr(user, '@') == NULL) {
		user = p_strconcat(request->pool, user, "@",
				   set->auth_default_realm, NULL);
	}
	format = set->auth_username_format;
	if (valid && format != NULL && format[0] != '\0') {
		string_t *dest = str_new(request->pool, 64);
		struct var_expand_table *tab = var_expand_table_login(
		    request->pool, user, request->service, request->remote_ip,
		    request->local_ip, NULL, request->session);
		if (var_expand(dest, format, tab, &error) < 0) {
			i_error("auth_username_format %s: %s", format, error);
			valid = false;
			error = "Username format failed";
		} else if (str_len(dest) == 0) {
			valid = false;
			error = "Empty username after formatting";
		} else {
			user = str_c(dest);
		}
	}
	request->user = user;
	request->invalid_user = !valid;
	*error_r = error;
	if (!valid && auth_verbose_enabled(request->auth, NULL)) {
		i_info("%s: %s",
		       auth_request_log_prefix(
			   request, request->mech != NULL ? "auth" : "lookup"),
		       error);
	}
	return valid;
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
	const char *ukey;

	if (str_begins(key, "userdb_", &ukey)) {
		if (ukey[0] != '\0')
			fields_set(request->pool, &request->userdb_prefetch,
				   ukey, value);
		return;
	}
	if (strcmp(key, "user") == 0 && value != NULL && value[0] != '\0') {
		/* The passdb changed the user name (e.g. case). */
		request->user = p_strdup(request->pool, value);
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
	string_t *dest = str_new(request->pool, 64);
	struct var_expand_table *tab;

	tab = var_expand_table_login(
	    request->pool, request->user, request->service, request->remote_ip,
	    request->local_ip,
	    auth_fields_find(&request->userdb_fields, "home"),
	    request->session);
	if (var_expand(dest, tmpl, tab, error_r) < 0)
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
	auth_request_reply(request, AUTH_REPLY_SUCCESS, NULL, 0);
}

void auth_request_success(struct auth_request *request)
{
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

static bool passdb_allows_mech(const struct passdb_module *passdb,
			       const struct auth_request *request)
{
	const char *mechs = passdb->set->mechanisms;
	char **list;
	bool found = false;

	if (mechs == NULL || mechs[0] == '\0' || request->mech == NULL)
		return true;
	pool_t pool = pool_create("mechs", 128);
	list = p_strsplit_spaces(pool, mechs, " ,");
	for (unsigned int i = 0; list[i] != NULL && !found; i++) {
		if (strcasecmp(list[i], request->mech->name) == 0)
			found = true;
	}
	pool_unref(&pool);
	return found;
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

static void verify_job_done(void *context)
{
	struct verify_job *job = context;
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
	if (pw.scheme->slow)
		auth_worker_submit(verify_job_run, verify_job_done, job);
	else {
		verify_job_run(job);
		verify_job_done(job);
	}
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

static void passdb_chain_finish(struct auth_request *request)
{
	if (request->passdb_success) {
		auth_request_success(request);
	} else if (request->passdb_internal_failure &&
		   request->passdb_result != PASSDB_RESULT_PASSWORD_MISMATCH) {
		auth_request_internal_failure(request);
	} else {
		auth_request_reply(request, AUTH_REPLY_FAIL, NULL, 0);
	}
}

static void passdb_handle_result(struct auth_request *request,
				 enum passdb_result result)
{
	struct passdb_module *passdb = current_passdb(request);
	const struct auth_db_settings *set = passdb->set;
	const char *driver = passdb->iface->name;
	enum db_result_action action;
	bool stop;

	if (auth_cache_passdb_verified(request, result)) {
		/* checked against a cached entry that may be stale */
		passdb_verify_next(request);
		return;
	}
	if (result == PASSDB_RESULT_OK && set->deny) {
		auth_request_log_info(request, driver,
				      "User found from deny passdb");
		request->passdb_success = false;
		request->passdb_result = PASSDB_RESULT_USER_DISABLED;
		passdb_chain_finish(request);
		return;
	}
	if (set->deny && result == PASSDB_RESULT_USER_UNKNOWN) {
		/* not in the deny list: go on without changing anything */
		request->passdb_idx++;
		passdb_verify_next(request);
		return;
	}

	if (auth_verbose_enabled(request->auth, set)) {
		if (result == PASSDB_RESULT_USER_UNKNOWN)
			auth_request_log_info(request, driver, "unknown user");
		else if (result == PASSDB_RESULT_PASSWORD_MISMATCH)
			auth_request_log_info(request, driver,
					      "Password mismatch");
	}

	request->passdb_result = result;
	if (result == PASSDB_RESULT_OK) {
		apply_db_fields(request, set, false);
		action = set->result_success;
	} else if (result == PASSDB_RESULT_INTERNAL_FAILURE ||
		   result == PASSDB_RESULT_SCHEME_NOT_AVAILABLE) {
		request->passdb_internal_failure = true;
		action = set->result_internalfail;
	} else {
		action = set->result_failure;
	}

	switch (action) {
	case DB_RESULT_RETURN_OK:
		stop = true;
		request->passdb_success = result == PASSDB_RESULT_OK;
		break;
	case DB_RESULT_RETURN_FAIL:
		stop = true;
		request->passdb_success = false;
		break;
	case DB_RESULT_RETURN:
		stop = true;
		request->passdb_success = result == PASSDB_RESULT_OK;
		break;
	case DB_RESULT_CONTINUE_OK:
		stop = false;
		if (result == PASSDB_RESULT_OK)
			request->passdb_success = true;
		break;
	case DB_RESULT_CONTINUE_FAIL:
		stop = false;
		request->passdb_success = false;
		break;
	case DB_RESULT_CONTINUE:
	default:
		stop = false;
		break;
	}
	/* A wrong password or unknown user never turns into a success. */
	if (result != PASSDB_RESULT_OK && stop)
		request->passdb_success = false;
	if (result == PASSDB_RESULT_OK)
		request->passdb_internal_failure = false;

	if (stop || request->passdb_idx + 1 >= request->auth->passdbs.count) {
		passdb_chain_finish(request);
		return;
	}
	request->passdb_idx++;
	passdb_verify_next(request);
}

static void passdb_verify_next(struct auth_request *request)
{
	struct passdb_module *passdb;

	if (request->aborted)
		return;
	while (request->passdb_idx < request->auth->passdbs.count &&
	       !passdb_allows_mech(current_passdb(request), request))
		request->passdb_idx++;
	if (request->passdb_idx >= request->auth->passdbs.count) {
		passdb_chain_finish(request);
		return;
	}
	passdb = current_passdb(request);
	if (request->invalid_user) {
		/* Same work and answer as an unknown user. */
		if (passdb->dummy_hash != NULL) {
			request->passdb_idx = request->auth->passdbs.count - 1;
			passdb_start_verify(request, passdb, passdb->dummy_hash,
					    true);
		} else {
			passdb_chain_finish(request);
		}
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

void auth_request_verify_plain(struct auth_request *request,
			       const char *password)
{
	if (request->aborted || request->finished)
		return;
	if (request->password != NULL)
		safe_memset0(request->password, strlen(request->password));
	request->password = p_strdup(request->pool, password);
	request->passdb_idx = 0;
	request->passdb_success = false;
	request->passdb_internal_failure = false;
	if (request->auth->passdbs.count == 0) {
		auth_request_log_error(request, "auth",
				       "No passdbs configured");
		auth_request_internal_failure(request);
		return;
	}
	passdb_verify_next(request);
}

/* --- passdb chain: credentials and lookups --- */

static void passdb_credentials_next(struct auth_request *request);

/* Hands pw to the scheme credentials callback in request->credentials_scheme
 * (converting a plaintext password). Returns false when it cannot. */
static bool credentials_in_scheme(struct auth_request *request,
				  struct passdb_module *passdb,
				  const struct password_stored *pw)
{
	const struct password_scheme *want =
	    password_scheme_find(request->credentials_scheme);
	const char *plain, *error;
	string_t *raw;

	if (want == NULL)
		return false;
	if (pw->scheme == want) {
		raw = str_new(request->pool, pw->raw_size + 1);
		str_append_n(raw, pw->raw, pw->raw_size);
	} else if ((plain = password_get_plaintext(pw)) != NULL) {
		raw = str_new(request->pool, 128);
		if (want->generate(plain, 0, raw, &error) < 0) {
			auth_request_log_error(request, passdb->iface->name,
					       "%s: %s", want->name, error);
			return false;
		}
	} else {
		auth_request_log_info(
		    request, passdb->iface->name,
		    "Requested %s scheme, but we have only %s", want->name,
		    pw->scheme->name);
		return false;
	}
	apply_db_fields(request, passdb->set, false);
	request->passdb_result = PASSDB_RESULT_OK;
	request->scheme_credentials_callback(request, PASSDB_RESULT_OK,
					     str_data(raw), str_len(raw));
	return true;
}

static void scheme_credentials_failed(struct auth_request *request,
				      enum passdb_result result,
				      const char *password)
{
	i_assert(result != PASSDB_RESULT_OK);
	request->scheme_credentials_callback(request, result, NULL, 0);
}

void auth_request_lookup_credentials_scheme(
    struct auth_request *request, const char *scheme,
    auth_request_scheme_credentials_callback_t *cb)
{
	request->credentials_scheme = p_strdup(request->pool, scheme);
	request->scheme_credentials_callback = cb;
	auth_request_lookup_credentials(request, scheme_credentials_failed);
}

static void passdb_credentials_callback(struct auth_request *request,
					enum passdb_result result,
					const char *password)
{
	struct passdb_module *passdb = current_passdb(request);
	struct password_stored pw;
	const char *error, *plain;

	if (request->aborted)
		return;
	if (result == PASSDB_RESULT_OK) {
		if (password == NULL) {
			result = PASSDB_RESULT_SCHEME_NOT_AVAILABLE;
		} else if (password_parse(request->pool, password,
					  passdb->default_scheme, &pw,
					  &error) <= 0) {
			auth_request_log_error(request, passdb->iface->name,
					       "Invalid password in passdb: %s",
					       error);
			result = PASSDB_RESULT_INTERNAL_FAILURE;
		} else if (request->credentials_scheme != NULL) {
			if (credentials_in_scheme(request, passdb, &pw))
				return;
			result = PASSDB_RESULT_SCHEME_NOT_AVAILABLE;
		} else if ((plain = password_get_plaintext(&pw)) == NULL) {
			auth_request_log_info(
			    request, passdb->iface->name,
			    "Requested CLEARTEXT scheme, but we have only %s",
			    pw.scheme->name);
			result = PASSDB_RESULT_SCHEME_NOT_AVAILABLE;
		} else {
			apply_db_fields(request, passdb->set, false);
			request->passdb_result = PASSDB_RESULT_OK;
			request->credentials_callback(request, PASSDB_RESULT_OK,
						      plain);
			return;
		}
	} else if (result == PASSDB_RESULT_USER_UNKNOWN &&
		   auth_verbose_enabled(request->auth, passdb->set)) {
		auth_request_log_info(request, passdb->iface->name,
				      "unknown user");
	}
	/* Keep the most informative result. */
	if (result != PASSDB_RESULT_USER_UNKNOWN ||
	    request->passdb_result == PASSDB_RESULT_USER_UNKNOWN)
		request->passdb_result = result;
	request->passdb_idx++;
	passdb_credentials_next(request);
}

static void passdb_credentials_next(struct auth_request *request)
{
	struct passdb_module *passdb = NULL;

	while (request->passdb_idx < request->auth->passdbs.count) {
		passdb = current_passdb(request);
		if (!passdb->set->deny && passdb->iface->lookup != NULL &&
		    passdb_allows_mech(passdb, request))
			break;
		request->passdb_idx++;
	}
	if (request->passdb_idx >= request->auth->passdbs.count) {
		request->credentials_callback(request, request->passdb_result,
					      NULL);
		return;
	}
	i_assert(passdb != NULL);
	auth_cache_passdb_lookup(request, passdb, passdb_credentials_callback);
}

void auth_request_lookup_credentials(struct auth_request *request,
				     auth_request_credentials_callback_t *cb)
{
	request->credentials_callback = cb;
	request->passdb_idx = 0;
	request->passdb_result = PASSDB_RESULT_USER_UNKNOWN;
	if (request->invalid_user) {
		cb(request, PASSDB_RESULT_USER_UNKNOWN, NULL);
		return;
	}
	passdb_credentials_next(request);
}

static void lookup_passdb_credentials_cb(struct auth_request *request,
					 enum passdb_result result,
					 const char *password)
{
	auth_request_lookup_callback_t *cb = request->lookup_callback;

	if (request->aborted)
		return;
	switch (result) {
	case PASSDB_RESULT_OK:
		request->passdb_success = true;
		cb(request, AUTH_LOOKUP_OK);
		break;
	case PASSDB_RESULT_INTERNAL_FAILURE:
		cb(request, AUTH_LOOKUP_INTERNAL_FAIL);
		break;
	default:
		cb(request, AUTH_LOOKUP_NOTFOUND);
		break;
	}
}

static void lookup_passdb_callback(struct auth_request *request,
				   enum passdb_result result,
				   const char *password)
{
	struct passdb_module *passdb;

	if (request->aborted)
		return;
	if (result == PASSDB_RESULT_OK) {
		passdb = current_passdb(request);
		apply_db_fields(request, passdb->set, false);
		lookup_passdb_credentials_cb(request, result, NULL);
		return;
	}
	if (result == PASSDB_RESULT_INTERNAL_FAILURE)
		request->passdb_internal_failure = true;
	request->passdb_idx++;
	while (request->passdb_idx < request->auth->passdbs.count &&
	       (current_passdb(request)->set->deny ||
		current_passdb(request)->iface->lookup == NULL))
		request->passdb_idx++;
	if (request->passdb_idx >= request->auth->passdbs.count) {
		lookup_passdb_credentials_cb(
		    request,
		    request->passdb_internal_failure
			? PASSDB_RESULT_INTERNAL_FAILURE
			: PASSDB_RESULT_USER_UNKNOWN,
		    NULL);
		return;
	}
	passdb = current_passdb(request);
	auth_cache_passdb_lookup(request, passdb, lookup_passdb_callback);
}

void auth_request_lookup_passdb(struct auth_request *request,
				auth_request_lookup_callback_t *cb)
{
	request->lookup_callback = cb;
	request->passdb_idx = 0;
	if (request->invalid_user) {
		cb(request, AUTH_LOOKUP_NOTFOUND);
		return;
	}
	/* Start from a "previous passdb failed" state and let the callback
	 * walk the list. */
	request->passdb_idx = (unsigned int)-1;
	lookup_passdb_callback(request, PASSDB_RESULT_USER_UNKNOWN, NULL);
}

/* --- userdb chain --- */

static void userdb_chain_next(struct auth_request *request);

static void userdb_chain_finish(struct auth_request *request)
{
	auth_request_lookup_callback_t *cb = request->lookup_callback;

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

	if (request->aborted)
		return;
	userdb = request->auth->userdbs.items[request->userdb_idx];
	switch (result) {
	case USERDB_RESULT_OK:
		apply_db_fields(request, userdb->set, true);
		request->userdb_found = true;
		userdb_chain_finish(request);
		return;
	case USERDB_RESULT_USER_UNKNOWN:
		if (auth_verbose_enabled(request->auth, userdb->set)) {
			auth_request_log_info(request, userdb->iface->name,
					      "unknown user");
		}
		break;
	case USERDB_RESULT_INTERNAL_FAILURE:
		request->userdb_internal_failure = true;
		break;
	}
	request->userdb_idx++;
	userdb_chain_next(request);
}

static void userdb_chain_next(struct auth_request *request)
{
	struct userdb_module *userdb;

	if (request->aborted)
		return;
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
		cb(request, AUTH_LOOKUP_NOTFOUND);
		return;
	}
	userdb_chain_start(request);
}
