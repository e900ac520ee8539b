/* Unit tests for the Maildir++ / LAYOUT=fs mailbox list: name validity,
 * on-disk names, create/delete/rename rules, listing flags, subscriptions
 * file format (Dovecot's version 2 and 1), special-use and autocreate. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "mailbox.h"
#include "mailbox-list.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char test_dir[256];
static char location[300];

static int setup(void **state)
{
	(void)state;
	snprintf(test_dir, sizeof(test_dir), "/tmp/loft-mlist-test.XXXXXX");
	if (mkdtemp(test_dir) == NULL)
		return -1;
	snprintf(location, sizeof(location), "maildir:%s/Maildir", test_dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *rel)
{
	static char buf[4][512];
	static unsigned int idx;
	char *p = buf[idx++ % 4];

	snprintf(p, 512, "%s/Maildir/%s", test_dir, rel);
	return p;
}

static bool exists(const char *rel)
{
	struct stat st;

	return stat(path_of(rel), &st) == 0;
}

static char *read_all(const char *rel)
{
	static char buf[4096];
	int fd = open(path_of(rel), O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void write_all(const char *rel, const char *data)
{
	int fd = open(path_of(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static struct mailbox_list *list_open(char sep)
{
	struct mailbox_list *list;
	const char *error;

	assert_int_equal(mailbox_list_init(location, NULL, sep, &list, &error),
			 0);
	return list;
}

/* "name:flags" lines of the listing, flags as letters: N noselect,
 * X nonexistent, C children, c no children, S subscribed. */
static const char *listing(struct mailbox_list *list, pool_t pool)
{
	struct mailbox_info *infos;
	unsigned int count;
	const char *error;
	string_t *str = str_new(pool, 256);

	assert_int_equal(mailbox_list_iter(list, pool, &infos, &count, &error),
			 0);
	for (unsigned int i = 0; i < count; i++) {
		str_printfa(str, "%s:", infos[i].name);
		if (infos[i].flags & MAILBOX_INFO_NOSELECT)
			str_append_c(str, 'N');
		if (infos[i].flags & MAILBOX_INFO_NONEXISTENT)
			str_append_c(str, 'X');
		if (infos[i].flags & MAILBOX_INFO_CHILDREN)
			str_append_c(str, 'C');
		if (infos[i].flags & MAILBOX_INFO_NOCHILDREN)
			str_append_c(str, 'c');
		if (infos[i].flags & MAILBOX_INFO_SUBSCRIBED)
			str_append_c(str, 'S');
		if (infos[i].special_use != NULL)
			str_printfa(str, "[%s]", infos[i].special_use);
		str_append_c(str, ' ');
	}
	return str_c(str);
}

static void test_names(void **state)
{
	static const struct {
		char sep;
		const char *name;
		bool valid;
	} tests[] = {
	    {'.', "Sent", true},
	    {'.', "Sub.Folder", true},
	    {'.', "Sub..Folder", false},
	    {'.', ".Sub", false},
	    {'.', "Sub.", false},
	    {'.', "", false},
	    {'.', "a/b", false},
	    {'.', "a*", false},
	    {'.', "a%", false},
	    {'.', "a\x01", false},
	    {'.', "\xff", false},
	    {'/', "Sub/Folder", true},
	    {'/', "Sub.Folder", false},
	    {'/', "Sub/../x", false},
	    {'/',
	     "B\xc3\xa4"
	     "d&Name",
	     true},
	};
	const char *error;

	(void)state;
	for (unsigned int i = 0; i < N_ELEMENTS(tests); i++) {
		struct mailbox_list *list = list_open(tests[i].sep);

		assert_int_equal(
		    mailbox_list_name_is_valid(list, tests[i].name, &error),
		    tests[i].valid);
		mailbox_list_deinit(&list);
	}
}

static void test_create_layout(void **state)
{
	struct mailbox_list *list = list_open('/');
	const char *error;

	(void)state;
	assert_int_equal(
	    mailbox_list_create_mailbox(list, "Sub/F\xc3\xa4", &error), 1);
	assert_true(exists(".Sub.F&AOQ-/cur"));
	assert_true(exists(".Sub.F&AOQ-/new"));
	assert_true(exists(".Sub.F&AOQ-/tmp"));
	assert_true(exists(".Sub.F&AOQ-/maildirfolder"));
	assert_false(exists(".Sub"));
	assert_int_equal(
	    mailbox_list_create_mailbox(list, "Sub/F\xc3\xa4", &error), 0);
	assert_int_equal(mailbox_list_create_mailbox(list, "a.b", &error), -1);
	assert_int_equal(mailbox_list_exists(list, "Sub/F\xc3\xa4", &error), 1);
	assert_int_equal(mailbox_list_exists(list, "Sub", &error), 0);
	mailbox_list_deinit(&list);
}

