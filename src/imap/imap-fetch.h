/* imap-fetch.h - FETCH (RFC 3501 section 6.4.5, RFC 9051 section 6.4.5):
 * parsing the items a client asks for, and writing "* n FETCH (...)"
 * responses for the messages of a mailbox, streaming bodies.
 *
 * Parsing is pure: the arguments after the sequence set (a macro, one
 * item or a list of items, then an optional list of modifiers: RFC 7162
 * CHANGEDSINCE and VANISHED) become a request. Items are written in
 * Dovecot's order: UID first for UID FETCH, then the small items (UID,
 * FLAGS, INTERNALDATE, RFC822.SIZE, MODSEQ) in the order asked, then the
 * rest in the order asked.
 *
 * Writing is resumable: imap_fetch_more() writes through an output whose
 * wait() says when to stop, and continues where it stopped on the next
 * call. Bodies go out as literals read from the message file in small
 * chunks, line endings converted to CR LF on the fly (sizes are the CRLF
 * sizes) straight into the output's buffer when it offers one, so memory
 * stays flat whatever the message size. BINARY
 * (RFC 3516) decodes base64 and quoted-printable parts the same way.
 *
 * It does not answer the command (cmd-fetch.c does) and knows nothing of
 * the session beyond the output. */
#ifndef LOFT_IMAP_FETCH_H
#define LOFT_IMAP_FETCH_H

#include "lib.h"
#include "pool.h"
#include "str.h"

struct imap_arg;
struct imap_seqset;
struct mailbox;
struct mail_record;

enum imap_fetch_item_type {
	IMAP_FETCH_ITEM_UID,
	IMAP_FETCH_ITEM_FLAGS,
	IMAP_FETCH_ITEM_INTERNALDATE,
	IMAP_FETCH_ITEM_RFC822_SIZE,
	IMAP_FETCH_ITEM_MODSEQ,
	IMAP_FETCH_ITEM_ENVELOPE,
	IMAP_FETCH_ITEM_BODYSTRUCTURE,
	IMAP_FETCH_ITEM_BODY,
	/* BODY[section]<partial>, BINARY[...], RFC822, RFC822.HEADER,
	 * RFC822.TEXT */
	IMAP_FETCH_ITEM_SECTION,
	IMAP_FETCH_ITEM_BINARY_SIZE,
};

struct imap_fetch_item {
	enum imap_fetch_item_type type;
	/* SECTION, BINARY_SIZE: the name the response carries, e.g.
	 * "BODY[HEADER.FIELDS (FROM TO)]<0>", "BINARY[2]", "RFC822.TEXT" */
	const char *name;
	/* the section text up to a field list: "", "1.2", "HEADER.FIELDS",
	 * "2.MIME" (upper case) */
	const char *section;
	/* HEADER.FIELDS[.NOT]: the field names, NULL-terminated */
	const char *const *fields;
	bool binary; /* BINARY[...] / BINARY.SIZE */
	bool peek;   /* does not set \Seen */
	bool partial;
	uint64_t partial_offset, partial_size;
};

struct imap_fetch_request {
	/* in output order */
	struct imap_fetch_item *items;
	unsigned int count;
	/* some item sets \Seen (BODY[...] without PEEK, RFC822, RFC822.TEXT,
	 * BINARY[...]): FLAGS is then reported when \Seen changed */
	bool set_seen;
	/* an item needs the message's MIME tree (sections other than the
	 * whole message, BINARY); ENVELOPE and BODY[STRUCTURE] come from
	 * the mailbox's cache */
	bool need_parse;
	/* MODSEQ was asked or implied: CONDSTORE gets enabled */
	bool modseq;
	/* (CHANGEDSINCE n) (RFC 7162 section 3.1.4.1) */
	bool changedsince_set;
	uint64_t changedsince;
	/* (VANISHED) (RFC 7162 section 3.2.6); only with UID FETCH and
	 * CHANGEDSINCE, which the parser checks; QRESYNC being enabled is
	 * the caller's to check */
	bool vanished;
};

/* Parses the arguments after the sequence set (args ends with
 * IMAP_ARG_EOL). uid_cmd: UID FETCH (UID is then written first). Returns
 * 0, or -1 with *error_r for the text of "BAD Error in IMAP command FETCH:
 * <error>". */
int imap_fetch_parse(pool_t pool, const struct imap_arg *args, bool uid_cmd,
		     struct imap_fetch_request *req_r, const char **error_r);

