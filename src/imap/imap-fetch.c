/* imap-fetch.c - FETCH item parsing and resumable response writing (see
 * imap-fetch.h). Message files are read with pread() in small chunks;
 * nothing here holds a whole message in memory. */
#include "lib.h"
#include "imap-fetch.h"
#include "imap-date.h"
#include "imap-parser.h"
#include "imap-quote.h"
#include "imap-seqset.h"
#include "crlf.h"
#include "mail-decode.h"
#include "mailbox.h"
#include "message-parser.h"
#include "message-part-data.h"
#include "message-section.h"

#include <ctype.h>
#include <strings.h>
#include <sys/stat.h>

/* Bytes read from a message file at a time, and written at a time. */
#define FETCH_READ_CHUNK 32768
#define FETCH_WRITE_CHUNK 8192
/* Output room asked for when converting straight into the output's
 * buffer (it usually offers far more). */
#define FETCH_DIRECT_MIN_ROOM FETCH_WRITE_CHUNK
/* A header block larger than this is cut for HEADER.FIELDS: headers that
 * size exist only to attack. */
#define FETCH_MAX_HEADER_BLOCK (1024 * 1024)
/* Items in one FETCH: more than there are item kinds is already silly. */
#define FETCH_MAX_ITEMS 256
#define FETCH_MAX_FIELDS 1024

/* ------------------------------------------------------------ parsing --- */

struct fetch_parse {
	pool_t pool;
	bool uid_cmd;
	struct imap_fetch_item *items;
	unsigned int count, alloc;
	unsigned int simple_seen; /* bit per simple item type */
	const char *error;
};

static struct imap_fetch_item *parse_add(struct fetch_parse *p,
					 enum imap_fetch_item_type type)
{
	struct imap_fetch_item *item;

	if (type <= IMAP_FETCH_ITEM_BODY) {
		/* a simple item asked twice is written once */
		if ((p->simple_seen & (1u << type)) != 0)
			return NULL;
		p->simple_seen |= 1u << type;
	}
	if (p->count == p->alloc) {
		unsigned int n = p->alloc == 0 ? 8 : p->alloc * 2;

		p->items =
		    p_realloc(p->pool, p->items, p->alloc * sizeof(*p->items),
			      n * sizeof(*p->items));
		p->alloc = n;
	}
	item = &p->items[p->count++];
	item->type = type;
	return item;
}

static bool item_is_buffered(enum imap_fetch_item_type type)
{
	return type == IMAP_FETCH_ITEM_UID || type == IMAP_FETCH_ITEM_FLAGS ||
	       type == IMAP_FETCH_ITEM_INTERNALDATE ||
	       type == IMAP_FETCH_ITEM_RFC822_SIZE ||
	       type == IMAP_FETCH_ITEM_MODSEQ;
}

/* section-part *("." nz-number) followed optionally by a keyword; the
 * keyword alone when there are no numbers (MIME needs numbers). Field
 * lists come separately. */
static bool section_is_valid(const char *sec, bool *header_fields_r,
			     bool *numbers_only_r)
{
	const char *p = sec;
	bool numbers = false;

	*header_fields_r = false;
	*numbers_only_r = false;
	while (*p >= '1' && *p <= '9') {
		unsigned int digits = 0;

		while (isdigit((unsigned char)*p)) {
			if (++digits > 9)
				return false;
			p++;
		}
		numbers = true;
		if (*p == '\0') {
			*numbers_only_r = true;
			return true;
		}
		if (*p++ != '.')
			return false;
	}
	if (*p == '\0') {
		/* "" is the whole message; "1." is not valid */
		*numbers_only_r = !numbers;
		return !numbers;
	}
	if (strcmp(p, "HEADER.FIELDS") == 0 ||
	    strcmp(p, "HEADER.FIELDS.NOT") == 0) {
		*header_fields_r = true;
		return true;
	}
	if (strcmp(p, "HEADER") == 0 || strcmp(p, "TEXT") == 0)
		return true;
	return numbers && strcmp(p, "MIME") == 0;
}

/* "<offset.size>" or "<offset>" (as Dovecot also takes). */
static int parse_partial(const char *str, struct imap_fetch_item *item)
{
	char num[48];
	const char *end = strchr(str, '>');
	char *dot;
	size_t len;

	if (*str != '<' || end == NULL || end[1] != '\0')
		return -1;
	len = (size_t)(end - str - 1);
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, str + 1, len);
	num[len] = '\0';
	dot = strchr(num, '.');
	if (dot != NULL)
		*dot++ = '\0';
	if (num[0] == '\0' || str_to_uint64(num, &item->partial_offset) < 0)
		return -1;
	if (dot != NULL) {
		if (dot[0] == '\0' ||
		    str_to_uint64(dot, &item->partial_size) < 0)
			return -1;
	} else {
		item->partial_size = UINT64_MAX;
	}
	item->partial = true;
	return 0;
}

static const char *const *parse_fields(struct fetch_parse *p,
				       const struct imap_arg *list,
				       unsigned int count)
{
	const char **fields;
	unsigned int i;

	if (count == 0 || count > FETCH_MAX_FIELDS)
		return NULL;
	fields = p_new(p->pool, const char *, count + 1);
	for (i = 0; i < count; i++) {
		const char *name;

		if (!imap_arg_get_astring(&list[i], &name) || name[0] == '\0')
			return NULL;
		fields[i] = str_ucase(p_strdup(p->pool, name));
	}
	return fields;
}

/* BODY[...], BODY.PEEK[...], BINARY[...], BINARY.PEEK[...],
 * BINARY.SIZE[...]: args[0] is the atom (already upper-cased in str),
 * rest its text after '['. Returns the number of arguments used, 0 on
 * error (p->error set). */
