/* pop3-uidl.c - POP3 UIDLs from Dovecot's pop3_uidl_format.
 *
 * Variables: %u/%{uid}, %v/%{uidvalidity}, %g/%{guid} and %f/%{filename}
 * (both the maildir base name), %m/%{md5} (not supported: error), %%.
 * Modifiers between '%' and the variable as in Dovecot 2.3: a width
 * ("%8u" keeps at most 8 characters, "%08u" pads with zeros to 8), an
 * offset ("%2.3u"), and X (decimal to lowercase hex), L, U (case).
 * A UIDL stored in dovecot-uidlist (P extension, from a migration) wins
 * over the format, as in Dovecot. */
#include "lib.h"
#include "str.h"
#include "maildir-private.h"

#include <ctype.h>

struct uidl_spec {
	int offset;
	unsigned int width;
	bool zero_pad;
	char mods[8];
	unsigned int mod_count;
};

static const char *uidl_var_value(char key, const char *long_key,
				  const struct mailbox *box,
				  const struct maildir_mail *mail, char *numbuf,
				  size_t numbuf_size, const char **error_r)
{
	if (long_key != NULL) {
		if (strcmp(long_key, "uid") == 0)
			key = 'u';
		else if (strcmp(long_key, "uidvalidity") == 0)
			key = 'v';
		else if (strcmp(long_key, "guid") == 0)
			key = 'g';
		else if (strcmp(long_key, "filename") == 0)
			key = 'f';
		else if (strcmp(long_key, "md5") == 0)
			key = 'm';
		else {
			*error_r = maildir_error(
			    "pop3_uidl_format: Unknown variable %%{%s}",
			    long_key);
			return NULL;
		}
	}
	switch (key) {
	case 'u':
		snprintf(numbuf, numbuf_size, "%u", mail->rec.uid);
		return numbuf;
	case 'v':
		snprintf(numbuf, numbuf_size, "%u", box->uid_validity);
		return numbuf;
	case 'g':
	case 'f':
		return mail->rec.basename;
	case 'm':
		*error_r = "pop3_uidl_format: %m (header MD5) is not supported";
		return NULL;
	default:
		*error_r = maildir_error(
		    "pop3_uidl_format: Unknown variable %%%c", key);
		return NULL;
	}
}

/* Appends value with the spec applied; false on unsupported modifier. */
static bool uidl_apply(string_t *dest, const char *value,
		       const struct uidl_spec *spec, const char **error_r)
{
	char hexbuf[32];
	string_t *tmp = str_new(NULL, 64);
	size_t len, start = 0;

	str_append(tmp, value);
	for (unsigned int i = 0; i < spec->mod_count; i++) {
		switch (spec->mods[i]) {
		case 'X': {
			uint64_t num;

			if (str_to_uint64(str_c(tmp), &num) == 0) {
				snprintf(hexbuf, sizeof(hexbuf), "%llx",
					 (unsigned long long)num);
				str_clear(tmp);
				str_append(tmp, hexbuf);
			}
			break;
		}
		case 'L':
			(void)str_lcase((char *)str_c(tmp));
			break;
		case 'U':
			(void)str_ucase((char *)str_c(tmp));
			break;
		default:
			*error_r = maildir_error(
			    "pop3_uidl_format: Unsupported modifier %c",
			    spec->mods[i]);
			str_free(&tmp);
			return false;
		}
	}
	len = str_len(tmp);
	if (spec->offset > 0)
		start = MIN_OF((size_t)spec->offset, len);
	else if (spec->offset < 0)
		start = (size_t)-spec->offset >= len
			    ? 0
			    : len - (size_t)-spec->offset;
	len -= start;
	if (spec->width == 0)
		str_append_n(dest, str_c(tmp) + start, len);
	else if (!spec->zero_pad)
		str_append_n(dest, str_c(tmp) + start,
			     MIN_OF(len, spec->width));
	else {
		for (size_t i = len; i < spec->width; i++)
			str_append_c(dest, '0');
		str_append_n(dest, str_c(tmp) + start, len);
	}
	str_free(&tmp);
	return true;
}

static int uidl_expand(string_t *dest, const char *format,
		       const struct mailbox *box,
		       const struct maildir_mail *mail, const char **error_r)
{
	char numbuf[32], long_key[32];
	const char *p, *value;

	for (p = format; *p != '\0'; p++) {
		struct uidl_spec spec;
		bool negative = false;
		unsigned int num = 0;

		if (*p != '%') {
			str_append_c(dest, *p);
			continue;
		}
		p++;
		if (*p == '%') {
			str_append_c(dest, '%');
			continue;
		}
		memset(&spec, 0, sizeof(spec));
		if (*p == '-') {
			negative = true;
			p++;
		}
		if (*p == '0') {
			spec.zero_pad = true;
			p++;
		}
		while (*p >= '0' && *p <= '9' && num < 10000)
			num = num * 10 + (unsigned int)(*p++ - '0');
		if (*p == '.') {
			spec.offset = negative ? -(int)num : (int)num;
			num = 0;
			p++;
			while (*p >= '0' && *p <= '9' && num < 10000)
				num = num * 10 + (unsigned int)(*p++ - '0');
		}
		spec.width = num;
		while (*p != '\0' && isupper((unsigned char)*p) &&
		       spec.mod_count < sizeof(spec.mods))
			spec.mods[spec.mod_count++] = *p++;
		if (*p == '\0') {
			*error_r = "pop3_uidl_format: Unterminated variable";
			return -1;
		}
		if (*p == '{') {
			const char *end = strchr(p, '}');
			size_t len;

			if (end == NULL ||
			    (len = (size_t)(end - p - 1)) >= sizeof(long_key)) {
				*error_r =
				    "pop3_uidl_format: Invalid %{variable}";
				return -1;
			}
			memcpy(long_key, p + 1, len);
			long_key[len] = '\0';
			value = uidl_var_value('\0', long_key, box, mail,
					       numbuf, sizeof(numbuf), error_r);
			p = end;
		} else {
			value = uidl_var_value(*p, NULL, box, mail, numbuf,
					       sizeof(numbuf), error_r);
		}
		if (value == NULL || !uidl_apply(dest, value, &spec, error_r))
			return -1;
	}
	return 0;
}

int mailbox_pop3_uidl(const struct mailbox *box, const struct mail_record *rec,
		      const char *format, char *buf, size_t bufsize,
		      const char **error_r)
{
	/* rec is the first member of the maildir_mail that holds it */
	const struct maildir_mail *mail = (const struct maildir_mail *)rec;
	string_t *str;
	int ret = 0;

	str = str_new(NULL, 128);
	if (mail->pop3_uidl != NULL && mail->pop3_uidl[0] != '\0')
		str_append(str, mail->pop3_uidl);
	else if (uidl_expand(str, format, box, mail, error_r) < 0)
		ret = -1;
	if (ret == 0 && str_len(str) == 0) {
		*error_r = "pop3_uidl_format expanded to an empty UIDL";
		ret = -1;
	}
	if (ret == 0 && str_len(str) >= bufsize) {
		*error_r = "POP3 UIDL too long for the buffer";
		ret = -1;
	}
	if (ret == 0)
		memcpy(buf, str_c(str), str_len(str) + 1);
	str_free(&str);
	return ret;
}
