/* webhook_events: which order.* events a change to an order fires, and the
 * body merchants receive. Pure.
 *
 *   order created                         order.created                  ORDER_CREATE
 *   a shipment's status moved             order.shipment_status_updated  ORDER_SHIPMENT_STATUS_UPDATE
 *   the order became allocated            order.allocated                FULFILLMENT_ORDER_ALLOCATE
 *   the order became fulfilled            order.fulfilled                FULFILLMENT_ORDER_FULFILL
 *   the order became closed               order.closed                   ORDER_CLOSED
 *   the order became cancelled            order.cancelled                ORDER_CANCEL
 *   any other change to a stored order    order.updated                  ORDER_UPDATE
 *
 * One request can fire several (a delivery fires shipment_status_updated
 * and closed). The body is {"type", "id", "timestamp", "tenant", "trigger",
 * "data": {"oldImage", "newImage"}}: the order before and after. */
#ifndef SHIPRELAY_WEBHOOK_EVENTS_H
#define SHIPRELAY_WEBHOOK_EVENTS_H
#include <jansson.h>

/* The events for a change from before (NULL when created) to after, given
 * the change entries it produced: a new array of {type, trigger}. */
json_t *webhook_events_for(const json_t *before, const json_t *after, const json_t *changes);
/* The delivery body of one event (a new reference). */
json_t *webhook_event_body(const char *type, const char *trigger, const char *event_id, const char *timestamp,
                           const char *tenant, const json_t *before, const json_t *after);
/* The same body as text, from the images as JSON text (before_text NULL
 * when created); caller frees. */
char *webhook_event_text(const char *type, const char *trigger, const char *event_id, const char *timestamp,
                         const char *tenant, const char *before_text, const char *after_text);
/* Is type one of the order.* event types above? */
int webhook_event_type_known(const char *type);

#endif
