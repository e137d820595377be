/* fo_ops: fulfill, ship and unfulfill (the operations that make and undo
 * fulfilments and shipments), and what every fulfillment-order operation
 * shares. See fo_ops.h. */
#include "fo_ops.h"

#include <stdio.h>
#include <string.h>

#include "fo_lines.h"
#include "jsonutil.h"
#include "order.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

json_t *fo_ops_find(json_t *order, const char *fo_id, char *err, size_t errlen)
{
    json_t *fo = order_fo(order, fo_id);
    if (!fo)
        snprintf(err, errlen, "the order has no fulfillment order \"%s\"", fo_id ? fo_id : "");
    return fo;
}

bool fo_ops_final(const json_t *fo)
{
    const char *s = str(fo, "status");
    return s && (!strcmp(s, "cancelled") || !strcmp(s, "closed"));
}

void fo_ops_new_id(const json_t *order, const char *nonce, char out[32])
{
    for (int seq = 1;; seq++) {
        order_make_id("FO", nonce, seq, out);
        if (!order_fo(order, out) || seq == 99)
            return;
    }
}

enum ops_result fo_ops_refuse_final(const json_t *fo, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "fulfillment order \"%s\" is %s: nothing in it can be %s; add a fulfillment order with "
                          "PATCH /orders/{ref} instead", str(fo, "fulfillment_order_id"), str(fo, "status"), what);
    return OPS_REFUSED;
}

bool fo_ops_held(const json_t *order, const json_t *fo, const char *what, char *err, size_t errlen)
{
    if (!json_is_true(json_object_get(fo, "on_hold")))
        return false;
    snprintf(err, errlen, "fulfillment order \"%s\" is on hold: nothing in it can be %s until it is resumed: "
                          "POST /orders/%s/fulfillment-orders/%s/resume",
             str(fo, "fulfillment_order_id"), what, str(order, "order_id"), str(fo, "fulfillment_order_id"));
    return true;
}

enum ops_result fo_ops_resolve(json_t *fo, json_t *req, unsigned mask, const char *which, const char *instead,
                               char *err, size_t errlen)
{
    size_t i;
    json_t *r;
    json_array_foreach(req, i, r)
    {
        const char *id = str(r, "id");
        long have = fo_lines_units(fo, id, mask), q = (long)json_integer_value(json_object_get(r, "quantity"));
        if (!q)
            q = have;
        if (!have || q > have) {
            snprintf(err, errlen, "line item \"%s\" has %ld unit%s %s in fulfillment order \"%s\" (%ld asked): %s", id,
                     have, have == 1 ? "" : "s", which, str(fo, "fulfillment_order_id"), q, instead);
            return OPS_REFUSED;
        }
        json_object_set_new(r, "quantity", json_integer(q));
    }
    return OPS_CHANGED;
}

/* The optional shipment members of fulfill and ship, checked. */
static bool shipment_config_ok(const json_t *body, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        int type;
    } members[] = {{"carrier_account", JSON_OBJECT}, {"parcels", JSON_ARRAY},          {"delivery", JSON_OBJECT},
                   {"payment", JSON_OBJECT},         {"pre_booking_info", JSON_OBJECT}, {"ship_zone", JSON_STRING},
                   {"partner_fulfillment_reference", JSON_STRING}};
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        json_t *v = json_object_get(body, members[i].name);
        if (v && !json_is_null(v) && json_typeof(v) != (json_type)members[i].type) {
            snprintf(err, errlen, "%s must be %s", members[i].name,
                     members[i].type == JSON_OBJECT ? "an object" : members[i].type == JSON_ARRAY ? "an array"
                                                                                                  : "a string");
            return false;
        }
    }
    const char *trk = json_string_value(json_object_get(json_object_get(body, "pre_booking_info"), "carrier_tracking_no"));
    if (trk && (!*trk || strlen(trk) > 255)) {
        snprintf(err, errlen, "pre_booking_info.carrier_tracking_no must be a non-empty string of at most 255 bytes");
        return false;
    }
    return true;
}

/* Record a shipment for req's lines of fo: its id (borrowed from the order),
 * or NULL with OPS_INVALID's message when its tracking number is taken. */
