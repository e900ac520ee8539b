/* fuzz-auth-protocol.c - feeds arbitrary bytes to the auth-client and
 * auth-master protocol servers (line assembler and dispatcher) in capture
 * mode, over an in-memory passwd-file passdb. */
#include "lib.h"
#include "pool.h"
#include "array.h"
#include "auth.h"
#include "auth-client-connection.h"
#include "auth-master-connection.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct auth *fuzz_auth;

static struct auth_db_settings *db_set(pool_t pool, const char *args)
{
	struct auth_db_settings *db = p_new(pool, struct auth_db_settings, 1);

	db->driver = "passwd-file";
	db->args = args;
	db->result_success = DB_RESULT_RETURN_OK;
	db->result_failure = DB_RESULT_CONTINUE;
	db->result_internalfail = DB_RESULT_CONTINUE;
	return db;
}

static void fuzz_init(void)
{
	pool_t pool = pool_create("fuzz", 4096);
	struct loft_settings *set = p_new(pool, struct loft_settings, 1);
	char path[] = "/tmp/loft-fuzz-auth-XXXXXX";
	const char *error;
	int fd = mkstemp(path);
	static const char users[] =
	    "alice:{PLAIN}secret:1000:1000::/home/alice::userdb_x=y\n"
	    "bob:{SHA}E9oxvVU+dGVyeSr1xAkhL4yiLfU=\n";

	if (fd < 0 || write(fd, users, sizeof(users) - 1) < 0)
		abort();
	close(fd);
	set->pool = pool;
	set->auth_mechanisms = "plain login apop";
	set->auth_username_format = "%Lu";
	set->auth_username_chars = "abcdefghijklmnopqrstuvwxyz0123456789.-_@";
	set->default_pass_scheme = "SHA";
	array_init(&set->passdbs, pool, 1);
	array_init(&set->userdbs, pool, 1);
	array_push(&set->passdbs,
		   db_set(pool, p_strconcat(pool, "scheme=SHA ", path, NULL)));
	array_push(&set->userdbs, db_set(pool, p_strdup(pool, path)));
	fuzz_auth = auth_init(set, &error);
	if (fuzz_auth == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_client_connection *client;
	struct auth_master_connection *master;
	const char *hello = "VERSION\t1\t2\nCPID\t1\n";
	size_t half = size / 2;

	if (fuzz_auth == NULL)
		fuzz_init();
	/* First byte picks: 0 = raw, 1 = after a valid handshake,
	 * 2 = master socket. The rest is fed in two pieces. */
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
	case 1:
		client = auth_client_connection_create(fuzz_auth, -1);
		auth_client_connection_set_peer_pid(client, 1);
		if (data[0] % 3 == 1)
			(void)auth_client_connection_input(
			    client, (const unsigned char *)hello,
			    strlen(hello));
		if (auth_client_connection_input(client, data + 1, half) == 0)
			(void)auth_client_connection_input(
			    client, data + 1 + half, size - 1 - half);
		auth_client_connection_destroy(&client);
		break;
	case 2:
		master = auth_master_connection_create(fuzz_auth, -1,
						       (data[0] & 4) != 0);
		if (auth_master_connection_input(master, data + 1, half) == 0)
			(void)auth_master_connection_input(
			    master, data + 1 + half, size - 1 - half);
		auth_master_connection_destroy(&master);
		break;
	}
	return 0;
}
