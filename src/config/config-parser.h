/* config-parser.h - Dovecot-syntax config files into a tree of nodes.
 *
 * The parser knows the syntax only: `key = value`, quoted values,
 * comments, sections `type [name] { ... }`, `!include` / `!include_try`
 * with globs, `key = <file`, `$name` references and line continuation.
 * It does not know which settings or sections exist, except that it asks
 * the registry which settings keep a `<path` as a path (ssl_cert ...)
 * and what an unset `$name` defaults to. Meaning is given by config.c.
 *
 * Limits: a logical line is at most CONFIG_MAX_LINE_LENGTH bytes, a file
 * at most CONFIG_MAX_FILE_SIZE, includes nest CONFIG_MAX_INCLUDE_DEPTH
 * deep, sections CONFIG_MAX_SECTION_DEPTH deep. Only regular files are
 * opened. No input makes it crash or allocate without bound. */
#ifndef LOFT_CONFIG_PARSER_H
#define LOFT_CONFIG_PARSER_H

#include "lib.h"
#include "pool.h"
#include "array.h"

#define CONFIG_MAX_LINE_LENGTH (64 * 1024)
#define CONFIG_MAX_FILE_SIZE (4 * 1024 * 1024)
#define CONFIG_MAX_INCLUDE_DEPTH 16
#define CONFIG_MAX_SECTION_DEPTH 16
#define CONFIG_MAX_FILES 1024
#define CONFIG_MAX_NODES 100000

enum config_node_type {
	CONFIG_NODE_KEY,
	CONFIG_NODE_SECTION,
};

struct config_node {
	enum config_node_type type;
	const char *key; /* setting name, or section type ("service") */
	/* KEY: the value with $refs expanded and <file read (never NULL).
	 * SECTION: the section name, NULL when there is none. */
	const char *value;
	const char
	    *value_path; /* KEY written as "<path": the path, else NULL */
	bool quoted;	 /* KEY value was quoted */
	const char *file;
	unsigned int line;
	struct config_node *parent;
	ARRAY(struct config_node *) children; /* SECTION and root only */
};

struct config_tree {
	pool_t pool;
	const char *path;	  /* main file, or the buffer's name */
	struct config_node *root; /* a SECTION with key "" */
	bool v24;		  /* first setting was dovecot_config_version */
};

/* Parses the file at path and everything it includes. The tree is
 * allocated from pool. Returns 0, or -1 with *error_r set to
 * "FILE:LINE: reason" (allocated from pool). */
int config_parse_file(pool_t pool, const char *path,
		      struct config_tree **tree_r, const char **error_r);
enum config_parse_flags {
	/* !include and "<file" are errors (fuzzing: no file system) */
	CONFIG_PARSE_FLAG_NO_FILES = 0x01,
};
/* Same for a config held in memory; name is used in errors and relative
 * !include paths resolve against the current directory. */
int config_parse_buffer(pool_t pool, const char *name, const void *data,
			size_t size, enum config_parse_flags flags,
			struct config_tree **tree_r, const char **error_r);

/* Section lookup helpers: the last KEY child named key, or NULL. */
const struct config_node *
config_node_find_key(const struct config_node *section, const char *key);

#endif
