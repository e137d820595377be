/* carriyo: a Carriyo Shipment payload as a canonical shipment event. Used by
 * POST /orders/shipment-status-update and by the `carriyo` hook source, so
 * both read the payload the same way. */
#ifndef SHIPRELAY_ADAPTER_CARRIYO_H
#define SHIPRELAY_ADAPTER_CARRIYO_H
#include <jansson.h>
#include <stddef.h>

/* A new canonical event, or NULL with the reason in err when the payload is
 * not an object, lacks references.partner_order_reference or
 * post_shipping_info.status, names no shipment (none of
 * partner_shipment_reference, shipment_id, tracking_no,
 * fulfillment_order_id, items[].sku), or has a status_date / update_date
 * that is not an ISO 8601 date. */
json_t *carriyo_shipment_event(const json_t *payload, char *err, size_t errlen);

#endif
