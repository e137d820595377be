/* handlers_opsview: the read endpoints behind the console's operational
 * views that the rest of the API did not have:
 *   GET /ops/tenants                      who the caller may look at
 *   GET /ops/hooks                        each of the tenant's sources: callbacks and events
 *   GET /ops/health                       the body spool, the uploader, the outbox
 *   GET /webhooks/endpoints/{id}/stats    an endpoint's deliveries over time
 * Statistics come from memory (health.h, delivery_stats.h, metrics.h):
 * counted since the process started, by this process. */
#ifndef SHIPRELAY_HANDLERS_OPSVIEW_H
#define SHIPRELAY_HANDLERS_OPSVIEW_H
#include "http.h"

void handle_ops_tenants(struct http_ctx *ctx);
void handle_ops_hooks(struct http_ctx *ctx);
void handle_ops_health(struct http_ctx *ctx);
void handle_endpoint_stats(struct http_ctx *ctx);

#endif