static const char *add_shipment(json_t *order, json_t *fo, const struct ops_input *in, const char *link,
                                const char *fulfillment_id, const json_t *req, json_t *changes, char *err,
                                size_t errlen)
{
    json_t *ships = json_object_get(order, "shipments");
    const char *trk = json_string_value(json_object_get(json_object_get(in->body, "pre_booking_info"), "carrier_tracking_no"));
    if (trk && ju_find_by(ships, "tracking_no", trk)) {
        snprintf(err, errlen, "pre_booking_info.carrier_tracking_no \"%s\" is already another shipment's", trk);
        return NULL;
    }
    char sid[32];
    for (int seq = 1; seq < 100; seq++) {
        order_make_id("SH", in->nonce, seq, sid);
        if (!ju_find_by(ships, "shipment_id", sid))
            break;
    }
    const char *status = in->create_draft_shipment ? "draft" : "pending";
    json_t *lines = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(req, i, r)
    {
        json_array_append_new(lines, json_pack("{s:O,s:O}", "line_item_id", json_object_get(r, "id"), "quantity",
                                               json_object_get(r, "quantity")));
    }
    json_t *s = json_pack("{s:s,s:O,s:o,s:s,s:s,s:[{s:s,s:n,s:s,s:b,s:s}]}", "shipment_id", sid,
                          "fulfillment_order_id", json_object_get(fo, "fulfillment_order_id"), "line_items", lines,
                          "link_source", link, "status", status, "status_history", "status", status, "event_date",
                          "received_date", in->now, "applied", 1, "source", link);
    if (fulfillment_id)
        json_object_set_new(s, "fulfillment_id", json_string(fulfillment_id));
    if (trk)
        json_object_set_new(s, "tracking_no", json_string(trk));
    static const char *carried[] = {"carrier_account", "parcels", "delivery", "payment", "pre_booking_info", "ship_zone"};
    for (size_t k = 0; k < sizeof carried / sizeof carried[0]; k++) {
        json_t *v = json_object_get(in->body, carried[k]);
        if (v && !json_is_null(v))
            json_object_set(s, carried[k], v);
    }
    json_array_append_new(ships, s);
    order_change(changes, "SHIPMENT_ADDED", "shipment", sid, "status", NULL, json_object_get(s, "status"));
    return str(s, "shipment_id");
}

static void link_shipment(json_t *entry, const char *sid)
{
    json_t *ids = json_object_get(entry, "shipment_ids");
    if (!json_is_array(ids)) {
        ids = json_array();
        json_object_set_new(entry, "shipment_ids", ids);
    }
    json_array_append_new(ids, json_string(sid));
}

enum ops_result fo_fulfill(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen)
{
    json_t *fo = fo_ops_find(order, in->fo_id, err, errlen);
    if (!fo)
        return OPS_NOT_FOUND;
    if (fo_ops_final(fo))
        return fo_ops_refuse_final(fo, "fulfilled", err, errlen);
    if (fo_ops_held(order, fo, "fulfilled", err, errlen))
        return OPS_REFUSED;
    if (!shipment_config_ok(in->body, err, errlen))
        return OPS_INVALID;
    json_t *req = fo_lines_request(fo, json_object_get(in->body, "line_items"), err, errlen);
    if (!req)
        return OPS_INVALID;
    enum ops_result rc = fo_ops_resolve(fo, req, FO_PENDING, "open or allocated",
                                 "only those can be fulfilled (fulfilled units can get another shipment with ship)",
                                 err, errlen);
    if (rc != OPS_CHANGED) {
        json_decref(req);
        return rc;
    }
    char fid[32];
    order_make_id("FF", in->nonce, 1, fid);
    const char *method = str(fo, "delivery_method");
    bool close_now = in->skip_shipping || (method && !strcmp(method, "DIGITAL"));
    const char *sid = close_now ? NULL : add_shipment(order, fo, in, "fulfillment", fid, req, changes, err, errlen);
    if (!close_now && !sid) {
        json_decref(req);
        return OPS_INVALID;
    }
    json_t *pref = json_object_get(in->body, "partner_fulfillment_reference");
    size_t i, k;
    json_t *r, *e;
    json_array_foreach(req, i, r)
    {
        json_t *sel = fo_lines_select(fo, str(r, "id"), (long)json_integer_value(json_object_get(r, "quantity")),
                                      FO_PENDING);
        json_array_foreach(sel, k, e)
        {
            order_set_entry_status(e, close_now ? "closed" : "fulfilled");
            json_object_set_new(e, "fulfillment_id", json_string(fid));
            if (json_is_string(pref))
                json_object_set(e, "partner_fulfillment_reference", pref);
            if (sid)
                link_shipment(e, sid);
        }
        json_decref(sel);
    }
    fo_lines_tidy(fo);
    json_t *what = json_pack("{s:s,s:O,s:s?}", "fulfillment_id", fid, "line_items", req, "shipment_id", sid);
    order_change(changes, "FULFILLMENT", "fulfillment_order", str(fo, "fulfillment_order_id"), "line_items", NULL, what);
    json_decref(what);
    json_decref(req);
    order_recompute(order, changes);
    return OPS_CHANGED;
}

