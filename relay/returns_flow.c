/* returns_flow: approve, reject, cancel, complete, and the progress of the
 * REVERSE shipments. See returns.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "order.h"
#include "returns.h"
#include "xmalloc.h"

#define MAX_SHIPMENTS 20

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static bool is(const json_t *o, const char *k, const char *v)
{
    const char *s = str(o, k);
    return s && !strcmp(s, v);
}

static void change(json_t *ret, json_t *changes, const char *type, const char *field, json_t *old, json_t *nv)
{
    order_change(changes, type, "return_request", str(ret, "return_request_id"), field, old, nv);
}

/* The optional string member k of body (at most max bytes): false with err when bad. */
static bool text_ok(const json_t *body, const char *k, size_t max, const char **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(body, k);
    *out = json_string_value(v);
    if (!v || json_is_null(v) || (json_is_string(v) && strlen(*out) <= max))
        return true;
    snprintf(err, errlen, "%s must be a string of at most %zu bytes", k, max);
    return false;
}

/* Move ret to status (setting date_key to now), with the note and the
 * change entries: the status move and change_type's with what (stolen). */
static void move(json_t *ret, const char *status, const char *date_key, const char *action, const char *change_type,
                 const char *text, const char *now, json_t *changes, json_t *what)
{
    json_t *nv = json_string(status);
    change(ret, changes, "STATUS_CHANGE", "status", json_object_get(ret, "status"), nv);
    json_object_set_new(ret, "status", nv);
    json_object_set_new(ret, date_key, json_string(now));
    if (text)
        json_array_append_new(json_object_get(ret, "notes"),
                              json_pack("{s:s,s:s,s:s}", "date", now, "action", action, "text", text));
    change(ret, changes, change_type, NULL, NULL, what);
    json_decref(what);
}

/* OPS_REFUSED: ret is `status`; the allowed calls follow. */
static enum ops_result refuse(const json_t *ret, const char *action, const char *instead, char *err, size_t errlen)
{
    snprintf(err, errlen, "return request \"%s\" is %s: it cannot be %s; %s", str(ret, "return_request_id"),
             str(ret, "status"), action, instead);
    return OPS_REFUSED;
}

/* The return's item a request line names (by sku, else line_item_id), or NULL with err. */
static json_t *item_of(json_t *ret, const json_t *req, size_t i, char *err, size_t errlen)
{
    const char *sku = str(req, "sku"), *line = str(req, "line_item_id");
    json_t *it = sku ? ju_find_by(json_object_get(ret, "items"), "sku", sku)
                     : line ? ju_find_by(json_object_get(ret, "items"), "line_item_id", line) : NULL;
    if (!it)
        snprintf(err, errlen, "items[%zu] names no item of this return request (give its sku)", i);
    return it;
}

/* A whole number 0..max in req[k], or -1 with err (absent: def). */
static long quantity(const json_t *req, const char *k, long def, long max, size_t i, char *err, size_t errlen)
{
    json_t *v = json_object_get(req, k);
    if (!v)
        return def;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
        snprintf(err, errlen, "items[%zu].%s must be a whole number from 0 to %ld", i, k, max);
        return -1;
    }
    return (long)json_integer_value(v);
}

/* The shipments an approval registers, checked: a new array of specs, or NULL with err. */
static json_t *shipment_specs(const json_t *ret, const json_t *list, char *err, size_t errlen)
{
    json_t *out = json_array();
    if (!list || json_is_null(list))
        return out;
    if (!json_is_array(list) || json_array_size(list) > MAX_SHIPMENTS) {
        snprintf(err, errlen, "shipments must be an array of at most %d return shipments", MAX_SHIPMENTS);
        json_decref(out);
        return NULL;
    }
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        static const char *ids[] = {"partner_shipment_reference", "tracking_no", "shipment_id", "carrier"};
        bool named = false, ok = json_is_object(s);
        for (size_t k = 0; ok && k < 4; k++) {
            json_t *v = json_object_get(s, ids[k]);
            ok = !v || json_is_null(v) || (json_is_string(v) && *json_string_value(v) && strlen(json_string_value(v)) <= 255);
            named |= k < 3 && json_is_string(v);
        }
        json_t *items = json_object_get(s, "items");
        ok = ok && (!items || json_is_array(items));
        if (!ok || !named) {
            snprintf(err, errlen, "shipments[%zu] must name the shipment (partner_shipment_reference, tracking_no or "
                                  "shipment_id: strings of at most 255 bytes; items an array of {sku, quantity})", i);
            json_decref(out);
            return NULL;
        }
        json_t *spec = json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?}", "partner_shipment_reference",
                                 json_object_get(s, "partner_shipment_reference"), "tracking_no",
                                 json_object_get(s, "tracking_no"), "shipment_id", json_object_get(s, "shipment_id"),
                                 "carrier", json_object_get(s, "carrier"), "items", items);
        json_t *keys = returns_shipment_keys(ret);
        json_t *probe = json_pack("{s:[O]}", "shipments", spec);
        json_t *mine = returns_shipment_keys(probe);
        const char *k;
        json_t *v;
        bool dup = false;
        json_object_foreach(mine, k, v)
        {
            dup = dup || json_object_get(keys, k);
        }
        json_decref(probe);
        json_decref(mine);
        json_decref(keys);
        if (dup) {
            json_decref(spec);
            continue; /* already registered: a repeat */
        }
        json_array_append_new(out, spec);
    }
    return out;
}

