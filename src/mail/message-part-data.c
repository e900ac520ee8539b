/* message-part-data.c - Content-* and envelope fields of a part (see the
 * header). Parsing is lenient in the ways Dovecot is, so that BODYSTRUCTURE
 * and ENVELOPE come out the same for broken headers. */
#include "message-part-data.h"

#include <limits.h>
#include <strings.h>

#include "array.h"
#include "str.h"

const char *message_header_strdup(pool_t pool, const unsigned char *value,
				  size_t len)
{
	string_t *str;

	if (memchr(value, '\0', len) == NULL)
		return p_strndup(pool, value, len);
	str = str_new(pool, len + 8);
	for (size_t i = 0; i < len; i++) {
		if (value[i] == '\0')
			str_append(str, "\xEF\xBF\xBD");
		else
			str_append_c(str, (char)value[i]);
	}
	return str_c(str);
}

const char *message_part_data_get_param(const struct message_part_data *data,
					const char *name)
{
	for (unsigned int i = 0; i < data->content_type_params_count; i++) {
		if (strcasecmp(data->content_type_params[i].name, name) == 0)
			return data->content_type_params[i].value;
	}
	return NULL;
}

static void parse_content_type(struct message_part_data *data, pool_t pool,
			       const struct message_header_line *hdr)
{
	struct rfc822_parser parser;
	struct rfc822_param *params;
	string_t *str = str_new(pool, 64);
	const char *value, *slash;
	int ret;

	rfc822_parser_init(&parser, hdr->value, hdr->value_len, NULL);
	(void)rfc822_skip_lwsp(&parser);
	ret = rfc822_parse_content_type(&parser, str);
	value = str_c(str);
	slash = strchr(value, '/');
	if (slash == NULL) {
		/* "type" alone: kept with an empty subtype */
		if (value[0] == '\0')
			return;
		data->content_type = value;
		data->content_subtype = "";
		return;
	}
	data->content_type = p_strndup(pool, value, slash - value);
	data->content_subtype = p_strdup(pool, slash + 1);
	if (ret < 0)
		return;
	data->content_type_params_count = rfc2231_parse(&parser, pool, &params);
	data->content_type_params = params;
}

static void
parse_content_transfer_encoding(struct message_part_data *data, pool_t pool,
				const struct message_header_line *hdr)
{
	struct rfc822_parser parser;
	string_t *str = str_new(pool, 32);

	rfc822_parser_init(&parser, hdr->value, hdr->value_len, NULL);
	(void)rfc822_skip_lwsp(&parser);
	if (rfc822_parse_mime_token(&parser, str) >= 0 &&
	    rfc822_skip_lwsp(&parser) == 0 && str_len(str) > 0)
		data->content_transfer_encoding = str_c(str);
}

static void parse_content_disposition(struct message_part_data *data,
				      pool_t pool,
				      const struct message_header_line *hdr)
{
	struct rfc822_parser parser;
	struct rfc822_param *params;
	string_t *str = str_new(pool, 32);

	rfc822_parser_init(&parser, hdr->value, hdr->value_len, NULL);
	(void)rfc822_skip_lwsp(&parser);
	if (rfc822_parse_mime_token(&parser, str) < 0)
		return;
	data->content_disposition = str_c(str);
	data->content_disposition_params_count =
	    rfc2231_parse(&parser, pool, &params);
	data->content_disposition_params = params;
}

static void parse_content_language(struct message_part_data *data, pool_t pool,
				   const unsigned char *value, size_t len)
{
	struct rfc822_parser parser;
	ARRAY(const char *) langs;
	string_t *str = str_new(pool, 32);

	/* Content-Language: 1#Language-tag (RFC 3282) */
	rfc822_parser_init(&parser, value, len, NULL);
	array_init(&langs, pool, 4);
	(void)rfc822_skip_lwsp(&parser);
	while (rfc822_parse_atom(&parser, str) >= 0) {
		array_push(&langs, p_strdup(pool, str_c(str)));
		str_truncate(str, 0);
		if (parser.data >= parser.end || *parser.data != ',')
			break;
		parser.data++;
		(void)rfc822_skip_lwsp(&parser);
	}
	if (langs.count > 0) {
		array_push(&langs, NULL);
		data->content_language = langs.items;
	}
}

