/* fo_updates: location, address, schedule, delivery method and partner
 * references of a fulfillment order. See fo_updates.h. */
#include "fo_updates.h"

#include <stdio.h>
#include <string.h>

#include "fo_lines.h"
#include "fo_ops.h"
#include "jsonutil.h"
#include "order.h"
#include "order_shape.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The fulfillment order, open to patches; NULL with *rc set otherwise. */
static json_t *patchable(json_t *order, const struct ops_input *in, const char *what, enum ops_result *rc, char *err,
                         size_t errlen)
{
    json_t *fo = fo_ops_find(order, in->fo_id, err, errlen);
    *rc = OPS_NOT_FOUND;
    if (fo && fo_ops_final(fo)) {
        snprintf(err, errlen, "fulfillment order \"%s\" is %s: its %s can no longer change; add a fulfillment "
                              "order with PATCH /orders/{ref} instead", in->fo_id, str(fo, "status"), what);
        *rc = OPS_REFUSED;
        return NULL;
    }
    return fo;
}

/* Set fo[key] = v (a new reference) with a change entry; 1 if it differed. */
static int set_member(json_t *fo, const char *key, json_t *v, json_t *changes)
{
    json_t *old = json_object_get(fo, key);
    if (json_equal(old ? old : json_null(), v)) {
        json_decref(v);
        return 0;
    }
    order_change(changes, "FIELD_UPDATE", "fulfillment_order", str(fo, "fulfillment_order_id"), key, old, v);
    json_object_set_new(fo, key, v);
    return 1;
}

static bool processing(const json_t *order, const json_t *fo)
{
    if (fo_lines_any(fo, FO_IN_PROGRESS | FO_DONE))
        return true;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(order, "shipments"), i, s)
    {
        const char *of = str(s, "fulfillment_order_id"), *st = str(s, "status");
        if (of && !strcmp(of, str(fo, "fulfillment_order_id")) && !(st && !strcmp(st, "cancelled")))
            return true;
    }
    return false;
}

enum ops_result fo_update_location(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                   size_t errlen)
{
    const char *loc = str(in->body, "location_id");
    if (!loc || !*loc || strlen(loc) > 255) {
        snprintf(err, errlen, "location_id is required (a non-empty string of at most 255 bytes)");
        return OPS_INVALID;
    }
    enum ops_result rc;
    json_t *fo = patchable(order, in, "location", &rc, err, errlen);
    if (!fo)
        return rc;
    if (fo_lines_any(fo, FO_IN_PROGRESS | FO_DONE)) {
        snprintf(err, errlen, "fulfillment order \"%s\" is %s: its location can no longer change; split its open or "
                              "allocated lines off to the new location instead", in->fo_id, str(fo, "status"));
        return OPS_REFUSED;
    }
    int moved = set_member(fo, "location_id", json_string(loc), changes);
    if (moved && json_is_object(json_object_get(fo, "location")))
        json_object_set_new(json_object_get(fo, "location"), "id", json_string(loc));
    else if (moved && json_object_get(fo, "location"))
        json_object_set_new(fo, "location", json_pack("{s:s}", "id", loc));
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(fo, "line_items"), i, e)
    {
        if (fo_lines_status(e) == LINE_OPEN)
            moved += order_set_entry_status(e, "allocated");
    }
    if (!moved)
        return OPS_NOOP;
    order_recompute(order, changes);
    return OPS_CHANGED;
}

/* The address or schedule member for the fulfillment order's method; NULL
 * (refused) for DIGITAL. */
static const char *method_member(const json_t *fo, bool address, char *err, size_t errlen)
{
    const char *m = str(fo, "delivery_method");
    if (m && !strcmp(m, "DIGITAL")) {
        snprintf(err, errlen, "fulfillment order \"%s\" is DIGITAL: it has no %s; update-delivery-method to DELIVERY "
                              "or COLLECTION first", str(fo, "fulfillment_order_id"), address ? "address" : "schedule");
        return NULL;
    }
    bool collection = m && !strcmp(m, "COLLECTION");
    return address ? (collection ? "customer_collection_address" : "delivery_address")
                   : (collection ? "customer_collection_schedule" : "delivery_schedule");
}

