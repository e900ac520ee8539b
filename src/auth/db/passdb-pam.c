/* passdb-pam.c - the pam passdb: PAM checks the password (verify_plain
 * only; there is no stored password, so mechanisms that need one refuse).
 *
 * 2.3: args = [session=yes] [setcred=yes] [failure_show_msg=yes]
 *             [max_requests=N] [cache_key=KEY] [lookup_timeout=TIME]
 *             [SERVICE]
 *      SERVICE "*" (or "%s") is the protocol service, so that
 *      /etc/pam.d/imap and /etc/pam.d/pop3 decide per service; the
 *      default is "dovecot", so existing /etc/pam.d/dovecot files apply.
 * 2.4: passdb pam { passdb_pam_service_name = %{protocol}
 *      passdb_pam_session = yes ... } (also without the passdb_ prefix).
 *
 * Each verification is one PAM transaction in the auth worker pool:
 * pam_start(service, user), PAM_RHOST = the client's IP, PAM_TTY, a
 * conversation that answers the password prompt (echo off) with the
 * password and the login prompt (echo on) with the user name,
 * pam_authenticate(), pam_acct_mgmt(), optionally pam_setcred() and a
 * session opened and closed at once, pam_end(). It has a deadline
 * (lookup_timeout, a Loft setting, default 30 s): a module that hangs
 * fails that login with an internal (temporary) error and its thread is
 * replaced, so other logins go on. failure_show_msg=yes sends the last
 * PAM error message to the client instead of the generic failure (off by
 * default: it may tell users apart). max_requests is accepted for Dovecot
 * configs; it bounds auth-worker process lifetimes there and has no
 * equivalent for threads. cache_key is kept for the auth cache. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "passdb.h"
#include "auth-worker.h"
#include "db-common.h"
#include "db-nss.h"

#include <security/pam_appl.h>
#include <strings.h>

#define PAM_DEFAULT_SERVICE "dovecot"
#define PAM_DEFAULT_MAX_REQUESTS 100
/* PAM_TTY for modules that insist on one (as Dovecot sets its name). */
#define PAM_TTY_NAME "loft"

struct pam_passdb {
	struct passdb_module module;
	const char *service_name; /* template, may contain %-variables */
	const char *cache_key;
	bool session, setcred, failure_show_msg;
	unsigned int max_requests;
	unsigned int timeout_msecs;
};

/* One PAM transaction. The worker thread touches only the fields below
 * "worker side" and the immutable inputs; all heap, wiped and freed by
 * pam_job_free(). */
struct pam_job {
	struct auth_request *request;
	const struct pam_passdb *passdb;
	passdb_verify_callback_t *callback;

	/* inputs */
	char *service, *user, *password, *rhost;
	bool session, setcred;

	/* worker side */
	int status;
	bool start_failed;
	const char *failed_func; /* static */
	char *pam_error;	 /* pam_strerror() of the failure */
	char *failure_msg;	 /* last PAM_ERROR_MSG from a module */
	char *pam_user;		 /* PAM_USER after success */
};

static void str_wipe_free(char **p)
{
	if (*p != NULL) {
		safe_memset0(*p, strlen(*p));
		i_free(*p);
	}
}

/* Sets a flag from "yes"/"no" style values; returns -1 for others. */
static int pam_parse_bool(const char *value, bool *b_r)
{
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "y") == 0 ||
	    strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0) {
		*b_r = true;
		return 0;
	}
	if (strcasecmp(value, "no") == 0 || strcasecmp(value, "n") == 0 ||
	    strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0) {
		*b_r = false;
		return 0;
	}
	return -1;
}

/* Name in either 2.4 spelling ("passdb_pam_X" or "pam_X") or 2.3's. */
static bool pam_key_is(const char *key, const char *name23)
{
	const char *rest;

	if (str_begins(key, "passdb_pam_", &rest) ||
	    str_begins(key, "pam_", &rest))
		key = rest;
	return strcmp(key, name23) == 0 || (strcmp(name23, "service") == 0 &&
					    strcmp(key, "service_name") == 0);
}

