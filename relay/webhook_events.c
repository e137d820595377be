/* webhook_events: the table of order triggers and their event types, and
 * the rules of webhook_events.h. */
#include "webhook_events.h"

#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "xmalloc.h"

#include <string.h>

static const struct {
    const char *trigger, *type, *order_status;
} events[] = {
    /* Carriyo's 18 order triggers */
    {"ORDER_CREATE", "order.created", NULL},
    {"ORDER_UPDATE", "order.updated", NULL},
    {"ORDER_CANCEL", "order.cancelled", "cancelled"},
    {"ORDER_CLOSED", "order.closed", "closed"},
    {"ORDER_SHIPMENT_STATUS_UPDATE", "order.shipment_status_updated", NULL},
    {"FULFILLMENT_ORDER_ALLOCATE", "order.allocated", "allocated"},
    {"FULFILLMENT_ORDER_FULFILL", "order.fulfilled", "fulfilled"},
    {"FULFILLMENT_ORDER_UNFULFILL", "order.unfulfilled", NULL},
    {"FULFILLMENT_ORDER_MERGE", "order.fulfillment_orders_merged", NULL},
    {"FULFILLMENT_ORDER_SPLIT", "order.fulfillment_order_split", NULL},
    {"FULFILLMENT_ORDER_UPDATE_LOCATION", "order.fulfillment_order_location_updated", NULL},
    {"FULFILLMENT_ORDER_UPDATE_ADDRESS", "order.fulfillment_order_address_updated", NULL},
    {"FULFILLMENT_ORDER_UPDATE_DELIVERY_METHOD", "order.fulfillment_order_delivery_method_updated", NULL},
    {"FULFILLMENT_ORDER_UPDATE_SCHEDULE", "order.fulfillment_order_schedule_updated", NULL},
    {"FULFILLMENT_ORDER_SHIP_LINE_ITEMS", "order.line_items_shipped", NULL},
    {"FULFILLMENT_ORDER_CANCEL_LINE_ITEMS", "order.line_items_cancelled", NULL},
    {"FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_REFERENCES", "order.partner_fulfillment_references_updated", NULL},
    {"FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_ORDER_REFERENCE",
     "order.partner_fulfillment_order_reference_updated", NULL},
    /* shiprelay's fulfillment control (seed 002): Carriyo has no such calls */
    {"FULFILLMENT_ORDER_HOLD", "order.fulfillment_order_held", NULL},
    {"FULFILLMENT_ORDER_RESUME", "order.fulfillment_order_resumed", NULL},
    {"FULFILLMENT_ORDER_REQUEST_FULFILLMENT", "order.fulfillment_requested", NULL},
    {"FULFILLMENT_ORDER_EVENT", "order.fulfillment_event", NULL},
    /* shiprelay's stuck orders (seed 003), fired by the housekeeping scan (stuck.h) */
    {"ORDER_STUCK", "order.stuck", NULL},
    /* Carriyo's return request triggers (fact sheet §6), fired by returns_pipeline.h */
    {"return_status_update", "return.status_updated", NULL},
    {"return_received_update", "return.received", NULL},
};
#define N_EVENTS (sizeof events / sizeof events[0])

static int find(const char *trigger)
{
    for (size_t i = 0; trigger && i < N_EVENTS; i++)
        if (strcmp(events[i].trigger, trigger) == 0)
            return (int)i;
    return -1;
}

int webhook_event_type_known(const char *type)
{
    for (size_t i = 0; type && i < N_EVENTS; i++)
        if (strcmp(events[i].type, type) == 0)
            return 1;
    return 0;
}

int webhook_event_trigger_known(const char *trigger)
{
    return find(trigger) >= 0;
}

const char *webhook_event_type_of(const char *trigger)
{
    int k = find(trigger);
    return k < 0 ? NULL : events[k].type;
}

/* Add the event of trigger unless it is there already (with the level a
 * change entry gives it). */