static bool cancellable_shipment(const char *status)
{
    static const char *ok[] = {"draft", "pending", "booked", "error", "ready_to_ship"};
    if (!status)
        return true;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(status, ok[i]))
            return true;
    return false;
}

static bool holds(const json_t *array, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v)
    {
        if (s && json_string_value(v) && !strcmp(json_string_value(v), s))
            return true;
    }
    return false;
}

/* Shipments left carrying nothing are cancelled when they still can be,
 * else flagged. `unlinked`: shipment ids the unfulfilled lines named;
 * `lines`: the line ids unfulfilled (for shipments linked the older way,
 * by line only). */
static void orphan_shipments(json_t *order, const json_t *unlinked, const json_t *lines, const char *now,
                             json_t *changes)
{
    json_t *still = json_object(); /* shipment ids some FO line still names */
    size_t i, k;
    json_t *fo, *e, *s;
    json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
    {
        json_array_foreach(json_object_get(fo, "line_items"), k, e)
        {
            json_t *v;
            size_t x;
            json_array_foreach(json_object_get(e, "shipment_ids"), x, v)
            {
                json_object_set_new(still, json_string_value(v), json_true());
            }
        }
    }
    json_array_foreach(json_object_get(order, "shipments"), i, s)
    {
        const char *sid = str(s, "shipment_id");
        bool named = holds(unlinked, sid);
        size_t hit = 0;
        json_t *l;
        json_array_foreach(json_object_get(s, "line_items"), k, l)
        {
            hit += json_object_get(lines, str(l, "line_item_id")) != NULL;
        }
        bool legacy = !named && hit && hit == json_array_size(json_object_get(s, "line_items")) &&
                      !(sid && json_object_get(still, sid));
        if (!(named && !(sid && json_object_get(still, sid))) && !legacy)
            continue;
        const char *key = str(s, "partner_shipment_reference") ? str(s, "partner_shipment_reference")
                          : str(s, "tracking_no")              ? str(s, "tracking_no")
                                                               : sid;
        if (cancellable_shipment(str(s, "status"))) {
            json_t *nv = json_string("cancelled");
            order_change(changes, "STATUS_CHANGE", "shipment", key, "status", json_object_get(s, "status"), nv);
            json_object_set_new(s, "status", nv);
        } else if (!json_object_get(s, "attention")) {
            json_t *flag = json_pack("{s:s,s:s}", "reason", "its items were unfulfilled but the shipment is past "
                                                            "ready_to_ship and cannot be cancelled", "date", now);
            order_change(changes, "SHIPMENT_FLAGGED", "shipment", key, "attention", NULL, json_object_get(flag, "reason"));
            json_object_set_new(s, "attention", flag);
        }
    }
    json_decref(still);
}

