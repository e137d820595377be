/* handlers_orders: the /orders API (Carriyo shapes). Each handler follows
 * http.h's contract: one reply per request, possibly after a store job. */
#ifndef SHIPRELAY_HANDLERS_ORDERS_H
#define SHIPRELAY_HANDLERS_ORDERS_H
#include "http.h"

void handle_healthz(struct http_ctx *ctx);
void handle_order_create(struct http_ctx *ctx);
void handle_order_get(struct http_ctx *ctx);
void handle_order_change_logs(struct http_ctx *ctx);
void handle_shipment_status_update(struct http_ctx *ctx);

#endif