static void test_create_fs(void **state)
{
	struct mailbox_list *list;
	const char *error;
	pool_t pool = pool_create("test", 1024);

	(void)state;
	snprintf(location, sizeof(location), "maildir:%s/Maildir:LAYOUT=fs",
		 test_dir);
	list = list_open('\0');
	assert_int_equal(mailbox_list_get_separator(list), '/');
	assert_int_equal(mailbox_list_create_mailbox(list, "a/b", &error), 1);
	assert_true(exists("a/b/cur"));
	assert_false(exists("a/b/maildirfolder"));
	assert_string_equal(listing(list, pool), "INBOX:c a:NXC a/b:c ");
	assert_int_equal(mailbox_list_create_mailbox(list, "a", &error), 1);
	assert_string_equal(listing(list, pool), "INBOX:c a:C a/b:c ");
	/* deleting a parent keeps the children and leaves it \Noselect */
	assert_int_equal(mailbox_list_delete_mailbox(list, "a", &error), 1);
	assert_string_equal(listing(list, pool), "INBOX:c a:NXC a/b:c ");
	bool exists_r;
	assert_int_equal(
	    mailbox_list_rename_mailbox(list, "a", "c/d", &exists_r, &error),
	    1);
	assert_string_equal(listing(list, pool),
			    "INBOX:c c:NXC c/d:NXC c/d/b:c ");
	mailbox_list_deinit(&list);
	pool_unref(&pool);
}

static void test_list_delete_rename(void **state)
{
	struct mailbox_list *list = list_open('.');
	pool_t pool = pool_create("test", 1024);
	const char *error;
	bool dest_exists;

	(void)state;
	assert_int_equal(mailbox_list_create_mailbox(list, "a.b.c", &error), 1);
	assert_int_equal(mailbox_list_create_mailbox(list, "z", &error), 1);
	assert_string_equal(listing(list, pool),
			    "INBOX:c a:NXC a.b:NXC a.b.c:c z:c ");
	/* \Noselect parent with children: refused */
	assert_int_equal(mailbox_list_delete_mailbox(list, "a", &error), -1);
	assert_string_equal(error, "Mailbox has children, delete them first");
	assert_int_equal(mailbox_list_delete_mailbox(list, "INBOX", &error),
			 -1);
	assert_int_equal(mailbox_list_delete_mailbox(list, "nope", &error), 0);

	assert_int_equal(mailbox_list_create_mailbox(list, "a", &error), 1);
	assert_int_equal(
	    mailbox_list_rename_mailbox(list, "a", "q.r", &dest_exists, &error),
	    1);
	assert_string_equal(listing(list, pool),
			    "INBOX:c q:NXC q.r:C q.r.b:NXC q.r.b.c:c z:c ");
	assert_int_equal(
	    mailbox_list_rename_mailbox(list, "q.r", "z", &dest_exists, &error),
	    0);
	assert_true(dest_exists);
	assert_int_equal(mailbox_list_rename_mailbox(list, "q.r", "q.r.x",
						     &dest_exists, &error),
			 -1);
	assert_int_equal(mailbox_list_rename_mailbox(list, "nope", "other",
						     &dest_exists, &error),
			 0);
	assert_false(dest_exists);
	/* a parent with children: its own directory goes, it stays listed */
	assert_int_equal(mailbox_list_delete_mailbox(list, "q.r", &error), 1);
	assert_false(exists(".q.r"));
	assert_string_equal(listing(list, pool),
			    "INBOX:c q:NXC q.r:NXC q.r.b:NXC q.r.b.c:c z:c ");
	assert_int_equal(mailbox_list_delete_mailbox(list, "q.r.b.c", &error),
			 1);
	assert_string_equal(listing(list, pool), "INBOX:c z:c ");
	/* INBOX sorts first, away from its children */
	assert_int_equal(mailbox_list_create_mailbox(list, "INBOX.y", &error),
			 1);
	assert_int_equal(mailbox_list_create_mailbox(list, "Archive", &error),
			 1);
	assert_string_equal(listing(list, pool),
			    "INBOX:C Archive:c INBOX.y:c z:c ");
	mailbox_list_deinit(&list);
	pool_unref(&pool);
}

