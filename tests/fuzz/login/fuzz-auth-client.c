/* fuzz-auth-client.c - the auth server's lines as the login's auth client
 * parses them: the handshake until DONE, then replies. Input is split at
 * LF into lines. */
#include "lib.h"
#include "pool.h"
#include "auth-client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pool_t pool = pool_create("fuzz", 1024);
	struct auth_client_handshake hs;
	bool done = false;
	size_t start = 0;

	auth_client_handshake_init(&hs, pool);
	for (size_t i = 0; i <= size; i++) {
		const char *line, *error;
		struct auth_reply reply;

		if (i < size && data[i] != '\n')
			continue;
		line = p_strndup(pool, data + start, i - start);
		start = i + 1;
		if (!done) {
			int ret =
			    auth_client_handshake_input(&hs, line, &error);
			if (ret < 0)
				break;
			done = ret > 0;
			if (done)
				i_assert(hs.cookie != NULL &&
					 hs.server_pid > 0);
		} else if (auth_client_reply_parse(pool, line, &reply, &error) >
			   0) {
			i_assert(reply.id > 0);
			(void)auth_reply_field(&reply, "user");
		}
	}
	pool_unref(&pool);
	return 0;
}
