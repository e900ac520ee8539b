/* pop3-main.c - the pop3 service binary: the mail service framework
 * (mail-service.h) with the POP3 sessions of pop3-client.h. */
#include "lib.h"
#include "mail-service.h"
#include "pop3-client.h"

static const struct mail_service_hooks pop3_hooks = {
    .protocol = "pop3",
    .client_create = pop3_client_create,
    .clients_count = pop3_clients_count,
    .clients_destroy_all = pop3_clients_destroy_all,
    .clients_set_empty_callback = pop3_clients_set_empty_callback,
};

int main(int argc, char **argv)
{
	mail_service_main(&pop3_hooks, argc, argv);
}
