/* fuzz-sasl.c - the SASL PLAIN, LOGIN and APOP decoders on arbitrary
 * bytes. */
#include "lib.h"
#include "pool.h"
#include "mech.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pool_t pool = pool_create("fuzz sasl", 1024);
	const char *a, *b, *c, *error;
	const unsigned char *digest;

	(void)sasl_plain_decode(pool, data, size, &a, &b, &c, &error);
	(void)sasl_login_decode(pool, data, size, &a, &error);
	(void)sasl_apop_decode(pool, data, size, &a, &b, &digest, &error);
	pool_unref(&pool);
	return 0;
}
