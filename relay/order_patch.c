/* order_patch: simple members, line items, fulfillment orders. See
 * order_patch.h. */
#include "order_patch.h"

#include <stdio.h>
#include <string.h>

#include "fo_lines.h"
#include "jsonutil.h"
#include "order.h"
#include "order_shape.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Log and set obj[key] = v when it differs; 1 if it did. v is stolen. */
static int update(json_t *obj, const char *entity, const char *id, const char *key, json_t *v, json_t *changes)
{
    json_t *old = json_object_get(obj, key);
    if (json_equal(old ? old : json_null(), v)) {
        json_decref(v);
        return 0;
    }
    order_change(changes, "FIELD_UPDATE", entity, id, key, old, v);
    json_object_set_new(obj, key, v);
    return 1;
}

static const char *const line_kept[] = {"status", "removed_quantities", "cancellation_reason", NULL};

static int replace_lines(json_t *order, const json_t *list, json_t *changes, char *err, size_t errlen)
{
    if (!json_is_array(list) || !json_array_size(list) || json_array_size(list) > 1000) {
        snprintf(err, errlen, "line_items must be a non-empty array (at most 1000)");
        return -1;
    }
    json_t *lines = json_array(), *seen = json_object();
    size_t i;
    json_t *l;
    int rc = 0;
    json_array_foreach(list, i, l)
    {
        char where[48];
        snprintf(where, sizeof where, "line_items[%zu].", i);
        json_t *line = json_deep_copy(l);
        rc = order_check_line(line, where, err, errlen);
        if (rc == 0 && json_object_get(seen, str(line, "line_item_id"))) {
            snprintf(err, errlen, "%sline_item_id \"%s\" is used twice", where, str(line, "line_item_id"));
            rc = -1;
        }
        if (rc != 0) {
            json_decref(line);
            break;
        }
        json_object_set_new(seen, str(line, "line_item_id"), json_true());
        json_array_append_new(lines, line);
    }
    if (rc == 0) {
        json_t *old, *line, *olds = ju_index(json_object_get(order, "line_items"), "line_item_id");
        size_t k;
        json_array_foreach(lines, i, line)
        {
            const char *id = str(line, "line_item_id");
            old = json_object_get(olds, id);
            json_object_del(line, "status");
            if (!old) {
                order_change(changes, "LINE_ITEM_ADDED", "line_item", id, NULL, NULL, line);
                continue;
            }
            for (k = 0; line_kept[k]; k++)
                if (json_object_get(old, line_kept[k]))
                    json_object_set(line, line_kept[k], json_object_get(old, line_kept[k]));
            const char *key;
            json_t *v;
            json_object_foreach(line, key, v)
            {
                json_t *was = json_object_get(old, key);
                if (!was || !json_equal(was, v))
                    order_change(changes, "FIELD_UPDATE", "line_item", id, key, was, v);
            }
            json_object_foreach(old, key, v)
            {
                if (!json_object_get(line, key))
                    order_change(changes, "FIELD_UPDATE", "line_item", id, key, v, NULL);
            }
        }
        json_array_foreach(json_object_get(order, "line_items"), i, old)
        {
            if (!json_object_get(seen, str(old, "line_item_id")))
                order_change(changes, "LINE_ITEM_REMOVED", "line_item", str(old, "line_item_id"), NULL, old, NULL);
        }
        json_decref(olds);
        json_object_set(order, "line_items", lines);
    }
    json_decref(lines);
    json_decref(seen);
    return rc;
}

/* The request's lines of one fulfillment order: [{id, line_item_id,
 * quantity, status}], open or allocated only. NULL with err. */
static json_t *request_lines(const json_t *order, const json_t *fo, const json_t *list, const char *where, char *err,
                             size_t errlen)
{
    json_t *out = json_array();
    size_t i;
    json_t *r;
    if (list && !json_is_array(list)) {
        snprintf(err, errlen, "%sline_items must be an array", where);
        goto bad;
    }
    json_array_foreach(list, i, r)
    {
        const char *id = json_is_string(r) ? json_string_value(r)
                         : str(r, "id")    ? str(r, "id")
                                           : str(r, "line_item_id");
        json_t *line = order_line(order, id), *q = json_is_object(r) ? json_object_get(r, "quantity") : NULL;
        const char *st = json_is_object(r) ? str(r, "status") : NULL;
        if (!line) {
            snprintf(err, errlen, "%sline_items[%zu] must name a line item of this order", where, i);
            goto bad;
        }
        if (q && (!json_is_integer(q) || json_integer_value(q) < 1)) {
            snprintf(err, errlen, "%sline_items[%zu].quantity must be a positive integer", where, i);
            goto bad;
        }
        if (st && strcmp(st, "open") && strcmp(st, "allocated")) {
            snprintf(err, errlen, "%sline_items[%zu].status must be open or allocated (lines past allocated are kept "
                                  "as they are)", where, i);
            goto bad;
        }
        if (ju_find_by(out, "id", id)) {
            snprintf(err, errlen, "%sline_items[%zu]: line item \"%s\" is named twice", where, i, id);
            goto bad;
        }
        json_array_append_new(out, json_pack("{s:s,s:s,s:O,s:s}", "id", id, "line_item_id", id, "quantity",
                                             q ? q : json_object_get(line, "quantity"), "status",
                                             st ? st : fo_lines_pending_status(fo)));
    }
    return out;
bad:
    json_decref(out);
    return NULL;
}

