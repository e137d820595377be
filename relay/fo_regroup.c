/* fo_regroup: split, merge and cancel of fulfillment-order lines. See
 * fo_regroup.h. */
#include "fo_regroup.h"

#include <stdio.h>
#include <string.h>

#include "fo_lines.h"
#include "fo_ops.h"
#include "jsonutil.h"
#include "order.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

enum ops_result fo_split(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen)
{
    json_t *fo = fo_ops_find(order, in->fo_id, err, errlen);
    if (!fo)
        return OPS_NOT_FOUND;
    if (fo_ops_final(fo))
        return fo_ops_refuse_final(fo, "split", err, errlen);
    json_t *loc = json_object_get(in->body, "location_id"), *pref = json_object_get(in->body, "partner_fulfillment_order_reference");
    if ((loc && !json_is_null(loc) && (!json_is_string(loc) || !*json_string_value(loc))) ||
        (pref && !json_is_null(pref) && (!json_is_string(pref) || !*json_string_value(pref)))) {
        snprintf(err, errlen, "location_id and partner_fulfillment_order_reference must be non-empty strings");
        return OPS_INVALID;
    }
    if (json_is_string(pref) &&
        ju_find_by(json_object_get(order, "fulfillment_orders"), "partner_fulfillment_order_reference", json_string_value(pref))) {
        snprintf(err, errlen, "partner_fulfillment_order_reference \"%s\" is another fulfillment order's",
                 json_string_value(pref));
        return OPS_INVALID;
    }
    json_t *req = fo_lines_request(fo, json_object_get(in->body, "line_items"), err, errlen);
    if (!req)
        return OPS_INVALID;
    enum ops_result rc = fo_ops_resolve(fo, req, FO_PENDING, "open or allocated",
                                        "only those can be split off (unfulfill fulfilled units first)", err, errlen);
    long total = 0, moving = 0;
    size_t i, k;
    json_t *r, *e;
    json_array_foreach(json_object_get(fo, "line_items"), i, e)
    {
        total += (long)json_integer_value(json_object_get(e, "quantity"));
    }
    json_array_foreach(req, i, r)
    {
        moving += (long)json_integer_value(json_object_get(r, "quantity"));
    }
    if (rc == OPS_CHANGED && moving == total) {
        snprintf(err, errlen, "splitting every unit would leave fulfillment order \"%s\" empty: move it whole with "
                              "update-location", str(fo, "fulfillment_order_id"));
        rc = OPS_REFUSED;
    }
    if (rc != OPS_CHANGED) {
        json_decref(req);
        return rc;
    }
    char id[32];
    fo_ops_new_id(order, in->nonce, id);
    json_t *nfo = json_pack("{s:s,s:O?,s:O?}", "fulfillment_order_id", id, "partner_fulfillment_order_reference",
                            json_is_string(pref) ? pref : NULL, "location_id", json_is_string(loc) ? loc : NULL);
    static const char *copied[] = {"delivery_method", "delivery_type", "delivery_address", "delivery_schedule",
                                   "customer_collection_address", "customer_collection_schedule", "carriyo_metadata",
                                   "delivery"};
    for (size_t c = 0; c < sizeof copied / sizeof copied[0]; c++)
        if (json_object_get(fo, copied[c]))
            json_object_set_new(nfo, copied[c], json_deep_copy(json_object_get(fo, copied[c])));
    json_t *nlines = json_array();
    json_array_foreach(req, i, r)
    {
        json_t *q = json_object_get(r, "quantity");
        json_t *sel = fo_lines_select(fo, str(r, "id"), (long)json_integer_value(q), FO_PENDING);
        json_array_foreach(sel, k, e)
        {
            json_object_set_new(e, "quantity", json_integer(0));
        }
        json_decref(sel);
        json_array_append_new(nlines, json_pack("{s:O,s:O,s:O,s:s}", "id", json_object_get(r, "id"), "line_item_id",
                                                json_object_get(r, "id"), "quantity", q, "status",
                                                fo_lines_pending_status(nfo)));
    }
    json_object_set_new(nfo, "line_items", nlines);
    fo_lines_tidy(fo);
    json_t *fos = json_object_get(order, "fulfillment_orders");
    json_array_foreach(fos, i, e)
    {
        if (e == fo)
            break;
    }
    json_array_insert_new(fos, i + 1, nfo);
    json_t *what = json_pack("{s:s,s:O}", "fulfillment_order_id", id, "line_items", req);
    order_change(changes, "SPLIT", "fulfillment_order", str(fo, "fulfillment_order_id"), "fulfillment_orders", NULL,
                 what);
    json_decref(what);
    json_decref(req);
    order_recompute(order, changes);
    return OPS_CHANGED;
}

