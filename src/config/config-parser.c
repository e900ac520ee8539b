/* config-parser.c - reads Dovecot-syntax config text into a node tree.
 *
 * Files are read whole (bounded), split into logical lines (a trailing
 * backslash joins the next line) and each line is parsed as one or more
 * statements: `key = value`, `type [name] {`, `}`, `!include[_try] path`.
 * Several statements on one line are accepted (`x { port = 1 ssl = yes }`).
 * This file checks syntax only; config.c checks names and values. */
#include "lib.h"
#include "str.h"
#include "config-parser.h"
#include "settings-registry.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>

#define CONFIG_MAX_FILE_VALUE_TOTAL (16 * 1024 * 1024)

struct parse_ctx {
	pool_t pool;
	struct config_tree *tree;
	struct config_node *cur; /* current section */
	unsigned int depth;	 /* section depth */
	unsigned int include_depth;
	unsigned int files;
	unsigned int nodes;
	size_t file_value_bytes;
	bool seen_setting; /* a KEY was parsed in the main file */
	bool no_files;

	/* position, for errors */
	const char *file;
	const char *dir; /* directory of file, for !include */
	unsigned int line;
	const char *error;
};

static int parse_text(struct parse_ctx *ctx, const char *file, const char *data,
		      size_t size);

static int parse_error(struct parse_ctx *ctx, const char *fmt, ...)
    ATTR_FORMAT(2, 3);
static int parse_error(struct parse_ctx *ctx, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	const char *reason = p_strdup_vprintf(ctx->pool, fmt, args);
	va_end(args);
	ctx->error = p_strdup_printf(ctx->pool, "%s:%u: %s", ctx->file,
				     ctx->line, reason);
	return -1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_key_char(char c)
{
	return c != '\0' && !is_space(c) && c != '=' && c != '{' && c != '}' &&
	       c != '"' && c != '\'' && c != '#';
}

static bool is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

static struct config_node *node_new(struct parse_ctx *ctx,
				    enum config_node_type type, const char *key)
{
	struct config_node *node = p_new(ctx->pool, struct config_node, 1);

	node->type = type;
	node->key = key;
	node->file = ctx->file;
	node->line = ctx->line;
	node->parent = ctx->cur;
	if (type == CONFIG_NODE_SECTION)
		array_init(&node->children, ctx->pool, 4);
	return node;
}

static int node_add(struct parse_ctx *ctx, struct config_node *node)
{
	if (++ctx->nodes > CONFIG_MAX_NODES)
		return parse_error(ctx, "Too many settings");
	array_push(&ctx->cur->children, node);
	return 0;
}

/* Reads a whole regular file into pool; returns 0, -1 with errno-based
 * *error_r, or -2 when it does not exist. */
static int read_file(pool_t pool, const char *path, size_t max_size,
		     char **data_r, size_t *size_r, const char **error_r)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		*error_r = p_strdup_printf(pool, "open(%s) failed: %s", path,
					   strerror(errno));
		return errno == ENOENT ? -2 : -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*error_r =
		    p_strdup_printf(pool, "%s is not a regular file", path);
		i_close_fd(&fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max_size) {
		*error_r = p_strdup_printf(
		    pool, "%s is too large (max %zu bytes)", path, max_size);
		i_close_fd(&fd);
		return -1;
	}
	size_t alloc = (size_t)st.st_size + 1, size = 0;
	char *data = p_malloc(pool, alloc);
	for (;;) {
		ssize_t ret = read(fd, data + size, alloc - 1 - size);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			*error_r = p_strdup_printf(pool, "read(%s) failed: %s",
						   path, strerror(errno));
			i_close_fd(&fd);
			return -1;
		}
		if (ret == 0)
			break;
		size += (size_t)ret;
		if (size == alloc - 1)
			break; /* file grew: read what fit */
	}
	i_close_fd(&fd);
	data[size] = '\0';
	*data_r = data;
	*size_r = size;
	return 0;
}

static const char *path_dirname(pool_t pool, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return ".";
	if (slash == path)
		return "/";
	return p_strndup(pool, path, (size_t)(slash - path));
}

