/* auth: constant-time API-key check. See auth.h. */
#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

/* Keys are hashed first so the comparison is of equal-length digests: the
 * time taken does not depend on the key lengths either. */
static void digest(const char *s, unsigned char out[SHA256_DIGEST_LENGTH])
{
    SHA256((const unsigned char *)s, strlen(s), out);
}

bool auth_tenant_key_ok(const struct config *cfg, const char *tenant_id, const char *api_key)
{
    if (!tenant_id || !api_key)
        return false;
    const struct config_tenant *t = config_find_tenant(cfg, tenant_id);
    unsigned char given[SHA256_DIGEST_LENGTH], want[SHA256_DIGEST_LENGTH];
    digest(api_key, given);
    int ok = 0;
    if (!t) {
        /* Same work as a real comparison, so an unknown tenant costs the same. */
        digest("", want);
        CRYPTO_memcmp(given, want, sizeof want);
        return false;
    }
    for (size_t i = 0; i < t->n_api_keys; i++) {
        digest(t->api_keys[i], want);
        ok |= CRYPTO_memcmp(given, want, sizeof want) == 0;
    }
    return ok != 0;
}
