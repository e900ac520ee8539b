/* maildir-message.c - what FETCH and SEARCH read from a message: its IMAP
 * ENVELOPE / BODYSTRUCTURE / BODY, its header fields and its MIME tree.
 *
 * Does: parse a message file once (streaming, message-parser.h) into the
 * fields of struct maildir_message_fields and answer from them. Does not:
 * keep anything itself (the persistent cache is maildir-cache.c), decode
 * bodies or charsets. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "message-parser.h"
#include "message-part-data.h"
#include "message-section.h"
#include "imap-envelope.h"
#include "imap-bodystructure.h"
#include "maildir-private.h"
#include "maildir-message.h"
#include "pagecache.h"
#include "maildir-cache.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>
#include <strings.h>

#define MESSAGE_READ_BLOCK (64 * 1024)
/* A header block larger than this is searched only this far. */
#define MESSAGE_HEADER_READ_MAX (1024 * 1024)
/* Messages whose header reads are started ahead on a cold page cache. */
#define MESSAGE_PREFETCH_COUNT 64

const char *const maildir_message_cached_headers[] = {
    "Date",	  "Subject",	 "From",       "To",	   "Cc",     "Bcc",
    "Message-ID", "In-Reply-To", "References", "Reply-To", "Sender", NULL,
};

int maildir_message_cached_header_idx(const char *name)
{
	for (unsigned int i = 0; i < MAILDIR_MESSAGE_CACHED_HEADERS; i++) {
		if (strcasecmp(maildir_message_cached_headers[i], name) == 0)
			return (int)i;
	}
	return -1;
}

static int check_seq(struct mailbox *box, unsigned int seq, bool *expunged_r,
		     const char **error_r)
{
	*expunged_r = false;
	if (seq < 1 || seq > box->mails.count) {
		*error_r = maildir_error("Invalid message number %u", seq);
		return -1;
	}
	return 0;
}

/* An unfolded copy of a header value: CR and LF dropped, NULs replaced. */
static const char *header_unfold(pool_t pool, const unsigned char *value,
				 size_t len)
{
	const char *raw = message_header_strdup(pool, value, len);
	char *dest = p_strdup(pool, raw), *d = dest;

	for (const char *s = raw; *s != '\0'; s++) {
		if (*s != '\r' && *s != '\n')
			*d++ = *s;
	}
	*d = '\0';
	return dest;
}

struct parse_context {
	pool_t pool;
	struct maildir_message_fields *fields;
};

static void parse_header_cb(struct message_part *part,
			    const struct message_header_line *hdr,
			    void *context)
{
	struct parse_context *ctx = context;
	int idx;

	if (part->parent != NULL)
		return;
	idx = maildir_message_cached_header_idx(hdr->name);
	if (idx < 0 || ctx->fields->headers[idx] != NULL)
		return;
	ctx->fields->headers[idx] =
	    header_unfold(ctx->pool, hdr->value, hdr->value_len);
}

/* Streams the file at fd through the parser. 0, or -1 with errno. */
static int parse_fd(int fd, pool_t pool, message_header_callback_t *callback,
		    void *context, struct message_part **root_r)
{
	struct message_parser *parser;
	unsigned char *buf = p_malloc(pool, MESSAGE_READ_BLOCK);
	int ret = 0;

	parser = message_parser_init(pool, NULL, callback, context);
	for (;;) {
		ssize_t n = read(fd, buf, MESSAGE_READ_BLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -1;
			break;
		}
		if (n == 0)
			break;
		message_parser_feed(parser, buf, (size_t)n);
	}
	*root_r = message_parser_finish(&parser);
	return ret;
}

