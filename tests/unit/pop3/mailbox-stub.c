/* mailbox-stub.c - an in-memory mailbox behind mailbox.h for the POP3
 * session tests and fuzzing: messages are memfd files, flag changes and
 * expunges are recorded for the test to check. Not a storage model. */
#include "lib.h"
#include "pool.h"
#include "mailbox.h"
#include "mailbox-stub.h"

#include <sys/mman.h>

struct mailbox {
	int dummy;
};

struct mailbox_stub_state mailbox_stub;
static struct mailbox stub_box;
static struct mail_record stub_records[MAILBOX_STUB_MAX];

void mailbox_stub_reset(void)
{
	memset(&mailbox_stub, 0, sizeof(mailbox_stub));
}

void mailbox_stub_add(const char *data, size_t size)
{
	unsigned int n = mailbox_stub.count;
	uint64_t vsize = 0;

	i_assert(n < MAILBOX_STUB_MAX);
	mailbox_stub.data[n] = data;
	mailbox_stub.size[n] = size;
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			vsize++;
		vsize++;
	}
	memset(&stub_records[n], 0, sizeof(stub_records[n]));
	stub_records[n].uid = 100 + n;
	stub_records[n].physical_size = size;
	stub_records[n].virtual_size = vsize;
	mailbox_stub.count++;
}

int mailbox_open_inbox(const char *mail_location, const char *home,
		       struct mailbox **box_r, const char **error_r)
{
	mailbox_stub.open_count++;
	mailbox_stub.last_location = mail_location;
	if (mailbox_stub.fail_open) {
		*error_r = "stub open failure";
		return -1;
	}
	*box_r = &stub_box;
	return 0;
}

void mailbox_close(struct mailbox **box)
{
	mailbox_stub.close_count++;
	*box = NULL;
}

int mailbox_lock_session(struct mailbox *box, const char **error_r)
{
	return mailbox_stub.locked ? 0 : 1;
}

int mailbox_lock_session_refresh(struct mailbox *box)
{
	return 0;
}

int mailbox_open_inbox_flags(const char *mail_location, const char *home,
			     enum mailbox_open_flags flags,
			     struct mailbox **box_r, const char **error_r)
{
	(void)flags;
	return mailbox_open_inbox(mail_location, home, box_r, error_r);
}

int mailbox_sync(struct mailbox *box, const char **error_r)
{
	return 0;
}

uint32_t mailbox_get_uid_validity(const struct mailbox *box)
{
	return 1234;
}

uint32_t mailbox_get_uid_next(const struct mailbox *box)
{
	return 100 + mailbox_stub.count;
}

unsigned int mailbox_count(const struct mailbox *box)
{
	return mailbox_stub.count;
}

const struct mail_record *mailbox_get(const struct mailbox *box,
				      unsigned int seq)
{
	if (seq == 0 || seq > mailbox_stub.count)
		return NULL;
	return &stub_records[seq - 1];
}

int mailbox_open_mail(struct mailbox *box, unsigned int seq, bool *expunged_r,
		      const char **error_r)
{
	int fd;

	*expunged_r = false;
	if (seq == 0 || seq > mailbox_stub.count ||
	    mailbox_stub.gone[seq - 1]) {
		*expunged_r = true;
		*error_r = "expunged";
		return -1;
	}
	fd = memfd_create("stub-mail", MFD_CLOEXEC);
	i_assert(fd >= 0);
	if (write(fd, mailbox_stub.data[seq - 1], mailbox_stub.size[seq - 1]) !=
	    (ssize_t)mailbox_stub.size[seq - 1])
		i_panic("memfd write failed");
	(void)lseek(fd, 0, SEEK_SET);
	return fd;
}

int mailbox_add_flags(struct mailbox *box, unsigned int seq,
		      enum mail_flags flags, const char **error_r)
{
	i_assert(seq >= 1 && seq <= mailbox_stub.count);
	stub_records[seq - 1].flags |= flags;
	mailbox_stub.flag_changes++;
	return 0;
}

int mailbox_expunge_seqs(struct mailbox *box, const unsigned int *seqs,
			 unsigned int count, const char **error_r)
{
	if (mailbox_stub.fail_expunge) {
		*error_r = "stub expunge failure";
		return -1;
	}
	for (unsigned int i = 0; i < count; i++) {
		i_assert(seqs[i] >= 1 && seqs[i] <= mailbox_stub.count);
		mailbox_stub.expunged[seqs[i] - 1] = true;
		mailbox_stub.expunge_count++;
	}
	return 0;
}

int mailbox_pop3_uidl(const struct mailbox *box, const struct mail_record *rec,
		      const char *format, char *buf, size_t bufsize,
		      const char **error_r)
{
	if (strcmp(format, "%08Xu%08Xv") != 0) {
		*error_r = "stub knows only the default format";
		return -1;
	}
	snprintf(buf, bufsize, "%08X%08X", rec->uid, 1234u);
	return 0;
}

enum mail_flags mailbox_stub_flags(unsigned int seq)
{
	return stub_records[seq - 1].flags;
}