static int pam_passdb_init(pool_t pool, const struct auth_db_settings *set,
			   const char *default_scheme,
			   struct passdb_module **module_r,
			   const char **error_r)
{
	struct pam_passdb *p = p_new(pool, struct pam_passdb, 1);
	struct db_args args;

	db_args_parse(pool, set, &args);
	p->service_name = PAM_DEFAULT_SERVICE;
	p->max_requests = PAM_DEFAULT_MAX_REQUESTS;
	for (unsigned int i = 0; i < args.count; i++) {
		const char *key = args.keys[i], *value = args.values[i];
		bool *flag = NULL;

		if (value == NULL) {
			/* 2.3: a bare word is the service name */
			p->service_name = key;
		} else if (pam_key_is(key, "service")) {
			p->service_name = value;
		} else if (pam_key_is(key, "session")) {
			flag = &p->session;
		} else if (pam_key_is(key, "setcred")) {
			flag = &p->setcred;
		} else if (pam_key_is(key, "failure_show_msg")) {
			flag = &p->failure_show_msg;
		} else if (pam_key_is(key, "max_requests")) {
			if (str_to_uint(value, &p->max_requests) < 0) {
				*error_r = p_strdup_printf(
				    pool, "pam: Invalid max_requests: '%s'",
				    value);
				return -1;
			}
		} else if (pam_key_is(key, "cache_key")) {
			p->cache_key = value;
		} else if (strcmp(key, "lookup_timeout") == 0) {
			/* parsed below */
		} else {
			*error_r = p_strdup_printf(
			    pool, "pam: Unknown setting: %s", key);
			return -1;
		}
		if (flag != NULL && pam_parse_bool(value, flag) < 0) {
			*error_r = p_strdup_printf(
			    pool, "pam: Invalid value for %s: '%s'", key,
			    value);
			return -1;
		}
	}
	if (strcmp(p->service_name, "*") == 0)
		p->service_name = "%s";
	if (p->service_name[0] == '\0') {
		*error_r = "pam: Empty service name";
		return -1;
	}
	if (db_lookup_timeout_parse(pool, &args, &p->timeout_msecs, error_r) <
	    0)
		return -1;
	/* Only the dummy verification of invalid user names uses it. */
	p->module.default_scheme = p_strdup(pool, "PLAIN");
	*module_r = &p->module;
	return 0;
}

/* --- worker thread --- */

/* Answers the prompts. Responses are malloc()ed: PAM frees them. */
static int pam_userpass_conv(int num_msg, const struct pam_message **msg,
			     struct pam_response **resp_r, void *appdata_ptr)
{
	struct pam_job *job = appdata_ptr;
	struct pam_response *resp;

	*resp_r = NULL;
	if (num_msg <= 0)
		return PAM_CONV_ERR;
	resp = calloc((size_t)num_msg, sizeof(*resp));
	if (resp == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < num_msg; i++) {
		const char *answer = NULL;

		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_ON:
			answer = job->user;
			break;
		case PAM_PROMPT_ECHO_OFF:
			answer = job->password;
			break;
		case PAM_ERROR_MSG:
			if (msg[i]->msg != NULL) {
				i_free(job->failure_msg);
				job->failure_msg = i_strdup(msg[i]->msg);
			}
			continue;
		case PAM_TEXT_INFO:
			continue;
		default:
			answer = NULL;
			break;
		}
		if (answer == NULL || (resp[i].resp = strdup(answer)) == NULL) {
			for (int j = 0; j < i; j++) {
				if (resp[j].resp != NULL) {
					safe_memset0(resp[j].resp,
						     strlen(resp[j].resp));
					free(resp[j].resp);
				}
			}
			free(resp);
			return answer == NULL ? PAM_CONV_ERR : PAM_BUF_ERR;
		}
	}
	*resp_r = resp;
	return PAM_SUCCESS;
}

