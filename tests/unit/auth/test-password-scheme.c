/* test-password-scheme.c - password schemes: Dovecot-generated vectors
 * (doveadm pw) verify, wrong passwords fail, generate/verify round trips,
 * prefix/suffix/encoding handling and malformed stored values. */
#include "lib.h"

#include <setjmp.h>
#include <cmocka.h>

#include "pool.h"
#include "password-scheme.h"

#define PW "Secr3t pass"

/* Produced with Debian's `doveadm pw -s SCHEME -p 'Secr3t pass'`. */
static const char *const dovecot_vectors[] = {
    "{PLAIN}Secr3t pass",
    "{CLEARTEXT}Secr3t pass",
    "{PLAIN-MD5}4bcf3981f42ae64db07cfb758e6c12f8",
    "{LDAP-MD5}S885gfQq5k2wfPt1jmwS+A==",
    "{PLAIN-MD5.B64}S885gfQq5k2wfPt1jmwS+A==",
    "{SHA}E9oxvVU+dGVyeSr1xAkhL4yiLfU=",
    "{SSHA}CiTsF79qYdI9HwwoZxUeHt+tpZvsmN0z",
    "{SHA256}sDRxoWKsqOx/+2s8k3KhIyCcE1IFzYLcIHmlxeeNpnE=",
    "{SHA256.HEX}"
    "b03471a162aca8ec7ffb6b3c9372a123209c135205cd82dc2079a5c5e78da671",
    "{SSHA256}aZu2t9TpuRzsfJ/3+GsxV7xs8VF4C0IknZOnoXV7JdLPITkO",
    "{SHA512}gB/2xB1en/5FsmuHZsnyoWX7g+I6SDRd1wsXL5Noqy/"
    "vBvbJURq1xLCK60LV2GdgrlTIa6k8hg8HHUyN87ueFQ==",
    "{SSHA512}"
    "OG5VJR6HckHJwXuorSDzTA3Jkeek8RdFlzp6Mi4XssZPgRJqq0vfkXuWeo8qp172z7twhR4brY"
    "wNNGZWJHrZVPLNm2Q=",
    "{CRYPT}$2y$05$2FZH5l1xx.e/qlp7mRMvquq4zbCyj8KFhxFYYC03Lkq2CyckDcmcW",
    "{MD5-CRYPT}$1$SDGbx8CC$m6yt97Qnjpzaj/J/QtQdR1",
    "{SHA256-CRYPT}$5$Rh5OfHNXRURV3.JV$eUAoG.qC/"
    "JHEEEEbumWJhxHQePDB0fmmAAwX3cJ7Wt1",
    "{SHA512-CRYPT}$6$iEQvGpmcbmekirir$"
    "40pQnaXNllbbBzgtGkB6pW9g2gUCjzONWNjqn8WgwOtp/hM/"
    "Q4PtV.XhF8FmXpm1M3.foKfHih7WSEG4LEvyg/",
    "{BLF-CRYPT}$2y$05$tuqcewIX4WYkqsVkj3hud.3.ea3KnUd.1qzZwvoVNFo5g/GwJFJfm",
    "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$0xHPinOt8kWsEBM4IC8UqA$"
    "7FMeXtZwRYZp8YhRDa8SilVE9hQwuYscHds6bZHQrsU",
    "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$NM1pIvg8cO8bs4HrtW+yfQ$"
    "JZqGKvBWBD324JJIEFl2GPS/d64ndZg3UItDeE/ndl8",
    /* lower-case scheme names are accepted */
    "{sha512-crypt}$6$iEQvGpmcbmekirir$"
    "40pQnaXNllbbBzgtGkB6pW9g2gUCjzONWNjqn8WgwOtp/hM/"
    "Q4PtV.XhF8FmXpm1M3.foKfHih7WSEG4LEvyg/",
};

