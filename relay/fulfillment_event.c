/* fulfillment_event: the type table, the forward-only line moves, the hold
 * and the fulfillment state. See fulfillment_event.h. */
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
    const char *state; /* the fulfillment_state it sets, or NULL */
} types[] = {
    {"FULFILLMENT_REQUESTED", "NORMAL", TRAIL, 0, "requested"},
    {"FULFILLMENT_ACCEPTED", "NORMAL", MOVE, LINE_ALLOCATED, "accepted"},
    {"FULFILLMENT_REJECTED", "ERROR", TRAIL, 0, "rejected"},
    {"INTEGRATED", "NORMAL", TRAIL, 0, "integrated"},
    {"INTEGRATION_ERROR", "ERROR", TRAIL, 0, "integration_error"},
    {"INSUFFICIENT_STOCK", "WARNING", TRAIL, 0, NULL},
    {"FULFILLMENT_IN_PROGRESS", "NORMAL", MOVE, LINE_PICK_IN_PROGRESS, NULL},
    {"PACKED", "NORMAL", MOVE, LINE_PACK_IN_PROGRESS, NULL},
    {"SHIPPED", "NORMAL", MOVE, LINE_FULFILLED, NULL},
    {"CANCELED", "WARNING", CANCEL, 0, NULL},
    {"HOLDED", "WARNING", HOLD, 0, NULL},
    {"RESUMED", "NORMAL", RESUME, 0, NULL},
    {"COMPLETED", "NORMAL", MOVE, LINE_FULFILLED, NULL},
};
#define N_TYPES (sizeof types / sizeof types[0])

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

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

bool fulfillment_event_level_known(const char *level)
{
    return level && (!strcmp(level, "NORMAL") || !strcmp(level, "WARNING") || !strcmp(level, "ERROR"));
}

/* The last change entry appended, to carry a trigger (and a level). */
static void tag_last(json_t *changes, const char *trigger, const char *level)
{
    json_t *e = json_array_get(changes, json_array_size(changes) - 1);
    json_object_set_new(e, "trigger", json_string(trigger));
    if (level)
        json_object_set_new(e, "level", json_string(level));
}

static json_t *trail_of(json_t *fo)
{
    json_t *trail = json_object_get(fo, "events");
    if (!json_is_array(trail)) {
        trail = json_array();
        json_object_set_new(fo, "events", trail);
    }
    return trail;
}

void fulfillment_event_trail(json_t *fo, const char *type, const char *level, const char *message,
                             const char *source, const char *now_iso, bool applied)
{
    json_t *trail = trail_of(fo);
    json_t *e = json_pack("{s:s,s:s}", "type", type, "level", level);
    if (message)
        json_object_set_new(e, "message", json_string(message));
    json_object_set_new(e, "event_time", json_string(now_iso));
    json_object_set_new(e, "source", json_string(source));
    json_object_set_new(e, "received_date", json_string(now_iso));
    json_object_set_new(e, "applied", json_boolean(applied));
    json_array_append_new(trail, e);
}

bool fulfillment_event_set_hold(json_t *fo, bool hold, const char *reason, const char *source, const char *now_iso,
                                json_t *changes)
{
    bool on_hold = json_is_true(json_object_get(fo, "on_hold"));
    if (hold == on_hold)
        return false;
    json_t *nv = json_boolean(hold), *was = json_boolean(on_hold);
    order_change(changes, "FIELD_UPDATE", "fulfillment_order", str(fo, "fulfillment_order_id"), "on_hold", was, nv);
    tag_last(changes, hold ? "FULFILLMENT_ORDER_HOLD" : "FULFILLMENT_ORDER_RESUME", NULL);
    json_decref(was);
    json_object_set_new(fo, "on_hold", nv);
    json_t *info = hold ? json_pack("{s:s?,s:s,s:s}", "reason", reason, "date", now_iso, "source", source) : json_null();
    json_object_set_new(fo, "hold", info);
    return true;
}

bool fulfillment_event_set_state(json_t *fo, const char *state, json_t *changes)
{
    const char *was = str(fo, "fulfillment_state");
    if ((!was && !state) || (was && state && !strcmp(was, state)))
        return false;
    json_t *nv = state ? json_string(state) : json_null();
    order_change(changes, "FIELD_UPDATE", "fulfillment_order", str(fo, "fulfillment_order_id"), "fulfillment_state",
                 json_object_get(fo, "fulfillment_state"), nv);
    json_object_set_new(fo, "fulfillment_state", nv);
    return true;
}

/* Move one FO line per the effect; returns 1 when it moved (the order
 * line's derived move is logged by order_recompute). */
static int move_line(json_t *entry, enum effect effect, enum line_status to)
{
    enum line_status cur = LINE_OPEN;
    rollup_line_status_parse(str(entry, "status"), &cur);
    if (cur == LINE_CLOSED || cur == LINE_CANCELLED)
        return 0;
    if (effect == CANCEL)
        return cur < LINE_FULFILLED ? order_set_entry_status(entry, "cancelled") : 0;
    return to > cur ? order_set_entry_status(entry, rollup_line_status_name(to)) : 0;
}