enum ops_result fo_update_address(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                  size_t errlen)
{
    json_t *addr = json_object_get(in->body, "address");
    if (!json_is_object(addr)) {
        snprintf(err, errlen, "address is required (an object)");
        return OPS_INVALID;
    }
    enum ops_result rc;
    json_t *fo = patchable(order, in, "address", &rc, err, errlen);
    if (!fo)
        return rc;
    const char *member = method_member(fo, true, err, errlen);
    if (!member)
        return OPS_REFUSED;
    return set_member(fo, member, json_deep_copy(addr), changes) ? OPS_CHANGED : OPS_NOOP;
}

/* {scheduled_from, scheduled_to} from the body (a new object), or NULL with
 * err; *given says whether either was sent. */
static json_t *body_schedule(const json_t *body, bool *given, char *err, size_t errlen)
{
    json_t *s = json_object();
    *given = false;
    static const char *keys[] = {"scheduled_from", "scheduled_to"};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(body, keys[i]);
        *given = *given || (v && !json_is_null(v));
        json_object_set(s, keys[i], v ? v : json_null());
    }
    json_t *n = order_shape_schedule(s, "schedule", err, errlen);
    json_decref(s);
    return n;
}

enum ops_result fo_update_schedule(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                   size_t errlen)
{
    bool given;
    json_t *sched = body_schedule(in->body, &given, err, errlen);
    if (!sched)
        return OPS_INVALID;
    enum ops_result rc = OPS_INVALID;
    json_t *fo = given ? patchable(order, in, "schedule", &rc, err, errlen) : NULL;
    if (!given)
        snprintf(err, errlen, "scheduled_from or scheduled_to is required");
    const char *member = fo ? method_member(fo, false, err, errlen) : NULL;
    if (fo && !member)
        rc = OPS_REFUSED;
    if (!member) {
        json_decref(sched);
        return rc;
    }
    return set_member(fo, member, sched, changes) ? OPS_CHANGED : OPS_NOOP;
}

enum ops_result fo_update_delivery_method(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                          size_t errlen)
{
    json_t *m = json_object_get(in->body, "delivery_method"), *addr = json_object_get(in->body, "address");
    json_t *probe = json_pack("{s:O?}", "delivery_method", json_is_string(m) ? m : NULL);
    json_t *sched = NULL;
    bool given = false;
    int bad = 1;
    if (!json_is_string(m))
        snprintf(err, errlen, "delivery_method is required: DELIVERY, COLLECTION or DIGITAL");
    else if (order_shape_delivery(probe, "", err, errlen) != 0)
        ; /* err says why */
    else if (!(sched = body_schedule(in->body, &given, err, errlen)))
        ; /* err says why */
    else if (addr && !json_is_null(addr) && !json_is_object(addr))
        snprintf(err, errlen, "address must be an object");
    else if (!strcmp(str(probe, "delivery_method"), "DIGITAL") && ((addr && !json_is_null(addr)) || given))
        snprintf(err, errlen, "a DIGITAL fulfillment order has no address or schedule");
    else
        bad = 0;
    const char *method = str(probe, "delivery_method");
    enum ops_result rc = OPS_INVALID;
    json_t *fo = bad ? NULL : patchable(order, in, "delivery method", &rc, err, errlen);
    if (fo && processing(order, fo)) {
        snprintf(err, errlen, "fulfillment order \"%s\" is processing (a shipment exists or a line is past "
                              "allocated): its delivery method can no longer change; unfulfill it first", in->fo_id);
        rc = OPS_REFUSED;
        fo = NULL;
    }
    if (!fo) {
        json_decref(probe);
        json_decref(sched);
        return rc;
    }
    int moved = set_member(fo, "delivery_method", json_string(method), changes);
    bool collection = !strcmp(method, "COLLECTION"), digital = !strcmp(method, "DIGITAL");
    const char *a_keep = collection ? "customer_collection_address" : "delivery_address";
    const char *s_keep = collection ? "customer_collection_schedule" : "delivery_schedule";
    static const char *all[] = {"delivery_address", "delivery_schedule", "customer_collection_address",
                                "customer_collection_schedule"};
    for (int i = 0; i < 4; i++) {
        bool keep = !digital && (!strcmp(all[i], a_keep) || !strcmp(all[i], s_keep));
        json_t *v = !keep                                   ? json_null()
                    : !strcmp(all[i], a_keep) && addr       ? json_deep_copy(addr)
                    : !strcmp(all[i], s_keep) && given      ? json_incref(sched)
                    : json_incref(json_object_get(fo, all[i]) ? json_object_get(fo, all[i]) : json_null());
        moved += set_member(fo, all[i], v, changes);
    }
    json_decref(probe);
    json_decref(sched);
    return moved ? OPS_CHANGED : OPS_NOOP;
}

