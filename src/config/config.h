/* config.h - loading and printing the configuration.
 *
 * The parser reads Dovecot's syntax in both generations (2.3, and 2.4 when
 * the file starts with dovecot_config_version), follows !include,
 * !include_try, <file values and $name references, and fills
 * struct loft_settings through the settings registry. Every error names
 * file and line. */
#ifndef LOFT_CONFIG_H
#define LOFT_CONFIG_H

#include "settings.h"
#include "str.h"

struct config_filter {
	const char *protocol; /* "pop3", "imap", NULL = none (global only) */
};

/* Parses path and returns the effective settings for filter. Returns 0 on
 * success, -1 with *error_r set to one line "FILE:LINE: reason" (or just a
 * reason when no file/line applies). */
int config_load(const char *path, const struct config_filter *filter,
		struct loft_settings **set_r, const char **error_r);
void config_free(struct loft_settings **set);

/* Prints the configuration in config syntax (as `loft -n` / `loft -a`):
 * all_settings=false prints only what differs from defaults. Settings that
 * Loft parses but does not act on yet are followed by a comment
 * "# not used yet by loft". as_v24 selects the output generation; -1 keeps
 * the input's. */
int config_dump(const char *path, bool all_settings, int as_v24,
		string_t *dest, const char **error_r);

/* The default config path under the install prefix. */
const char *config_default_path(void);

#endif
