/* test-auth-chain.c - the user name rules the chain applies before any
 * lookup: username_filter and its wildcards, auth_username_chars,
 * auth_username_translation, auth_default_realm, auth_username_format
 * (2.3 and 2.4 spellings), auth_realms, the master user separator and
 * allow_nets. Table-driven; the chain itself is tested black-box in
 * tests/integration/test_auth_chain.py. */
#include "lib.h"
#include "pool.h"
#include "settings.h"
#include "auth-username.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static void test_wildcard(void **state)
{
	static const struct {
		const char *str, *pattern;
		bool match;
	} cases[] = {
	    {"user@example.com", "*@example.com", true},
	    {"user@example.com", "*@example.co", false},
	    {"user@example.com", "user@*", true},
	    {"user@example.com", "*", true},
	    {"", "*", true},
	    {"", "?", false},
	    {"ab", "a?", true},
	    {"abc", "a?", false},
	    {"abc", "a*c", true},
	    {"abcbc", "a*bc", true},
	    {"abcbd", "a*bc", false},
	    {"User@Example.com", "*@example.com", false},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*c", false},
	    {"x", "**x**", true},
	};

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		if (auth_wildcard_match(cases[i].str, cases[i].pattern) !=
		    cases[i].match)
			fail_msg("wildcard %s ~ %s", cases[i].str,
				 cases[i].pattern);
	}
}

static void test_username_filter(void **state)
{
	static const struct {
		const char *filter, *user;
		bool match;
	} cases[] = {
	    {NULL, "anyone", true},
	    {"", "anyone", true},
	    {"*@example.com *@example2.com !user@example.com", "a@example.com",
	     true},
	    {"*@example.com *@example2.com !user@example.com", "b@example2.com",
	     true},
	    {"*@example.com *@example2.com !user@example.com",
	     "user@example.com", false},
	    {"*@example.com *@example2.com !user@example.com", "c@example3.com",
	     false},
	    {"!*@*", "localuser", true},
	    {"!*@*", "virtual@example.com", false},
	    {"!root !admin", "alice", true},
	    {"!root !admin", "admin", false},
	    {"?@x", "a@x", true},
	    {"?@x", "ab@x", false},
	};
	pool_t pool = pool_create("test", 1024);
	const char *why;

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		why = NULL;
		if (auth_username_filter_match(pool, cases[i].filter,
					       cases[i].user,
					       &why) != cases[i].match)
			fail_msg("filter '%s' ~ %s", cases[i].filter,
				 cases[i].user);
		if (!cases[i].match)
			assert_non_null(why);
	}
	pool_unref(&pool);
}

static struct loft_settings *settings(pool_t pool)
{
	struct loft_settings *set = p_new(pool, struct loft_settings, 1);

	set->pool = pool;
	set->auth_username_format = "%Lu";
	set->auth_username_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
				   "RSTUVWXYZ01234567890.-_@";
	set->auth_default_realm = "";
	set->auth_realms = "";
	set->auth_username_translation = "";
	set->auth_master_user_separator = "";
	return set;
}

static void test_username_check(void **state)
{
	static const struct {
		const char *name;
		size_t len;
		bool valid;
	} cases[] = {
	    {"alice", 5, true},
	    {"alice@example.com", 17, true},
	    {"", 0, false},
	    {"al\0ce", 5, false},
	    {"al'ce", 5, false},
	    {"al*ce", 5, false},
	    {"al\"ce", 5, false},
	    {"\xc3\xa9t\xc3\xa9", 5, false}, /* not in the chars */
	    {"\xff\xfe", 2, false},
	};
	pool_t pool = pool_create("test", 1024);
	struct loft_settings *set = settings(pool);

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		const char *error = auth_username_check(
		    set, (const unsigned char *)cases[i].name, cases[i].len);
		if ((error == NULL) != cases[i].valid)
			fail_msg("check case %u", i);
	}
	/* empty auth_username_chars allows all but what a driver could
	 * interpret, and still refuses NUL, controls and invalid UTF-8 */
	set->auth_username_chars = "";
	static const char *const unsafe[] = {
	    "a*b", "a'b", "a\"b", "a%u",   "a\\b",  "../x", "a/b",
	    ".",   "..",  "a\tb", "a\x01", "a\x7f", "a\rb", "\x1b[0m",
	};
	for (unsigned int i = 0; i < N_ELEMENTS(unsafe); i++) {
		if (auth_username_check(set, (const unsigned char *)unsafe[i],
					strlen(unsafe[i])) == NULL)
			fail_msg("unsafe name %u accepted", i);
	}
	assert_null(
	    auth_username_check(set, (const unsigned char *)"a b!#", 5));
	assert_null(auth_username_check(set, (const unsigned char *)"...", 3));
	assert_null(auth_username_check(set, (const unsigned char *)".a", 2));
	/* a character that auth_username_translation maps is fine */
	set->auth_username_translation = "/@";
	assert_null(auth_username_check(set, (const unsigned char *)"a/b", 3));
	assert_non_null(
	    auth_username_check(set, (const unsigned char *)"a*b", 3));
	set->auth_username_translation = "";
	/* controls are refused even when auth_username_chars lists them */
	set->auth_username_chars = "ab\t";
	assert_non_null(
	    auth_username_check(set, (const unsigned char *)"a\tb", 3));
	set->auth_username_chars = "";
	assert_null(auth_username_check(
	    set, (const unsigned char *)"\xc3\xa9t\xc3\xa9", 5));
	assert_non_null(
	    auth_username_check(set, (const unsigned char *)"\xc3", 1));
	assert_non_null(
	    auth_username_check(set, (const unsigned char *)"a\0b", 3));
	char long_name[300];
	memset(long_name, 'a', sizeof(long_name));
	assert_non_null(auth_username_check(
	    set, (const unsigned char *)long_name, sizeof(long_name)));
	pool_unref(&pool);
}