enum ops_result fo_update_partner_references(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                             size_t errlen)
{
    json_t *pref = json_object_get(in->body, "partner_fulfillment_order_reference");
    json_t *fulfillments = json_object_get(in->body, "fulfillments");
    if ((!pref || json_is_null(pref)) && !fulfillments) {
        snprintf(err, errlen, "partner_fulfillment_order_reference or fulfillments is required");
        return OPS_INVALID;
    }
    if (pref && !json_is_null(pref) && (!json_is_string(pref) || !*json_string_value(pref))) {
        snprintf(err, errlen, "partner_fulfillment_order_reference must be a non-empty string");
        return OPS_INVALID;
    }
    size_t i, k;
    json_t *f, *e;
    bool ok = !fulfillments || json_is_array(fulfillments);
    json_array_foreach(fulfillments, i, f)
    {
        ok = ok && json_is_string(json_object_get(f, "fulfillment_id")) &&
             json_is_string(json_object_get(f, "partner_fulfillment_reference"));
    }
    if (!ok) {
        snprintf(err, errlen, "fulfillments must be an array of {\"fulfillment_id\", \"partner_fulfillment_reference\"}");
        return OPS_INVALID;
    }
    enum ops_result rc;
    json_t *fo = patchable(order, in, "references", &rc, err, errlen);
    if (!fo)
        return rc;
    json_t *other = json_is_string(pref) ? ju_find_by(json_object_get(order, "fulfillment_orders"),
                                                      "partner_fulfillment_order_reference", json_string_value(pref))
                                         : NULL;
    if (other && other != fo) {
        snprintf(err, errlen, "partner_fulfillment_order_reference \"%s\" is fulfillment order \"%s\"'s",
                 json_string_value(pref), str(other, "fulfillment_order_id"));
        return OPS_INVALID;
    }
    json_array_foreach(fulfillments, i, f)
    {
        if (!ju_find_by(json_object_get(fo, "line_items"), "fulfillment_id", str(f, "fulfillment_id"))) {
            snprintf(err, errlen, "fulfillment order \"%s\" has no fulfillment \"%s\"", in->fo_id,
                     str(f, "fulfillment_id"));
            return OPS_NOT_FOUND;
        }
    }
    size_t before = json_array_size(changes);
    if (json_is_string(pref) && set_member(fo, "partner_fulfillment_order_reference", json_incref(pref), changes))
        json_object_set_new(json_array_get(changes, json_array_size(changes) - 1), "trigger",
                            json_string("FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_ORDER_REFERENCE"));
    json_array_foreach(fulfillments, i, f)
    {
        json_t *nv = json_object_get(f, "partner_fulfillment_reference");
        bool moved = false;
        json_array_foreach(json_object_get(fo, "line_items"), k, e)
        {
            const char *fid = str(e, "fulfillment_id");
            json_t *old = json_object_get(e, "partner_fulfillment_reference");
            if (fid && !strcmp(fid, str(f, "fulfillment_id")) && !json_equal(old ? old : json_null(), nv)) {
                json_object_set(e, "partner_fulfillment_reference", nv);
                moved = true;
            }
        }
        if (moved) {
            order_change(changes, "FIELD_UPDATE", "fulfillment", str(f, "fulfillment_id"),
                         "partner_fulfillment_reference", NULL, nv);
            json_object_set_new(json_array_get(changes, json_array_size(changes) - 1), "trigger",
                                json_string("FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_REFERENCES"));
        }
    }
    if (json_array_size(changes) == before)
        return OPS_NOOP;
    fo_lines_tidy(fo);
    return OPS_CHANGED;
}