static const char *path_resolve(struct parse_ctx *ctx, const char *path)
{
	if (path[0] == '/' || ctx->dir == NULL)
		return path;
	return p_strconcat(ctx->pool, ctx->dir, "/", path, NULL);
}

static int parse_file(struct parse_ctx *ctx, const char *path, bool try)
{
	const char *saved_file = ctx->file, *saved_dir = ctx->dir;
	unsigned int saved_line = ctx->line;
	const char *error;
	char *data;
	size_t size;
	int ret;

	if (++ctx->files > CONFIG_MAX_FILES)
		return parse_error(ctx, "Too many included files");
	ret = read_file(ctx->pool, path, CONFIG_MAX_FILE_SIZE, &data, &size,
			&error);
	if (ret == -2 && try)
		return 0;
	if (ret < 0) {
		if (saved_file == NULL) {
			ctx->error = error;
			return -1;
		}
		return parse_error(ctx, "%s", error);
	}
	ctx->dir = path_dirname(ctx->pool, path);
	ret = parse_text(ctx, p_strdup(ctx->pool, path), data, size);
	ctx->file = saved_file;
	ctx->dir = saved_dir;
	ctx->line = saved_line;
	return ret;
}

static bool has_glob_chars(const char *path)
{
	return strpbrk(path, "*?[") != NULL;
}

static int parse_include(struct parse_ctx *ctx, const char *arg, bool try)
{
	const char *path;
	glob_t gl;
	int ret;

	if (arg[0] == '\0')
		return parse_error(ctx, "!include requires a path");
	if (ctx->no_files)
		return parse_error(ctx, "!include not allowed here");
	if (ctx->include_depth >= CONFIG_MAX_INCLUDE_DEPTH)
		return parse_error(ctx, "Includes nested too deep (max %d)",
				   CONFIG_MAX_INCLUDE_DEPTH);
	path = path_resolve(ctx, arg);
	ctx->include_depth++;
	if (!has_glob_chars(path)) {
		ret = parse_file(ctx, path, try);
		ctx->include_depth--;
		return ret;
	}
	memset(&gl, 0, sizeof(gl));
	ret = glob(path, GLOB_BRACE, NULL, &gl);
	if (ret == GLOB_NOMATCH) {
		ctx->include_depth--;
		return 0;
	}
	if (ret != 0) {
		globfree(&gl);
		ctx->include_depth--;
		return parse_error(ctx, "glob(%s) failed", path);
	}
	ret = 0;
	for (size_t i = 0; i < gl.gl_pathc && ret == 0; i++) {
		const char *p = p_strdup(ctx->pool, gl.gl_pathv[i]);
		ret = parse_file(ctx, p, try);
	}
	globfree(&gl);
	ctx->include_depth--;
	return ret;
}

/* The value of an earlier setting for a $name reference: the latest
 * assignment in this section or its parents, else the registry default. */
static const char *lookup_ref(struct parse_ctx *ctx, const char *name)
{
	const struct setting_def *def = settings_registry_find(name, NULL);

	for (const struct config_node *sec = ctx->cur; sec != NULL;
	     sec = sec->parent) {
		for (unsigned int i = sec->children.count; i > 0; i--) {
			const struct config_node *n =
			    sec->children.items[i - 1];

			if (n->type != CONFIG_NODE_KEY)
				continue;
			if (strcmp(n->key, name) == 0)
				return n->value;
			if (def != NULL &&
			    settings_registry_find(n->key, NULL) == def)
				return n->value;
		}
	}
	return def == NULL ? NULL : def->default_value;
}

/* Expands $name and $SET:name in an unquoted value. Unknown names stay. */
static const char *expand_refs(struct parse_ctx *ctx, const char *value)
{
	string_t *str;
	const char *p;

	if (strchr(value, '$') == NULL)
		return value;
	str = str_new(ctx->pool, strlen(value) + 32);
	for (p = value; *p != '\0';) {
		const char *start, *name, *ref;

		if (*p != '$') {
			str_append_c(str, *p++);
			continue;
		}
		start = p + 1;
		if (strncmp(start, "SET:", 4) == 0)
			start += 4;
		const char *end = start;
		while (is_ident_char(*end))
			end++;
		if (end == start) {
			str_append_c(str, *p++);
			continue;
		}
		name = p_strndup(ctx->pool, start, (size_t)(end - start));
		ref = lookup_ref(ctx, name);
		if (ref == NULL)
			str_append_n(str, p, (size_t)(end - p));
		else
			str_append(str, ref);
		if (str_len(str) > CONFIG_MAX_LINE_LENGTH)
			break;
		p = end;
	}
	return str_c(str);
}

