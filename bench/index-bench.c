/* index-bench - times opening a large Maildir through Loft's storage:
 * the first open (no dovecot-uidlist, no loft.index: UIDs assigned, index
 * built), the second open (loft.index present and current) and a sync
 * with nothing changed (what NOOP/IDLE polling costs), and the ENVELOPE
 * of every message parsed from the files and then from loft.cache.
 *
 *   index-bench [-n MESSAGES] DIR
 *
 * DIR/Maildir is created (removed first when it exists) with MESSAGES
 * small messages written straight into cur/ with Dovecot-style names
 * (",S=,W=" sizes, some flags). Built by tests/unit/storage/meson.build. */
#include "lib.h"
#include "log.h"
#include "mailbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void populate(const char *maildir, unsigned int count)
{
	static const char *const flags[] = {"", "S", "FS", "RS", "Sa"};
	char path[4400], msg[256];

	for (unsigned int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", maildir,
			 i == 0	  ? "cur"
			 : i == 1 ? "new"
				  : "tmp");
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			i_fatal("mkdir(%s): %s", path, strerror(errno));
	}
	for (unsigned int i = 0; i < count; i++) {
		int len = snprintf(msg, sizeof(msg),
				   "From: bench@example.org\r\nSubject: "
				   "message %u\r\n\r\nbody of message %u\r\n",
				   i, i);
		snprintf(path, sizeof(path),
			 "%s/cur/%u.M%uP1.bench,S=%d,W=%d:2,%s", maildir,
			 1600000000 + i, i, len, len, flags[i % 5]);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || write(fd, msg, (size_t)len) != len)
			i_fatal("write(%s): %s", path, strerror(errno));
		close(fd);
	}
}

static double time_open(const char *location, unsigned int expect)
{
	struct mailbox *box;
	const char *error;
	double start = now();

	if (mailbox_open_inbox(location, NULL, &box, &error) < 0)
		i_fatal("open: %s", error);
	double t = now() - start;
	if (mailbox_count(box) != expect)
		i_fatal("expected %u messages, got %u", expect,
			mailbox_count(box));
	mailbox_close(&box);
	return t;
}

int main(int argc, char *argv[])
{
	unsigned int count = 100000;
	char maildir[4000], location[4100], cmd[4100];
	struct mailbox *box;
	const char *error;
	int c;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c == 'n')
			count = (unsigned int)strtoul(optarg, NULL, 10);
		else
			return 1;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: index-bench [-n MESSAGES] DIR\n");
		return 1;
	}
	snprintf(maildir, sizeof(maildir), "%s/Maildir", argv[optind]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", maildir);
	if (system(cmd) != 0 || mkdir(maildir, 0700) < 0)
		i_fatal("can't create %s", maildir);
	snprintf(location, sizeof(location), "maildir:%s", maildir);

	double start = now();
	populate(maildir, count);
	printf("messages: %u\n", count);
	printf("create maildir: %.3f s\n", now() - start);
	printf("first open (uidlist + index built): %.3f s\n",
	       time_open(location, count));
	printf("second open (index present): %.3f s\n",
	       time_open(location, count));

	if (mailbox_open_inbox(location, NULL, &box, &error) < 0)
		i_fatal("open: %s", error);
	start = now();
	for (unsigned int i = 0; i < 100; i++) {
		if (mailbox_sync(box, &error) < 0)
			i_fatal("sync: %s", error);
	}
	printf("sync without changes: %.1f us\n", (now() - start) * 1e6 / 100);
	mailbox_close(&box);
	snprintf(cmd, sizeof(cmd), "%s/loft.index", maildir);
	if (unlink(cmd) < 0)
		i_fatal("unlink(%s): %s", cmd, strerror(errno));
	printf("open with index missing (rebuild, uidlist present): %.3f s\n",
	       time_open(location, count));

	/* FETCH 1:* ENVELOPE as the storage sees it: every message parsed
	 * (and loft.cache filled), then a new session answering from
	 * loft.cache alone */
	for (unsigned int pass = 0; pass < 2; pass++) {
		pool_t pool = pool_create("bench", 4096);
		const char *value;
		bool expunged;

		if (mailbox_open_inbox(location, NULL, &box, &error) < 0)
			i_fatal("open: %s", error);
		start = now();
		for (unsigned int seq = 1; seq <= count; seq++) {
			if (mailbox_get_imap_field(box, seq, MAIL_IMAP_ENVELOPE,
						   pool, &value, &expunged,
						   &error) < 0)
				i_fatal("envelope: %s", error);
			if ((seq & 1023) == 0)
				pool_clear(pool);
		}
		printf("ENVELOPE of every message, %s: %.3f s\n",
		       pass == 0 ? "uncached (parsed, cache filled)"
				 : "cached (new session)",
		       now() - start);
		mailbox_close(&box);
		pool_unref(&pool);
	}
	return 0;
}
