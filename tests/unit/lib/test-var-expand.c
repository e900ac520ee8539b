/* test-var-expand.c - 2.3 and 2.4 template forms, modifiers, filters and
 * errors, table-driven; and the standard login table. */
#include "lib.h"
#include "var-expand.h"

#include <setjmp.h>
#include <cmocka.h>

static const struct var_expand_table table[] = {
    {'u', "Joe.User@Example.COM", "user"},
    {'n', "Joe.User", "username"},
    {'d', "Example.COM", "domain"},
    {'s', "pop3", "service"},
    {'r', "192.0.2.1", "remote_ip"},
    {'v', "1700000000", "uidvalidity"},
    {'i', "1", "uid"},
    {'e', NULL, "empty"},
    {'\0', "abc@x@y.org", "multi"},
    {'\0', "word", "plain"},
    {'\0', NULL, NULL},
};

static const struct {
	const char *tmpl;
	int ret;
	const char *out; /* expected output, or the error on failure */
} tests[] = {
    {"", 1, ""},
    {"no variables", 1, "no variables"},
    {"%%", 1, "%"},
    {"100%% %u", 1, "100% Joe.User@Example.COM"},
    {"%u", 1, "Joe.User@Example.COM"},
    {"%n/%d/%s/%r", 1, "Joe.User/Example.COM/pop3/192.0.2.1"},
    {"%Lu", 1, "joe.user@example.com"},
    {"%Ud", 1, "EXAMPLE.COM"},
    {"%L{user}", 1, "joe.user@example.com"},
    {"%{username}", 1, "Joe.User"},
    {"x%ey", 1, "xy"},
    {"%08Xi%08Xv", 1, "000000016553F100"},
    {"%08xv", 1, "6553f100"},
    {"%Xv", 1, "6553F100"},
    {"%3n", 1, "Joe"},
    {"%1.3n", 1, "oe."},
    {"%-3.3d", 1, "COM"},
    {"%-30.2d", 1, "Ex"},
    {"%4.100n", 1, "User"},
    {"%05i", 1, "00001"},
    {"%02n", 1, "Joe.User"},
    {"%{user | lower}", 1, "joe.user@example.com"},
    {"%{user|upper}", 1, "JOE.USER@EXAMPLE.COM"},
    {"%{user | domain}", 1, "Example.COM"},
    {"%{user | username}", 1, "Joe.User"},
    {"%{user | domain | lower}", 1, "example.com"},
    {"%{multi | domain}", 1, "y.org"},
    {"%{multi | username}", 1, "abc@x"},
    {"%{plain | domain}", 1, ""},
    {"%{plain | username}", 1, "word"},
    {"%{uidvalidity | hex}", 1, "6553f100"},
    {"%{uid | hex(8)}%{uidvalidity | hex(8)}", 1, "000000016553f100"},
    {"%{uidvalidity | hex | upper}", 1, "6553F100"},
    {"%{ user }", 1, "Joe.User@Example.COM"},
    {"/var/mail/%d/%n/Maildir", 1, "/var/mail/Example.COM/Joe.User/Maildir"},
    /* errors */
    {"%z", -1, "Unknown variable '%z'"},
    {"%{nosuch}", -1, "Unknown variable 'nosuch'"},
    {"%{user | nosuch}", -1, "Unknown filter 'nosuch'"},
    {"%{user | }", -1, "Empty filter"},
    {"%{}", -1, "Empty variable name"},
    {"%{user", -1, "Missing '}' in variable"},
    {"abc%", -1, "Template ends with '%'"},
    {"%L", -1, "Template ends with '%'"},
    {"%Xu", -1, "Value 'Joe.User@Example.COM' is not a number"},
    {"%{user | hex}", -1, "Value 'Joe.User@Example.COM' is not a number"},
    {"%Xe", -1, "Value '' is not a number"},
    {"%{uid | hex(x)}", -1, "Invalid filter 'hex(x)'"},
    {"%-3n", -1, "Negative width in variable"},
    {"%99999n", -1, "Invalid width in '%99999n'"},
};

