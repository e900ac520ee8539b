/* fuzz-var-expand.c - libFuzzer harness: the input is a var_expand
 * template expanded against a fixed table; the result must be
 * NUL-terminated and errors must come with a message. */
#include "lib.h"
#include "str.h"
#include "var-expand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct var_expand_table table[] = {
    {'u', "user@example.com", "user"},
    {'n', "user", "username"},
    {'d', "example.com", "domain"},
    {'s', "imap", "service"},
    {'r', "192.0.2.1", "remote_ip"},
    {'l', "192.0.2.2", "local_ip"},
    {'p', "1234", "pid"},
    {'h', NULL, "home"},
    {'v', "1700000000", "uidvalidity"},
    {'\0', "18446744073709551615", "big"},
    {'\0', "", "session"},
    {'\0', NULL, NULL},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tmpl = malloc(size + 1);
	string_t *dest;
	const char *error = NULL;
	int ret;

	if (tmpl == NULL)
		return 0;
	memcpy(tmpl, data, size);
	tmpl[size] = '\0';
	dest = str_new(NULL, 64);
	ret = var_expand(dest, tmpl, table, &error);
	if (ret < 0 && error == NULL)
		abort();
	if (str_c(dest)[str_len(dest)] != '\0')
		abort();
	str_free(&dest);
	free(tmpl);
	return 0;
}
