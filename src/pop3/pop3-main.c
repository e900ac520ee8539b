/* pop3-main.c - the pop3 service binary. By default it is the dispatcher
 * that takes logged-in clients from the login processes (pop3-dispatch.c);
 * started with --worker (by the dispatcher only) it is the mail worker of
 * one uid (pop3-worker.c). */
#include "lib.h"
#include "service-env.h"
#include "pop3-dispatch.h"
#include "pop3-worker.h"

int main(int argc, char **argv)
{
	struct service_env *env;

	if (argc > 1 && strcmp(argv[1], POP3_WORKER_ARG) == 0) {
		/* drop the role argument: the rest is what the dispatcher
		 * was started with */
		argv[1] = argv[0];
		env = service_env_init("pop3", "pop3", argc - 1, argv + 1);
		pop3_worker_main(env);
	}
	env = service_env_init("pop3", "pop3", argc, argv);
	pop3_dispatch_main(env, argc, argv);
}
