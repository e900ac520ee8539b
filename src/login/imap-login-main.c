/* imap-login-main.c - main() of the imap-login service.
 *
 * Reads the service environment, sets up the login core with the IMAP
 * protocol and runs the event loop. SIGTERM and SIGINT exit at once;
 * SIGQUIT stops accepting and exits when the last client (and TLS proxy)
 * is gone. No protocol handling here. */
#include "lib.h"
#include "ioloop.h"
#include "log.h"
#include "service-env.h"
#include "login-common.h"
#include "imap-login-client.h"

#include <signal.h>

static struct ioloop *main_ioloop;

static void main_stop(void)
{
	ioloop_stop(main_ioloop);
}

static void sig_die(int signo, void *context ATTR_UNUSED)
{
	i_debug("Received signal %d: exiting", signo);
	ioloop_stop(main_ioloop);
}

static void sig_drain(int signo ATTR_UNUSED, void *context ATTR_UNUSED)
{
	login_common_set_drained_callback(main_stop);
	if (login_common_stop_accepting())
		ioloop_stop(main_ioloop);
}

int main(int argc, char **argv)
{
	struct service_env *env;

	env = service_env_init("imap-login", "imap", argc, argv);
	main_ioloop = ioloop_create();
	signal_add(SIGTERM, sig_die, NULL);
	signal_add(SIGINT, sig_die, NULL);
	signal_add(SIGQUIT, sig_drain, NULL);
	signal_ignore(SIGPIPE);

	login_common_init(&imap_login_binary, env);
	ioloop_run(main_ioloop);
	login_common_deinit();
	ioloop_destroy(&main_ioloop);
	return 0;
}
