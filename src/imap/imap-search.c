/* imap-search.c - SEARCH over a mailbox (see the header). */
#include "imap-search.h"
#include "mail-search.h"
#include "mailbox.h"
#include "pagecache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* Messages whose files are read ahead when the page cache is cold. */
#define SEARCH_PREFETCH_COUNT 16

struct search_file {
	struct mailbox *box;
	unsigned int seq;
	int fd;
	pool_t pool;
	/* the first message not yet read ahead (per search) */
	unsigned int *prefetch_seq;
};

/* Starts reading the next messages' files (the search goes through them
 * in order), so that on a cold page cache they are read in parallel. */
static void search_prefetch(struct search_file *file)
{
	unsigned int first = file->seq + 1, last;

	if (*file->prefetch_seq > first)
		first = *file->prefetch_seq;
	last = file->seq + SEARCH_PREFETCH_COUNT;
	if (last > mailbox_count(file->box))
		last = mailbox_count(file->box);
	for (unsigned int seq = first; seq <= last; seq++) {
		const char *error;
		bool expunged;
		int fd = mailbox_open_mail(file->box, seq, &expunged, &error);

		if (fd == -1)
			continue;
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
		(void)close(fd);
	}
	if (last + 1 > *file->prefetch_seq)
		*file->prefetch_seq = last + 1;
}

static ssize_t search_file_read(void *context, uint64_t offset, void *buf,
				size_t size, bool *expunged_r,
				const char **error_r)
{
	struct search_file *file = context;

	if (file->fd == -1) {
		file->fd = mailbox_open_mail(file->box, file->seq, expunged_r,
					     error_r);
		if (file->fd == -1)
			return -1;
		/* from the page cache only, to learn whether it is cold */
		struct iovec iov = {buf, size};
		ssize_t ret =
		    preadv2(file->fd, &iov, 1, (off_t)offset, RWF_NOWAIT);
		if (ret >= 0)
			return ret;
		/* EAGAIN also comes from a cached page that would start the
		 * next readahead: that is no cold cache */
		if (errno == EAGAIN &&
		    pagecache_range_cached(file->fd, offset, 1) != 1)
			search_prefetch(file);
	}
	for (;;) {
		ssize_t ret = pread(file->fd, buf, size, (off_t)offset);
		if (ret >= 0)
			return ret;
		if (errno != EINTR) {
			*error_r = strerror(errno);
			return -1;
		}
	}
}

/* Header fields the storage caches (mailbox_get_header()): searches on
 * these alone never open the message file. */
static const char *const cached_headers[] = {
    "Date",	  "Subject",	 "From",       "To",	   "Cc",     "Bcc",
    "Message-ID", "In-Reply-To", "References", "Reply-To", "Sender", NULL};

static int search_get_header(void *context, const char *name,
			     const char **value_r, bool *expunged_r,
			     const char **error_r)
{
	struct search_file *file = context;

	return mailbox_get_header(file->box, file->seq, name, file->pool,
				  value_r, expunged_r, error_r);
}

static void search_set_saved(pool_t pool, struct mail_search_arg *args,
			     const uint32_t *uids, unsigned int count)
{
	for (struct mail_search_arg *arg = args; arg != NULL; arg = arg->next) {
		if (arg->type == MAIL_SEARCH_SUB ||
		    arg->type == MAIL_SEARCH_OR) {
			search_set_saved(pool, arg->subargs, uids, count);
			continue;
		}
		if (!arg->searchres)
			continue;
		/* sorted UIDs to ranges; an empty "$" gets a range that no
		 * UID reaches (UIDs start at 1) */
		arg->ranges = p_new(pool, struct mail_search_range,
				    count == 0 ? 1 : count);
		arg->ranges_count = 0;
		if (uids == NULL || count == 0) {
			arg->ranges[0].seq1 = arg->ranges[0].seq2 = UINT32_MAX;
			arg->ranges_count = 1;
			/* a real UID 4294967295 is not possible: UIDNEXT
			 * would overflow first */
			continue;
		}
		for (unsigned int i = 0; i < count; i++) {
			struct mail_search_range *last =
			    arg->ranges_count == 0
				? NULL
				: &arg->ranges[arg->ranges_count - 1];
			if (last != NULL && uids[i] == last->seq2 + 1)
				last->seq2 = uids[i];
			else {
				arg->ranges[arg->ranges_count].seq1 = uids[i];
				arg->ranges[arg->ranges_count].seq2 = uids[i];
				arg->ranges_count++;
			}
		}
	}
}

static void keyword_to_mask(struct mail_search_arg *arg, void *context)
{
	struct mailbox *box = context;
	const char *names[] = {arg->keyword, NULL};
	const char *error;

	if (mailbox_keywords_to_mask(box, names, false, &arg->keyword_mask,
				     &error) < 0)
		arg->keyword_mask = 0;
}

