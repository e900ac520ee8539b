/* test-hash.c - hash tables: insert/replace/lookup/remove, growth,
 * iteration with removal, case-insensitive keys. */
#include "lib.h"
#include "hash.h"

#include <setjmp.h>
#include <cmocka.h>

static void run_table(pool_t pool)
{
	struct hash_table *t = hash_table_create(pool, 0, str_hash, str_cmp);
	char keys[500][8];
	const void *k;
	void *v;

	for (int i = 0; i < 500; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		hash_table_insert(t, keys[i], (void *)(uintptr_t)(i + 1));
	}
	assert_int_equal(hash_table_count(t), 500);
	for (int i = 0; i < 500; i++)
		assert_int_equal((uintptr_t)hash_table_lookup(t, keys[i]),
				 i + 1);
	assert_null(hash_table_lookup(t, "missing"));
	/* replace */
	hash_table_insert(t, "k7", (void *)(uintptr_t)1000);
	assert_int_equal(hash_table_count(t), 500);
	assert_true(hash_table_lookup_full(t, "k7", &k, &v));
	assert_string_equal(k, "k7");
	assert_int_equal((uintptr_t)v, 1000);

	assert_true(hash_table_remove(t, "k1"));
	assert_false(hash_table_remove(t, "k1"));
	assert_int_equal(hash_table_count(t), 499);

	/* iterate and remove every even value */
	struct hash_iterate_context *it = hash_table_iterate_init(t);
	unsigned int seen = 0;
	while (hash_table_iterate(it, &k, &v)) {
		seen++;
		if ((uintptr_t)v % 2 == 0)
			assert_true(hash_table_remove(t, k));
	}
	hash_table_iterate_deinit(&it);
	assert_null(it);
	assert_int_equal(seen, 499);
	it = hash_table_iterate_init(t);
	while (hash_table_iterate(it, &k, &v))
		assert_int_equal((uintptr_t)v % 2, 1);
	hash_table_iterate_deinit(&it);

	hash_table_clear(t);
	assert_int_equal(hash_table_count(t), 0);
	hash_table_insert(t, "again", (void *)1);
	assert_int_equal((uintptr_t)hash_table_lookup(t, "again"), 1);
	hash_table_destroy(&t);
	assert_null(t);
}

static void test_heap(void **state)
{
	run_table(NULL);
}

static void test_pool(void **state)
{
	pool_t pool = pool_create("hash", 1024);

	run_table(pool);
	pool_unref(&pool);
}

static void test_case_and_direct(void **state)
{
	struct hash_table *t =
	    hash_table_create(NULL, 4, strcase_hash, strcase_cmp);
	hash_table_insert(t, "User@Example.com", (void *)1);
	assert_int_equal((uintptr_t)hash_table_lookup(t, "user@EXAMPLE.com"),
			 1);
	hash_table_destroy(&t);

	t = hash_table_create(NULL, 4, direct_hash, direct_cmp);
	for (uintptr_t i = 1; i < 100; i++)
		hash_table_insert(t, (void *)i, (void *)(i * 2));
	assert_int_equal((uintptr_t)hash_table_lookup(t, (void *)50), 100);
	hash_table_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_heap),
	    cmocka_unit_test(test_pool),
	    cmocka_unit_test(test_case_and_direct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
