/* maildir-dump - prints what Loft's storage sees in a maildir, for the
 * Dovecot interoperability tests.
 *
 *   maildir-dump [-u uidl_format] [-F uid=LETTERS]... [-e uid]... MAILDIR
 *
 * Opens MAILDIR as "maildir:MAILDIR" (syncing it: new/ -> cur/, UIDs
 * assigned), applies flag additions (-F, letters D F R S T) and expunges
 * (-e), then prints
 *   uidvalidity <n>
 *   uidnext <n>
 *   <uid> <flag letters or -> <uidl> <vsize> <basename>
 * one line per message. Exit status 1 on any error. */
#include "lib.h"
#include "log.h"
#include "mailbox.h"

#include <getopt.h>

static enum mail_flags letters_to_flags(const char *s)
{
	enum mail_flags flags = 0;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case 'D':
			flags |= MAIL_DRAFT;
			break;
		case 'F':
			flags |= MAIL_FLAGGED;
			break;
		case 'R':
			flags |= MAIL_ANSWERED;
			break;
		case 'S':
			flags |= MAIL_SEEN;
			break;
		case 'T':
			flags |= MAIL_DELETED;
			break;
		default:
			break;
		}
	}
	return flags;
}

static unsigned int uid_to_seq(struct mailbox *box, uint32_t uid)
{
	for (unsigned int seq = 1; seq <= mailbox_count(box); seq++) {
		if (mailbox_get(box, seq)->uid == uid)
			return seq;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	const char *format = "%08Xu%08Xv", *error;
	char *location;
	const char *flag_ops[64], *expunge_ops[64];
	unsigned int nflag = 0, nexp = 0, seqs[64], nseqs = 0;
	struct mailbox *box;
	char uidl[512];
	int c;

	while ((c = getopt(argc, argv, "u:F:e:")) != -1) {
		switch (c) {
		case 'u':
			format = optarg;
			break;
		case 'F':
			if (nflag < N_ELEMENTS(flag_ops))
				flag_ops[nflag++] = optarg;
			break;
		case 'e':
			if (nexp < N_ELEMENTS(expunge_ops))
				expunge_ops[nexp++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: maildir-dump [-u format] "
					"[-F uid=FLAGS] [-e uid] MAILDIR\n");
			return 1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: maildir-dump [-u format] MAILDIR\n");
		return 1;
	}
	log_set_prefix("maildir-dump: ");
	location = i_strdup_printf("maildir:%s", argv[optind]);
	if (mailbox_open_inbox(location, NULL, &box, &error) < 0) {
		fprintf(stderr, "open failed: %s\n", error);
		return 1;
	}
	i_free(location);
	for (unsigned int i = 0; i < nflag; i++) {
		const char *eq = strchr(flag_ops[i], '=');
		unsigned int uid, seq;
		char *uidstr;

		if (eq == NULL)
			return 1;
		uidstr = i_strndup(flag_ops[i], (size_t)(eq - flag_ops[i]));
		if (str_to_uint(uidstr, &uid) < 0 ||
		    (seq = uid_to_seq(box, uid)) == 0) {
			fprintf(stderr, "unknown uid %s\n", uidstr);
			return 1;
		}
		i_free(uidstr);
		if (mailbox_add_flags(box, seq, letters_to_flags(eq + 1),
				      &error) < 0) {
			fprintf(stderr, "add_flags failed: %s\n", error);
			return 1;
		}
	}
	for (unsigned int i = 0; i < nexp; i++) {
		unsigned int uid, seq;

		if (str_to_uint(expunge_ops[i], &uid) < 0 ||
		    (seq = uid_to_seq(box, uid)) == 0) {
			fprintf(stderr, "unknown uid %s\n", expunge_ops[i]);
			return 1;
		}
		seqs[nseqs++] = seq;
	}
	if (nseqs > 0 && mailbox_expunge_seqs(box, seqs, nseqs, &error) < 0) {
		fprintf(stderr, "expunge failed: %s\n", error);
		return 1;
	}

	printf("uidvalidity %u\n", mailbox_get_uid_validity(box));
	printf("uidnext %u\n", mailbox_get_uid_next(box));
	for (unsigned int seq = 1; seq <= mailbox_count(box); seq++) {
		const struct mail_record *rec = mailbox_get(box, seq);
		char letters[8];
		unsigned int n = 0;

		if ((rec->flags & MAIL_DRAFT) != 0)
			letters[n++] = 'D';
		if ((rec->flags & MAIL_FLAGGED) != 0)
			letters[n++] = 'F';
		if ((rec->flags & MAIL_ANSWERED) != 0)
			letters[n++] = 'R';
		if ((rec->flags & MAIL_SEEN) != 0)
			letters[n++] = 'S';
		if ((rec->flags & MAIL_DELETED) != 0)
			letters[n++] = 'T';
		if (n == 0)
			letters[n++] = '-';
		letters[n] = '\0';
		if (mailbox_pop3_uidl(box, rec, format, uidl, sizeof(uidl),
				      &error) < 0) {
			fprintf(stderr, "uidl failed: %s\n", error);
			return 1;
		}
		printf("%u %s %s %llu %s\n", rec->uid, letters, uidl,
		       (unsigned long long)rec->virtual_size, rec->basename);
	}
	mailbox_close(&box);
	return 0;
}