static unsigned int parse_section_item(struct fetch_parse *p,
				       const struct imap_arg *args,
				       const char *prefix, const char *rest)
{
	struct imap_fetch_item *item;
	const char *close = strchr(rest, ']');
	const char *suffix, *errprefix;
	bool binary = prefix[1] == 'I';
	bool size_item = strcmp(prefix, "BINARY.SIZE") == 0;
	bool header_fields, numbers_only;
	unsigned int used = 1;
	string_t *name;

	errprefix = binary ? "Invalid BINARY[..] parameter: "
			   : "Invalid BODY[..] parameter: ";
	item = parse_add(p, size_item ? IMAP_FETCH_ITEM_BINARY_SIZE
				      : IMAP_FETCH_ITEM_SECTION);
	item->binary = binary;
	item->peek = size_item || strstr(prefix, ".PEEK") != NULL;
	if (close != NULL) {
		item->section =
		    p_strndup(p->pool, rest, (size_t)(close - rest));
		suffix = close + 1;
	} else {
		const struct imap_arg *list;
		unsigned int count;
		const char *after;

		item->section = p_strdup(p->pool, rest);
		/* BODY[HEADER.FIELDS (A B)]<0.10> arrives as three arguments
		 * (see imap-parser.h) */
		if (!imap_arg_get_list(&args[1], &list, &count) ||
		    !imap_arg_get_atom(&args[2], &after) || after[0] != ']') {
			p->error = p_strconcat(p->pool, errprefix,
					       "Missing ']'", NULL);
			return 0;
		}
		item->fields = parse_fields(p, list, count);
		if (item->fields == NULL) {
			p->error = binary ? "Invalid BINARY[..] section"
					  : "Invalid BODY[..] section";
			return 0;
		}
		suffix = after + 1;
		used = 3;
	}
	if (!section_is_valid(item->section, &header_fields, &numbers_only) ||
	    header_fields != (item->fields != NULL)) {
		p->error = binary ? "Invalid BINARY[..] section"
				  : "Invalid BODY[..] section";
		return 0;
	}
	if (*suffix != '\0') {
		if (size_item || parse_partial(suffix, item) < 0) {
			p->error = p_strconcat(p->pool, errprefix,
					       "Invalid partial", NULL);
			return 0;
		}
	}
	name = str_new(p->pool, 64);
	str_append(name, size_item ? "BINARY.SIZE["
			 : binary  ? "BINARY["
				   : "BODY[");
	str_append(name, item->section);
	if (item->fields != NULL) {
		str_append(name, " (");
		for (unsigned int i = 0; item->fields[i] != NULL; i++) {
			if (i > 0)
				str_append_c(name, ' ');
			imap_append_astring(name, item->fields[i], 0);
		}
		str_append_c(name, ')');
	}
	str_append_c(name, ']');
	if (item->partial)
		str_printfa(name, "<%llu>",
			    (unsigned long long)item->partial_offset);
	item->name = str_c(name);
	return used;
}

static void add_rfc822(struct fetch_parse *p, const char *name,
		       const char *section, bool peek)
{
	struct imap_fetch_item *item = parse_add(p, IMAP_FETCH_ITEM_SECTION);

	item->name = name;
	item->section = section;
	item->peek = peek;
}

/* One item at args[0]. Returns the arguments used, 0 on error. */
static unsigned int parse_item(struct fetch_parse *p,
			       const struct imap_arg *args)
{
	static const struct {
		const char *name;
		enum imap_fetch_item_type type;
	} simple[] = {
	    {"UID", IMAP_FETCH_ITEM_UID},
	    {"FLAGS", IMAP_FETCH_ITEM_FLAGS},
	    {"INTERNALDATE", IMAP_FETCH_ITEM_INTERNALDATE},
	    {"RFC822.SIZE", IMAP_FETCH_ITEM_RFC822_SIZE},
	    {"MODSEQ", IMAP_FETCH_ITEM_MODSEQ},
	    {"ENVELOPE", IMAP_FETCH_ITEM_ENVELOPE},
	    {"BODYSTRUCTURE", IMAP_FETCH_ITEM_BODYSTRUCTURE},
	    {"BODY", IMAP_FETCH_ITEM_BODY},
	};
	static const char *const prefixes[] = {
	    "BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE",
	};
	const char *atom, *bracket;
	char *up;
	unsigned int i;

	if (!imap_arg_get_atom(&args[0], &atom)) {
		p->error = "Invalid arguments";
		return 0;
	}
	up = str_ucase(p_strdup(p->pool, atom));
	for (i = 0; i < N_ELEMENTS(simple); i++) {
		if (strcmp(up, simple[i].name) == 0) {
			(void)parse_add(p, simple[i].type);
			return 1;
		}
	}
	if (strcmp(up, "RFC822") == 0) {
		add_rfc822(p, "RFC822", "", false);
		return 1;
	}
	if (strcmp(up, "RFC822.HEADER") == 0) {
		add_rfc822(p, "RFC822.HEADER", "HEADER", true);
		return 1;
	}
	if (strcmp(up, "RFC822.TEXT") == 0) {
		add_rfc822(p, "RFC822.TEXT", "TEXT", false);
		return 1;
	}
	bracket = strchr(up, '[');
	if (bracket != NULL) {
		size_t plen = (size_t)(bracket - up);

		for (i = 0; i < N_ELEMENTS(prefixes); i++) {
			if (strlen(prefixes[i]) == plen &&
			    strncmp(up, prefixes[i], plen) == 0)
				return parse_section_item(p, args, prefixes[i],
							  bracket + 1);
		}
	}
	p->error = p_strconcat(p->pool, "Unknown parameter: ", up, NULL);
	return 0;
}

/* (CHANGEDSINCE n [VANISHED]) in any order. */
static int parse_modifiers(struct fetch_parse *p, const struct imap_arg *list,
			   unsigned int count, struct imap_fetch_request *req)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		const char *atom, *num;

		if (!imap_arg_get_atom(&list[i], &atom)) {
			p->error = "Invalid FETCH modifier";
			return -1;
		}
		if (strcasecmp(atom, "CHANGEDSINCE") == 0 &&
		    !req->changedsince_set) {
			/* mod-sequence-value: 1*DIGIT up to 2^63-1
			 * (RFC 7162 section 7) */
			if (i + 1 >= count ||
			    !imap_arg_get_atom(&list[i + 1], &num) ||
			    str_to_uint64(num, &req->changedsince) < 0 ||
			    req->changedsince > INT64_MAX) {
				p->error = "Invalid CHANGEDSINCE modseq";
				return -1;
			}
			req->changedsince_set = true;
			i++;
		} else if (strcasecmp(atom, "VANISHED") == 0 &&
			   !req->vanished) {
			req->vanished = true;
		} else {
			p->error = "Unknown FETCH modifier";
			return -1;
		}
	}
	if (req->vanished) {
		/* RFC 7162 section 3.2.6 */
		if (!p->uid_cmd) {
			p->error = "VANISHED only allowed with UID FETCH";
			return -1;
		}
		if (!req->changedsince_set) {
			p->error = "VANISHED used without CHANGEDSINCE";
			return -1;
		}
	}
	return 0;
}

