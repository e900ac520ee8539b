/* pop3-login-main.c - main() of the pop3-login service.
 *
 * Runs the login core (login_common_main()) with the POP3 protocol's
 * struct login_binary. No protocol handling here. */
#include "lib.h"
#include "login-common.h"
#include "pop3-login-client.h"

int main(int argc, char **argv)
{
	return login_common_main(&pop3_login_binary, argc, argv);
}
