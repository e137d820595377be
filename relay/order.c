/* order: building an order document from a creation request, and the
 * rollup of its statuses with a change entry for each move. See order.h. */
#include "order.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jsonutil.h"
#include "rollup.h"

#define MAX_ID_LEN 255
#define MAX_LINES 1000

static void fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void order_change(json_t *changes, const char *change_type, const char *entity_type, const char *entity_id,
                  const char *field, json_t *old_value, json_t *new_value)
{
    json_t *e = json_object();
    json_object_set_new(e, "change_type", json_string(change_type));
    json_object_set_new(e, "entity_type", json_string(entity_type));
    json_object_set_new(e, "entity_id", entity_id ? json_string(entity_id) : json_null());
    json_object_set_new(e, "field", field ? json_string(field) : json_null());
    json_object_set(e, "old_value", old_value ? old_value : json_null());
    json_object_set(e, "new_value", new_value ? new_value : json_null());
    json_array_append_new(changes, e);
}

json_t *order_line(const json_t *order, const char *line_item_id)
{
    return ju_find_by(json_object_get(order, "line_items"), "line_item_id", line_item_id);
}

int order_set_line_status(json_t *line, const char *status, json_t *changes)
{
    const char *old = json_string_value(json_object_get(line, "status"));
    if (old && strcmp(old, status) == 0)
        return 0;
    json_t *nv = json_string(status);
    order_change(changes, "STATUS_CHANGE", "line_item", json_string_value(json_object_get(line, "line_item_id")),
                 "status", json_object_get(line, "status"), nv);
    json_object_set_new(line, "status", nv);
    return 1;
}

/* An identifier: a non-empty string of at most MAX_ID_LEN bytes. */
static const char *id_member(const json_t *obj, const char *key, const char *where, int required, char *err,
                             size_t errlen, int *bad)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) {
            fail(err, errlen, "%s%s is required", where, key);
            *bad = 1;
        }
        return NULL;
    }
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > MAX_ID_LEN) {
        fail(err, errlen, "%s%s must be a non-empty string of at most %d bytes", where, key, MAX_ID_LEN);
        *bad = 1;
        return NULL;
    }
    return s;
}

static int validate_lines(json_t *order, char *err, size_t errlen)
{
    json_t *lines = json_object_get(order, "line_items");
    if (!json_is_array(lines) || json_array_size(lines) == 0) {
        fail(err, errlen, "line_items must be a non-empty array");
        return -1;
    }
    if (json_array_size(lines) > MAX_LINES) {
        fail(err, errlen, "line_items has more than %d entries", MAX_LINES);
        return -1;
    }
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line)
    {
        char where[48];
        snprintf(where, sizeof where, "line_items[%zu].", i);
        if (!json_is_object(line)) {
            fail(err, errlen, "line_items[%zu] must be an object", i);
            return -1;
        }
        int bad = 0;
        const char *id = id_member(line, "line_item_id", where, 1, err, errlen, &bad);
        id_member(line, "sku", where, 1, err, errlen, &bad);
        if (bad)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_object_get(json_array_get(lines, j), "line_item_id")), id) == 0) {
                fail(err, errlen, "%sline_item_id \"%s\" is used twice", where, id);
                return -1;
            }
        json_t *q = json_object_get(line, "quantity");
        if (!json_is_integer(q) || json_integer_value(q) < 1) {
            fail(err, errlen, "%squantity must be a positive integer", where);
            return -1;
        }
        json_t *st = json_object_get(line, "status");
        enum line_status ls;
        if (!st || json_is_null(st)) {
            json_object_set_new(line, "status", json_string("open"));
        } else if (!json_is_string(st) || !rollup_line_status_parse(json_string_value(st), &ls)) {
            fail(err, errlen,
                 "%sstatus must be one of open, allocated, pick_in_progress, picked, pack_in_progress, "
                 "fulfilled, closed, cancelled",
                 where);
            return -1;
        }
    }
    return 0;
}

/* Normalise a list of line references (strings, or objects with line_item_id)
 * into [{line_item_id[, quantity]}], each naming a line of the order.
 * `taken` (may be NULL) is an object used to refuse a line listed twice. */
