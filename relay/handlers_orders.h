/* handlers_orders: the /orders API (Carriyo shapes). Each handler follows
 * http.h's contract: one reply per request, possibly after a store job. */
#ifndef SHIPRELAY_HANDLERS_ORDERS_H
#define SHIPRELAY_HANDLERS_ORDERS_H
#include "http.h"

/* The order the path's {reference} names (?key=order_id|partner_order_reference,
 * order_id by default), from the worker's reader; NULL after replying 400,
 * 404 or 503. The caller owns the result. */
json_t *orders_lookup(struct http_ctx *ctx);

void handle_healthz(struct http_ctx *ctx);
void handle_order_create(struct http_ctx *ctx);
void handle_order_get(struct http_ctx *ctx);
void handle_order_change_logs(struct http_ctx *ctx);
void handle_shipment_status_update(struct http_ctx *ctx);

#endif