/* Handles "key = <path". */
static int value_from_file(struct parse_ctx *ctx, struct config_node *node,
			   const char *path)
{
	const struct setting_def *def = settings_registry_find(node->key, NULL);
	const char *error;
	char *data;
	size_t size;

	if (path[0] == '\0')
		return parse_error(ctx, "%s: '<' requires a file path",
				   node->key);
	node->value_path = path_resolve(ctx, path);
	if (def != NULL && (def->flags & SET_FLAG_FILE_PATH) != 0) {
		node->value = node->value_path;
		return 0;
	}
	if (ctx->no_files)
		return parse_error(ctx, "%s: <file not allowed here",
				   node->key);
	if (read_file(ctx->pool, node->value_path, 1024 * 1024, &data, &size,
		      &error) < 0)
		return parse_error(ctx, "%s: %s", node->key, error);
	ctx->file_value_bytes += size;
	if (ctx->file_value_bytes > CONFIG_MAX_FILE_VALUE_TOTAL)
		return parse_error(ctx, "Too much data read from <files");
	while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
		data[--size] = '\0';
	node->value = data;
	return 0;
}

/* Parses a quoted string starting at *pp (at the quote). */
static int parse_quoted(struct parse_ctx *ctx, const char **pp,
			const char **value_r)
{
	const char *p = *pp;
	char quote = *p++;
	string_t *str = str_new(ctx->pool, 64);

	for (; *p != quote; p++) {
		if (*p == '\0')
			return parse_error(ctx, "Missing closing quote (%c)",
					   quote);
		if (*p == '\\' && p[1] != '\0') {
			p++;
			switch (*p) {
			case 'n':
				str_append_c(str, '\n');
				break;
			case 't':
				str_append_c(str, '\t');
				break;
			case 'r':
				str_append_c(str, '\r');
				break;
			default:
				str_append_c(str, *p);
				break;
			}
			continue;
		}
		str_append_c(str, *p);
	}
	*pp = p + 1;
	*value_r = str_c(str);
	return 0;
}

/* Where an unquoted value ends: at end of line, at " #", before a
 * trailing " }" or before a following "ident =" statement - except inside
 * a 2.4 %{...} variable, which may hold spaces, '|' and '='. */
static const char *unquoted_value_end(const char *p)
{
	const char *end = p;
	unsigned int braces = 0; /* open "%{" inside the value */

	while (*end != '\0') {
		if (*end == '{') {
			braces++;
		} else if (*end == '}' && braces > 0) {
			braces--;
		} else if (braces > 0) {
			/* inside %{...}: nothing ends the value but the line */
		} else if (is_space(*end)) {
			const char *q = skip_space(end);

			if (*q == '#' || *q == '\0')
				return end;
			if (*q == '}') {
				const char *r = skip_space(q + 1);
				if (*r == '\0' || *r == '#' || *r == '}' ||
				    is_key_char(*r))
					return end;
			}
			/* "ident =" starts a new statement */
			const char *r = q;
			while (is_ident_char(*r) || *r == '-' || *r == ':')
				r++;
			if (r > q && is_space(*r) && *skip_space(r) == '=' &&
			    skip_space(r)[1] != '=')
				return end;
			end = q;
			continue;
		}
		end++;
	}
	if (braces > 0) {
		/* unbalanced: trim trailing space only */
		while (end > p && is_space(end[-1]))
			end--;
	}
	return end;
}

static int parse_section_open(struct parse_ctx *ctx, const char *key,
			      const char *name)
{
	struct config_node *node;

	if (ctx->depth >= CONFIG_MAX_SECTION_DEPTH)
		return parse_error(ctx, "Sections nested too deep (max %d)",
				   CONFIG_MAX_SECTION_DEPTH);
	node = node_new(ctx, CONFIG_NODE_SECTION, key);
	node->value = name;
	if (node_add(ctx, node) < 0)
		return -1;
	ctx->cur = node;
	ctx->depth++;
	return 0;
}

