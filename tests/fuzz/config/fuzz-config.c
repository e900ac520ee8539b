/* fuzz-config.c - libFuzzer harness for the config parser and dump.
 *
 * Parses the input as a config held in memory (no file system access:
 * !include and <file are refused), applies it with a protocol filter and
 * prints it in both generations. The 2.3 dump must load again. */
#include "lib.h"
#include "str.h"
#include "config-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void load_and_dump(const uint8_t *data, size_t size,
			  const char *protocol)
{
	pool_t pool = pool_create("fuzz config", 4096);
	struct config_filter filter = {.protocol = protocol};
	struct config_tree *tree;
	struct config_loaded *cl;
	const char *error;

	if (config_parse_buffer(pool, "fuzz.conf", data, size,
				CONFIG_PARSE_FLAG_NO_FILES, &tree,
				&error) == 0 &&
	    config_load_tree(tree, &filter, &cl, &error) == 0) {
		string_t *out = str_new(pool, 1024);
		pool_t pool2 = pool_create("fuzz config 2", 4096);
		struct config_tree *tree2;
		struct config_loaded *cl2;

		config_dump_loaded(cl, false, 0, out);
		/* validation depends on the filter: recheck global loads */
		if (protocol == NULL &&
		    (config_parse_buffer(
			 pool2, "dump.conf", str_data(out), str_len(out),
			 CONFIG_PARSE_FLAG_NO_FILES, &tree2, &error) < 0 ||
		     config_load_tree(tree2, NULL, &cl2, &error) < 0))
			i_panic("dump does not load again: %s\n%s", error,
				str_c(out));
		pool_unref(&pool2);
		config_dump_loaded(cl, false, 1, out);
		config_dump_loaded(cl, true, 0, out);
	}
	pool_unref(&pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	load_and_dump(data, size, "pop3");
	load_and_dump(data, size, NULL);
	return 0;
}
