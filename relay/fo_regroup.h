/* fo_regroup: the fulfillment-order operations of Carriyo's Orders API
 * that regroup or remove units (fact sheet §5): split, merge, and cancel of
 * lines. Pure ops_fn's (order_ops.h) on in->fo_id (merge names its two in
 * the body); shared helpers are fo_ops.h's and fo_lines.h's.
 *
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
 *   cancel     cancellation_reason, and line_items (or, without them, the
 *              whole fulfillment order): units not yet fulfilled →
 *              cancelled, counted in the order line's removed_quantities.
 *              Fulfilled units must be unfulfilled first.
 *
 * A cancel that would change nothing is OPS_NOOP; split acts on what
 * remains. */
#ifndef SHIPRELAY_FO_REGROUP_H
#define SHIPRELAY_FO_REGROUP_H
#include "order_ops.h"

enum ops_result fo_split(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);
enum ops_result fo_merge(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);
enum ops_result fo_cancel(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);

#endif
