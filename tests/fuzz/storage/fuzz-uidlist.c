/* libFuzzer harness for the dovecot-uidlist parser: parse arbitrary bytes,
 * write the result back and parse that again; the rewrite must parse
 * cleanly to the same records. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "log.h"
#include "maildir-uidlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized = false;
	struct maildir_uidlist *list, *list2;
	pool_t pool;
	string_t *str;
	int ret;

	if (!initialized) {
		/* warnings about broken lines are expected: keep quiet */
		(void)log_set_targets("/dev/null", "/dev/null", "/dev/null",
				      NULL);
		initialized = true;
	}
	pool = pool_create("fuzz uidlist", 4096);
	ret = maildir_uidlist_parse(pool, "fuzz", data, size, &list);
	if (ret > 0) {
		str = str_new(pool, 256);
		maildir_uidlist_write(list, str);
		ret = maildir_uidlist_parse(pool, "fuzz", str_data(str),
					    str_len(str), &list2);
		if (ret != 1 || list2->skipped_lines != 0 ||
		    list2->recs.count != list->recs.count ||
		    list2->uid_validity != list->uid_validity)
			abort();
		for (unsigned int i = 0; i < list->recs.count; i++) {
			if (list->recs.items[i].uid !=
				list2->recs.items[i].uid ||
			    strcmp(list->recs.items[i].basename,
				   list2->recs.items[i].basename) != 0)
				abort();
		}
	}
	pool_unref(&pool);
	return 0;
}
