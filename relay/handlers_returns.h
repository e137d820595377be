/* handlers_returns: the return requests API (fact sheet §12):
 *
 *   POST  /returns/requests                   create (201); linked and scoped
 *                                             to its order when the relay holds it
 *   GET   /returns/requests                   list (?partner_order_reference=,
 *                                             ?status=, ?merchant=, limit, after)
 *   GET   /returns/requests/{id}              one (404)
 *   PATCH /returns/requests/{id}              while pending
 *   POST  /returns/requests/{id}/approve | reject | cancel | complete
 *
 * Every write is one store job: load, apply the pure step (returns.h),
 * store with returns_store (returns_pipeline.h), reply 200 with the
 * request; a repeat is a 200 that changes nothing, a refusal 409 naming
 * what is allowed (also on the order's change log, OPERATION_REFUSED, when
 * the request is linked), 404 for an unknown request (or another
 * merchant's, with ?merchant=), 400 for a bad body. */
#ifndef SHIPRELAY_HANDLERS_RETURNS_H
#define SHIPRELAY_HANDLERS_RETURNS_H
#include "http.h"

void handle_return_create(struct http_ctx *ctx);
void handle_return_list(struct http_ctx *ctx);
void handle_return_get(struct http_ctx *ctx);
void handle_return_patch(struct http_ctx *ctx);
void handle_return_approve(struct http_ctx *ctx);
void handle_return_reject(struct http_ctx *ctx);
void handle_return_cancel(struct http_ctx *ctx);
void handle_return_complete(struct http_ctx *ctx);

#endif
