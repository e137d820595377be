/* ups: the OAuth2 side of UPS Track Alert. UPS fetches a bearer token from
 * the merchant's token endpoint (client credentials, client_secret_basic)
 * and sends it with every callback; shiprelay is that endpoint.
 *
 * Tokens are token.h's, keyed by the source's client_secret with subject
 * "TENANT/NAME": "v1.<expiry>.<hex HMAC-SHA256(client_secret,
 * "TENANT/NAME/<expiry>")>", so only tokens this relay issued for this source,
 * with the current client secret, unexpired, are accepted; and only for the
 * lifetime the relay issues (an expiry further away than UPS_TOKEN_TTL plus
 * UPS_TOKEN_SKEW from now is refused, however it was signed). */
#ifndef SHIPRELAY_ADAPTER_UPS_H
#define SHIPRELAY_ADAPTER_UPS_H
#include <stddef.h>
#include <stdint.h>

#include "adapter.h"

#define UPS_TOKEN_TTL 3600
#define UPS_TOKEN_SKEW 60 /* clocks of relays sharing a source may differ this much */
#define UPS_TOKEN_MAX 256 /* token.h TOKEN_MAX */

/* Check an `Authorization: Basic …` value against the source's client
 * credentials (constant time). */
int ups_check_client(const struct adapter_source *src, const char *authorization, char *err, size_t errlen);
/* Write a token valid until now + UPS_TOKEN_TTL into out. */
void ups_issue_token(const struct adapter_source *src, int64_t now, char out[UPS_TOKEN_MAX]);

#endif