static json_t *line_refs(json_t *order, json_t *list, const char *where, json_t *taken, int with_qty, char *err,
                         size_t errlen)
{
    if (!json_is_array(list)) {
        fail(err, errlen, "%s must be an array", where);
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *ref;
    json_array_foreach(list, i, ref)
    {
        const char *id = json_is_string(ref) ? json_string_value(ref)
                                             : json_string_value(json_object_get(ref, "line_item_id"));
        json_t *line = id ? order_line(order, id) : NULL;
        if (!line) {
            fail(err, errlen, "%s[%zu] must name a line item of this order", where, i);
            goto bad;
        }
        if (taken && json_object_get(taken, id)) {
            fail(err, errlen, "%s[%zu]: line item \"%s\" is already in %s", where, i, id,
                 json_string_value(json_object_get(taken, id)));
            goto bad;
        }
        if (taken)
            json_object_set_new(taken, id, json_string(where));
        json_t *o = json_pack("{s:s}", "line_item_id", id);
        if (with_qty) {
            json_t *q = json_is_object(ref) ? json_object_get(ref, "quantity") : NULL;
            if (q && (!json_is_integer(q) || json_integer_value(q) < 1)) {
                fail(err, errlen, "%s[%zu].quantity must be a positive integer", where, i);
                json_decref(o);
                goto bad;
            }
            json_int_t has = json_integer_value(json_object_get(line, "quantity"));
            if (q && json_integer_value(q) > has) {
                fail(err, errlen, "%s[%zu].quantity is %" JSON_INTEGER_FORMAT ", more than line item \"%s\" has (%"
                     JSON_INTEGER_FORMAT ")", where, i, json_integer_value(q), id, has);
                json_decref(o);
                goto bad;
            }
            json_object_set(o, "quantity", q ? q : json_object_get(line, "quantity"));
        }
        json_array_append_new(out, o);
    }
    return out;
bad:
    json_decref(out);
    return NULL;
}

static int take_shipment(json_t *order, json_t *fo, const char *fo_id, json_t *s, const char *where, char *err,
                         size_t errlen)
{
    if (!json_is_object(s)) {
        fail(err, errlen, "%s must be an object", where);
        return -1;
    }
    char at[104]; /* where and a dot */
    snprintf(at, sizeof at, "%s.", where);
    int bad = 0;
    const char *psr = id_member(s, "partner_shipment_reference", at, 0, err, errlen, &bad);
    const char *trk = id_member(s, "tracking_no", at, 0, err, errlen, &bad);
    if (bad)
        return -1;
    if (!psr && !trk) {
        fail(err, errlen, "%s needs partner_shipment_reference or tracking_no", where);
        return -1;
    }
    json_t *shipments = json_object_get(order, "shipments");
    if ((psr && ju_find_by(shipments, "partner_shipment_reference", psr)) ||
        (trk && ju_find_by(shipments, "tracking_no", trk))) {
        fail(err, errlen, "%s repeats a shipment already given", where);
        return -1;
    }
    /* A shipment carries lines of its own fulfillment order only. */
    json_t *list = json_object_get(s, "line_items");
    json_t *refs = json_array();
    if (list) {
        char lw[112];
        snprintf(lw, sizeof lw, "%s.line_items", where);
        json_decref(refs);
        refs = line_refs(order, list, lw, NULL, 0, err, errlen);
        if (!refs)
            return -1;
        size_t i;
        json_t *r;
        json_array_foreach(refs, i, r)
        {
            const char *lid = json_string_value(json_object_get(r, "line_item_id"));
            if (!ju_find_by(json_object_get(fo, "line_items"), "line_item_id", lid)) {
                fail(err, errlen, "%s[%zu]: line item \"%s\" is not in fulfillment order \"%s\"", lw, i, lid,
                     fo_id);
                json_decref(refs);
                return -1;
            }
        }
    }
    json_t *copy = json_deep_copy(s);
    json_object_set_new(copy, "fulfillment_order_id", json_string(fo_id));
    json_object_set_new(copy, "line_items", refs);
    json_object_set_new(copy, "link_source", json_array_size(refs) ? json_string("order_creation") : json_null());
    json_object_set_new(copy, "status", json_null());
    json_object_set_new(copy, "status_history", json_array());
    json_array_append_new(shipments, copy);
    return 0;
}

static int validate_fulfillment_orders(json_t *order, char *err, size_t errlen)
{
    json_t *fos = json_object_get(order, "fulfillment_orders");
    if (!fos || json_is_null(fos)) {
        json_object_set_new(order, "fulfillment_orders", json_array());
        return 0;
    }
    if (!json_is_array(fos)) {
        fail(err, errlen, "fulfillment_orders must be an array");
        return -1;
    }
    json_t *taken = json_object();
    int rc = -1;
    size_t i;
    json_t *fo;
    json_array_foreach(fos, i, fo)
    {
        char where[64];
        snprintf(where, sizeof where, "fulfillment_orders[%zu].", i);
        if (!json_is_object(fo)) {
            fail(err, errlen, "fulfillment_orders[%zu] must be an object", i);
            goto out;
        }
        int bad = 0;
        const char *id = id_member(fo, "fulfillment_order_id", where, 1, err, errlen, &bad);
        if (bad)
            goto out;
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_object_get(json_array_get(fos, j), "fulfillment_order_id")), id) ==
                0) {
                fail(err, errlen, "%sfulfillment_order_id \"%s\" is used twice", where, id);
                goto out;
            }
        json_t *loc = json_object_get(fo, "location");
        if (loc && !json_is_object(loc) && !json_is_string(loc)) {
            fail(err, errlen, "%slocation must be an object or a string", where);
            goto out;
        }
        char lw[80];
        snprintf(lw, sizeof lw, "fulfillment_orders[%zu].line_items", i);
        json_t *list = json_object_get(fo, "line_items");
        json_t *refs = list ? line_refs(order, list, lw, taken, 1, err, errlen) : json_array();
        if (!refs)
            goto out;
        json_object_set_new(fo, "line_items", refs);
        json_t *ships = json_object_get(fo, "shipments");
        if (ships && !json_is_array(ships)) {
            fail(err, errlen, "%sshipments must be an array", where);
            goto out;
        }
        size_t k;
        json_t *s;
        json_array_foreach(ships, k, s)
        {
            char sw[96];
            snprintf(sw, sizeof sw, "fulfillment_orders[%zu].shipments[%zu]", i, k);
            if (take_shipment(order, fo, id, s, sw, err, errlen) != 0)
                goto out;
        }
        json_object_del(fo, "shipments");
        json_object_del(fo, "status");
    }
    rc = 0;
