/* webhook_sign: see webhook_sign.h. */
#include "webhook_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "xmalloc.h"

#define PREFIX "whsec_"

static long secret_key(const char *secret, unsigned char key[64])
{
    if (!secret || strncmp(secret, PREFIX, strlen(PREFIX)) != 0)
        return -1;
    long n = crypto_base64_decode(secret + strlen(PREFIX), key, 64);
    return n >= 24 ? n : -1;
}

void webhook_secret_new(char out[WEBHOOK_SECRET_MAX])
{
    unsigned char key[32];
    crypto_random(key, sizeof key);
    memcpy(out, PREFIX, strlen(PREFIX));
    crypto_base64(key, sizeof key, out + strlen(PREFIX));
}

bool webhook_secret_valid(const char *secret)
{
    unsigned char key[64];
    return secret && strlen(secret) < WEBHOOK_SECRET_MAX && secret_key(secret, key) > 0;
}

int webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body, size_t body_len,
                 char out[WEBHOOK_SIGNATURE_LEN])
{
    unsigned char key[64];
    long key_len = secret_key(secret, key);
    if (key_len < 0)
        return -1;
    char head[160];
    int hl = snprintf(head, sizeof head, "%s.%lld.", msg_id, (long long)timestamp);
    if (hl < 0 || (size_t)hl >= sizeof head)
        return -1;
    char *signed_text = xmalloc((size_t)hl + body_len);
    memcpy(signed_text, head, (size_t)hl);
    memcpy(signed_text + hl, body, body_len);
    unsigned char mac[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256(key, (size_t)key_len, signed_text, (size_t)hl + body_len, mac);
    free(signed_text);
    memcpy(out, "v1,", 3);
    crypto_base64(mac, sizeof mac, out + 3);
    return 0;
}
