/* str.c - growable NUL-terminated byte strings and small C string helpers.
 *
 * Storage comes from the string's pool or from the heap. Secure strings
 * wipe the old buffer whenever they grow and when freed. Does not do
 * character sets: case mapping is ASCII only. */
#include "lib.h"
#include "str.h"

#include <ctype.h>
#include <strings.h>

string_t *str_new(pool_t pool, size_t initial_size)
{
	string_t *str;
	size_t alloc = size_add(initial_size, 1);

	if (pool == NULL) {
		str = i_malloc(sizeof(*str));
		str->data = i_malloc(alloc);
	} else {
		str = p_new(pool, string_t, 1);
		str->data = p_malloc(pool, alloc);
	}
	str->pool = pool;
	str->alloc = alloc;
	str->len = 0;
	return str;
}

string_t *str_new_secure(size_t initial_size)
{
	string_t *str = str_new(NULL, initial_size);

	str->secure = true;
	return str;
}

void str_free(string_t **_str)
{
	string_t *str = *_str;

	if (str == NULL)
		return;
	*_str = NULL;
	i_assert(str->pool == NULL);
	if (str->secure)
		safe_memset0(str->data, str->alloc);
	i_free(str->data);
	i_free(str);
}

static void str_grow(string_t *str, size_t more)
{
	size_t need = size_add(size_add(str->len, more), 1);
	size_t new_alloc;
	unsigned char *data;

	if (need <= str->alloc)
		return;
	new_alloc = str->alloc < 64 ? 64 : str->alloc;
	while (new_alloc < need)
		new_alloc = size_mul(new_alloc, 2);

	if (str->pool != NULL) {
		str->data =
		    p_realloc(str->pool, str->data, str->alloc, new_alloc);
	} else {
		data = i_malloc(new_alloc);
		memcpy(data, str->data, str->len + 1);
		if (str->secure)
			safe_memset0(str->data, str->alloc);
		free(str->data);
		str->data = data;
	}
	str->alloc = new_alloc;
}

unsigned char *str_reserve(string_t *str, size_t size)
{
	str_grow(str, size);
	return str->data + str->len;
}

void str_commit(string_t *str, size_t size)
{
	i_assert(str->len + size < str->alloc);
	str->len += size;
	str->data[str->len] = '\0';
}

void str_append_n(string_t *str, const void *data, size_t size)
{
	if (size == 0)
		return;
	str_grow(str, size);
	memcpy(str->data + str->len, data, size);
	str->len += size;
	str->data[str->len] = '\0';
}

void str_append(string_t *str, const char *cstr)
{
	str_append_n(str, cstr, strlen(cstr));
}

void str_append_c(string_t *str, char c)
{
	str_append_n(str, &c, 1);
}

void str_append_str(string_t *dest, const string_t *src)
{
	str_append_n(dest, src->data, src->len);
}

void str_vprintfa(string_t *str, const char *fmt, va_list args)
{
	va_list args2;
	char tmp[256];
	int len;

	va_copy(args2, args);
	len = vsnprintf(tmp, sizeof(tmp), fmt, args2);
	va_end(args2);
	if (len < 0)
		i_panic("str_vprintfa: invalid format '%s'", fmt);
	if ((size_t)len < sizeof(tmp)) {
		str_append_n(str, tmp, (size_t)len);
		if (str->secure)
			safe_memset0(tmp, sizeof(tmp));
		return;
	}
	str_grow(str, (size_t)len);
	vsnprintf((char *)str->data + str->len, (size_t)len + 1, fmt, args);
	str->len += (size_t)len;
	if (str->secure)
		safe_memset0(tmp, sizeof(tmp));
}

void str_printfa(string_t *str, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	str_vprintfa(str, fmt, args);
	va_end(args);
}

void str_truncate(string_t *str, size_t len)
{
	if (len >= str->len)
		return;
	if (str->secure)
		safe_memset0(str->data + len, str->len - len);
	str->len = len;
	str->data[len] = '\0';
}

void str_delete(string_t *str, size_t pos, size_t len)
{
	if (pos >= str->len)
		return;
	if (len > str->len - pos)
		len = str->len - pos;
	memmove(str->data + pos, str->data + pos + len,
		str->len - pos - len + 1);
	str->len -= len;
	if (str->secure)
		safe_memset0(str->data + str->len + 1, len);
}

bool str_begins(const char *str, const char *prefix, const char **suffix_r)
{
	size_t len = strlen(prefix);

	if (strncmp(str, prefix, len) != 0)
		return false;
	if (suffix_r != NULL)
		*suffix_r = str + len;
	return true;
}

bool str_begins_icase(const char *str, const char *prefix)
{
	return strncasecmp(str, prefix, strlen(prefix)) == 0;
}

char *str_lcase(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

char *str_ucase(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	return s;
}

void str_append_uint(string_t *str, unsigned long long num)
{
	char buf[24];
	size_t pos = sizeof(buf);

	do {
		buf[--pos] = (char)('0' + num % 10);
		num /= 10;
	} while (num > 0);
	str_append_n(str, buf + pos, sizeof(buf) - pos);
}

void str_append_tabescaped(string_t *dest, const char *src)
{
	for (; *src != '\0'; src++) {
		/* the run up to the next byte that needs escaping */
		size_t n = strcspn(src, "\001\t\r\n");

		if (n > 0) {
			str_append_n(dest, src, n);
			src += n;
			if (*src == '\0')
				break;
		}
		switch (*src) {
		case '\001':
			str_append_n(dest, "\0011", 2);
			break;
		case '\t':
			str_append_n(dest, "\001t", 2);
			break;
		case '\r':
			str_append_n(dest, "\001r", 2);
			break;
		case '\n':
			str_append_n(dest, "\001n", 2);
			break;
		default:
			str_append_c(dest, *src);
			break;
		}
	}
}

char *str_tabunescape(pool_t pool, const char *src)
{
	string_t *str;

	if (strchr(src, '\001') == NULL)
		return p_strdup(pool, src);
	str = str_new(pool, strlen(src));
	for (; *src != '\0'; src++) {
		if (*src != '\001' || src[1] == '\0') {
			str_append_c(str, *src);
			continue;
		}
		src++;
		switch (*src) {
		case '1':
			str_append_c(str, '\001');
			break;
		case 't':
			str_append_c(str, '\t');
			break;
		case 'r':
			str_append_c(str, '\r');
			break;
		case 'n':
			str_append_c(str, '\n');
			break;
		default:
			str_append_c(str, *src);
			break;
		}
	}
	return (char *)str->data;
}