/* Puts the items in Dovecot's order: UID first for UID FETCH, then the
 * small ones as asked, FLAGS when \Seen may change, MODSEQ for
 * CHANGEDSINCE, then the rest as asked. */
static void order_items(struct fetch_parse *p, struct imap_fetch_request *req)
{
	struct imap_fetch_item *out;
	unsigned int i, n = 0;

	out = p_new(p->pool, struct imap_fetch_item, p->count + 3);
	if (p->uid_cmd) {
		out[n++].type = IMAP_FETCH_ITEM_UID;
		p->simple_seen |= 1u << IMAP_FETCH_ITEM_UID;
	}
	for (i = 0; i < p->count; i++) {
		if (item_is_buffered(p->items[i].type) &&
		    !(p->uid_cmd && p->items[i].type == IMAP_FETCH_ITEM_UID))
			out[n++] = p->items[i];
	}
	if (req->set_seen &&
	    (p->simple_seen & (1u << IMAP_FETCH_ITEM_FLAGS)) == 0) {
		/* written only for messages whose \Seen changed */
		out[n].type = IMAP_FETCH_ITEM_FLAGS;
		out[n++].name = "seen-changes";
	}
	if (req->changedsince_set &&
	    (p->simple_seen & (1u << IMAP_FETCH_ITEM_MODSEQ)) == 0) {
		/* RFC 7162 section 3.1.4.1: CHANGEDSINCE implies MODSEQ */
		out[n++].type = IMAP_FETCH_ITEM_MODSEQ;
	}
	for (i = 0; i < p->count; i++) {
		if (!item_is_buffered(p->items[i].type))
			out[n++] = p->items[i];
	}
	req->items = out;
	req->count = n;
}

int imap_fetch_parse(pool_t pool, const struct imap_arg *args, bool uid_cmd,
		     struct imap_fetch_request *req_r, const char **error_r)
{
	struct fetch_parse p;
	const struct imap_arg *list;
	unsigned int count, i, used;
	const char *atom;

	memset(req_r, 0, sizeof(*req_r));
	memset(&p, 0, sizeof(p));
	p.pool = pool;
	p.uid_cmd = uid_cmd;

	if (imap_arg_get_atom(&args[0], &atom) &&
	    (strcasecmp(atom, "ALL") == 0 || strcasecmp(atom, "FAST") == 0 ||
	     strcasecmp(atom, "FULL") == 0)) {
		/* RFC 3501 section 6.4.5 macros; not allowed in a list */
		(void)parse_add(&p, IMAP_FETCH_ITEM_FLAGS);
		(void)parse_add(&p, IMAP_FETCH_ITEM_INTERNALDATE);
		(void)parse_add(&p, IMAP_FETCH_ITEM_RFC822_SIZE);
		if (strcasecmp(atom, "FAST") != 0)
			(void)parse_add(&p, IMAP_FETCH_ITEM_ENVELOPE);
		if (strcasecmp(atom, "FULL") == 0)
			(void)parse_add(&p, IMAP_FETCH_ITEM_BODY);
		args++;
	} else if (imap_arg_get_list(&args[0], &list, &count)) {
		if (count == 0) {
			*error_r = "Invalid arguments";
			return -1;
		}
		for (i = 0; i < count; i += used) {
			if (p.count >= FETCH_MAX_ITEMS) {
				*error_r = "Too many FETCH items";
				return -1;
			}
			used = parse_item(&p, &list[i]);
			if (used == 0) {
				*error_r = p.error;
				return -1;
			}
		}
		args++;
	} else if (args[0].type == IMAP_ARG_ATOM) {
		used = parse_item(&p, args);
		if (used == 0) {
			*error_r = p.error;
			return -1;
		}
		args += used;
	} else {
		*error_r = "Invalid arguments";
		return -1;
	}

	if (imap_arg_get_list(&args[0], &list, &count)) {
		if (parse_modifiers(&p, list, count, req_r) < 0) {
			*error_r = p.error;
			return -1;
		}
		args++;
	}
	if (args[0].type != IMAP_ARG_EOL) {
		*error_r = "Invalid arguments";
		return -1;
	}

	for (i = 0; i < p.count; i++) {
		const struct imap_fetch_item *item = &p.items[i];

		switch (item->type) {
		case IMAP_FETCH_ITEM_MODSEQ:
			req_r->modseq = true;
			break;
		case IMAP_FETCH_ITEM_BINARY_SIZE:
			req_r->need_parse = true;
			break;
		case IMAP_FETCH_ITEM_SECTION:
			if (!item->peek)
				req_r->set_seen = true;
			if (item->section[0] != '\0' || item->binary)
				req_r->need_parse = true;
			break;
		default:
			break;
		}
	}
	if (req_r->changedsince_set)
		req_r->modseq = true;
	order_items(&p, req_r);
	return 0;
}

/* ------------------------------------------------------------ writing --- */

enum fetch_stage {
	FETCH_STAGE_NEXT = 0,
	FETCH_STAGE_ITEMS,
	FETCH_STAGE_LITERAL,
};

enum fetch_source_mode {
	FETCH_SOURCE_CRLF,   /* file bytes, bare LF -> CR LF */
	FETCH_SOURCE_BINARY, /* the steps of a BINARY plan (mail-decode.h) */
	FETCH_SOURCE_MEMORY, /* bytes prepared in memory */
};

struct imap_fetch_ctx {
	pool_t pool;
	struct mailbox *box;
	const struct imap_fetch_request *req;
	struct imap_seqset set;
	bool uid_set, readonly, need_file, show_recent;
	int tz_minutes;
	struct imap_fetch_output output;

