/* mail-search.c - matching messages against a SEARCH tree (see the
 * header): record keys, then header fields, then decoded body parts. */
#include "mail-search.h"
#include "charset-utf8.h"
#include "mail-decode.h"
#include "mail-search-decode.h"
#include "message-date.h"
#include "message-parser.h"
#include "message-part-data.h"
#include "str.h"

#include <strings.h>

#define SEARCH_READ_SIZE (64 * 1024)

/* A folded needle and its Knuth-Morris-Pratt failure table, so that text
 * can be fed in chunks without keeping any of it. */
struct mail_search_matcher {
	const unsigned char *needle;
	size_t len;
	size_t *fail;
	size_t state;
};

int64_t mail_search_day_from_utc(time_t t)
{
	int64_t secs = (int64_t)t;

	return secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
}

static int64_t day_in_zone(time_t t, long offset_secs)
{
	return mail_search_day_from_utc((time_t)((int64_t)t + offset_secs));
}

/* INTERNALDATE as a date in the server's zone (RFC 3501 section 6.4.4:
 * "disregarding time and timezone"). */
static int64_t day_local(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return mail_search_day_from_utc(t);
	return day_in_zone(t, tm.tm_gmtoff);
}

static struct mail_search_matcher *matcher_create(pool_t pool,
						  const char *value)
{
	struct mail_search_matcher *m =
	    p_new(pool, struct mail_search_matcher, 1);
	string_t *folded = str_new(pool, strlen(value) + 8);

	mail_fold_utf8(NULL, value, strlen(value), true, folded);
	m->needle = str_data(folded);
	m->len = str_len(folded);
	m->fail = p_new(pool, size_t, m->len + 1);
	for (size_t i = 1, k = 0; i < m->len; i++) {
		while (k > 0 && m->needle[i] != m->needle[k])
			k = m->fail[k - 1];
		if (m->needle[i] == m->needle[k])
			k++;
		m->fail[i] = k;
	}
	return m;
}

/* Feeds folded text; true once the needle has been seen. */
static bool matcher_feed(struct mail_search_matcher *m,
			 const unsigned char *data, size_t size)
{
	size_t k = m->state;

	if (m->len == 0)
		return true;
	for (size_t i = 0; i < size; i++) {
		if (k == 0) {
			const unsigned char *p =
			    memchr(data + i, m->needle[0], size - i);
			if (p == NULL)
				break;
			i = (size_t)(p - data);
		}
		while (k > 0 && data[i] != m->needle[k])
			k = m->fail[k - 1];
		if (data[i] == m->needle[k])
			k++;
		if (k == m->len) {
			m->state = 0;
			return true;
		}
	}
	m->state = k;
	return false;
}

static bool matcher_find(const struct mail_search_matcher *m,
			 const unsigned char *data, size_t size)
{
	if (m->len == 0)
		return true;
	return memmem(data, size, m->needle, m->len) != NULL;
}

void mail_search_args_init(pool_t pool, struct mail_search_arg *args)
{
	for (struct mail_search_arg *arg = args; arg != NULL; arg = arg->next) {
		switch (arg->type) {
		case MAIL_SEARCH_SUB:
		case MAIL_SEARCH_OR:
			mail_search_args_init(pool, arg->subargs);
			break;
		case MAIL_SEARCH_HEADER:
		case MAIL_SEARCH_BODY:
		case MAIL_SEARCH_TEXT:
			arg->matcher = matcher_create(
			    pool, arg->value == NULL ? "" : arg->value);
			break;
		default:
			break;
		}
	}
}

static int range_cmp(const void *p1, const void *p2)
{
	const struct mail_search_range *r1 = p1, *r2 = p2;

	return r1->seq1 < r2->seq1 ? -1 : r1->seq1 > r2->seq1 ? 1 : 0;
}