enum ops_result fo_unfulfill(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen)
{
    json_t *fo = fo_ops_find(order, in->fo_id, err, errlen);
    if (!fo)
        return OPS_NOT_FOUND;
    const char *fo_id = str(fo, "fulfillment_order_id");
    json_t *ids = json_object_get(in->body, "fulfillment_ids");
    size_t i, k;
    json_t *v, *e;
    if (ids) {
        bool ok = json_is_array(ids) && json_array_size(ids);
        json_array_foreach(ids, i, v)
        {
            ok = ok && json_is_string(v);
        }
        if (!ok) {
            snprintf(err, errlen, "fulfillment_ids must be a non-empty array of fulfillment ids");
            return OPS_INVALID;
        }
    }
    json_t *targets = json_array();
    bool repeat = ids != NULL;
    json_array_foreach(ids, i, v)
    {
        bool known = ju_find_by(json_object_get(fo, "line_items"), "fulfillment_id", json_string_value(v)) != NULL;
        bool done_before = holds(json_object_get(fo, "unfulfilled_fulfillment_ids"), json_string_value(v));
        if (!known && !done_before) {
            json_decref(targets);
            snprintf(err, errlen, "fulfillment order \"%s\" has no fulfillment \"%s\"", fo_id, json_string_value(v));
            return OPS_NOT_FOUND;
        }
        repeat = repeat && !known;
    }
    json_array_foreach(json_object_get(fo, "line_items"), i, e)
    {
        if (fo_lines_status(e) == LINE_FULFILLED && (!ids || holds(ids, str(e, "fulfillment_id"))))
            json_array_append(targets, e);
    }
    if (!json_array_size(targets)) {
        json_decref(targets);
        const char *last = str(fo, "last_operation");
        if (repeat || (!ids && last && !strcmp(last, "unfulfill") && !fo_lines_any(fo, FO_DONE)))
            return OPS_NOOP; /* a repeat, with nothing fulfilled since */
        snprintf(err, errlen, "fulfillment order \"%s\" is %s: only fulfilled lines can be unfulfilled%s", fo_id,
                 str(fo, "status"),
                 fo_lines_any(fo, FO_MASK(LINE_CLOSED)) ? " (closed lines are delivered: a late cancellation of the order, "
                                                          "cancel with force, is what remains)"
                                                        : "; fulfill it first");
        return OPS_REFUSED;
    }
    json_t *unlinked = json_array(), *lines = json_object(), *fids = json_array();
    json_array_foreach(targets, i, e)
    {
        json_array_foreach(json_object_get(e, "shipment_ids"), k, v)
        {
            json_array_append(unlinked, v);
        }
        if (json_is_string(json_object_get(e, "fulfillment_id")) && !holds(fids, str(e, "fulfillment_id")))
            json_array_append(fids, json_object_get(e, "fulfillment_id"));
        json_object_set_new(lines, str(e, "line_item_id"), json_true());
        order_set_entry_status(e, "allocated");
        json_object_del(e, "fulfillment_id");
        json_object_del(e, "partner_fulfillment_reference");
        json_object_del(e, "shipment_ids");
    }
    fo_lines_tidy(fo);
    orphan_shipments(order, unlinked, lines, in->now, changes);
    json_t *done = json_object_get(fo, "unfulfilled_fulfillment_ids");
    if (!json_is_array(done))
        json_object_set_new(fo, "unfulfilled_fulfillment_ids", done = json_array());
    json_array_extend(done, fids);
    json_object_set_new(fo, "last_operation", json_string("unfulfill"));
    json_t *what = json_pack("{s:O}", "fulfillment_ids", fids);
    order_change(changes, "UNFULFILLMENT", "fulfillment_order", fo_id, NULL, NULL, what);
    json_decref(what);
    json_decref(unlinked);
    json_decref(lines);
    json_decref(fids);
    json_decref(targets);
    order_recompute(order, changes);
    return OPS_CHANGED;
}

enum ops_result fo_ship(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen)
{
    json_t *fo = fo_ops_find(order, in->fo_id, err, errlen);
    if (!fo)
        return OPS_NOT_FOUND;
    if (fo_ops_final(fo))
        return fo_ops_refuse_final(fo, "shipped", err, errlen);
    if (fo_ops_held(order, fo, "shipped", err, errlen))
        return OPS_REFUSED;
    if (!shipment_config_ok(in->body, err, errlen))
        return OPS_INVALID;
    json_t *req = fo_lines_request(fo, json_object_get(in->body, "line_items"), err, errlen);
    if (!req)
        return OPS_INVALID;
    unsigned mask = FO_MASK(LINE_ALLOCATED) | FO_MASK(LINE_FULFILLED);
    enum ops_result rc = fo_ops_resolve(fo, req, mask, "allocated or fulfilled",
                                 "only those can be shipped (an open line needs a location: update-location)", err,
                                 errlen);
    const char *sid = rc == OPS_CHANGED ? add_shipment(order, fo, in, "ship", NULL, req, changes, err, errlen) : NULL;
    if (rc == OPS_CHANGED && !sid)
        rc = OPS_INVALID;
    if (rc != OPS_CHANGED) {
        json_decref(req);
        return rc;
    }
    size_t i, k;
    json_t *r, *e;
    json_array_foreach(req, i, r)
    {
        /* fulfilled units first (they are ready), then allocated ones */
        long q = (long)json_integer_value(json_object_get(r, "quantity"));
        long done = fo_lines_units(fo, str(r, "id"), FO_MASK(LINE_FULFILLED));
        long parts[2] = {q < done ? q : done, q < done ? 0 : q - done};
        unsigned masks[2] = {FO_MASK(LINE_FULFILLED), FO_MASK(LINE_ALLOCATED)};
        for (int p = 0; p < 2; p++) {
            json_t *sel = fo_lines_select(fo, str(r, "id"), parts[p], masks[p]);
            json_array_foreach(sel, k, e)
            {
                link_shipment(e, sid);
            }
            json_decref(sel);
        }
    }
    fo_lines_tidy(fo);
    json_t *what = json_pack("{s:s,s:O}", "shipment_id", sid, "line_items", req);
    order_change(changes, "SHIP", "fulfillment_order", str(fo, "fulfillment_order_id"), "line_items", NULL, what);
    json_decref(what);
    json_decref(req);
    order_recompute(order, changes);
    return OPS_CHANGED;
}
