/* test-auth-drivers.c - the auth worker pool's deadlines (a job that
 * blocks is abandoned, its thread replaced, other jobs keep running, the
 * blocked job is released when it finally returns, shutdown never waits
 * for it) and the system drivers' settings parsing (pam, passwd, shadow)
 * in both configuration generations. Lookups through NSS and PAM need
 * real system users and root; the integration tests cover them. */
#include "lib.h"

#include <setjmp.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <time.h>

#include "pool.h"
#include "array.h"
#include "ioloop.h"
#include "auth-worker.h"
#include "auth.h"
#include "auth-request.h"
#include "passdb.h"
#include "userdb.h"
#include "db-common.h"
#include "db-nss.h"
#include "test-auth-common.h"

#include <pwd.h>

/* ---- worker pool ---- */

#define TEST_DEADLINE_MSECS 10000

struct test_job {
	int block_fd; /* run() reads one byte from it; -1 = quick */
	atomic_int started, ran, done, timed_out, released;
	unsigned int *events; /* counted in the ioloop thread */
};

struct test_ctx {
	struct ioloop *ioloop;
	unsigned int events, wanted;
	struct timeout *to_deadline;
	bool deadline_hit;
};

static struct test_ctx tctx;

static void test_job_run(void *context)
{
	struct test_job *job = context;
	char c;

	atomic_store(&job->started, 1);
	if (job->block_fd >= 0) {
		while (read(job->block_fd, &c, 1) < 0 && errno == EINTR)
			;
	}
	atomic_store(&job->ran, 1);
}

static void test_event(void)
{
	if (++tctx.events >= tctx.wanted)
		ioloop_stop(tctx.ioloop);
}

static void test_job_done(void *context)
{
	struct test_job *job = context;

	atomic_fetch_add(&job->done, 1);
	test_event();
}

static void test_job_timed_out(void *context)
{
	struct test_job *job = context;

	atomic_fetch_add(&job->timed_out, 1);
	if (tctx.ioloop != NULL)
		test_event();
}

static void test_job_release(void *context)
{
	struct test_job *job = context;

	atomic_fetch_add(&job->released, 1);
}

static void test_deadline(void *context)
{
	tctx.deadline_hit = true;
	ioloop_stop(tctx.ioloop);
}

/* Runs the loop until `wanted` more done/timed_out events happened. */
static void test_run_until(unsigned int wanted)
{
	tctx.events = 0;
	tctx.wanted = wanted;
	tctx.to_deadline = timeout_add_once(TEST_DEADLINE_MSECS, test_deadline,
					    NULL, &tctx.to_deadline);
	ioloop_run(tctx.ioloop);
	if (tctx.to_deadline != NULL)
		timeout_remove(&tctx.to_deadline);
	assert_false(tctx.deadline_hit);
}

