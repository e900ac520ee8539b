/* auth-penalty.h - failed-authentication penalty per remote IP, as
 * Dovecot documents it: each failure from an IP raises its penalty; the
 * next authentication from that IP starts only after
 * AUTH_PENALTY_INIT_SECS doubled per further failure (2, 4, 8 s), capped
 * at AUTH_PENALTY_MAX_SECS (15 s), counted from the last failure. A
 * success resets the IP. A failure with the same user name and password
 * as one of the IP's last AUTH_PENALTY_CHECKSUM_COUNT failures does not
 * raise the penalty (a client retrying a wrong saved password). IPv6
 * addresses share a penalty per /48. Penalties are forgotten after
 * AUTH_PENALTY_EXPIRE_SECS without failures.
 *
 * Not here: which requests are exempt (no-penalty, nodelay,
 * login_trusted_networks: the caller decides), the delay itself
 * (auth-client-connection.c). */
#ifndef LOFT_AUTH_PENALTY_H
#define LOFT_AUTH_PENALTY_H

#include "lib.h"

#define AUTH_PENALTY_INIT_SECS 2
#define AUTH_PENALTY_MAX_SECS 15
#define AUTH_PENALTY_MAX_PENALTY 4
#define AUTH_PENALTY_EXPIRE_SECS 3600
#define AUTH_PENALTY_IPV6_MASK_BITS 48
#define AUTH_PENALTY_CHECKSUM_COUNT 10
#define AUTH_PENALTY_MAX_IPS 100000

struct auth_penalty;

struct auth_penalty *auth_penalty_new(void);
void auth_penalty_free(struct auth_penalty **penalty);

/* Seconds of delay for a penalty value (0 = none). */
unsigned int auth_penalty_to_secs(unsigned int penalty);
/* Current penalty of ip (0 = none or unknown). */
unsigned int auth_penalty_get(struct auth_penalty *penalty, const char *ip);
/* Milliseconds the next authentication from ip must wait, at now_msecs. */
unsigned int auth_penalty_delay_msecs(struct auth_penalty *penalty,
				      const char *ip, uint64_t now_msecs);
/* Records a failure (raising the penalty unless checksum, a hash of user
 * name and password, 0 = unknown, matches a recent failure) or a success
 * (forgetting the IP). */
void auth_penalty_update(struct auth_penalty *penalty, const char *ip,
			 bool success, uint32_t checksum, uint64_t now_msecs);
/* A checksum of user name and password for auth_penalty_update(). */
uint32_t auth_penalty_checksum(const char *user, const char *password);

#endif
