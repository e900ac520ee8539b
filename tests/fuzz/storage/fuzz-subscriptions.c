/* Fuzzes the subscriptions file reader: writes the input as the file of a
 * scratch Maildir and lists it. */
#include "lib.h"
#include "pool.h"
#include "mailbox-list.h"

#include <fcntl.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	char path[128], location[128];
	struct mailbox_list *list;
	struct mailbox_info *infos;
	unsigned int count;
	const char *error;
	pool_t pool;
	int fd;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/loft-fuzz-subs.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	snprintf(path, sizeof(path), "%s/subscriptions", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	snprintf(location, sizeof(location), "maildir:%s", dir);
	if (mailbox_list_init(location, NULL, '/', &list, &error) < 0)
		abort();
	pool = pool_create("fuzz", 1024);
	if (mailbox_list_iter(list, pool, &infos, &count, &error) < 0)
		abort();
	for (unsigned int i = 0; i < count; i++) {
		if (infos[i].name == NULL)
			abort();
	}
	pool_unref(&pool);
	mailbox_list_deinit(&list);
	return 0;
}