/* Polls an atomic flag set by a worker thread, with a deadline. */
static void test_wait_flag(atomic_int *flag, int value)
{
	struct timespec ts = {0, 2 * 1000 * 1000};

	for (unsigned int i = 0; i < TEST_DEADLINE_MSECS / 2; i++) {
		if (atomic_load(flag) == value)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("worker thread did not get there in time");
}

struct blocker {
	int fd[2];
};

static void blocker_init(struct blocker *b, struct test_job *job)
{
	assert_int_equal(pipe(b->fd), 0);
	job->block_fd = b->fd[0];
}

static void blocker_release(struct blocker *b)
{
	assert_int_equal(write(b->fd[1], "x", 1), 1);
}

static void blocker_deinit(struct blocker *b)
{
	close(b->fd[0]);
	close(b->fd[1]);
}

static int worker_setup(void **state)
{
	memset(&tctx, 0, sizeof(tctx));
	tctx.ioloop = ioloop_create();
	return 0;
}

static int worker_teardown(void **state)
{
	auth_worker_pool_deinit();
	ioloop_destroy(&tctx.ioloop);
	return 0;
}

static void test_worker_sync_without_pool(void **state)
{
	struct test_job job = {.block_fd = -1};

	/* No pool: run and done inside the call, no deadline applies. */
	tctx.wanted = 100;
	auth_worker_submit_timeout(test_job_run, test_job_done,
				   test_job_timed_out, test_job_release, &job,
				   1);
	assert_int_equal(job.ran, 1);
	assert_int_equal(job.done, 1);
	assert_int_equal(job.timed_out, 0);
	assert_int_equal(job.released, 0);
}

static void test_worker_done_in_time(void **state)
{
	struct test_job job = {.block_fd = -1};

	auth_worker_pool_init(2);
	auth_worker_submit_timeout(test_job_run, test_job_done,
				   test_job_timed_out, test_job_release, &job,
				   TEST_DEADLINE_MSECS);
	test_run_until(1);
	assert_int_equal(job.done, 1);
	assert_int_equal(job.timed_out, 0);
	/* done() owns the context: release() is only for timeouts */
	assert_int_equal(job.released, 0);
	assert_int_equal(auth_worker_pool_abandoned_count(), 0);
}

static void test_worker_hung_job_replaced(void **state)
{
	struct test_job hung = {.block_fd = -1}, quick = {.block_fd = -1};
	struct blocker b;

	blocker_init(&b, &hung);
	/* One thread: the quick job can only run if the hung one's thread
	 * is replaced. */
	auth_worker_pool_init(1);
	auth_worker_submit_timeout(test_job_run, test_job_done,
				   test_job_timed_out, test_job_release, &hung,
				   50);
	auth_worker_submit(test_job_run, test_job_done, &quick);
	test_run_until(2);
	assert_int_equal(hung.started, 1);
	assert_int_equal(hung.timed_out, 1);
	assert_int_equal(hung.done, 0);
	assert_int_equal(quick.done, 1);
	/* still inside run(): not released yet */
	assert_int_equal(hung.released, 0);
	assert_int_equal(auth_worker_pool_thread_count(), 1);
	assert_int_equal(auth_worker_pool_abandoned_count(), 1);

	blocker_release(&b);
	test_wait_flag(&hung.released, 1);
	assert_int_equal(hung.ran, 1);
	assert_int_equal(hung.done, 0);
	for (unsigned int i = 0; i < 1000; i++) {
		if (auth_worker_pool_abandoned_count() == 0)
			break;
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(auth_worker_pool_abandoned_count(), 0);

	/* and the pool still works */
	struct test_job again = {.block_fd = -1};
	auth_worker_submit_timeout(test_job_run, test_job_done,
				   test_job_timed_out, test_job_release, &again,
				   TEST_DEADLINE_MSECS);
	test_run_until(1);
	assert_int_equal(again.done, 1);
	blocker_deinit(&b);
}

static void test_worker_queued_job_times_out(void **state)
{
	struct test_job busy = {.block_fd = -1}, queued = {.block_fd = -1};
	struct blocker b;

	blocker_init(&b, &busy);
	auth_worker_pool_init(1);
	/* busy has no deadline and holds the only thread */
	auth_worker_submit(test_job_run, test_job_done, &busy);
	test_wait_flag(&busy.started, 1);
	auth_worker_submit_timeout(test_job_run, test_job_done,
				   test_job_timed_out, test_job_release,
				   &queued, 30);
	test_run_until(1);
	/* never started: timed out and released in the ioloop */
	assert_int_equal(queued.timed_out, 1);
	assert_int_equal(queued.released, 1);
	assert_int_equal(queued.started, 0);
	assert_int_equal(auth_worker_pool_abandoned_count(), 0);

	blocker_release(&b);
	test_run_until(1);
	assert_int_equal(busy.done, 1);
	assert_int_equal(queued.done, 0);
	blocker_deinit(&b);
}

static void test_worker_many_hung_jobs(void **state)
{
	struct test_job hung[4], quick[8];
	struct blocker b[4];

	memset(hung, 0, sizeof(hung));
	memset(quick, 0, sizeof(quick));
	auth_worker_pool_init(2);
	for (unsigned int i = 0; i < N_ELEMENTS(hung); i++) {
		blocker_init(&b[i], &hung[i]);
		auth_worker_submit_timeout(test_job_run, test_job_done,
					   test_job_timed_out, test_job_release,
					   &hung[i], 40);
	}
	for (unsigned int i = 0; i < N_ELEMENTS(quick); i++) {
		quick[i].block_fd = -1;
		auth_worker_submit_timeout(test_job_run, test_job_done,
					   test_job_timed_out, test_job_release,
					   &quick[i], TEST_DEADLINE_MSECS);
	}
	test_run_until(N_ELEMENTS(hung) + N_ELEMENTS(quick));
	for (unsigned int i = 0; i < N_ELEMENTS(hung); i++) {
		assert_int_equal(hung[i].timed_out, 1);
		assert_int_equal(hung[i].done, 0);
	}
	for (unsigned int i = 0; i < N_ELEMENTS(quick); i++) {
		assert_int_equal(quick[i].done, 1);
		assert_int_equal(quick[i].timed_out, 0);
	}
	assert_int_equal(auth_worker_pool_thread_count(), 2);
	for (unsigned int i = 0; i < N_ELEMENTS(hung); i++)
		blocker_release(&b[i]);
	for (unsigned int i = 0; i < N_ELEMENTS(hung); i++) {
		if (atomic_load(&hung[i].started) == 1)
			test_wait_flag(&hung[i].released, 1);
		else
			assert_int_equal(hung[i].released, 1);
	}
	for (unsigned int i = 0; i < N_ELEMENTS(hung); i++)
		blocker_deinit(&b[i]);
}

static void test_worker_deinit_does_not_wait(void **state)
{
	struct test_job hung = {.block_fd = -1}, queued = {.block_fd = -1};
	struct blocker b;

	blocker_init(&b, &hung);
	auth_worker_pool_init(1);
	auth_worker_submit_timeout(test_job_run, test_job_done,
				   test_job_timed_out, test_job_release, &hung,
				   60 * 1000);
	test_wait_flag(&hung.started, 1);
	auth_worker_submit_timeout(test_job_run, test_job_done,
				   test_job_timed_out, test_job_release,
				   &queued, 60 * 1000);
	/* Returns although the only thread is stuck. */
	tctx.wanted = 100;
	auth_worker_pool_deinit();
	assert_int_equal(hung.timed_out, 1);
	assert_int_equal(queued.timed_out, 1);
	assert_int_equal(queued.released, 1);
	assert_int_equal(queued.started, 0);
	assert_int_equal(hung.done, 0);
	/* The stuck thread releases its job (and frees the pool) later. */
	blocker_release(&b);
	test_wait_flag(&hung.released, 1);
	blocker_deinit(&b);
}

/* ---- driver settings ---- */

static struct auth_db_settings *db_set(pool_t pool, const char *driver,
				       const char *args,
				       const char *const *driver_settings)
{
	struct auth_db_settings *db =
	    test_db_settings(pool, driver, args, false);

	for (unsigned int i = 0;
	     driver_settings != NULL && driver_settings[i] != NULL; i++)
		array_push(&db->driver_settings, driver_settings[i]);
	return db;
}

static void test_pam_settings(void **state)
{
	static const struct {
		const char *args;
		const char *v24[6];
		const char *error; /* substring, NULL = accepted */
	} cases[] = {
	    {NULL, {NULL}, NULL},
	    {"", {NULL}, NULL},
	    {"dovecot", {NULL}, NULL},
	    {"*", {NULL}, NULL},
	    {"%s", {NULL}, NULL},
	    {"session=yes setcred=yes failure_show_msg=yes max_requests=10 "
	     "cache_key=%u%r mail",
	     {NULL},
	     NULL},
	    {"lookup_timeout=2s imap", {NULL}, NULL},
	    {"lookup_timeout=500ms", {NULL}, NULL},
	    {"session=maybe", {NULL}, "session"},
	    {"max_requests=many", {NULL}, "max_requests"},
	    {"bogus=1 dovecot", {NULL}, "Unknown setting: bogus"},
	    {"lookup_timeout=0", {NULL}, "lookup_timeout"},
	    {"lookup_timeout=soon", {NULL}, "lookup_timeout"},
	    {NULL,
	     {"passdb_pam_service_name=%{protocol}", "passdb_pam_session=yes",
	      "passdb_pam_setcred=no", "passdb_pam_max_requests=5",
	      "passdb_pam_failure_show_msg=yes", NULL},
	     NULL},
	    {NULL, {"pam_service_name=mail", "pam_session=no", NULL}, NULL},
	    {NULL, {"lookup_timeout=1 min", NULL}, NULL},
	    {NULL, {"passdb_pam_session=perhaps", NULL}, "passdb_pam_session"},
	    {NULL, {"passdb_pam_service_name=", NULL}, "Empty service"},
	    {NULL, {"passdb_pam_unknown=1", NULL}, "Unknown setting"},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		pool_t pool = pool_create("pam settings", 1024);
		struct auth_db_settings *db =
		    db_set(pool, "pam", cases[i].args, cases[i].v24);
		struct passdb_module *module = NULL;
		const char *error = NULL;
		int ret = passdb_pam.init(pool, db, "CRYPT", &module, &error);

		if (cases[i].error == NULL) {
			if (ret != 0)
				fail_msg("case %u: %s", i, error);
			assert_non_null(module);
			assert_string_equal(module->default_scheme, "PLAIN");
		} else {
			if (ret != -1)
				fail_msg("case %u: accepted", i);
			if (strstr(error, cases[i].error) == NULL)
				fail_msg("case %u: error '%s'", i, error);
		}
		pool_unref(&pool);
	}
	assert_null(passdb_pam.lookup);
	assert_non_null(passdb_pam.verify_plain);
}

static void test_nss_settings(void **state)
{
	static const char *const drivers[] = {"passwd", "shadow"};

	for (unsigned int d = 0; d < N_ELEMENTS(drivers); d++) {
		const struct passdb_module_interface *iface =
		    passdb_interface_find(drivers[d]);
		pool_t pool = pool_create("nss settings", 1024);
		struct passdb_module *module;
		const char *error;

		assert_non_null(iface);
		/* Dovecot's blocking= is accepted */
		assert_int_equal(
		    iface->init(pool,
				db_set(pool, drivers[d], "blocking=no", NULL),
				"SSHA", &module, &error),
		    0);
		assert_string_equal(module->default_scheme, "CRYPT");
		assert_int_equal(
		    iface->init(pool,
				db_set(pool, drivers[d],
				       "lookup_timeout=forever", NULL),
				"SSHA", &module, &error),
		    -1);
		pool_unref(&pool);
	}
	assert_non_null(userdb_interface_find("passwd"));
	assert_null(passdb_interface_find("passwd ")); /* exact names */
}

static void test_lookup_timeout_parse(void **state)
{
	static const struct {
		const char *value;
		int ret;
		unsigned int msecs;
	} cases[] = {
	    {NULL, 0, DB_LOOKUP_TIMEOUT_DEFAULT_MSECS},
	    {"5", 0, 5000},
	    {"5 secs", 0, 5000},
	    {"250 ms", 0, 250},
	    {"2 mins", 0, 120000},
	    {"0", -1, 0},
	    {"", -1, 0},
	    {"-1", -1, 0},
	    {"5 parsecs", -1, 0},
	};

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		pool_t pool = pool_create("timeout", 512);
		const char *kv[] = {NULL, NULL};
		struct db_args args;
		unsigned int msecs = 0;
		const char *error;

		if (cases[i].value != NULL)
			kv[0] = p_strconcat(
			    pool, "lookup_timeout=", cases[i].value, NULL);
		db_args_parse(pool, db_set(pool, "pam", NULL, kv), &args);
		int ret = db_lookup_timeout_parse(pool, &args, &msecs, &error);
		if (ret != cases[i].ret)
			fail_msg("case %u (%s): ret %d", i, cases[i].value,
				 ret);
		if (ret == 0)
			assert_int_equal(msecs, cases[i].msecs);
		pool_unref(&pool);
	}
}

static void test_nss_password_usable(void **state)
{
	assert_true(db_nss_password_usable("$6$salt$hash"));
	assert_true(db_nss_password_usable("abJnggxhB/yWI")); /* DES */
	assert_false(db_nss_password_usable(NULL));
	assert_false(db_nss_password_usable(""));
	assert_false(db_nss_password_usable("x"));
	assert_false(db_nss_password_usable("*"));
	assert_false(db_nss_password_usable("!$6$salt$hash")); /* locked */
	assert_false(db_nss_password_usable("!"));
	assert_false(db_nss_password_usable("*LK*"));
}

/* ---- passwd userdb through NSS (no root needed for getpwnam) ---- */

static char nss_passwd_path[] = "/tmp/loft-test-drivers-XXXXXX";

struct lookup_result {
	bool called;
	enum auth_lookup_result result;
};

static void userdb_lookup_cb(struct auth_request *request,
			     enum auth_lookup_result result)
{
	struct lookup_result *r = request->context;

	r->called = true;
	r->result = result;
}

static void test_passwd_userdb_lookup(void **state)
{
	pool_t pool = pool_create("passwd userdb", 4096);
	struct loft_settings *set;
	struct auth *auth;
	const char *error;
	int fd = mkstemp(nss_passwd_path);
	struct passwd *pw = getpwuid(0);
	char uidstr[32];

	assert_true(fd >= 0);
	close(fd);
	assert_non_null(pw);
	set = test_auth_settings(pool, nss_passwd_path);
	set->userdbs.count = 0;
	array_push(&set->userdbs,
		   test_db_settings(pool, "passwd", "lookup_timeout=5s", true));
	auth = auth_init(set, &error);
	assert_non_null(auth);

	/* Without the worker pool the lookup completes inside the call. */
	struct lookup_result r = {false, AUTH_LOOKUP_INTERNAL_FAIL};
	struct auth_request *request = auth_request_new(auth, NULL, NULL, &r);
	request->user = p_strdup(request->pool, pw->pw_name);
	auth_request_lookup_userdb(request, userdb_lookup_cb);
	assert_true(r.called);
	assert_int_equal(r.result, AUTH_LOOKUP_OK);
	snprintf(uidstr, sizeof(uidstr), "%lu", (unsigned long)pw->pw_uid);
	assert_string_equal(auth_fields_find(&request->userdb_fields, "uid"),
			    uidstr);
	assert_string_equal(auth_fields_find(&request->userdb_fields, "home"),
			    pw->pw_dir);
	assert_string_equal(
	    auth_fields_find(&request->userdb_fields, "system_groups_user"),
	    pw->pw_name);
	auth_request_unref(&request);

	struct lookup_result r2 = {false, AUTH_LOOKUP_INTERNAL_FAIL};
	request = auth_request_new(auth, NULL, NULL, &r2);
	request->user = "loft-no-such-user-4711";
	auth_request_lookup_userdb(request, userdb_lookup_cb);
	assert_true(r2.called);
	assert_int_equal(r2.result, AUTH_LOOKUP_NOTFOUND);
	auth_request_unref(&request);

	auth_deinit(&auth);
	pool_unref(&pool);
	unlink(nss_passwd_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pam_settings),
	    cmocka_unit_test(test_nss_settings),
	    cmocka_unit_test(test_lookup_timeout_parse),
	    cmocka_unit_test(test_nss_password_usable),
	    cmocka_unit_test(test_passwd_userdb_lookup),
	    cmocka_unit_test_setup_teardown(test_worker_sync_without_pool,
					    worker_setup, worker_teardown),
	    cmocka_unit_test_setup_teardown(test_worker_done_in_time,
					    worker_setup, worker_teardown),
	    cmocka_unit_test_setup_teardown(test_worker_hung_job_replaced,
					    worker_setup, worker_teardown),
	    cmocka_unit_test_setup_teardown(test_worker_queued_job_times_out,
					    worker_setup, worker_teardown),
	    cmocka_unit_test_setup_teardown(test_worker_many_hung_jobs,
					    worker_setup, worker_teardown),
	    cmocka_unit_test_setup_teardown(test_worker_deinit_does_not_wait,
					    worker_setup, worker_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
