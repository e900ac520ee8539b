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

/* Parses path and returns the effective settings for filter: the global
 * settings with matching `protocol NAME { }` blocks applied on top (filter
 * NULL or filter->protocol NULL = global only). The result and everything
 * in it live in (*set_r)->pool until config_free(). Returns 0 on success,
 * -1 with *error_r set to one line "FILE:LINE: reason" (or just a reason
 * when no file/line applies); the error text stays valid until the next
 * failing config call. */
int config_load(const char *path, const struct config_filter *filter,
		struct loft_settings **set_r, const char **error_r);
/* Same for a config held in memory (tests, fuzzing). name stands for the
 * file name in errors; relative !include paths resolve against the current
 * directory. */
int config_load_buffer(const char *name, const void *data, size_t size,
		       const struct config_filter *filter,
		       struct loft_settings **set_r, const char **error_r);
/* Frees the settings and sets *set to NULL; NULL is ignored. */
void config_free(struct loft_settings **set);

/* Prints the configuration in config syntax (as `loft -n` / `loft -a`),
 * appending to dest: all_settings=false prints only what differs from
 * defaults. Settings that Loft parses but does not act on yet are followed
 * by a comment "# not used by loft yet". The output is canonical: the same
 * setup written in 2.3 or 2.4 syntax prints identically, except for the
 * first line "# Loft VERSION: PATH". as_v24 selects the output generation:
 * 0 prints 2.3 syntax, 1 or -1 (the default) prints 2.4 syntax, starting
 * with "dovecot_config_version = 2.4.0". Returns 0, or -1 with *error_r
 * as config_load(). */
int config_dump(const char *path, bool all_settings, int as_v24, string_t *dest,
		const char **error_r);
/* Same for a config held in memory. */
int config_dump_buffer(const char *name, const void *data, size_t size,
		       bool all_settings, int as_v24, string_t *dest,
		       const char **error_r);

/* Prints the configuration at path as a self-contained file that
 * config_load() reads back to the same settings: what differs from the
 * defaults, in the file's own syntax generation, with !include and
 * $references resolved and secret values printed (so the result must be
 * kept private). The master gives such a snapshot to the processes it
 * starts, so that an edited file takes effect only on reload. Returns 0,
 * or -1 with *error_r as config_load(). */
int config_dump_snapshot(const char *path, string_t *dest,
			 const char **error_r);

/* The default config path under the install prefix
 * (LOFT_SYSCONFDIR "/loft.conf"). */
const char *config_default_path(void);

#endif
