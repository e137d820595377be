/* token: stateless, expiring bearer tokens signed with a shared secret.
 *
 * A token is "v1.<expiry>.<hex HMAC-SHA256(key, "<subject>/<expiry>")>",
 * optionally followed by ".<kid>" (a key id the verifier uses to find the
 * key; it is part of the subject the MAC covers). Nothing is stored: a
 * token is valid while its expiry (Unix seconds) is in the future and its
 * MAC matches the current key, so changing the key revokes every token
 * made with it. Pure; no allocation. Used by the UPS token endpoint
 * (adapters/ups.c) and the tenant OAuth2 endpoint (relay/oauth.c). */
#ifndef SHIPRELAY_TOKEN_H
#define SHIPRELAY_TOKEN_H
#include <stddef.h>
#include <stdint.h>

#define TOKEN_MAX 256

enum token_result { TOKEN_OK = 0, TOKEN_INVALID, TOKEN_EXPIRED };

/* Write a token valid until expiry into out (TOKEN_MAX bytes). kid may be
 * NULL; when given it must not be longer than 100 bytes. */
void token_issue(const char *key, const char *subject, const char *kid, int64_t expiry, char out[TOKEN_MAX]);
/* The kid a token carries (pointing into token), or NULL when it has none
 * or is malformed. */
const char *token_kid(const char *token);
/* The expiry a token claims (Unix seconds), or -1 when it is malformed. A
 * verifier refuses one further away than the lifetime it issues. */
int64_t token_expiry(const char *token);
/* Check a token against key and subject (the kid, when the token has one,
 * is included as when it was issued). The MAC comparison is constant-time. */
enum token_result token_check(const char *key, const char *subject, const char *token, int64_t now);

#endif
