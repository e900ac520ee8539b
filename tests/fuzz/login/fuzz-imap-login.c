/* fuzz-imap-login.c - imap-login's pre-login command handling: bytes go
 * through the IMAP parser with imap_parser_prelogin_settings in chunks
 * whose size the first input byte chooses (so that literals, CR LF and
 * continuations are split anywhere), and every command is looked up and
 * checked as imap-login-client.c does; ID commands also build the reply.
 * Invariants: consumed never exceeds the chunk, the parser's memory stays
 * under its pre-login bound, a parsed LOGIN has both strings, and an
 * error always carries a text. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "imap-parser.h"
#include "imap-login-cmd.h"

/* The pre-login line limit plus the parser's bookkeeping for 128 args. */
#define FUZZ_PARSER_MEMORY_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_command(pool_t pool, const struct imap_parser_event *ev)
{
	struct imap_login_cmd cmd;
	const char *error;
	int ret;

	i_assert(ev->tag != NULL && ev->name != NULL);
	ret = imap_login_cmd_parse(pool, ev->name, ev->args, &cmd, &error);
	if (ret <= 0) {
		i_assert(error != NULL);
		return;
	}
	if (cmd.type == IMAP_LOGIN_CMD_LOGIN)
		i_assert(cmd.user != NULL && cmd.password != NULL);
	if (cmd.type == IMAP_LOGIN_CMD_AUTHENTICATE) {
		i_assert(cmd.mech != NULL);
		i_assert(cmd.initial_resp == NULL ||
			 cmd.initial_resp[0] == '\0' ||
			 imap_login_is_base64(cmd.initial_resp));
	}
	if (cmd.type == IMAP_LOGIN_CMD_ID) {
		string_t *str = str_new(pool, 64);

		i_assert(cmd.id_count <= IMAP_LOGIN_ID_MAX_PAIRS);
		imap_login_id_reply_append(str, "name *");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser *parser;
	size_t chunk;
	pool_t pool;

	if (size < 1)
		return 0;
	chunk = (data[0] & 0x3f) + 1;
	data++;
	size--;

	pool = pool_create("fuzz", 1024);
	parser = imap_parser_create(&imap_parser_prelogin_settings);
	while (size > 0) {
		size_t n = MIN_OF(chunk, size);

		while (n > 0) {
			struct imap_parser_event ev;
			size_t consumed = 0;
			enum imap_parse_result ret;

			ret = imap_parser_feed(parser, data, n, &consumed, &ev);
			i_assert(consumed <= n);
			i_assert(imap_parser_memory_used(parser) <=
				 FUZZ_PARSER_MEMORY_MAX);
			switch (ret) {
			case IMAP_PARSE_COMMAND:
				fuzz_command(pool, &ev);
				pool_clear(pool);
				break;
			case IMAP_PARSE_ERROR:
				i_assert(ev.error != NULL);
				break;
			case IMAP_PARSE_MORE:
				i_assert(consumed == n);
				break;
			case IMAP_PARSE_CONTINUE:
				break;
			case IMAP_PARSE_LITERAL:
			case IMAP_PARSE_LITERAL_DATA:
				/* no stream commands before login */
				i_unreached();
			}
			data += consumed;
			size -= consumed;
			n -= consumed;
		}
	}
	imap_parser_destroy(&parser);
	pool_unref(&pool);
	return 0;
}
