/* imap-login-main.c - main() of the imap-login service.
 *
 * Runs the login core (login_common_main()) with the IMAP protocol's
 * struct login_binary. No protocol handling here. */
#include "lib.h"
#include "login-common.h"
#include "imap-login-client.h"

int main(int argc, char **argv)
{
	return login_common_main(&imap_login_binary, argc, argv);
}
