/* mail-service.c - main() of a mail service binary: picks the dispatcher
 * or the worker role (see mail-service.h). */
#include "lib.h"
#include "service-env.h"
#include "mail-service-private.h"

void mail_service_main(const struct mail_service_hooks *hooks, int argc,
		       char **argv)
{
	struct service_env *env;

	if (argc > 1 && strcmp(argv[1], MAIL_WORKER_ARG) == 0) {
		/* drop the role argument: the rest is what the dispatcher
		 * was started with */
		argv[1] = argv[0];
		env = service_env_init(hooks->protocol, hooks->protocol,
				       argc - 1, argv + 1);
		mail_worker_main(env, hooks);
	}
	env = service_env_init(hooks->protocol, hooks->protocol, argc, argv);
	mail_dispatch_main(env, hooks, argc, argv);
}
