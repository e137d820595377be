/* auth: tenant API-key authentication for the API routes.
 *
 * A request names its tenant in `tenant-id` and proves it with `x-api-key`.
 * Every configured key of the tenant is compared in constant time (the
 * comparison does not stop at the first differing byte, nor at the first key
 * that matches), and the caller learns only yes or no, so a 401 never says
 * which part was wrong. */
#ifndef SHIPRELAY_AUTH_H
#define SHIPRELAY_AUTH_H
#include <stdbool.h>

#include "config.h"

/* True when tenant_id names a configured tenant and api_key is one of its keys.
 * Either argument may be NULL (then false). */
bool auth_tenant_key_ok(const struct config *cfg, const char *tenant_id, const char *api_key);

#endif
