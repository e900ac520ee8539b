/* auth-worker.c - the worker thread pool: a mutex-protected job queue,
 * N threads (one slot each), a pipe that carries finished job pointers
 * back to the ioloop, and per-job deadlines. A job that overruns its
 * deadline is abandoned with the thread running it: the thread is
 * detached, a new one takes its slot, and when the hung call finally
 * returns the old thread releases the job and exits. Nothing else in the
 * auth process is thread-aware. */
#include "lib.h"
#include "log.h"
#include "ioloop.h"
#include "auth-worker.h"

#include <pthread.h>
#include <signal.h>

enum auth_worker_job_state {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_FINISHED,  /* run() returned; the pointer is in the pipe */
	JOB_ABANDONED, /* timed out while running; its thread releases it */
};

struct auth_worker_pool;

struct auth_worker_job {
	struct auth_worker_job *next;
	struct auth_worker_pool *wp;
	auth_worker_run_t *run;
	auth_worker_done_t *done;
	auth_worker_done_t *timed_out, *release; /* NULL without timeout */
	void *context;
	struct timeout *to;
	enum auth_worker_job_state state;
	/* Once abandoned: the ioloop (until timed_out() returned) and the
	 * thread (until run() returned); the last one releases. */
	unsigned int abandoned_refs;
};

struct auth_worker_slot {
	struct auth_worker_pool *wp;
	pthread_t tid;
	bool live;		     /* a thread serves this slot */
	struct auth_worker_job *job; /* the job it runs, or NULL */
};

struct auth_worker_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct auth_worker_job *head, *tail;
	bool stopping;
	/* deinit is done but abandoned threads still run: the last one of
	 * them frees the pool. */
	bool dead;
	unsigned int slot_count;
	struct auth_worker_slot *slots;
	unsigned int abandoned_count;
	int pipe_fd[2];
	struct io *io;
};

static struct auth_worker_pool *worker_pool = NULL;

static void auth_worker_pool_free(struct auth_worker_pool *wp)
{
	pthread_mutex_destroy(&wp->lock);
	pthread_cond_destroy(&wp->cond);
	i_free(wp->slots);
	i_free(wp);
}

/* Drops one reference to an abandoned job (locked); returns true when
 * the caller must release it (after unlocking). */
static bool auth_worker_abandoned_unref(struct auth_worker_job *job)
{
	i_assert(job->abandoned_refs > 0);
	return --job->abandoned_refs == 0;
}

static void auth_worker_job_release(struct auth_worker_job *job)
{
	job->release(job->context);
	i_free(job);
}

/* Called in an abandoned thread after its job's run() returned (locked;
 * returns unlocked). */
static void auth_worker_abandoned_finish(struct auth_worker_job *job)
{
	struct auth_worker_pool *wp = job->wp;
	bool last, release;

	release = auth_worker_abandoned_unref(job);
	i_assert(wp->abandoned_count > 0);
	wp->abandoned_count--;
	last = wp->dead && wp->abandoned_count == 0;
	pthread_mutex_unlock(&wp->lock);
	if (release)
		auth_worker_job_release(job);
	if (last)
		auth_worker_pool_free(wp);
}

/* The ioloop side is done with an abandoned job (after timed_out()). */
static void auth_worker_abandoned_reported(struct auth_worker_job *job)
{
	struct auth_worker_pool *wp = job->wp;
	bool release;

	pthread_mutex_lock(&wp->lock);
	release = auth_worker_abandoned_unref(job);
	pthread_mutex_unlock(&wp->lock);
	if (release)
		auth_worker_job_release(job);
}

static void *auth_worker_thread(void *arg)
{
	struct auth_worker_slot *slot = arg;
	struct auth_worker_pool *wp = slot->wp;
	struct auth_worker_job *job;

	for (;;) {
		pthread_mutex_lock(&wp->lock);
		while (wp->head == NULL && !wp->stopping)
			pthread_cond_wait(&wp->cond, &wp->lock);
		if (wp->head == NULL) {
			pthread_mutex_unlock(&wp->lock);
			return NULL;
		}
		job = wp->head;
		wp->head = job->next;
		if (wp->head == NULL)
			wp->tail = NULL;
		job->next = NULL;
		job->state = JOB_RUNNING;
		slot->job = job;
		pthread_mutex_unlock(&wp->lock);

		job->run(job->context);

		pthread_mutex_lock(&wp->lock);
		if (job->state == JOB_ABANDONED) {
			/* The slot belongs to a replacement thread now. */
			auth_worker_abandoned_finish(job);
			return NULL;
		}
		job->state = JOB_FINISHED;
		slot->job = NULL;
		pthread_mutex_unlock(&wp->lock);

		/* A pointer is written atomically to a pipe (< PIPE_BUF).
		 * The write end is blocking so nothing is lost. */
		ssize_t ret;
		do {
			ret = write(wp->pipe_fd[1], &job, sizeof(job));
		} while (ret < 0 && errno == EINTR);
		if (ret != sizeof(job))
			i_panic("auth worker: write(pipe) failed: %m");
	}
}

