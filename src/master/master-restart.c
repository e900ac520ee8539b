/* master-restart.c - restart backoff and exit status texts. Does not
 * schedule anything itself; master-service.c does. */
#include "master-restart.h"

#include <signal.h>
#include <sys/wait.h>

void master_backoff_reset(struct master_backoff *backoff)
{
	backoff->delay_msecs = 0;
}

unsigned int master_backoff_exit(struct master_backoff *backoff,
				 uint64_t run_msecs, bool failed)
{
	if (run_msecs >= MASTER_BACKOFF_RESET_MSECS)
		master_backoff_reset(backoff);
	if (!failed && run_msecs >= MASTER_QUICK_EXIT_MSECS)
		return 0;

	if (backoff->delay_msecs == 0)
		backoff->delay_msecs = MASTER_BACKOFF_INITIAL_MSECS;
	else if (backoff->delay_msecs >= MASTER_BACKOFF_MAX_MSECS / 2)
		backoff->delay_msecs = MASTER_BACKOFF_MAX_MSECS;
	else
		backoff->delay_msecs *= 2;
	return backoff->delay_msecs;
}

static bool signal_dumps_core(int signo)
{
	switch (signo) {
	case SIGQUIT:
	case SIGILL:
	case SIGTRAP:
	case SIGABRT:
	case SIGBUS:
	case SIGFPE:
	case SIGSEGV:
	case SIGSYS:
	case SIGXCPU:
	case SIGXFSZ:
		return true;
	default:
		return false;
	}
}

const char *master_exit_status_str(int status, bool core_dumps_enabled,
				   char *buf, size_t size)
{
	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status) == 0)
			snprintf(buf, size, "exited normally");
		else
			snprintf(buf, size, "returned error %d",
				 WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		int signo = WTERMSIG(status);
		const char *core = "";

		if (WCOREDUMP(status))
			core = " (core dumped)";
		else if (signal_dumps_core(signo))
			core = core_dumps_enabled ? " (core not dumped)"
						  : " (core dumps disabled)";
		snprintf(buf, size, "killed with signal %d%s", signo, core);
	} else {
		snprintf(buf, size, "stopped with status %d", status);
	}
	return buf;
}

bool master_exit_status_failed(int status)
{
	return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}
