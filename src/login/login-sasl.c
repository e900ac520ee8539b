/* login-sasl.c - base64 check and NUL-joined credentials for the login
 * protocols' SASL requests. Credentials pass only through secure strings
 * (wiped on free). */
#include "lib.h"
#include "str.h"
#include "base64.h"
#include "login-sasl.h"

bool login_sasl_is_base64_text(const char *s)
{
	for (; *s != '\0'; s++) {
		char c = *s;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		      c == '='))
			return false;
	}
	return true;
}

string_t *login_sasl_fields_base64(const char *const *fields,
				   unsigned int count)
{
	string_t *joined, *b64;
	size_t len = count;

	for (unsigned int i = 0; i < count; i++)
		len += strlen(fields[i]);
	joined = str_new_secure(len);
	for (unsigned int i = 0; i < count; i++) {
		if (i > 0)
			str_append_c(joined, '\0');
		str_append(joined, fields[i]);
	}
	b64 = str_new_secure(BASE64_ENCODED_SIZE(str_len(joined)) + 1);
	base64_encode(str_data(joined), str_len(joined), b64);
	str_free(&joined);
	return b64;
}
