/* auth-worker.c - the worker thread pool: a mutex-protected job queue,
 * N threads, and a pipe that carries finished job pointers back to the
 * ioloop. Nothing else in the auth process is thread-aware. */
#include "lib.h"
#include "log.h"
#include "ioloop.h"
#include "auth-worker.h"

#include <pthread.h>
#include <signal.h>

struct auth_worker_job {
	struct auth_worker_job *next;
	auth_worker_run_t *run;
	auth_worker_done_t *done;
	void *context;
};

struct auth_worker_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct auth_worker_job *head, *tail;
	bool stopping;
	unsigned int thread_count;
	pthread_t *threads;
	int pipe_fd[2];
	struct io *io;
};

static struct auth_worker_pool *worker_pool = NULL;

static void *auth_worker_thread(void *arg)
{
	struct auth_worker_pool *wp = arg;
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
		pthread_mutex_unlock(&wp->lock);

		job->run(job->context);

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
		jobs[i]->done(jobs[i]->context);
		i_free(jobs[i]);
	}
	return (size_t)ret / sizeof(jobs[0]);
}

static void auth_worker_pipe_input(void *context)
{
	(void)auth_worker_deliver(context);
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
	wp->threads = i_calloc(threads, sizeof(pthread_t));
	/* Workers never take signals: they inherit a full mask, so that
	 * signals reach the ioloop thread. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned int i = 0; i < threads; i++) {
		int err = pthread_create(&wp->threads[i], NULL,
					 auth_worker_thread, wp);
		if (err != 0) {
			errno = err;
			i_fatal("pthread_create() failed: %m");
		}
		wp->thread_count++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	wp->io = io_add(wp->pipe_fd[0], IO_READ, auth_worker_pipe_input, wp);
	worker_pool = wp;
}

void auth_worker_pool_deinit(void)
{
	struct auth_worker_pool *wp = worker_pool;

	if (wp == NULL)
		return;
	pthread_mutex_lock(&wp->lock);
	wp->stopping = true;
	pthread_cond_broadcast(&wp->cond);
	pthread_mutex_unlock(&wp->lock);
	for (unsigned int i = 0; i < wp->thread_count; i++)
		pthread_join(wp->threads[i], NULL);
	/* Deliver what finished so that requests are released. */
	while (auth_worker_deliver(wp) > 0)
		;
	io_remove(&wp->io);
	i_close_fd(&wp->pipe_fd[0]);
	i_close_fd(&wp->pipe_fd[1]);
	pthread_mutex_destroy(&wp->lock);
	pthread_cond_destroy(&wp->cond);
	i_free(wp->threads);
	i_free(wp);
	worker_pool = NULL;
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
	job->run = run;
	job->done = done;
	job->context = context;
	pthread_mutex_lock(&wp->lock);
	if (wp->tail == NULL)
		wp->head = job;
	else
		wp->tail->next = job;
	wp->tail = job;
	pthread_cond_signal(&wp->cond);
	pthread_mutex_unlock(&wp->lock);
}