/* Starts a thread for slot (locked or before the pool is shared). */
static void auth_worker_slot_start(struct auth_worker_slot *slot)
{
	sigset_t all, old;
	int err;

	/* Workers never take signals: they inherit a full mask, so that
	 * signals reach the ioloop thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&slot->tid, NULL, auth_worker_thread, slot);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		errno = err;
		i_fatal("pthread_create() failed: %m");
	}
	slot->live = true;
	slot->job = NULL;
}

/* Runs done() for finished jobs. Returns how many. */
static size_t auth_worker_deliver(struct auth_worker_pool *wp)
{
	struct auth_worker_job *jobs[64];
	ssize_t ret;

	ret = read(wp->pipe_fd[0], jobs, sizeof(jobs));
	if (ret < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		i_fatal("auth worker: read(pipe) failed: %m");
	}
	/* Writes are whole pointers and reads of a pipe return whole
	 * writes when the request is a multiple of their size. */
	i_assert(ret % sizeof(jobs[0]) == 0);
	for (size_t i = 0; i < (size_t)ret / sizeof(jobs[0]); i++) {
		if (jobs[i]->to != NULL)
			timeout_remove(&jobs[i]->to);
		jobs[i]->done(jobs[i]->context);
		i_free(jobs[i]);
	}
	return (size_t)ret / sizeof(jobs[0]);
}

static void auth_worker_pipe_input(void *context)
{
	(void)auth_worker_deliver(context);
}

/* Removes job from the queue (locked). Returns false if not queued. */
static bool auth_worker_unqueue(struct auth_worker_pool *wp,
				struct auth_worker_job *job)
{
	struct auth_worker_job **p, *prev = NULL;

	for (p = &wp->head; *p != NULL; prev = *p, p = &(*p)->next) {
		if (*p == job) {
			*p = job->next;
			if (wp->tail == job)
				wp->tail = prev;
			job->next = NULL;
			return true;
		}
	}
	return false;
}

/* Abandons the running job in slot (locked): the thread is detached and,
 * unless replace is false or too many are abandoned, replaced. */
static void auth_worker_abandon(struct auth_worker_pool *wp,
				struct auth_worker_slot *slot, bool replace)
{
	slot->job->state = JOB_ABANDONED;
	slot->job->abandoned_refs = 2;
	slot->job = NULL;
	pthread_detach(slot->tid);
	slot->live = false;
	wp->abandoned_count++;
	if (!replace)
		return;
	if (wp->abandoned_count > AUTH_WORKER_MAX_ABANDONED) {
		i_error("auth worker: %u threads are stuck in jobs that "
			"timed out; not replacing another one",
			wp->abandoned_count);
		return;
	}
	auth_worker_slot_start(slot);
}

static struct auth_worker_slot *
auth_worker_find_slot(struct auth_worker_pool *wp, struct auth_worker_job *job)
{
	for (unsigned int i = 0; i < wp->slot_count; i++) {
		if (wp->slots[i].live && wp->slots[i].job == job)
			return &wp->slots[i];
	}
	return NULL;
}

static void auth_worker_job_timeout(void *context)
{
	struct auth_worker_job *job = context;
	struct auth_worker_pool *wp = job->wp;
	struct auth_worker_slot *slot;
	bool started = true;

	pthread_mutex_lock(&wp->lock);
	switch (job->state) {
	case JOB_QUEUED:
		(void)auth_worker_unqueue(wp, job);
		started = false;
		break;
	case JOB_RUNNING:
		slot = auth_worker_find_slot(wp, job);
		i_assert(slot != NULL);
		auth_worker_abandon(wp, slot, true);
		break;
	case JOB_FINISHED:
		/* Its done() is already on the way through the pipe. */
		pthread_mutex_unlock(&wp->lock);
		return;
	case JOB_ABANDONED:
		i_unreached();
	}
	pthread_mutex_unlock(&wp->lock);

	job->timed_out(job->context);
	if (!started)
		auth_worker_job_release(job);
	else
		auth_worker_abandoned_reported(job);
}

void auth_worker_pool_init(unsigned int threads)
{
	struct auth_worker_pool *wp;

	i_assert(worker_pool == NULL);
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned int)n : 1;
	}
	wp = i_malloc(sizeof(*wp));
	pthread_mutex_init(&wp->lock, NULL);
	pthread_cond_init(&wp->cond, NULL);
	if (pipe(wp->pipe_fd) < 0)
		i_fatal("pipe() failed: %m");
	fd_close_on_exec(wp->pipe_fd[0], true);
	fd_close_on_exec(wp->pipe_fd[1], true);
	fd_set_nonblock(wp->pipe_fd[0], true);
	wp->slots = i_calloc(threads, sizeof(*wp->slots));
	wp->slot_count = threads;
	for (unsigned int i = 0; i < threads; i++) {
		wp->slots[i].wp = wp;
		auth_worker_slot_start(&wp->slots[i]);
	}
	wp->io = io_add(wp->pipe_fd[0], IO_READ, auth_worker_pipe_input, wp);
	worker_pool = wp;
}

