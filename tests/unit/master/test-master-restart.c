/* test-master-restart.c - restart backoff sequence and exit status texts. */
#include "lib.h"
#include "master-restart.h"

#include <setjmp.h>
#include <signal.h>
#include <cmocka.h>

struct backoff_step {
	uint64_t run_msecs;
	bool failed;
	unsigned int expect_delay;
};

static void run_steps(const struct backoff_step *steps, unsigned int count)
{
	struct master_backoff b = {0};

	for (unsigned int i = 0; i < count; i++) {
		unsigned int delay = master_backoff_exit(&b, steps[i].run_msecs,
							 steps[i].failed);
		if (delay != steps[i].expect_delay)
			fail_msg("step %u: delay %u, expected %u", i, delay,
				 steps[i].expect_delay);
	}
}

static void test_backoff_doubling(void **state)
{
	static const struct backoff_step steps[] = {
	    {10, true, 1000},  {10, true, 2000},  {10, true, 4000},
	    {10, true, 8000},  {10, true, 16000}, {10, true, 32000},
	    {10, true, 60000}, {10, true, 60000}, {59999, true, 60000},
	};
	run_steps(steps, N_ELEMENTS(steps));
}

static void test_backoff_reset(void **state)
{
	static const struct backoff_step steps[] = {
	    {0, true, 1000},
	    {500, true, 2000},
	    {5000, true, 4000},
	    /* ran a full minute: starts over */
	    {60000, true, 1000},
	    {100, true, 2000},
	    {3600 * 1000, true, 1000},
	};
	run_steps(steps, N_ELEMENTS(steps));
}

static void test_backoff_clean_exit(void **state)
{
	static const struct backoff_step steps[] = {
	    /* a clean exit after a while restarts at once... */
	    {5000, false, 0},
	    {1000, false, 0},
	    /* ...a clean exit at once counts as a failure */
	    {999, false, 1000},
	    {0, false, 2000},
	    /* and does not reset the failure count */
	    {2000, false, 0},
	    {10, true, 4000},
	    {70000, false, 0},
	    {10, true, 1000},
	};
	run_steps(steps, N_ELEMENTS(steps));
}

static void test_exit_status(void **state)
{
	/* status as waitpid() gives it: exit code << 8, or the signal number
	 * with 0x80 when a core was dumped */
	static const struct {
		int status;
		bool cores_enabled;
		const char *text;
		bool failed;
	} tests[] = {
	    {0, false, "exited normally", false},
	    {89 << 8, false, "returned error 89", true},
	    {1 << 8, true, "returned error 1", true},
	    {SIGSEGV, false, "killed with signal 11 (core dumps disabled)",
	     true},
	    {SIGSEGV, true, "killed with signal 11 (core not dumped)", true},
	    {SIGABRT | 0x80, true, "killed with signal 6 (core dumped)", true},
	    {SIGKILL, false, "killed with signal 9", true},
	    {SIGTERM, true, "killed with signal 15", true},
	};
	char buf[128];

	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		assert_string_equal(master_exit_status_str(
					tests[i].status, tests[i].cores_enabled,
					buf, sizeof(buf)),
				    tests[i].text);
		assert_int_equal(master_exit_status_failed(tests[i].status),
				 tests[i].failed);
	}
	/* truncation keeps a terminated string */
	assert_string_equal(master_exit_status_str(89 << 8, false, buf, 9),
			    "returned");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff_doubling),
	    cmocka_unit_test(test_backoff_reset),
	    cmocka_unit_test(test_backoff_clean_exit),
	    cmocka_unit_test(test_exit_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
