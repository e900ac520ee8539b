/* password-scheme.c - the scheme registry and the "{SCHEME}data" format:
 * prefix and suffix parsing, decoding, verify and generate dispatch.
 * The schemes themselves live in schemes/. */
#include "lib.h"
#include "str.h"
#include "base64.h"
#include "log.h"
#include "password-scheme.h"

#include <strings.h>
#include <openssl/rand.h>

#define PASSWORD_SCHEME_NAME_MAX 64

static const struct password_scheme *const schemes[] = {
    &password_scheme_plain,
    &password_scheme_cleartext,
    &password_scheme_clear,
    &password_scheme_plain_md5,
    &password_scheme_ldap_md5,
    &password_scheme_sha,
    &password_scheme_sha1,
    &password_scheme_ssha,
    &password_scheme_sha256,
    &password_scheme_ssha256,
    &password_scheme_sha512,
    &password_scheme_ssha512,
    &password_scheme_crypt,
    &password_scheme_md5_crypt,
    &password_scheme_sha256_crypt,
    &password_scheme_sha512_crypt,
    &password_scheme_blf_crypt,
    &password_scheme_argon2i,
    &password_scheme_argon2id,
    &password_scheme_cram_md5,
    &password_scheme_scram_sha1,
    &password_scheme_scram_sha256,
    NULL};

const struct password_scheme *const *password_schemes_get(void)
{
	return schemes;
}

const struct password_scheme *password_scheme_find(const char *name)
{
	for (unsigned int i = 0; schemes[i] != NULL; i++) {
		if (strcasecmp(schemes[i]->name, name) == 0)
			return schemes[i];
	}
	return NULL;
}

void password_random_bytes(void *buf, size_t size)
{
	if (size > 0 && RAND_bytes(buf, (int)size) != 1)
		i_fatal("RAND_bytes() failed");
}

const char *password_split_scheme(pool_t pool, const char *stored,
				  const char **scheme_r)
{
	const char *end;

	*scheme_r = NULL;
	if (stored[0] != '{')
		return stored;
	end = strchr(stored, '}');
	if (end == NULL || end == stored + 1 ||
	    (size_t)(end - stored) > PASSWORD_SCHEME_NAME_MAX)
		return stored;
	*scheme_r = p_strndup(pool, stored + 1, end - stored - 1);
	return end + 1;
}

/* Splits "NAME.b64" into the scheme and encoding. */
static const struct password_scheme *
scheme_lookup_encoding(pool_t pool, const char *name,
		       enum password_encoding *enc_r, bool *explicit_r)
{
	const struct password_scheme *scheme;
	const char *dot = strrchr(name, '.');

	*explicit_r = false;
	if (dot != NULL &&
	    (strcasecmp(dot, ".b64") == 0 || strcasecmp(dot, ".base64") == 0 ||
	     strcasecmp(dot, ".hex") == 0)) {
		scheme =
		    password_scheme_find(p_strndup(pool, name, dot - name));
		if (scheme == NULL)
			return NULL;
		*enc_r = strcasecmp(dot, ".hex") == 0
			     ? PASSWORD_ENCODING_HEX
			     : PASSWORD_ENCODING_BASE64;
		*explicit_r = true;
		return scheme;
	}
	scheme = password_scheme_find(name);
	if (scheme != NULL)
		*enc_r = scheme->default_encoding;
	return scheme;
}

static int password_decode(const char *data, enum password_encoding enc,
			   string_t *dest)
{
	str_truncate(dest, 0);
	switch (enc) {
	case PASSWORD_ENCODING_NONE:
		str_append(dest, data);
		return 0;
	case PASSWORD_ENCODING_BASE64:
		return base64_decode(data, strlen(data), dest);
	case PASSWORD_ENCODING_HEX:
		return hex_to_binary(data, dest);
	}
	i_unreached();
}

int password_parse(pool_t pool, const char *stored, const char *default_scheme,
		   struct password_stored *pw_r, const char **error_r)
{
	const struct password_scheme *scheme;
	const char *scheme_name, *data;
	enum password_encoding enc = PASSWORD_ENCODING_NONE;
	bool explicit_enc;
	string_t *raw;
	int ret;

