/* fuzz-imap-seqset.c - parses arbitrary text as a sequence set; an
 * accepted set is resolved with a "*" taken from the input, must come out
 * ordered and merged, written back and parsed to the same set, and its
 * iteration (bounded here) must agree with membership. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "imap-seqset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pool_t pool;
	struct imap_seqset set, set2;
	struct imap_seqset_iter iter;
	const char *error;
	char *input;
	uint32_t star = 1, num, prev = 0;
	string_t *out;
	unsigned int n = 0;

	if (size < 4)
		return 0;
	memcpy(&star, data, 4);
	if (star == 0)
		star = 1;
	pool = pool_create("fuzz", 1024);
	input = p_strndup(pool, data + 4, size - 4);
	if (imap_seqset_parse(pool, input, &set, &error) < 0 || set.searchres) {
		pool_unref(&pool);
		return 0;
	}
	imap_seqset_resolve(&set, star);
	for (unsigned int i = 0; i < set.count; i++) {
		if (set.ranges[i].seq1 == 0 ||
		    set.ranges[i].seq1 > set.ranges[i].seq2)
			abort();
		if (i > 0 &&
		    (uint64_t)set.ranges[i - 1].seq2 + 1 >= set.ranges[i].seq1)
			abort();
	}
	out = str_new(pool, 64);
	imap_seqset_append(out, &set);
	if (imap_seqset_parse(pool, str_c(out), &set2, &error) < 0)
		abort();
	imap_seqset_resolve(&set2, star);
	if (set2.count != set.count ||
	    memcmp(set2.ranges, set.ranges, set.count * sizeof(*set.ranges)) !=
		0)
		abort();
	imap_seqset_iter_init(&iter, &set);
	while (n++ < 1000 && imap_seqset_iter_next(&iter, &num)) {
		if (num <= prev || !imap_seqset_contains(&set, num))
			abort();
		prev = num;
	}
	pool_unref(&pool);
	return 0;
}
