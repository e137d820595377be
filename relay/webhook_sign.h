/* webhook_sign: Standard Webhooks signatures and secrets. Pure.
 *
 * A secret is "whsec_" + base64 of the key bytes (32 random bytes when the
 * relay makes one). The signature of a delivery is "v1," + base64
 * HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>"); during a
 * rotation the header carries one per live secret, space separated. */
#ifndef SHIPRELAY_WEBHOOK_SIGN_H
#define SHIPRELAY_WEBHOOK_SIGN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_SECRET_MAX 128
#define WEBHOOK_SIGNATURE_LEN 48 /* "v1," + 44 base64 chars + NUL */

/* A fresh secret. */
void webhook_secret_new(char out[WEBHOOK_SECRET_MAX]);
/* "whsec_" followed by base64 of 24 to 64 bytes. */
bool webhook_secret_valid(const char *secret);
/* Sign; -1 when the secret is not valid. */
int webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body, size_t body_len,
                 char out[WEBHOOK_SIGNATURE_LEN]);

#endif
