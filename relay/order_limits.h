/* order_limits: the bounds that keep the work of one request bounded
 * (issue 9): an order holds at most [orders] max_line_items lines,
 * max_fulfillment_orders fulfillment orders and max_shipments shipments, and
 * each shipment keeps its newest [orders] inline_history status entries in
 * the document (older ones move to the store's shipment history, still
 * readable through the API). Pure. */
#ifndef SHIPRELAY_ORDER_LIMITS_H
#define SHIPRELAY_ORDER_LIMITS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* A create request (before any work is done on it): false with the reason
 * in err when it names more lines, fulfillment orders or shipments than an
 * order may hold. */
bool order_limits_request_ok(const json_t *body, const struct config *cfg, char *err, size_t errlen);
/* An order about to be stored: false with the reason when it holds more,
 * unless it does not hold more of it than before (the stored version, or
 * NULL): an order stored under an older, higher bound may still change. */
bool order_limits_ok(const json_t *order, const json_t *before, const struct config *cfg, char *err, size_t errlen);
/* Move each shipment's status entries beyond the newest inline_history out
 * of the order: a new array of {shipment, entries: [oldest first]} (empty
 * when nothing moved). */
json_t *order_limits_trim_history(json_t *order, const struct config *cfg);
/* The key a shipment is known by (partner_shipment_reference, else
 * tracking_no, else shipment_id), or NULL. */
const char *order_shipment_key(const json_t *ship);

#endif