static void test_normalize(void **state)
{
	static const struct {
		const char *format, *realm, *translation, *in, *out;
	} cases[] = {
	    {"%Lu", "", "", "Alice", "alice"},
	    {"%{user | lower}", "", "", "Alice@Example.COM",
	     "alice@example.com"},
	    {"%u", "", "", "Alice", "Alice"},
	    {"", "", "", "Alice", "Alice"},
	    {"%Lu", "example.com", "", "bob", "bob@example.com"},
	    {"%Lu", "example.com", "", "bob@other.org", "bob@other.org"},
	    {"%Ln", "", "", "bob@other.org", "bob"},
	    {"%Lu", "", "#@/@", "bob#example.com", "bob@example.com"},
	    {"%Lu", "", "#@/@", "bob/example.com", "bob@example.com"},
	    {"%Lu", "example.com", "#@", "bob#other.org", "bob@other.org"},
	};
	pool_t pool = pool_create("test", 1024);
	struct loft_settings *set = settings(pool);
	const char *user, *error;

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		set->auth_username_format = cases[i].format;
		set->auth_default_realm = cases[i].realm;
		set->auth_username_translation = cases[i].translation;
		if (auth_username_normalize(pool, set, cases[i].in, "imap",
					    NULL, NULL, NULL, &user,
					    &error) < 0)
			fail_msg("normalize %u: %s", i, error);
		assert_string_equal(user, cases[i].out);
	}
	/* a format that expands to nothing is refused */
	set->auth_username_format = "%d";
	set->auth_default_realm = "";
	set->auth_username_translation = "";
	assert_int_equal(auth_username_normalize(pool, set, "bob", "imap", NULL,
						 NULL, NULL, &user, &error),
			 -1);
	pool_unref(&pool);
}

static void test_master_split(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct loft_settings *set = settings(pool);
	const char *login, *master;

	(void)state;
	assert_false(auth_username_split_master(pool, set, "alice*admin",
						&login, &master));
	set->auth_master_user_separator = "*";
	assert_true(auth_username_split_master(pool, set, "alice*admin", &login,
					       &master));
	assert_string_equal(login, "alice");
	assert_string_equal(master, "admin");
	assert_false(
	    auth_username_split_master(pool, set, "*admin", &login, &master));
	assert_false(
	    auth_username_split_master(pool, set, "alice*", &login, &master));
	assert_false(
	    auth_username_split_master(pool, set, "alice", &login, &master));
	pool_unref(&pool);
}

static void test_realms(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct loft_settings *set = settings(pool);

	(void)state;
	assert_true(auth_realm_is_allowed(set, "anything"));
	set->auth_realms = "example.com example2.com";
	assert_true(auth_realm_is_allowed(set, "example.com"));
	assert_true(auth_realm_is_allowed(set, "EXAMPLE2.com"));
	assert_false(auth_realm_is_allowed(set, "example"));
	assert_false(auth_realm_is_allowed(set, "example3.com"));
	pool_unref(&pool);
}

static void test_allow_nets(void **state)
{
	static const struct {
		const char *nets, *ip;
		bool match;
	} cases[] = {
	    {"192.0.2.0/24", "192.0.2.7", true},
	    {"192.0.2.0/24", "192.0.3.7", false},
	    {"192.0.2.1", "192.0.2.1", true},
	    {"192.0.2.1", "192.0.2.2", false},
	    {"10.0.0.0/8, 2001:db8::/32", "2001:db8::1", true},
	    {"10.0.0.0/8,2001:db8::/32", "2001:db9::1", false},
	    {"::1", "::1", true},
	    {"local", NULL, true},
	    {"local", "", true},
	    {"local", "127.0.0.1", false},
	    {"192.0.2.0/24", NULL, false},
	    {"bogus 192.0.2.0/24", "192.0.2.9", true},
	    {"192.0.2.0/24", "not-an-ip", false},
	};
	pool_t pool = pool_create("test", 1024);

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		if (auth_allow_nets_match(pool, cases[i].nets, cases[i].ip,
					  NULL) != cases[i].match)
			fail_msg("allow_nets '%s' ~ %s", cases[i].nets,
				 cases[i].ip);
	}
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wildcard),
	    cmocka_unit_test(test_username_filter),
	    cmocka_unit_test(test_username_check),
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_master_split),
	    cmocka_unit_test(test_realms),
	    cmocka_unit_test(test_allow_nets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
