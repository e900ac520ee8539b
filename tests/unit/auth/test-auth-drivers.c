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
#include "ioloop.h"
#include "auth-worker.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
