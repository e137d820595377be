/* auth: constant-time API-key and client checks, bearer tokens. See auth.h. */
#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Keys are hashed first so the comparison is of equal-length digests: the
 * time taken does not depend on the key lengths either. */
static void digest(const char *s, unsigned char out[SHA256_DIGEST_LENGTH])
{
    SHA256((const unsigned char *)s, strlen(s), out);
}

/* Does given match any of n secrets? Every one is compared. */
static bool any_equal(const char *given, const char *const *secrets, size_t n, size_t stride)
{
    unsigned char g[SHA256_DIGEST_LENGTH], want[SHA256_DIGEST_LENGTH];
    digest(given, g);
    int ok = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = *(const char *const *)((const char *)secrets + i * stride);
        digest(s ? s : "", want);
        ok |= CRYPTO_memcmp(g, want, sizeof want) == 0 && s;
    }
    return ok != 0;
}

bool auth_tenant_key_ok(const struct config *cfg, const char *tenant_id, const char *api_key)
{
    if (!tenant_id || !api_key)
        return false;
    const struct config_tenant *t = config_find_tenant(cfg, tenant_id);
    if (!t) {
        /* Same work as a real comparison, so an unknown tenant costs the same. */
        const char *none = NULL;
        any_equal(api_key, &none, 1, sizeof none);
        return false;
    }
    return any_equal(api_key, (const char *const *)t->api_keys, t->n_api_keys, sizeof *t->api_keys);
}

bool auth_admin_key_ok(const struct config *cfg, const char *key)
{
    const char *want = cfg->admin_key && cfg->admin_key[0] ? cfg->admin_key : NULL;
    if (!key)
        return false;
    return any_equal(key, &want, 1, sizeof want);
}

static void subject_of(const struct config_tenant *t, char out[128])
{
    snprintf(out, 128, "oauth/%s", t->id);
}

void auth_issue_token(const struct config_tenant *t, const char *client_id, const char *client_secret,
                      int64_t expiry, char out[TOKEN_MAX])
{
    char subject[128];
    subject_of(t, subject);
    token_issue(client_secret, subject, client_id, expiry, out);
}

enum token_result auth_check_token(const struct config_tenant *t, const char *token, int64_t now)
{
    const char *kid = token_kid(token);
    char subject[128];
    subject_of(t, subject);
    enum token_result best = TOKEN_INVALID;
    for (size_t i = 0; kid && i < t->n_clients; i++) {
        if (strcmp(t->clients[i].id, kid) != 0)
            continue;
        enum token_result r = token_check(t->clients[i].secret, subject, token, now);
        if (r == TOKEN_OK || (r == TOKEN_EXPIRED && best == TOKEN_INVALID))
            best = r;
    }
    return best;
}

bool auth_request_ok(const struct config *cfg, const char *tenant_id, const char *api_key,
                     const char *authorization, int64_t now)
{
    if (!auth_tenant_key_ok(cfg, tenant_id, api_key))
        return false;
    const struct config_tenant *t = config_find_tenant(cfg, tenant_id);
    if (!authorization)
        return !t->require_oauth;
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return !t->require_oauth; /* another scheme is not ours to judge, unless ours is required */
    /* never honour a lifetime longer than the one this relay issues */
    if (token_expiry(authorization + 7) > now + cfg->token_ttl + 60)
        return false;
    return auth_check_token(t, authorization + 7, now) == TOKEN_OK;
}

const struct config_tenant *auth_client(const struct config *cfg, const char *client_id, const char *client_secret)
{
    if (!client_id || !client_secret)
        return NULL;
    const struct config_tenant *t = config_find_client_tenant(cfg, client_id);
    if (!t) {
        const char *none = NULL;
        any_equal(client_secret, &none, 1, sizeof none);
        return NULL;
    }
    bool ok = false;
    for (size_t i = 0; i < t->n_clients; i++) {
        const char *s = strcmp(t->clients[i].id, client_id) == 0 ? t->clients[i].secret : NULL;
        ok |= any_equal(client_secret, &s, 1, sizeof s);
    }
    return ok ? t : NULL;
}
