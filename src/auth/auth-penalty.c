/* auth-penalty.c - the per-IP penalty table: a hash table from the
 * normalised IP (IPv6 masked to its /48) to its penalty, the time of its
 * last failure and the checksums of its recent failed credentials. The
 * table is bounded: when full, expired entries are dropped, then the
 * oldest. */
#include "lib.h"
#include "hash.h"
#include "net.h"
#include "auth-penalty.h"

#include <openssl/evp.h>

struct penalty_entry {
	char *ip;
	unsigned int penalty;
	uint64_t last_msecs;
	uint32_t checksums[AUTH_PENALTY_CHECKSUM_COUNT];
	unsigned int checksum_pos;
};

struct auth_penalty {
	struct hash_table *ips; /* ip -> entry */
};

struct auth_penalty *auth_penalty_new(void)
{
	struct auth_penalty *penalty = i_malloc(sizeof(*penalty));

	penalty->ips = hash_table_create(NULL, 128, str_hash, str_cmp);
	return penalty;
}

static void entry_free(struct auth_penalty *penalty,
		       struct penalty_entry *entry)
{
	(void)hash_table_remove(penalty->ips, entry->ip);
	i_free(entry->ip);
	i_free(entry);
}

void auth_penalty_free(struct auth_penalty **_penalty)
{
	struct auth_penalty *penalty = *_penalty;
	struct hash_iterate_context *iter;
	const void *key;
	void *value;

	*_penalty = NULL;
	if (penalty == NULL)
		return;
	iter = hash_table_iterate_init(penalty->ips);
	while (hash_table_iterate(iter, &key, &value))
		entry_free(penalty, value);
	hash_table_iterate_deinit(&iter);
	hash_table_destroy(&penalty->ips);
	i_free(penalty);
}

unsigned int auth_penalty_to_secs(unsigned int penalty)
{
	unsigned int secs = AUTH_PENALTY_INIT_SECS;

	if (penalty == 0)
		return 0;
	for (unsigned int i = 1; i < penalty && secs < AUTH_PENALTY_MAX_SECS;
	     i++)
		secs *= 2;
	return secs < AUTH_PENALTY_MAX_SECS ? secs : AUTH_PENALTY_MAX_SECS;
}

/* The table key: the address in text form, IPv6 masked to /48; an
 * unparsable address is used as it is. */
static void ip_key(const char *ip, char *buf, size_t size)
{
	struct ip_addr addr;

	if (net_addr2ip(ip, &addr) < 0) {
		snprintf(buf, size, "%s", ip);
		return;
	}
	if (addr.family == AF_INET6) {
		unsigned int bytes = AUTH_PENALTY_IPV6_MASK_BITS / 8;

		memset(addr.u.ip6.s6_addr + bytes, 0, 16 - bytes);
		snprintf(buf, size, "%s/%u", net_ip2addr(&addr),
			 AUTH_PENALTY_IPV6_MASK_BITS);
		return;
	}
	snprintf(buf, size, "%s", net_ip2addr(&addr));
}

static struct penalty_entry *entry_find(struct auth_penalty *penalty,
					const char *ip, uint64_t now_msecs)
{
	struct penalty_entry *entry;
	char key[128];

	ip_key(ip, key, sizeof(key));
	entry = hash_table_lookup(penalty->ips, key);
	if (entry != NULL && now_msecs - entry->last_msecs >=
				 AUTH_PENALTY_EXPIRE_SECS * 1000ULL) {
		entry_free(penalty, entry);
		entry = NULL;
	}
	return entry;
}

unsigned int auth_penalty_get(struct auth_penalty *penalty, const char *ip)
{
	struct penalty_entry *entry = entry_find(penalty, ip, time_now_msecs());

	return entry == NULL ? 0 : entry->penalty;
}

unsigned int auth_penalty_delay_msecs(struct auth_penalty *penalty,
				      const char *ip, uint64_t now_msecs)
{
	struct penalty_entry *entry = entry_find(penalty, ip, now_msecs);
	uint64_t until;

	if (entry == NULL || entry->penalty == 0)
		return 0;
	until =
	    entry->last_msecs + auth_penalty_to_secs(entry->penalty) * 1000ULL;
	return until <= now_msecs ? 0 : (unsigned int)(until - now_msecs);
}

static void table_make_room(struct auth_penalty *penalty, uint64_t now_msecs)
{
	struct hash_iterate_context *iter;
	struct penalty_entry *oldest = NULL;
	const void *key;
	void *value;

	iter = hash_table_iterate_init(penalty->ips);
	while (hash_table_iterate(iter, &key, &value)) {
		struct penalty_entry *entry = value;

		if (now_msecs - entry->last_msecs >=
		    AUTH_PENALTY_EXPIRE_SECS * 1000ULL)
			entry_free(penalty, entry);
		else if (oldest == NULL ||
			 entry->last_msecs < oldest->last_msecs)
			oldest = entry;
	}
	hash_table_iterate_deinit(&iter);
	if (hash_table_count(penalty->ips) >= AUTH_PENALTY_MAX_IPS &&
	    oldest != NULL)
		entry_free(penalty, oldest);
}

void auth_penalty_update(struct auth_penalty *penalty, const char *ip,
			 bool success, uint32_t checksum, uint64_t now_msecs)
{
	struct penalty_entry *entry = entry_find(penalty, ip, now_msecs);
	char key[128];

	if (success) {
		if (entry != NULL)
			entry_free(penalty, entry);
		return;
	}
	if (entry == NULL) {
		if (hash_table_count(penalty->ips) >= AUTH_PENALTY_MAX_IPS)
			table_make_room(penalty, now_msecs);
		ip_key(ip, key, sizeof(key));
		entry = i_malloc(sizeof(*entry));
		entry->ip = i_strdup(key);
		hash_table_insert(penalty->ips, entry->ip, entry);
	}
	if (checksum != 0) {
		for (unsigned int i = 0; i < AUTH_PENALTY_CHECKSUM_COUNT; i++) {
			if (entry->checksums[i] == checksum) {
				/* the same wrong credentials again */
				entry->last_msecs = now_msecs;
				return;
			}
		}
		entry->checksums[entry->checksum_pos] = checksum;
		entry->checksum_pos =
		    (entry->checksum_pos + 1) % AUTH_PENALTY_CHECKSUM_COUNT;
	}
	if (entry->penalty < AUTH_PENALTY_MAX_PENALTY)
		entry->penalty++;
	entry->last_msecs = now_msecs;
}

uint32_t auth_penalty_checksum(const char *user, const char *password)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx;
	uint32_t sum;

	if (user == NULL || password == NULL)
		return 0;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, user, strlen(user) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, password, strlen(password)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len < 4) {
		EVP_MD_CTX_free(ctx);
		return 0;
	}
	EVP_MD_CTX_free(ctx);
	sum = ((uint32_t)md[0] << 24) | ((uint32_t)md[1] << 16) |
	      ((uint32_t)md[2] << 8) | md[3];
	safe_memset0(md, sizeof(md));
	return sum == 0 ? 1 : sum;
}
