/* rfc822-parser.c - RFC 5322 / RFC 2045 lexical tokens (see the header).
 *
 * Lenient where real mail is broken and Dovecot is lenient: 8-bit bytes
 * count as atext, whitespace may surround dots, a backslash before CR, LF
 * or NUL is kept literally (obs-qp). Raw pointer arithmetic is confined to
 * the cursor, which every loop bounds by ctx->end. */
#include "rfc822-parser.h"

#include <strings.h>

#include "array.h"

void rfc822_parser_init(struct rfc822_parser *ctx, const void *data,
			size_t size, string_t *last_comment)
{
	ctx->data = data;
	ctx->end = ctx->data + size;
	ctx->last_comment = last_comment;
}

bool rfc822_is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* RFC 2045 token: any CHAR except SPACE, CTLs and tspecials. */
static bool is_token_char(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if (c <= 0x20 || c == 0x7f)
		return false;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

int rfc822_skip_comment(struct rfc822_parser *ctx)
{
	const unsigned char *start;
	int level = 1;

	i_assert(*ctx->data == '(');
	if (ctx->last_comment != NULL)
		str_truncate(ctx->last_comment, 0);
	start = ++ctx->data;
	for (; ctx->data < ctx->end; ctx->data++) {
		switch (*ctx->data) {
		case '(':
			level++;
			break;
		case ')':
			if (--level > 0)
				break;
			if (ctx->last_comment != NULL)
				str_append_n(ctx->last_comment, start,
					     ctx->data - start);
			ctx->data++;
			return ctx->data < ctx->end ? 1 : 0;
		case '\n': {
			/* folding: drop the (CR)LF */
			size_t len = ctx->data - start;

			if (ctx->last_comment == NULL)
				break;
			if (len > 0 && start[len - 1] == '\r')
				len--;
			str_append_n(ctx->last_comment, start, len);
			start = ctx->data + 1;
			break;
		}
		case '\\':
			ctx->data++;
			if (ctx->data >= ctx->end)
				return -1;
			if (*ctx->data == '\r' || *ctx->data == '\n' ||
			    *ctx->data == '\0') {
				ctx->data--;
				break;
			}
			if (ctx->last_comment != NULL)
				str_append_n(ctx->last_comment, start,
					     ctx->data - start - 1);
			start = ctx->data;
			break;
		default:
			break;
		}
	}
	return -1;
}

int rfc822_skip_lwsp(struct rfc822_parser *ctx)
{
	while (ctx->data < ctx->end) {
		unsigned char c = *ctx->data;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			ctx->data++;
			continue;
		}
		if (c != '(')
			break;
		if (rfc822_skip_comment(ctx) < 0)
			return -1;
	}
	return ctx->data < ctx->end ? 1 : 0;
}

int rfc822_parse_atom(struct rfc822_parser *ctx, string_t *str)
{
	const unsigned char *start;

	if (ctx->data >= ctx->end || !rfc822_is_atext(*ctx->data))
		return -1;
	for (start = ctx->data++; ctx->data < ctx->end; ctx->data++) {
		if (rfc822_is_atext(*ctx->data))
			continue;
		str_append_n(str, start, ctx->data - start);
		return rfc822_skip_lwsp(ctx);
	}
	str_append_n(str, start, ctx->data - start);
	return 0;
}

int rfc822_parse_atom_or_dot(struct rfc822_parser *ctx, string_t *str)
{
	const unsigned char *start;

	for (start = ctx->data; ctx->data < ctx->end; ctx->data++) {
		if (rfc822_is_atext(*ctx->data) || *ctx->data == '.')
			continue;
		str_append_n(str, start, ctx->data - start);
		return rfc822_skip_lwsp(ctx);
	}
	str_append_n(str, start, ctx->data - start);
	return 0;
}

int rfc822_parse_dot_atom(struct rfc822_parser *ctx, string_t *str)
{
	const unsigned char *start;
	int ret;

	if (ctx->data >= ctx->end || !rfc822_is_atext(*ctx->data))
		return -1;
	for (start = ctx->data++; ctx->data < ctx->end;) {
		if (rfc822_is_atext(*ctx->data)) {
			ctx->data++;
			continue;
		}
		if (start == ctx->data)
			return -1;
		str_append_n(str, start, ctx->data - start);
		if ((ret = rfc822_skip_lwsp(ctx)) <= 0)
			return ret;
		if (*ctx->data != '.')
			return 1;
		ctx->data++;
		str_append_c(str, '.');
		if ((ret = rfc822_skip_lwsp(ctx)) <= 0)
			return ret;
		start = ctx->data;
	}
	str_append_n(str, start, ctx->data - start);
	return 0;
}

