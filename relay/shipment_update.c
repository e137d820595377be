/* shipment_update: find or add the shipment, link it, record the event,
 * close lines on delivery. See shipment_update.h for the rules. */
#include "shipment_update.h"

#include <string.h>

#include "jsonutil.h"
#include "order.h"
#include "shipment_status.h"

/* A non-empty string member of the event, or NULL. */
static const char *ev_str(const json_t *ev, const char *key)
{
    const char *s = json_string_value(json_object_get(ev, key));
    return s && *s ? s : NULL;
}

/* The identifier change entries name a shipment by. */
static const char *ship_key(const json_t *ship)
{
    const char *keys[] = {"partner_shipment_reference", "tracking_no", "shipment_id"};
    for (int i = 0; i < 3; i++) {
        const char *v = json_string_value(json_object_get(ship, keys[i]));
        if (v)
            return v;
    }
    return "(unidentified)";
}

/* A payload naming a shipment only by its fulfillment order (or items) is
 * about the one shipment of that fulfillment order that has no identifier
 * either, so repeats land on the same record. */
static json_t *find_unidentified(const json_t *ships, const char *fo_id)
{
    size_t i;
    json_t *s;
    json_array_foreach(ships, i, s)
    {
        const char *fo = json_string_value(json_object_get(s, "fulfillment_order_id"));
        if (strcmp(ship_key(s), "(unidentified)") == 0 && (!fo_id || (fo && strcmp(fo, fo_id) == 0)))
            return s;
    }
    return NULL;
}

/* The lines carried by shipments other than `self`: line_item_id -> true. */
static json_t *linked_elsewhere(const json_t *order, const json_t *self)
{
    json_t *set = json_object();
    size_t i, k;
    json_t *s, *ref;
    json_array_foreach(json_object_get(order, "shipments"), i, s)
    {
        if (s == self)
            continue;
        json_array_foreach(json_object_get(s, "line_items"), k, ref)
        {
            const char *lid = json_string_value(json_object_get(ref, "line_item_id"));
            if (lid)
                json_object_set_new(set, lid, json_true());
        }
    }
    return set;
}

static bool line_open_to_shipment(const json_t *line, const json_t *elsewhere)
{
    const char *st = json_string_value(json_object_get(line, "status"));
    if (st && (strcmp(st, "closed") == 0 || strcmp(st, "cancelled") == 0))
        return false;
    const char *lid = json_string_value(json_object_get(line, "line_item_id"));
    return lid && !json_object_get(elsewhere, lid);
}

static const char *fo_of_line(const json_t *order, const char *line_id)
{
    size_t i;
    json_t *fo;
    json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
    {
        if (ju_find_by(json_object_get(fo, "line_items"), "line_item_id", line_id))
            return json_string_value(json_object_get(fo, "fulfillment_order_id"));
    }
    return NULL;
}

/* A new shipment carries the open lines no other shipment carries: those
 * of the fulfillment order the event names, else the first such line of
 * each item's SKU. Linear in the order's size (indexes built once). */
