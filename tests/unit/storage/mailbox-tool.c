/* mailbox-tool - drives Loft's mailbox list and storage from the command
 * line, for the Dovecot interoperability tests
 * (tests/integration/test_imap_storage_dovecot.py).
 *
 *   mailbox-tool LOCATION SEP COMMAND [ARGS...]
 *
 * SEP is the namespace separator ("" for the layout's own). Before the
 * command, "-a NAME=SPECIAL_USE=no|create|subscribe" (repeatable) configures
 * a mailbox as a namespace's mailbox section would. Commands:
 *   list                  one line per mailbox: name TAB flags TAB special
 *                         (flags: Noselect NonExistent HasChildren
 *                         HasNoChildren Subscribed, space-separated)
 *   create NAME | delete NAME | rename OLD NEW
 *   subscribe NAME | unsubscribe NAME
 *   autocreate            creates/subscribes the -a mailboxes
 * Exit status 0 on success, 2 when the operation was refused (exists,
 * missing), 1 on error. */
#include "lib.h"
#include "pool.h"
#include "log.h"
#include "mailbox.h"
#include "mailbox-list.h"

static int cmd_list(struct mailbox_list *list)
{
	pool_t pool = pool_create("list", 1024);
	struct mailbox_info *infos;
	unsigned int count;
	const char *error;

	if (mailbox_list_iter(list, pool, &infos, &count, &error) < 0) {
		fprintf(stderr, "list: %s\n", error);
		return 1;
	}
	for (unsigned int i = 0; i < count; i++) {
		enum mailbox_info_flags f = infos[i].flags;

		printf("%s\t%s%s%s%s%s\t%s\n", infos[i].name,
		       (f & MAILBOX_INFO_NOSELECT) ? "Noselect " : "",
		       (f & MAILBOX_INFO_NONEXISTENT) ? "NonExistent " : "",
		       (f & MAILBOX_INFO_CHILDREN) ? "HasChildren " : "",
		       (f & MAILBOX_INFO_NOCHILDREN) ? "HasNoChildren " : "",
		       (f & MAILBOX_INFO_SUBSCRIBED) ? "Subscribed " : "",
		       infos[i].special_use != NULL ? infos[i].special_use
						    : "");
	}
	pool_unref(&pool);
	return 0;
}

static int result(int ret, const char *what, const char *error)
{
	if (ret > 0)
		return 0;
	fprintf(stderr, "%s: %s\n", what, error);
	return ret == 0 ? 2 : 1;
}

int main(int argc, char *argv[])
{
	struct mailbox_list *list;
	const char *error, *cmd;
	bool dest_exists;
	int ret;

	if (argc < 4) {
		fprintf(stderr, "usage: mailbox-tool LOCATION SEP COMMAND "
				"[ARGS...]\n");
		return 1;
	}
	if (mailbox_list_init(argv[1], getenv("HOME"), argv[2][0], &list,
			      &error) < 0) {
		fprintf(stderr, "%s\n", error);
		return 1;
	}
	struct mailbox_autobox boxes[16];
	unsigned int box_count = 0;
	int argi = 3;

	while (argi + 1 < argc && strcmp(argv[argi], "-a") == 0 &&
	       box_count < N_ELEMENTS(boxes)) {
		char *spec = argv[argi + 1], *p1 = strchr(spec, '='), *p2;

		if (p1 == NULL || (p2 = strchr(p1 + 1, '=')) == NULL) {
			fprintf(stderr, "bad -a %s\n", spec);
			return 1;
		}
		*p1++ = '\0';
		*p2++ = '\0';
		boxes[box_count].name = spec;
		boxes[box_count].special_use = p1[0] != '\0' ? p1 : NULL;
		boxes[box_count].autocreate =
		    strcmp(p2, "subscribe") == 0 ? MAILBOX_AUTOCREATE_SUBSCRIBE
		    : strcmp(p2, "create") == 0	 ? MAILBOX_AUTOCREATE_CREATE
						 : MAILBOX_AUTOCREATE_NO;
		box_count++;
		argi += 2;
	}
	mailbox_list_set_autoboxes(list, boxes, box_count);
	argv += argi - 3;
	argc -= argi - 3;
	if (argc < 4) {
		fprintf(stderr, "missing command\n");
		return 1;
	}
	cmd = argv[3];
	if (strcmp(cmd, "list") == 0)
		ret = cmd_list(list);
	else if (strcmp(cmd, "create") == 0 && argc == 5)
		ret = result(mailbox_list_create_mailbox(list, argv[4], &error),
			     cmd, error);
	else if (strcmp(cmd, "delete") == 0 && argc == 5)
		ret = result(mailbox_list_delete_mailbox(list, argv[4], &error),
			     cmd, error);
	else if (strcmp(cmd, "rename") == 0 && argc == 6)
		ret = result(mailbox_list_rename_mailbox(list, argv[4], argv[5],
							 &dest_exists, &error),
			     cmd, error);
	else if ((strcmp(cmd, "subscribe") == 0 ||
		  strcmp(cmd, "unsubscribe") == 0) &&
		 argc == 5)
		ret = result(mailbox_list_set_subscribed(
				 list, argv[4], cmd[0] == 's', &error) < 0
				 ? -1
				 : 1,
			     cmd, error);
	else if (strcmp(cmd, "autocreate") == 0)
		ret = result(mailbox_list_autocreate(list, &error) < 0 ? -1 : 1,
			     cmd, error);
	else {
		fprintf(stderr, "unknown command or arguments: %s\n", cmd);
		ret = 1;
	}
	mailbox_list_deinit(&list);
	return ret;
}
