/* shipment_update: applying one canonical shipment event to an order. Pure.
 *
 * A canonical shipment event is what every source becomes (adapters/adapter.h
 * lists its members): status (Carriyo's vocabulary, or absent when the
 * source's status is unmapped), raw_status, raw_substatus, reason_code,
 * description, event_time, tracking_no, partner_shipment_reference,
 * shipment_id, fulfillment_order_id, items[] {sku}, carrier, location,
 * source, source_event_id.
 *
 * The event is matched to a shipment of the order by
 * partner_shipment_reference, else tracking_no, else shipment_id (an event
 * naming none of them, only a fulfillment order or items, is about that
 * fulfillment order's one unidentified shipment). A
 * shipment seen for the first time is added and linked to line items: by the
 * fulfillment order the event names, else by matching items[].sku against
 * the order's lines not yet carried by another shipment and not closed or
 * cancelled. The link is stored on the shipment (`line_items`,
 * `link_source`).
 *
 * The status and its history are always recorded. A repeat changes
 * nothing: the shipment's current status again, an event already in its
 * history (the same source_event_id, or the same status at the same
 * event_time), or an event without a time that says what the latest history
 * entry says. So in_transit, delayed, in_transit (no times) leaves the
 * shipment in_transit. A status the shipment may not move to (see shipment_status.h) is
 * kept as history only, and so is an unmapped one (`"known": false`). When
 * the shipment becomes delivered (or delivery_confirmed) and autoclose is
 * allowed, its linked line items close and the rollup runs. */
#ifndef SHIPRELAY_SHIPMENT_UPDATE_H
#define SHIPRELAY_SHIPMENT_UPDATE_H
#include <jansson.h>
#include <stdbool.h>

/* What applying an event did. */
enum shipment_update_result {
    SHIPMENT_UPDATE_REPEAT,  /* a repeat: nothing recorded */
    SHIPMENT_UPDATE_HISTORY, /* recorded in the history, the status did not move (after a final status, unmapped) */
    SHIPMENT_UPDATE_APPLIED, /* the status moved */
};

/* Apply event to order, appending change entries to changes. The order
 * document changed exactly when entries were appended (even a repeat may
 * teach a shipment an identifier it lacked): the caller then stores it. */
enum shipment_update_result shipment_update_apply(json_t *order, const json_t *event, bool autoclose,
                                                  const char *now_iso, json_t *changes);

#endif