int rfc822_parse_quoted_string(struct rfc822_parser *ctx, string_t *str)
{
	const unsigned char *start;

	i_assert(ctx->data < ctx->end && *ctx->data == '"');
	ctx->data++;
	for (start = ctx->data; ctx->data < ctx->end; ctx->data++) {
		switch (*ctx->data) {
		case '"':
			str_append_n(str, start, ctx->data - start);
			ctx->data++;
			return rfc822_skip_lwsp(ctx);
		case '\n': {
			size_t len = ctx->data - start;

			if (len > 0 && start[len - 1] == '\r')
				len--;
			str_append_n(str, start, len);
			start = ctx->data + 1;
			break;
		}
		case '\\':
			ctx->data++;
			if (ctx->data >= ctx->end)
				return -1;
			if (*ctx->data == '\r' || *ctx->data == '\n' ||
			    *ctx->data == '\0') {
				ctx->data--;
				break;
			}
			str_append_n(str, start, ctx->data - start - 1);
			start = ctx->data;
			break;
		default:
			break;
		}
	}
	return -1;
}

int rfc822_parse_phrase(struct rfc822_parser *ctx, string_t *str)
{
	int ret;

	/* phrase = 1*word / obs-phrase; obs-phrase = word *(word / "." /
	 * CFWS) (RFC 5322 sections 3.2.5 and 4.1) */
	if (ctx->data >= ctx->end)
		return 0;
	if (*ctx->data == '.')
		return -1;
	for (;;) {
		if (*ctx->data == '"')
			ret = rfc822_parse_quoted_string(ctx, str);
		else
			ret = rfc822_parse_atom_or_dot(ctx, str);
		if (ret <= 0)
			return ret;
		if (!rfc822_is_atext(*ctx->data) && *ctx->data != '"' &&
		    *ctx->data != '.')
			break;
		str_append_c(str, ' ');
	}
	return rfc822_skip_lwsp(ctx);
}

static int parse_domain_literal(struct rfc822_parser *ctx, string_t *str)
{
	const unsigned char *start;

	/* domain-literal = [CFWS] "[" *([FWS] dtext) [FWS] "]" [CFWS] */
	i_assert(*ctx->data == '[');
	for (start = ctx->data++; ctx->data < ctx->end; ctx->data++) {
		if (*ctx->data == '\\') {
			ctx->data++;
			if (ctx->data >= ctx->end)
				break;
		} else if (*ctx->data == '\n') {
			size_t len = ctx->data - start;

			if (len > 0 && start[len - 1] == '\r')
				len--;
			str_append_n(str, start, len);
			start = ctx->data + 1;
		} else if (*ctx->data == ']') {
			ctx->data++;
			str_append_n(str, start, ctx->data - start);
			return rfc822_skip_lwsp(ctx);
		}
	}
	return -1;
}

int rfc822_parse_domain(struct rfc822_parser *ctx, string_t *str)
{
	i_assert(ctx->data < ctx->end && *ctx->data == '@');
	ctx->data++;
	if (rfc822_skip_lwsp(ctx) <= 0)
		return -1;
	if (*ctx->data == '[')
		return parse_domain_literal(ctx, str);
	return rfc822_parse_dot_atom(ctx, str);
}

int rfc822_parse_mime_token(struct rfc822_parser *ctx, string_t *str)
{
	const unsigned char *start;

	for (start = ctx->data; ctx->data < ctx->end; ctx->data++) {
		if (is_token_char(*ctx->data))
			continue;
		str_append_n(str, start, ctx->data - start);
		return rfc822_skip_lwsp(ctx);
	}
	str_append_n(str, start, ctx->data - start);
	return 0;
}

int rfc822_parse_content_type(struct rfc822_parser *ctx, string_t *str)
{
	size_t start_len = str_len(str);

	/* content := "Content-Type" ":" type "/" subtype *(";" parameter)
	 * (RFC 2045 section 5.1) */
	if (rfc822_skip_lwsp(ctx) <= 0)
		return -1;
	if (rfc822_parse_mime_token(ctx, str) <= 0 || str_len(str) == start_len)
		return -1;
	if (*ctx->data != '/')
		return -1;
	ctx->data++;
	if (rfc822_skip_lwsp(ctx) <= 0)
		return -1;
	str_append_c(str, '/');
	return rfc822_parse_mime_token(ctx, str);
}

