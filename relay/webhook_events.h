/* webhook_events: which order events a change to an order fires, and the
 * bodies merchants receive. Pure.
 *
 * Every event is one of Carriyo's 18 order triggers (fact sheet §6), each
 * with a shiprelay event type (endpoints subscribe by either):
 *
 *   ORDER_CREATE                        order.created        an order is created
 *   ORDER_UPDATE                        order.updated        PATCH, or any other change
 *   ORDER_CANCEL                        order.cancelled      the cancel operation; the order became cancelled
 *   ORDER_CLOSED                        order.closed         the order became closed
 *   ORDER_SHIPMENT_STATUS_UPDATE        order.shipment_status_updated  a shipment's status moved
 *   FULFILLMENT_ORDER_ALLOCATE          order.allocated      allocation; the order became allocated
 *   FULFILLMENT_ORDER_FULFILL           order.fulfilled      fulfill; the order became fulfilled
 *   FULFILLMENT_ORDER_UNFULFILL         order.unfulfilled    unfulfill
 *   FULFILLMENT_ORDER_MERGE             order.fulfillment_orders_merged
 *   FULFILLMENT_ORDER_SPLIT             order.fulfillment_order_split
 *   FULFILLMENT_ORDER_UPDATE_LOCATION   order.fulfillment_order_location_updated
 *   FULFILLMENT_ORDER_UPDATE_ADDRESS    order.fulfillment_order_address_updated
 *   FULFILLMENT_ORDER_UPDATE_DELIVERY_METHOD  order.fulfillment_order_delivery_method_updated
 *   FULFILLMENT_ORDER_UPDATE_SCHEDULE   order.fulfillment_order_schedule_updated
 *   FULFILLMENT_ORDER_SHIP_LINE_ITEMS   order.line_items_shipped       ship
 *   FULFILLMENT_ORDER_CANCEL_LINE_ITEMS order.line_items_cancelled     cancel of lines or a fulfillment order
 *   FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_REFERENCES       order.partner_fulfillment_references_updated
 *   FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_ORDER_REFERENCE  order.partner_fulfillment_order_reference_updated
 *
 * shiprelay's own, beside them (fulfillment control, seed 002; Carriyo has
 * no such calls):
 *
 *   FULFILLMENT_ORDER_HOLD              order.fulfillment_order_held   hold (API, or a HOLDED event)
 *   FULFILLMENT_ORDER_RESUME            order.fulfillment_order_resumed  resume (API, or a RESUMED event)
 *   FULFILLMENT_ORDER_REQUEST_FULFILLMENT  order.fulfillment_requested  request-fulfillment
 *   FULFILLMENT_ORDER_EVENT             order.fulfillment_event        any warehouse event (with its level)
 *   ORDER_STUCK                         order.stuck          the order became stuck (stuck.h; no change)
 *
 * and Carriyo's two return request triggers (returns_pipeline.h; the
 * images are the request before and after):
 *
 *   return_status_update                return.status_updated  a request was made or changed
 *   return_received_update              return.received      a REVERSE shipment brought goods back
 *
 * A change fires, each once and in this order: the operation's own trigger
 * (the one named after it), the triggers its change entries carry (a
 * "trigger" member, for operations that fire more than one), a shipment
 * status move reported from outside (shipment-status-update, a hook: not a
 * shipment an operation cancelled), and the order's status transition
 * (allocated, fulfilled, closed, cancelled); when none of these applies but
 * something changed, ORDER_UPDATE. A created order fires ORDER_CREATE only.
 *
 * An event a change entry fires may carry that entry's "level" (a
 * warehouse event's NORMAL, WARNING or ERROR).
 *
 * Bodies: shiprelay's {"type", "id", "timestamp", "tenant", "trigger",
 * [extra members, such as "level"], "data": {"oldImage", "newImage"}}, and Carriyo's {"oldImage", "newImage",
 * "trigger", "operation": "INSERT" | "MODIFY"} (no oldImage on INSERT). */
#ifndef SHIPRELAY_WEBHOOK_EVENTS_H
#define SHIPRELAY_WEBHOOK_EVENTS_H
#include <jansson.h>

/* The events for a change from before (NULL when created) to after, given
 * its change entries and the operation's trigger (NULL: none): a new array
 * of {type, trigger[, level]}. */
json_t *webhook_events_for(const json_t *before, const json_t *after, const json_t *changes, const char *trigger);
/* shiprelay's delivery body of one event (a new reference). */
json_t *webhook_event_body(const char *type, const char *trigger, const char *event_id, const char *timestamp,
                           const char *tenant, const json_t *before, const json_t *after);
/* The same body as text, from the images as JSON text (before_text NULL
 * when created), with extra's members (an object, or NULL) after trigger;
 * caller frees. */
char *webhook_event_text(const char *type, const char *trigger, const char *event_id, const char *timestamp,
                         const char *tenant, const json_t *extra, const char *before_text, const char *after_text);
/* Carriyo's delivery body of one event (a new reference), and the same as
 * text from the images' text. */
json_t *webhook_event_carriyo_body(const char *trigger, const json_t *before, const json_t *after);
char *webhook_event_carriyo_text(const char *trigger, const char *before_text, const char *after_text);
/* Is type one of the event types, or trigger one of the triggers, above? */
int webhook_event_type_known(const char *type);
int webhook_event_trigger_known(const char *trigger);
/* The event type of a trigger, or NULL. */
const char *webhook_event_type_of(const char *trigger);

#endif