	memset(pw_r, 0, sizeof(*pw_r));
	data = password_split_scheme(pool, stored, &scheme_name);
	if (scheme_name == NULL)
		scheme_name = default_scheme != NULL ? default_scheme : "CRYPT";
	scheme = scheme_lookup_encoding(pool, scheme_name, &enc, &explicit_enc);
	if (scheme == NULL) {
		*error_r = "Unknown scheme";
		return 0;
	}

	raw = str_new(pool, strlen(data) + 1);
	ret = password_decode(data, enc, raw);
	if (!explicit_enc && scheme->raw_size > 0 &&
	    (ret < 0 || str_len(raw) != scheme->raw_size)) {
		/* A digest written in the other encoding than the scheme's
		 * default (e.g. PLAIN-MD5 stored as base64). */
		enum password_encoding other = enc == PASSWORD_ENCODING_HEX
						   ? PASSWORD_ENCODING_BASE64
						   : PASSWORD_ENCODING_HEX;
		string_t *raw2 = str_new(pool, strlen(data) + 1);

		if (password_decode(data, other, raw2) == 0 &&
		    str_len(raw2) == scheme->raw_size) {
			raw = raw2;
			ret = 0;
		}
	}
	if (ret < 0) {
		*error_r = enc == PASSWORD_ENCODING_HEX
			       ? "Password is not valid hex"
			       : "Password is not valid base64";
		return -1;
	}
	if (scheme->raw_size > 0 && str_len(raw) != scheme->raw_size) {
		*error_r = "Password has an invalid length";
		return -1;
	}
	pw_r->scheme = scheme;
	pw_r->raw = raw->data;
	pw_r->raw_size = str_len(raw);
	return 1;
}

int password_verify_parsed(const char *plaintext,
			   const struct password_stored *pw,
			   const char **error_r)
{
	return pw->scheme->verify(plaintext, pw->raw, pw->raw_size, error_r);
}

int password_verify(const char *plaintext, const char *stored,
		    const char *default_scheme, const char **error_r)
{
	struct password_stored pw;
	pool_t pool = pool_create_secure("password verify", 256);
	int ret;

	ret = password_parse(pool, stored, default_scheme, &pw, error_r);
	if (ret > 0)
		ret = password_verify_parsed(plaintext, &pw, error_r);
	else
		ret = -1;
	pool_unref(&pool);
	return ret;
}

const char *password_get_plaintext(const struct password_stored *pw)
{
	if (pw->scheme == &password_scheme_plain ||
	    pw->scheme == &password_scheme_cleartext ||
	    pw->scheme == &password_scheme_clear)
		return (const char *)pw->raw;
	return NULL;
}

int password_generate(pool_t pool, const char *plaintext,
		      const char *scheme_name, unsigned int rounds,
		      const char **hash_r, const char **error_r)
{
	const struct password_scheme *scheme;
	enum password_encoding enc = PASSWORD_ENCODING_NONE;
	bool explicit_enc;
	string_t *raw, *out;
	char *name;

	scheme = scheme_lookup_encoding(pool, scheme_name, &enc, &explicit_enc);
	if (scheme == NULL) {
		*error_r =
		    p_strdup_printf(pool, "Unknown scheme: %s", scheme_name);
		return -1;
	}
	raw = str_new(pool, 128);
	if (scheme->generate(plaintext, rounds, raw, error_r) < 0)
		return -1;

	name = p_strdup(pool, scheme_name);
	str_ucase(name);
	out = str_new(pool, 128);
	str_printfa(out, "{%s}", name);
	switch (enc) {
	case PASSWORD_ENCODING_NONE:
		str_append_str(out, raw);
		break;
	case PASSWORD_ENCODING_BASE64:
		base64_encode(str_data(raw), str_len(raw), out);
		break;
	case PASSWORD_ENCODING_HEX:
		binary_to_hex_append(out, str_data(raw), str_len(raw));
		break;
	}
	*hash_r = str_c(out);
	return 0;
}