static void add_level(json_t *out, const char *trigger, const char *level)
{
    int k = find(trigger);
    size_t i;
    json_t *e;
    if (k < 0)
        return;
    json_array_foreach(out, i, e)
    {
        if (!strcmp(json_string_value(json_object_get(e, "trigger")), trigger))
            return;
    }
    json_array_append_new(out, json_pack("{s:s,s:s,s:s*}", "type", events[k].type, "trigger", trigger, "level", level));
}

static void add(json_t *out, const char *trigger)
{
    add_level(out, trigger, NULL);
}

json_t *webhook_events_for(const json_t *before, const json_t *after, const json_t *changes, const char *trigger)
{
    json_t *out = json_array();
    if (!before) {
        add(out, "ORDER_CREATE");
        return out;
    }
    if (!json_array_size(changes))
        return out;
    add(out, trigger);
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        add_level(out, json_string_value(json_object_get(c, "trigger")), json_string_value(json_object_get(c, "level")));
    }
    json_array_foreach(trigger ? NULL : changes, i, c)
    {
        const char *entity = json_string_value(json_object_get(c, "entity_type"));
        const char *type = json_string_value(json_object_get(c, "change_type"));
        if (entity && type && !strcmp(entity, "shipment") && !strcmp(type, "STATUS_CHANGE"))
            add(out, "ORDER_SHIPMENT_STATUS_UPDATE");
    }
    const char *was = json_string_value(json_object_get(before, "status"));
    const char *now = json_string_value(json_object_get(after, "status"));
    if (now && (!was || strcmp(was, now) != 0))
        for (size_t k = 0; k < N_EVENTS; k++)
            if (events[k].order_status && !strcmp(events[k].order_status, now))
                add(out, events[k].trigger);
    if (json_array_size(out) == 0)
        add(out, "ORDER_UPDATE");
    return out;
}

char *webhook_event_text(const char *type, const char *trigger, const char *event_id, const char *timestamp,
                         const char *tenant, const json_t *extra, const char *before_text, const char *after_text)
{
    json_t *head = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", type, "id", event_id, "timestamp", timestamp, "tenant",
                             tenant, "trigger", trigger);
    if (json_is_object(extra))
        json_object_update(head, (json_t *)extra);
    char *h = ju_dump(head);
    json_decref(head);
    h[strlen(h) - 1] = '\0'; /* drop the closing brace: the images follow */
    char *out = xasprintf("%s,\"data\":{\"oldImage\":%s,\"newImage\":%s}}", h, before_text ? before_text : "null",
                          after_text);
    free(h);
    return out;
}

json_t *webhook_event_body(const char *type, const char *trigger, const char *event_id, const char *timestamp,
                           const char *tenant, const json_t *before, const json_t *after)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:O?,s:O}}", "type", type, "id", event_id, "timestamp", timestamp,
                     "tenant", tenant, "trigger", trigger, "data", "oldImage", before, "newImage", after);
}

char *webhook_event_carriyo_text(const char *trigger, const char *before_text, const char *after_text)
{
    json_t *t = json_string(trigger);
    char *tq = json_dumps(t, JSON_ENCODE_ANY);
    json_decref(t);
    char *out = before_text ? xasprintf("{\"oldImage\":%s,\"newImage\":%s,\"trigger\":%s,\"operation\":\"MODIFY\"}",
                                        before_text, after_text, tq)
                            : xasprintf("{\"newImage\":%s,\"trigger\":%s,\"operation\":\"INSERT\"}", after_text, tq);
    free(tq);
    return out;
}

json_t *webhook_event_carriyo_body(const char *trigger, const json_t *before, const json_t *after)
{
    json_t *b = json_object();
    if (before)
        json_object_set(b, "oldImage", (json_t *)before);
    json_object_set(b, "newImage", (json_t *)after);
    json_object_set_new(b, "trigger", json_string(trigger));
    json_object_set_new(b, "operation", json_string(before ? "MODIFY" : "INSERT"));
    return b;
}