static void link_lines(json_t *order, json_t *ship, const json_t *ev, json_t *changes)
{
    json_t *links = json_object_get(ship, "line_items");
    const char *source = NULL;
    const char *fo_ref = ev_str(ev, "fulfillment_order_id");
    json_t *fo = fo_ref ? ju_find_by(json_object_get(order, "fulfillment_orders"), "fulfillment_order_id", fo_ref)
                        : NULL;
    json_t *elsewhere = linked_elsewhere(order, ship), *mine = json_object();
    json_t *lines = json_object_get(order, "line_items");
    if (fo) {
        json_t *by_id = ju_index(lines, "line_item_id");
        size_t i;
        json_t *ref;
        json_array_foreach(json_object_get(fo, "line_items"), i, ref)
        {
            const char *lid = json_string_value(json_object_get(ref, "line_item_id"));
            json_t *line = lid ? json_object_get(by_id, lid) : NULL;
            if (line && !json_object_get(mine, lid) && line_open_to_shipment(line, elsewhere)) {
                json_array_append_new(links, json_pack("{s:s}", "line_item_id", lid));
                json_object_set_new(mine, lid, json_true());
            }
        }
        json_decref(by_id);
        source = "fulfillment_order";
        json_object_set_new(ship, "fulfillment_order_id", json_string(fo_ref));
    } else {
        /* SKU -> its lines, in order */
        json_t *by_sku = json_object();
        size_t i;
        json_t *item, *line;
        json_array_foreach(lines, i, line)
        {
            const char *sku = json_string_value(json_object_get(line, "sku"));
            if (!sku)
                continue;
            json_t *list = json_object_get(by_sku, sku);
            if (!list)
                json_object_set_new(by_sku, sku, list = json_array());
            json_array_append(list, line);
        }
        json_array_foreach(json_object_get(ev, "items"), i, item)
        {
            const char *sku = json_string_value(json_object_get(item, "sku"));
            json_t *list = sku ? json_object_get(by_sku, sku) : NULL;
            size_t j;
            json_array_foreach(list, j, line)
            {
                const char *lid = json_string_value(json_object_get(line, "line_item_id"));
                if (lid && !json_object_get(mine, lid) && line_open_to_shipment(line, elsewhere)) {
                    json_array_append_new(links, json_pack("{s:s}", "line_item_id", lid));
                    json_object_set_new(mine, lid, json_true());
                    break;
                }
            }
        }
        json_decref(by_sku);
        source = "sku";
        if (json_array_size(links)) {
            const char *fo_id = fo_of_line(order, json_string_value(json_object_get(json_array_get(links, 0), "line_item_id")));
            json_object_set_new(ship, "fulfillment_order_id", fo_id ? json_string(fo_id) : json_null());
        }
    }
    json_decref(elsewhere);
    json_decref(mine);
    if (json_array_size(links) == 0)
        return;
    json_object_set_new(ship, "link_source", json_string(source));
    order_change(changes, "SHIPMENT_LINKED", "shipment", ship_key(ship),
                 "line_items", NULL, links);
}

/* The shipment this event is about; added (and linked) when new. */
static json_t *find_or_add_shipment(json_t *order, const json_t *ev, json_t *changes)
{
    const char *psr = ev_str(ev, "partner_shipment_reference");
    const char *trk = ev_str(ev, "tracking_no");
    const char *sid = ev_str(ev, "shipment_id");
    json_t *ships = json_object_get(order, "shipments");
    json_t *ship = psr ? ju_find_by(ships, "partner_shipment_reference", psr) : NULL;
    if (!ship && trk)
        ship = ju_find_by(ships, "tracking_no", trk);
    if (!ship && sid)
        ship = ju_find_by(ships, "shipment_id", sid);
    if (!ship && !psr && !trk && !sid)
        ship = find_unidentified(ships, ev_str(ev, "fulfillment_order_id"));
    if (ship) {
        /* Learn identifiers the shipment did not have yet (a tracking number
         * assigned after creation, say). */
        const char *keys[] = {"partner_shipment_reference", "tracking_no", "shipment_id"};
        const char *vals[] = {psr, trk, sid};
        for (int i = 0; i < 3; i++)
            if (vals[i] && !json_string_value(json_object_get(ship, keys[i]))) {
                json_t *nv = json_string(vals[i]);
                order_change(changes, "FIELD_UPDATE", "shipment", ship_key(ship),
                             keys[i], NULL, nv);
                json_object_set_new(ship, keys[i], nv);
            }
        return ship;
    }
    ship = json_object();
    if (psr)
        json_object_set_new(ship, "partner_shipment_reference", json_string(psr));
    if (trk)
        json_object_set_new(ship, "tracking_no", json_string(trk));
    if (sid)
        json_object_set_new(ship, "shipment_id", json_string(sid));
    json_object_set_new(ship, "fulfillment_order_id", json_null());
    json_object_set_new(ship, "line_items", json_array());
    json_object_set_new(ship, "link_source", json_null());
    json_object_set_new(ship, "status", json_null());
    json_object_set_new(ship, "status_history", json_array());
    json_array_append_new(ships, ship);
    order_change(changes, "SHIPMENT_ADDED", "shipment", ship_key(ship), NULL, NULL, NULL);
    link_lines(order, ship, ev, changes);
    return ship;
}

