/* message-address.c - RFC 5322 section 3.4 address lists (see header).
 *
 * A recursive-descent parser over rfc822-parser tokens. The grammar is
 * tried the way Dovecot tries it so that broken headers yield the same
 * addresses: a group first, then name-addr, then addr-spec; a lone word
 * without '@' is a mailbox, several words are a display name. */
#include "message-address.h"

#include "rfc822-parser.h"
#include "str.h"

struct addr_ctx {
	pool_t pool;
	struct rfc822_parser parser;
	string_t *str;
	struct message_address addr;
	struct message_address *first, *last;
	bool fill_missing;
};

static void add_address(struct addr_ctx *ctx)
{
	struct message_address *addr =
	    p_new(ctx->pool, struct message_address, 1);

	*addr = ctx->addr;
	addr->next = NULL;
	if (ctx->first == NULL)
		ctx->first = addr;
	else
		ctx->last->next = addr;
	ctx->last = addr;
	memset(&ctx->addr, 0, sizeof(ctx->addr));
}

static bool at_end(struct addr_ctx *ctx)
{
	return ctx->parser.data >= ctx->parser.end;
}

static int parse_local_part(struct addr_ctx *ctx)
{
	int ret;

	/* local-part = dot-atom / quoted-string / obs-local-part */
	i_assert(!at_end(ctx));
	str_truncate(ctx->str, 0);
	if (*ctx->parser.data == '"')
		ret = rfc822_parse_quoted_string(&ctx->parser, ctx->str);
	else
		ret = rfc822_parse_dot_atom(&ctx->parser, ctx->str);
	if (ret < 0)
		return -1;
	ctx->addr.mailbox = p_strdup(ctx->pool, str_c(ctx->str));
	return ret;
}

static int parse_domain(struct addr_ctx *ctx)
{
	int ret;

	str_truncate(ctx->str, 0);
	if ((ret = rfc822_parse_domain(&ctx->parser, ctx->str)) < 0)
		return -1;
	ctx->addr.domain = p_strdup(ctx->pool, str_c(ctx->str));
	return ret;
}

static int parse_domain_list(struct addr_ctx *ctx)
{
	int ret;

	/* obs-domain-list = "@" domain *(*(CFWS / ",") [CFWS] "@" domain)
	 * (RFC 5322 section 4.4) */
	str_truncate(ctx->str, 0);
	for (;;) {
		if (at_end(ctx))
			return 0;
		if (*ctx->parser.data != '@')
			break;
		if (str_len(ctx->str) > 0)
			str_append_c(ctx->str, ',');
		str_append_c(ctx->str, '@');
		if ((ret = rfc822_parse_domain(&ctx->parser, ctx->str)) <= 0)
			return ret;
		while (rfc822_skip_lwsp(&ctx->parser) > 0 &&
		       *ctx->parser.data == ',')
			ctx->parser.data++;
	}
	ctx->addr.route = p_strdup(ctx->pool, str_c(ctx->str));
	return 1;
}

static int parse_angle_addr(struct addr_ctx *ctx)
{
	/* angle-addr = [CFWS] "<" [obs-route] addr-spec ">" [CFWS] */
	i_assert(*ctx->parser.data == '<');
	ctx->parser.data++;
	if (rfc822_skip_lwsp(&ctx->parser) <= 0)
		return -1;
	if (*ctx->parser.data == '@') {
		if (parse_domain_list(ctx) > 0 && *ctx->parser.data == ':') {
			ctx->parser.data++;
		} else {
			if (ctx->fill_missing)
				ctx->addr.route = "INVALID_ROUTE";
			if (at_end(ctx))
				return -1;
		}
		if (rfc822_skip_lwsp(&ctx->parser) <= 0)
			return -1;
	}
	if (*ctx->parser.data != '>') {
		if (parse_local_part(ctx) <= 0)
			return -1;
		if (*ctx->parser.data == '@') {
			if (parse_domain(ctx) <= 0)
				return -1;
		}
	}
	if (*ctx->parser.data != '>')
		return -1;
	ctx->parser.data++;
	return rfc822_skip_lwsp(&ctx->parser);
}

static int parse_name_addr(struct addr_ctx *ctx)
{
	/* name-addr = [display-name] angle-addr */
	str_truncate(ctx->str, 0);
	if (rfc822_parse_phrase(&ctx->parser, ctx->str) <= 0 ||
	    *ctx->parser.data != '<')
		return -1;
	ctx->addr.name = str_len(ctx->str) == 0
			     ? NULL
			     : p_strdup(ctx->pool, str_c(ctx->str));
	if (parse_angle_addr(ctx) < 0) {
		ctx->addr.domain = "SYNTAX_ERROR";
		ctx->addr.invalid_syntax = true;
	}
	return at_end(ctx) ? 0 : 1;
}

