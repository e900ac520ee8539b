/* imap-search-args.c - SEARCH arguments to a mail-search tree (see the
 * header). */
#include "imap-search-args.h"
#include "imap-parser.h"
#include "imap-seqset.h"
#include "imap-date.h"

#include <strings.h>

struct search_parser {
	pool_t pool;
	struct imap_search_program *program;
	unsigned int keys;
	const char *error;
};

static struct mail_search_arg *arg_new(struct search_parser *ctx,
				       enum mail_search_type type)
{
	struct mail_search_arg *arg =
	    p_new(ctx->pool, struct mail_search_arg, 1);

	arg->type = type;
	return arg;
}

static bool parse_error(struct search_parser *ctx, const char *error)
{
	if (ctx->error == NULL)
		ctx->error = error;
	return false;
}

/* The astring parameter of key, advancing *args. */
static bool get_astring(struct search_parser *ctx, const char *key,
			const struct imap_arg **args, const char **value_r)
{
	if (!imap_arg_get_astring(*args, value_r)) {
		return parse_error(
		    ctx, p_strdup_printf(ctx->pool,
					 "Missing parameter for search key "
					 "(for search key: %s)",
					 key));
	}
	(*args)++;
	return true;
}

static bool get_date(struct search_parser *ctx, const char *key,
		     const struct imap_arg **args, int64_t *day_r)
{
	const char *value;
	time_t t;

	if (!get_astring(ctx, key, args, &value))
		return false;
	if (!imap_parse_date(value, &t))
		return parse_error(ctx, "Invalid search date parameter");
	*day_r = mail_search_day_from_utc(t);
	return true;
}

static bool is_number(const char *str)
{
	if (*str == '\0')
		return false;
	for (; *str != '\0'; str++) {
		if (*str < '0' || *str > '9')
			return false;
	}
	return true;
}

static bool get_number(struct search_parser *ctx, const char *key,
		       const struct imap_arg **args, const char *error,
		       uint64_t *num_r)
{
	const char *value;

	if (!get_astring(ctx, key, args, &value))
		return false;
	if (!is_number(value) || str_to_uint64(value, num_r) < 0)
		return parse_error(ctx, error);
	return true;
}

static bool set_seqset(struct search_parser *ctx, struct mail_search_arg *arg,
		       const char *str)
{
	struct imap_seqset set;
	const char *error;

	if (imap_seqset_parse(ctx->pool, str, &set, &error) < 0)
		return parse_error(ctx, "Invalid messageset");
	if (set.searchres) {
		/* RFC 5182 section 2.1: "$" is the saved UIDs, also where a
		 * message sequence set is expected */
		arg->type = MAIL_SEARCH_UIDSET;
		arg->searchres = true;
		ctx->program->have_searchres = true;
		return true;
	}
	arg->ranges = p_new(ctx->pool, struct mail_search_range, set.count);
	for (unsigned int i = 0; i < set.count; i++) {
		/* IMAP_SEQ_STAR and mail-search's "*" are both 0 */
		arg->ranges[i].seq1 = set.ranges[i].seq1;
		arg->ranges[i].seq2 = set.ranges[i].seq2;
	}
	arg->ranges_count = set.count;
	return true;
}

static struct mail_search_arg *parse_key(struct search_parser *ctx,
					 const struct imap_arg **args,
					 unsigned int depth);

/* Keys until EOL into a list (implicitly ANDed). */
static struct mail_search_arg *parse_list(struct search_parser *ctx,
					  const struct imap_arg *args,
					  unsigned int depth)
{
	struct mail_search_arg *first = NULL, **tail = &first;

	while (args->type != IMAP_ARG_EOL) {
		struct mail_search_arg *arg = parse_key(ctx, &args, depth);
		if (arg == NULL)
			return NULL;
		*tail = arg;
		tail = &arg->next;
	}
	if (first == NULL) {
		(void)parse_error(ctx, "Missing search parameters");
		return NULL;
	}
	return first;
}

