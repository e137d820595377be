/* token: see token.h. */
#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

#define MAC_HEX (2 * CRYPTO_SHA256_LEN)

static void mac(const char *key, const char *subject, const char *kid, long long expiry, char hex[MAC_HEX + 1])
{
    char msg[512];
    int n = kid ? snprintf(msg, sizeof msg, "%s/%s/%lld", subject, kid, expiry)
                : snprintf(msg, sizeof msg, "%s/%lld", subject, expiry);
    if (n < 0 || (size_t)n >= sizeof msg)
        n = (int)sizeof msg - 1; /* subjects are short ids; truncation only weakens nothing */
    unsigned char raw[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256(key, strlen(key), msg, (size_t)n, raw);
    crypto_hex(raw, sizeof raw, hex);
}

void token_issue(const char *key, const char *subject, const char *kid, int64_t expiry, char out[TOKEN_MAX])
{
    char hex[MAC_HEX + 1];
    mac(key, subject, kid, (long long)expiry, hex);
    if (kid)
        snprintf(out, TOKEN_MAX, "v1.%lld.%s.%.100s", (long long)expiry, hex, kid);
    else
        snprintf(out, TOKEN_MAX, "v1.%lld.%s", (long long)expiry, hex);
}

/* Split "v1.<expiry>.<hex>[.<kid>]": the expiry, where the MAC starts, and
 * the kid (NULL when none). False when malformed. */
static int parse(const char *token, long long *expiry, const char **hex, const char **kid)
{
    if (!token || strncmp(token, "v1.", 3) != 0)
        return 0;
    char *end;
    *expiry = strtoll(token + 3, &end, 10);
    if (end == token + 3 || *end != '.' || *expiry <= 0)
        return 0;
    *hex = end + 1;
    size_t rest = strlen(*hex);
    if (rest < MAC_HEX || (rest > MAC_HEX && ((*hex)[MAC_HEX] != '.' || rest == MAC_HEX + 1)))
        return 0;
    *kid = rest > MAC_HEX ? *hex + MAC_HEX + 1 : NULL;
    return 1;
}

const char *token_kid(const char *token)
{
    long long expiry;
    const char *hex, *kid;
    return parse(token, &expiry, &hex, &kid) ? kid : NULL;
}

int64_t token_expiry(const char *token)
{
    long long expiry;
    const char *hex, *kid;
    return parse(token, &expiry, &hex, &kid) ? (int64_t)expiry : -1;
}

enum token_result token_check(const char *key, const char *subject, const char *token, int64_t now)
{
    long long expiry;
    const char *hex, *kid;
    if (!parse(token, &expiry, &hex, &kid))
        return TOKEN_INVALID;
    char want[MAC_HEX + 1];
    mac(key, subject, kid, expiry, want);
    if (!crypto_equal(want, MAC_HEX, hex, MAC_HEX))
        return TOKEN_INVALID;
    return expiry > now ? TOKEN_OK : TOKEN_EXPIRED;
}
