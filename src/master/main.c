/* main.c - the `loft` command line: start the master, print the
 * configuration, or signal a running master. Everything after the
 * configuration has been validated is in master.c. */
#include "lib.h"
#include "config.h"
#include "master.h"
#include "str.h"
#include "loft-config.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>

enum {
	OPT_AS = 256,
	OPT_VERSION,
	OPT_HELP,
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: loft [-c FILE] [-F]                start the server (-F: "
	    "foreground)\n"
	    "       loft [-c FILE] -n [--as 2.3|2.4]  print settings that "
	    "differ from defaults\n"
	    "       loft [-c FILE] -a [--as 2.3|2.4]  print all settings\n"
	    "       loft [-c FILE] stop               stop the running server\n"
	    "       loft [-c FILE] reload             reload the "
	    "configuration\n"
	    "       loft --version | --help\n"
	    "Default config file: %s\n",
	    config_default_path());
}

static int ATTR_NORETURN cli_fatal(const char *fmt, ...) ATTR_FORMAT(1, 2);
static int cli_fatal(const char *fmt, ...)
{
	va_list args;

	fputs("loft: Fatal: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	exit(1);
}

static int cmd_dump(const char *path, bool all, int as_v24)
{
	string_t *dest = str_new(NULL, 4096);
	const char *error;

	if (config_dump(path, all, as_v24, dest, &error) < 0)
		cli_fatal("%s", error);
	if (fwrite(str_data(dest), 1, str_len(dest), stdout) != str_len(dest) ||
	    fflush(stdout) != 0)
		cli_fatal("write(stdout) failed: %s", strerror(errno));
	str_free(&dest);
	return 0;
}

static int cmd_signal(const char *path, int signo, bool wait_exit)
{
	struct loft_settings *set;
	const char *error;

	if (config_load(path, NULL, &set, &error) < 0)
		cli_fatal("%s", error);
	if (master_ctl_signal(set->base_dir, signo, wait_exit, &error) < 0)
		cli_fatal("%s", error);
	config_free(&set);
	return 0;
}

static const char *absolute_path(const char *path)
{
	static char buf[PATH_MAX];

	if (realpath(path, buf) != NULL)
		return buf;
	return path;
}

int main(int argc, char *argv[])
{
	static const struct option long_opts[] = {
	    {"as", required_argument, NULL, OPT_AS},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *command = NULL, *error;
	struct loft_settings *set;
	bool foreground = false, dump_changed = false, dump_all = false;
	int as_v24 = -1, c;

	while ((c = getopt_long(argc, argv, "c:Fnah", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'F':
			foreground = true;
			break;
		case 'n':
			dump_changed = true;
			break;
		case 'a':
			dump_all = true;
			break;
		case OPT_AS:
			if (strcmp(optarg, "2.4") == 0)
				as_v24 = 1;
			else if (strcmp(optarg, "2.3") == 0)
				as_v24 = 0;
			else
				cli_fatal(
				    "--as: unknown version %s (use 2.3 or 2.4)",
				    optarg);
			break;
		case OPT_VERSION:
			printf("%s\n", LOFT_VERSION);
			return 0;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc)
		command = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return 1;
	}
	if (config_path == NULL)
		config_path = config_default_path();
	if (as_v24 != -1 && !dump_changed && !dump_all)
		cli_fatal("--as is used with -n or -a");

	if (command != NULL) {
		if (dump_changed || dump_all || foreground) {
			usage(stderr);
			return 1;
		}
		if (strcmp(command, "stop") == 0)
			return cmd_signal(config_path, SIGTERM, true);
		if (strcmp(command, "reload") == 0)
			return cmd_signal(config_path, SIGHUP, false);
		fprintf(stderr, "loft: Unknown command: %s\n", command);
		usage(stderr);
		return 1;
	}
	if (dump_changed || dump_all)
		return cmd_dump(config_path, dump_all, as_v24);

	/* A daemon must not keep its caller's descriptors (a shell's
	 * command substitution would wait for them). */
	if (close_range(STDERR_FILENO + 1, ~0U, 0) < 0) {
		long open_max = sysconf(_SC_OPEN_MAX);

		for (long fd = STDERR_FILENO + 1; fd < open_max; fd++)
			(void)close((int)fd);
	}
	if (master_config_load(config_path, &set, &error) < 0)
		cli_fatal("%s", error);
	return master_run(absolute_path(config_path), set, foreground);
}