static const struct {
	const char *name;
	uint32_t flag;
	bool not ;
} flag_keys[] = {
    {"ANSWERED", MAIL_SEARCH_FLAG_ANSWERED, false},
    {"DELETED", MAIL_SEARCH_FLAG_DELETED, false},
    {"DRAFT", MAIL_SEARCH_FLAG_DRAFT, false},
    {"FLAGGED", MAIL_SEARCH_FLAG_FLAGGED, false},
    {"SEEN", MAIL_SEARCH_FLAG_SEEN, false},
    {"RECENT", MAIL_SEARCH_FLAG_RECENT, false},
    {"UNANSWERED", MAIL_SEARCH_FLAG_ANSWERED, true},
    {"UNDELETED", MAIL_SEARCH_FLAG_DELETED, true},
    {"UNDRAFT", MAIL_SEARCH_FLAG_DRAFT, true},
    {"UNFLAGGED", MAIL_SEARCH_FLAG_FLAGGED, true},
    {"UNSEEN", MAIL_SEARCH_FLAG_SEEN, true},
    /* RFC 3501: OLD is NOT RECENT */
    {"OLD", MAIL_SEARCH_FLAG_RECENT, true},
};

static const struct {
	const char *name;
	enum mail_search_type type;
} date_keys[] = {
    {"BEFORE", MAIL_SEARCH_BEFORE}, {"ON", MAIL_SEARCH_ON},
    {"SINCE", MAIL_SEARCH_SINCE},   {"SENTBEFORE", MAIL_SEARCH_SENTBEFORE},
    {"SENTON", MAIL_SEARCH_SENTON}, {"SENTSINCE", MAIL_SEARCH_SENTSINCE},
};

static const char *const header_keys[] = {"BCC", "CC", "FROM", "SUBJECT", "TO"};

/* MODSEQ [entry-name SP entry-type-req] SP mod-sequence-valzer
 * (RFC 7162 section 3.1.5). The entry only narrows which metadata item
 * changed; a message has one modseq here, so it is checked and ignored,
 * as Dovecot does for Maildir. */
static bool parse_modseq(struct search_parser *ctx,
			 const struct imap_arg **args,
			 struct mail_search_arg *arg)
{
	const char *entry, *type;

	if ((*args)->type == IMAP_ARG_STRING ||
	    (*args)->type == IMAP_ARG_LITERAL) {
		if (!imap_arg_get_string(*args, &entry) ||
		    strncasecmp(entry, "/flags/", 7) != 0)
			return parse_error(ctx, "Invalid MODSEQ entry");
		(*args)++;
		if (!imap_arg_get_atom(*args, &type) ||
		    (strcasecmp(type, "priv") != 0 &&
		     strcasecmp(type, "shared") != 0 &&
		     strcasecmp(type, "all") != 0))
			return parse_error(ctx, "Invalid MODSEQ type");
		(*args)++;
	}
	if (!get_number(ctx, "MODSEQ", args, "Invalid MODSEQ parameter",
			&arg->number) ||
	    arg->number > INT64_MAX)
		return parse_error(ctx, "Invalid MODSEQ parameter");
	ctx->program->have_modseq = true;
	return true;
}

