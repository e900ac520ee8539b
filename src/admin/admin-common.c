/* admin-common.c - helpers shared by loftadm's commands: password
 * prompts and socket paths from the configuration. */
#include "lib.h"
#include "config.h"
#include "admin.h"

#include <termios.h>

#define ADMIN_PASSWORD_MAX 1024

char *admin_read_password(const char *prompt)
{
	struct termios old, noecho;
	bool tty = isatty(STDIN_FILENO) != 0;
	char buf[ADMIN_PASSWORD_MAX];
	char *ret = NULL;

	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			noecho = old;
			noecho.c_lflag &= ~(tcflag_t)ECHO;
			(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
		}
	}
	if (fgets(buf, sizeof(buf), stdin) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		ret = i_strdup(buf);
	}
	safe_memset0(buf, sizeof(buf));
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputs("\n", stderr);
	}
	return ret;
}

const char *admin_socket_path(struct admin_context *ctx, const char *name)
{
	static char path[4096];
	struct loft_settings *set;
	const char *error, *conf;

	conf =
	    ctx->config_path != NULL ? ctx->config_path : config_default_path();
	if (config_load(conf, NULL, &set, &error) < 0) {
		fprintf(stderr, "loftadm: Error: %s\n", error);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s",
		 set->base_dir != NULL ? set->base_dir : ".", name);
	config_free(&set);
	return path;
}
