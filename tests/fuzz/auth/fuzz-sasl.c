/* fuzz-sasl.c - the SASL PLAIN, LOGIN, APOP, CRAM-MD5, SCRAM
 * (client-first and client-final), EXTERNAL and ANONYMOUS decoders on
 * arbitrary bytes. */
#include "lib.h"
#include "pool.h"
#include "mech.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pool_t pool = pool_create("fuzz sasl", 1024);
	const char *a, *b, *c, *error;
	const unsigned char *digest;
	struct sasl_scram_client_first first;
	struct sasl_scram_client_final final;

	(void)sasl_plain_decode(pool, data, size, &a, &b, &c, &error);
	(void)sasl_login_decode(pool, data, size, &a, &error);
	(void)sasl_apop_decode(pool, data, size, &a, &b, &digest, &error);
	(void)sasl_cram_md5_decode(pool, data, size, &a, &digest, &error);
	(void)sasl_scram_client_first_parse(pool, data, size, &first, &error);
	(void)sasl_scram_client_final_parse(pool, data, size, &final, &error);
	(void)sasl_external_decode(pool, data, size, &a, &error);
	(void)sasl_anonymous_decode(pool, data, size, &a, &error);
	pool_unref(&pool);
	return 0;
}