static int parse_statements(struct parse_ctx *ctx, const char *p)
{
	for (;;) {
		const char *key, *start;

		p = skip_space(p);
		if (*p == '\0' || *p == '#')
			return 0;
		if (*p == '}') {
			if (ctx->depth == 0)
				return parse_error(ctx, "Unexpected '}'");
			ctx->cur = ctx->cur->parent;
			ctx->depth--;
			p++;
			continue;
		}
		if (*p == '!') {
			bool try;
			const char *arg;

			if (strncmp(p, "!include_try", 12) == 0 &&
			    (is_space(p[12]) || p[12] == '\0')) {
				try = true;
				p += 12;
			} else if (strncmp(p, "!include", 8) == 0 &&
				   (is_space(p[8]) || p[8] == '\0')) {
				try = false;
				p += 8;
			} else {
				return parse_error(ctx, "Unknown directive: %s",
						   p);
			}
			p = skip_space(p);
			if (*p == '"' || *p == '\'') {
				if (parse_quoted(ctx, &p, &arg) < 0)
					return -1;
			} else {
				const char *end = p + strlen(p);
				while (end > p && is_space(end[-1]))
					end--;
				arg =
				    p_strndup(ctx->pool, p, (size_t)(end - p));
			}
			return parse_include(ctx, arg, try);
		}
		start = p;
		while (is_key_char(*p))
			p++;
		if (p == start)
			return parse_error(
			    ctx, "Expecting a setting name, got: %s", start);
		key = p_strndup(ctx->pool, start, (size_t)(p - start));
		p = skip_space(p);

		if (*p == '=') {
			struct config_node *node =
			    node_new(ctx, CONFIG_NODE_KEY, key);

			p = skip_space(p + 1);
			if (*p == '"' || *p == '\'') {
				if (parse_quoted(ctx, &p, &node->value) < 0)
					return -1;
				node->quoted = true;
				p = skip_space(p);
				if (*p != '\0' && *p != '#' && *p != '}' &&
				    !is_key_char(*p))
					return parse_error(
					    ctx,
					    "Garbage after quoted value: %s",
					    p);
			} else if (*p == '<') {
				const char *end = unquoted_value_end(p + 1);
				const char *path = p_strndup(
				    ctx->pool, p + 1, (size_t)(end - p - 1));
				path = p_strdup(ctx->pool, skip_space(path));
				if (value_from_file(ctx, node, path) < 0)
					return -1;
				p = end;
			} else {
				const char *end = unquoted_value_end(p);
				const char *value =
				    p_strndup(ctx->pool, p, (size_t)(end - p));
				node->value = expand_refs(ctx, value);
				p = end;
			}
			if (node_add(ctx, node) < 0)
				return -1;
			if (node->parent == ctx->tree->root &&
			    ctx->include_depth == 0 && !ctx->seen_setting) {
				ctx->seen_setting = true;
				if (strcmp(key, "dovecot_config_version") == 0)
					ctx->tree->v24 = true;
			}
			continue;
		}
		if (*p == '{') {
			if (parse_section_open(ctx, key, NULL) < 0)
				return -1;
			p++;
			continue;
		}
		/* "type name {" - the name may be quoted or several words */
		const char *name;
		if (*p == '"' || *p == '\'') {
			if (parse_quoted(ctx, &p, &name) < 0)
				return -1;
			p = skip_space(p);
		} else {
			const char *nstart = p;
			while (*p != '\0' && *p != '{' && *p != '#' &&
			       *p != '=')
				p++;
			const char *nend = p;
			while (nend > nstart && is_space(nend[-1]))
				nend--;
			name = p_strndup(ctx->pool, nstart,
					 (size_t)(nend - nstart));
		}
		if (*p != '{') {
			if (*p == '\0' || *p == '#')
				return parse_error(
				    ctx, "Expecting '=' or '{' after %s", key);
			return parse_error(ctx, "Expecting '{' after %s %s",
					   key, name);
		}
		if (name[0] == '\0')
			name = NULL;
		if (parse_section_open(ctx, key, name) < 0)
			return -1;
		p++;
	}
}