static void test_subscriptions(void **state)
{
	struct mailbox_list *list = list_open('/');
	pool_t pool = pool_create("test", 1024);
	const char **names, *error;

	(void)state;
	assert_int_equal(
	    mailbox_list_get_subscriptions(list, pool, &names, &error), 0);
	assert_null(names[0]);
	assert_int_equal(
	    mailbox_list_create_mailbox(list, "Sub/Folder", &error), 1);
	assert_int_equal(
	    mailbox_list_set_subscribed(list, "Sub/Folder", true, &error), 0);
	assert_int_equal(mailbox_list_set_subscribed(list,
						     "B\xc3\xa4"
						     "d",
						     true, &error),
			 0);
	assert_int_equal(
	    mailbox_list_set_subscribed(list, "inbox", true, &error), 0);
	assert_int_equal(
	    mailbox_list_set_subscribed(list, "INBOX", true, &error), 0);
	assert_string_equal(read_all("subscriptions"),
			    "V\t2\n\nSub\tFolder\nB&AOQ-d\nINBOX\n");
	assert_string_equal(listing(list, pool), "INBOX:cS B\xc3\xa4"
						 "d:XS Sub:NXC Sub/Folder:cS ");
	assert_int_equal(mailbox_list_set_subscribed(list,
						     "B\xc3\xa4"
						     "d",
						     false, &error),
			 0);
	assert_string_equal(read_all("subscriptions"),
			    "V\t2\n\nSub\tFolder\nINBOX\n");
	assert_false(exists("subscriptions.lock"));

	/* version 1 file: names with the separator; broken lines skipped */
	write_all("subscriptions", "Sub/Folder\nB&AOQ\nTop\n");
	assert_int_equal(
	    mailbox_list_get_subscriptions(list, pool, &names, &error), 0);
	assert_string_equal(names[0], "Sub/Folder");
	assert_string_equal(names[1], "Top");
	assert_null(names[2]);
	/* version 2 with extra header lines */
	write_all("subscriptions", "V\t2\nX\tfuture\n\nA\tB\n\n");
	assert_int_equal(
	    mailbox_list_get_subscriptions(list, pool, &names, &error), 0);
	assert_string_equal(names[0], "A/B");
	assert_null(names[1]);
	mailbox_list_deinit(&list);
	pool_unref(&pool);
}

static void test_autocreate(void **state)
{
	static const struct mailbox_autobox boxes[] = {
	    {"Sent", "\\Sent", MAILBOX_AUTOCREATE_SUBSCRIBE},
	    {"Trash", "\\Trash", MAILBOX_AUTOCREATE_CREATE},
	    {"Junk", "\\Junk", MAILBOX_AUTOCREATE_NO},
	    {"Archive/2024", NULL, MAILBOX_AUTOCREATE_CREATE},
	};
	struct mailbox_list *list = list_open('/');
	pool_t pool = pool_create("test", 1024);
	const char *error;

	(void)state;
	mailbox_list_set_autoboxes(list, boxes, N_ELEMENTS(boxes));
	assert_int_equal(mailbox_list_autocreate(list, &error), 0);
	assert_int_equal(mailbox_list_autocreate(list, &error), 0);
	assert_string_equal(listing(list, pool),
			    "INBOX:c Archive:NXC Archive/2024:c "
			    "Sent:cS[\\Sent] Trash:c[\\Trash] ");
	assert_string_equal(read_all("subscriptions"), "V\t2\n\nSent\n");
	assert_string_equal(mailbox_list_get_special_use(list, "Junk"),
			    "\\Junk");
	mailbox_list_deinit(&list);
	pool_unref(&pool);
}

static void test_open(void **state)
{
	struct mailbox_list *list = list_open('/');
	struct mailbox *box;
	const char *error;

	(void)state;
	assert_int_equal(mailbox_list_open_mailbox(list, "Nope", &box, &error),
			 0);
	assert_int_equal(
	    mailbox_list_create_mailbox(list, "Sub/Folder", &error), 1);
	assert_int_equal(
	    mailbox_list_open_mailbox(list, "Sub/Folder", &box, &error), 1);
	assert_int_equal(mailbox_count(box), 0);
	assert_true(mailbox_get_uid_validity(box) != 0);
	mailbox_close(&box);
	assert_true(exists(".Sub.Folder/dovecot-uidlist"));
	assert_int_equal(mailbox_list_open_mailbox(list, "inbox", &box, &error),
			 1);
	mailbox_close(&box);
	assert_true(exists("dovecot-uidlist"));
	mailbox_list_deinit(&list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_layout, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_create_fs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_delete_rename, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_subscriptions, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_autocreate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