int maildir_message_parse(struct mailbox *box, unsigned int seq, pool_t pool,
			  struct maildir_message_fields *fields_r,
			  struct message_part **parts_r, bool *expunged_r,
			  const char **error_r)
{
	struct parse_context ctx;
	struct message_part *root;
	pool_t tmp_pool = NULL, parse_pool = pool;
	string_t *str;
	int fd, ret;

	if (check_seq(box, seq, expunged_r, error_r) < 0)
		return -1;
	fd = mailbox_open_mail(box, seq, expunged_r, error_r);
	if (fd < 0)
		return -1;
	if (parts_r == NULL) {
		/* the tree is thrown away: keep it out of the caller's pool */
		tmp_pool = pool_create("maildir message parse", 16384);
		parse_pool = tmp_pool;
	}
	if (fields_r != NULL)
		memset(fields_r, 0, sizeof(*fields_r));
	ctx.pool = pool;
	ctx.fields = fields_r;
	ret = parse_fd(fd, parse_pool,
		       fields_r != NULL ? parse_header_cb : NULL, &ctx, &root);
	if (ret < 0) {
		*error_r = maildir_error(
		    "read(%s) failed: %s",
		    maildir_mail_path(box, box->mails.items[seq - 1]),
		    strerror(errno));
		i_close_fd(&fd);
		if (tmp_pool != NULL)
			pool_unref(&tmp_pool);
		return -1;
	}
	i_close_fd(&fd);
	if (fields_r != NULL) {
		str = str_new(pool, 512);
		imap_envelope_write(
		    root->data != NULL ? root->data->envelope : NULL, str);
		fields_r->imap[MAIL_IMAP_ENVELOPE] = str_c(str);
		str = str_new(pool, 512);
		imap_bodystructure_write(root, str, true);
		fields_r->imap[MAIL_IMAP_BODYSTRUCTURE] = str_c(str);
		str = str_new(pool, 512);
		imap_bodystructure_write(root, str, false);
		fields_r->imap[MAIL_IMAP_BODY] = str_c(str);
	}
	if (parts_r != NULL)
		*parts_r = root;
	if (tmp_pool != NULL)
		pool_unref(&tmp_pool);
	return 0;
}

/* The size of the header block at the start of data (including its empty
 * line), or 0 when data holds no end of header yet. */
