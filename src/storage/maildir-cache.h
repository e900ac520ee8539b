/* maildir-cache.h - the per-mailbox cache of what FETCH and SEARCH read
 * from messages: ENVELOPE, BODYSTRUCTURE, BODY and the common header
 * fields (maildir-message.h), in the mailbox's index directory beside
 * loft.index.
 *
 *   loft.cache      header (magic, version, UIDVALIDITY, CRC-32), then
 *                   records appended in any order: magic, UID, payload
 *                   length, CRC-32 of UID + length + payload, payload
 *   loft.cache.idx  header (magic, version, UIDVALIDITY, CRC-32), then
 *                   fixed-size entries: UID, offset of its record in
 *                   loft.cache, CRC-32 of both
 *
 * A record is full (all fields) or header-only (the IMAP fields NULL:
 * written by searches, which read only the message's header block; a
 * FETCH of ENVELOPE or BODYSTRUCTURE parses the message and appends a
 * full record, which wins as the later one).
 *
 * A handle reads loft.cache.idx (16 bytes a message) on its first lookup
 * and then only what others appended since; loft.cache is mapped
 * read-only (it only grows; it is replaced by renames, never truncated
 * in place) and each record's CRC is checked on its first use only.
 * Appends are made under an flock() of loft.cache by whichever session
 * parsed the message first; header-only records are batched, many per
 * append.
 *
 * Crash safety: nothing is fsynced - the cache is rebuilt from the
 * messages. A torn append leaves a record or entry whose CRC fails; every
 * record read is checked (magic, UID, length, CRC) and a bad one is a
 * miss, so a damaged file costs a re-parse, never a wrong answer. Files
 * of another UIDVALIDITY or with a bad header are replaced by empty ones
 * (written to a temp file and renamed). When expunged messages leave the
 * data file mostly dead, it is compacted the same way.
 *
 * Used by maildir-message.c; not an API for protocols. */
#ifndef LOFT_MAILDIR_CACHE_H
#define LOFT_MAILDIR_CACHE_H

#include "lib.h"
#include "pool.h"

struct mailbox;
struct maildir_message_fields;

#define MAILDIR_CACHE_FNAME "loft.cache"
#define MAILDIR_CACHE_IDX_FNAME "loft.cache.idx"
/* A message whose fields take more than this is not cached. */
#define MAILDIR_CACHE_MAX_RECORD (8 * 1024 * 1024)

/* Looks up uid: true with *fields_r (strings from pool) when cached. */
bool maildir_cache_lookup(struct mailbox *box, uint32_t uid, pool_t pool,
			  struct maildir_message_fields *fields_r);
/* One cached header field of uid (idx into maildir_message_cached_headers):
 * 1 with *value_r from pool (NULL when the message has no such field)
 * when uid has a record, full or header-only; 0 when it has none. */
int maildir_cache_lookup_header(struct mailbox *box, uint32_t uid,
				unsigned int idx, pool_t pool,
				const char **value_r);
/* Adds uid's fields (failures are logged and otherwise ignored). */
void maildir_cache_add(struct mailbox *box, uint32_t uid,
		       const struct maildir_message_fields *fields);
/* Adds a header-only record for uid (fields->headers; fields->imap is
 * ignored): kept in memory and written with the next
 * CACHE_PENDING_MAX_RECORDS others in one append, or by
 * maildir_cache_flush(), maildir_cache_add() and maildir_cache_deinit(). */
void maildir_cache_add_headers(struct mailbox *box, uint32_t uid,
			       const struct maildir_message_fields *fields);
/* Writes the pending header-only records. */
void maildir_cache_flush(struct mailbox *box);
/* Rewrites loft.cache without the records of messages no longer in the
 * view when they take most of it. Called after syncs that expunged. */
void maildir_cache_compact_if_needed(struct mailbox *box);
/* Closes the files and frees the handle's cache state. */
void maildir_cache_deinit(struct mailbox *box);

/* Checks and decodes one record payload. Exposed for unit tests and the
 * fuzz target: returns true when payload is well-formed. */
bool maildir_cache_payload_decode(const unsigned char *payload, size_t size,
				  pool_t pool,
				  struct maildir_message_fields *fields_r);

#endif
