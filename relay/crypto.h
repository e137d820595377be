/* crypto: the small primitives signatures are made of, over OpenSSL.
 *
 * Everything here is pure and allocation-free except where noted; outputs go
 * into caller buffers sized by the macros below. */
#ifndef SHIPRELAY_CRYPTO_H
#define SHIPRELAY_CRYPTO_H
#include <stdbool.h>
#include <stddef.h>

#define CRYPTO_SHA256_LEN 32
/* Room for base64 (with padding) or hex of n bytes, plus the NUL. */
#define CRYPTO_B64_LEN(n) ((((n) + 2) / 3) * 4 + 1)
#define CRYPTO_HEX_LEN(n) ((n) * 2 + 1)

void crypto_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                        unsigned char out[CRYPTO_SHA256_LEN]);
void crypto_sha256(const void *msg, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);
/* Standard base64 with padding; returns the length written (without NUL). */
size_t crypto_base64(const unsigned char *in, size_t len, char *out);
/* Decode standard base64 (padding required); -1 on malformed input or when
 * the result would not fit in out_cap. */
long crypto_base64_decode(const char *in, unsigned char *out, size_t out_cap);
/* Lowercase hex. */
void crypto_hex(const unsigned char *in, size_t len, char *out);
/* Equal contents and length; time depends on the lengths only. */
bool crypto_equal(const void *a, size_t a_len, const void *b, size_t b_len);
/* Fill out with n cryptographically random bytes (aborts if the RNG fails). */
void crypto_random(unsigned char *out, size_t n);

#endif
