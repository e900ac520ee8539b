/* mime-dump - prints a message file's IMAP ENVELOPE, BODYSTRUCTURE and
 * BODY as Loft computes them, one per line:
 *
 *     ENVELOPE (...)
 *     BODYSTRUCTURE (...)
 *     BODY (...)
 *
 * Used by tests/integration/test_mime_dovecot.py to compare with Dovecot.
 * With -c N the file is fed to the parser in chunks of N bytes. */
#include "lib.h"

#include <fcntl.h>

#include "imap-bodystructure.h"
#include "imap-envelope.h"
#include "message-parser.h"
#include "message-part-data.h"
#include "pool.h"
#include "str.h"

static int read_file(const char *path, string_t *dest)
{
	char buf[8192];
	ssize_t ret;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((ret = read(fd, buf, sizeof(buf))) > 0)
		str_append_n(dest, buf, (size_t)ret);
	close(fd);
	return ret < 0 ? -1 : 0;
}

int main(int argc, char *argv[])
{
	size_t chunk = 0;
	int argi = 1;

	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		chunk = (size_t)strtoul(argv[2], NULL, 10);
		argi = 3;
	}
	if (argi >= argc) {
		fprintf(stderr, "usage: mime-dump [-c chunk] FILE...\n");
		return 2;
	}
	for (; argi < argc; argi++) {
		pool_t pool = pool_create("mime-dump", 4096);
		string_t *msg = str_new(pool, 8192), *out = str_new(pool, 1024);
		struct message_parser *parser;
		struct message_part *root;

		if (read_file(argv[argi], msg) < 0) {
			fprintf(stderr, "mime-dump: %s: %s\n", argv[argi],
				strerror(errno));
			return 1;
		}
		parser = message_parser_init(pool, NULL, NULL, NULL);
		if (chunk == 0) {
			message_parser_feed(parser, str_data(msg),
					    str_len(msg));
		} else {
			for (size_t i = 0; i < str_len(msg); i += chunk)
				message_parser_feed(
				    parser, str_data(msg) + i,
				    MIN_OF(chunk, str_len(msg) - i));
		}
		root = message_parser_finish(&parser);
		str_append(out, "ENVELOPE (");
		imap_envelope_write(root->data->envelope, out);
		str_append(out, ")\nBODYSTRUCTURE (");
		imap_bodystructure_write(root, out, true);
		str_append(out, ")\nBODY (");
		imap_bodystructure_write(root, out, false);
		str_append(out, ")\n");
		fwrite(str_data(out), 1, str_len(out), stdout);
		pool_unref(&pool);
	}
	return 0;
}
