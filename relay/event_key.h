/* event_key: the dedupe key of a canonical inbound event (adapter.h). Pure.
 *
 * The store remembers keys per tenant and source (store_event_seen): an
 * event whose key that tenant's source sent before is a duplicate and
 * changes nothing. The key is:
 *
 *   "id:<id>"   when the event carries the source's own event id
 *               (source_event_id: Carriyo's `event-id` header, the
 *               warehouse's event_id, AfterShip's top-level event_id,
 *               EasyPost's Event id, Shippo's tracking_status object_id).
 *               The id alone decides: two events with different ids are
 *               never duplicates, whatever else they share.
 *   "ev:<json>" otherwise: a JSON array of everything that names the target
 *               (kind, partner_order_reference, partner_shipment_reference,
 *               shipment_id, fulfillment_order_id, tracking_no, line_items,
 *               items) and the event (status, raw_status, raw_substatus,
 *               event, event_time), absent members as null. Two events that
 *               differ in any target member never share a key.
 *   NULL        when the event has neither an id nor an event_time: it
 *               cannot be told from a retry, so it is never dropped as a
 *               duplicate (the domain's own repeat rules still apply, see
 *               shipment_update.h).
 *
 * The result is the caller's to free(). */
#ifndef SHIPRELAY_EVENT_KEY_H
#define SHIPRELAY_EVENT_KEY_H
#include <jansson.h>

char *event_key(const json_t *event);

#endif