static void parse_content_header(struct message_part_data *data, pool_t pool,
				 const struct message_header_line *hdr)
{
	const char *name = hdr->name + 8;

	if (strcasecmp(name, "ID") == 0) {
		if (data->content_id == NULL)
			data->content_id = message_header_strdup(
			    pool, hdr->value, hdr->value_len);
	} else if (strcasecmp(name, "MD5") == 0) {
		if (data->content_md5 == NULL)
			data->content_md5 = message_header_strdup(
			    pool, hdr->value, hdr->value_len);
	} else if (strcasecmp(name, "Type") == 0) {
		if (!data->seen_content_type) {
			data->seen_content_type = true;
			parse_content_type(data, pool, hdr);
		}
	} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
		if (data->content_transfer_encoding == NULL)
			parse_content_transfer_encoding(data, pool, hdr);
	} else if (strcasecmp(name, "Language") == 0) {
		if (data->content_language == NULL)
			parse_content_language(data, pool, hdr->value,
					       hdr->value_len);
	} else if (strcasecmp(name, "Location") == 0) {
		if (data->content_location == NULL)
			data->content_location = message_header_strdup(
			    pool, hdr->value, hdr->value_len);
	} else if (strcasecmp(name, "Description") == 0) {
		if (data->content_description == NULL)
			data->content_description = message_header_strdup(
			    pool, hdr->value, hdr->value_len);
	} else if (strcasecmp(name, "Disposition") == 0) {
		if (!data->seen_disposition) {
			data->seen_disposition = true;
			parse_content_disposition(data, pool, hdr);
		}
	}
}

static void parse_envelope_header(pool_t pool,
				  struct message_part_envelope *env,
				  const struct message_header_line *hdr)
{
	const char *name = hdr->name, **str_p = NULL;
	struct message_address **addr_p = NULL;

	if (strcasecmp(name, "Date") == 0)
		str_p = &env->date;
	else if (strcasecmp(name, "Subject") == 0)
		str_p = &env->subject;
	else if (strcasecmp(name, "In-Reply-To") == 0)
		str_p = &env->in_reply_to;
	else if (strcasecmp(name, "Message-ID") == 0)
		str_p = &env->message_id;
	else if (strcasecmp(name, "From") == 0)
		addr_p = &env->from;
	else if (strcasecmp(name, "Sender") == 0)
		addr_p = &env->sender;
	else if (strcasecmp(name, "Reply-To") == 0)
		addr_p = &env->reply_to;
	else if (strcasecmp(name, "To") == 0)
		addr_p = &env->to;
	else if (strcasecmp(name, "Cc") == 0)
		addr_p = &env->cc;
	else if (strcasecmp(name, "Bcc") == 0)
		addr_p = &env->bcc;

	if (str_p != NULL) {
		*str_p =
		    message_header_strdup(pool, hdr->value, hdr->value_len);
	} else if (addr_p != NULL) {
		while (*addr_p != NULL)
			addr_p = &(*addr_p)->next;
		*addr_p = message_address_parse(
		    pool, hdr->value, hdr->value_len, UINT_MAX,
		    MESSAGE_ADDRESS_PARSE_FLAG_FILL_MISSING);
	}
}

void message_part_data_parse_header(pool_t pool, struct message_part *part,
				    const struct message_header_line *hdr)
{
	struct message_part_data *data;
	bool want_envelope =
	    part->parent == NULL ||
	    (part->parent->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) != 0;

	if (part->data == NULL)
		part->data = p_new(pool, struct message_part_data, 1);
	data = part->data;
	if (strncasecmp(hdr->name, "Content-", 8) == 0)
		parse_content_header(data, pool, hdr);
	if (want_envelope) {
		if (data->envelope == NULL)
			data->envelope =
			    p_new(pool, struct message_part_envelope, 1);
		parse_envelope_header(pool, data->envelope, hdr);
	}
}