/* Where responses go. */
struct imap_fetch_output {
	/* Returns true when fewer than need bytes can be written now: the
	 * writer stops and imap_fetch_more() returns 0. */
	bool (*wait)(void *context, size_t need);
	/* Writes bytes; called only after wait() returned false for at
	 * least that many. */
	void (*write)(void *context, const void *data, size_t size);
	/* Optional (both or neither), for bodies converted on the way out
	 * (BODY[] and its sections without a partial): reserve() returns
	 * where at least min_size (<= 8192) bytes can be written now, with
	 * *size_r the whole room there, or NULL when they do not fit (the
	 * writer then asks wait(min_size)); commit() appends the size bytes
	 * written there (<= *size_r). Nothing else is called in between. */
	unsigned char *(*reserve)(void *context, size_t min_size,
				  size_t *size_r);
	void (*commit)(void *context, size_t size);
	void *context;
};

struct imap_fetch_ctx;

/* Starts writing FETCH responses for the messages of box in set
 * (resolved; UIDs when uid_set, else seqs that all exist). readonly: do
 * not set \Seen (EXAMINE). tz_minutes: the zone INTERNALDATE is shown in.
 * The context is allocated from pool and holds req and set. */
struct imap_fetch_ctx *imap_fetch_begin(pool_t pool, struct mailbox *box,
					const struct imap_fetch_request *req,
					const struct imap_seqset *set,
					bool uid_set, bool readonly,
					int tz_minutes,
					const struct imap_fetch_output *output);
/* FLAGS shows \Recent for the messages recent in the session
 * (mailbox_is_recent(); RFC 3501 section 2.3.2). Off by default: IMAP4rev2
 * has no \Recent. Call before imap_fetch_more(). */
void imap_fetch_set_show_recent(struct imap_fetch_ctx *ctx, bool show);
/* Writes more. Returns 1 when every message was written, 0 when the
 * output said wait (call again later), -1 on a storage error that leaves
 * the response stream broken (*error_r for the log: the session must be
 * closed). */
int imap_fetch_more(struct imap_fetch_ctx *ctx, const char **error_r);
/* After imap_fetch_more() returned 1: messages skipped because their
 * file was gone (expunged by another session meanwhile). */
unsigned int imap_fetch_get_expunged_count(const struct imap_fetch_ctx *ctx);
/* After imap_fetch_more() returned 1: messages skipped because a BINARY
 * item's part has a Content-Transfer-Encoding we cannot decode (answer
 * "NO [UNKNOWN-CTE]", RFC 3516 section 4.3). */
bool imap_fetch_get_unknown_cte(const struct imap_fetch_ctx *ctx);
/* Messages and body bytes written, for the logout statistics. */
unsigned int imap_fetch_get_count(const struct imap_fetch_ctx *ctx);
uint64_t imap_fetch_get_bytes(const struct imap_fetch_ctx *ctx);
/* Releases the open message file. Safe at any point. */
void imap_fetch_deinit(struct imap_fetch_ctx **ctx);

/* "(\Answered \Flagged \Deleted \Seen \Draft \Recent keyword...)" of a
 * record; \Recent only when recent (the caller's: the message is recent in
 * the session, which is not in IMAP4rev2 mode - RFC 9051 has no \Recent). */
void imap_write_flags(string_t *dest, const struct mailbox *box,
		      const struct mail_record *rec, bool recent);

/* The seq of the first message whose UID is >= uid, or count + 1 when
 * none. O(log n). */
unsigned int imap_fetch_seq_from_uid(const struct mailbox *box, uint32_t uid);

/* ---- session helpers shared by FETCH, STORE, COPY and MOVE
 * (cmd-fetch.c) ---- */
struct client;
struct client_command;

/* Parses and resolves the message set arg of cmd: seqs (all must exist,
 * as Dovecot requires) or, with UID or "$" (RFC 5182, the saved result),
 * UIDs (*uid_r set; those not in the mailbox are ignored). Returns 0, or
 * -1 after answering "BAD". */
int cmd_get_msgset(struct client_command *cmd, const struct imap_arg *arg,
		   struct imap_seqset *set_r, bool *uid_r);
/* The seqs of the messages in a resolved set, ascending, a range at a
 * time (never one number at a time over a huge UID range). */
struct cmd_msgset_iter {
	struct mailbox *box;
	const struct imap_seqset *set;
	bool uid;
	unsigned int range_idx, next_seq;
};
void cmd_msgset_iter_init(struct cmd_msgset_iter *iter, struct mailbox *box,
			  const struct imap_seqset *set, bool uid);
bool cmd_msgset_iter_next(struct cmd_msgset_iter *iter, unsigned int *seq_r);
/* Enables CONDSTORE if not yet and sends "* OK [HIGHESTMODSEQ n]" (RFC
 * 7162 section 3.1). */
void cmd_enable_condstore(struct client *client);

#endif