	/* position in the set */
	unsigned int range_idx;
	unsigned int next_seq; /* 0 = the range not started */

	/* per message: cleared for each */
	pool_t msg_pool;
	enum fetch_stage stage;
	unsigned int item_idx;
	bool first_item, seen_changed;
	unsigned int seq;
	struct mail_record rec;
	int fd;
	uint64_t file_size;
	struct message_part *root;
	/* ENVELOPE, BODYSTRUCTURE, BODY from the mailbox's cache */
	const char *imap_fields[3];

	/* output not yet handed to output.write() */
	string_t *pending;
	size_t pending_pos;

	/* the literal being written */
	enum fetch_source_mode mode;
	uint64_t src_start, src_end, src_pos;
	bool src_done;
	/* FETCH_SOURCE_CRLF: LF -> CR LF (and NULs, see replace_nuls);
	 * file bytes read and not yet converted are in[in_pos..in_len) */
	struct crlf_filter crlf;
	unsigned char *in; /* FETCH_READ_CHUNK */
	size_t in_pos, in_len;
	/* BODY[]: NULs become 0x80, as Dovecot sends them (a literal may
	 * not hold NUL, RFC 3501 section 4.3) */
	bool replace_nuls;
	/* FETCH_SOURCE_BINARY: the plan, its step being read, its filter */
	struct mail_binary_plan bin_plan;
	unsigned int bin_step;
	struct mail_binary_filter bin_filter;
	const unsigned char *mem;
	size_t mem_size;
	uint64_t skip_left, emit_left;
	unsigned char *buf; /* FETCH_BUF_SIZE */

	unsigned int expunged_count, fetch_count;
	uint64_t fetch_bytes;
	bool unknown_cte;
};

#define FETCH_BUF_SIZE (2 * FETCH_READ_CHUNK + MAIL_DECODE_QP_HOLD_MAX + 16)
_Static_assert(FETCH_BUF_SIZE >= MAIL_BINARY_MAX_OUTPUT(FETCH_READ_CHUNK),
	       "BINARY filter output must fit the buffer");
_Static_assert(FETCH_BUF_SIZE >= CRLF_MAX_OUTPUT(FETCH_READ_CHUNK),
	       "CR LF filter output must fit the buffer");

void imap_write_flags(string_t *dest, const struct mailbox *box,
		      const struct mail_record *rec, bool recent)
{
	static const struct {
		enum mail_flags flag;
		const char *name;
	} names[] = {
	    {MAIL_ANSWERED, "\\Answered"}, {MAIL_FLAGGED, "\\Flagged"},
	    {MAIL_DELETED, "\\Deleted"},   {MAIL_SEEN, "\\Seen"},
	    {MAIL_DRAFT, "\\Draft"},
	};
	bool first = true;
	unsigned int i;

	str_append_c(dest, '(');
	for (i = 0; i < N_ELEMENTS(names); i++) {
		if ((rec->flags & names[i].flag) == 0)
			continue;
		if (!first)
			str_append_c(dest, ' ');
		str_append(dest, names[i].name);
		first = false;
	}
	if (recent) {
		/* after the system flags, as Dovecot writes it */
		if (!first)
			str_append_c(dest, ' ');
		str_append(dest, "\\Recent");
		first = false;
	}
	for (i = 0; i < 32; i++) {
		const char *kw;

		if ((rec->keywords & (1u << i)) == 0)
			continue;
		kw = mailbox_get_keyword_name(box, i);
		if (kw == NULL)
			continue;
		if (!first)
			str_append_c(dest, ' ');
		str_append(dest, kw);
		first = false;
	}
	str_append_c(dest, ')');
}

void imap_fetch_set_show_recent(struct imap_fetch_ctx *ctx, bool show)
{
	ctx->show_recent = show;
}

