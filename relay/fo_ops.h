/* fo_ops: the fulfillment-order operations of Carriyo's Orders API that
 * move units (fact sheet §5). Pure: each is an ops_fn (order_ops.h) on the
 * fulfillment order in->fo_id, checks, moves FO lines (fo_lines.h), then
 * lets order_recompute roll the statuses up. Request lines are
 * [{id (or line_item_id), quantity}]; a missing quantity means every unit
 * the operation may take. A refusal says what is allowed instead.
 *
 *   fulfill    units that are open or allocated → fulfilled, as one
 *              fulfillment (a new fulfillment_id; partial fulfilment is
 *              a line fulfilled for some units). A shipment is recorded
 *              (`pending`, or `draft` with create_draft_shipment; shiprelay
 *              books nothing: the booking system reports back through
 *              shipment-status-update or a hook) and linked to the lines
 *              (shipment_ids), carrying carrier_account, parcels, delivery,
 *              payment, pre_booking_info (its carrier_tracking_no becomes
 *              the tracking_no) and ship_zone. skip_shipping, or a DIGITAL
 *              fulfillment order, records no shipment and closes the lines.
 *   unfulfill  fulfilled lines (of fulfillment_ids, or all) → allocated;
 *              fulfillment id, partner reference and shipment links are
 *              cleared and identical lines merged; a shipment left with no
 *              lines is cancelled if still cancellable (no status, draft,
 *              pending, booked, error, ready_to_ship), else flagged
 *              (`attention`). Delivered (closed) lines cannot be.
 *   split      open or allocated units → a new fulfillment order (with
 *              location_id: allocated there; else open) that takes the
 *              source's delivery members and carriyo_metadata. Not every
 *              unit of the source (use update-location to move it whole).
 *   merge      {source, destination} (ids, or {fulfillment_order_id} or
 *              {partner_fulfillment_order_reference}): the source's lines
 *              move to the destination, an emptied source is deleted. Both
 *              without fulfilled lines, at the same location, with the same
 *              delivery_type and delivery method, and not mixing digital
 *              and shipping lines.
 *   ship       allocated or fulfilled units (fulfilled ones first) get a
 *              new shipment (recorded as for fulfill); a fulfilled line may
 *              get another one.
 *   cancel     cancellation_reason, and line_items (or, without them, the
 *              whole fulfillment order): units not yet fulfilled →
 *              cancelled, counted in the order line's removed_quantities.
 *              Fulfilled units must be unfulfilled first.
 *
 * A repeat that would change nothing is OPS_NOOP where it can be told
 * apart (cancel, unfulfill); fulfill, split and ship act on what remains. */
#ifndef SHIPRELAY_FO_OPS_H
#define SHIPRELAY_FO_OPS_H
#include "order_ops.h"

enum ops_result fo_fulfill(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);
enum ops_result fo_unfulfill(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);
enum ops_result fo_split(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);
enum ops_result fo_merge(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);
enum ops_result fo_ship(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);
enum ops_result fo_cancel(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);

/* Shared with fo_updates.c and allocation.c: the fulfillment order the
 * path names, or NULL with OPS_NOT_FOUND's message in err. */
json_t *fo_ops_find(json_t *order, const char *fo_id, char *err, size_t errlen);
/* Is the fulfillment order cancelled or closed? */
bool fo_ops_final(const json_t *fo);
/* A fulfillment_order_id made from nonce that the order does not use yet. */
void fo_ops_new_id(const json_t *order, const char *nonce, char out[32]);

#endif
