/* admin-pw.c - `loftadm pw [-s SCHEME] [-p PASSWORD] [-r ROUNDS]`:
 * prints {SCHEME}hash like `doveadm pw`. Without -p the password is read
 * twice from the terminal, or once from stdin when it is not a tty. */
#include "lib.h"
#include "pool.h"
#include "password-scheme.h"
#include "admin.h"

#include <getopt.h>

int admin_cmd_pw(struct admin_context *ctx, int argc, char **argv)
{
	const char *scheme = "CRYPT", *hash, *error;
	char *password = NULL, *again;
	unsigned int rounds = 0;
	pool_t pool;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt(argc, argv, "s:p:r:")) != -1) {
		switch (c) {
		case 's':
			scheme = optarg;
			break;
		case 'p':
			i_free(password);
			password = i_strdup(optarg);
			break;
		case 'r':
			if (str_to_uint(optarg, &rounds) < 0) {
				fprintf(stderr,
					"loftadm pw: Invalid rounds: %s\n",
					optarg);
				return ADMIN_EX_USAGE;
			}
			break;
		default:
			fprintf(stderr, "usage: loftadm pw [-s SCHEME] [-p "
					"PASSWORD] [-r ROUNDS]\n");
			return ADMIN_EX_USAGE;
		}
	}
	if (password == NULL) {
		password = admin_read_password("Enter new password: ");
		if (password == NULL) {
			fprintf(stderr, "loftadm pw: No password given\n");
			return 1;
		}
		if (isatty(STDIN_FILENO)) {
			again = admin_read_password("Retype new password: ");
			if (again == NULL || strcmp(again, password) != 0) {
				fprintf(stderr, "Passwords don't match!\n");
				ret = 1;
			}
			if (again != NULL) {
				safe_memset0(again, strlen(again));
				i_free(again);
			}
		}
	}
	if (ret == 0) {
		pool = pool_create_secure("pw", 512);
		if (password_generate(pool, password, scheme, rounds, &hash,
				      &error) < 0) {
			fprintf(stderr, "loftadm pw: %s\n", error);
			ret = 1;
		} else {
			printf("%s\n", hash);
		}
		pool_unref(&pool);
	}
	safe_memset0(password, strlen(password));
	i_free(password);
	return ret;
}