/* One ";name=value". 1 = got one, 0 = end of input, -1 = broken. */
static int parse_content_param(struct rfc822_parser *ctx, pool_t pool,
			       const char **name_r, const char **value_r)
{
	string_t *name, *value;
	int ret;

	if (ctx->data >= ctx->end)
		return 0;
	if (*ctx->data != ';')
		return -1;
	ctx->data++;
	if (rfc822_skip_lwsp(ctx) <= 0)
		return -1;
	name = str_new(pool, 32);
	if (rfc822_parse_mime_token(ctx, name) <= 0 || str_len(name) == 0)
		return -1;
	if (*ctx->data != '=')
		return -1;
	ctx->data++;
	value = str_new(pool, 64);
	if ((ret = rfc822_skip_lwsp(ctx)) <= 0) {
		/* no value */
	} else if (*ctx->data == '"') {
		ret = rfc822_parse_quoted_string(ctx, value);
	} else if (*ctx->data == '=') {
		/* broken senders write name==?utf-8?b?...?= unquoted */
		while (ctx->data < ctx->end && *ctx->data != ';' &&
		       *ctx->data != ' ' && *ctx->data != '\t' &&
		       *ctx->data != '\r' && *ctx->data != '\n') {
			str_append_c(value, (char)*ctx->data);
			ctx->data++;
		}
		ret = 1;
	} else {
		ret = rfc822_parse_mime_token(ctx, value);
	}
	*name_r = str_c(name);
	*value_r = str_c(value);
	return ret < 0 ? -1 : 1;
}

struct rfc2231_piece {
	const char *key, *value;
	unsigned int idx;
	bool extended;
};

static int piece_cmp(const void *p1, const void *p2)
{
	const struct rfc2231_piece *a = p1, *b = p2;
	int ret = strcasecmp(a->key, b->key);

	if (ret != 0)
		return ret;
	return a->idx < b->idx ? -1 : (a->idx > b->idx ? 1 : 0);
}

/* RFC 2231 section 4: a plain piece merged into an extended value must
 * not be mistaken for a %XX escape. */
static void rfc2231_escape(string_t *dest, const char *src)
{
	for (; *src != '\0'; src++) {
		if (*src == '%')
			str_append(dest, "%25");
		else
			str_append_c(dest, *src);
	}
}

unsigned int rfc2231_parse(struct rfc822_parser *ctx, pool_t pool,
			   struct rfc822_param **params_r)
{
	ARRAY(struct rfc822_param) result;
	ARRAY(struct rfc2231_piece) pieces;
	const char *key, *value;
	unsigned int i, j, next;
	int ret;

	array_init(&result, pool, 8);
	array_init(&pieces, pool, 8);
	while ((ret = parse_content_param(ctx, pool, &key, &value)) != 0) {
		const char *p;
		struct rfc2231_piece piece = {0};

		if (ret < 0) {
			/* skip a byte and try to resync */
			if (ctx->data >= ctx->end)
				break;
			ctx->data++;
			continue;
		}
		p = strchr(key, '*');
		if (p != NULL) {
			const char *star = p;

			if (p[1] != '\0') {
				p++;
				for (; *p >= '0' && *p <= '9'; p++) {
					if (piece.idx < 100000)
						piece.idx =
						    piece.idx * 10 + (*p - '0');
				}
			}
			if (*p == '*') {
				piece.extended = true;
				p++;
			}
			if (*p != '\0') {
				p = NULL;
			} else {
				piece.key = p_strndup(pool, key, star - key);
				piece.value = value;
				array_push(&pieces, piece);
			}
		}
		if (p == NULL) {
			struct rfc822_param param = {key, value};

			array_push(&result, param);
		}
	}
	if (pieces.count > 0)
		qsort(pieces.items, pieces.count, sizeof(pieces.items[0]),
		      piece_cmp);
	for (i = 0; i < pieces.count; i = next) {
		const struct rfc2231_piece *pc = pieces.items;
		bool ok = true, have_ext = false;
		unsigned int next_idx = 0;

		for (j = i; j < pieces.count; j++) {
			if (strcasecmp(pc[i].key, pc[j].key) != 0)
				break;
			if (pc[j].idx != next_idx)
				ok = false;
			if (pc[j].extended)
				have_ext = true;
			next_idx++;
		}
		next = j;
		if (!ok) {
			for (j = i; j < next; j++) {
				struct rfc822_param param;

				param.name = p_strdup_printf(
				    pool, pc[j].extended ? "%s*%u*" : "%s*%u",
				    pc[j].key, pc[j].idx);
				param.value = pc[j].value;
				array_push(&result, param);
			}
		} else {
			string_t *str = str_new(pool, 64);
			struct rfc822_param param;

			if (!pc[i].extended && have_ext)
				str_append(str, "''");
			for (j = i; j < next; j++) {
				if (!pc[j].extended && have_ext)
					rfc2231_escape(str, pc[j].value);
				else
					str_append(str, pc[j].value);
			}
			param.name =
			    have_ext ? p_strconcat(pool, pc[i].key, "*", NULL)
				     : pc[i].key;
			param.value = str_c(str);
			array_push(&result, param);
		}
	}
	*params_r = result.items;
	return result.count;
}
