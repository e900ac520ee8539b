/* test-sasl-mechs.c - the stored-credential schemes (CRAM-MD5,
 * SCRAM-SHA-1, SCRAM-SHA-256) against Debian's doveadm pw output and the
 * RFC vectors, and the SASL mechanisms' decoders (CRAM-MD5, SCRAM,
 * EXTERNAL, ANONYMOUS) on good and malformed messages. */
#include "lib.h"

#include <setjmp.h>
#include <cmocka.h>

#include "pool.h"
#include "str.h"
#include "base64.h"
#include "password-scheme.h"
#include "schemes/credentials.h"
#include "mech.h"

/* Produced with Debian's `doveadm pw -s SCHEME -p secret` (2.3.19). */
static const char *const dovecot_vectors[] = {
    "{SCRAM-SHA-256}4096,H530bxCQr9lGYnWSqRdwNg==,"
    "vtiRqrFllVf7rpmdS57OD7gOXLPyeIcQVrwM2Kmcst0=,"
    "hGXsQTcEdVfCmDA8mNb8KL6Za/7uDy0rgQhEGWQ1GDc=",
    "{SCRAM-SHA-1}4096,/tNo1kIFkN1+gfQIZQ/0qA==,Jp06WONLbqPRhnKlutMM76zSLkQ=,"
    "S7wqOi2QJaPq6anIp3QKkzPMJVY=",
    "{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b5"
    "6",
};

static void test_dovecot_vectors(void **state)
{
	const char *error = NULL;

	for (unsigned int i = 0; i < N_ELEMENTS(dovecot_vectors); i++) {
		assert_int_equal(
		    password_verify("secret", dovecot_vectors[i], NULL, &error),
		    1);
		assert_int_equal(
		    password_verify("Secret", dovecot_vectors[i], NULL, &error),
		    0);
	}
}

static void test_generate_roundtrip(void **state)
{
	static const char *const schemes[] = {"CRAM-MD5", "SCRAM-SHA-1",
					      "SCRAM-SHA-256"};
	pool_t pool = pool_create("test", 1024);
	const char *hash, *error;

	for (unsigned int i = 0; i < N_ELEMENTS(schemes); i++) {
		assert_int_equal(password_generate(pool, "pass word",
						   schemes[i], 0, &hash,
						   &error),
				 0);
		assert_int_equal(
		    password_verify("pass word", hash, NULL, &error), 1);
		assert_int_equal(
		    password_verify("pass wore", hash, NULL, &error), 0);
	}
	/* CRAM-MD5 is deterministic: Dovecot's value for "secret". */
	assert_int_equal(
	    password_generate(pool, "secret", "CRAM-MD5", 0, &hash, &error), 0);
	assert_string_equal(hash, dovecot_vectors[2]);
	pool_unref(&pool);
}

static void test_malformed_stored(void **state)
{
	static const char *const bad[] = {
	    "{SCRAM-SHA-256}",
	    "{SCRAM-SHA-256}4096",
	    "{SCRAM-SHA-256}4096,c2FsdA==,AAAA,AAAA",
	    "{SCRAM-SHA-256}0,c2FsdA==,"
	    "vtiRqrFllVf7rpmdS57OD7gOXLPyeIcQVrwM2Kmcst0=,"
	    "hGXsQTcEdVfCmDA8mNb8KL6Za/7uDy0rgQhEGWQ1GDc=",
	    "{SCRAM-SHA-256}99999999999,c2FsdA==,"
	    "vtiRqrFllVf7rpmdS57OD7gOXLPyeIcQVrwM2Kmcst0=,"
	    "hGXsQTcEdVfCmDA8mNb8KL6Za/7uDy0rgQhEGWQ1GDc=",
	    "{SCRAM-SHA-256}4096,,"
	    "vtiRqrFllVf7rpmdS57OD7gOXLPyeIcQVrwM2Kmcst0=,"
	    "hGXsQTcEdVfCmDA8mNb8KL6Za/7uDy0rgQhEGWQ1GDc=",
	    "{SCRAM-SHA-1}4096,c2FsdA==,"
	    "vtiRqrFllVf7rpmdS57OD7gOXLPyeIcQVrwM2Kmcst0=,"
	    "hGXsQTcEdVfCmDA8mNb8KL6Za/7uDy0rgQhEGWQ1GDc=",
	    "{SCRAM-SHA-256}4096,c2FsdA==,a,b,c",
	    "{CRAM-MD5}cd3ba7de",
	    "{CRAM-MD5}"
	    "zz3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac39573"
	    "1b56",
	};
	const char *error = NULL;

	for (unsigned int i = 0; i < N_ELEMENTS(bad); i++)
		assert_int_equal(
		    password_verify("secret", bad[i], NULL, &error), -1);
}

/* RFC 2195 section 2: the example exchange. */
static void test_cram_md5_rfc2195(void **state)
{
	static const char challenge[] =
	    "<1896.697170952@postoffice.reston.mci.net>";
	unsigned char ctx[CRAM_MD5_CONTEXT_SIZE], digest[CRAM_MD5_DIGEST_SIZE];
	string_t *hex = str_new(NULL, 64);

	cram_md5_context_from_password("tanstaaftanstaaf", ctx);
	cram_md5_context_hmac(ctx, challenge, strlen(challenge), digest);
	binary_to_hex_append(hex, digest, sizeof(digest));
	assert_string_equal(str_c(hex), "b913a602c7eda7a495b4e6e7334d3890");
	str_free(&hex);
}

/* RFC 5802 section 5 (SCRAM-SHA-1) and RFC 7677 section 3
 * (SCRAM-SHA-256): user "user", password "pencil". */
static void test_scram_rfc_keys(void **state)
{
	struct scram_credentials cred;
	string_t *salt = str_new(NULL, 32), *out = str_new(NULL, 256);

	assert_int_equal(base64_decode("QSXCR+Q6sek8bf92", 16, salt), 0);
	assert_int_equal(scram_credentials_derive(EVP_sha1(), "pencil",
						  str_data(salt), str_len(salt),
						  4096, &cred),
			 0);
	scram_credentials_append(out, &cred);
	assert_string_equal(
	    str_c(out), "4096,QSXCR+Q6sek8bf92,6dlGYMOdZcOPutkcNY8U2g7vK9Y=,"
			"D+CSWLOshSulAsxiupA+qs2/fTE=");

	str_truncate(salt, 0);
	str_truncate(out, 0);
	assert_int_equal(base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==", 24, salt),
			 0);
	assert_int_equal(scram_credentials_derive(EVP_sha256(), "pencil",
						  str_data(salt), str_len(salt),
						  4096, &cred),
			 0);
	scram_credentials_append(out, &cred);
	assert_string_equal(str_c(out),
			    "4096,W22ZaJ0SNY7soEsUEjb6gQ==,"
			    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
			    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
	str_free(&salt);
	str_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dovecot_vectors),
	    cmocka_unit_test(test_generate_roundtrip),
	    cmocka_unit_test(test_malformed_stored),
	    cmocka_unit_test(test_cram_md5_rfc2195),
	    cmocka_unit_test(test_scram_rfc_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
