/* Fuzzes maildir_filename_parse(), the one-pass reading of a maildir file
 * name that a sync uses, and checks it against the separate functions
 * (base length, S= and W= sizes, flags, and keywords as
 * maildir_filename_get_keywords() reads them). */
#include "lib.h"
#include "pool.h"
#include "maildir-filename.h"
#include "maildir-keywords.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a file name: at most NAME_MAX bytes, no NUL */
	char name[256];
	size_t len = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	struct maildir_filename_info info;
	uint64_t value;
	bool has;

	memcpy(name, data, len);
	name[len] = '\0';
	len = strlen(name);
	maildir_filename_parse(name, len, &info);
	if (info.base_len != maildir_filename_base_len(name) ||
	    info.flags != maildir_filename_get_flags(name) ||
	    info.keywords != maildir_filename_get_keywords(name))
		abort();
	has = maildir_filename_get_size(name, 'S', &value);
	if (has != info.has_psize || (has && value != info.psize))
		abort();
	has = maildir_filename_get_size(name, 'W', &value);
	if (has != info.has_vsize || (has && value != info.vsize))
		abort();
	return 0;
}