static int move_lines(json_t *fo, const json_t *ids, enum effect effect, enum line_status to)
{
    int moved = 0;
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(fo, "line_items"), i, ref)
    {
        const char *lid = str(ref, "line_item_id");
        bool wanted = !ids;
        size_t k;
        json_t *id;
        json_array_foreach(ids, k, id)
        {
            wanted = wanted || (json_string_value(id) && lid && strcmp(json_string_value(id), lid) == 0);
        }
        if (wanted)
            moved += move_line(ref, effect, to);
    }
    return moved;
}

/* An ERROR-level event: an entry in the order's error_details. */
static void add_error_detail(json_t *order, const char *fo_id, const char *type, const char *message,
                             const char *date, json_t *changes)
{
    json_t *details = json_object_get(order, "error_details");
    if (!json_is_array(details)) {
        details = json_array();
        json_object_set_new(order, "error_details", details);
    }
    json_t *d = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:s}", "code", type, "level", "ERROR", "message",
                          message ? message : type, "fulfillment_order_id", fo_id, "date", date, "source",
                          "WAREHOUSE");
    json_array_append_new(details, d);
    order_change(changes, "ERROR_DETAIL_ADDED", "fulfillment_order", fo_id, "error_details", NULL, d);
}

/* The trail entry of an event as received. */
static json_t *received_entry(const json_t *ev, const char *type, const char *level, const char *now_iso, bool known)
{
    json_t *entry = json_pack("{s:s,s:s}", "type", type, "level", level);
    const char *given = str(ev, "level");
    if (given && !fulfillment_event_level_known(given))
        json_object_set_new(entry, "raw_level", json_string(given));
    const char *keys[] = {"raw_level", "message", "event_time", "source_event_id"};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_object_get(ev, keys[i]);
        if (v)
            json_object_set(entry, keys[i], v);
    }
    json_object_set_new(entry, "source", json_string("WAREHOUSE"));
    json_object_set_new(entry, "received_date", json_string(now_iso));
    if (!known)
        json_object_set_new(entry, "known", json_false());
    return entry;
}

bool fulfillment_event_apply(json_t *order, const json_t *ev, const char *now_iso, json_t *changes)
{
    const char *type = str(ev, "event");
    if (!type)
        type = "";
    int t = find_type(type);
    const char *given = str(ev, "level");
    /* the sender's level; without one, the type's own; an unknown one (or type) NORMAL: informational */
    const char *level = fulfillment_event_level_known(given) ? given : !given && t >= 0 ? types[t].level : "NORMAL";
    const char *fo_id = str(ev, "fulfillment_order_id");
    json_t *fo = order_fo(order, fo_id);
    json_t *entry = received_entry(ev, type, level, now_iso, t >= 0);

    if (!fo) {
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

    const char *state = str(fo, "fulfillment_state");
    bool blocked = state && !strcmp(state, "integration_error") && strcmp(type, "FULFILLMENT_REQUESTED") != 0;
    bool on_hold = json_is_true(json_object_get(fo, "on_hold"));
    int moved = 0;
    json_t *own = json_array(); /* this event's own changes, after its FULFILLMENT_EVENT entry */
    enum effect effect = t >= 0 ? types[t].effect : TRAIL;
    if (!blocked && t >= 0) {
        if (effect == HOLD || effect == RESUME)
            moved += fulfillment_event_set_hold(fo, effect == HOLD, str(ev, "message"), "WAREHOUSE", now_iso, own);
        else if ((effect == MOVE || effect == CANCEL) && !on_hold)
            moved += move_lines(fo, json_object_get(ev, "line_items"), effect, types[t].to);
        const char *to = types[t].state;
        if (!to && effect == MOVE && moved && state &&
            (!strcmp(state, "requested") || !strcmp(state, "integrated") || !strcmp(state, "rejected")))
            to = "accepted"; /* the warehouse is working on it */
        if (to)
            moved += fulfillment_event_set_state(fo, to, own);
    }
    json_object_set_new(entry, "applied", json_boolean(moved > 0));
    if (blocked)
        json_object_set_new(entry, "blocked", json_true());
    json_array_append_new(trail_of(fo), entry);
    order_change(changes, "FULFILLMENT_EVENT", "fulfillment_order", fo_id, "events", NULL, json_object_get(ev, "event"));
    tag_last(changes, "FULFILLMENT_ORDER_EVENT", level);
    json_array_extend(changes, own);
    json_decref(own);
    if (!strcmp(level, "ERROR"))
        add_error_detail(order, fo_id, type, str(ev, "message"),
                         str(ev, "event_time") ? str(ev, "event_time") : now_iso, changes);
    if (moved)
        order_recompute(order, changes);
    return moved > 0;
}