static struct mail_search_arg *parse_key(struct search_parser *ctx,
					 const struct imap_arg **args,
					 unsigned int depth)
{
	const struct imap_arg *arg0 = *args;
	struct mail_search_arg *arg;
	const char *key, *value;

	if (depth >= IMAP_SEARCH_MAX_DEPTH) {
		(void)parse_error(ctx, "Too deep nesting in search keys");
		return NULL;
	}
	if (++ctx->keys > IMAP_SEARCH_MAX_KEYS) {
		(void)parse_error(ctx, "Too many search keys");
		return NULL;
	}
	if (arg0->type == IMAP_ARG_EOL) {
		(void)parse_error(ctx, "Missing search parameters");
		return NULL;
	}
	(*args)++;
	if (arg0->type == IMAP_ARG_LIST) {
		arg = arg_new(ctx, MAIL_SEARCH_SUB);
		arg->subargs = parse_list(ctx, arg0->list, depth + 1);
		return arg->subargs == NULL ? NULL : arg;
	}
	if (!imap_arg_get_atom(arg0, &key)) {
		(void)parse_error(ctx, "Unknown argument");
		return NULL;
	}

	for (unsigned int i = 0; i < N_ELEMENTS(flag_keys); i++) {
		if (strcasecmp(key, flag_keys[i].name) == 0) {
			arg = arg_new(ctx, MAIL_SEARCH_FLAGS);
			arg->flags = flag_keys[i].flag;
			arg->not = flag_keys[i].not ;
			return arg;
		}
	}
	for (unsigned int i = 0; i < N_ELEMENTS(date_keys); i++) {
		if (strcasecmp(key, date_keys[i].name) == 0) {
			arg = arg_new(ctx, date_keys[i].type);
			return get_date(ctx, date_keys[i].name, args, &arg->day)
				   ? arg
				   : NULL;
		}
	}
	for (unsigned int i = 0; i < N_ELEMENTS(header_keys); i++) {
		if (strcasecmp(key, header_keys[i]) == 0) {
			arg = arg_new(ctx, MAIL_SEARCH_HEADER);
			arg->hdr_name = header_keys[i];
			return get_astring(ctx, header_keys[i], args,
					   &arg->value)
				   ? arg
				   : NULL;
		}
	}

	if (strcasecmp(key, "ALL") == 0)
		return arg_new(ctx, MAIL_SEARCH_ALL);
	if (strcasecmp(key, "NEW") == 0) {
		/* RFC 3501: RECENT UNSEEN */
		struct mail_search_arg *recent =
		    arg_new(ctx, MAIL_SEARCH_FLAGS);
		struct mail_search_arg *unseen =
		    arg_new(ctx, MAIL_SEARCH_FLAGS);
		recent->flags = MAIL_SEARCH_FLAG_RECENT;
		unseen->flags = MAIL_SEARCH_FLAG_SEEN;
		unseen->not = true;
		recent->next = unseen;
		arg = arg_new(ctx, MAIL_SEARCH_SUB);
		arg->subargs = recent;
		return arg;
	}
	if (strcasecmp(key, "KEYWORD") == 0 ||
	    strcasecmp(key, "UNKEYWORD") == 0) {
		arg = arg_new(ctx, MAIL_SEARCH_KEYWORD);
		arg->not = key[0] == 'U' || key[0] == 'u';
		if (!imap_arg_get_atom(*args, &value)) {
			(void)parse_error(ctx, "Invalid keyword");
			return NULL;
		}
		(*args)++;
		arg->keyword = value;
		return arg;
	}
	if (strcasecmp(key, "HEADER") == 0) {
		arg = arg_new(ctx, MAIL_SEARCH_HEADER);
		if (!get_astring(ctx, "HEADER", args, &arg->hdr_name) ||
		    !get_astring(ctx, "HEADER", args, &arg->value))
			return NULL;
		if (arg->hdr_name[0] == '\0') {
			(void)parse_error(ctx, "Invalid header name");
			return NULL;
		}
		return arg;
	}
	if (strcasecmp(key, "BODY") == 0 || strcasecmp(key, "TEXT") == 0) {
		bool body = key[0] == 'B' || key[0] == 'b';
		arg = arg_new(ctx, body ? MAIL_SEARCH_BODY : MAIL_SEARCH_TEXT);
		return get_astring(ctx, body ? "BODY" : "TEXT", args,
				   &arg->value)
			   ? arg
			   : NULL;
	}
	if (strcasecmp(key, "LARGER") == 0 || strcasecmp(key, "SMALLER") == 0) {
		bool larger = key[0] == 'L' || key[0] == 'l';
		arg = arg_new(ctx, larger ? MAIL_SEARCH_LARGER
					  : MAIL_SEARCH_SMALLER);
		return get_number(ctx, larger ? "LARGER" : "SMALLER", args,
				  "Invalid search size parameter", &arg->number)
			   ? arg
			   : NULL;
	}
	if (strcasecmp(key, "NOT") == 0) {
		arg = parse_key(ctx, args, depth + 1);
		if (arg == NULL)
			return NULL;
		arg->not = !arg->not ;
		return arg;
	}
	if (strcasecmp(key, "OR") == 0) {
		arg = arg_new(ctx, MAIL_SEARCH_OR);
		arg->subargs = parse_key(ctx, args, depth + 1);
		if (arg->subargs == NULL)
			return NULL;
		arg->subargs->next = parse_key(ctx, args, depth + 1);
		return arg->subargs->next == NULL ? NULL : arg;
	}
	if (strcasecmp(key, "UID") == 0) {
		arg = arg_new(ctx, MAIL_SEARCH_UIDSET);
		if (!get_astring(ctx, "UID", args, &value) ||
		    !set_seqset(ctx, arg, value))
			return NULL;
		return arg;
	}
	if (strcasecmp(key, "MODSEQ") == 0) {
		arg = arg_new(ctx, MAIL_SEARCH_MODSEQ);
		return parse_modseq(ctx, args, arg) ? arg : NULL;
	}
	if ((key[0] >= '0' && key[0] <= '9') || key[0] == '*' ||
	    key[0] == '$') {
		arg = arg_new(ctx, MAIL_SEARCH_SEQSET);
		return set_seqset(ctx, arg, key) ? arg : NULL;
	}
	(void)parse_error(
	    ctx, p_strdup_printf(ctx->pool, "Unknown argument %s", key));
	return NULL;
}

