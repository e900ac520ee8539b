/* imap-main.c - the imap service binary: the mail service framework
 * (mail-service.h: dispatcher and per-uid workers) with the IMAP sessions
 * of imap-client.h. */
#include "lib.h"
#include "mail-service.h"
#include "imap-client.h"

static const struct mail_service_hooks imap_hooks = {
    .protocol = "imap",
    .client_create = imap_client_create,
    .clients_count = imap_clients_count,
    .clients_destroy_all = imap_clients_destroy_all,
    .clients_set_empty_callback = imap_clients_set_empty_callback,
};

int main(int argc, char **argv)
{
	mail_service_main(&imap_hooks, argc, argv);
}
