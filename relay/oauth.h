/* oauth: POST /oauth/token, Carriyo's token call (seed 004; fact sheet §2).
 *
 * The client sends {"client_id", "client_secret"} as JSON (Carriyo's body;
 * an extra grant_type is ignored), as a form, or as HTTP Basic. The client
 * names its tenant (client ids are unique across tenants; a tenant-id
 * header, when sent, must agree). The answer is {access_token,
 * token_type: "Bearer", expires_in: [oauth] token_ttl, scope: "tenant:ID
 * read:orders create:orders update:orders"}; errors are {error,
 * error_description}: 400 bad_request (an id or secret missing), 403
 * access_denied (wrong credentials).
 *
 * The route is public and writes no system-log entry: neither the secret
 * nor the token is ever stored or logged. */
#ifndef SHIPRELAY_OAUTH_H
#define SHIPRELAY_OAUTH_H
#include "http.h"

void handle_oauth_token(struct http_ctx *ctx);

#endif
