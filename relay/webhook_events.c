/* webhook_events: the table of order.* events and their triggers, and the
 * rules of webhook_events.h. */
#include "webhook_events.h"

#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "xmalloc.h"

#include <string.h>

static const struct {
    const char *type, *trigger, *order_status;
} events[] = {
    {"order.created", "ORDER_CREATE", NULL},
    {"order.updated", "ORDER_UPDATE", NULL},
    {"order.shipment_status_updated", "ORDER_SHIPMENT_STATUS_UPDATE", NULL},
    {"order.allocated", "FULFILLMENT_ORDER_ALLOCATE", "allocated"},
    {"order.fulfilled", "FULFILLMENT_ORDER_FULFILL", "fulfilled"},
    {"order.closed", "ORDER_CLOSED", "closed"},
    {"order.cancelled", "ORDER_CANCEL", "cancelled"},
};
#define N_EVENTS (sizeof events / sizeof events[0])

int webhook_event_type_known(const char *type)
{
    for (size_t i = 0; type && i < N_EVENTS; i++)
        if (strcmp(events[i].type, type) == 0)
            return 1;
    return 0;
}

static void add(json_t *out, size_t i)
{
    json_array_append_new(out, json_pack("{s:s,s:s}", "type", events[i].type, "trigger", events[i].trigger));
}

json_t *webhook_events_for(const json_t *before, const json_t *after, const json_t *changes)
{
    json_t *out = json_array();
    if (!before) {
        add(out, 0);
        return out;
    }
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        const char *entity = json_string_value(json_object_get(c, "entity_type"));
        const char *type = json_string_value(json_object_get(c, "change_type"));
        if (entity && type && !strcmp(entity, "shipment") && !strcmp(type, "STATUS_CHANGE")) {
            add(out, 2);
            break;
        }
    }
    const char *was = json_string_value(json_object_get(before, "status"));
    const char *now = json_string_value(json_object_get(after, "status"));
    if (now && (!was || strcmp(was, now) != 0))
        for (size_t k = 0; k < N_EVENTS; k++)
            if (events[k].order_status && !strcmp(events[k].order_status, now))
                add(out, k);
    if (json_array_size(out) == 0 && json_array_size(changes) > 0)
        add(out, 1);
    return out;
}

char *webhook_event_text(const char *type, const char *trigger, const char *event_id, const char *timestamp,
                         const char *tenant, const char *before_text, const char *after_text)
{
    json_t *head = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", type, "id", event_id, "timestamp", timestamp, "tenant",
                             tenant, "trigger", trigger);
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