static int pam_job_fail(struct pam_job *job, pam_handle_t *pamh,
			const char *func, int status)
{
	job->failed_func = func;
	job->pam_error = i_strdup(pam_strerror(pamh, status));
	return status;
}

static int pam_job_transaction(struct pam_job *job, pam_handle_t *pamh)
{
	const void *item;
	int status;

	if (job->rhost != NULL &&
	    (status = pam_set_item(pamh, PAM_RHOST, job->rhost)) != PAM_SUCCESS)
		return pam_job_fail(job, pamh, "pam_set_item(PAM_RHOST)",
				    status);
	if ((status = pam_set_item(pamh, PAM_TTY, PAM_TTY_NAME)) != PAM_SUCCESS)
		return pam_job_fail(job, pamh, "pam_set_item(PAM_TTY)", status);
	if ((status = pam_authenticate(pamh, 0)) != PAM_SUCCESS)
		return pam_job_fail(job, pamh, "pam_authenticate()", status);
	if ((status = pam_acct_mgmt(pamh, 0)) != PAM_SUCCESS)
		return pam_job_fail(job, pamh, "pam_acct_mgmt()", status);
	if (job->setcred &&
	    (status = pam_setcred(pamh, PAM_ESTABLISH_CRED)) != PAM_SUCCESS)
		return pam_job_fail(job, pamh, "pam_setcred()", status);
	if (job->session) {
		if ((status = pam_open_session(pamh, 0)) != PAM_SUCCESS)
			return pam_job_fail(job, pamh, "pam_open_session()",
					    status);
		if ((status = pam_close_session(pamh, 0)) != PAM_SUCCESS)
			return pam_job_fail(job, pamh, "pam_close_session()",
					    status);
	}
	if (job->setcred)
		(void)pam_setcred(pamh, PAM_DELETE_CRED);
	/* A module may have changed the name (e.g. case). */
	if (pam_get_item(pamh, PAM_USER, &item) == PAM_SUCCESS && item != NULL)
		job->pam_user = i_strdup(item);
	return PAM_SUCCESS;
}

static void pam_job_run(void *context)
{
	struct pam_job *job = context;
	struct pam_conv conv = {pam_userpass_conv, job};
	pam_handle_t *pamh = NULL;
	int status;

	status = pam_start(job->service, job->user, &conv, &pamh);
	if (status != PAM_SUCCESS) {
		job->start_failed = true;
		job->status = pam_job_fail(job, pamh, "pam_start()", status);
		return;
	}
	job->status = pam_job_transaction(job, pamh);
	(void)pam_end(pamh, job->status);
}

/* --- ioloop side --- */

static void pam_job_free(void *context)
{
	struct pam_job *job = context;

	str_wipe_free(&job->password);
	str_wipe_free(&job->user);
	str_wipe_free(&job->pam_user);
	i_free(job->service);
	i_free(job->rhost);
	i_free(job->pam_error);
	i_free(job->failure_msg);
	i_free(job);
}

static enum passdb_result pam_status_result(int status)
{
	switch (status) {
	case PAM_SUCCESS:
		return PASSDB_RESULT_OK;
	case PAM_USER_UNKNOWN:
		return PASSDB_RESULT_USER_UNKNOWN;
	case PAM_NEW_AUTHTOK_REQD:
	case PAM_ACCT_EXPIRED:
	case PAM_AUTHTOK_EXPIRED:
	case PAM_PERM_DENIED:
		return PASSDB_RESULT_USER_DISABLED;
	case PAM_ABORT:
	case PAM_BUF_ERR:
	case PAM_AUTHINFO_UNAVAIL:
		/* PAM could not work (no memory, a module could not reach
		 * its data): a temporary failure */
		return PASSDB_RESULT_INTERNAL_FAILURE;
	default:
		/* Everything else refuses the login, as in Dovecot: modules
		 * use PAM_SYSTEM_ERR, PAM_SERVICE_ERR ... for "no" too
		 * (pam_exec for a failing command). */
		return PASSDB_RESULT_PASSWORD_MISMATCH;
	}
}