static void resolve_ranges(pool_t pool, struct mail_search_arg *arg,
			   uint32_t star)
{
	struct mail_search_range *r =
	    p_new(pool, struct mail_search_range, arg->ranges_count + 1);
	unsigned int count = 0;

	for (unsigned int i = 0; i < arg->ranges_count; i++) {
		uint32_t a = arg->ranges[i].seq1, b = arg->ranges[i].seq2;

		if (a == 0)
			a = star;
		if (b == 0)
			b = star;
		if (a == 0 && b == 0)
			continue; /* "*" in an empty mailbox */
		if (a == 0)
			a = 1;
		if (b == 0)
			b = 1;
		r[count].seq1 = MIN_OF(a, b);
		r[count].seq2 = MAX_OF(a, b);
		count++;
	}
	qsort(r, count, sizeof(*r), range_cmp);
	unsigned int n = 0;
	for (unsigned int i = 0; i < count; i++) {
		if (n > 0 &&
		    (uint64_t)r[i].seq1 <= (uint64_t)r[n - 1].seq2 + 1) {
			if (r[i].seq2 > r[n - 1].seq2)
				r[n - 1].seq2 = r[i].seq2;
		} else {
			r[n++] = r[i];
		}
	}
	arg->resolved = r;
	arg->resolved_count = n;
}

void mail_search_args_resolve(pool_t pool, struct mail_search_arg *args,
			      uint32_t max_seq, uint32_t max_uid)
{
	for (struct mail_search_arg *arg = args; arg != NULL; arg = arg->next) {
		if (arg->type == MAIL_SEARCH_SUB || arg->type == MAIL_SEARCH_OR)
			mail_search_args_resolve(pool, arg->subargs, max_seq,
						 max_uid);
		else if (arg->type == MAIL_SEARCH_SEQSET)
			resolve_ranges(pool, arg, max_seq);
		else if (arg->type == MAIL_SEARCH_UIDSET)
			resolve_ranges(pool, arg, max_uid);
	}
}