unsigned int imap_fetch_seq_from_uid(const struct mailbox *box, uint32_t uid)
{
	unsigned int lo = 1, hi = mailbox_count(box) + 1;

	/* the first seq in [lo, hi) whose UID is >= uid */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (mailbox_get(box, mid)->uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct imap_fetch_ctx *imap_fetch_begin(pool_t pool, struct mailbox *box,
					const struct imap_fetch_request *req,
					const struct imap_seqset *set,
					bool uid_set, bool readonly,
					int tz_minutes,
					const struct imap_fetch_output *output)
{
	struct imap_fetch_ctx *ctx = p_new(pool, struct imap_fetch_ctx, 1);
	unsigned int i;

	i_assert(set->resolved);
	ctx->pool = pool;
	ctx->box = box;
	ctx->req = req;
	ctx->set = *set;
	ctx->uid_set = uid_set;
	ctx->readonly = readonly;
	ctx->tz_minutes = tz_minutes;
	ctx->output = *output;
	ctx->fd = -1;
	ctx->msg_pool = pool_create("imap fetch message", 4096);
	ctx->pending = str_new(NULL, FETCH_WRITE_CHUNK);
	ctx->buf = p_malloc(pool, FETCH_BUF_SIZE);
	ctx->in = p_malloc(pool, FETCH_READ_CHUNK);
	ctx->need_file = req->need_parse;
	for (i = 0; i < req->count; i++) {
		if (req->items[i].type == IMAP_FETCH_ITEM_SECTION)
			ctx->need_file = true;
	}
	return ctx;
}

static void fetch_close_message(struct imap_fetch_ctx *ctx)
{
	if (ctx->fd != -1) {
		(void)close(ctx->fd);
		ctx->fd = -1;
	}
	ctx->root = NULL;
	ctx->mem = NULL;
	pool_clear(ctx->msg_pool);
}

void imap_fetch_deinit(struct imap_fetch_ctx **_ctx)
{
	struct imap_fetch_ctx *ctx = *_ctx;

	if (ctx == NULL)
		return;
	*_ctx = NULL;
	fetch_close_message(ctx);
	pool_unref(&ctx->msg_pool);
	str_free(&ctx->pending);
}

unsigned int imap_fetch_get_expunged_count(const struct imap_fetch_ctx *ctx)
{
	return ctx->expunged_count;
}

unsigned int imap_fetch_get_count(const struct imap_fetch_ctx *ctx)
{
	return ctx->fetch_count;
}

uint64_t imap_fetch_get_bytes(const struct imap_fetch_ctx *ctx)
{
	return ctx->fetch_bytes;
}

bool imap_fetch_get_unknown_cte(const struct imap_fetch_ctx *ctx)
{
	return ctx->unknown_cte;
}

/* Hands pending output over in chunks: all of it, or (!all) nothing
 * until it holds a chunk, so that short responses (FETCH FLAGS of a big
 * mailbox) go out a chunk at a time. false: wait. */
static bool fetch_flush(struct imap_fetch_ctx *ctx, bool all)
{
	size_t len = str_len(ctx->pending);

	if (!all && len - ctx->pending_pos < FETCH_WRITE_CHUNK)
		return true;

	while (ctx->pending_pos < len) {
		size_t n = MIN_OF(len - ctx->pending_pos, FETCH_WRITE_CHUNK);

		if (ctx->output.wait(ctx->output.context, n))
			return false;
		ctx->output.write(ctx->output.context,
				  str_data(ctx->pending) + ctx->pending_pos, n);
		ctx->pending_pos += n;
	}
	str_truncate(ctx->pending, 0);
	ctx->pending_pos = 0;
	return true;
}

/* The next message of the set, false at the end. */
static bool fetch_next_seq(struct imap_fetch_ctx *ctx, unsigned int *seq_r)
{
	unsigned int count = mailbox_count(ctx->box);

	while (ctx->range_idx < ctx->set.count) {
		const struct imap_seq_range *r =
		    &ctx->set.ranges[ctx->range_idx];
		unsigned int seq;

		if (ctx->next_seq == 0) {
			ctx->next_seq =
			    ctx->uid_set
				? imap_fetch_seq_from_uid(ctx->box, r->seq1)
				: r->seq1;
		}
		seq = ctx->next_seq;
		if (seq >= 1 && seq <= count &&
		    (ctx->uid_set ? mailbox_get(ctx->box, seq)->uid <= r->seq2
				  : seq <= r->seq2)) {
			ctx->next_seq++;
			*seq_r = seq;
			return true;
		}
		ctx->range_idx++;
		ctx->next_seq = 0;
	}
	return false;
}

static int fetch_pread(struct imap_fetch_ctx *ctx, void *buf, size_t size,
		       uint64_t offset, size_t *got_r, const char **error_r)
{
	ssize_t ret;

	do {
		ret = pread(ctx->fd, buf, size, (off_t)offset);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		*error_r =
		    p_strdup_printf(ctx->pool, "pread(uid %u) failed: %s",
				    ctx->rec.uid, strerror(errno));
		return -1;
	}
	*got_r = (size_t)ret;
	return 0;
}

static int fetch_parse_message(struct imap_fetch_ctx *ctx, const char **error_r)
{
	struct message_parser *parser;
	uint64_t pos = 0;

	parser = message_parser_init(ctx->msg_pool, NULL, NULL, NULL);
	for (;;) {
		size_t got;

		if (fetch_pread(ctx, ctx->buf, FETCH_READ_CHUNK, pos, &got,
				error_r) < 0) {
			(void)message_parser_finish(&parser);
			return -1;
		}
		if (got == 0)
			break;
		message_parser_feed(parser, ctx->buf, got);
		pos += got;
	}
	ctx->file_size = pos;
	ctx->root = message_parser_finish(&parser);
	return 0;
}

/* BINARY[section] (RFC 3516 section 4.2): what the section decodes to,
 * for the whole message (with its header), TEXT and part numbers; 0 with
 * *plan_r, 1 when the section is sent as BODY sends it (HEADER, MIME, a
 * part that does not exist), -1 for an encoding we cannot decode. */
static int fetch_binary_plan(struct imap_fetch_ctx *ctx,
			     const struct imap_fetch_item *item,
			     const struct message_section *s,
			     struct mail_binary_plan *plan_r)
{
	if (s->kind != MESSAGE_SECTION_BODY && s->kind != MESSAGE_SECTION_TEXT)
		return 1;
	return mail_binary_plan(ctx->msg_pool, s->part,
				item->section[0] == '\0', plan_r) < 0
		   ? -1
		   : 0;
}

/* Checks that every BINARY item of this message has an encoding we can
 * decode, in the part and in every part inside it (RFC 3516 section 4.3
 * UNKNOWN-CTE). */
static bool fetch_binary_ctes_known(struct imap_fetch_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->req->count; i++) {
		const struct imap_fetch_item *item = &ctx->req->items[i];
		struct mail_binary_plan plan;
		struct message_section s;
		const char *error;

		if (!item->binary || ctx->root == NULL)
			continue;
		if (message_section_find(ctx->root, item->section, &s, &error) <
		    0)
			continue;
		if (fetch_binary_plan(ctx, item, &s, &plan) < 0)
			return false;
	}
	return true;
}

static void source_binary_step(struct imap_fetch_ctx *ctx)
{
	if (ctx->bin_step < ctx->bin_plan.count) {
		const struct mail_binary_step *step =
		    &ctx->bin_plan.steps[ctx->bin_step];

		ctx->src_pos = step->offset;
		ctx->src_end = step->offset + step->size;
		mail_binary_filter_init(&ctx->bin_filter, step);
	}
}

static void source_reset(struct imap_fetch_ctx *ctx)
{
	ctx->src_pos = ctx->src_start;
	ctx->src_done = false;
	ctx->in_pos = ctx->in_len = 0;
	crlf_filter_init(&ctx->crlf, ctx->replace_nuls);
	if (ctx->mode == FETCH_SOURCE_BINARY) {
		ctx->bin_step = 0;
		source_binary_step(ctx);
	}
}

/* source_read() of FETCH_SOURCE_BINARY: the steps one after the other. */
static int source_read_binary(struct imap_fetch_ctx *ctx, size_t *size_r,
			      const char **error_r)
{
	unsigned char in[FETCH_READ_CHUNK];

	while (ctx->bin_step < ctx->bin_plan.count) {
		size_t got = 0;

		if (ctx->src_pos < ctx->src_end) {
			size_t want = (size_t)MIN_OF(
			    ctx->src_end - ctx->src_pos, (uint64_t)sizeof(in));

			if (fetch_pread(ctx, in, want, ctx->src_pos, &got,
					error_r) < 0)
				return -1;
		}
		if (got > 0) {
			ctx->src_pos += got;
			*size_r = mail_binary_filter_run(&ctx->bin_filter, in,
							 got, ctx->buf);
			return 1;
		}
		/* the step's range is done (or the file was cut short) */
		*size_r = mail_binary_filter_finish(&ctx->bin_filter, ctx->buf);
		ctx->bin_step++;
		source_binary_step(ctx);
		if (*size_r > 0)
			return 1;
	}
	ctx->src_done = true;
	return 0;
}

/* FETCH_SOURCE_CRLF: reads the next file bytes into ctx->in when none are
 * left there. Returns 1 when some are there, 0 at the end of the range
 * (or of the file, when it was cut short), -1 on error. */
static int source_fill(struct imap_fetch_ctx *ctx, const char **error_r)
{
	size_t got = 0;

	if (ctx->in_pos < ctx->in_len)
		return 1;
	if (ctx->src_done)
		return 0;
	if (ctx->src_pos < ctx->src_end) {
		size_t want = (size_t)MIN_OF(ctx->src_end - ctx->src_pos,
					     (uint64_t)FETCH_READ_CHUNK);

		if (fetch_pread(ctx, ctx->in, want, ctx->src_pos, &got,
				error_r) < 0)
			return -1;
		ctx->src_pos += got;
	}
	if (got == 0) {
		ctx->src_done = true;
		return 0;
	}
	ctx->in_pos = 0;
	ctx->in_len = got;
	return 1;
}

/* The next transformed bytes of the literal's source into ctx->buf.
 * Returns 1 with *size_r (may be 0), 0 at the end, -1 on error. */
static int source_read(struct imap_fetch_ctx *ctx, size_t *size_r,
		       const char **error_r)
{
	size_t used;
	int ret;

	*size_r = 0;
	if (ctx->src_done)
		return 0;
	if (ctx->mode == FETCH_SOURCE_BINARY)
		return source_read_binary(ctx, size_r, error_r);
	if (ctx->mode == FETCH_SOURCE_MEMORY) {
		size_t n;

		if (ctx->src_pos >= ctx->mem_size) {
			ctx->src_done = true;
			return 0;
		}
		n = MIN_OF(ctx->mem_size - (size_t)ctx->src_pos,
			   (size_t)FETCH_READ_CHUNK);
		memcpy(ctx->buf, ctx->mem + ctx->src_pos, n);
		if (ctx->replace_nuls) {
			for (size_t j = 0; j < n; j++) {
				if (ctx->buf[j] == '\0')
					ctx->buf[j] = 0x80;
			}
		}
		ctx->src_pos += n;
		*size_r = n;
		return 1;
	}
	ret = source_fill(ctx, error_r);
	if (ret <= 0)
		return ret;
	/* the buffer holds twice the input: all of it is taken */
	*size_r = crlf_filter_run(&ctx->crlf, ctx->in + ctx->in_pos,
				  ctx->in_len - ctx->in_pos, &used, ctx->buf,
				  FETCH_BUF_SIZE);
	i_assert(used == ctx->in_len - ctx->in_pos);
	ctx->in_pos = ctx->in_len;
	return 1;
}

/* Virtual (CRLF) size of a located section. */
static uint64_t section_virtual_size(const struct message_part *root,
				     const struct message_section *s)
{
	switch (s->kind) {
	case MESSAGE_SECTION_BODY:
		if (s->part == root && s->offset == 0)
			return root->header_size.virtual_size +
			       root->body_size.virtual_size;
		return s->part->body_size.virtual_size;
	case MESSAGE_SECTION_TEXT:
		return s->part->body_size.virtual_size;
	case MESSAGE_SECTION_HEADER:
	case MESSAGE_SECTION_MIME:
		return s->part->header_size.virtual_size;
	}
	i_unreached();
}

/* Sets up the literal of a BODY[...]/BINARY[...]/RFC822* item (or the
 * size of BINARY.SIZE). Returns 0 with the full size and whether it has
 * NULs, -1 on error. */
static int fetch_setup_source(struct imap_fetch_ctx *ctx,
			      const struct imap_fetch_item *item,
			      uint64_t *size_r, bool *has_nuls_r,
			      const char **error_r)
{
	struct message_section s;
	const char *error;
	uint64_t size;

	*has_nuls_r = false;
	ctx->mode = FETCH_SOURCE_CRLF;
	ctx->replace_nuls = !item->binary;
	if (ctx->root == NULL) {
		/* the whole message, not parsed */
		i_assert(item->section[0] == '\0');
		ctx->src_start = 0;
		ctx->src_end = UINT64_MAX;
		size = ctx->rec.virtual_size;
	} else if (message_section_find(ctx->root, item->section, &s, &error) <
		   0) {
		/* a part that does not exist is empty, as in Dovecot */
		ctx->mode = FETCH_SOURCE_MEMORY;
		ctx->mem = (const unsigned char *)"";
		ctx->mem_size = 0;
		ctx->src_start = 0;
		size = 0;
	} else if (s.header_fields) {
		size_t want =
		    (size_t)MIN_OF(s.size, (uint64_t)FETCH_MAX_HEADER_BLOCK);
		unsigned char *hdr = p_malloc(ctx->msg_pool, want + 1);
		string_t *dest = str_new(ctx->msg_pool, want + 64);
		size_t got = 0;

		while (got < want) {
			size_t n;

			if (fetch_pread(ctx, hdr + got, want - got,
					s.offset + got, &n, error_r) < 0)
				return -1;
			if (n == 0)
				break;
			got += n;
		}
		message_header_filter(hdr, got, item->fields,
				      s.header_fields_not, dest);
		ctx->mode = FETCH_SOURCE_MEMORY;
		ctx->mem = str_data(dest);
		ctx->mem_size = str_len(dest);
		ctx->src_start = 0;
		size = str_len(dest);
	} else {
		ctx->src_start = s.offset;
		ctx->src_end = s.offset + s.size;
		size = section_virtual_size(ctx->root, &s);
		/* an unknown encoding was answered before (UNKNOWN-CTE) */
		if (item->binary &&
		    fetch_binary_plan(ctx, item, &s, &ctx->bin_plan) == 0)
			ctx->mode = FETCH_SOURCE_BINARY;
	}
	source_reset(ctx);

	if (item->binary) {
		/* the decoded size, and NULs decide literal8 (RFC 3516
		 * section 4.2): one pass over the part first. Decoded
		 * content always goes in a literal8, as Dovecot sends it. */
		size = 0;
		*has_nuls_r =
		    ctx->mode == FETCH_SOURCE_BINARY && ctx->bin_plan.decodes;
		for (;;) {
			size_t n;
			int ret = source_read(ctx, &n, error_r);

			if (ret < 0)
				return -1;
			if (ret == 0)
				break;
			size += n;
			if (!*has_nuls_r && memchr(ctx->buf, '\0', n) != NULL)
				*has_nuls_r = true;
		}
		source_reset(ctx);
	}
	*size_r = size;
	return 0;
}

static void fetch_item_sep(struct imap_fetch_ctx *ctx)
{
	if (!ctx->first_item)
		str_append_c(ctx->pending, ' ');
	ctx->first_item = false;
}

/* Appends one item to pending; a literal item leaves its header there
 * and moves to the LITERAL stage. */
static int fetch_write_item(struct imap_fetch_ctx *ctx,
			    const struct imap_fetch_item *item,
			    const char **error_r)
{
	string_t *dest = ctx->pending;
	uint64_t size;
	bool has_nuls;

	switch (item->type) {
	case IMAP_FETCH_ITEM_UID:
		fetch_item_sep(ctx);
		str_append(dest, "UID ");
		str_append_uint(dest, ctx->rec.uid);
		break;
	case IMAP_FETCH_ITEM_FLAGS:
		if (item->name != NULL && !ctx->seen_changed)
			break; /* shown only when \Seen was set now */
		fetch_item_sep(ctx);
		str_append(dest, "FLAGS ");
		imap_write_flags(dest, ctx->box, &ctx->rec,
				 ctx->show_recent &&
				     mailbox_is_recent(ctx->box, ctx->rec.uid));
		break;
	case IMAP_FETCH_ITEM_INTERNALDATE:
		fetch_item_sep(ctx);
		str_append(dest, "INTERNALDATE \"");
		imap_append_datetime(
		    dest, mailbox_get_received_time(ctx->box, ctx->seq),
		    ctx->tz_minutes);
		str_append_c(dest, '"');
		break;
	case IMAP_FETCH_ITEM_RFC822_SIZE:
		fetch_item_sep(ctx);
		str_append(dest, "RFC822.SIZE ");
		str_append_uint(dest, ctx->rec.virtual_size);
		break;
	case IMAP_FETCH_ITEM_MODSEQ:
		fetch_item_sep(ctx);
		str_append(dest, "MODSEQ (");
		str_append_uint(dest, ctx->rec.modseq);
		str_append_c(dest, ')');
		break;
	case IMAP_FETCH_ITEM_ENVELOPE:
		fetch_item_sep(ctx);
		str_printfa(dest, "ENVELOPE (%s)",
			    ctx->imap_fields[MAIL_IMAP_ENVELOPE]);
		break;
	case IMAP_FETCH_ITEM_BODYSTRUCTURE:
		fetch_item_sep(ctx);
		str_printfa(dest, "BODYSTRUCTURE (%s)",
			    ctx->imap_fields[MAIL_IMAP_BODYSTRUCTURE]);
		break;
	case IMAP_FETCH_ITEM_BODY:
		fetch_item_sep(ctx);
		str_printfa(dest, "BODY (%s)",
			    ctx->imap_fields[MAIL_IMAP_BODY]);
		break;
	case IMAP_FETCH_ITEM_BINARY_SIZE:
		if (fetch_setup_source(ctx, item, &size, &has_nuls, error_r) <
		    0)
			return -1;
		fetch_item_sep(ctx);
		str_printfa(dest, "%s %llu", item->name,
			    (unsigned long long)size);
		break;
	case IMAP_FETCH_ITEM_SECTION:
		if (fetch_setup_source(ctx, item, &size, &has_nuls, error_r) <
		    0)
			return -1;
		if (item->partial) {
			/* RFC 3501 section 6.4.5: <offset.size> of what the
			 * item would give; past the end it is empty */
			ctx->skip_left = item->partial_offset;
			size = item->partial_offset >= size
				   ? 0
				   : MIN_OF(item->partial_size,
					    size - item->partial_offset);
		} else {
			ctx->skip_left = 0;
		}
		ctx->emit_left = size;
		fetch_item_sep(ctx);
		str_printfa(dest, "%s %s{%llu}\r\n", item->name,
			    has_nuls ? "~" : "", (unsigned long long)size);
		ctx->fetch_bytes += size;
		if (size > 0)
			ctx->stage = FETCH_STAGE_LITERAL;
		break;
	}
	return 0;
}

/* The next bytes of a FETCH_SOURCE_CRLF literal without a partial,
 * converted from ctx->in straight into the output's buffer. Returns 1
 * after some progress, 0 when the output has no room (wait), -1 on error,
 * 2 when this step is left to the buffered way (the end of the file, the
 * last byte before emit_left is an LF, the output refused). */
static int fetch_literal_direct(struct imap_fetch_ctx *ctx,
				const char **error_r)
{
	const struct imap_fetch_output *output = &ctx->output;
	size_t min_room, room, used, n;
	unsigned char *out;
	int ret;

	ret = source_fill(ctx, error_r);
	if (ret <= 0)
		return ret < 0 ? -1 : 2;
	min_room =
	    (size_t)MIN_OF(ctx->emit_left, (uint64_t)FETCH_DIRECT_MIN_ROOM);
	out = output->reserve(output->context, min_room, &room);
	if (out == NULL) {
		if (output->wait(output->context, min_room))
			return 0;
		out = output->reserve(output->context, min_room, &room);
		if (out == NULL)
			return 2;
	}
	room = (size_t)MIN_OF((uint64_t)room, ctx->emit_left);
	n = crlf_filter_run(&ctx->crlf, ctx->in + ctx->in_pos,
			    ctx->in_len - ctx->in_pos, &used, out, room);
	ctx->in_pos += used;
	output->commit(output->context, n);
	ctx->emit_left -= n;
	return n > 0 ? 1 : 2;
}

/* Moves the next bytes of the literal to the output, or to pending where
 * it has no room. Returns 1 to go on, 0 to wait for the output, -1 on
 * error. */
static int fetch_literal_more(struct imap_fetch_ctx *ctx, const char **error_r)
{
	size_t n, start;
	int ret;

	if (ctx->emit_left == 0) {
		ctx->stage = FETCH_STAGE_ITEMS;
		return 1;
	}
	if (ctx->mode == FETCH_SOURCE_CRLF && ctx->skip_left == 0 &&
	    ctx->output.reserve != NULL) {
		ret = fetch_literal_direct(ctx, error_r);
		if (ret != 2)
			return ret;
	}
	ret = source_read(ctx, &n, error_r);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		/* the file is shorter than its recorded size: pad, so that
		 * the client still gets the bytes it was promised */
		size_t pad =
		    (size_t)MIN_OF(ctx->emit_left, (uint64_t)FETCH_WRITE_CHUNK);
		unsigned char *p = str_reserve(ctx->pending, pad);

		memset(p, ' ', pad);
		str_commit(ctx->pending, pad);
		ctx->emit_left -= pad;
		return 1;
	}
	if (ctx->skip_left >= n) {
		ctx->skip_left -= n;
		return 1;
	}
	start = (size_t)ctx->skip_left;
	ctx->skip_left = 0;
	n = (size_t)MIN_OF((uint64_t)(n - start), ctx->emit_left);
	ctx->emit_left -= n;
	/* straight to the output while it has room, in the pieces
	 * fetch_flush() uses (wait() is never asked for more); what does
	 * not fit waits in pending */
	while (n > 0 && str_len(ctx->pending) == 0) {
		size_t piece = MIN_OF(n, (size_t)FETCH_WRITE_CHUNK);

		if (ctx->output.wait(ctx->output.context, piece))
			break;
		ctx->output.write(ctx->output.context, ctx->buf + start, piece);
		start += piece;
		n -= piece;
	}
	if (n > 0)
		str_append_n(ctx->pending, ctx->buf + start, n);
	return 1;
}

