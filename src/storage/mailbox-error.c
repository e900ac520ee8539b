/* mailbox-error.c - classifies storage error texts (mailbox-error.h). */
#include "lib.h"
#include "mailbox-error.h"

#include <errno.h>
#include <string.h>

/* True when error ends with ": <strerror(err)>", as the storage's texts of
 * failed system calls do. */
static bool error_ends_with_errno(const char *error, int err)
{
	const char *text = strerror(err);
	size_t len = strlen(error), tlen = strlen(text);

	return len >= tlen + 2 && strcmp(error + len - tlen, text) == 0 &&
	       error[len - tlen - 2] == ':' && error[len - tlen - 1] == ' ';
}

enum mailbox_error_kind mailbox_error_get_kind(const char *error)
{
	if (error == NULL)
		return MAILBOX_ERROR_INTERNAL;
	if (error_ends_with_errno(error, ENOSPC))
		return MAILBOX_ERROR_NOSPACE;
	if (error_ends_with_errno(error, EDQUOT))
		return MAILBOX_ERROR_NOQUOTA;
	if (strncmp(error, MAILBOX_ERRSTR_TOO_MANY_KEYWORDS,
		    strlen(MAILBOX_ERRSTR_TOO_MANY_KEYWORDS)) == 0)
		return MAILBOX_ERROR_LIMIT;
	if (error_ends_with_errno(error, ENAMETOOLONG))
		return MAILBOX_ERROR_NAMETOOLONG;
	return MAILBOX_ERROR_INTERNAL;
}
