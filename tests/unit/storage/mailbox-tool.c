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
 *   save NAME FLAGS KWS TIME   saves stdin; prints the UID
 *   copy SRC UID DEST | move SRC UID DEST   prints the new UID
 *   store NAME UID =|+|- FLAGS KWS
 *   expunge NAME UID
 *   dump NAME             "uidvalidity N", "uidnext N", then per message
 *                         "UID FLAGS KWS VSIZE MTIME"
 *   status NAME           "messages N unseen N size N uidnext N"
 * FLAGS are letters D F R S T or "-"; KWS comma-separated keywords or "-".
 * Exit status 0 on success, 2 when the operation was refused (exists,
 * missing), 1 on error. */
#include "lib.h"
#include "pool.h"
#include "log.h"
#include "mailbox.h"
#include "mailbox-list.h"
#include "str.h"

/* Flag letters in the order the tests print them. */
static void maildir_flags_letters(enum mail_flags flags, char *buf)
{
	char *p = buf;

	if (flags & MAIL_DRAFT)
		*p++ = 'D';
	if (flags & MAIL_FLAGGED)
		*p++ = 'F';
	if (flags & MAIL_ANSWERED)
		*p++ = 'R';
	if (flags & MAIL_SEEN)
		*p++ = 'S';
	if (flags & MAIL_DELETED)
		*p++ = 'T';
	*p = '\0';
}

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

static enum mail_flags letters_to_flags(const char *s)
{
	enum mail_flags flags = 0;

	for (; *s != '\0'; s++) {
		flags |= *s == 'D'   ? MAIL_DRAFT
			 : *s == 'F' ? MAIL_FLAGGED
			 : *s == 'R' ? MAIL_ANSWERED
			 : *s == 'S' ? MAIL_SEEN
			 : *s == 'T' ? MAIL_DELETED
				     : 0;
	}
	return flags;
}

static const char **parse_keywords(pool_t pool, const char *s)
{
	if (strcmp(s, "-") == 0)
		return p_new(pool, const char *, 1);
	return (const char **)p_strsplit(pool, s, ",");
}

static int open_box(struct mailbox_list *list, const char *name,
		    struct mailbox **box_r)
{
	const char *error;
	int ret = mailbox_list_open_mailbox(list, name, box_r, &error);

	if (ret <= 0) {
		fprintf(stderr, "open %s: %s\n", name, error);
		return ret == 0 ? 2 : 1;
	}
	return 0;
}