enum ops_result returns_approve(json_t *ret, const json_t *body, const char *now, json_t *changes, char *err,
                                size_t errlen)
{
    const char *note;
    if (!text_ok(body, "note", 2000, &note, err, errlen))
        return OPS_INVALID;
    json_t *reqs = json_object_get(body, "items");
    if (reqs && !json_is_array(reqs)) {
        snprintf(err, errlen, "items must be an array of {sku, approved_quantity}");
        return OPS_INVALID;
    }
    if (is(ret, "status", "approved") && !reqs && !json_object_get(body, "shipments"))
        return OPS_NOOP;
    if (!is(ret, "status", "pending"))
        return refuse(ret, "approved",
                      is(ret, "status", "approved") ? "it is approved already: complete it (POST "
                                                      "/returns/requests/{id}/complete) or cancel it"
                                                    : "make a new request: POST /returns/requests",
                      err, errlen);
    /* approved quantities: given ones, the rest in full */
    json_t *approved = json_object();
    size_t i;
    json_t *r, *it;
    json_array_foreach(reqs, i, r)
    {
        json_t *item = item_of(ret, r, i, err, errlen);
        long q = item ? quantity(r, "approved_quantity", (long)json_integer_value(json_object_get(item, "quantity")),
                                 (long)json_integer_value(json_object_get(item, "quantity")), i, err, errlen)
                      : -1;
        if (q < 0) {
            json_decref(approved);
            return OPS_INVALID;
        }
        json_object_set_new(approved, str(item, "sku"), json_integer(q));
    }
    long total = 0;
    json_array_foreach(json_object_get(ret, "items"), i, it)
    {
        json_t *q = json_object_get(approved, str(it, "sku"));
        total += (long)json_integer_value(q ? q : json_object_get(it, "quantity"));
    }
    if (!total) {
        json_decref(approved);
        snprintf(err, errlen, "approve at least one unit; to approve none, reject the request: POST "
                              "/returns/requests/%s/reject", str(ret, "return_request_id"));
        return OPS_INVALID;
    }
    json_t *specs = shipment_specs(ret, json_object_get(body, "shipments"), err, errlen);
    if (!specs) {
        json_decref(approved);
        return OPS_INVALID;
    }
    json_t *what = json_array();
    json_array_foreach(json_object_get(ret, "items"), i, it)
    {
        json_t *q = json_object_get(approved, str(it, "sku"));
        json_object_set(it, "approved_quantity", q ? q : json_object_get(it, "quantity"));
        json_array_append_new(what, json_pack("{s:O,s:O}", "sku", json_object_get(it, "sku"), "approved_quantity",
                                              json_object_get(it, "approved_quantity")));
    }
    json_decref(approved);
    move(ret, "approved", "approval_date", "approve", "RETURN_APPROVED", note, now, changes,
         json_pack("{s:o}", "items", what));
    json_array_foreach(specs, i, r)
    {
        returns_add_shipment(ret, r, changes);
    }
    json_decref(specs);
    return OPS_CHANGED;
}

