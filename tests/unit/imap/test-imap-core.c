/* test-imap-core.c - the pure parts of the session core: mailbox names
 * between the wire and the storage (modified UTF-7 or UTF-8, namespace
 * prefix, INBOX in any case) and the imap_logout_format expansion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "imap-client.h"
#include "imap-logout.h"

static void client_init(struct client *client, pool_t pool, const char *prefix,
			enum client_enabled enabled)
{
	memset(client, 0, sizeof(*client));
	client->pool = pool;
	client->ns_prefix = prefix;
	client->separator = '.';
	client->enabled = enabled;
}

static void test_name_from_imap(void **state)
{
	static const struct {
		const char *prefix;
		enum client_enabled enabled;
		const char *input, *output; /* output NULL: refused */
	} cases[] = {
	    {"", 0, "INBOX", "INBOX"},
	    {"", 0, "inBox", "INBOX"},
	    {"", 0, "Sent", "Sent"},
	    {"", 0, "Lists.Loft", "Lists.Loft"},
	    {"", 0, "Entw&APw-rfe",
	     "Entw\xc3\xbc"
	     "rfe"},
	    {"", 0, "bad&-x&", NULL},
	    {"", 0,
	     "Entw\xc3\xbc"
	     "rfe",
	     NULL},
	    {"", CLIENT_ENABLED_UTF8_ACCEPT,
	     "Entw\xc3\xbc"
	     "rfe",
	     "Entw\xc3\xbc"
	     "rfe"},
	    {"", CLIENT_ENABLED_IMAP4REV2, "a\xff", NULL},
	    /* with UTF-8 enabled, "&" is just a character */
	    {"", CLIENT_ENABLED_IMAP4REV2, "Entw&APw-rfe", "Entw&APw-rfe"},
	    {"INBOX.", 0, "INBOX", "INBOX"},
	    {"INBOX.", 0, "INBOX.Sent", "Sent"},
	    {"INBOX.", 0, "inbox.Sent", "Sent"},
	    {"INBOX.", 0, "INBOX.inbox", "INBOX"},
	    {"INBOX.", 0, "Sent", NULL},
	    {"INBOX.", 0, "INBOX.", NULL},
	};
	pool_t pool = pool_create("test", 1024);
	struct client client;
	const char *name, *error;

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		client_init(&client, pool, cases[i].prefix, cases[i].enabled);
		name = NULL;
		error = NULL;
		if (cases[i].output == NULL) {
			assert_false(client_mailbox_name_from_imap(
			    &client, cases[i].input, &name, &error));
			assert_non_null(error);
		} else {
			assert_true(client_mailbox_name_from_imap(
			    &client, cases[i].input, &name, &error));
			assert_string_equal(name, cases[i].output);
		}
	}
	pool_unref(&pool);
}

static void test_name_to_imap(void **state)
{
	pool_t pool = pool_create("test", 1024);
	string_t *str = str_new(pool, 64);
	struct client client;

	client_init(&client, pool, "", 0);
	client_mailbox_name_to_imap(&client, "INBOX", str);
	assert_string_equal(str_c(str), "INBOX");
	str_truncate(str, 0);
	client_mailbox_name_to_imap(&client,
				    "Entw\xc3\xbc"
				    "rfe",
				    str);
	assert_string_equal(str_c(str), "Entw&APw-rfe");
	str_truncate(str, 0);
	client_mailbox_name_to_imap(&client, "a b", str);
	assert_string_equal(str_c(str), "\"a b\"");

	client_init(&client, pool, "INBOX.", CLIENT_ENABLED_UTF8_ACCEPT);
	str_truncate(str, 0);
	client_mailbox_name_to_imap(&client, "INBOX", str);
	assert_string_equal(str_c(str), "INBOX");
	str_truncate(str, 0);
	client_mailbox_name_to_imap(&client,
				    "Entw\xc3\xbc"
				    "rfe",
				    str);
	assert_string_equal(str_c(str), "\"INBOX.Entw\xc3\xbc"
					"rfe\"");
	pool_unref(&pool);
}

static void test_logout_format(void **state)
{
	struct imap_logout_stats stats;
	string_t *str = str_new(NULL, 128);
	const char *error;

	memset(&stats, 0, sizeof(stats));
	stats.input_bytes = 12;
	stats.output_bytes = 3456;
	stats.expunged = 2;
	stats.fetch_body_count = 7;
	stats.fetch_body_bytes = 1000;
	stats.user = "alice";
	stats.session = "S1";
	assert_int_equal(
	    imap_logout_format(
		str,
		"in=%i out=%o deleted=%{deleted} expunged=%{expunged} "
		"trashed=%{trashed} hdr_count=%{fetch_hdr_count} "
		"hdr_bytes=%{fetch_hdr_bytes} body_count=%{fetch_body_count} "
		"body_bytes=%{fetch_body_bytes}",
		&stats, &error),
	    0);
	assert_string_equal(str_c(str),
			    "in=12 out=3456 deleted=0 expunged=2 trashed=0 "
			    "hdr_count=0 hdr_bytes=0 body_count=7 "
			    "body_bytes=1000");
	str_truncate(str, 0);
	assert_int_equal(
	    imap_logout_format(str, "%u %{session} %{input}", &stats, &error),
	    0);
	assert_string_equal(str_c(str), "alice S1 12");
	str_truncate(str, 0);
	assert_int_equal(
	    imap_logout_format(str, "%{nosuchvar}", &stats, &error), -1);
	assert_non_null(error);
	str_free(&str);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_from_imap),
	    cmocka_unit_test(test_name_to_imap),
	    cmocka_unit_test(test_logout_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