static int parse_text(struct parse_ctx *ctx, const char *file, const char *data,
		      size_t size)
{
	unsigned int start_depth = ctx->depth;
	struct config_node *start_section = ctx->cur;
	const char *p = data, *end = data + size;
	string_t *line = str_new(ctx->pool, 256);
	unsigned int next_line = 1;

	ctx->file = file;
	while (p < end) {
		ctx->line = next_line;
		str_truncate(line, 0);
		/* gather one logical line */
		for (;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *lend = nl == NULL ? end : nl;
			size_t len = (size_t)(lend - p);

			next_line++;
			if (str_len(line) + len > CONFIG_MAX_LINE_LENGTH)
				return parse_error(
				    ctx, "Line too long (max %d bytes)",
				    CONFIG_MAX_LINE_LENGTH);
			if (memchr(p, '\0', len) != NULL)
				return parse_error(ctx, "NUL byte in line");
			while (len > 0 && is_space(p[len - 1]))
				len--;
			const char *lp = p;
			if (str_len(line) > 0) {
				/* continuation: one space replaces the indent
				 */
				while (len > 0 && is_space(*lp)) {
					lp++;
					len--;
				}
			}
			p = nl == NULL ? end : nl + 1;
			if (len > 0 && lp[len - 1] == '\\' &&
			    skip_space(str_c(line))[0] != '#' &&
			    skip_space(lp)[0] != '#') {
				str_append_n(line, lp, len - 1);
				if (str_len(line) > 0 &&
				    !is_space((char)str_data(
					line)[str_len(line) - 1]))
					str_append_c(line, ' ');
				if (p < end)
					continue;
			} else {
				str_append_n(line, lp, len);
			}
			break;
		}
		if (parse_statements(ctx, str_c(line)) < 0)
			return -1;
	}
	if (ctx->depth != start_depth || ctx->cur != start_section) {
		ctx->line = next_line - 1;
		return parse_error(ctx, "Missing '}'");
	}
	return 0;
}

static struct parse_ctx *parse_init(pool_t pool, const char *path)
{
	struct parse_ctx *ctx = p_new(pool, struct parse_ctx, 1);

	ctx->pool = pool;
	ctx->tree = p_new(pool, struct config_tree, 1);
	ctx->tree->pool = pool;
	ctx->tree->path = p_strdup(pool, path);
	ctx->cur = ctx->tree->root = node_new(ctx, CONFIG_NODE_SECTION, "");
	return ctx;
}

int config_parse_file(pool_t pool, const char *path,
		      struct config_tree **tree_r, const char **error_r)
{
	struct parse_ctx *ctx = parse_init(pool, path);

	if (parse_file(ctx, ctx->tree->path, false) < 0) {
		*error_r = ctx->error;
		return -1;
	}
	*tree_r = ctx->tree;
	return 0;
}

int config_parse_buffer(pool_t pool, const char *name, const void *data,
			size_t size, enum config_parse_flags flags,
			struct config_tree **tree_r, const char **error_r)
{
	struct parse_ctx *ctx = parse_init(pool, name);

	ctx->no_files = (flags & CONFIG_PARSE_FLAG_NO_FILES) != 0;
	if (size > CONFIG_MAX_FILE_SIZE) {
		*error_r = p_strdup_printf(pool, "%s is too large", name);
		return -1;
	}
	char *copy = p_malloc(pool, size + 1);
	memcpy(copy, data, size);
	ctx->files = 1;
	if (parse_text(ctx, ctx->tree->path, copy, size) < 0) {
		*error_r = ctx->error;
		return -1;
	}
	*tree_r = ctx->tree;
	return 0;
}

const struct config_node *
config_node_find_key(const struct config_node *section, const char *key)
{
	for (unsigned int i = section->children.count; i > 0; i--) {
		const struct config_node *n = section->children.items[i - 1];

		if (n->type == CONFIG_NODE_KEY && strcmp(n->key, key) == 0)
			return n;
	}
	return NULL;
}
