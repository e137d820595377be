/* sigv4: see sigv4.h. Field names and the algorithm are AWS's; the vectors
 * in tests/unit/test_sigv4.c are AWS's published ones. */
#include "sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "xmalloc.h"

char *sigv4_encode(const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = xmalloc(strlen(s) * 3 + 1), *w = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~' || (keep_slash && *p == '/'))
            *w++ = (char)*p;
        else {
            *w++ = '%';
            *w++ = hex[*p >> 4];
            *w++ = hex[*p & 15];
        }
    }
    *w = '\0';
    return out;
}

static void signing_key(const char *secret, const char *date8, const char *region, const char *service,
                        unsigned char key[CRYPTO_SHA256_LEN])
{
    char *k = xasprintf("AWS4%s", secret);
    crypto_hmac_sha256(k, strlen(k), date8, strlen(date8), key);
    free(k);
    crypto_hmac_sha256(key, CRYPTO_SHA256_LEN, region, strlen(region), key);
    crypto_hmac_sha256(key, CRYPTO_SHA256_LEN, service, strlen(service), key);
    crypto_hmac_sha256(key, CRYPTO_SHA256_LEN, "aws4_request", 12, key);
}

void sigv4_signing_key_hex(const char *secret, const char *date8, const char *region, const char *service,
                           char out[65])
{
    unsigned char key[CRYPTO_SHA256_LEN];
    signing_key(secret, date8, region, service, key);
    crypto_hex(key, sizeof key, out);
}

void sigv4_signature(const struct sigv4_credentials *c, const char *amz_date, const char *canonical_request,
                     char out[65])
{
    char date8[9];
    snprintf(date8, sizeof date8, "%.8s", amz_date);
    unsigned char digest[CRYPTO_SHA256_LEN], key[CRYPTO_SHA256_LEN], sig[CRYPTO_SHA256_LEN];
    char digest_hex[65];
    crypto_sha256(canonical_request, strlen(canonical_request), digest);
    crypto_hex(digest, sizeof digest, digest_hex);
    char *to_sign = xasprintf("AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date8, c->region,
                              c->service, digest_hex);
    signing_key(c->secret_key, date8, c->region, c->service, key);
    crypto_hmac_sha256(key, sizeof key, to_sign, strlen(to_sign), sig);
    free(to_sign);
    crypto_hex(sig, sizeof sig, out);
}

char *sigv4_presign(const struct sigv4_credentials *c, const char *scheme, const char *host, const char *path,
                    int64_t unix_time, long expires, const char *payload_hash)
{
    time_t t = (time_t)unix_time;
    struct tm tm;
    gmtime_r(&t, &tm);
    char amz_date[17], date8[9];
    strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
    strftime(date8, sizeof date8, "%Y%m%d", &tm);
    char *scope = xasprintf("%s/%s/%s/%s/aws4_request", c->access_key, date8, c->region, c->service);
    char *cred = sigv4_encode(scope, 0);
    char *token = c->session_token ? sigv4_encode(c->session_token, 0) : NULL;
    /* The parameters in byte order, as the canonical query wants them. */
    char *query = xasprintf("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s&X-Amz-Date=%s&X-Amz-Expires=%ld"
                            "%s%s&X-Amz-SignedHeaders=host",
                            cred, amz_date, expires, token ? "&X-Amz-Security-Token=" : "", token ? token : "");
    char *enc_path = sigv4_encode(path, 1);
    char *creq = xasprintf("GET\n%s\n%s\nhost:%s\n\nhost\n%s", enc_path, query, host, payload_hash);
    char sig[65];
    sigv4_signature(c, amz_date, creq, sig);
    char *url = xasprintf("%s://%s%s?%s&X-Amz-Signature=%s", scheme, host, enc_path, query, sig);
    free(scope);
    free(cred);
    free(token);
    free(query);
    free(enc_path);
    free(creq);
    return url;
}
