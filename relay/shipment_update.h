/* shipment_update: applying a Carriyo Shipment payload to an order
 * (POST /orders/shipment-status-update; seeds 000 and 004). Pure.
 *
 * The payload is matched to a shipment of the order by
 * partner_shipment_reference, else tracking_no, else shipment_id. A shipment
 * seen for the first time is added and linked to line items: by the
 * fulfillment order the payload names (references.fulfillment_order_id or
 * fulfillment_order_id), else by matching items[].sku against the order's
 * lines that are still open to a shipment. The link is stored on the
 * shipment (`line_items`, `link_source`).
 *
 * The status and its history are always recorded. A repeat (same status as
 * the shipment's current one, or an exact event already in its history)
 * changes nothing. A status the shipment may not move to (see
 * shipment_status.h), or one outside the vocabulary, is kept as history only.
 * When the shipment becomes delivered (or delivery_confirmed) and autoclose
 * is allowed, its linked line items close and the rollup runs. */
#ifndef SHIPRELAY_SHIPMENT_UPDATE_H
#define SHIPRELAY_SHIPMENT_UPDATE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The checks made before any lookup: 0, or -1 with the reason in err. */
int shipment_update_validate(const json_t *payload, char *err, size_t errlen);

/* Apply a validated payload to order. Appends change entries to changes and
 * returns true when the order document changed (the caller stores it and
 * sets update_date), false for a repeat. */
bool shipment_update_apply(json_t *order, const json_t *payload, bool autoclose, const char *now_iso,
                           json_t *changes);

#endif
