/* event_key: see event_key.h. */
#include "event_key.h"

#include <stdlib.h>

#include "jsonutil.h"
#include "xmalloc.h"

/* The members that name the target, then those that name the event. */
static const char *const members[] = {
    "kind", "partner_order_reference", "partner_shipment_reference", "shipment_id", "fulfillment_order_id",
    "tracking_no", "line_items", "items", "status", "raw_status", "raw_substatus", "event", "event_time",
};

static const char *nonempty(const json_t *ev, const char *key)
{
    const char *s = json_string_value(json_object_get(ev, key));
    return s && *s ? s : NULL;
}

char *event_key(const json_t *event)
{
    const char *id = nonempty(event, "source_event_id");
    if (id)
        return xasprintf("id:%s", id);
    if (!nonempty(event, "event_time"))
        return NULL;
    json_t *parts = json_array();
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        json_t *v = json_object_get(event, members[i]);
        json_array_append(parts, v ? v : json_null());
    }
    char *text = ju_dump(parts);
    json_decref(parts);
    char *key = xasprintf("ev:%s", text);
    free(text);
    return key;
}
