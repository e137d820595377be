/* fo_ops: the fulfillment-order operations of Carriyo's Orders API that
 * make and undo fulfilments and shipments (fact sheet §5); split, merge and
 * cancel are fo_regroup.h, the patches fo_updates.h. Pure: each is an
 * ops_fn (order_ops.h) on the fulfillment order in->fo_id, checks, moves FO
 * lines (fo_lines.h), then
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
 *   ship       allocated or fulfilled units (fulfilled ones first) get a
 *              new shipment (recorded as for fulfill); a fulfilled line may
 *              get another one.
 *
 * fulfill and ship are refused while the fulfillment order is on hold
 * (fo_control.h).
 *
 * A repeat of unfulfill that would change nothing is OPS_NOOP; fulfill and
 * ship act on what remains. */
#ifndef SHIPRELAY_FO_OPS_H
#define SHIPRELAY_FO_OPS_H
#include "order_ops.h"

enum ops_result fo_fulfill(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);
enum ops_result fo_unfulfill(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);
enum ops_result fo_ship(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);

/* Shared with fo_updates.c and allocation.c: the fulfillment order the
 * path names, or NULL with OPS_NOT_FOUND's message in err. */
json_t *fo_ops_find(json_t *order, const char *fo_id, char *err, size_t errlen);
/* Is the fulfillment order cancelled or closed? */
bool fo_ops_final(const json_t *fo);
/* A fulfillment_order_id made from nonce that the order does not use yet. */
void fo_ops_new_id(const json_t *order, const char *nonce, char out[32]);
/* OPS_REFUSED, saying the fulfillment order is cancelled or closed and so
 * nothing in it can be `what`. */
enum ops_result fo_ops_refuse_final(const json_t *fo, const char *what, char *err, size_t errlen);
/* Is fo on hold (fulfillment_event.h)? Then err says what cannot be done
 * (`what`: "fulfilled") and names the resume call. */
bool fo_ops_held(const json_t *order, const json_t *fo, const char *what, char *err, size_t errlen);
/* Resolve a request's quantities against fo: 0 ("all") becomes the units in
 * mask; a line with none there, or asking for more, is OPS_REFUSED with
 * "line item … has N units <which> in fulfillment order … (M asked):
 * <instead>". OPS_CHANGED when every line fits. */
enum ops_result fo_ops_resolve(json_t *fo, json_t *req, unsigned mask, const char *which, const char *instead,
                               char *err, size_t errlen);

#endif