static size_t header_end(const unsigned char *data, size_t size)
{
	if (size >= 1 && data[0] == '\n')
		return 1;
	if (size >= 2 && data[0] == '\r' && data[1] == '\n')
		return 2;
	for (size_t i = 0; i + 1 < size; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n')
			return i + 2;
		if (data[i + 1] == '\r' && i + 2 < size && data[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The mailbox whose messages were read last: its new/ and cur/ opened as
 * directories (messages are opened relative to them, one path component
 * instead of the whole path), and how far the header reads were started
 * ahead. Released by maildir_message_deinit() when that mailbox closes. */
static struct {
	const struct mailbox *box;
	int dir_fd[2]; /* cur, new; -1 = not open */
	unsigned int prefetch_seq;
} msg_files = {NULL, {-1, -1}, 0};

void maildir_message_deinit(struct mailbox *box)
{
	if (msg_files.box != box)
		return;
	i_close_fd(&msg_files.dir_fd[0]);
	i_close_fd(&msg_files.dir_fd[1]);
	msg_files.box = NULL;
	msg_files.prefetch_seq = 0;
}

int maildir_message_open_file(struct mailbox *box,
			      const struct maildir_mail *mail)
{
	unsigned int dir = mail->in_new ? 1 : 0;
	int fd;

	if (mail->filename[0] == '\0') {
		/* a name read from a loft.index shortened under its mapping
		 * (zeros, see file-mmap.h): no such file; "" would open the
		 * directory itself */
		errno = ENOENT;
		return -1;
	}
	if (msg_files.box != box) {
		if (msg_files.box != NULL)
			maildir_message_deinit((struct mailbox *)msg_files.box);
		msg_files.box = box;
	}
	if (msg_files.dir_fd[dir] < 0) {
		char path[PATH_MAX];
		int len = snprintf(path, sizeof(path), "%s/%s", box->path,
				   dir == 1 ? "new" : "cur");

		if (len <= 0 || (size_t)len >= sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		msg_files.dir_fd[dir] =
		    open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (msg_files.dir_fd[dir] < 0)
			return -1;
	}
	fd = openat(msg_files.dir_fd[dir], mail->filename,
		    O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(msg_files.dir_fd[dir], mail->filename,
			    O_RDONLY | O_CLOEXEC);
	return fd;
}

/* Opens message seq's file by its known name; mailbox_open_mail() when
 * that fails (renamed, or an error to report). */
static int open_mail(struct mailbox *box, unsigned int seq, bool *expunged_r,
		     const char **error_r)
{
	int fd = maildir_message_open_file(box, box->mails.items[seq - 1]);

	if (fd >= 0) {
		*expunged_r = false;
		return fd;
	}
	return mailbox_open_mail(box, seq, expunged_r, error_r);
}

/* Asks the kernel to start reading the first page of the next messages
 * (a search goes through them in order), so that when the page cache is
 * cold their reads run in parallel instead of one at a time. */
static void prefetch_headers(struct mailbox *box, unsigned int seq)
{
	unsigned int first = seq + 1, last;

	if (msg_files.box == box && msg_files.prefetch_seq > first &&
	    msg_files.prefetch_seq <= seq + MESSAGE_PREFETCH_COUNT)
		first = msg_files.prefetch_seq;
	last = seq + MESSAGE_PREFETCH_COUNT;
	if (last > box->mails.count)
		last = box->mails.count;
	for (unsigned int s = first; s <= last; s++) {
		int fd =
		    maildir_message_open_file(box, box->mails.items[s - 1]);

		if (fd < 0)
			continue;
		(void)posix_fadvise(fd, 0, 4096, POSIX_FADV_WILLNEED);
		i_close_fd(&fd);
	}
	if (msg_files.box == box)
		msg_files.prefetch_seq = last + 1;
}

/* Reads the message's header block (at most MESSAGE_HEADER_READ_MAX);
 * *complete_r is false when it was cut there. */
static int read_header(struct mailbox *box, unsigned int seq, pool_t pool,
		       const unsigned char **hdr_r, size_t *size_r,
		       bool *complete_r, bool *expunged_r, const char **error_r)
{
	string_t *buf;
	size_t end = 0;
	int fd;

	fd = open_mail(box, seq, expunged_r, error_r);
	if (fd < 0)
		return -1;
	buf = str_new(pool, 4096 + 1);
	while (str_len(buf) < MESSAGE_HEADER_READ_MAX) {
		size_t old_len = str_len(buf);
		size_t want = MESSAGE_HEADER_READ_MAX - old_len;
		unsigned char *p;
		ssize_t n;

		/* most header blocks fit in the first read */
		if (want > (old_len == 0 ? 4096 : 16384))
			want = old_len == 0 ? 4096 : 16384;
		p = str_reserve(buf, want);
		if (old_len == 0) {
			/* from the page cache only: if it is not there, the
			 * next messages' reads are started meanwhile (EAGAIN
			 * also comes from a cached page that would start the
			 * next readahead: that is no cold cache) */
			struct iovec iov = {p, want};

			n = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
			if (n < 0) {
				/* EAGAIN: not cached; or RWF_NOWAIT is not
				 * supported here */
				if (errno == EAGAIN &&
				    pagecache_range_cached(fd, 0, 1) != 1) {
					/* no readahead: only the first pages
					 * are wanted, and the message would
					 * otherwise be read whole */
					(void)posix_fadvise(fd, 0, 0,
							    POSIX_FADV_RANDOM);
					prefetch_headers(box, seq);
				}
				n = read(fd, p, want);
			}
		} else {
			n = read(fd, p, want);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = maildir_error(
			    "read(%s) failed: %s",
			    maildir_mail_path(box, box->mails.items[seq - 1]),
			    strerror(errno));
			i_close_fd(&fd);
			return -1;
		}
		if (n == 0)
			break;
		str_commit(buf, (size_t)n);
		/* look again from just before the new data */
		end = header_end(str_data(buf), str_len(buf));
		if (end > 0)
			break;
	}
	i_close_fd(&fd);
	*hdr_r = str_data(buf);
	*size_r = end > 0 ? end : str_len(buf);
	*complete_r = end > 0 || str_len(buf) < MESSAGE_HEADER_READ_MAX;
	return 0;
}

int mailbox_get_imap_field(struct mailbox *box, unsigned int seq,
			   enum mail_imap_field field, pool_t pool,
			   const char **value_r, bool *expunged_r,
			   const char **error_r)
{
	struct maildir_message_fields fields;

	*value_r = NULL;
	i_assert(field <= MAIL_IMAP_BODY);
	if (check_seq(box, seq, expunged_r, error_r) < 0)
		return -1;
	if (maildir_message_get_fields(box, seq, pool, &fields, expunged_r,
				       error_r) < 0)
		return -1;
	*value_r = fields.imap[field];
	return 0;
}

/* The cached header index of the field name (name_len bytes, trimmed as
 * the parser trims it), or -1. The parser's name is a C string: it ends at
 * a NUL. */
static int cached_name_idx(const unsigned char *name, size_t name_len)
{
	name_len = strnlen((const char *)name, name_len);
	for (unsigned int i = 0; i < MAILDIR_MESSAGE_CACHED_HEADERS; i++) {
		const char *cached = maildir_message_cached_headers[i];

		if (strlen(cached) == name_len &&
		    strncasecmp(cached, (const char *)name, name_len) == 0)
			return (int)i;
	}
	return -1;
}

/* Appends a piece of a field's value as header_unfold() would have it:
 * CR and LF dropped, NUL as U+FFFD (message_header_strdup()). */
static void value_append(string_t *value, const unsigned char *data, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\r' && data[i] != '\n' && data[i] != '\0')
			continue;
		str_append_n(value, data + start, i - start);
		if (data[i] == '\0')
			str_append(value, "\xEF\xBF\xBD");
		start = i + 1;
	}
	str_append_n(value, data + start, len - start);
}

static size_t trim_name(const unsigned char *name, size_t len)
{
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	return len;
}

/* The field the header scan is in. Most fields have their colon on the
 * first line: their name is known there, and only the value of a wanted
 * one is copied. A field without one is kept whole, folds joined with
 * "\n", as the parser keeps it, and looked at when it ends (its name is
 * all of it, or the part before a colon on a folded line). */
struct header_scan {
	pool_t pool;
	struct maildir_message_fields *fields;
	enum { FIELD_NONE, FIELD_SKIP, FIELD_VALUE, FIELD_WHOLE } state;
	int idx;	  /* FIELD_VALUE: its cached header */
	string_t *str;	  /* FIELD_VALUE: the value; FIELD_WHOLE: the field */
	size_t field_len; /* the field's length as the parser keeps it */
};

static void scan_field_end(struct header_scan *scan)
{
	const unsigned char *data, *colon;
	size_t len, name_len, v;
	int idx;

	if (scan->state == FIELD_VALUE) {
		scan->fields->headers[scan->idx] = str_c(scan->str);
	} else if (scan->state == FIELD_WHOLE) {
		/* as message-parser.c's field_flush() splits a field */
		data = str_data(scan->str);
		len = str_len(scan->str);
		colon = memchr(data, ':', len);
		name_len = colon == NULL ? len : (size_t)(colon - data);
		idx = cached_name_idx(data, trim_name(data, name_len));
		if (idx >= 0 && scan->fields->headers[idx] == NULL) {
			string_t *value = str_new(scan->pool, 64);

			v = colon == NULL ? len : name_len + 1;
			while (v < len && (data[v] == ' ' || data[v] == '\t'))
				v++;
			value_append(value, data + v, len - v);
			scan->fields->headers[idx] = str_c(value);
		}
		str_free(&scan->str);
	}
	scan->state = FIELD_NONE;
	scan->str = NULL;
}

/* A line that starts a field: kept bytes of it (cut as the parser cuts). */
static void scan_field_start(struct header_scan *scan,
			     const unsigned char *line, size_t kept)
{
	const unsigned char *colon = memchr(line, ':', kept);
	size_t name_len = colon == NULL ? 0 : (size_t)(colon - line);

	scan_field_end(scan);
	scan->field_len = kept;
	if (colon == NULL) {
		scan->state = FIELD_WHOLE;
		scan->str = str_new(NULL, kept + 64);
		str_append_n(scan->str, line, kept);
		return;
	}
	scan->idx = cached_name_idx(line, trim_name(line, name_len));
	if (scan->idx < 0 || scan->fields->headers[scan->idx] != NULL) {
		scan->state = FIELD_SKIP;
		return;
	}
	size_t v = name_len + 1;
	while (v < kept && (line[v] == ' ' || line[v] == '\t'))
		v++;
	scan->state = FIELD_VALUE;
	scan->str = str_new(scan->pool, kept - v + 64);
	value_append(scan->str, line + v, kept - v);
}

/* A folded line (starts with SP or TAB) of the open field. */
static void scan_field_fold(struct header_scan *scan, const unsigned char *line,
			    size_t kept)
{
	const size_t max_field = MESSAGE_PARSER_DEFAULT_MAX_HEADER_FIELD_SIZE;
	size_t n;

	/* joined with "\n" while the field is shorter than max_field */
	if (scan->state == FIELD_SKIP || scan->field_len >= max_field)
		return;
	n = max_field - (scan->field_len + 1);
	if (kept < n)
		n = kept;
	if (scan->state == FIELD_VALUE) {
		value_append(scan->str, line, n);
	} else {
		str_append_c(scan->str, '\n');
		str_append_n(scan->str, line, n);
	}
	scan->field_len += 1 + n;
}

void maildir_message_header_fields(pool_t pool, const unsigned char *hdr,
				   size_t size,
				   struct maildir_message_fields *fields)
{
	const size_t max_line =
	    MESSAGE_PARSER_DEFAULT_MAX_HEADER_FIELD_SIZE + 1;
	const unsigned char *p = hdr, *end = hdr + size;
	struct header_scan scan = {.pool = pool, .fields = fields};

	memset(fields->headers, 0, sizeof(fields->headers));
	/* the line rules of message-parser.c's line_done() for a header */
	while (p < end) {
		const unsigned char *lf = memchr(p, '\n', (size_t)(end - p));
		bool has_lf = lf != NULL;
		size_t content_len = (size_t)((has_lf ? lf : end) - p);
		size_t kept;

		/* a CR before the LF belongs to the line break */
		if (has_lf && content_len > 0 && p[content_len - 1] == '\r')
			content_len--;
		kept = content_len < max_line ? content_len : max_line;
		if (content_len == 0 && has_lf)
			break; /* the empty line: the end of the header */
		if ((p[0] == ' ' || p[0] == '\t') && scan.state != FIELD_NONE)
			scan_field_fold(&scan, p, kept);
		else if (content_len > 0)
			scan_field_start(&scan, p, kept);
		p = has_lf ? lf + 1 : end;
	}
	scan_field_end(&scan);
}

/* Fills fields_r->headers from the message's header block alone, read
 * with a few reads (the body is not read). Returns 1, 0 when the header
 * block is too large to read this way, -1 on error. */
static int parse_headers_only(struct mailbox *box, unsigned int seq,
			      pool_t pool,
			      struct maildir_message_fields *fields_r,
			      bool *expunged_r, const char **error_r)
{
	const unsigned char *hdr;
	size_t size;
	bool complete;

	memset(fields_r, 0, sizeof(*fields_r));
	if (read_header(box, seq, pool, &hdr, &size, &complete, expunged_r,
			error_r) < 0)
		return -1;
	if (!complete)
		return 0;
	maildir_message_header_fields(pool, hdr, size, fields_r);
	return 1;
}

int mailbox_get_header(struct mailbox *box, unsigned int seq, const char *name,
		       pool_t pool, const char **value_r, bool *expunged_r,
		       const char **error_r)
{
	struct maildir_message_fields fields;
	const unsigned char *hdr;
	size_t size;
	bool complete;
	int idx, ret;

	*value_r = NULL;
	if (check_seq(box, seq, expunged_r, error_r) < 0)
		return -1;
	idx = maildir_message_cached_header_idx(name);
	if (idx >= 0) {
		uint32_t uid = box->mails.items[seq - 1]->rec.uid;

		if (maildir_cache_lookup_header(box, uid, (unsigned int)idx,
						pool, value_r) > 0)
			return 0;
		/* not cached: only the header block is read, and all the
		 * cached fields go into a header-only record */
		ret = parse_headers_only(box, seq, pool, &fields, expunged_r,
					 error_r);
		if (ret < 0)
			return -1;
		if (ret > 0) {
			maildir_cache_add_headers(box, uid, &fields);
		} else if (maildir_message_get_fields(box, seq, pool, &fields,
						      expunged_r,
						      error_r) < 0) {
			return -1;
		}
		*value_r = fields.headers[idx];
		return 0;
	}
	if (read_header(box, seq, pool, &hdr, &size, &complete, expunged_r,
			error_r) < 0)
		return -1;
	*value_r = message_header_get_first(pool, hdr, size, name);
	return 0;
}

int mailbox_get_parts(struct mailbox *box, unsigned int seq, pool_t pool,
		      struct message_part **parts_r, bool *expunged_r,
		      const char **error_r)
{
	*parts_r = NULL;
	return maildir_message_parse(box, seq, pool, NULL, parts_r, expunged_r,
				     error_r);
}

int maildir_message_get_fields(struct mailbox *box, unsigned int seq,
			       pool_t pool,
			       struct maildir_message_fields *fields_r,
			       bool *expunged_r, const char **error_r)
{
	uint32_t uid = box->mails.items[seq - 1]->rec.uid;

	if (maildir_cache_lookup(box, uid, pool, fields_r))
		return 0;
	if (maildir_message_parse(box, seq, pool, fields_r, NULL, expunged_r,
				  error_r) < 0)
		return -1;
	maildir_cache_add(box, uid, fields_r);
	return 0;
}