static void test_table(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		string_t *dest = str_new(NULL, 16);
		const char *error = NULL;
		int ret = var_expand(dest, tests[i].tmpl, table, &error);

		if (ret != tests[i].ret)
			fail_msg("'%s': ret %d (%s)", tests[i].tmpl, ret,
				 error != NULL ? error : str_c(dest));
		if (ret > 0)
			assert_string_equal(str_c(dest), tests[i].out);
		else
			assert_string_equal(error, tests[i].out);
		str_free(&dest);
	}
}

static void test_login_table(void **state)
{
	pool_t pool = pool_create("ve", 512);
	struct var_expand_table *tab;
	string_t *dest = str_new(pool, 64);
	const char *error;
	char pid[32];

	tab =
	    var_expand_table_login(pool, "joe@example.org", "imap", "10.1.1.1",
				   "10.2.2.2", "/home/joe", "sess1");
	assert_int_equal(
	    var_expand(
		dest,
		"%u|%n|%d|%s|%r|%l|%h|%{session}|%{protocol}|%{rip}|%{lip}",
		tab, &error),
	    1);
	assert_string_equal(str_c(dest),
			    "joe@example.org|joe|example.org|"
			    "imap|10.1.1.1|10.2.2.2|/home/joe|sess1|imap|"
			    "10.1.1.1|10.2.2.2");
	str_clear(dest);
	assert_int_equal(var_expand(dest, "%p=%{pid}", tab, &error), 1);
	snprintf(pid, sizeof(pid), "%ld=%ld", (long)getpid(), (long)getpid());
	assert_string_equal(str_c(dest), pid);

	/* NULL values expand to "" and a user without '@' has no domain */
	tab = var_expand_table_login(pool, "joe", NULL, NULL, NULL, NULL, NULL);
	str_clear(dest);
	assert_int_equal(
	    var_expand(dest, "[%u][%n][%d][%s][%r][%h]", tab, &error), 1);
	assert_string_equal(str_c(dest), "[joe][joe][][][][]");
	pool_unref(&pool);
}

/* var_expand_login() gives what var_expand_table_login() + var_expand()
 * give, for every variable, with long users and no '%' too. */
static void test_expand_login(void **state)
{
	static const char *const tmpls[] = {
	    "%u|%n|%d|%s|%r|%l|%h|%{session}|%{protocol}|%{rip}|%{lip}",
	    "%p=%{pid}",
	    "%Lu %Un %{user | lower} %{domain}",
	    "/plain/path/without/vars",
	    "",
	    "%q",
	    "%{nosuch}",
	    "%u",
	    "%Lu",
	    "%{user}",
	    "%{user | lower}",
	    "%Uu",
	};
	const char *users[] = {"Joe@Example.org", "joe", NULL, NULL};
	char longuser[600];
	pool_t pool = pool_create("ve", 512);

	(void)state;
	memset(longuser, 'a', sizeof(longuser) - 1);
	longuser[sizeof(longuser) - 1] = '\0';
	longuser[400] = '@';
	users[3] = longuser;
	for (unsigned int u = 0; u < N_ELEMENTS(users); u++) {
		for (unsigned int t = 0; t < N_ELEMENTS(tmpls); t++) {
			string_t *a = str_new(pool, 64), *b = str_new(pool, 64);
			const char *ea = NULL, *eb = NULL;
			struct var_expand_table *tab = var_expand_table_login(
			    pool, users[u], "pop3", "10.1.1.1", NULL, "/h",
			    "s1");
			int ra = var_expand(a, tmpls[t], tab, &ea);
			char *ea_copy = ra < 0 ? p_strdup(pool, ea) : NULL;
			int rb =
			    var_expand_login(b, tmpls[t], users[u], "pop3",
					     "10.1.1.1", NULL, "/h", "s1", &eb);

			assert_int_equal(ra, rb);
			assert_string_equal(str_c(a), str_c(b));
			if (ra < 0)
				assert_string_equal(ea_copy, eb);
		}
	}
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests_[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_login_table),
	    cmocka_unit_test(test_expand_login),
	};
	return cmocka_run_group_tests(tests_, NULL, NULL);
}
