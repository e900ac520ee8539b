/* db-nss.c - getpwnam_r()/getspnam_r() in the worker pool with a
 * deadline. The worker copies what it found into heap memory owned by
 * the job (the shadow hash is wiped when freed); the ioloop side copies
 * it into the request's pool and calls the driver back. */
#include "lib.h"
#include "pool.h"
#include "settings-registry.h"
#include "auth-worker.h"
#include "db-nss.h"

#include <pwd.h>
#include <shadow.h>

/* Largest buffer getpwnam_r/getspnam_r may ask for (ERANGE doubling). */
#define DB_NSS_MAX_BUFSIZE (1024 * 1024)

struct db_nss_job {
	struct auth_request *request;
	const char *driver;
	enum db_nss_kind kind;
	unsigned int timeout_msecs;
	db_nss_callback_t *callback;
	void *context;

	/* worker side */
	char *user;
	int ret, error_errno;
	char *name, *password, *home, *shell;
	uid_t uid;
	gid_t gid;
};

/* getpwnam(3): these mean "not found" rather than an error. */
static bool nss_errno_is_notfound(int err)
{
	return err == 0 || err == ENOENT || err == ESRCH || err == EBADF ||
	       err == EPERM;
}

static char *dup_or_null(const char *s)
{
	return s == NULL ? NULL : i_strdup(s);
}

static void db_nss_job_run(void *context)
{
	struct db_nss_job *job = context;
	/* no separate limit exists for shadow entries */
	long initial = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t size = initial > 0 ? (size_t)initial : 1024;
	char *buf;
	int err;

	for (;;) {
		buf = i_malloc(size);
		if (job->kind == DB_NSS_PASSWD) {
			struct passwd pw, *result = NULL;

			err = getpwnam_r(job->user, &pw, buf, size, &result);
			if (err == 0 && result != NULL) {
				job->name = dup_or_null(pw.pw_name);
				job->password = dup_or_null(pw.pw_passwd);
				job->home = dup_or_null(pw.pw_dir);
				job->shell = dup_or_null(pw.pw_shell);
				job->uid = pw.pw_uid;
				job->gid = pw.pw_gid;
			}
			if (result == NULL && err == 0)
				err = ENOENT;
		} else {
			struct spwd sp, *result = NULL;

			err = getspnam_r(job->user, &sp, buf, size, &result);
			if (err == 0 && result != NULL) {
				job->name = dup_or_null(sp.sp_namp);
				job->password = dup_or_null(sp.sp_pwdp);
			}
			if (result == NULL && err == 0)
				err = ENOENT;
		}
		safe_memset0(buf, size);
		i_free(buf);
		if (err != ERANGE || size >= DB_NSS_MAX_BUFSIZE)
			break;
		size *= 2;
	}
	if (job->name != NULL)
		job->ret = 1;
	else if (nss_errno_is_notfound(err))
		job->ret = 0;
	else {
		job->ret = -1;
		job->error_errno = err;
	}
}

static void db_nss_job_release(void *context)
{
	struct db_nss_job *job = context;

	if (job->password != NULL) {
		safe_memset0(job->password, strlen(job->password));
		i_free(job->password);
	}
	i_free(job->user);
	i_free(job->name);
	i_free(job->home);
	i_free(job->shell);
	i_free(job);
}

static void db_nss_job_done(void *context)
{
	struct db_nss_job *job = context;
	struct auth_request *request = job->request;
	struct db_nss_entry entry;

	if (!request->aborted) {
		switch (job->ret) {
		case 1:
			memset(&entry, 0, sizeof(entry));
			entry.name = p_strdup(request->pool, job->name);
			entry.password = p_strdup(request->pool, job->password);
			entry.home = p_strdup(request->pool, job->home);
			entry.shell = p_strdup(request->pool, job->shell);
			entry.uid = job->uid;
			entry.gid = job->gid;
			job->callback(request, 1, &entry, job->context);
			break;
		case 0:
			job->callback(request, 0, NULL, job->context);
			break;
		default:
			errno = job->error_errno;
			auth_request_log_error(
			    request, job->driver, "%s failed: %m",
			    job->kind == DB_NSS_PASSWD ? "getpwnam_r()"
						       : "getspnam_r()");
			job->callback(request, -1, NULL, job->context);
			break;
		}
	}
	db_nss_job_release(job);
	auth_request_unref(&request);
}

static void db_nss_job_timed_out(void *context)
{
	struct db_nss_job *job = context;
	struct auth_request *request = job->request;

	if (!request->aborted) {
		auth_request_log_error(
		    request, job->driver, "%s lookup timed out after %u ms",
		    job->kind == DB_NSS_PASSWD ? "passwd" : "shadow",
		    job->timeout_msecs);
		job->callback(request, -1, NULL, job->context);
	}
	auth_request_unref(&request);
}

void db_nss_lookup(struct auth_request *request, const char *driver,
		   enum db_nss_kind kind, unsigned int timeout_msecs,
		   db_nss_callback_t *callback, void *context)
{
	struct db_nss_job *job = i_malloc(sizeof(*job));

	job->request = request;
	job->driver = driver;
	job->kind = kind;
	job->timeout_msecs = timeout_msecs;
	job->callback = callback;
	job->context = context;
	job->user = i_strdup(request->user);
	auth_request_ref(request);
	auth_worker_submit_timeout(db_nss_job_run, db_nss_job_done,
				   db_nss_job_timed_out, db_nss_job_release,
				   job, timeout_msecs);
}

int db_lookup_timeout_parse(pool_t pool, const struct db_args *args,
			    unsigned int *msecs_r, const char **error_r)
{
	const char *value = db_args_get(args, "lookup_timeout");
	uint64_t msecs;

	*msecs_r = DB_LOOKUP_TIMEOUT_DEFAULT_MSECS;
	if (value == NULL)
		return 0;
	if (setting_parse_time_msecs(value, false, &msecs) < 0 || msecs == 0 ||
	    msecs > UINT32_MAX) {
		*error_r = p_strdup_printf(
		    pool,
		    "Invalid lookup_timeout: '%s' (expected a time such as "
		    "'30 secs' or '500 ms')",
		    value);
		return -1;
	}
	*msecs_r = (unsigned int)msecs;
	return 0;
}

bool db_nss_password_usable(const char *password)
{
	/* "x": the hash is in the shadow database, not here */
	return password != NULL && password[0] != '\0' && password[0] != '*' &&
	       password[0] != '!' && strcmp(password, "x") != 0;
}
