/* shipment_update: find or add the shipment, link it, record the event,
 * close lines on delivery. See shipment_update.h for the rules. */
#include "shipment_update.h"

#include <ctype.h>
#include <string.h>

#include "jsonutil.h"
#include "order.h"
#include "shipment_status.h"

#define MAX_STATUS_LEN 64

int shipment_update_validate(const json_t *payload, char *err, size_t errlen)
{
    if (!json_is_object(payload)) {
        snprintf(err, errlen, "the body must be a JSON object (a Carriyo Shipment)");
        return -1;
    }
    const char *por = ju_path_str(payload, "references.partner_order_reference");
    if (!por || !*por) {
        snprintf(err, errlen, "references.partner_order_reference is required (a non-empty string)");
        return -1;
    }
    const char *st = ju_path_str(payload, "post_shipping_info.status");
    if (!st || !*st || strlen(st) > MAX_STATUS_LEN) {
        snprintf(err, errlen, "post_shipping_info.status is required (a non-empty string of at most %d bytes)",
                 MAX_STATUS_LEN);
        return -1;
    }
    return 0;
}

static const char *first_str(const json_t *p, const char *a, const char *b)
{
    const char *s = ju_path_str(p, a);
    return s && *s ? s : (b ? ju_path_str(p, b) : NULL);
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

/* A payload naming no shipment at all is about the order's one shipment
 * that has no identifier either, so repeats land on the same record. */
static json_t *find_unidentified(const json_t *ships)
{
    size_t i;
    json_t *s;
    json_array_foreach(ships, i, s)
    {
        if (strcmp(ship_key(s), "(unidentified)") == 0)
            return s;
    }
    return NULL;
}

/* Is this line already carried by some shipment other than `self`? */
static bool line_linked_elsewhere(const json_t *order, const json_t *self, const char *line_id)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(order, "shipments"), i, s)
    {
        if (s != self && ju_find_by(json_object_get(s, "line_items"), "line_item_id", line_id))
            return true;
    }
    return false;
}

