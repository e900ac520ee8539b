/* base64.c - RFC 4648 base64 (standard alphabet, '=' padding) and hex.
 *
 * Decoding is strict: no whitespace, length a multiple of four, padding
 * only at the end, and unused trailing bits must be zero. No URL-safe
 * alphabet. */
#include "lib.h"
#include "base64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* value + 1; every other byte 0 */
const unsigned char base64_value_map[256] = {
    ['A'] = 1,	['B'] = 2,  ['C'] = 3,	['D'] = 4,  ['E'] = 5,	['F'] = 6,
    ['G'] = 7,	['H'] = 8,  ['I'] = 9,	['J'] = 10, ['K'] = 11, ['L'] = 12,
    ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
    ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
    ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
    ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
    ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

void base64_encode(const void *src, size_t src_size, string_t *dest)
{
	const unsigned char *s = src;
	unsigned char *out = str_reserve(dest, BASE64_ENCODED_SIZE(src_size));
	size_t i, o = 0;

	for (i = 0; i + 2 < src_size; i += 3) {
		out[o++] = b64_alphabet[s[i] >> 2];
		out[o++] = b64_alphabet[((s[i] & 0x03) << 4) | (s[i + 1] >> 4)];
		out[o++] =
		    b64_alphabet[((s[i + 1] & 0x0f) << 2) | (s[i + 2] >> 6)];
		out[o++] = b64_alphabet[s[i + 2] & 0x3f];
	}
	if (i < src_size) {
		out[o++] = b64_alphabet[s[i] >> 2];
		if (i + 1 < src_size) {
			out[o++] = b64_alphabet[((s[i] & 0x03) << 4) |
						(s[i + 1] >> 4)];
			out[o++] = b64_alphabet[(s[i + 1] & 0x0f) << 2];
		} else {
			out[o++] = b64_alphabet[(s[i] & 0x03) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	str_commit(dest, o);
}

int base64_decode(const void *src, size_t src_size, string_t *dest)
{
	const unsigned char *s = src;

	if (src_size % 4 != 0)
		return -1;
	for (size_t i = 0; i < src_size; i += 4) {
		bool last = i + 4 == src_size;
		int v[4];
		unsigned char out[3];
		unsigned int pad = 0;

		for (unsigned int j = 0; j < 4; j++) {
			if (s[i + j] == '=') {
				/* only the last one or two of the last quad */
				if (!last || j < 2)
					return -1;
				v[j] = 0;
				pad++;
			} else {
				if (pad > 0)
					return -1;
				v[j] = base64_char_value(s[i + j]);
				if (v[j] < 0)
					return -1;
			}
		}
		out[0] = (unsigned char)((v[0] << 2) | (v[1] >> 4));
		out[1] = (unsigned char)(((v[1] & 0x0f) << 4) | (v[2] >> 2));
		out[2] = (unsigned char)(((v[2] & 0x03) << 6) | v[3]);
		if (pad == 2 && (v[1] & 0x0f) != 0)
			return -1;
		if (pad == 1 && (v[2] & 0x03) != 0)
			return -1;
		str_append_n(dest, out, 3 - pad);
	}
	return 0;
}

void binary_to_hex_append(string_t *dest, const void *data, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *d = data;
	unsigned char *out = str_reserve(dest, size_mul(size, 2));

	for (size_t i = 0; i < size; i++) {
		out[i * 2] = (unsigned char)hex[d[i] >> 4];
		out[i * 2 + 1] = (unsigned char)hex[d[i] & 0x0f];
	}
	str_commit(dest, size * 2);
}

int hex_to_binary(const char *hex, string_t *dest)
{
	size_t len = strlen(hex);

	if (len % 2 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_digit_value((unsigned char)hex[i]);
		int lo = hex_digit_value((unsigned char)hex[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		str_append_c(dest, (char)((hi << 4) | lo));
	}
	return 0;
}
