/* scheme-cram.c - the CRAM-MD5 password scheme: the HMAC-MD5 context of
 * the password (see credentials.h), hex by default. It exists so that a
 * passdb can serve the CRAM-MD5 mechanism without storing the plaintext;
 * it can also verify a plaintext password. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "lib.h"
#include "str.h"
#include "password-scheme.h"
#include "credentials.h"

#include <openssl/md5.h>

#define HMAC_BLOCK_SIZE 64

static void md5_state_put(unsigned char *out, const MD5_CTX *md)
{
	const MD5_LONG words[4] = {md->A, md->B, md->C, md->D};

	for (unsigned int i = 0; i < 4; i++) {
		out[i * 4] = words[i] & 0xff;
		out[i * 4 + 1] = (words[i] >> 8) & 0xff;
		out[i * 4 + 2] = (words[i] >> 16) & 0xff;
		out[i * 4 + 3] = (words[i] >> 24) & 0xff;
	}
}

static void md5_state_get(MD5_CTX *md, const unsigned char *in)
{
	MD5_LONG words[4];

	for (unsigned int i = 0; i < 4; i++) {
		words[i] = (MD5_LONG)in[i * 4] |
			   ((MD5_LONG)in[i * 4 + 1] << 8) |
			   ((MD5_LONG)in[i * 4 + 2] << 16) |
			   ((MD5_LONG)in[i * 4 + 3] << 24);
	}
	memset(md, 0, sizeof(*md));
	md->A = words[0];
	md->B = words[1];
	md->C = words[2];
	md->D = words[3];
	/* one 64-byte block already processed */
	md->Nl = HMAC_BLOCK_SIZE * 8;
}

void cram_md5_context_from_password(const char *password,
				    unsigned char ctx_r[CRAM_MD5_CONTEXT_SIZE])
{
	unsigned char key[HMAC_BLOCK_SIZE], block[HMAC_BLOCK_SIZE];
	size_t len = strlen(password);
	MD5_CTX md;

	/* RFC 2104: keys longer than the block are hashed first. */
	memset(key, 0, sizeof(key));
	if (len > HMAC_BLOCK_SIZE)
		MD5((const unsigned char *)password, len, key);
	else
		memcpy(key, password, len);

	for (unsigned int i = 0; i < HMAC_BLOCK_SIZE; i++)
		block[i] = key[i] ^ 0x36;
	MD5_Init(&md);
	MD5_Update(&md, block, sizeof(block));
	md5_state_put(ctx_r + 16, &md);

	for (unsigned int i = 0; i < HMAC_BLOCK_SIZE; i++)
		block[i] = key[i] ^ 0x5c;
	MD5_Init(&md);
	MD5_Update(&md, block, sizeof(block));
	md5_state_put(ctx_r, &md);

	safe_memset0(key, sizeof(key));
	safe_memset0(block, sizeof(block));
	safe_memset0(&md, sizeof(md));
}

void cram_md5_context_hmac(const unsigned char ctx[CRAM_MD5_CONTEXT_SIZE],
			   const void *msg, size_t msg_size,
			   unsigned char digest_r[CRAM_MD5_DIGEST_SIZE])
{
	unsigned char inner[CRAM_MD5_DIGEST_SIZE];
	MD5_CTX md;

	md5_state_get(&md, ctx + 16);
	MD5_Update(&md, msg, msg_size);
	MD5_Final(inner, &md);

	md5_state_get(&md, ctx);
	MD5_Update(&md, inner, sizeof(inner));
	MD5_Final(digest_r, &md);
	safe_memset0(inner, sizeof(inner));
	safe_memset0(&md, sizeof(md));
}

static int cram_verify(const char *plaintext, const unsigned char *raw,
		       size_t raw_size, const char **error_r)
{
	unsigned char ctx[CRAM_MD5_CONTEXT_SIZE];
	bool equal;

	if (raw_size != CRAM_MD5_CONTEXT_SIZE) {
		*error_r = "Password has an invalid length";
		return -1;
	}
	cram_md5_context_from_password(plaintext, ctx);
	equal = mem_equals_timing_safe(ctx, raw, sizeof(ctx));
	safe_memset0(ctx, sizeof(ctx));
	return equal ? 1 : 0;
}

static int cram_generate(const char *plaintext, unsigned int rounds,
			 string_t *dest, const char **error_r)
{
	unsigned char ctx[CRAM_MD5_CONTEXT_SIZE];

	cram_md5_context_from_password(plaintext, ctx);
	str_append_n(dest, ctx, sizeof(ctx));
	safe_memset0(ctx, sizeof(ctx));
	return 0;
}

const struct password_scheme password_scheme_cram_md5 = {
    .name = "CRAM-MD5",
    .default_encoding = PASSWORD_ENCODING_HEX,
    .raw_size = CRAM_MD5_CONTEXT_SIZE,
    .verify = cram_verify,
    .generate = cram_generate,
};