static bool line_open_to_shipment(const json_t *order, const json_t *self, const json_t *line)
{
    const char *st = json_string_value(json_object_get(line, "status"));
    if (st && (strcmp(st, "closed") == 0 || strcmp(st, "cancelled") == 0))
        return false;
    return !line_linked_elsewhere(order, self, json_string_value(json_object_get(line, "line_item_id")));
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

static void link_lines(json_t *order, json_t *ship, const json_t *payload, json_t *changes)
{
    json_t *links = json_object_get(ship, "line_items");
    const char *source = NULL;
    const char *fo_ref = first_str(payload, "references.fulfillment_order_id", "fulfillment_order_id");
    json_t *fo = fo_ref ? ju_find_by(json_object_get(order, "fulfillment_orders"), "fulfillment_order_id", fo_ref)
                        : NULL;
    if (fo) {
        size_t i;
        json_t *ref;
        json_array_foreach(json_object_get(fo, "line_items"), i, ref)
        {
            json_t *line = order_line(order, json_string_value(json_object_get(ref, "line_item_id")));
            if (line && line_open_to_shipment(order, ship, line))
                json_array_append_new(links, json_pack("{s:O}", "line_item_id", json_object_get(ref, "line_item_id")));
        }
        source = "fulfillment_order";
        json_object_set_new(ship, "fulfillment_order_id", json_string(fo_ref));
    } else {
        size_t i, j;
        json_t *item, *line;
        json_array_foreach(json_object_get(payload, "items"), i, item)
        {
            const char *sku = json_string_value(json_object_get(item, "sku"));
            if (!sku)
                continue;
            json_array_foreach(json_object_get(order, "line_items"), j, line)
            {
                const char *lid = json_string_value(json_object_get(line, "line_item_id"));
                if (strcmp(sku, json_string_value(json_object_get(line, "sku"))) == 0 &&
                    !ju_find_by(links, "line_item_id", lid) && line_open_to_shipment(order, ship, line)) {
                    json_array_append_new(links, json_pack("{s:s}", "line_item_id", lid));
                    break;
                }
            }
        }
        source = "sku";
        if (json_array_size(links)) {
            const char *fo_id = fo_of_line(order, json_string_value(json_object_get(json_array_get(links, 0), "line_item_id")));
            json_object_set_new(ship, "fulfillment_order_id", fo_id ? json_string(fo_id) : json_null());
        }
    }
    if (json_array_size(links) == 0)
        return;
    json_object_set_new(ship, "link_source", json_string(source));
    order_change(changes, "SHIPMENT_LINKED", "shipment", ship_key(ship),
                 "line_items", NULL, links);
}

/* The shipment this payload is about; added (and linked) when new. */
static json_t *find_or_add_shipment(json_t *order, const json_t *payload, json_t *changes)
{
    const char *psr = first_str(payload, "references.partner_shipment_reference", "partner_shipment_reference");
    const char *trk = first_str(payload, "post_shipping_info.tracking_no", "tracking_no");
    const char *sid = first_str(payload, "shipment_id", NULL);
    json_t *ships = json_object_get(order, "shipments");
    json_t *ship = psr ? ju_find_by(ships, "partner_shipment_reference", psr) : NULL;
    if (!ship && trk)
        ship = ju_find_by(ships, "tracking_no", trk);
    if (!ship && sid)
        ship = ju_find_by(ships, "shipment_id", sid);
    if (!ship && !psr && !trk && !sid)
        ship = find_unidentified(ships);
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
    link_lines(order, ship, payload, changes);
    return ship;
}

static bool same_event(const json_t *entry, const char *status, const char *event_date)
{
    const char *st = json_string_value(json_object_get(entry, "status"));
    const char *d = json_string_value(json_object_get(entry, "event_date"));
    if (!st || strcmp(st, status) != 0)
        return false;
    if (!d || !event_date)
        return !d && !event_date;
    return strcmp(d, event_date) == 0;
}

bool shipment_update_apply(json_t *order, const json_t *payload, bool autoclose, const char *now_iso,
                           json_t *changes)
{
    const char *raw = ju_path_str(payload, "post_shipping_info.status");
    char status[MAX_STATUS_LEN + 1];
    size_t n = 0;
    for (; raw[n] && n < MAX_STATUS_LEN; n++)
        status[n] = (char)tolower((unsigned char)raw[n]);
    status[n] = '\0';
    const char *event_date = first_str(payload, "post_shipping_info.status_date", "post_shipping_info.update_date");
    if (!event_date)
        event_date = first_str(payload, "update_date", NULL);

    size_t changes_before = json_array_size(changes);
    json_t *ship = find_or_add_shipment(order, payload, changes);
    const char *current = json_string_value(json_object_get(ship, "status"));
    json_t *history = json_object_get(ship, "status_history");
    bool repeat = current && strcmp(current, status) == 0;
    size_t i;
    json_t *entry;
    json_array_foreach(history, i, entry)
    {
        repeat = repeat || same_event(entry, status, event_date);
    }
    if (repeat)
        return json_array_size(changes) > changes_before;

    bool known = shipment_status_known(status);
    bool moves = shipment_status_may_move(current, status);
    json_t *h = json_object();
    json_object_set_new(h, "status", json_string(status));
    if (strcmp(raw, status) != 0)
        json_object_set_new(h, "raw_status", json_string(raw));
    const char *desc = ju_path_str(payload, "post_shipping_info.status_description");
    if (desc)
        json_object_set_new(h, "status_description", json_string(desc));
    json_object_set_new(h, "event_date", event_date ? json_string(event_date) : json_null());
    json_object_set_new(h, "received_date", json_string(now_iso));
    json_object_set_new(h, "applied", json_boolean(moves));
    if (!known)
        json_object_set_new(h, "known", json_false());
    json_array_append_new(history, h);

    json_t *nv = json_string(status);
    if (!moves) {
        order_change(changes, known ? "SHIPMENT_STATUS_HISTORY" : "SHIPMENT_STATUS_UNKNOWN", "shipment",
                     ship_key(ship), "status_history", NULL, nv);
        json_decref(nv);
        return true;
    }
    order_change(changes, "STATUS_CHANGE", "shipment", ship_key(ship), "status", json_object_get(ship, "status"), nv);
    json_object_set_new(ship, "status", nv);

    bool delivered = strcmp(status, "delivered") == 0 || strcmp(status, "delivery_confirmed") == 0;
    if (delivered && autoclose) {
        json_t *ref;
        json_array_foreach(json_object_get(ship, "line_items"), i, ref)
        {
            json_t *line = order_line(order, json_string_value(json_object_get(ref, "line_item_id")));
            const char *ls = json_string_value(json_object_get(line, "status"));
            if (line && ls && strcmp(ls, "cancelled") != 0)
                order_set_line_status(line, "closed", changes);
        }
        order_recompute(order, changes);
    }
    return true;
}
