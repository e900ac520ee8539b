/* mailbox-stub.h - in-memory mailbox.h implementation for POP3 tests. */
#ifndef LOFT_POP3_MAILBOX_STUB_H
#define LOFT_POP3_MAILBOX_STUB_H

#include "lib.h"
#include "mailbox.h"

#define MAILBOX_STUB_MAX 64

struct mailbox_stub_state {
	unsigned int count;
	const char *data[MAILBOX_STUB_MAX];
	size_t size[MAILBOX_STUB_MAX];
	bool gone[MAILBOX_STUB_MAX];	 /* open_mail reports expunged */
	bool expunged[MAILBOX_STUB_MAX]; /* by mailbox_expunge_seqs */
	unsigned int expunge_count, flag_changes;
	unsigned int open_count, close_count;
	const char *last_location;
	bool fail_open, fail_expunge, locked;
};

extern struct mailbox_stub_state mailbox_stub;

void mailbox_stub_reset(void);
/* data must stay valid while the test runs. */
void mailbox_stub_add(const char *data, size_t size);
enum mail_flags mailbox_stub_flags(unsigned int seq);

#endif