out:
    json_decref(taken);
    return rc;
}

json_t *order_create(const json_t *body, const char *tenant, const char *order_id, const char *now_iso,
                     json_t *changes, char *err, size_t errlen)
{
    if (!json_is_object(body)) {
        fail(err, errlen, "the body must be a JSON object");
        return NULL;
    }
    json_t *order = json_deep_copy(body);
    int bad = 0;
    id_member(order, "partner_order_reference", "", 1, err, errlen, &bad);
    if (bad)
        goto bad;
    json_t *cs = json_object_get(order, "creation_source");
    if (cs && !json_is_null(cs)) {
        if (!json_is_object(cs)) {
            fail(err, errlen, "creation_source must be an object");
            goto bad;
        }
        json_t *st = json_object_get(cs, "source_type");
        if (st && !json_is_string(st)) {
            fail(err, errlen, "creation_source.source_type must be a string");
            goto bad;
        }
    } else {
        json_object_set_new(order, "creation_source", json_pack("{s:s}", "source_type", "API"));
    }
    json_t *cust = json_object_get(order, "customer");
    if (cust && !json_is_object(cust) && !json_is_null(cust)) {
        fail(err, errlen, "customer must be an object");
        goto bad;
    }
    if (validate_lines(order, err, errlen) != 0)
        goto bad;
    json_object_set_new(order, "shipments", json_array());
    if (validate_fulfillment_orders(order, err, errlen) != 0)
        goto bad;
    json_object_set_new(order, "tenant", json_string(tenant));
    json_object_set_new(order, "order_id", json_string(order_id));
    json_object_set_new(order, "creation_date", json_string(now_iso));
    json_object_set_new(order, "update_date", json_string(now_iso));
    json_object_del(order, "status");
    order_change(changes, "ORDER_CREATED", "order", order_id, NULL, NULL,
                 json_object_get(order, "partner_order_reference"));
    json_t *scratch = json_array(); /* the first rollup is part of creation, not a change */
    order_recompute(order, scratch);
    json_decref(scratch);
    return order;
bad:
    json_decref(order);
    return NULL;
}

static enum line_status line_status_of(const json_t *line)
{
    enum line_status s = LINE_OPEN;
    const char *name = json_string_value(json_object_get(line, "status"));
    if (name)
        rollup_line_status_parse(name, &s);
    return s;
}

/* Set entity[field] to the status name, logging a change; returns 1 if it moved. */
static int set_status(json_t *entity, const char *entity_type, const char *id_key, enum rollup_status s,
                      json_t *changes)
{
    const char *name = rollup_status_name(s);
    json_t *old = json_object_get(entity, "status");
    if (old && json_is_string(old) && strcmp(json_string_value(old), name) == 0)
        return 0;
    json_t *nv = json_string(name);
    order_change(changes, "STATUS_CHANGE", entity_type, json_string_value(json_object_get(entity, id_key)),
                 "status", old, nv);
    json_object_set_new(entity, "status", nv);
    return 1;
}

int order_recompute(json_t *order, json_t *changes)
{
    json_t *lines = json_object_get(order, "line_items");
    json_t *fos = json_object_get(order, "fulfillment_orders");
    size_t nfo = json_array_size(fos), nlines = json_array_size(lines);
    enum rollup_status fo_status[nfo + 1];
    enum line_status buf[nlines + 1];
    json_t *assigned = json_object();
    int moved = 0;
    size_t i;
    json_t *fo;
    json_array_foreach(fos, i, fo)
    {
        size_t n = 0, k;
        json_t *ref;
        json_array_foreach(json_object_get(fo, "line_items"), k, ref)
        {
            const char *id = json_string_value(json_object_get(ref, "line_item_id"));
            json_t *line = order_line(order, id);
            if (!line)
                continue;
            json_object_set_new(assigned, id, json_true());
            buf[n++] = line_status_of(line);
        }
        fo_status[i] = rollup_fulfillment_order(buf, n);
        moved += set_status(fo, "fulfillment_order", "fulfillment_order_id", fo_status[i], changes);
    }
    size_t n_unassigned = 0;
    json_t *line;
    json_array_foreach(lines, i, line)
    {
        if (!json_object_get(assigned, json_string_value(json_object_get(line, "line_item_id"))))
            buf[n_unassigned++] = line_status_of(line);
    }
    json_decref(assigned);
    if (n_unassigned)
        fo_status[nfo++] = rollup_fulfillment_order(buf, n_unassigned);
    moved += set_status(order, "order", "order_id", rollup_order(fo_status, nfo), changes);
    return moved;
}