/* Opens and parses the next message. 1: ready, 0: skip it, -1: error. */
static int fetch_prepare_message(struct imap_fetch_ctx *ctx,
				 const char **error_r)
{
	const struct imap_fetch_request *req = ctx->req;
	const char *error;
	bool expunged = false;

	ctx->rec = *mailbox_get(ctx->box, ctx->seq);
	ctx->seen_changed = false;
	if (req->changedsince_set && ctx->rec.modseq <= req->changedsince)
		return 0;
	if (ctx->need_file) {
		ctx->fd =
		    mailbox_open_mail(ctx->box, ctx->seq, &expunged, &error);
		if (ctx->fd < 0) {
			if (expunged) {
				ctx->expunged_count++;
				return 0;
			}
			*error_r = error;
			return -1;
		}
		if (req->need_parse) {
			if (fetch_parse_message(ctx, error_r) < 0)
				return -1;
			if (!fetch_binary_ctes_known(ctx)) {
				ctx->unknown_cte = true;
				return 0;
			}
		}
	}
	for (unsigned int i = 0; i < req->count; i++) {
		enum imap_fetch_item_type type = req->items[i].type;
		enum mail_imap_field field;

		if (type == IMAP_FETCH_ITEM_ENVELOPE)
			field = MAIL_IMAP_ENVELOPE;
		else if (type == IMAP_FETCH_ITEM_BODYSTRUCTURE)
			field = MAIL_IMAP_BODYSTRUCTURE;
		else if (type == IMAP_FETCH_ITEM_BODY)
			field = MAIL_IMAP_BODY;
		else
			continue;
		if (mailbox_get_imap_field(
			ctx->box, ctx->seq, field, ctx->msg_pool,
			&ctx->imap_fields[field], &expunged, &error) < 0) {
			if (expunged) {
				ctx->expunged_count++;
				return 0;
			}
			*error_r = error;
			return -1;
		}
	}
	if (req->set_seen && !ctx->readonly &&
	    (ctx->rec.flags & MAIL_SEEN) == 0) {
		if (mailbox_add_flags(ctx->box, ctx->seq, MAIL_SEEN, &error) ==
		    0) {
			ctx->seen_changed = true;
			ctx->rec = *mailbox_get(ctx->box, ctx->seq);
		}
	}
	return 1;
}