/* A merge side: "ID", {fulfillment_order_id}, or {partner_fulfillment_order_reference}. */
static json_t *merge_side(json_t *order, const json_t *v, const char *name, enum ops_result *rc, char *err,
                          size_t errlen)
{
    json_t *fos = json_object_get(order, "fulfillment_orders");
    const char *id = json_is_string(v) ? json_string_value(v) : str(v, "fulfillment_order_id");
    const char *pref = json_is_object(v) ? str(v, "partner_fulfillment_order_reference") : NULL;
    if (!id && !pref) {
        snprintf(err, errlen, "%s is required: {\"fulfillment_order_id\"} or {\"partner_fulfillment_order_reference\"}",
                 name);
        *rc = OPS_INVALID;
        return NULL;
    }
    json_t *fo = id ? order_fo(order, id) : ju_find_by(fos, "partner_fulfillment_order_reference", pref);
    if (!fo) {
        snprintf(err, errlen, "%s: the order has no fulfillment order \"%s\"", name, id ? id : pref);
        *rc = OPS_NOT_FOUND;
    }
    return fo;
}

static bool same_member(const json_t *a, const json_t *b, const char *key)
{
    json_t *x = json_object_get(a, key), *y = json_object_get(b, key);
    return json_equal(x ? x : json_null(), y ? y : json_null());
}

/* Are the FO's (non-cancelled) lines digital ones (order lines with "digital": true)? -1 none, 0, 1, 2 mixed. */
static int digital_kind(const json_t *order, const json_t *fo)
{
    int kind = -1;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(fo, "line_items"), i, e)
    {
        if (fo_lines_status(e) == LINE_CANCELLED)
            continue;
        int d = json_is_true(json_object_get(order_line(order, str(e, "line_item_id")), "digital"));
        kind = kind < 0 ? d : kind == d ? kind : 2;
    }
    return kind;
}

enum ops_result fo_merge(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen)
{
    enum ops_result rc = OPS_CHANGED;
    json_t *src = merge_side(order, json_object_get(in->body, "source"), "source", &rc, err, errlen);
    json_t *dst = src ? merge_side(order, json_object_get(in->body, "destination"), "destination", &rc, err, errlen) : NULL;
    if (!dst)
        return rc;
    const char *sid = str(src, "fulfillment_order_id"), *did = str(dst, "fulfillment_order_id");
    if (src == dst) {
        snprintf(err, errlen, "source and destination are the same fulfillment order \"%s\"", sid);
        return OPS_INVALID;
    }
    const json_t *done = fo_lines_any(src, FO_DONE) ? src : fo_lines_any(dst, FO_DONE) ? dst : NULL;
    int ks = digital_kind(order, src), kd = digital_kind(order, dst);
    if (fo_ops_final(src) || fo_ops_final(dst))
        snprintf(err, errlen, "fulfillment order \"%s\" is %s: only open or allocated fulfillment orders merge; "
                              "split the other's lines off instead",
                 fo_ops_final(src) ? sid : did, str(fo_ops_final(src) ? src : dst, "status"));
    else if (done)
        snprintf(err, errlen, "fulfillment order \"%s\" has fulfilled lines: unfulfill them before merging",
                 str(done, "fulfillment_order_id"));
    else if (!same_member(src, dst, "location_id"))
        snprintf(err, errlen, "fulfillment orders \"%s\" and \"%s\" are at different locations: update-location one "
                              "of them first", sid, did);
    else if (!same_member(src, dst, "delivery_method"))
        snprintf(err, errlen, "fulfillment orders \"%s\" and \"%s\" have different delivery methods: "
                              "update-delivery-method one of them first", sid, did);
    else if (!same_member(src, dst, "delivery_type"))
        snprintf(err, errlen, "fulfillment orders \"%s\" and \"%s\" have different delivery types: only the same "
                              "delivery_type merges (PATCH the order's fulfillment orders to change one)", sid, did);
    else if (ks == 2 || kd == 2 || (ks >= 0 && kd >= 0 && ks != kd))
        snprintf(err, errlen, "digital and shipping lines cannot be merged into one fulfillment order: split the "
                              "digital lines off first");
    else
        err[0] = '\0';
    if (err[0])
        return OPS_REFUSED;
    json_t *kept = json_array(), *moved = json_array();
    size_t i;
    json_t *e, *s;
    json_array_foreach(json_object_get(src, "line_items"), i, e)
    {
        if (fo_lines_status(e) == LINE_CANCELLED) {
            json_array_append(kept, e);
            continue;
        }
        if (fo_lines_in(e, FO_PENDING))
            order_set_entry_status(e, fo_lines_pending_status(dst));
        json_array_append(json_object_get(dst, "line_items"), e);
        json_array_append_new(moved, json_pack("{s:O,s:O}", "id", json_object_get(e, "line_item_id"), "quantity",
                                               json_object_get(e, "quantity")));
    }
    json_object_set_new(src, "line_items", kept);
    fo_lines_tidy(dst);
    json_array_foreach(json_object_get(order, "shipments"), i, s)
    {
        const char *of = str(s, "fulfillment_order_id");
        if (of && !strcmp(of, sid))
            json_object_set_new(s, "fulfillment_order_id", json_string(did));
    }
    json_t *what = json_pack("{s:s,s:s,s:o}", "source", sid, "destination", did, "line_items", moved);
    order_change(changes, "MERGE", "fulfillment_order", did, "line_items", NULL, what);
    json_decref(what);
    if (!json_array_size(kept)) {
        order_change(changes, "FULFILLMENT_ORDER_REMOVED", "fulfillment_order", sid, NULL, NULL, NULL);
        json_t *fos = json_object_get(order, "fulfillment_orders");
        json_array_foreach(fos, i, e)
        {
            if (e == src)
                break;
        }
        json_array_remove(fos, i);
    }
    order_recompute(order, changes);
    return OPS_CHANGED;
}

