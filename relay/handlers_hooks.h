/* handlers_hooks: inbound callbacks from carriers, aggregators, partners and
 * warehouses (POST /hooks/{tenant}/{source}), and the OAuth2 token endpoint
 * UPS fetches its bearer tokens from. */
#ifndef SHIPRELAY_HANDLERS_HOOKS_H
#define SHIPRELAY_HANDLERS_HOOKS_H
#include "http.h"

void handle_hook(struct http_ctx *ctx);
void handle_hook_token(struct http_ctx *ctx);

#endif