static int cmd_mail(struct mailbox_list *list, int argc, char *argv[])
{
	pool_t pool = pool_create("tool", 1024);
	const char *cmd = argv[0], *error = "";
	struct mailbox *box = NULL, *dest = NULL;
	uint32_t uid = 0, mask;
	int ret;

	if ((ret = open_box(list, argv[1], &box)) != 0)
		goto out;
	ret = 1;
	if (strcmp(cmd, "save") == 0 && argc == 5) {
		string_t *data = str_new(pool, 4096);
		char buf[4096];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
			str_append_n(data, buf, n);
		if (mailbox_save(box, str_data(data), str_len(data),
				 letters_to_flags(argv[2]),
				 parse_keywords(pool, argv[3]),
				 (time_t)strtoll(argv[4], NULL, 10), &uid,
				 &error) < 0)
			goto fail;
		printf("%u\n", uid);
	} else if ((strcmp(cmd, "copy") == 0 || strcmp(cmd, "move") == 0) &&
		   argc == 4) {
		uint32_t src_uid = (uint32_t)strtoul(argv[2], NULL, 10);
		unsigned int seq = mailbox_seq_by_uid(box, src_uid);

		if (strcmp(argv[3], argv[1]) == 0)
			dest = NULL;
		else if ((ret = open_box(list, argv[3], &dest)) != 0)
			goto out;
		ret = 1;
		if (seq == 0) {
			error = "no such UID";
			goto fail;
		}
		if (mailbox_copy(dest != NULL ? dest : box, box, seq, &uid,
				 &error) < 0)
			goto fail;
		if (cmd[0] == 'm' &&
		    mailbox_expunge_uids(box, &src_uid, 1, &error) < 0)
			goto fail;
		printf("%u\n", uid);
	} else if (strcmp(cmd, "store") == 0 && argc == 6) {
		unsigned int seq = mailbox_seq_by_uid(
		    box, (uint32_t)strtoul(argv[2], NULL, 10));
		enum mail_modify modify = argv[3][0] == '+' ? MAIL_MODIFY_ADD
					  : argv[3][0] == '-'
					      ? MAIL_MODIFY_REMOVE
					      : MAIL_MODIFY_REPLACE;

		if (seq == 0) {
			error = "no such UID";
			goto fail;
		}
		if (mailbox_keywords_to_mask(box, parse_keywords(pool, argv[5]),
					     modify != MAIL_MODIFY_REMOVE,
					     &mask, &error) < 0 ||
		    mailbox_update_flags(box, seq, modify,
					 letters_to_flags(argv[4]), mask,
					 &error) < 0)
			goto fail;
	} else if (strcmp(cmd, "expunge") == 0 && argc == 3) {
		uid = (uint32_t)strtoul(argv[2], NULL, 10);
		if (mailbox_expunge_uids(box, &uid, 1, &error) < 0)
			goto fail;
	} else if (strcmp(cmd, "dump") == 0 && argc == 2) {
		printf("uidvalidity %u\nuidnext %u\n",
		       mailbox_get_uid_validity(box),
		       mailbox_get_uid_next(box));
		for (unsigned int seq = 1; seq <= mailbox_count(box); seq++) {
			const struct mail_record *rec = mailbox_get(box, seq);
			char letters[16];
			string_t *kws = str_new(pool, 64);

			maildir_flags_letters(rec->flags, letters);
			for (unsigned int i = 0; i < MAILBOX_KEYWORDS_MAX;
			     i++) {
				const char *kw =
				    mailbox_get_keyword_name(box, i);

				if ((rec->keywords & (1u << i)) == 0 ||
				    kw == NULL)
					continue;
				if (str_len(kws) > 0)
					str_append_c(kws, ',');
				str_append(kws, kw);
			}
			printf("%u %s %s %llu %lld\n", rec->uid,
			       letters[0] != '\0' ? letters : "-",
			       str_len(kws) > 0 ? str_c(kws) : "-",
			       (unsigned long long)rec->virtual_size,
			       (long long)mailbox_get_received_time(box, seq));
		}
	} else if (strcmp(cmd, "status") == 0 && argc == 2) {
		struct mailbox_status st;

		mailbox_get_status(box, &st);
		printf("messages %u unseen %u size %llu uidnext %u\n",
		       st.messages, st.unseen, (unsigned long long)st.size,
		       st.uid_next);
	} else {
		error = "bad arguments";
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "%s: %s\n", cmd, error);
	ret = 1;
out:
	mailbox_close(&box);
	mailbox_close(&dest);
	pool_unref(&pool);
	return ret;
}

/* error is read only here, after the call in the caller's argument list
 * has set it (the order arguments are evaluated in is unspecified). */
static int result(int ret, const char *what, const char *const *error)
{
	if (ret > 0)
		return 0;
	fprintf(stderr, "%s: %s\n", what, *error != NULL ? *error : "?");
	return ret == 0 ? 2 : 1;
}

int main(int argc, char *argv[])
{
	struct mailbox_list *list;
	const char *error = NULL, *cmd;
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
			     cmd, &error);
	else if (strcmp(cmd, "delete") == 0 && argc == 5)
		ret = result(mailbox_list_delete_mailbox(list, argv[4], &error),
			     cmd, &error);
	else if (strcmp(cmd, "rename") == 0 && argc == 6)
		ret = result(mailbox_list_rename_mailbox(list, argv[4], argv[5],
							 &dest_exists, &error),
			     cmd, &error);
	else if ((strcmp(cmd, "subscribe") == 0 ||
		  strcmp(cmd, "unsubscribe") == 0) &&
		 argc == 5)
		ret = result(mailbox_list_set_subscribed(
				 list, argv[4], cmd[0] == 's', &error) < 0
				 ? -1
				 : 1,
			     cmd, &error);
	else if (strcmp(cmd, "autocreate") == 0)
		ret = result(mailbox_list_autocreate(list, &error) < 0 ? -1 : 1,
			     cmd, &error);
	else if (argc >= 5 &&
		 (strcmp(cmd, "save") == 0 || strcmp(cmd, "copy") == 0 ||
		  strcmp(cmd, "move") == 0 || strcmp(cmd, "store") == 0 ||
		  strcmp(cmd, "expunge") == 0 || strcmp(cmd, "dump") == 0 ||
		  strcmp(cmd, "status") == 0))
		ret = cmd_mail(list, argc - 3, argv + 3);
	else {
		fprintf(stderr, "unknown command or arguments: %s\n", cmd);
		ret = 1;
	}
	mailbox_list_deinit(&list);
	return ret;
}
