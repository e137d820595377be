/* handlers_webhooks: the merchant-facing webhook API: endpoints
 * (subscriptions), the messages sent to them and every attempt. */
#ifndef SHIPRELAY_HANDLERS_WEBHOOKS_H
#define SHIPRELAY_HANDLERS_WEBHOOKS_H
#include "http.h"

void handle_endpoint_create(struct http_ctx *ctx);
void handle_endpoint_list(struct http_ctx *ctx);
void handle_endpoint_get(struct http_ctx *ctx);
void handle_endpoint_patch(struct http_ctx *ctx);
void handle_endpoint_delete(struct http_ctx *ctx);
void handle_endpoint_rotate(struct http_ctx *ctx);
void handle_endpoint_recover(struct http_ctx *ctx);
void handle_message_list(struct http_ctx *ctx);
void handle_message_get(struct http_ctx *ctx);
void handle_message_attempts(struct http_ctx *ctx);
void handle_message_retry(struct http_ctx *ctx);

#endif