enum ops_result returns_reject(json_t *ret, const json_t *body, const char *now, json_t *changes, char *err,
                               size_t errlen)
{
    const char *reason;
    if (!text_ok(body, "reason", 2000, &reason, err, errlen))
        return OPS_INVALID;
    if (is(ret, "status", "rejected"))
        return OPS_NOOP;
    if (!is(ret, "status", "pending"))
        return refuse(ret, "rejected",
                      is(ret, "status", "approved") ? "cancel it instead: POST /returns/requests/{id}/cancel"
                                                    : "make a new request: POST /returns/requests",
                      err, errlen);
    json_object_set_new(ret, "rejection_reason", reason ? json_string(reason) : json_null());
    move(ret, "rejected", "rejection_date", "reject", "RETURN_REJECTED", reason, now, changes,
         json_pack("{s:s?}", "reason", reason));
    return OPS_CHANGED;
}

/* Goods on their way back (or back) make a cancellation too late. */
static const char *in_transit(const json_t *ret)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(ret, "shipments"), i, s)
    {
        if (is(s, "status", "return_in_transit") || is(s, "status", "returned") || is(s, "status", "return_confirmed"))
            return str(s, "status");
    }
    return NULL;
}

enum ops_result returns_cancel(json_t *ret, const json_t *body, const char *now, json_t *changes, char *err,
                               size_t errlen)
{
    const char *reason;
    if (!text_ok(body, "reason", 2000, &reason, err, errlen))
        return OPS_INVALID;
    if (is(ret, "status", "cancelled"))
        return OPS_NOOP;
    if (!is(ret, "status", "pending") && !is(ret, "status", "approved"))
        return refuse(ret, "cancelled", "make a new request: POST /returns/requests", err, errlen);
    const char *moving = in_transit(ret);
    if (moving) {
        snprintf(err, errlen, "return request \"%s\" has a shipment that is %s: the goods are on their way back; "
                              "complete it once they are received: POST /returns/requests/%s/complete",
                 str(ret, "return_request_id"), moving, str(ret, "return_request_id"));
        return OPS_REFUSED;
    }
    move(ret, "cancelled", "cancellation_date", "cancel", "RETURN_CANCELLED", reason, now, changes,
         json_pack("{s:s?}", "reason", reason));
    return OPS_CHANGED;
}

enum ops_result returns_complete(json_t *ret, const json_t *body, const char *now, json_t *changes, char *err,
                                 size_t errlen)
{
    const char *note;
    if (!text_ok(body, "note", 2000, &note, err, errlen))
        return OPS_INVALID;
    json_t *reqs = json_object_get(body, "items"), *refund = json_object_get(body, "refund_info");
    if ((reqs && !json_is_array(reqs)) || (refund && !json_is_null(refund) && !json_is_object(refund))) {
        snprintf(err, errlen, "items must be an array of {sku, received_quantity, condition, resolution}; "
                              "refund_info an object");
        return OPS_INVALID;
    }
    if (is(ret, "status", "completed"))
        return OPS_NOOP;
    if (!is(ret, "status", "approved"))
        return refuse(ret, "completed",
                      is(ret, "status", "pending") ? "approve it first: POST /returns/requests/{id}/approve"
                                                   : "make a new request: POST /returns/requests",
                      err, errlen);
    size_t i;
    json_t *r;
    json_array_foreach(reqs, i, r) /* check all before changing any */
    {
        json_t *item = item_of(ret, r, i, err, errlen);
        if (!item || quantity(r, "received_quantity", 0, (long)json_integer_value(json_object_get(item, "quantity")), i,
                              err, errlen) < 0)
            return OPS_INVALID;
        for (size_t k = 0; k < 2; k++) {
            static const char *texts[] = {"condition", "resolution"};
            json_t *v = json_object_get(r, texts[k]);
            if (v && !json_is_null(v) && (!json_is_string(v) || strlen(json_string_value(v)) > 255)) {
                snprintf(err, errlen, "items[%zu].%s must be a string of at most 255 bytes", i, texts[k]);
                return OPS_INVALID;
            }
        }
    }
    json_array_foreach(reqs, i, r)
    {
        json_t *item = item_of(ret, r, i, err, errlen);
        static const char *keys[] = {"received_quantity", "condition", "resolution"};
        for (size_t k = 0; k < 3; k++)
            if (json_object_get(r, keys[k]))
                json_object_set(item, keys[k], json_object_get(r, keys[k]));
    }
    if (refund)
        json_object_set(ret, "refund_info", refund);
    move(ret, "completed", "completion_date", "complete", "RETURN_COMPLETED", note, now, changes,
         json_pack("{s:O?}", "refund_info", refund));
    return OPS_CHANGED;
}

