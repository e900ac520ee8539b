/* test-ioloop.c - repeating and once timers, removal from callbacks,
 * timeout_reset, signals through the self-pipe, and level-triggered io
 * on a pipe. */
#include "lib.h"
#include "ioloop.h"

#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>

struct ctx {
	struct ioloop *ioloop;
	int repeat_count, once_count, sig_count, read_count, write_count;
	struct timeout *to_repeat, *to_once, *to_stop;
	struct io *io;
	int fds[2];
	uint64_t start;
};

static void repeat_cb(void *context)
{
	struct ctx *c = context;

	if (++c->repeat_count == 5)
		timeout_remove(&c->to_repeat);
}

static void once_cb(void *context)
{
	struct ctx *c = context;

	/* the loop cleared our pointer before calling */
	assert_null(c->to_once);
	c->once_count++;
}

static void stop_cb(void *context)
{
	struct ctx *c = context;

	ioloop_stop(c->ioloop);
}

static void test_timers(void **state)
{
	struct ctx c;

	memset(&c, 0, sizeof(c));
	c.ioloop = ioloop_create();
	assert_ptr_equal(current_ioloop, c.ioloop);
	c.start = time_now_msecs();
	c.to_repeat = timeout_add(5, repeat_cb, &c);
	c.to_once = timeout_add_once(10, once_cb, &c, &c.to_once);
	c.to_stop = timeout_add_once(80, stop_cb, &c, &c.to_stop);
	struct timeout *never = timeout_add(10000, stop_cb, &c);
	struct timeout *removed = timeout_add_once(1, stop_cb, &c, NULL);
	timeout_remove(&removed);
	assert_null(removed);
	ioloop_run(c.ioloop);
	assert_true(time_now_msecs() - c.start >= 80);
	assert_int_equal(c.repeat_count, 5);
	assert_null(c.to_repeat);
	assert_int_equal(c.once_count, 1);
	assert_null(c.to_stop);
	assert_true(ioloop_time > 0);
	timeout_remove(&never);
	ioloop_destroy(&c.ioloop);
	assert_null(c.ioloop);
	assert_null(current_ioloop);
}

static void zero_cb(void *context)
{
	struct ctx *c = context;

	c->repeat_count++;
}

static void test_zero_timer_and_reset(void **state)
{
	struct ctx c;

	memset(&c, 0, sizeof(c));
	c.ioloop = ioloop_create();
	/* a zero-interval timer runs once per iteration and does not
	   prevent other timers from running */
	c.to_repeat = timeout_add(0, zero_cb, &c);
	c.to_stop = timeout_add_once(20, stop_cb, &c, &c.to_stop);
	c.start = time_now_msecs();
	ioloop_run(c.ioloop);
	assert_true(c.repeat_count > 0);
	timeout_remove(&c.to_repeat);

	/* timeout_reset pushes the deadline */
	c.start = time_now_msecs();
	c.to_stop = timeout_add_once(30, stop_cb, &c, &c.to_stop);
	usleep(20000);
	timeout_reset(c.to_stop);
	ioloop_run(c.ioloop);
	assert_true(time_now_msecs() - c.start >= 45);
	ioloop_destroy(&c.ioloop);
}

static void sig_cb(int signo, void *context)
{
	struct ctx *c = context;

	assert_int_equal(signo, SIGUSR1);
	c->sig_count++;
	ioloop_stop(c->ioloop);
}

static void test_signals(void **state)
{
	struct ctx c;

	memset(&c, 0, sizeof(c));
	c.ioloop = ioloop_create();
	signal_add(SIGUSR1, sig_cb, &c);
	c.to_stop = timeout_add_once(2000, stop_cb, &c, &c.to_stop);
	raise(SIGUSR1);
	ioloop_run(c.ioloop);
	assert_int_equal(c.sig_count, 1);
	signal_ignore(SIGUSR1);
	raise(SIGUSR1);
	signal_remove(SIGUSR1);
	timeout_remove(&c.to_stop);
	ioloop_destroy(&c.ioloop);

	/* signals keep working in a new loop */
	c.ioloop = ioloop_create();
	signal_add(SIGUSR2, sig_cb, &c);
	signal_add(SIGUSR1, sig_cb, &c);
	c.to_stop = timeout_add_once(2000, stop_cb, &c, &c.to_stop);
	kill(getpid(), SIGUSR1);
	ioloop_run(c.ioloop);
	assert_int_equal(c.sig_count, 2);
	signal_remove(SIGUSR1);
	signal_remove(SIGUSR2);
	timeout_remove(&c.to_stop);
	ioloop_destroy(&c.ioloop);
}

static void read_cb(void *context)
{
	struct ctx *c = context;
	char ch;

	/* level-triggered: called again while data remains */
	assert_int_equal(read(c->fds[0], &ch, 1), 1);
	if (++c->read_count == 3) {
		io_remove(&c->io);
		ioloop_stop(c->ioloop);
	}
}

static void write_cb(void *context)
{
	struct ctx *c = context;
	struct io **iop = &c->io;

	c->write_count++;
	io_remove(iop);
	assert_int_equal(write(c->fds[1], "abc", 3), 3);
	c->io = io_add(c->fds[0], IO_READ, read_cb, c);
}

static void test_io(void **state)
{
	struct ctx c;

	memset(&c, 0, sizeof(c));
	c.ioloop = ioloop_create();
	assert_int_equal(pipe(c.fds), 0);
	fd_set_nonblock(c.fds[0], true);
	c.io = io_add(c.fds[1], IO_WRITE, write_cb, &c);
	c.to_stop = timeout_add_once(2000, stop_cb, &c, &c.to_stop);
	ioloop_run(c.ioloop);
	assert_int_equal(c.write_count, 1);
	assert_int_equal(c.read_count, 3);
	assert_null(c.io);
	timeout_remove(&c.to_stop);

	/* a closed writer shows as readable (hangup) */
	close(c.fds[1]);
	c.read_count = 2;
	c.io = io_add(c.fds[0], IO_READ, stop_cb, &c);
	c.to_stop = timeout_add_once(2000, stop_cb, &c, &c.to_stop);
	ioloop_run(c.ioloop);
	assert_non_null(c.to_stop);
	io_remove(&c.io);
	timeout_remove(&c.to_stop);
	close(c.fds[0]);
	ioloop_destroy(&c.ioloop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timers),
	    cmocka_unit_test(test_zero_timer_and_reset),
	    cmocka_unit_test(test_signals),
	    cmocka_unit_test(test_io),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
