/* Fuzzes the dovecot-keywords parser and checks that what it writes back
 * parses to the same keywords without skipped lines. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "maildir-keywords.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pool_t pool = pool_create("fuzz", 1024);
	struct maildir_keywords kw, kw2;
	string_t *a = str_new(pool, 256), *b = str_new(pool, 256);

	(void)maildir_keywords_parse(pool, data, size, &kw);
	maildir_keywords_write(&kw, a);
	if (maildir_keywords_parse(pool, str_data(a), str_len(a), &kw2) != 0)
		abort();
	maildir_keywords_write(&kw2, b);
	if (strcmp(str_c(a), str_c(b)) != 0)
		abort();
	pool_unref(&pool);
	return 0;
}
