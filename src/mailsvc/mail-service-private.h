/* mail-service-private.h - the two roles of a mail service process,
 * called by mail_service_main() (mail-service.c) only. */
#ifndef LOFT_MAIL_SERVICE_PRIVATE_H
#define LOFT_MAIL_SERVICE_PRIVATE_H

#include "service-env.h"
#include "mail-service.h"

/* Runs the dispatcher until it is stopped. argv is passed on to the
 * workers it starts (after MAIL_WORKER_ARG). Never returns. */
void mail_dispatch_main(struct service_env *env,
			const struct mail_service_hooks *hooks, int argc,
			char **argv) ATTR_NORETURN;

/* The worker role: reads the MAIL_WORKER_ENV_* environment, drops
 * privileges, serves clients until told to stop. Never returns (exits 0,
 * or fatal). */
void mail_worker_main(struct service_env *env,
		      const struct mail_service_hooks *hooks) ATTR_NORETURN;

#endif