static void pam_job_done(void *context)
{
	struct pam_job *job = context;
	struct auth_request *request = job->request;
	enum passdb_result result;

	if (!request->aborted) {
		result = job->start_failed ? PASSDB_RESULT_INTERNAL_FAILURE
					   : pam_status_result(job->status);
		if (result == PASSDB_RESULT_OK) {
			if (job->pam_user != NULL &&
			    strcmp(job->pam_user, request->user) != 0) {
				auth_request_set_passdb_field(request, "user",
							      job->pam_user);
			}
		} else if (result == PASSDB_RESULT_INTERNAL_FAILURE) {
			auth_request_log_error(
			    request, "pam", "%s failed: %s (service %s)",
			    job->failed_func, job->pam_error, job->service);
		} else if (result != PASSDB_RESULT_USER_UNKNOWN) {
			auth_request_log_info(
			    request, "pam", "%s failed: %s%s%s",
			    job->failed_func, job->pam_error,
			    job->failure_msg != NULL ? ": " : "",
			    job->failure_msg != NULL ? job->failure_msg : "");
		}
		if (result != PASSDB_RESULT_OK &&
		    result != PASSDB_RESULT_INTERNAL_FAILURE &&
		    job->passdb->failure_show_msg && job->failure_msg != NULL) {
			/* failure_show_msg: the client sees PAM's message
			 * instead of "Authentication failed". */
			request->fail_reason =
			    p_strdup(request->pool, job->failure_msg);
		}
		job->callback(request, result);
	}
	pam_job_free(job);
	auth_request_unref(&request);
}

static void pam_job_timed_out(void *context)
{
	struct pam_job *job = context;
	struct auth_request *request = job->request;

	/* Only the immutable inputs are read here: run() may go on. */
	if (!request->aborted) {
		auth_request_log_error(
		    request, "pam",
		    "PAM transaction timed out after %u ms (service %s); "
		    "abandoning it",
		    job->passdb->timeout_msecs, job->service);
		job->callback(request, PASSDB_RESULT_INTERNAL_FAILURE);
	}
	auth_request_unref(&request);
}

static void pam_passdb_verify_plain(struct passdb_module *module,
				    struct auth_request *request,
				    const char *password,
				    passdb_verify_callback_t *callback)
{
	struct pam_passdb *p = (struct pam_passdb *)module;
	struct pam_job *job;
	const char *service, *error;

	service = auth_request_var_expand(request, p->service_name, &error);
	if (service == NULL || service[0] == '\0') {
		auth_request_log_error(
		    request, "pam", "Failed to expand service name '%s': %s",
		    p->service_name, service == NULL ? error : "empty");
		callback(request, PASSDB_RESULT_INTERNAL_FAILURE);
		return;
	}
	job = i_malloc(sizeof(*job));
	job->request = request;
	job->passdb = p;
	job->callback = callback;
	job->service = i_strdup(service);
	job->user = i_strdup(request->user);
	job->password = i_strdup(password);
	job->rhost = request->remote_ip != NULL && request->remote_ip[0] != '\0'
			 ? i_strdup(request->remote_ip)
			 : NULL;
	job->session = p->session;
	job->setcred = p->setcred;
	auth_request_ref(request);
	auth_worker_submit_timeout(pam_job_run, pam_job_done, pam_job_timed_out,
				   pam_job_free, job, p->timeout_msecs);
}

const struct passdb_module_interface passdb_pam = {
    .name = "pam",
    .init = pam_passdb_init,
    .verify_plain = pam_passdb_verify_plain,
};