/* The FO lines kept whatever the request says: those past allocated. */
static json_t *kept_lines(const json_t *fo)
{
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(fo, "line_items"), i, e)
    {
        if (!fo_lines_in(e, FO_PENDING))
            json_array_append(out, e);
    }
    return out;
}

static bool has_shipment(const json_t *order, const char *fo_id)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(order, "shipments"), i, s)
    {
        if (str(s, "fulfillment_order_id") && !strcmp(str(s, "fulfillment_order_id"), fo_id))
            return true;
    }
    return false;
}

static const char *const fo_members[] = {"partner_fulfillment_order_reference", "location_id", "location",
                                         "delivery_method", "delivery_type", "delivery_address", "delivery_schedule",
                                         "customer_collection_address", "customer_collection_schedule",
                                         "carriyo_metadata", NULL};

/* An id for a new fulfillment order that neither the order nor the ones
 * made so far (out) use. */
static void new_fo_id(const json_t *order, const json_t *out, const char *nonce, char id[32])
{
    for (int seq = 1; seq < 100; seq++) {
        order_make_id("FO", nonce, seq, id);
        if (!order_fo(order, id) && !ju_find_by(out, "fulfillment_order_id", id))
            return;
    }
}

/* One fulfillment order of the request onto its match (or a new one). */
static json_t *patch_fo(json_t *order, json_t *match, const json_t *rf, const json_t *out, const char *nonce,
                        size_t i, json_t *changes, char *err, size_t errlen)
{
    char where[48], id[32];
    snprintf(where, sizeof where, "fulfillment_orders[%zu].", i);
    json_t *req = json_deep_copy(rf);
    json_t *cm = json_object_get(req, "carriyo_metadata");
    if (order_shape_delivery(req, where, err, errlen) != 0 || order_fo_location(req, where, err, errlen) != 0 ||
        (cm && !json_is_array(cm))) {
        if (cm && !json_is_array(cm))
            snprintf(err, errlen, "%scarriyo_metadata must be an array", where);
        json_decref(req);
        return NULL;
    }
    json_t *fo = match ? json_deep_copy(match) : json_object(), *scratch = json_array();
    if (!match) {
        new_fo_id(order, out, nonce, id);
        json_object_set_new(fo, "fulfillment_order_id", json_string(id));
    }
    const char *fo_id = str(fo, "fulfillment_order_id");
    for (size_t m = 0; fo_members[m]; m++) {
        json_t *v = json_object_get(req, fo_members[m]);
        bool location = !strcmp(fo_members[m], "location_id"); /* set from location when only that was sent */
        if (v && (!location || json_object_get(rf, "location_id") || json_object_get(rf, "location")))
            update(fo, "fulfillment_order", fo_id, fo_members[m], json_incref(v), match ? changes : scratch);
    }
    json_decref(scratch);
    json_t *lines = request_lines(order, fo, json_object_get(rf, "line_items"), where, err, errlen);
    json_decref(req);
    if (!lines) {
        json_decref(fo);
        return NULL;
    }
    json_t *all = kept_lines(fo);
    json_array_extend(all, lines);
    json_decref(lines);
    json_t *old_lines = json_incref(json_object_get(fo, "line_items"));
    json_object_set_new(fo, "line_items", all);
    fo_lines_tidy(fo);
    if (match && !json_equal(old_lines ? old_lines : json_null(), json_object_get(fo, "line_items")))
        order_change(changes, "FIELD_UPDATE", "fulfillment_order", fo_id, "line_items", old_lines,
                     json_object_get(fo, "line_items"));
    if (!match)
        order_change(changes, "FULFILLMENT_ORDER_ADDED", "fulfillment_order", fo_id, NULL, NULL, fo);
    json_decref(old_lines);
    return fo;
}

