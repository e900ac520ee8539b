/* str.h - growable byte strings (string_t), always NUL-terminated.
 *
 * A string_t lives in a pool (or on the heap with pool NULL, then freed
 * with str_free()). It may hold binary data including NUL bytes; str_c()
 * is the C string view. Growth aborts on overflow. */
#ifndef LOFT_STR_H
#define LOFT_STR_H

#include "lib.h"
#include "pool.h"

typedef struct string {
	pool_t pool; /* NULL = heap */
	unsigned char *data;
	size_t len;
	size_t alloc; /* includes room for the terminating NUL */
	bool secure;  /* wipe contents on free and on growth */
} string_t;

string_t *str_new(pool_t pool, size_t initial_size);
/* Heap string whose memory is wiped when freed or reallocated. */
string_t *str_new_secure(size_t initial_size);
void str_free(string_t **str); /* heap strings only */

static inline const char *str_c(const string_t *str)
{
	return (const char *)str->data;
}
static inline const unsigned char *str_data(const string_t *str)
{
	return str->data;
}
static inline size_t str_len(const string_t *str)
{
	return str->len;
}

void str_append(string_t *str, const char *cstr);
void str_append_n(string_t *str, const void *data, size_t size);
void str_append_c(string_t *str, char c);
void str_append_str(string_t *dest, const string_t *src);
void str_printfa(string_t *str, const char *fmt, ...) ATTR_FORMAT(2, 3);
void str_vprintfa(string_t *str, const char *fmt, va_list args)
    ATTR_FORMAT(2, 0);
/* Appends num in decimal (no printf). */
void str_append_uint(string_t *str, unsigned long long num);
void str_truncate(string_t *str, size_t len);
void str_delete(string_t *str, size_t pos, size_t len);
static inline void str_clear(string_t *str)
{
	str_truncate(str, 0);
}
/* Reserves room for size more bytes and returns a pointer to it; call
 * str_commit() with how many were written. */
unsigned char *str_reserve(string_t *str, size_t size);
void str_commit(string_t *str, size_t size);

/* Small string helpers (no string_t). */
bool str_begins(const char *str, const char *prefix, const char **suffix_r);
bool str_begins_icase(const char *str, const char *prefix);
char *str_lcase(char *s); /* in place, ASCII */
char *str_ucase(char *s);
/* Appends data escaped for Dovecot's tab-separated protocols:
 * \001 -> \0011, \t -> \001t, \r -> \001r, \n -> \001n. */
void str_append_tabescaped(string_t *dest, const char *src);
/* Reverse of the above into pool. */
char *str_tabunescape(pool_t pool, const char *src);

#endif
