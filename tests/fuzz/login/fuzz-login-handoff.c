/* fuzz-login-handoff.c - the hand-off LOGIN line and the answer line as
 * decoded from a peer. A decoded message must encode back to a line that
 * decodes to the same fields. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "login-handoff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pool_t pool = pool_create("fuzz", 1024);
	const char *line = p_strndup(pool, data, size);
	struct login_handoff h, h2;
	const char *error, *reason;
	pid_t pid;

	if (login_handoff_decode(pool, line, &h, &error) == 0) {
		string_t *str = str_new(pool, 256);

		login_handoff_encode(&h, str);
		str_truncate(str, str_len(str) - 1);
		i_assert(login_handoff_decode(pool, str_c(str), &h2, &error) ==
			 0);
		i_assert(h.auth_pid == h2.auth_pid && h.auth_id == h2.auth_id);
		i_assert(strcmp(h.session_id, h2.session_id) == 0);
		i_assert(h.leftover_size == h2.leftover_size);
		i_assert(h.leftover_size == 0 ||
			 memcmp(h.leftover, h2.leftover, h.leftover_size) == 0);
	}
	(void)login_handoff_parse_reply(pool, line, &pid, &reason);
	pool_unref(&pool);
	return 0;
}
