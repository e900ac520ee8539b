/* message-section.c - BODY[section] locating and header field filtering
 * (see the header). */
#include "message-section.h"

#include <ctype.h>
#include <strings.h>

static void range_header(const struct message_part *part,
			 struct message_section *s)
{
	s->part = part;
	s->offset = part->physical_pos;
	s->size = part->header_size.physical_size;
}

static void range_body(const struct message_part *part,
		       struct message_section *s)
{
	s->part = part;
	s->offset = part->physical_pos + part->header_size.physical_size;
	s->size = part->body_size.physical_size;
}

int message_section_find(const struct message_part *root, const char *section,
			 struct message_section *s, const char **error_r)
{
	const struct message_part *part = root;
	const char *p = section;
	bool have_numbers = false;

	memset(s, 0, sizeof(*s));
	/* section-part = nz-number *("." nz-number) */
	while (isdigit((unsigned char)*p)) {
		unsigned long num = 0;

		while (isdigit((unsigned char)*p)) {
			num = num * 10 + (unsigned long)(*p++ - '0');
			if (num > 100000) {
				*error_r = "Invalid section number";
				return -1;
			}
		}
		if (num == 0) {
			*error_r = "Invalid section number";
			return -1;
		}
		/* inside a message/rfc822 part the numbers go on in the
		 * encapsulated message */
		if (have_numbers &&
		    (part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) != 0)
			part = part->children;
		if ((part->flags & MESSAGE_PART_FLAG_MULTIPART) != 0) {
			part = part->children;
			for (; num > 1 && part != NULL; num--)
				part = part->next;
		} else if (num != 1) {
			part = NULL;
		} else if (p[0] == '.' && isdigit((unsigned char)p[1]) &&
			   (part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) ==
			       0) {
			/* a part that is neither multipart nor message/rfc822
			 * has only "1", and only as the last number: "1.1"
			 * of a one-part message does not exist (RFC 3501
			 * section 6.4.5; as Dovecot answers), while "1.1"
			 * of a multipart whose first part is text is that
			 * part ("1" then "1" of a leaf) */
			part = NULL;
		}
		if (part == NULL) {
			*error_r = "No such part";
			return -1;
		}
		have_numbers = true;
		if (*p == '\0')
			break;
		if (*p++ != '.' || *p == '\0') {
			*error_r = "Invalid section";
			return -1;
		}
	}

	if (*p == '\0') {
		s->kind = MESSAGE_SECTION_BODY;
		if (!have_numbers) {
			s->part = root;
			s->offset = 0;
			s->size = root->header_size.physical_size +
				  root->body_size.physical_size;
		} else {
			range_body(part, s);
		}
		return 0;
	}
	if (strcasecmp(p, "MIME") == 0) {
		if (!have_numbers) {
			*error_r = "MIME needs a part number";
			return -1;
		}
		s->kind = MESSAGE_SECTION_MIME;
		range_header(part, s);
		return 0;
	}
	if (have_numbers) {
		/* N.HEADER / N.TEXT apply to a message/rfc822 part */
		if ((part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) == 0 ||
		    part->children == NULL) {
			*error_r = "Part is not a message/rfc822";
			return -1;
		}
		part = part->children;
	}
	if (strcasecmp(p, "TEXT") == 0) {
		s->kind = MESSAGE_SECTION_TEXT;
		range_body(part, s);
		return 0;
	}
	if (strcasecmp(p, "HEADER") == 0) {
	} else if (strcasecmp(p, "HEADER.FIELDS") == 0) {
		s->header_fields = true;
	} else if (strcasecmp(p, "HEADER.FIELDS.NOT") == 0) {
		s->header_fields = true;
		s->header_fields_not = true;
	} else {
		*error_r = "Invalid section text";
		return -1;
	}
	s->kind = MESSAGE_SECTION_HEADER;
	range_header(part, s);
	return 0;
}

/* Length of the line at data (including its LF, if any). */
static size_t line_len(const unsigned char *data, size_t size)
{
	const unsigned char *lf = memchr(data, '\n', size);

	return lf == NULL ? size : (size_t)(lf - data) + 1;
}

/* Appends a line without its line break, then CRLF. */
static void append_line_crlf(string_t *dest, const unsigned char *line,
			     size_t len)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	str_append_n(dest, line, len);
	str_append(dest, "\r\n");
}

static bool field_matches(const unsigned char *line, size_t len,
			  const char *const *fields)
{
	const unsigned char *colon = memchr(line, ':', len);
	size_t name_len;

	if (colon == NULL)
		return false;
	name_len = colon - line;
	while (name_len > 0 &&
	       (line[name_len - 1] == ' ' || line[name_len - 1] == '\t'))
		name_len--;
	for (; *fields != NULL; fields++) {
		if (strlen(*fields) == name_len &&
		    strncasecmp(*fields, (const char *)line, name_len) == 0)
			return true;
	}
	return false;
}

void message_header_filter(const unsigned char *hdr, size_t size,
			   const char *const *fields, bool not_, string_t *dest)
{
	size_t pos = 0;
	bool keep = false;

	while (pos < size) {
		size_t len = line_len(hdr + pos, size - pos);
		const unsigned char *line = hdr + pos;

		if (len == 1 || (len == 2 && line[0] == '\r'))
			break; /* the empty line ending the header */
		if (line[0] != ' ' && line[0] != '\t')
			keep = field_matches(line, len, fields) != not_;
		if (keep)
			append_line_crlf(dest, line, len);
		pos += len;
	}
	str_append(dest, "\r\n");
}

const char *message_header_get_first(pool_t pool, const unsigned char *hdr,
				     size_t size, const char *name)
{
	const char *const fields[] = {name, NULL};
	size_t pos = 0;
	string_t *value = NULL;

	while (pos < size) {
		size_t len = line_len(hdr + pos, size - pos);
		const unsigned char *line = hdr + pos;

		if (len == 1 || (len == 2 && line[0] == '\r'))
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			if (value != NULL) {
				for (size_t i = 0; i < len; i++) {
					if (line[i] != '\r' && line[i] != '\n')
						str_append_c(value,
							     (char)line[i]);
				}
			}
		} else if (value != NULL) {
			break;
		} else if (field_matches(line, len, fields)) {
			const unsigned char *v = memchr(line, ':', len) + 1;
			size_t vlen = len - (size_t)(v - line);

			while (vlen > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vlen--;
			}
			value = str_new(pool, vlen + 1);
			for (size_t i = 0; i < vlen; i++) {
				if (v[i] != '\r' && v[i] != '\n')
					str_append_c(value, (char)v[i]);
			}
		}
		pos += len;
	}
	return value == NULL ? NULL : str_c(value);
}
