/* auth: authentication of API calls and of OAuth2 clients.
 *
 * A request names its tenant in `tenant-id` and proves it with `x-api-key`.
 * Every configured key of the tenant is compared in constant time (the
 * comparison does not stop at the first differing byte, nor at the first key
 * that matches), and the caller learns only yes or no, so a 401 never says
 * which part was wrong.
 *
 * Carriyo's scheme adds `Authorization: Bearer <token>` from POST
 * /oauth/token (seed 004). A tenant with require_oauth needs it on every
 * call; for the others it is optional, but a bearer token that is sent must
 * be valid. Tokens are token.h's: "v1.<expiry>.<mac>.<client_id>", keyed by
 * that client's secret with subject "oauth/<tenant>", so a token works for
 * its own tenant only, until it expires or its client's secret is removed. */
#ifndef SHIPRELAY_AUTH_H
#define SHIPRELAY_AUTH_H
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "token.h"

/* True when tenant_id names a configured tenant and api_key is one of its keys.
 * Either argument may be NULL (then false). */
bool auth_tenant_key_ok(const struct config *cfg, const char *tenant_id, const char *api_key);
/* True when [console] admin_key is set and key is it (constant time). The
 * operator's key: see http.h for what it may call. */
bool auth_admin_key_ok(const struct config *cfg, const char *key);
/* The whole check of an API call: the key, and the bearer token the
 * tenant's policy asks for (authorization is the raw header, may be NULL). */
bool auth_request_ok(const struct config *cfg, const char *tenant_id, const char *api_key,
                     const char *authorization, int64_t now);
/* The tenant whose client this is, when client_secret is right (constant
 * time over the tenant's secrets); NULL otherwise. */
const struct config_tenant *auth_client(const struct config *cfg, const char *client_id, const char *client_secret);
/* A token for that client, valid until expiry (TOKEN_MAX bytes). */
void auth_issue_token(const struct config_tenant *t, const char *client_id, const char *client_secret,
                      int64_t expiry, char out[TOKEN_MAX]);
/* TOKEN_OK when token is a live token of one of t's clients. */
enum token_result auth_check_token(const struct config_tenant *t, const char *token, int64_t now);

#endif
