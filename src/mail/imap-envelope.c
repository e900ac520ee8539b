/* imap-envelope.c - ENVELOPE output (see the header). */
#include "imap-envelope.h"

#include "imap-quote.h"

void imap_write_address_list(const struct message_address *addr, string_t *dest)
{
	if (addr == NULL) {
		str_append(dest, "NIL");
		return;
	}
	str_append_c(dest, '(');
	for (; addr != NULL; addr = addr->next) {
		str_append_c(dest, '(');
		if (addr->name == NULL)
			str_append(dest, "NIL");
		else
			imap_append_string_for_humans(
			    dest, (const unsigned char *)addr->name,
			    strlen(addr->name));
		str_append_c(dest, ' ');
		imap_append_nstring_nolf(dest, addr->route);
		str_append_c(dest, ' ');
		imap_append_nstring_nolf(dest, addr->mailbox);
		str_append_c(dest, ' ');
		imap_append_nstring_nolf(dest, addr->domain);
		str_append_c(dest, ')');
	}
	str_append_c(dest, ')');
}

void imap_envelope_write(const struct message_part_envelope *env,
			 string_t *dest)
{
	if (env == NULL) {
		str_append(dest, "NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL");
		return;
	}
	imap_append_nstring_nolf(dest, env->date);
	str_append_c(dest, ' ');
	if (env->subject == NULL)
		str_append(dest, "NIL");
	else
		imap_append_string_for_humans(
		    dest, (const unsigned char *)env->subject,
		    strlen(env->subject));
	str_append_c(dest, ' ');
	imap_write_address_list(env->from, dest);
	str_append_c(dest, ' ');
	imap_write_address_list(env->sender != NULL ? env->sender : env->from,
				dest);
	str_append_c(dest, ' ');
	imap_write_address_list(
	    env->reply_to != NULL ? env->reply_to : env->from, dest);
	str_append_c(dest, ' ');
	imap_write_address_list(env->to, dest);
	str_append_c(dest, ' ');
	imap_write_address_list(env->cc, dest);
	str_append_c(dest, ' ');
	imap_write_address_list(env->bcc, dest);
	str_append_c(dest, ' ');
	imap_append_nstring_nolf(dest, env->in_reply_to);
	str_append_c(dest, ' ');
	imap_append_nstring_nolf(dest, env->message_id);
}
