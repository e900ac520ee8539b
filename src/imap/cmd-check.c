/* cmd-check.c - CHECK (RFC 3501 section 6.4.1): a checkpoint; the Maildir
 * is always on disk, so it only reports changes, as NOOP. IMAP4rev2 has
 * no CHECK (RFC 9051 appendix E): still accepted, as Dovecot does. */
#include "lib.h"
#include "imap-commands.h"

bool cmd_check(struct client_command *cmd)
{
	client_command_reply(cmd, "OK Check completed.");
	return true;
}
