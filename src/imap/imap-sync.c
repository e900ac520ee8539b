/* imap-sync.c - reporting what others changed in the selected mailbox
 * (RFC 3501 section 7.3-7.4, RFC 9051 section 7.4-7.5, RFC 7162 section
 * 3.2.10 for VANISHED), and closing it. The view is synced only here, so
 * a command's seqs stay valid while it runs. */
#include "lib.h"
#include "str.h"
#include "mailbox.h"
#include "imap-client.h"
#include "imap-fetch.h"

/* "* VANISHED uid-set" with ranges (RFC 7162 section 3.2.10). */
static void send_vanished(struct client *client, const uint32_t *uids,
			  unsigned int count)
{
	string_t *str = str_new(NULL, 64 + count * 4);

	str_append(str, "* VANISHED ");
	for (unsigned int i = 0; i < count;) {
		unsigned int j = i;

		while (j + 1 < count && uids[j + 1] == uids[j] + 1)
			j++;
		if (i > 0)
			str_append_c(str, ',');
		if (j > i)
			str_printfa(str, "%u:%u", uids[i], uids[j]);
		else
			str_printfa(str, "%u", uids[i]);
		i = j + 1;
	}
	client_send_line(client, str_c(str));
	str_free(&str);
}

int client_sync_mailbox(struct client *client, bool allow_expunges)
{
	struct mailbox_sync_changes changes;
	unsigned int count, expected, recent;
	bool rev2 = (client->enabled & CLIENT_ENABLED_IMAP4REV2) != 0;
	const char *error;
	string_t *str;
	pool_t pool;

	if (client->box == NULL || client->disconnecting)
		return 0;
	if (!allow_expunges) {
		/* syncing would renumber the view; report later */
		return 0;
	}
	pool = pool_create("imap sync", 1024);
	if (mailbox_sync_changes(client->box, pool, &changes, &error) < 0) {
		client_log(client, LOG_TYPE_ERROR,
			   "Couldn't sync mailbox %s: %s", client->box_name,
			   error);
		pool_unref(&pool);
		client_disconnect(client, IMAP_INTERNAL_ERROR,
				  "Mailbox sync failed");
		return -1;
	}
	if (changes.expunged_count > 0) {
		if ((client->enabled & CLIENT_ENABLED_QRESYNC) != 0) {
			send_vanished(client, changes.expunged_uids,
				      changes.expunged_count);
		} else {
			/* RFC 3501 section 7.4.1: from the highest seq
			 * down, so every number is right when read */
			for (unsigned int i = changes.expunged_count; i > 0;
			     i--) {
				client_send_untagged(
				    client, "%u EXPUNGE",
				    changes.expunged_seqs[i - 1]);
			}
		}
		client->box_reported_exists =
		    client->box_reported_exists > changes.expunged_count
			? client->box_reported_exists - changes.expunged_count
			: 0;
	}
	count = mailbox_count(client->box);
	expected = client->box_reported_exists;
	if (count != expected || changes.new_count > 0) {
		client_send_untagged(client, "%u EXISTS", count);
		client->box_reported_exists = count;
	}
	/* RFC 3501 section 7.3.2: new messages are recent in the session
	 * that syncs them first (mailbox_recent_take() at SELECT); the count
	 * also drops when recent messages are expunged. RFC 9051 section
	 * 7.3.1 has no RECENT. */
	recent = mailbox_get_recent_count(client->box);
	if (!rev2 && recent != client->box_reported_recent)
		client_send_untagged(client, "%u RECENT", recent);
	client->box_reported_recent = recent;
	str = str_new(NULL, 128);
	for (unsigned int i = 0; i < changes.changed_count; i++) {
		unsigned int seq =
		    mailbox_seq_by_uid(client->box, changes.changed_uids[i]);
		const struct mail_record *rec;

		if (seq == 0 || (rec = mailbox_get(client->box, seq)) == NULL)
			continue;
		str_truncate(str, 0);
		str_printfa(str, "* %u FETCH (", seq);
		/* RFC 7162 section 3.2.4: with QRESYNC, UID in every
		 * unsolicited FETCH */
		if ((client->enabled & CLIENT_ENABLED_QRESYNC) != 0)
			str_printfa(str, "UID %u ", rec->uid);
		str_append(str, "FLAGS ");
		imap_write_flags(str, client->box, rec,
				 !rev2 &&
				     mailbox_is_recent(client->box, rec->uid));
		if ((client->enabled & CLIENT_ENABLED_CONDSTORE) != 0) {
			str_printfa(str, " MODSEQ (%llu)",
				    (unsigned long long)rec->modseq);
		}
		str_append_c(str, ')');
		client_send_line(client, str_c(str));
	}
	str_free(&str);
	pool_unref(&pool);
	return 0;
}

void client_close_mailbox(struct client *client)
{
	if (client->box != NULL)
		mailbox_close(&client->box);
	client->box_name = NULL;
	client->box_readonly = false;
	client->box_reported_exists = 0;
	client->box_reported_recent = 0;
	client->search_saved_uids = NULL;
	client->search_saved_count = 0;
	client->state = CLIENT_STATE_AUTHENTICATED;
}