static int parse_addr_spec(struct addr_ctx *ctx)
{
	int ret, ret2 = -2;
	bool quoted;

	/* addr-spec = local-part "@" domain */
	i_assert(!at_end(ctx));
	str_truncate(ctx->parser.last_comment, 0);
	quoted = *ctx->parser.data == '"';
	ret = parse_local_part(ctx);
	if (ret <= 0)
		ctx->addr.invalid_syntax = true;
	if (ret != 0 && !at_end(ctx) && *ctx->parser.data == '@') {
		ret2 = parse_domain(ctx);
		if (ret2 <= 0)
			ret = ret2;
	}
	if (str_len(ctx->parser.last_comment) > 0) {
		ctx->addr.name =
		    p_strdup(ctx->pool, str_c(ctx->parser.last_comment));
	} else if (ret2 == -2) {
		/* "user" alone is a mailbox; "user more words" a name */
		size_t len;

		str_append_c(ctx->str, ' ');
		len = str_len(ctx->str);
		(void)rfc822_parse_phrase(&ctx->parser, ctx->str);
		if (str_len(ctx->str) != len) {
			ctx->addr.mailbox = NULL;
			ctx->addr.name = p_strdup(ctx->pool, str_c(ctx->str));
		} else if (!quoted) {
			ctx->addr.domain = "";
		}
	}
	return ret;
}

static void add_fixed_address(struct addr_ctx *ctx)
{
	if (ctx->addr.mailbox == NULL) {
		ctx->addr.mailbox = ctx->fill_missing ? "MISSING_MAILBOX" : "";
		ctx->addr.invalid_syntax = true;
	}
	if (ctx->addr.domain == NULL || ctx->addr.domain[0] == '\0') {
		ctx->addr.domain = ctx->fill_missing ? "MISSING_DOMAIN" : "";
		ctx->addr.invalid_syntax = true;
	}
	add_address(ctx);
}

static int parse_mailbox(struct addr_ctx *ctx)
{
	const unsigned char *start = ctx->parser.data;
	int ret;

	/* mailbox = name-addr / addr-spec */
	if ((ret = parse_name_addr(ctx)) < 0) {
		memset(&ctx->addr, 0, sizeof(ctx->addr));
		ctx->parser.data = start;
		ret = parse_addr_spec(ctx);
		if (ret < 0)
			ctx->addr.invalid_syntax = true;
	}
	add_fixed_address(ctx);
	return ret;
}

static int parse_group(struct addr_ctx *ctx)
{
	int ret;

	/* group = display-name ":" [group-list] ";" [CFWS] */
	str_truncate(ctx->str, 0);
	if (rfc822_parse_phrase(&ctx->parser, ctx->str) <= 0 ||
	    *ctx->parser.data != ':')
		return -1;
	/* from here on it is a group even when broken */
	ctx->parser.data++;
	if ((ret = rfc822_skip_lwsp(&ctx->parser)) <= 0)
		ctx->addr.invalid_syntax = true;
	ctx->addr.mailbox = p_strdup(ctx->pool, str_c(ctx->str));
	add_address(ctx);

	if (ret > 0 && *ctx->parser.data != ';') {
		for (;;) {
			if (parse_mailbox(ctx) <= 0) {
				ret = -1;
				break;
			}
			if (at_end(ctx) || *ctx->parser.data != ',')
				break;
			ctx->parser.data++;
			if (rfc822_skip_lwsp(&ctx->parser) <= 0) {
				ret = -1;
				break;
			}
		}
	}
	if (ret >= 0) {
		if (at_end(ctx) || *ctx->parser.data != ';') {
			ret = -1;
		} else {
			ctx->parser.data++;
			ret = rfc822_skip_lwsp(&ctx->parser);
		}
	}
	if (ret < 0)
		ctx->addr.invalid_syntax = true;
	add_address(ctx);
	return ret == 0 ? 0 : 1;
}

static int parse_address(struct addr_ctx *ctx)
{
	const unsigned char *start = ctx->parser.data;
	int ret;

	if ((ret = parse_group(ctx)) < 0) {
		memset(&ctx->addr, 0, sizeof(ctx->addr));
		ctx->parser.data = start;
		ret = parse_mailbox(ctx);
	}
	return ret;
}

static void parse_address_list(struct addr_ctx *ctx, unsigned int max)
{
	/* address-list = (address *("," address)) / obs-addr-list */
	while (max > 0) {
		max--;
		if (parse_address(ctx) == 0)
			break;
		if (at_end(ctx) || *ctx->parser.data != ',')
			break;
		ctx->parser.data++;
		if (rfc822_skip_lwsp(&ctx->parser) <= 0)
			break;
	}
}

struct message_address *
message_address_parse(pool_t pool, const void *data, size_t size,
		      unsigned int max_addresses,
		      enum message_address_parse_flags flags)
{
	struct addr_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.pool = pool;
	ctx.str = str_new(pool, 128);
	ctx.fill_missing =
	    (flags & MESSAGE_ADDRESS_PARSE_FLAG_FILL_MISSING) != 0;
	rfc822_parser_init(&ctx.parser, data, size, str_new(pool, 64));
	if (rfc822_skip_lwsp(&ctx.parser) <= 0)
		return NULL;
	parse_address_list(&ctx, max_addresses);
	return ctx.first;
}
