/* imap-status.c - STATUS item lists parsed and STATUS values written.
 * Does not touch storage (imap_status_get() is in cmd-status.c). */
#include "lib.h"
#include "str.h"
#include "imap-status.h"

#include <strings.h>

static const struct {
	const char *name;
	enum imap_status_items item;
} status_items[] = {
    /* the order of the response */
    {"MESSAGES", IMAP_STATUS_MESSAGES},
    {"RECENT", IMAP_STATUS_RECENT},
    {"UIDNEXT", IMAP_STATUS_UIDNEXT},
    {"UIDVALIDITY", IMAP_STATUS_UIDVALIDITY},
    {"UNSEEN", IMAP_STATUS_UNSEEN},
    {"HIGHESTMODSEQ", IMAP_STATUS_HIGHESTMODSEQ},
    {"SIZE", IMAP_STATUS_SIZE},
    {"DELETED", IMAP_STATUS_DELETED},
};

int imap_status_parse_items(const struct imap_arg *list, unsigned int count,
			    enum imap_status_items *items_r,
			    const char **error_r)
{
	enum imap_status_items items = 0;

	if (count == 0) {
		*error_r = "Empty status list";
		return -1;
	}
	for (unsigned int i = 0; i < count; i++) {
		const char *name;
		unsigned int j;

		if (!imap_arg_get_atom(&list[i], &name)) {
			*error_r = "Status list contains non-atoms.";
			return -1;
		}
		for (j = 0; j < N_ELEMENTS(status_items); j++) {
			if (strcasecmp(name, status_items[j].name) == 0)
				break;
		}
		if (j == N_ELEMENTS(status_items)) {
			static char buf[128];

			int prefix =
			    snprintf(buf, sizeof(buf), "Invalid status item ");

			snprintf(buf + prefix, sizeof(buf) - (size_t)prefix,
				 "%.60s", name);
			for (char *p = buf + prefix; *p != '\0'; p++) {
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
			}
			*error_r = buf;
			return -1;
		}
		items |= status_items[j].item;
	}
	*items_r = items;
	return 0;
}

void imap_status_append_values(string_t *dest, enum imap_status_items items,
			       const struct imap_status_values *v)
{
	bool first = true;

	str_append_c(dest, '(');
	for (unsigned int i = 0; i < N_ELEMENTS(status_items); i++) {
		uint64_t num;

		if ((items & status_items[i].item) == 0)
			continue;
		switch (status_items[i].item) {
		case IMAP_STATUS_MESSAGES:
			num = v->messages;
			break;
		case IMAP_STATUS_RECENT:
			num = v->recent;
			break;
		case IMAP_STATUS_UIDNEXT:
			num = v->uidnext;
			break;
		case IMAP_STATUS_UIDVALIDITY:
			num = v->uidvalidity;
			break;
		case IMAP_STATUS_UNSEEN:
			num = v->unseen;
			break;
		case IMAP_STATUS_HIGHESTMODSEQ:
			num = v->highestmodseq;
			break;
		case IMAP_STATUS_SIZE:
			num = v->size;
			break;
		case IMAP_STATUS_DELETED:
			num = v->deleted;
			break;
		default:
			i_unreached();
		}
		if (!first)
			str_append_c(dest, ' ');
		first = false;
		str_append(dest, status_items[i].name);
		str_append_c(dest, ' ');
		str_append_uint(dest, num);
	}
	str_append_c(dest, ')');
}
