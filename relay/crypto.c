/* crypto: see crypto.h. */
#include "crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

void crypto_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                        unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned int n = CRYPTO_SHA256_LEN;
    if (!HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &n))
        abort();
}

void crypto_sha256(const void *msg, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
    SHA256(msg, len, out);
}

size_t crypto_base64(const unsigned char *in, size_t len, char *out)
{
    return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

long crypto_base64_decode(const char *in, unsigned char *out, size_t out_cap)
{
    size_t len = strlen(in);
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > out_cap + 2)
        return -1;
    unsigned char *tmp = malloc(len / 4 * 3 + 1);
    if (!tmp)
        abort();
    int n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len);
    if (n >= 0) {
        /* EVP_DecodeBlock counts padding as zero bytes. */
        if (in[len - 1] == '=')
            n--;
        if (in[len - 2] == '=')
            n--;
    }
    long rc = -1;
    if (n >= 0 && (size_t)n <= out_cap) {
        memcpy(out, tmp, (size_t)n);
        rc = n;
    }
    free(tmp);
    return rc;
}

void crypto_hex(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

bool crypto_equal(const void *a, size_t a_len, const void *b, size_t b_len)
{
    if (a_len != b_len)
        return false;
    return CRYPTO_memcmp(a, b, a_len) == 0;
}

/* RAND_bytes costs about as much for 16 bytes as for 512 (its locking and
 * DRBG setup), and ids take a few bytes per request: each thread draws a
 * block and hands it out, wiping what it handed. */
#define RANDOM_BLOCK 512

void crypto_random(unsigned char *out, size_t n)
{
    static _Thread_local unsigned char block[RANDOM_BLOCK];
    static _Thread_local size_t left;
    if (n > RANDOM_BLOCK / 4) {
        if (RAND_bytes(out, (int)n) != 1)
            abort();
        return;
    }
    if (left < n) {
        if (RAND_bytes(block, RANDOM_BLOCK) != 1)
            abort();
        left = RANDOM_BLOCK;
    }
    unsigned char *from = block + RANDOM_BLOCK - left;
    memcpy(out, from, n);
    OPENSSL_cleanse(from, n);
    left -= n;
}
