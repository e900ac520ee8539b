/* test-array.c - typed arrays from pools and the heap. */
#include "lib.h"
#include "array.h"

#include <setjmp.h>
#include <cmocka.h>

struct item {
	int a;
	char b[13];
};

static void test_pool_array(void **state)
{
	pool_t pool = pool_create("test", 64);
	ARRAY(int) nums;

	array_init(&nums, pool, 0);
	for (int i = 0; i < 1000; i++)
		array_push(&nums, i);
	assert_int_equal(nums.count, 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(nums.items[i], i);
	array_delete(&nums, 10, 5);
	assert_int_equal(nums.count, 995);
	assert_int_equal(nums.items[10], 15);
	array_delete(&nums, 990, 5);
	assert_int_equal(nums.count, 990);
	array_clear(&nums);
	assert_int_equal(nums.count, 0);
	assert_true(array_is_created(&nums));
	pool_unref(&pool);
}

static void test_heap_array(void **state)
{
	ARRAY(struct item) items;

	array_init(&items, NULL, 2);
	for (int i = 0; i < 50; i++) {
		struct item *it = array_append_space(&items);
		assert_int_equal(it->a, 0);
		it->a = i;
	}
	assert_int_equal(items.count, 50);
	assert_int_equal(items.items[49].a, 49);
	array_free(&items);
	assert_false(array_is_created(&items));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pool_array),
	    cmocka_unit_test(test_heap_array),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