static int replace_fos(json_t *order, const json_t *list, const char *nonce, json_t *changes, char *err,
                       size_t errlen)
{
    if (!json_is_array(list)) {
        snprintf(err, errlen, "fulfillment_orders must be an array");
        return -1;
    }
    json_t *old = json_object_get(order, "fulfillment_orders"), *out = json_array(), *used = json_object();
    size_t i;
    json_t *rf, *fo;
    json_array_foreach(list, i, rf)
    {
        if (!json_is_object(rf)) {
            snprintf(err, errlen, "fulfillment_orders[%zu] must be an object", i);
            goto bad;
        }
        const char *id = str(rf, "fulfillment_order_id"), *pref = str(rf, "partner_fulfillment_order_reference");
        json_t *match = id ? order_fo(order, id) : NULL;
        if (!match && pref)
            match = ju_find_by(old, "partner_fulfillment_order_reference", pref);
        const char *mid = match ? str(match, "fulfillment_order_id") : NULL;
        if (mid && json_object_get(used, mid)) {
            snprintf(err, errlen, "fulfillment_orders[%zu] names fulfillment order \"%s\" again", i, mid);
            goto bad;
        }
        if (mid)
            json_object_set_new(used, mid, json_true());
        json_t *n = patch_fo(order, match, rf, out, nonce, i, changes, err, errlen);
        if (!n)
            goto bad;
        json_array_append_new(out, n);
    }
    json_array_foreach(old, i, fo)
    {
        const char *id = str(fo, "fulfillment_order_id");
        if (json_object_get(used, id))
            continue;
        json_t *kept = kept_lines(fo);
        if (!json_array_size(kept) && !has_shipment(order, id)) {
            order_change(changes, "FULFILLMENT_ORDER_REMOVED", "fulfillment_order", id, NULL, fo, NULL);
        } else {
            json_t *copy = json_deep_copy(fo);
            update(copy, "fulfillment_order", id, "line_items", json_incref(kept), changes);
            json_array_append_new(out, copy);
        }
        json_decref(kept);
    }
    json_object_set(order, "fulfillment_orders", out);
    json_decref(out);
    json_decref(used);
    return 0;
bad:
    json_decref(out);
    json_decref(used);
    return -1;
}

/* Every FO line names a line item; no line item is held beyond its quantity. */
static int consistent(const json_t *order, char *err, size_t errlen)
{
    json_t *held = json_object(), *lines = ju_index(json_object_get(order, "line_items"), "line_item_id");
    size_t i, k;
    json_t *fo, *e;
    int rc = 0;
    json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
    {
        json_array_foreach(json_object_get(fo, "line_items"), k, e)
        {
            const char *id = str(e, "line_item_id");
            json_t *line = json_object_get(lines, id);
            if (!line) {
                snprintf(err, errlen, "line_items: line item \"%s\" is still in fulfillment order \"%s\"", id,
                         str(fo, "fulfillment_order_id"));
                rc = -1;
                goto out;
            }
            json_int_t n = json_integer_value(json_object_get(held, id)) + json_integer_value(json_object_get(e, "quantity"));
            json_object_set_new(held, id, json_integer(n));
            json_int_t q = json_integer_value(json_object_get(line, "quantity"));
            if (n > q) {
                snprintf(err, errlen, "fulfillment orders hold %lld units of line item \"%s\", more than its quantity "
                                      "%lld", (long long)n, id, (long long)q);
                rc = -1;
                goto out;
            }
        }
    }
out:
    json_decref(held);
    json_decref(lines);
    return rc;
}

enum ops_result order_patch(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen)
{
    const json_t *body = in->body;
    const char *order_id = str(order, "order_id");
    size_t before = json_array_size(changes);
    for (size_t i = 0; order_shape_simple_members[i]; i++) {
        const char *name = order_shape_simple_members[i];
        json_t *v = json_object_get(body, name);
        if (!v)
            continue;
        json_t *n = order_shape_value(name, v, err, errlen);
        if (!n)
            return OPS_INVALID;
        update(order, "order", order_id, name, n, changes);
    }
    json_t *lines = json_object_get(body, "line_items"), *fos = json_object_get(body, "fulfillment_orders");
    if (lines && replace_lines(order, lines, changes, err, errlen) != 0)
        return OPS_INVALID;
    if (fos && replace_fos(order, fos, in->nonce, changes, err, errlen) != 0)
        return OPS_INVALID;
    if (consistent(order, err, errlen) != 0)
        return OPS_INVALID;
    if (json_array_size(changes) == before)
        return OPS_NOOP;
    order_recompute(order, changes);
    return OPS_CHANGED;
}
