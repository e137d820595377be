/* registry: the table of adapter kinds, and the helpers they share. */
#include "adapter.h"

#include <string.h>
#include <strings.h>

#include "crypto.h"

static const struct adapter *const registry[] = {
    &adapter_aftership, &adapter_easypost,        &adapter_shippo,  &adapter_ups, &adapter_dhl,
    &adapter_aymakan,   &adapter_carriyo_carrier, &adapter_carriyo, &adapter_wms,
};
#define N_ADAPTERS (sizeof registry / sizeof registry[0])

const struct adapter *adapter_find(const char *kind)
{
    for (size_t i = 0; kind && i < N_ADAPTERS; i++)
        if (strcmp(registry[i]->kind, kind) == 0)
            return registry[i];
    return NULL;
}

const char *adapter_kinds(void)
{
    return "aftership, easypost, shippo, ups, dhl, aymakan, carriyo-carrier, carriyo, wms";
}

const char *adapter_map_status(const struct adapter_status_map *map, size_t n, const char *raw, const char *sub)
{
    if (!raw)
        return NULL;
    const char *fallback = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(map[i].raw, raw) != 0)
            continue;
        if (!map[i].sub)
            fallback = fallback ? fallback : map[i].status;
        else if (sub && strcasecmp(map[i].sub, sub) == 0)
            return map[i].status;
    }
    return fallback;
}

const char *adapter_token_header(const struct adapter_source *src, const struct adapter *a)
{
    return src->header && *src->header ? src->header : a->default_header;
}

int adapter_check_token(const struct adapter_source *src, const struct adapter *a, const struct adapter_request *req,
                        char *err, size_t errlen)
{
    if (!src->token) {
        if (src->allow_unauthenticated)
            return ADAPTER_OK;
        snprintf(err, errlen, "this source has no token configured");
        return ADAPTER_UNAUTHORIZED;
    }
    const char *name = adapter_token_header(src, a);
    const char *given = name ? req->header(req->ctx, name) : NULL;
    if (!given) {
        snprintf(err, errlen, "the %s header is missing", name ? name : "token");
        return ADAPTER_UNAUTHORIZED;
    }
    unsigned char g[CRYPTO_SHA256_LEN], w[CRYPTO_SHA256_LEN];
    crypto_sha256(given, strlen(given), g);
    crypto_sha256(src->token, strlen(src->token), w);
    if (!crypto_equal(g, sizeof g, w, sizeof w)) {
        snprintf(err, errlen, "the %s header does not carry this source's token", name);
        return ADAPTER_UNAUTHORIZED;
    }
    return ADAPTER_OK;
}

size_t adapter_encode_hex(const unsigned char *digest, char *out)
{
    crypto_hex(digest, CRYPTO_SHA256_LEN, out);
    return CRYPTO_SHA256_LEN * 2;
}

size_t adapter_encode_base64(const unsigned char *digest, char *out)
{
    return crypto_base64(digest, CRYPTO_SHA256_LEN, out);
}

int adapter_check_hmac(const struct adapter_source *src, const void *msg, size_t msg_len, const char *given,
                       size_t (*encode)(const unsigned char *digest, char *out), char *err, size_t errlen)
{
    if (!given || !*given) {
        snprintf(err, errlen, "the signature is missing");
        return ADAPTER_UNAUTHORIZED;
    }
    int ok = 0;
    size_t given_len = strlen(given);
    for (size_t i = 0; i < src->n_secrets; i++) {
        unsigned char mac[CRYPTO_SHA256_LEN];
        char text[CRYPTO_B64_LEN(CRYPTO_SHA256_LEN) + CRYPTO_HEX_LEN(CRYPTO_SHA256_LEN)];
        crypto_hmac_sha256(src->secrets[i], strlen(src->secrets[i]), msg, msg_len, mac);
        size_t n = encode(mac, text);
        ok |= crypto_equal(text, n, given, given_len);
    }
    if (!ok) {
        snprintf(err, errlen, "the signature does not match the body");
        return ADAPTER_UNAUTHORIZED;
    }
    return ADAPTER_OK;
}

void adapter_set(json_t *event, const char *key, const char *s)
{
    if (s && *s)
        json_object_set_new(event, key, json_string(s));
}

json_t *adapter_event(const char *kind)
{
    return json_pack("{s:s}", "kind", kind);
}
