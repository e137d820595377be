/* order: the order document (Carriyo's Order shape, as JSON) and the rules
 * that keep it consistent. Pure: no I/O, no clock (times are passed in).
 *
 * An order is stored and served as one JSON object:
 *   tenant, order_id, partner_order_reference, creation_source, customer,
 *   status, line_items[] {line_item_id, sku, quantity, status},
 *   fulfillment_orders[] {fulfillment_order_id, location, status,
 *                         line_items[] {line_item_id, quantity}},
 *   shipments[] {partner_shipment_reference, tracking_no, shipment_id,
 *                fulfillment_order_id, line_items[] {line_item_id},
 *                link_source, status, status_history[]},
 *   creation_date, update_date,
 * plus any other member the creator sent (kept as sent). Shipments given
 * inside a fulfillment order at creation are lifted to the order's
 * `shipments` with that fulfillment_order_id.
 *
 * Changes are reported as entries appended to a `changes` JSON array:
 *   {change_type, entity_type, entity_id, field, old_value, new_value}
 * The caller stamps them with a date and source and stores them. */
#ifndef SHIPRELAY_ORDER_H
#define SHIPRELAY_ORDER_H
#include <jansson.h>
#include <stddef.h>

/* Validate a POST /orders body and build a new order document from it.
 * Returns a new reference, or NULL with a message naming the bad field in err.
 * Appends an ORDER_CREATED entry to changes. */
json_t *order_create(const json_t *body, const char *tenant, const char *order_id, const char *now_iso,
                     json_t *changes, char *err, size_t errlen);

/* Recompute every fulfillment order's status and the order's, logging each
 * change to changes. Returns the number of statuses that changed. */
int order_recompute(json_t *order, json_t *changes);

/* Append one change entry (old/new may be NULL; references are not stolen). */
void order_change(json_t *changes, const char *change_type, const char *entity_type, const char *entity_id,
                  const char *field, json_t *old_value, json_t *new_value);

/* The line item with this id, or NULL (borrowed). */
json_t *order_line(const json_t *order, const char *line_item_id);
/* Set a line item's status if it differs, logging the change. Returns 1 if changed. */
int order_set_line_status(json_t *line, const char *status, json_t *changes);

#endif
