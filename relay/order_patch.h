/* order_patch: PATCH /orders/{ref} with Carriyo's semantics (fact sheet
 * §4.2). Pure: an ops_fn (order_ops.h) over the request body.
 *
 *   simple members (order_shape.h: partner_order_reference, order_date,
 *   merchant, language, sales_channel, taxes_included, duties_included,
 *   billing_address, customer, payment, discount_applications,
 *   shipping_lines, and shiprelay's carriyo_metadata and customer_key)
 *   change only when present.
 *   line_items, when present, replaces every line item (matched by id,
 *   keeping what the relay set on them: status, removed_quantities).
 *   fulfillment_orders, when present, replaces them all: matched by
 *   fulfillment_order_id or partner_fulfillment_order_reference; unmatched
 *   ones are created with new ids; missing ones are deleted. Their lines
 *   in the request must be open or allocated (the default: allocated at a
 *   location, else open); lines past allocated (in progress, fulfilled,
 *   closed, cancelled) are kept as they are, and so is a missing
 *   fulfillment order that holds such lines or a shipment (without its
 *   open and allocated lines).
 * Afterwards every FO line must name a line item, and no line item may be
 * held for more units than its quantity. Every change is a change entry
 * (FIELD_UPDATE with old and new values; LINE_ITEM_ADDED / _REMOVED;
 * FULFILLMENT_ORDER_ADDED / _REMOVED). Members the relay sets, and unknown
 * ones, are ignored. Nothing changed is OPS_NOOP. */
#ifndef SHIPRELAY_ORDER_PATCH_H
#define SHIPRELAY_ORDER_PATCH_H
#include "order_ops.h"

enum ops_result order_patch(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);

#endif
