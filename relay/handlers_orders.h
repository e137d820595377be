/* handlers_orders: the /orders API (Carriyo shapes): create, read, list,
 * change logs and shipment-status-update. Each handler follows http.h's
 * contract: one reply per request, possibly after a store job. Order paths
 * name their order as order_ref.h says. */
#ifndef SHIPRELAY_HANDLERS_ORDERS_H
#define SHIPRELAY_HANDLERS_ORDERS_H
#include "http.h"

/* The order the path names (order_ref_read); kept for the handlers that
 * used it. The caller owns the result. */
json_t *orders_lookup(struct http_ctx *ctx);

void handle_healthz(struct http_ctx *ctx);
void handle_order_create(struct http_ctx *ctx);
void handle_order_get(struct http_ctx *ctx);
void handle_order_list(struct http_ctx *ctx);
void handle_order_change_logs(struct http_ctx *ctx);
/* GET /orders/{reference}/shipments/{shipment}/status-history: a
 * shipment's whole status history, the archived part paged (limit, after). */
void handle_shipment_history(struct http_ctx *ctx);
void handle_shipment_status_update(struct http_ctx *ctx);

#endif
