/* handlers_fo: PATCH /orders/{ref} and the fulfillment-order operations
 * under /orders/{ref}/fulfillment-orders (fact sheet §5). Each is an
 * order_job (order_job.h) running a pure operation (order_patch.h,
 * fo_ops.h, fo_updates.h, fo_control.h, allocation.h) with its Carriyo
 * trigger (or, for fulfillment control, shiprelay's: webhook_events.h). */
#ifndef SHIPRELAY_HANDLERS_FO_H
#define SHIPRELAY_HANDLERS_FO_H
#include "http.h"

void handle_order_patch(struct http_ctx *ctx);
void handle_fo_fulfill(struct http_ctx *ctx);
void handle_fo_unfulfill(struct http_ctx *ctx);
void handle_fo_split(struct http_ctx *ctx);
void handle_fo_merge(struct http_ctx *ctx);
void handle_fo_allocate(struct http_ctx *ctx);
void handle_fo_ship(struct http_ctx *ctx);
void handle_fo_cancel(struct http_ctx *ctx);
void handle_fo_update_location(struct http_ctx *ctx);
void handle_fo_update_address(struct http_ctx *ctx);
void handle_fo_update_delivery_method(struct http_ctx *ctx);
void handle_fo_update_schedule(struct http_ctx *ctx);
void handle_fo_update_partner_references(struct http_ctx *ctx);
void handle_fo_hold(struct http_ctx *ctx);
void handle_fo_resume(struct http_ctx *ctx);
void handle_fo_request_fulfillment(struct http_ctx *ctx);

#endif
