/* settings-registry.h - the one table of global settings.
 *
 * Every global setting Loft accepts has one entry: its 2.3 name, its 2.4
 * name when that differs, its type, its default (as canonical text), where
 * it lives in struct loft_settings (or nowhere, when Loft knows the setting
 * but does not act on it yet) and flags. The same table drives parsing,
 * validation, `loft -n` / `loft -a` and doc/configuration.md.
 *
 * Values travel as canonical text: "yes"/"no" for booleans, "2 secs" for
 * times, "64 k" for sizes, decimal for numbers. Canonical text of equal
 * values is equal, whichever syntax generation wrote them. Section
 * settings (service, passdb, namespace ...) are not in this table; see
 * config.c. */
#ifndef LOFT_SETTINGS_REGISTRY_H
#define LOFT_SETTINGS_REGISTRY_H

#include "settings.h"

enum setting_type {
	SET_STR,
	SET_LIST, /* space-separated words; duplicates dropped */
	SET_BOOL, /* yes / no */
	SET_UINT, /* decimal */
	SET_TIME, /* "10 secs", "1 min", bare number = seconds (ms for *_msecs)
		   */
	SET_SIZE, /* "64k", "1 M", bare number = bytes */
	SET_ENUM, /* one of enum_values */
};

enum setting_flags {
	SET_FLAG_IMPLEMENTED = 0x01, /* Loft acts on it */
	SET_FLAG_FILE_PATH = 0x02,   /* 2.3 "key = </path" keeps the path */
	SET_FLAG_INVERT_V24 = 0x04,  /* 2.4 name holds the inverted bool */
	SET_FLAG_LOFT = 0x08,	     /* Loft's own, not a Dovecot setting */
	SET_FLAG_MSECS = 0x10,	    /* SET_TIME field holds msecs (else secs) */
	SET_FLAG_ENUM_INDEX = 0x20, /* SET_ENUM field is an int index */
	SET_FLAG_SECRET = 0x40,	    /* printed as "# hidden" in dumps */
	SET_FLAG_V24_ONLY = 0x80,   /* only the 2.4 generation knows it */
	SET_FLAG_V23_ONLY = 0x100,  /* removed in 2.4 */
};

#define SETTING_NO_FIELD ((size_t)-1)

struct setting_def {
	const char *name;   /* 2.3 name */
	const char *name24; /* 2.4 name, NULL = same */
	enum setting_type type;
	const char *default_value; /* canonical text */
	size_t offset;		   /* into struct loft_settings or NO_FIELD */
	unsigned int flags;
	const char *enum_values; /* SET_ENUM: space-separated, first = 0 */
	const char *doc;	 /* one line, for doc/configuration.md */
};

extern const struct setting_def settings_registry[];
extern const unsigned int settings_registry_count;

/* Looks a setting up by its 2.3 or 2.4 name. *v24_name_r (may be NULL)
 * tells whether name was the 2.4 spelling (it differs from the 2.3 one).
 * Returns NULL when unknown. */
const struct setting_def *settings_registry_find(const char *name,
						 bool *v24_name_r);
/* The name to print for def in the given generation. */
const char *setting_def_name(const struct setting_def *def, bool v24);

/* Validates value for def and returns its canonical text in *canon_r
 * (allocated from pool). invert: the value came under an inverted 2.4
 * name. Returns 0, or -1 with *error_r = "Invalid value for NAME: ..." . */
int setting_canonicalize(const struct setting_def *def, const char *name,
			 const char *value, bool invert, pool_t pool,
			 const char **canon_r, const char **error_r);
/* Stores canonical text (from setting_canonicalize or the default) into
 * set's field for def. No-op for entries without a field. */
void setting_store(const struct setting_def *def, struct loft_settings *set,
		   const char *canon);

/* Value parsers shared with section settings. Return 0 or -1. */
int setting_parse_bool(const char *value, bool *bool_r);
int setting_parse_time_msecs(const char *value, bool bare_is_msecs,
			     uint64_t *msecs_r);
int setting_parse_size(const char *value, uint64_t *bytes_r);
/* Canonical text for a time in msecs and a size in bytes. */
const char *setting_format_time(pool_t pool, uint64_t msecs);
const char *setting_format_size(pool_t pool, uint64_t bytes);

#endif
