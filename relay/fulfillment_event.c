/* fulfillment_event: the type table and the forward-only line moves.
 * See fulfillment_event.h. */
#include "fulfillment_event.h"

#include <string.h>

#include "jsonutil.h"
#include "order.h"
#include "rollup.h"

enum effect { TRAIL, MOVE, CANCEL, HOLD, RESUME };

static const struct {
    const char *type, *level;
    enum effect effect;
    enum line_status to;
} types[] = {
    {"FULFILLMENT_REQUESTED", "NORMAL", TRAIL, 0},
    {"FULFILLMENT_ACCEPTED", "NORMAL", MOVE, LINE_ALLOCATED},
    {"FULFILLMENT_REJECTED", "ERROR", TRAIL, 0},
    {"INTEGRATED", "NORMAL", TRAIL, 0},
    {"INTEGRATION_ERROR", "ERROR", TRAIL, 0},
    {"INSUFFICIENT_STOCK", "WARNING", TRAIL, 0},
    {"FULFILLMENT_IN_PROGRESS", "NORMAL", MOVE, LINE_PICK_IN_PROGRESS},
    {"PACKED", "NORMAL", MOVE, LINE_PACK_IN_PROGRESS},
    {"SHIPPED", "NORMAL", MOVE, LINE_FULFILLED},
    {"CANCELED", "WARNING", CANCEL, 0},
    {"HOLDED", "WARNING", HOLD, 0},
    {"RESUMED", "NORMAL", RESUME, 0},
    {"COMPLETED", "NORMAL", MOVE, LINE_FULFILLED},
};
#define N_TYPES (sizeof types / sizeof types[0])

static int find_type(const char *type)
{
    for (size_t i = 0; type && i < N_TYPES; i++)
        if (strcmp(types[i].type, type) == 0)
            return (int)i;
    return -1;
}

const char *fulfillment_event_level(const char *type)
{
    int i = find_type(type);
    return i < 0 ? NULL : types[i].level;
}

/* Move one FO line per the effect; returns 1 when it moved (the order
 * line's derived move is logged by order_recompute). */
static int move_line(json_t *entry, enum effect effect, enum line_status to)
{
    enum line_status cur = LINE_OPEN;
    rollup_line_status_parse(json_string_value(json_object_get(entry, "status")), &cur);
    if (cur == LINE_CLOSED || cur == LINE_CANCELLED)
        return 0;
    if (effect == CANCEL)
        return cur < LINE_FULFILLED ? order_set_entry_status(entry, "cancelled") : 0;
    return to > cur ? order_set_entry_status(entry, rollup_line_status_name(to)) : 0;
}

bool fulfillment_event_apply(json_t *order, const json_t *ev, const char *now_iso, json_t *changes)
{
    const char *type = json_string_value(json_object_get(ev, "event"));
    int t = find_type(type);
    const char *fo_id = json_string_value(json_object_get(ev, "fulfillment_order_id"));
    json_t *fo = ju_find_by(json_object_get(order, "fulfillment_orders"), "fulfillment_order_id", fo_id);

    json_t *entry = json_object();
    json_object_set_new(entry, "type", json_string(type ? type : ""));
    const char *keys[] = {"level", "message", "event_time", "source_event_id"};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_object_get(ev, keys[i]);
        if (v)
            json_object_set(entry, keys[i], v);
    }
    json_object_set_new(entry, "received_date", json_string(now_iso));

    if (!fo || t < 0) {
        json_t *unmatched = json_object_get(order, "unmatched_fulfillment_events");
        if (!unmatched) {
            unmatched = json_array();
            json_object_set_new(order, "unmatched_fulfillment_events", unmatched);
        }
        json_object_set_new(entry, "fulfillment_order_id", fo_id ? json_string(fo_id) : json_null());
        json_array_append_new(unmatched, entry);
        order_change(changes, "FULFILLMENT_EVENT_UNMATCHED", "fulfillment_order", fo_id, "events", NULL,
                     json_object_get(ev, "event"));
        return false;
    }

    json_t *trail = json_object_get(fo, "events");
    if (!trail) {
        trail = json_array();
        json_object_set_new(fo, "events", trail);
    }
    bool on_hold = json_is_true(json_object_get(fo, "on_hold"));
    int moved = 0;
    enum effect effect = types[t].effect;
    if (effect == HOLD || effect == RESUME) {
        bool hold = effect == HOLD;
        if (hold != on_hold) {
            json_t *nv = json_boolean(hold);
            order_change(changes, "FIELD_UPDATE", "fulfillment_order", fo_id, "on_hold", json_boolean(on_hold), nv);
            json_object_set_new(fo, "on_hold", nv);
            moved = 1;
        }
    } else if ((effect == MOVE || effect == CANCEL) && !on_hold) {
        json_t *ids = json_object_get(ev, "line_items");
        size_t i;
        json_t *ref;
        json_array_foreach(json_object_get(fo, "line_items"), i, ref)
        {
            const char *lid = json_string_value(json_object_get(ref, "line_item_id"));
            bool wanted = !ids;
            size_t k;
            json_t *id;
            json_array_foreach(ids, k, id)
            {
                wanted = wanted || (json_string_value(id) && strcmp(json_string_value(id), lid) == 0);
            }
            if (wanted)
                moved += move_line(ref, effect, types[t].to);
        }
    }
    json_object_set_new(entry, "applied", json_boolean(moved > 0));
    json_array_append_new(trail, entry);
    order_change(changes, "FULFILLMENT_EVENT", "fulfillment_order", fo_id, "events", NULL, json_object_get(ev, "event"));
    if (moved)
        order_recompute(order, changes);
    return moved > 0;
}