void returns_add_shipment(json_t *ret, const json_t *spec, json_t *changes)
{
    static const char *ids[] = {"shipment_id", "partner_shipment_reference", "tracking_no"};
    json_t *ship = json_pack("{s:s}", "entity_type", "REVERSE");
    const char *name = NULL;
    for (size_t k = 0; k < 3; k++) {
        const char *v = str(spec, ids[k]);
        json_object_set_new(ship, ids[k], v && *v ? json_string(v) : json_null());
        if (!name && v && *v)
            name = v;
    }
    json_object_set_new(ship, "carrier", str(spec, "carrier") ? json_string(str(spec, "carrier")) : json_null());
    json_t *items = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(spec, "items"), i, it)
    {
        const char *sku = str(it, "sku");
        if (sku && ju_find_by(json_object_get(ret, "items"), "sku", sku))
            json_array_append_new(items, json_pack("{s:s,s:O?}", "sku", sku, "quantity", json_object_get(it, "quantity")));
    }
    json_object_set_new(ship, "items", items);
    json_object_set_new(ship, "status", json_null());
    json_object_set_new(ship, "status_history", json_array());
    json_object_set_new(ship, "line_items", json_array());
    json_array_append_new(json_object_get(ret, "shipments"), ship);
    /* the items it carries (all of them when it names none) know it */
    json_array_foreach(json_object_get(ret, "items"), i, it)
    {
        if (json_array_size(items) && !ju_find_by(items, "sku", str(it, "sku")))
            continue;
        json_t *list = json_object_get(it, "reverse_shipment_ids");
        if (!json_is_array(list)) {
            list = json_array();
            json_object_set_new(it, "reverse_shipment_ids", list);
        }
        json_array_append_new(list, json_string(name));
    }
    json_t *nv = json_string(name);
    change(ret, changes, "RETURN_SHIPMENT_ADDED", "shipments", NULL, nv);
    json_decref(nv);
}

/* Units of the item the shipment carries: its own line for the item, else
 * (it names none) the item's approved quantity. 0 when it does not carry it. */
static long carried(const json_t *ship, const json_t *item)
{
    json_t *items = json_object_get(ship, "items");
    if (!json_array_size(items)) {
        json_t *a = json_object_get(item, "approved_quantity");
        return (long)json_integer_value(json_is_integer(a) ? a : json_object_get(item, "quantity"));
    }
    json_t *mine = ju_find_by(items, "sku", str(item, "sku"));
    if (!mine)
        return 0;
    json_t *q = json_object_get(mine, "quantity");
    return json_is_integer(q) ? (long)json_integer_value(q) : (long)json_integer_value(json_object_get(item, "quantity"));
}

const char *returns_shipment_moved(json_t *ret, json_t *changes)
{
    bool received = false;
    size_t i, k;
    json_t *c, *it, *s;
    json_array_foreach(changes, i, c)
    {
        if (!is(c, "entity_type", "shipment"))
            continue;
        char *id = xasprintf("%s/%s", str(ret, "return_request_id"), str(c, "entity_id") ? str(c, "entity_id") : "");
        json_object_set_new(c, "entity_type", json_string("return_shipment"));
        json_object_set_new(c, "entity_id", json_string(id));
        free(id);
        if (is(c, "change_type", "STATUS_CHANGE") &&
            (is(c, "new_value", "returned") || is(c, "new_value", "return_confirmed")))
            received = true;
    }
    json_array_foreach(json_object_get(ret, "items"), i, it)
    {
        long back = 0, confirmed = 0;
        json_array_foreach(json_object_get(ret, "shipments"), k, s)
        {
            bool home = is(s, "status", "returned") || is(s, "status", "return_confirmed");
            back += home ? carried(s, it) : 0;
            confirmed += is(s, "status", "return_confirmed") ? carried(s, it) : 0;
        }
        json_object_set_new(it, "returned_quantity", json_integer(back));
        if (confirmed > (long)json_integer_value(json_object_get(it, "received_quantity")))
            json_object_set_new(it, "received_quantity", json_integer(confirmed));
    }
    return received ? RETURNS_RECEIVED_TRIGGER : RETURNS_STATUS_TRIGGER;
}