void auth_worker_pool_deinit(void)
{
	struct auth_worker_pool *wp = worker_pool;
	struct auth_worker_job *expired = NULL, *job, **p;
	struct auth_worker_job **abandoned;
	unsigned int abandoned_n = 0;
	bool free_now;

	if (wp == NULL)
		return;
	worker_pool = NULL;

	abandoned = i_calloc(wp->slot_count + 1, sizeof(*abandoned));
	pthread_mutex_lock(&wp->lock);
	wp->stopping = true;
	/* Jobs with a deadline are not waited for. */
	for (p = &wp->head; *p != NULL;) {
		job = *p;
		if (job->timed_out == NULL) {
			p = &job->next;
			continue;
		}
		(void)auth_worker_unqueue(wp, job);
		job->next = expired;
		expired = job;
	}
	for (unsigned int i = 0; i < wp->slot_count; i++) {
		struct auth_worker_slot *slot = &wp->slots[i];

		if (!slot->live || slot->job == NULL ||
		    slot->job->timed_out == NULL)
			continue;
		abandoned[abandoned_n++] = slot->job;
		auth_worker_abandon(wp, slot, false);
	}
	pthread_cond_broadcast(&wp->cond);
	pthread_mutex_unlock(&wp->lock);

	for (unsigned int i = 0; i < abandoned_n; i++) {
		job = abandoned[i];
		if (job->to != NULL)
			timeout_remove(&job->to);
		job->timed_out(job->context);
		auth_worker_abandoned_reported(job);
	}
	i_free(abandoned);

	while (expired != NULL) {
		job = expired;
		expired = job->next;
		if (job->to != NULL)
			timeout_remove(&job->to);
		job->timed_out(job->context);
		auth_worker_job_release(job);
	}
	for (unsigned int i = 0; i < wp->slot_count; i++) {
		if (wp->slots[i].live)
			pthread_join(wp->slots[i].tid, NULL);
		wp->slots[i].live = false;
	}
	/* Deliver what finished so that requests are released. */
	while (auth_worker_deliver(wp) > 0)
		;
	io_remove(&wp->io);
	i_close_fd(&wp->pipe_fd[0]);
	i_close_fd(&wp->pipe_fd[1]);

	pthread_mutex_lock(&wp->lock);
	wp->dead = true;
	free_now = wp->abandoned_count == 0;
	pthread_mutex_unlock(&wp->lock);
	if (free_now)
		auth_worker_pool_free(wp);
}

static void auth_worker_queue(struct auth_worker_pool *wp,
			      struct auth_worker_job *job)
{
	pthread_mutex_lock(&wp->lock);
	job->state = JOB_QUEUED;
	if (wp->tail == NULL)
		wp->head = job;
	else
		wp->tail->next = job;
	wp->tail = job;
	pthread_cond_signal(&wp->cond);
	pthread_mutex_unlock(&wp->lock);
}

void auth_worker_submit(auth_worker_run_t *run, auth_worker_done_t *done,
			void *context)
{
	struct auth_worker_pool *wp = worker_pool;
	struct auth_worker_job *job;

	if (wp == NULL) {
		run(context);
		done(context);
		return;
	}
	job = i_malloc(sizeof(*job));
	job->wp = wp;
	job->run = run;
	job->done = done;
	job->context = context;
	auth_worker_queue(wp, job);
}

void auth_worker_submit_timeout(auth_worker_run_t *run,
				auth_worker_done_t *done,
				auth_worker_done_t *timed_out,
				auth_worker_done_t *release, void *context,
				unsigned int timeout_msecs)
{
	struct auth_worker_pool *wp = worker_pool;
	struct auth_worker_job *job;

	i_assert(timed_out != NULL && release != NULL);
	i_assert(timeout_msecs > 0);
	if (wp == NULL) {
		run(context);
		done(context);
		return;
	}
	job = i_malloc(sizeof(*job));
	job->wp = wp;
	job->run = run;
	job->done = done;
	job->timed_out = timed_out;
	job->release = release;
	job->context = context;
	/* Armed before the job is visible to the threads; the callback
	 * takes the lock and looks at the state. */
	job->to = timeout_add_once(timeout_msecs, auth_worker_job_timeout, job,
				   &job->to);
	auth_worker_queue(wp, job);
}

unsigned int auth_worker_pool_thread_count(void)
{
	struct auth_worker_pool *wp = worker_pool;
	unsigned int count = 0;

	if (wp == NULL)
		return 0;
	pthread_mutex_lock(&wp->lock);
	for (unsigned int i = 0; i < wp->slot_count; i++) {
		if (wp->slots[i].live)
			count++;
	}
	pthread_mutex_unlock(&wp->lock);
	return count;
}

unsigned int auth_worker_pool_abandoned_count(void)
{
	struct auth_worker_pool *wp = worker_pool;
	unsigned int count;

	if (wp == NULL)
		return 0;
	pthread_mutex_lock(&wp->lock);
	count = wp->abandoned_count;
	pthread_mutex_unlock(&wp->lock);
	return count;
}