static void test_dovecot_vectors(void **state)
{
	const char *error;

	for (unsigned int i = 0; i < N_ELEMENTS(dovecot_vectors); i++) {
		error = NULL;
		if (password_verify(PW, dovecot_vectors[i], NULL, &error) != 1)
			fail_msg("vector %s did not verify: %s",
				 dovecot_vectors[i], error ? error : "");
		if (password_verify("Secr3t pasS", dovecot_vectors[i], NULL,
				    &error) != 0)
			fail_msg("vector %s accepted a wrong password",
				 dovecot_vectors[i]);
		if (password_verify("", dovecot_vectors[i], NULL, &error) != 0)
			fail_msg("vector %s accepted an empty password",
				 dovecot_vectors[i]);
	}
}

static const struct {
	const char *stored, *default_scheme;
	int ret;
} default_scheme_cases[] = {
    {"Secr3t pass", "PLAIN", 1},
    {"Secr3t pass", "plain", 1},
    {"4bcf3981f42ae64db07cfb758e6c12f8", "PLAIN-MD5", 1},
    {"$6$iEQvGpmcbmekirir$40pQnaXNllbbBzgtGkB6pW9g2gUCjzONWNjqn8WgwOtp/hM/"
     "Q4PtV.XhF8FmXpm1M3.foKfHih7WSEG4LEvyg/",
     "CRYPT", 1},
    {"$1$SDGbx8CC$m6yt97Qnjpzaj/J/QtQdR1", NULL, 1}, /* CRYPT default */
    {"Secr3t pass", "NOSUCH", -1},
    {"{NOSUCH}Secr3t pass", "PLAIN", -1},
    /* malformed stored values */
    {"{SHA}E9oxvVU+dGVyeSr1xAkhL4yiLf", NULL, -1},
    {"{SHA}!!!!", NULL, -1},
    {"{SSHA}E9ox", NULL, -1},
    {"{PLAIN-MD5}4bcf", NULL, -1},
    {"{SHA512-CRYPT}$1$SDGbx8CC$m6yt97Qnjpzaj/J/QtQdR1", NULL, -1},
    {"{SHA512-CRYPT}", NULL, -1},
    {"{CRYPT}*", NULL, -1},
    {"{ARGON2ID}$argon2id$v=19$m=65536", NULL, -1},
    {"{ARGON2ID}$argon2i$v=19$m=32768,t=4,p=1$0xHPinOt8kWsEBM4IC8UqA$"
     "7FMeXtZwRYZp8YhRDa8SilVE9hQwuYscHds6bZHQrsU",
     NULL, -1},
    /* a brace that is not a scheme prefix is data */
    {"{Secr3t pass", "PLAIN", 0},
};

static void test_default_scheme_and_malformed(void **state)
{
	const char *error;

	for (unsigned int i = 0; i < N_ELEMENTS(default_scheme_cases); i++) {
		error = NULL;
		int ret = password_verify(
		    PW, default_scheme_cases[i].stored,
		    default_scheme_cases[i].default_scheme, &error);
		if (ret != default_scheme_cases[i].ret)
			fail_msg("case %u (%s): got %d want %d (%s)", i,
				 default_scheme_cases[i].stored, ret,
				 default_scheme_cases[i].ret,
				 error ? error : "");
	}
}