int imap_fetch_more(struct imap_fetch_ctx *ctx, const char **error_r)
{
	for (;;) {
		int ret;

		/* a literal goes straight to the output: nothing before it
		 * may wait in pending */
		if (!fetch_flush(ctx, ctx->stage == FETCH_STAGE_LITERAL))
			return 0;
		switch (ctx->stage) {
		case FETCH_STAGE_NEXT:
			fetch_close_message(ctx);
			if (!fetch_next_seq(ctx, &ctx->seq))
				return fetch_flush(ctx, true) ? 1 : 0;
			ret = fetch_prepare_message(ctx, error_r);
			if (ret < 0)
				return -1;
			if (ret == 0)
				continue;
			str_append(ctx->pending, "* ");
			str_append_uint(ctx->pending, ctx->seq);
			str_append(ctx->pending, " FETCH (");
			ctx->item_idx = 0;
			ctx->first_item = true;
			ctx->stage = FETCH_STAGE_ITEMS;
			ctx->fetch_count++;
			break;
		case FETCH_STAGE_ITEMS:
			if (ctx->item_idx == ctx->req->count) {
				str_append(ctx->pending, ")\r\n");
				ctx->stage = FETCH_STAGE_NEXT;
				break;
			}
			if (fetch_write_item(ctx,
					     &ctx->req->items[ctx->item_idx++],
					     error_r) < 0)
				return -1;
			break;
		case FETCH_STAGE_LITERAL:
			ret = fetch_literal_more(ctx, error_r);
			if (ret <= 0)
				return ret;
			break;
		}
	}
}