static bool ranges_contain(const struct mail_search_arg *arg, uint32_t num)
{
	unsigned int lo = 0, hi = arg->resolved_count;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct mail_search_range *r = &arg->resolved[mid];

		if (num < r->seq1)
			hi = mid;
		else if (num > r->seq2)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool is_content_type(enum mail_search_type type)
{
	switch (type) {
	case MAIL_SEARCH_SENTBEFORE:
	case MAIL_SEARCH_SENTON:
	case MAIL_SEARCH_SENTSINCE:
	case MAIL_SEARCH_HEADER:
	case MAIL_SEARCH_BODY:
	case MAIL_SEARCH_TEXT:
		return true;
	default:
		return false;
	}
}

bool mail_search_args_need_content(const struct mail_search_arg *args)
{
	for (const struct mail_search_arg *arg = args; arg != NULL;
	     arg = arg->next) {
		if (is_content_type(arg->type))
			return true;
		if ((arg->type == MAIL_SEARCH_SUB ||
		     arg->type == MAIL_SEARCH_OR) &&
		    mail_search_args_need_content(arg->subargs))
			return true;
	}
	return false;
}

bool mail_search_args_have_modseq(const struct mail_search_arg *args)
{
	for (const struct mail_search_arg *arg = args; arg != NULL;
	     arg = arg->next) {
		if (arg->type == MAIL_SEARCH_MODSEQ)
			return true;
		if ((arg->type == MAIL_SEARCH_SUB ||
		     arg->type == MAIL_SEARCH_OR) &&
		    mail_search_args_have_modseq(arg->subargs))
			return true;
	}
	return false;
}

void mail_search_args_foreach_keyword(struct mail_search_arg *args,
				      void (*callback)(struct mail_search_arg *,
						       void *),
				      void *context)
{
	for (struct mail_search_arg *arg = args; arg != NULL; arg = arg->next) {
		if (arg->type == MAIL_SEARCH_SUB || arg->type == MAIL_SEARCH_OR)
			mail_search_args_foreach_keyword(arg->subargs, callback,
							 context);
		else if (arg->type == MAIL_SEARCH_KEYWORD)
			callback(arg, context);
	}
}

/* Sets a leaf's result, applying NOT. */
static void arg_set_result(struct mail_search_arg *arg, bool match)
{
	arg->result = match != arg->not ? 1 : 0;
}

static int eval_list(struct mail_search_arg *args, bool is_or);

/* Three-valued result of one node from its leaves' results. */
static int eval_arg(struct mail_search_arg *arg)
{
	int ret;

	if (arg->type != MAIL_SEARCH_SUB && arg->type != MAIL_SEARCH_OR)
		return arg->result;
	ret = eval_list(arg->subargs, arg->type == MAIL_SEARCH_OR);
	if (ret >= 0 && arg->not )
		ret = !ret;
	return ret;
}

static int eval_list(struct mail_search_arg *args, bool is_or)
{
	int ret = is_or ? 0 : 1;

	for (struct mail_search_arg *arg = args; arg != NULL; arg = arg->next) {
		int r = eval_arg(arg);

		if (is_or && r == 1)
			return 1;
		if (!is_or && r == 0)
			return 0;
		if (r < 0)
			ret = -1;
	}
	return ret;
}

/* INTERNALDATE's day, computed on first use (localtime_r() is not
 * cheap, and most searches have no date key). */
struct record_day {
	time_t t;
	bool known;
	int64_t day;
};

static int64_t record_day(struct record_day *rd)
{
	if (!rd->known) {
		rd->day = day_local(rd->t);
		rd->known = true;
	}
	return rd->day;
}

static void match_record_leaves(struct mail_search_arg *args,
				const struct mail_search_record *rec,
				struct record_day *internal_day)
{
	for (struct mail_search_arg *arg = args; arg != NULL; arg = arg->next) {
		arg->result = -1;
		switch (arg->type) {
		case MAIL_SEARCH_ALL:
			arg_set_result(arg, true);
			break;
		case MAIL_SEARCH_SUB:
		case MAIL_SEARCH_OR:
			match_record_leaves(arg->subargs, rec, internal_day);
			break;
		case MAIL_SEARCH_SEQSET:
			arg_set_result(arg, ranges_contain(arg, rec->seq));
			break;
		case MAIL_SEARCH_UIDSET:
			arg_set_result(arg, ranges_contain(arg, rec->uid));
			break;
		case MAIL_SEARCH_FLAGS:
			arg_set_result(arg,
				       (rec->flags & arg->flags) == arg->flags);
			break;
		case MAIL_SEARCH_KEYWORD:
			arg_set_result(
			    arg, arg->keyword_mask != 0 &&
				     (rec->keywords & arg->keyword_mask) ==
					 arg->keyword_mask);
			break;
		case MAIL_SEARCH_BEFORE:
			arg_set_result(arg,
				       record_day(internal_day) < arg->day);
			break;
		case MAIL_SEARCH_ON:
			arg_set_result(arg,
				       record_day(internal_day) == arg->day);
			break;
		case MAIL_SEARCH_SINCE:
			arg_set_result(arg,
				       record_day(internal_day) >= arg->day);
			break;
		case MAIL_SEARCH_SMALLER:
			arg_set_result(arg, rec->size < arg->number);
			break;
		case MAIL_SEARCH_LARGER:
			arg_set_result(arg, rec->size > arg->number);
			break;
		case MAIL_SEARCH_MODSEQ:
			arg_set_result(arg, rec->modseq >= arg->number);
			break;
		case MAIL_SEARCH_SENTBEFORE:
		case MAIL_SEARCH_SENTON:
		case MAIL_SEARCH_SENTSINCE:
		case MAIL_SEARCH_HEADER:
		case MAIL_SEARCH_BODY:
		case MAIL_SEARCH_TEXT:
			if (arg->matcher != NULL)
				arg->matcher->state = 0;
			break;
		}
	}
}

int mail_search_match_record(struct mail_search_arg *args,
			     const struct mail_search_record *rec)
{
	struct record_day rd = {.t = rec->received_time};

	match_record_leaves(args, rec, &rd);
	return eval_list(args, false);
}

/* ---- content ---- */

struct content_ctx {
	struct mail_search_arg *args;
	pool_t pool;
	string_t *decoded, *folded, *body_folded;
	bool have_date;
	/* the top header was matched already (a second, whole parse) */
	bool skip_top_header;
	int64_t sent_day;
};

/* Calls fn for every undecided leaf of the given types. */
static void foreach_pending(struct mail_search_arg *args,
			    void (*fn)(struct mail_search_arg *, void *),
			    void *context)
{
	for (struct mail_search_arg *arg = args; arg != NULL; arg = arg->next) {
		if (arg->type == MAIL_SEARCH_SUB || arg->type == MAIL_SEARCH_OR)
			foreach_pending(arg->subargs, fn, context);
		else if (arg->result < 0)
			fn(arg, context);
	}
}

static bool pending_of(struct mail_search_arg *args, bool body)
{
	for (struct mail_search_arg *arg = args; arg != NULL; arg = arg->next) {
		if (arg->type == MAIL_SEARCH_SUB ||
		    arg->type == MAIL_SEARCH_OR) {
			if (pending_of(arg->subargs, body))
				return true;
		} else if (arg->result < 0) {
			if (body ? (arg->type == MAIL_SEARCH_BODY ||
				    arg->type == MAIL_SEARCH_TEXT)
				 : is_content_type(arg->type))
				return true;
		}
	}
	return false;
}

struct header_match {
	struct content_ctx *ctx;
	const struct message_header_line *hdr;
	bool top;
	bool decoded;
};

static void header_decode(struct header_match *hm)
{
	if (hm->decoded)
		return;
	str_clear(hm->ctx->decoded);
	str_clear(hm->ctx->folded);
	mail_header_decode_utf8(hm->hdr->value, hm->hdr->value_len,
				hm->ctx->decoded);
	mail_fold_utf8(NULL, str_data(hm->ctx->decoded),
		       str_len(hm->ctx->decoded), true, hm->ctx->folded);
	hm->decoded = true;
}

static void header_match_arg(struct mail_search_arg *arg, void *context)
{
	struct header_match *hm = context;
	string_t *folded = hm->ctx->folded;

	switch (arg->type) {
	case MAIL_SEARCH_HEADER:
		if (!hm->top || strcasecmp(arg->hdr_name, hm->hdr->name) != 0)
			return;
		header_decode(hm);
		if (matcher_find(arg->matcher, str_data(folded),
				 str_len(folded)))
			arg_set_result(arg, true);
		break;
	case MAIL_SEARCH_TEXT: {
		/* the field name counts too: "TEXT subject" finds every
		 * message with a Subject: field, as in Dovecot */
		header_decode(hm);
		string_t *line = str_new(hm->ctx->pool, str_len(folded) + 64);
		mail_fold_utf8(NULL, hm->hdr->name, strlen(hm->hdr->name), true,
			       line);
		str_append(line, ": ");
		str_append_str(line, folded);
		if (matcher_find(arg->matcher, str_data(line), str_len(line)))
			arg_set_result(arg, true);
		break;
	}
	default:
		break;
	}
}

static void header_callback(struct message_part *part,
			    const struct message_header_line *hdr,
			    void *context)
{
	struct content_ctx *ctx = context;
	struct header_match hm = {
	    .ctx = ctx,
	    .hdr = hdr,
	    .top = part->parent == NULL,
	};

	if (hm.top && ctx->skip_top_header)
		return;
	if (hm.top && strcasecmp(hdr->name, "Date") == 0) {
		time_t t;
		int tz;

		/* the last Date: wins, as in the ENVELOPE */
		ctx->have_date =
		    message_date_parse(hdr->value, hdr->value_len, &t, &tz);
		if (ctx->have_date)
			ctx->sent_day = day_in_zone(t, (long)tz * 60);
	}
	foreach_pending(ctx->args, header_match_arg, &hm);
}

/* After the header: SENT* from the Date: field, and the header keys
 * that found nothing. A message without a usable Date: counts as sent on
 * 1-Jan-1970, as in Dovecot. */
static void header_finish_arg(struct mail_search_arg *arg, void *context)
{
	struct content_ctx *ctx = context;
	int64_t day = ctx->have_date ? ctx->sent_day : 0;

	switch (arg->type) {
	case MAIL_SEARCH_SENTBEFORE:
		arg_set_result(arg, day < arg->day);
		break;
	case MAIL_SEARCH_SENTON:
		arg_set_result(arg, day == arg->day);
		break;
	case MAIL_SEARCH_SENTSINCE:
		arg_set_result(arg, day >= arg->day);
		break;
	case MAIL_SEARCH_HEADER:
		arg_set_result(arg, false);
		break;
	default:
		break;
	}
}

static void body_finish_arg(struct mail_search_arg *arg, void *context)
{
	if (arg->type == MAIL_SEARCH_BODY || arg->type == MAIL_SEARCH_TEXT)
		arg_set_result(arg, false);
}

static void body_reset_arg(struct mail_search_arg *arg, void *context)
{
	if (arg->matcher != NULL)
		arg->matcher->state = 0;
}

struct body_feed {
	const unsigned char *data;
	size_t size;
};

static void body_feed_arg(struct mail_search_arg *arg, void *context)
{
	struct body_feed *feed = context;

	if (arg->type != MAIL_SEARCH_BODY && arg->type != MAIL_SEARCH_TEXT)
		return;
	if (matcher_feed(arg->matcher, feed->data, feed->size))
		arg_set_result(arg, true);
}

struct reader {
	mail_search_read_func_t *read;
	void *context;
	unsigned char *buf;
	bool *expunged_r;
	const char **error_r;
};

/* Pass 1: the MIME structure and the header fields. With whole false it
 * stops after the top header. Returns the root part or NULL on error. */
static struct message_part *parse_message(struct content_ctx *ctx,
					  struct reader *rd, bool whole)
{
	struct message_parser *parser =
	    message_parser_init(ctx->pool, NULL, header_callback, ctx);
	uint64_t offset = 0;
	/* bytes on the current line (CRs not counted), to find the empty
	 * line ending the header */
	size_t line_len = 0;
	bool done = false;

	while (!done) {
		ssize_t ret =
		    rd->read(rd->context, offset, rd->buf, SEARCH_READ_SIZE,
			     rd->expunged_r, rd->error_r);
		if (ret < 0) {
			(void)message_parser_finish(&parser);
			return NULL;
		}
		if (ret == 0)
			break;
		size_t n = (size_t)ret;
		if (!whole) {
			for (size_t i = 0; i < n; i++) {
				if (rd->buf[i] == '\n') {
					if (line_len == 0) {
						n = i + 1;
						done = true;
						break;
					}
					line_len = 0;
				} else if (rd->buf[i] != '\r') {
					line_len++;
				}
			}
		}
		message_parser_feed(parser, rd->buf, n);
		offset += n;
	}
	return message_parser_finish(&parser);
}

/* Pass 2 for one leaf part: decode its body (left bytes from offset;
 * UINT64_MAX: up to the end of the file) and feed the matchers. */
static int search_body_part(struct content_ctx *ctx, struct reader *rd,
			    const struct message_part *part, uint64_t offset,
			    uint64_t left)
{
	const struct message_part_data *data = part->data;
	struct mail_decoder dec;
	enum mail_cte cte;
	struct charset_translation *trans = NULL;
	struct mail_fold_state fold = {0};
	string_t *decoded = ctx->decoded, *converted = ctx->folded;
	string_t *folded = ctx->body_folded;
	int ret = 0;

	/* an encoding we cannot decode is searched as it is */
	if (mail_cte_parse(data == NULL ? NULL
					: data->content_transfer_encoding,
			   &cte) < 0)
		cte = MAIL_CTE_IDENTITY;
	mail_decoder_init(&dec, cte);
	if ((part->flags & MESSAGE_PART_FLAG_TEXT) != 0) {
		const char *charset =
		    data == NULL ? NULL
				 : message_part_data_get_param(data, "charset");
		/* an unknown charset is searched as raw bytes, and so is
		 * UTF-8 or US-ASCII (their conversion is a copy) */
		if (charset != NULL && !charset_is_utf8(charset) &&
		    charset_to_utf8_create(charset, &trans) < 0)
			trans = NULL;
	}
	foreach_pending(ctx->args, body_reset_arg, NULL);
	while (left > 0 && pending_of(ctx->args, true)) {
		size_t want =
		    left < SEARCH_READ_SIZE ? (size_t)left : SEARCH_READ_SIZE;
		ssize_t n = rd->read(rd->context, offset, rd->buf, want,
				     rd->expunged_r, rd->error_r);
		if (n < 0) {
			ret = -1;
			break;
		}
		bool last = n == 0 || (uint64_t)n >= left;
		offset += (size_t)n;
		left = n == 0 ? 0 : left - (size_t)n;

		const unsigned char *text = rd->buf;
		size_t text_len = (size_t)n;
		if (cte != MAIL_CTE_IDENTITY) {
			str_clear(decoded);
			mail_decoder_run_str(&dec, text, text_len, last,
					     decoded);
			text = str_data(decoded);
			text_len = str_len(decoded);
		}
		if (trans != NULL) {
			str_clear(converted);
			charset_to_utf8(trans, text, text_len, last, converted);
			text = str_data(converted);
			text_len = str_len(converted);
		}
		str_clear(folded);
		mail_fold_utf8(&fold, text, text_len, last, folded);
		struct body_feed feed = {str_data(folded), str_len(folded)};
		foreach_pending(ctx->args, body_feed_arg, &feed);
	}
	charset_to_utf8_destroy(&trans);
	return ret;
}

static int search_body_tree(struct content_ctx *ctx, struct reader *rd,
			    const struct message_part *part)
{
	for (; part != NULL; part = part->next) {
		if (!pending_of(ctx->args, true) ||
		    eval_list(ctx->args, false) >= 0)
			return 0;
		if (part->children != NULL) {
			/* multipart (preamble and epilogue are not text) or
			 * message/rfc822 (its header was searched in pass
			 * 1 for TEXT) */
			if (search_body_tree(ctx, rd, part->children) < 0)
				return -1;
		} else if ((part->flags & MESSAGE_PART_FLAG_MULTIPART) == 0) {
			if (search_body_part(
				ctx, rd, part,
				part->physical_pos +
				    part->header_size.physical_size,
				part->body_size.physical_size) < 0)
				return -1;
		}
	}
	return 0;
}

int mail_search_match_content(struct mail_search_arg *args, pool_t pool,
			      mail_search_read_func_t *read_func, void *context,
			      bool *expunged_r, const char **error_r)
{
	bool need_body = pending_of(args, true);
	/* room for a whole chunk in each buffer, so that they do not grow
	 * (pool is cleared per message but keeps its first block) */
	size_t buf_size = need_body ? SEARCH_READ_SIZE + 64 : 1024;
	/* decoded quoted-printable may be twice as long (CR LF) */
	size_t decoded_size =
	    need_body ? MAIL_DECODE_MAX_OUTPUT(SEARCH_READ_SIZE) : 1024;
	struct content_ctx ctx = {
	    .args = args,
	    .pool = pool,
	    .decoded = str_new(pool, decoded_size),
	    .folded = str_new(pool, buf_size),
	    .body_folded = need_body ? str_new(pool, buf_size) : NULL,
	};
	struct reader rd = {
	    .read = read_func,
	    .context = context,
	    .buf = p_malloc(pool, SEARCH_READ_SIZE),
	    .expunged_r = expunged_r,
	    .error_r = error_r,
	};

	*expunged_r = false;
	/* the header first: it may decide, and it says whether the body is
	 * a single part */
	struct message_part *root = parse_message(&ctx, &rd, false);
	if (root == NULL)
		return -1;
	foreach_pending(args, header_finish_arg, &ctx);
	int ret = eval_list(args, false);
	if (ret >= 0)
		return ret;
	if (need_body) {
		if ((root->flags & (MESSAGE_PART_FLAG_MULTIPART |
				    MESSAGE_PART_FLAG_MESSAGE_RFC822)) == 0) {
			/* one part: its body is the rest of the file */
			if (search_body_part(&ctx, &rd, root,
					     root->header_size.physical_size,
					     UINT64_MAX) < 0)
				return -1;
		} else {
			/* the MIME structure, with the headers inside */
			ctx.skip_top_header = true;
			root = parse_message(&ctx, &rd, true);
			if (root == NULL ||
			    search_body_tree(&ctx, &rd, root) < 0)
				return -1;
		}
		foreach_pending(args, body_finish_arg, NULL);
	}
	ret = eval_list(args, false);
	i_assert(ret >= 0);
	return ret;
}

/* ---- cached header fields ---- */

static bool name_in(const char *name, const char *const *names)
{
	for (; *names != NULL; names++) {
		if (strcasecmp(name, *names) == 0)
			return true;
	}
	return false;
}

bool mail_search_args_headers_only(const struct mail_search_arg *args,
				   const char *const *names)
{
	for (const struct mail_search_arg *arg = args; arg != NULL;
	     arg = arg->next) {
		switch (arg->type) {
		case MAIL_SEARCH_SUB:
		case MAIL_SEARCH_OR:
			if (!mail_search_args_headers_only(arg->subargs, names))
				return false;
			break;
		case MAIL_SEARCH_BODY:
		case MAIL_SEARCH_TEXT:
			return false;
		case MAIL_SEARCH_HEADER:
			if (!name_in(arg->hdr_name, names))
				return false;
			break;
		case MAIL_SEARCH_SENTBEFORE:
		case MAIL_SEARCH_SENTON:
		case MAIL_SEARCH_SENTSINCE:
			if (!name_in("Date", names))
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

struct cached_ctx {
	struct content_ctx *ctx;
	mail_search_header_func_t *get_header;
	void *context;
	bool *expunged_r;
	const char **error_r;
	int ret;
};

static void cached_match_arg(struct mail_search_arg *arg, void *context)
{
	struct cached_ctx *cc = context;
	const char *value;

	if (arg->type != MAIL_SEARCH_HEADER || cc->ret < 0)
		return;
	if (cc->get_header(cc->context, arg->hdr_name, &value, cc->expunged_r,
			   cc->error_r) < 0) {
		cc->ret = -1;
		return;
	}
	if (value == NULL) {
		arg_set_result(arg, false);
		return;
	}
	str_clear(cc->ctx->decoded);
	str_clear(cc->ctx->folded);
	mail_header_decode_utf8((const unsigned char *)value, strlen(value),
				cc->ctx->decoded);
	mail_fold_utf8(NULL, str_data(cc->ctx->decoded),
		       str_len(cc->ctx->decoded), true, cc->ctx->folded);
	arg_set_result(arg,
		       matcher_find(arg->matcher, str_data(cc->ctx->folded),
				    str_len(cc->ctx->folded)));
}

int mail_search_match_headers(struct mail_search_arg *args, pool_t pool,
			      mail_search_header_func_t *get_header,
			      void *context, bool *expunged_r,
			      const char **error_r)
{
	struct content_ctx ctx = {
	    .args = args,
	    .pool = pool,
	    .decoded = str_new(pool, 256),
	    .folded = str_new(pool, 256),
	};
	struct cached_ctx cc = {
	    .ctx = &ctx,
	    .get_header = get_header,
	    .context = context,
	    .expunged_r = expunged_r,
	    .error_r = error_r,
	};

	*expunged_r = false;
	foreach_pending(args, cached_match_arg, &cc);
	if (cc.ret < 0)
		return -1;
	if (pending_of(args, false)) {
		/* SENT* */
		const char *date;
		time_t t;
		int tz;

		if (get_header(context, "Date", &date, expunged_r, error_r) < 0)
			return -1;
		ctx.have_date = date != NULL &&
				message_date_parse(date, strlen(date), &t, &tz);
		if (ctx.have_date)
			ctx.sent_day = day_in_zone(t, (long)tz * 60);
		foreach_pending(args, header_finish_arg, &ctx);
	}
	int ret = eval_list(args, false);
	i_assert(ret >= 0);
	return ret;
}