/* Count units into the order line's removed_quantities. */
static void removed(json_t *order, const char *line_id, long q)
{
    json_t *line = order_line(order, line_id);
    if (line)
        json_object_set_new(line, "removed_quantities",
                            json_integer(json_integer_value(json_object_get(line, "removed_quantities")) + q));
}

/* Why a fulfillment order with a fulfilled line cannot be cancelled, and the
 * calls that are allowed instead, spelled out (seed 000: unfulfil first, or
 * cancel what is not fulfilled yet). */
static void fo_cancel_refusal(const json_t *order, const json_t *fo, const char *done_line, unsigned open, char *err,
                              size_t errlen)
{
    const char *oid = str(order, "order_id"), *fo_id = str(fo, "fulfillment_order_id");
    json_t *rest = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(fo, "line_items"), i, e)
    {
        const char *id = str(e, "line_item_id");
        if (fo_lines_in(e, open) && id) {
            bool listed = false;
            size_t k;
            json_t *r;
            json_array_foreach(rest, k, r)
            {
                listed = listed || !strcmp(json_string_value(r), id);
            }
            if (!listed)
                json_array_append_new(rest, json_string(id));
        }
    }
    char *others = json_dumps(rest, JSON_COMPACT);
    int n = snprintf(err, errlen,
                     "fulfillment order \"%s\" is %s (line item \"%s\" is fulfilled or closed): a fulfilled "
                     "fulfillment order must be unfulfilled before it can be cancelled: POST "
                     "/orders/%s/fulfillment-orders/%s/unfulfill first, then cancel it",
                     fo_id, str(fo, "status"), done_line, oid, fo_id);
    if (json_array_size(rest) && n > 0 && (size_t)n < errlen)
        snprintf(err + n, errlen - (size_t)n,
                 "; or cancel only the lines not fulfilled yet: POST /orders/%s/line-items/cancel with "
                 "\"line_item_ids\": %s", oid, others);
    free(others);
    json_decref(rest);
}

enum ops_result fo_cancel(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen)
{
    json_t *fo = fo_ops_find(order, in->fo_id, err, errlen);
    if (!fo)
        return OPS_NOT_FOUND;
    const char *fo_id = str(fo, "fulfillment_order_id"), *reason = str(in->body, "cancellation_reason");
    json_t *list = json_object_get(in->body, "line_items");
    unsigned open = FO_PENDING | FO_IN_PROGRESS;
    json_t *req;
    size_t i, k;
    json_t *r, *e;
    if (!list) {
        if (!fo_lines_any(fo, open | FO_DONE))
            return OPS_NOOP; /* every line is cancelled already */
        req = json_array();
        json_array_foreach(json_object_get(fo, "line_items"), i, e)
        {
            if (fo_lines_in(e, FO_DONE)) {
                json_decref(req);
                fo_cancel_refusal(order, fo, str(e, "line_item_id"), open, err, errlen);
                return OPS_REFUSED;
            }
            if (fo_lines_in(e, open) && !ju_find_by(req, "id", str(e, "line_item_id")))
                json_array_append_new(req, json_pack("{s:O,s:i}", "id", json_object_get(e, "line_item_id"), "quantity", 0));
        }
    } else if (!(req = fo_lines_request(fo, list, err, errlen))) {
        return OPS_INVALID;
    }
    bool any = false;
    json_array_foreach(req, i, r)
    {
        const char *id = str(r, "id");
        any = any || fo_lines_units(fo, id, open | FO_DONE);
    }
    if (!any) {
        json_decref(req);
        return OPS_NOOP; /* the lines named are cancelled already */
    }
    enum ops_result rc = fo_ops_resolve(fo, req, open, "not yet fulfilled",
                                 "fulfilled units must be unfulfilled before they can be cancelled", err, errlen);
    if (rc != OPS_CHANGED) {
        json_decref(req);
        return rc;
    }
    json_array_foreach(req, i, r)
    {
        long q = (long)json_integer_value(json_object_get(r, "quantity"));
        json_t *sel = fo_lines_select(fo, str(r, "id"), q, open);
        json_array_foreach(sel, k, e)
        {
            order_set_entry_status(e, "cancelled");
        }
        json_decref(sel);
        removed(order, str(r, "id"), q);
    }
    fo_lines_tidy(fo);
    json_object_set_new(fo, "cancellation_reason", json_string(reason));
    json_t *what = json_pack("{s:s,s:O}", "cancellation_reason", reason, "line_items", req);
    order_change(changes, "CANCELLATION", "fulfillment_order", fo_id, "line_items", NULL, what);
    json_decref(what);
    json_decref(req);
    order_recompute(order, changes);
    return OPS_CHANGED;
}
