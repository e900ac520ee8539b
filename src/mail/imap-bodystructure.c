/* imap-bodystructure.c - BODYSTRUCTURE / BODY output (see the header). */
#include "imap-bodystructure.h"

#include <inttypes.h>
#include <strings.h>

#include "imap-envelope.h"
#include "imap-quote.h"
#include "message-part-data.h"

#define EMPTY_BODY                                                             \
	"(\"text\" \"plain\" (\"charset\" \"" MESSAGE_PART_DEFAULT_CHARSET     \
	"\") NIL NIL \"7bit\" 0 0)"
#define EMPTY_BODYSTRUCTURE                                                    \
	"(\"text\" \"plain\" (\"charset\" \"" MESSAGE_PART_DEFAULT_CHARSET     \
	"\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"

static void params_write(const struct rfc822_param *params, unsigned int count,
			 string_t *dest, bool default_charset)
{
	bool seen_charset = false;
	unsigned int i;

	if (!default_charset && count == 0) {
		str_append(dest, "NIL");
		return;
	}
	str_append_c(dest, '(');
	for (i = 0; i < count; i++) {
		if (i > 0)
			str_append_c(dest, ' ');
		if (default_charset &&
		    strcasecmp(params[i].name, "charset") == 0)
			seen_charset = true;
		mail_imap_append_string(dest, params[i].name);
		str_append_c(dest, ' ');
		mail_imap_append_string(dest, params[i].value);
	}
	if (default_charset && !seen_charset) {
		if (i > 0)
			str_append_c(dest, ' ');
		str_append(dest,
			   "\"charset\" \"" MESSAGE_PART_DEFAULT_CHARSET "\"");
	}
	str_append_c(dest, ')');
}

/* disposition, language, location */
static void write_common_ext(const struct message_part_data *data,
			     string_t *dest)
{
	str_append_c(dest, ' ');
	if (data->content_disposition == NULL) {
		str_append(dest, "NIL");
	} else {
		str_append_c(dest, '(');
		mail_imap_append_string(dest, data->content_disposition);
		str_append_c(dest, ' ');
		params_write(data->content_disposition_params,
			     data->content_disposition_params_count, dest,
			     false);
		str_append_c(dest, ')');
	}
	str_append_c(dest, ' ');
	if (data->content_language == NULL) {
		str_append(dest, "NIL");
	} else {
		str_append_c(dest, '(');
		for (unsigned int i = 0; data->content_language[i] != NULL;
		     i++) {
			if (i > 0)
				str_append_c(dest, ' ');
			mail_imap_append_string(dest,
						data->content_language[i]);
		}
		str_append_c(dest, ')');
	}
	str_append_c(dest, ' ');
	imap_append_nstring_nolf(dest, data->content_location);
}

static void write_part(const struct message_part *part, string_t *dest,
		       bool extended);

static void write_multipart(const struct message_part *part, string_t *dest,
			    bool extended)
{
	const struct message_part_data *data = part->data;

	if (part->children == NULL)
		str_append(dest, extended ? EMPTY_BODYSTRUCTURE : EMPTY_BODY);
	for (const struct message_part *c = part->children; c != NULL;
	     c = c->next) {
		str_append_c(dest, '(');
		write_part(c, dest, extended);
		str_append_c(dest, ')');
	}
	str_append_c(dest, ' ');
	mail_imap_append_string(dest, data->content_subtype);
	if (!extended)
		return;
	str_append_c(dest, ' ');
	params_write(data->content_type_params, data->content_type_params_count,
		     dest, false);
	write_common_ext(data, dest);
}

static void write_leaf(const struct message_part *part, string_t *dest,
		       bool extended)
{
	const struct message_part_data *data = part->data;
	bool text;

	if ((part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) != 0) {
		str_append(dest, "\"message\" \"rfc822\"");
		text = false;
	} else if (data->content_type == NULL) {
		str_append(dest, "\"text\" \"plain\"");
		text = true;
	} else {
		text = strcasecmp(data->content_type, "text") == 0;
		mail_imap_append_string(dest, data->content_type);
		str_append_c(dest, ' ');
		mail_imap_append_string(dest, data->content_subtype);
	}
	str_append_c(dest, ' ');
	params_write(data->content_type_params, data->content_type_params_count,
		     dest, text);
	str_append_c(dest, ' ');
	imap_append_nstring_nolf(dest, data->content_id);
	str_append_c(dest, ' ');
	imap_append_nstring_nolf(dest, data->content_description);
	str_append_c(dest, ' ');
	if (data->content_transfer_encoding != NULL)
		mail_imap_append_string(dest, data->content_transfer_encoding);
	else
		str_append(dest, "\"7bit\"");
	str_printfa(dest, " %" PRIu64, part->body_size.virtual_size);

	if (text) {
		str_printfa(dest, " %" PRIu64, part->body_size.lines);
	} else if ((part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) != 0) {
		const struct message_part *child = part->children;

		i_assert(child != NULL);
		str_append(dest, " (");
		imap_envelope_write(child->data->envelope, dest);
		str_append(dest, ") (");
		write_part(child, dest, extended);
		str_printfa(dest, ") %" PRIu64, part->body_size.lines);
	}
	if (!extended)
		return;
	str_append_c(dest, ' ');
	imap_append_nstring_nolf(dest, data->content_md5);
	write_common_ext(data, dest);
}

static void write_part(const struct message_part *part, string_t *dest,
		       bool extended)
{
	if ((part->flags & MESSAGE_PART_FLAG_MULTIPART) != 0)
		write_multipart(part, dest, extended);
	else
		write_leaf(part, dest, extended);
}

void imap_bodystructure_write(const struct message_part *part, string_t *dest,
			      bool extended)
{
	write_part(part, dest, extended);
}
