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

static void test_cram_md5_decode(void **state)
{
	pool_t pool = pool_create("test", 1024);
	const char *user, *error;
	const unsigned char *digest;
	static const char good[] = "tim b913a602c7eda7a495b4e6e7334d3890";
	static const char spaced[] =
	    "tim smith b913a602c7eda7a495b4e6e7334d3890";
	static const char *const bad[] = {
	    "",
	    "tim",
	    " b913a602c7eda7a495b4e6e7334d3890",
	    "tim b913a602c7eda7a495b4e6e7334d389",
	    "tim b913a602c7eda7a495b4e6e7334d38900",
	    "tim zz13a602c7eda7a495b4e6e7334d3890",
	    "tim b913a602c7eda7a495b4e6e7334d3890 ",
	};

	assert_int_equal(sasl_cram_md5_decode(pool, (const void *)good,
					      strlen(good), &user, &digest,
					      &error),
			 0);
	assert_string_equal(user, "tim");
	assert_int_equal(digest[0], 0xb9);
	assert_int_equal(sasl_cram_md5_decode(pool, (const void *)spaced,
					      strlen(spaced), &user, &digest,
					      &error),
			 0);
	assert_string_equal(user, "tim smith");
	for (unsigned int i = 0; i < N_ELEMENTS(bad); i++) {
		assert_int_equal(sasl_cram_md5_decode(
				     pool, (const void *)bad[i], strlen(bad[i]),
				     &user, &digest, &error),
				 -1);
	}
	/* NUL inside */
	assert_int_equal(
	    sasl_cram_md5_decode(
		pool, (const void *)"t\0m b913a602c7eda7a495b4e6e7334d3890", 37,
		&user, &digest, &error),
	    -1);
	pool_unref(&pool);
}

static int first_parse(pool_t pool, const char *msg,
		       struct sasl_scram_client_first *first)
{
	const char *error;

	return sasl_scram_client_first_parse(pool, (const void *)msg,
					     strlen(msg), first, &error);
}

static void test_scram_client_first(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct sasl_scram_client_first first;
	static const char *const bad[] = {
	    "",
	    "n",
	    "n,,",
	    "x,,n=user,r=abc",
	    "p=,,n=user,r=abc",
	    "p=tls exporter,,n=user,r=abc",
	    "n,b=x,n=user,r=abc",
	    "n,a=,n=user,r=abc",
	    "n,,m=ext,n=user,r=abc",
	    "n,,n=,r=abc",
	    "n,,n=us=er,r=abc",
	    "n,,n=us=2,r=abc",
	    "n,,n=user,r=",
	    "n,,n=user,x=abc",
	    "n,,r=abc,n=user",
	    "n,,n=user,r=abc,bad",
	};

	/* RFC 5802 section 5 */
	assert_int_equal(
	    first_parse(pool, "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", &first),
	    0);
	assert_int_equal(first.cbind_flag, 'n');
	assert_string_equal(first.username, "user");
	assert_string_equal(first.cnonce, "fyko+d2lbbFgONRv9qkxdawL");
	assert_string_equal(first.gs2_header, "n,,");
	assert_string_equal(first.bare, "n=user,r=fyko+d2lbbFgONRv9qkxdawL");

	assert_int_equal(first_parse(pool,
				     "p=tls-exporter,a=a=3Db=2Cc,n=a=3Db=2Cc,"
				     "r=xyz,x=1",
				     &first),
			 0);
	assert_int_equal(first.cbind_flag, 'p');
	assert_string_equal(first.cbind_name, "tls-exporter");
	assert_string_equal(first.authzid, "a=b,c");
	assert_string_equal(first.username, "a=b,c");
	assert_string_equal(first.gs2_header, "p=tls-exporter,a=a=3Db=2Cc,");

	assert_int_equal(first_parse(pool, "y,,n=u,r=1", &first), 0);
	assert_int_equal(first.cbind_flag, 'y');

	for (unsigned int i = 0; i < N_ELEMENTS(bad); i++) {
		if (first_parse(pool, bad[i], &first) != -1)
			fail_msg("accepted: %s", bad[i]);
	}
	pool_unref(&pool);
}

static void test_scram_client_final(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct sasl_scram_client_final final;
	const char *error;
	/* RFC 7677 section 3 */
	static const char good[] =
	    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
	static const char *const bad[] = {
	    "",
	    "c=biws",
	    "c=biws,r=abc",
	    "c=biws,r=abc,p=",
	    "c=bi!s,r=abc,p=AAAA",
	    "r=abc,c=biws,p=AAAA",
	    "c=biws,r=abc,p=AAAA,x=1",
	    "c=biws,r=,p=AAAA",
	    "c=biws,r=abc,junk,p=AAAA",
	};

	assert_int_equal(sasl_scram_client_final_parse(pool, (const void *)good,
						       strlen(good), &final,
						       &error),
			 0);
	assert_int_equal(final.cbind_size, 3);
	assert_memory_equal(final.cbind, "n,,", 3);
	assert_string_equal(
	    final.nonce, "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
	assert_string_equal(
	    final.without_proof,
	    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)"
	    "hNlF$k0");
	assert_int_equal(final.proof_size, 32);
	for (unsigned int i = 0; i < N_ELEMENTS(bad); i++) {
		if (sasl_scram_client_final_parse(pool, (const void *)bad[i],
						  strlen(bad[i]), &final,
						  &error) != -1)
			fail_msg("accepted: %s", bad[i]);
	}
	pool_unref(&pool);
}

static void test_external_anonymous_decode(void **state)
{
	pool_t pool = pool_create("test", 1024);
	const char *out, *error;
	char trace[300];

	assert_int_equal(
	    sasl_external_decode(pool, (const void *)"", 0, &out, &error), 0);
	assert_string_equal(out, "");
	assert_int_equal(
	    sasl_external_decode(pool, (const void *)"a\0b", 3, &out, &error),
	    -1);
	assert_int_equal(sasl_anonymous_decode(pool,
					       (const void *)"me@example.com",
					       14, &out, &error),
			 0);
	memset(trace, 'x', sizeof(trace));
	assert_int_equal(
	    sasl_anonymous_decode(pool, (const void *)trace, 255, &out, &error),
	    0);
	assert_int_equal(
	    sasl_anonymous_decode(pool, (const void *)trace, 256, &out, &error),
	    -1);
	assert_int_equal(
	    sasl_anonymous_decode(pool, (const void *)"a\0b", 3, &out, &error),
	    -1);
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dovecot_vectors),
	    cmocka_unit_test(test_generate_roundtrip),
	    cmocka_unit_test(test_malformed_stored),
	    cmocka_unit_test(test_cram_md5_rfc2195),
	    cmocka_unit_test(test_scram_rfc_keys),
	    cmocka_unit_test(test_cram_md5_decode),
	    cmocka_unit_test(test_scram_client_first),
	    cmocka_unit_test(test_scram_client_final),
	    cmocka_unit_test(test_external_anonymous_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