static const struct {
	const char *scheme;
	unsigned int rounds;
	const char *prefix;
} generate_cases[] = {
    {"PLAIN", 0, "{PLAIN}" PW},
    {"CLEARTEXT", 0, "{CLEARTEXT}"},
    {"PLAIN-MD5", 0, "{PLAIN-MD5}4bcf3981f42ae64db07cfb758e6c12f8"},
    {"LDAP-MD5", 0, "{LDAP-MD5}S885gfQq5k2wfPt1jmwS+A=="},
    {"SHA", 0, "{SHA}E9oxvVU+dGVyeSr1xAkhL4yiLfU="},
    {"sha256.hex", 0, "{SHA256.HEX}b03471a162aca8ec"},
    {"SSHA", 0, "{SSHA}"},
    {"SHA256", 0, "{SHA256}"},
    {"SSHA256", 0, "{SSHA256}"},
    {"SHA512", 0, "{SHA512}"},
    {"SSHA512.b64", 0, "{SSHA512.B64}"},
    {"CRYPT", 0, "{CRYPT}$2y$05$"},
    {"MD5-CRYPT", 0, "{MD5-CRYPT}$1$"},
    {"SHA256-CRYPT", 0, "{SHA256-CRYPT}$5$"},
    {"SHA512-CRYPT", 0, "{SHA512-CRYPT}$6$"},
    {"SHA512-CRYPT", 6000, "{SHA512-CRYPT}$6$rounds=6000$"},
    {"BLF-CRYPT", 0, "{BLF-CRYPT}$2y$05$"},
    {"BLF-CRYPT", 6, "{BLF-CRYPT}$2y$06$"},
    {"ARGON2I", 0, "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$"},
    {"ARGON2ID", 0, "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$"},
};

static void test_generate_roundtrip(void **state)
{
	pool_t pool = pool_create("test", 1024);
	const char *hash, *error;

	for (unsigned int i = 0; i < N_ELEMENTS(generate_cases); i++) {
		error = NULL;
		if (password_generate(pool, PW, generate_cases[i].scheme,
				      generate_cases[i].rounds, &hash,
				      &error) < 0)
			fail_msg("generate %s: %s", generate_cases[i].scheme,
				 error);
		if (strncmp(hash, generate_cases[i].prefix,
			    strlen(generate_cases[i].prefix)) != 0)
			fail_msg("generate %s: %s does not start with %s",
				 generate_cases[i].scheme, hash,
				 generate_cases[i].prefix);
		assert_int_equal(password_verify(PW, hash, NULL, &error), 1);
		assert_int_equal(password_verify("x", hash, NULL, &error), 0);
	}
	/* bad rounds and unknown schemes */
	assert_int_equal(
	    password_generate(pool, PW, "BLF-CRYPT", 3, &hash, &error), -1);
	assert_int_equal(
	    password_generate(pool, PW, "SHA512-CRYPT", 10, &hash, &error), -1);
	assert_int_equal(
	    password_generate(pool, PW, "NOSUCH", 0, &hash, &error), -1);
	pool_unref(&pool);
}

static void test_split_and_plaintext(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct password_stored pw;
	const char *scheme, *error;

	assert_string_equal(password_split_scheme(pool, "{SHA}abc", &scheme),
			    "abc");
	assert_string_equal(scheme, "SHA");
	assert_string_equal(password_split_scheme(pool, "{}abc", &scheme),
			    "{}abc");
	assert_null(scheme);
	assert_string_equal(password_split_scheme(pool, "abc", &scheme), "abc");
	assert_null(scheme);

	assert_int_equal(
	    password_parse(pool, "{PLAIN}hello", NULL, &pw, &error), 1);
	assert_string_equal(password_get_plaintext(&pw), "hello");
	assert_int_equal(
	    password_parse(pool, "hello", "CLEARTEXT", &pw, &error), 1);
	assert_string_equal(password_get_plaintext(&pw), "hello");
	assert_int_equal(
	    password_parse(pool, "{SHA}E9oxvVU+dGVyeSr1xAkhL4yiLfU=", NULL, &pw,
			   &error),
	    1);
	assert_null(password_get_plaintext(&pw));
	assert_int_equal(password_parse(pool, "{FOO}x", NULL, &pw, &error), 0);
	assert_true(pw.scheme == NULL);
	assert_false(password_scheme_find("sha512-crypt") == NULL);
	assert_true(password_scheme_find("sha512-crypt")->slow);
	assert_false(password_scheme_find("SSHA")->slow);
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dovecot_vectors),
	    cmocka_unit_test(test_default_scheme_and_malformed),
	    cmocka_unit_test(test_generate_roundtrip),
	    cmocka_unit_test(test_split_and_plaintext),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