/* RETURN (...) of RFC 4731 section 3.1 and RFC 5182 section 2.1. */
static bool parse_return(struct search_parser *ctx, const struct imap_arg *arg)
{
	const struct imap_arg *list;
	unsigned int count;
	const char *name;

	if (!imap_arg_get_list(arg, &list, &count))
		return parse_error(ctx, "Invalid SEARCH return options");
	ctx->program->return_given = true;
	for (unsigned int i = 0; i < count; i++) {
		enum imap_search_return opt;

		if (!imap_arg_get_atom(&list[i], &name))
			return parse_error(ctx, "Unknown SEARCH return option");
		if (strcasecmp(name, "MIN") == 0)
			opt = IMAP_SEARCH_RETURN_MIN;
		else if (strcasecmp(name, "MAX") == 0)
			opt = IMAP_SEARCH_RETURN_MAX;
		else if (strcasecmp(name, "ALL") == 0)
			opt = IMAP_SEARCH_RETURN_ALL;
		else if (strcasecmp(name, "COUNT") == 0)
			opt = IMAP_SEARCH_RETURN_COUNT;
		else if (strcasecmp(name, "SAVE") == 0)
			opt = IMAP_SEARCH_RETURN_SAVE;
		else
			return parse_error(ctx, "Unknown SEARCH return option");
		ctx->program->return_options |= opt;
	}
	/* RFC 4731 section 3.1: "RETURN ()" is "RETURN (ALL)" */
	if (count == 0)
		ctx->program->return_options = IMAP_SEARCH_RETURN_ALL;
	return true;
}

enum imap_search_parse_result
imap_search_args_parse(pool_t pool, const struct imap_arg *args,
		       struct imap_search_program **program_r,
		       const char **error_r)
{
	struct search_parser ctx = {
	    .pool = pool,
	    .program = p_new(pool, struct imap_search_program, 1),
	};
	const char *charset;

	*program_r = NULL;
	*error_r = NULL;
	if (imap_arg_atom_equals(args, "RETURN")) {
		if (!parse_return(&ctx, &args[1])) {
			*error_r = ctx.error;
			return IMAP_SEARCH_PARSE_BAD;
		}
		args += 2;
	}
	if (imap_arg_atom_equals(args, "CHARSET")) {
		if (!imap_arg_get_astring(&args[1], &charset)) {
			*error_r = "Missing CHARSET parameter";
			return IMAP_SEARCH_PARSE_BAD;
		}
		if (strcasecmp(charset, "UTF-8") != 0 &&
		    strcasecmp(charset, "US-ASCII") != 0) {
			*error_r = "Unknown charset";
			return IMAP_SEARCH_PARSE_BADCHARSET;
		}
		args += 2;
	}
	ctx.program->args = parse_list(&ctx, args, 0);
	if (ctx.program->args == NULL) {
		*error_r = ctx.error;
		return IMAP_SEARCH_PARSE_BAD;
	}
	mail_search_args_init(pool, ctx.program->args);
	*program_r = ctx.program;
	return IMAP_SEARCH_PARSE_OK;
}
