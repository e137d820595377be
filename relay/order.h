/* order: the order document (Carriyo's Order shape, as JSON) and the rules
 * that keep it consistent. Pure: no I/O, no clock (times are passed in).
 *
 * An order is stored and served as one JSON object: Carriyo's members
 * (order_shape.h), line_items[] {id = line_item_id, sku, quantity, status},
 * fulfillment_orders[] {fulfillment_order_id, location_id, status,
 * delivery members, line_items[] (FO lines)}, shipments[]
 * {partner_shipment_reference, tracking_no, shipment_id,
 * fulfillment_order_id, line_items[] {line_item_id}, link_source, status,
 * status_history[]}, plus any other member the creator sent (kept as sent).
 * Shipments given inside a fulfillment order at creation are lifted to the
 * order's `shipments` with that fulfillment_order_id.
 *
 * Line model (Carriyo's): a status lives on each FO line {id = line_item_id,
 * quantity, status, and once fulfilled fulfillment_id,
 * partner_fulfillment_reference, shipment_ids}. One order line may have
 * several FO lines (some units fulfilled, the rest allocated; or split over
 * two fulfillment orders). The order line's own `status` is derived from
 * its FO lines (all cancelled: cancelled; else, ignoring cancelled ones: all
 * closed: closed; all fulfilled or closed: fulfilled; else the least
 * advanced), and is the status itself only for a line in no fulfillment
 * order. A fulfillment order's status rolls up from its FO lines, the
 * order's from its fulfillment orders (rollup.h).
 *
 * Changes are reported as entries appended to a `changes` JSON array:
 *   {change_type, entity_type, entity_id, field, old_value, new_value}
 * The caller stamps them with a date and source and stores them. */
#ifndef SHIPRELAY_ORDER_H
#define SHIPRELAY_ORDER_H
#include <jansson.h>
#include <stddef.h>

/* Validate a POST /orders body and build a new order document from it.
 * origin ({source_type, source_id, api_pattern, request_type,
 * system_log_identifier}, may be NULL) completes creation_source and is
 * the first update_source. Fulfillment orders without an id get one made
 * from the order id. Request-only delivery members at the top are copied
 * onto the fulfillment orders that set no delivery_method, and kept as
 * `pending_delivery` while some line belongs to none (for allocation).
 * Returns a new reference, or NULL with a message naming the bad field in
 * err. Appends an ORDER_CREATED entry to changes. */
json_t *order_create(const json_t *body, const char *tenant, const char *order_id, const json_t *origin,
                     const char *now_iso, json_t *changes, char *err, size_t errlen);

/* Derive every line's status from its FO lines, recompute every
 * fulfillment order's status and the order's, logging each change to
 * changes. Returns the number of statuses that changed. */
int order_recompute(json_t *order, json_t *changes);

/* Append one change entry (old/new may be NULL; references are not stolen). */
void order_change(json_t *changes, const char *change_type, const char *entity_type, const char *entity_id,
                  const char *field, json_t *old_value, json_t *new_value);

/* The line item with this id, or NULL (borrowed). */
json_t *order_line(const json_t *order, const char *line_item_id);
/* Every order line's FO lines, over every fulfillment order: a new object
 * mapping each line_item_id to the array of its entries, in fulfillment
 * order (lines in no fulfillment order are absent: json_array_size of NULL
 * is 0). Build it once per pass; it holds the entries, not copies, so it
 * stays right while their members change, not when fulfillment orders are
 * added or removed. */
json_t *order_entries_by_line(const json_t *order);
/* The fulfillment order with this id, or NULL (borrowed). */
json_t *order_fo(const json_t *order, const char *fulfillment_order_id);
/* Set a whole line's status: every FO line of it (by_line: from
 * order_entries_by_line), and the line; logs the line's change. Returns 1
 * if anything changed. */
int order_set_line_status(const json_t *by_line, json_t *line, const char *status, json_t *changes);
/* Set one FO line's status (no log: order_recompute logs the line's
 * derived move). Returns 1 if it changed. */
int order_set_entry_status(json_t *entry, const char *status);
/* Check and normalise one line item of a request (`id` / `line_item_id`,
 * sku, quantity, optional status); where prefixes messages
 * ("line_items[0]."). 0, or -1 with err. */
int order_check_line(json_t *line, const char *where, char *err, size_t errlen);
/* A fulfillment order's location_id from location_id, or else `location`
 * ({id} or a string); null when none. 0, or -1 with err. */
int order_fo_location(json_t *fo, const char *where, char *err, size_t errlen);
/* An id made for something new in an order: prefix + nonce (upper-cased,
 * at most 12 characters) + a two-digit sequence number. */
void order_make_id(const char *prefix, const char *nonce, int seq, char out[32]);

#endif