static bool is_cancelled(const json_t *o)
{
    const char *s = json_string_value(json_object_get(o, "status"));
    return s && strcmp(s, "cancelled") == 0;
}

/* Does this FO line name the shipment among its shipment_ids? */
static bool carried_by(const json_t *entry, const char *shipment_id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(entry, "shipment_ids"), i, v)
    {
        if (shipment_id && json_string_value(v) && !strcmp(json_string_value(v), shipment_id))
            return true;
    }
    return false;
}

/* A line in no fulfillment order has no FO lines: its own status closes. */
static void close_loose_line(json_t *line, json_t *changes)
{
    const char *old = json_string_value(json_object_get(line, "status"));
    if (old && strcmp(old, "closed") == 0)
        return;
    json_t *nv = json_string("closed");
    order_change(changes, "STATUS_CHANGE", "line_item", json_string_value(json_object_get(line, "line_item_id")),
                 "status", json_object_get(line, "status"), nv);
    json_object_set_new(line, "status", nv);
}

/* A delivered shipment closes the FO lines it carries, line by line: those
 * that name it (shipments made by fulfill/ship), else the line's FO lines
 * in the shipment's fulfillment order, else all of the line's FO lines,
 * else (a line in no fulfillment order) the line itself. Cancelled ones
 * stay cancelled. */
static void close_lines(json_t *order, const json_t *ship, json_t *changes)
{
    const char *sid = ev_str(ship, "shipment_id"), *fo_id = ev_str(ship, "fulfillment_order_id");
    json_t *carried = json_object(), *named = json_object(), *placed = json_object(), *in_fo = json_object();
    size_t i, k;
    json_t *ref, *fo, *e;
    json_array_foreach(json_object_get(ship, "line_items"), i, ref)
    {
        json_object_set_new(carried, json_string_value(json_object_get(ref, "line_item_id")), json_true());
    }
    for (int pass = 0; pass < 2; pass++)
        json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
        {
            const char *this_fo = ev_str(fo, "fulfillment_order_id");
            json_array_foreach(json_object_get(fo, "line_items"), k, e)
            {
                const char *lid = ev_str(e, "line_item_id");
                if (!lid || !json_object_get(carried, lid))
                    continue;
                bool here = fo_id && this_fo && !strcmp(this_fo, fo_id);
                if (pass == 0) {
                    json_object_set_new(placed, lid, json_true());
                    if (carried_by(e, sid))
                        json_object_set_new(named, lid, json_true());
                    if (here)
                        json_object_set_new(in_fo, lid, json_true());
                    continue;
                }
                bool hit = json_object_get(named, lid)   ? carried_by(e, sid)
                           : json_object_get(in_fo, lid) ? here
                                                         : true;
                if (hit && !is_cancelled(e))
                    order_set_entry_status(e, "closed");
            }
        }
    json_t *by_id = NULL; /* built when some line is in no fulfillment order */
    json_array_foreach(json_object_get(ship, "line_items"), i, ref)
    {
        const char *lid = json_string_value(json_object_get(ref, "line_item_id"));
        if (!lid || json_object_get(placed, lid))
            continue;
        if (!by_id)
            by_id = ju_index(json_object_get(order, "line_items"), "line_item_id");
        json_t *line = json_object_get(by_id, lid);
        if (line && !is_cancelled(line))
            close_loose_line(line, changes);
    }
    json_decref(by_id);
    json_decref(carried);
    json_decref(named);
    json_decref(placed);
    json_decref(in_fo);
}