void imap_search_prepare(struct mailbox *box, pool_t pool,
			 struct imap_search_program *program,
			 const uint32_t *saved_uids, unsigned int saved_count)
{
	unsigned int count = mailbox_count(box);
	uint32_t max_uid = count == 0 ? 0 : mailbox_get(box, count)->uid;

	if (program->have_searchres)
		search_set_saved(pool, program->args, saved_uids, saved_count);
	mail_search_args_foreach_keyword(program->args, keyword_to_mask, box);
	mail_search_args_resolve(pool, program->args, count, max_uid);
}

static uint32_t record_flags(const struct mailbox *box,
			     const struct mail_record *rec)
{
	uint32_t flags = 0;

	/* RECENT, NEW and OLD (RFC 3501 section 6.4.4): recent in this
	 * session */
	if (mailbox_is_recent(box, rec->uid))
		flags |= MAIL_SEARCH_FLAG_RECENT;
	if ((rec->flags & MAIL_ANSWERED) != 0)
		flags |= MAIL_SEARCH_FLAG_ANSWERED;
	if ((rec->flags & MAIL_FLAGGED) != 0)
		flags |= MAIL_SEARCH_FLAG_FLAGGED;
	if ((rec->flags & MAIL_DELETED) != 0)
		flags |= MAIL_SEARCH_FLAG_DELETED;
	if ((rec->flags & MAIL_SEEN) != 0)
		flags |= MAIL_SEARCH_FLAG_SEEN;
	if ((rec->flags & MAIL_DRAFT) != 0)
		flags |= MAIL_SEARCH_FLAG_DRAFT;
	return flags;
}

/* True when args compare INTERNALDATE (BEFORE, ON, SINCE), the only keys
 * for which a message's received time is read (a Maildir's file is
 * stat'ed for it when the index does not have it yet). */
static bool args_use_received(const struct mail_search_arg *args)
{
	for (const struct mail_search_arg *arg = args; arg != NULL;
	     arg = arg->next) {
		switch (arg->type) {
		case MAIL_SEARCH_SUB:
		case MAIL_SEARCH_OR:
			if (args_use_received(arg->subargs))
				return true;
			break;
		case MAIL_SEARCH_BEFORE:
		case MAIL_SEARCH_ON:
		case MAIL_SEARCH_SINCE:
			return true;
		default:
			break;
		}
	}
	return false;
}

int imap_search_run(struct mailbox *box, pool_t pool,
		    struct imap_search_program *program,
		    struct imap_search_result *result_r, const char **error_r)
{
	unsigned int count = mailbox_count(box);
	unsigned int prefetch_seq = 0;
	pool_t msg_pool = NULL;
	int ret = 0;

	bool headers_only =
	    mail_search_args_headers_only(program->args, cached_headers);
	bool use_received = args_use_received(program->args);

	memset(result_r, 0, sizeof(*result_r));
	result_r->seqs = p_new(pool, uint32_t, count == 0 ? 1 : count);
	for (unsigned int seq = 1; seq <= count; seq++) {
		const struct mail_record *rec = mailbox_get(box, seq);
		struct mail_search_record srec = {
		    .seq = seq,
		    .uid = rec->uid,
		    .flags = record_flags(box, rec),
		    .keywords = rec->keywords,
		    .size = rec->virtual_size,
		    .received_time =
			use_received ? mailbox_get_received_time(box, seq) : 0,
		    .modseq = rec->modseq,
		};
		int match = mail_search_match_record(program->args, &srec);

		if (match < 0) {
			bool expunged = false;
			const char *error;

			if (msg_pool == NULL)
				/* big enough for the read and text buffers
				 * of mail-search.c: kept across messages */
				msg_pool =
				    pool_create("search message", 512 * 1024);
			struct search_file file = {box, seq, -1, msg_pool,
						   &prefetch_seq};
			if (headers_only) {
				match = mail_search_match_headers(
				    program->args, msg_pool, search_get_header,
				    &file, &expunged, &error);
			} else {
				match = mail_search_match_content(
				    program->args, msg_pool, search_file_read,
				    &file, &expunged, &error);
			}
			if (file.fd != -1)
				close(file.fd);
			if (match < 0 && expunged) {
				result_r->vanished++;
				match = 0;
			} else if (match < 0) {
				*error_r = p_strdup_printf(
				    pool, "Reading message UID %u: %s",
				    rec->uid, error);
				ret = -1;
				break;
			}
			pool_clear(msg_pool);
		}
		if (match > 0) {
			result_r->seqs[result_r->count++] = seq;
			if (rec->modseq > result_r->highest_modseq)
				result_r->highest_modseq = rec->modseq;
		}
	}
	if (msg_pool != NULL)
		pool_unref(&msg_pool);
	return ret;
}