/* The status an entry records (or, unmapped, its raw status). */
static const char *entry_key(const json_t *entry)
{
    const char *st = json_string_value(json_object_get(entry, "status"));
    return st ? st : json_string_value(json_object_get(entry, "raw_status"));
}

/* Is the event already in this history entry: the same source event id, or
 * the same status (or, unmapped, raw status) at the same event time? Events
 * without a time are never the same as an older entry by this rule. */
static bool same_event(const json_t *entry, const char *key, const char *event_date, const char *event_id)
{
    const char *id = json_string_value(json_object_get(entry, "source_event_id"));
    if (event_id && id && strcmp(id, event_id) == 0)
        return true;
    const char *st = entry_key(entry);
    const char *d = json_string_value(json_object_get(entry, "event_date"));
    return st && strcmp(st, key) == 0 && d && event_date && strcmp(d, event_date) == 0;
}

static void copy_if_present(json_t *to, const json_t *ev, const char *key)
{
    const char *v = ev_str(ev, key);
    if (v)
        json_object_set_new(to, key, json_string(v));
}

enum shipment_update_result shipment_update_apply(json_t *order, const json_t *ev, bool autoclose, const char *now_iso,
                                                  json_t *changes)
{
    const char *status = ev_str(ev, "status");
    if (status && !shipment_status_known(status))
        status = NULL;
    const char *raw = ev_str(ev, "raw_status");
    const char *key = status ? status : raw ? raw : "";
    const char *event_date = ev_str(ev, "event_time");

    json_t *ship = find_or_add_shipment(order, ev, changes);
    const char *current = json_string_value(json_object_get(ship, "status"));
    json_t *history = json_object_get(ship, "status_history");
    /* A repeat: the current status again, an event already in the history,
     * or (without a time to tell them apart) the latest entry again. */
    bool repeat = status && current && strcmp(current, status) == 0;
    const char *event_id = ev_str(ev, "source_event_id");
    size_t i, n = json_array_size(history);
    json_t *entry;
    json_array_foreach(history, i, entry)
    {
        repeat = repeat || same_event(entry, key, event_date, event_id);
    }
    if (!event_date && n) {
        const char *latest = entry_key(json_array_get(history, n - 1));
        repeat = repeat || (latest && strcmp(latest, key) == 0);
    }
    if (repeat)
        return SHIPMENT_UPDATE_REPEAT;

    bool moves = status && shipment_status_may_move(current, status);
    json_t *h = json_object();
    json_object_set_new(h, "status", status ? json_string(status) : json_null());
    static const char *carried[] = {"raw_status", "raw_substatus", "reason_code", "description", "carrier",
                                    "location", "source", "source_event_id"};
    for (size_t k = 0; k < sizeof carried / sizeof carried[0]; k++)
        copy_if_present(h, ev, carried[k]);
    json_object_set_new(h, "event_date", event_date ? json_string(event_date) : json_null());
    json_object_set_new(h, "received_date", json_string(now_iso));
    json_object_set_new(h, "applied", json_boolean(moves));
    if (!status)
        json_object_set_new(h, "known", json_false());
    json_array_append_new(history, h);

    if (!moves) {
        json_t *nv = json_string(key);
        order_change(changes, status ? "SHIPMENT_STATUS_HISTORY" : "SHIPMENT_STATUS_UNKNOWN", "shipment",
                     ship_key(ship), "status_history", NULL, nv);
        json_decref(nv);
        return SHIPMENT_UPDATE_HISTORY;
    }
    json_t *nv = json_string(status);
    order_change(changes, "STATUS_CHANGE", "shipment", ship_key(ship), "status", json_object_get(ship, "status"), nv);
    json_object_set_new(ship, "status", nv);

    bool delivered = strcmp(status, "delivered") == 0 || strcmp(status, "delivery_confirmed") == 0;
    if (delivered && autoclose) {
        close_lines(order, ship, changes);
        order_recompute(order, changes);
    }
    return SHIPMENT_UPDATE_APPLIED;
}
