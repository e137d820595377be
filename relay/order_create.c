/* order_create: building an order document from a POST /orders request:
 * Carriyo's members checked and normalised, line items, fulfillment
 * orders with their lines and shipments, creation_source from the request's
 * origin, request-only delivery members. See order.h (order_create,
 * order_check_line, order_fo_location). */
#include "order.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "order_shape.h"
#include "rollup.h"
#include "xmalloc.h"

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

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
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

/* Carriyo names a line's id `id`; shiprelay `line_item_id`: either is
 * taken, both are shown. */
static int line_id_alias(json_t *line, const char *where, char *err, size_t errlen)
{
    json_t *a = json_object_get(line, "line_item_id"), *b = json_object_get(line, "id");
    if ((!a || json_is_null(a)) && b && !json_is_null(b))
        json_object_set(line, "line_item_id", b);
    int bad = 0;
    const char *id = id_member(line, "line_item_id", where, 1, err, errlen, &bad);
    if (bad)
        return -1;
    if (b && !json_is_null(b) && (!json_is_string(b) || strcmp(json_string_value(b), id) != 0)) {
        fail(err, errlen, "%sid and line_item_id differ", where);
        return -1;
    }
    json_object_set_new(line, "id", json_string(id));
    return 0;
}

int order_check_line(json_t *line, const char *where, char *err, size_t errlen)
{
    if (!json_is_object(line)) {
        fail(err, errlen, "%.*s must be an object", (int)strlen(where) - 1, where);
        return -1;
    }
    int bad = 0;
    if (line_id_alias(line, where, err, errlen) != 0)
        return -1;
    id_member(line, "sku", where, 1, err, errlen, &bad);
    if (bad)
        return -1;
    json_t *q = json_object_get(line, "quantity");
    if (!json_is_integer(q) || json_integer_value(q) < 1) {
        fail(err, errlen, "%squantity must be a positive integer", where);
        return -1;
    }
    json_t *st = json_object_get(line, "status");
    enum line_status ls;
    if (json_is_null(st)) {
        json_object_del(line, "status");
    } else if (st && (!json_is_string(st) || !rollup_line_status_parse(json_string_value(st), &ls))) {
        fail(err, errlen,
             "%sstatus must be one of open, allocated, pick_in_progress, picked, pack_in_progress, "
             "fulfilled, closed, cancelled",
             where);
        return -1;
    }
    return 0;
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
    json_t *seen = json_object();
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line)
    {
        char where[48];
        snprintf(where, sizeof where, "line_items[%zu].", i);
        if (order_check_line(line, where, err, errlen) != 0)
            break;
        const char *id = str(line, "line_item_id");
        if (json_object_get(seen, id)) {
            fail(err, errlen, "%sline_item_id \"%s\" is used twice", where, id);
            break;
        }
        json_object_set_new(seen, id, json_true());
    }
    json_decref(seen);
    return i == json_array_size(lines) ? 0 : -1;
}

/* What creation looks things up in, built once so that checking an order
 * is linear in its size: the lines by id, the fulfillment order ids and
 * the shipments' keys ("psr:" / "trk:" + value) seen so far. */
struct building {
    json_t *lines, *fo_ids, *ship_keys;
};

/* Normalise a list of line references (strings, or objects with
 * line_item_id or id) into [{id, line_item_id[, quantity]}], each naming a
 * line of the order. `taken` (may be NULL) is an object used to refuse a
 * line listed twice. */
static json_t *line_refs(const struct building *b, json_t *list, const char *where, json_t *taken, int with_qty, char *err,
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
        const char *id = json_is_string(ref)                         ? json_string_value(ref)
                         : json_is_string(json_object_get(ref, "line_item_id")) ? str(ref, "line_item_id")
                                                                                : str(ref, "id");
        json_t *line = id ? json_object_get(b->lines, id) : NULL;
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
        json_t *o = json_pack("{s:s,s:s}", "id", id, "line_item_id", id);
        if (with_qty) {
            json_t *q = json_is_object(ref) ? json_object_get(ref, "quantity") : NULL;
            json_int_t has = json_integer_value(json_object_get(line, "quantity"));
            if (q && (!json_is_integer(q) || json_integer_value(q) < 1)) {
                fail(err, errlen, "%s[%zu].quantity must be a positive integer", where, i);
                json_decref(o);
                goto bad;
            }
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

static bool seen_key(json_t *keys, const char *kind, const char *value)
{
    if (!value)
        return false;
    char *k = xasprintf("%s:%s", kind, value);
    bool seen = json_object_get(keys, k) != NULL;
    json_object_set_new(keys, k, json_true());
    free(k);
    return seen;
}

/* fo_lines: the fulfillment order's lines (line_item_id -> its FO line). */
static int take_shipment(json_t *order, const struct building *b, const json_t *fo_lines, const char *fo_id, json_t *s,
                         const char *where, char *err, size_t errlen)
{
    if (!json_is_object(s)) {
        fail(err, errlen, "%s must be an object", where);
        return -1;
    }
    char at[112];
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
    bool again = seen_key(b->ship_keys, "psr", psr);
    if (seen_key(b->ship_keys, "trk", trk) || again) {
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
        refs = line_refs(b, list, lw, NULL, 0, err, errlen);
        if (!refs)
            return -1;
        size_t i;
        json_t *r;
        json_array_foreach(refs, i, r)
        {
            const char *lid = str(r, "line_item_id");
            json_object_del(r, "id");
            if (!json_object_get(fo_lines, lid)) {
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

int order_fo_location(json_t *fo, const char *where, char *err, size_t errlen)
{
    json_t *loc = json_object_get(fo, "location");
    if (loc && !json_is_null(loc) && !json_is_object(loc) && !json_is_string(loc)) {
        fail(err, errlen, "%slocation must be an object or a string", where);
        return -1;
    }
    int bad = 0;
    const char *id = id_member(fo, "location_id", where, 0, err, errlen, &bad);
    if (bad)
        return -1;
    if (!id)
        id = json_is_string(loc) ? json_string_value(loc) : str(loc, "id");
    json_object_set_new(fo, "location_id", id && *id ? json_string(id) : json_null());
    return 0;
}

static int validate_fulfillment_orders(json_t *order, const struct building *b, const json_t *delivery,
                                       const char *nonce, char *err, size_t errlen)
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
        const char *id = id_member(fo, "fulfillment_order_id", where, 0, err, errlen, &bad);
        id_member(fo, "partner_fulfillment_order_reference", where, 0, err, errlen, &bad);
        if (bad)
            goto out;
        char made[32];
        if (!id) {
            order_make_id("FO", nonce, (int)i + 1, made);
            json_object_set_new(fo, "fulfillment_order_id", json_string(made));
            id = made;
        }
        if (json_object_get(b->fo_ids, id)) {
            fail(err, errlen, "%sfulfillment_order_id \"%s\" is used twice", where, id);
            goto out;
        }
        json_object_set_new(b->fo_ids, id, json_true());
        if (order_fo_location(fo, where, err, errlen) != 0 || order_shape_delivery(fo, where, err, errlen) != 0)
            goto out;
        if (!json_is_string(json_object_get(fo, "delivery_method"))) {
            const char *k;
            json_t *v;
            json_object_foreach((json_t *)delivery, k, v)
            {
                json_object_set(fo, k, v);
            }
        }
        char lw[80];
        snprintf(lw, sizeof lw, "fulfillment_orders[%zu].line_items", i);
        json_t *list = json_object_get(fo, "line_items");
        json_t *refs = list ? line_refs(b, list, lw, taken, 1, err, errlen) : json_array();
        if (!refs)
            goto out;
        /* A line's status, when given, is its FO lines'; else a located FO's lines are allocated. */
        bool located = json_is_string(json_object_get(fo, "location_id"));
        size_t k;
        json_t *ref;
        json_array_foreach(refs, k, ref)
        {
            const char *given = str(json_object_get(b->lines, str(ref, "line_item_id")), "status");
            json_object_set_new(ref, "status", json_string(given ? given : located ? "allocated" : "open"));
        }
        json_object_set_new(fo, "line_items", refs);
        json_t *ships = json_object_get(fo, "shipments");
        if (ships && !json_is_array(ships)) {
            fail(err, errlen, "%sshipments must be an array", where);
            goto out;
        }
        json_t *s, *fo_lines = ju_index(refs, "line_item_id");
        json_array_foreach(ships, k, s)
        {
            char sw[96];
            snprintf(sw, sizeof sw, "fulfillment_orders[%zu].shipments[%zu]", i, k);
            if (take_shipment(order, b, fo_lines, id, s, sw, err, errlen) != 0) {
                json_decref(fo_lines);
                goto out;
            }
        }
        json_decref(fo_lines);
        json_object_del(fo, "shipments");
        json_object_del(fo, "status");
    }
    rc = 0;
out:
    json_decref(taken);
    return rc;
}

/* Members the server sets: dropped from a creation request. */
static const char *const server_set[] = {"status", "cancellation_reason", "cancellation", "auto_allocation_failed",
                                         "redacted", "redaction", "error_details", "update_source",
                                         "creation_date", "update_date", "pending_delivery", NULL};

static int take_source(json_t *order, const json_t *origin, char *err, size_t errlen)
{
    json_t *cs = json_object_get(order, "creation_source");
    if (cs && !json_is_null(cs) && !json_is_object(cs)) {
        fail(err, errlen, "creation_source must be an object");
        return -1;
    }
    json_t *src = json_is_object(cs) ? json_deep_copy(cs) : json_object();
    json_t *st = json_object_get(src, "source_type");
    if (st && !json_is_null(st) && !json_is_string(st)) {
        json_decref(src);
        fail(err, errlen, "creation_source.source_type must be a string");
        return -1;
    }
    if (!json_is_string(st))
        json_object_set_new(src, "source_type", json_string("API"));
    /* The client says what kind of source it is (SHOPIFY turns auto-close
     * off) and may name it; the relay says the rest. */
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)origin, k, v)
    {
        if (!strcmp(k, "source_type") || (!strcmp(k, "source_id") && json_is_string(json_object_get(src, k))))
            continue;
        json_object_set(src, k, v);
    }
    json_object_set_new(order, "creation_source", src);
    json_object_set_new(order, "update_source", json_deep_copy(src));
    return 0;
}

/* The request-only delivery members, taken off the order: a new object. */
static json_t *take_delivery(json_t *order, char *err, size_t errlen)
{
    json_t *d = json_object();
    for (size_t i = 0; order_shape_delivery_members[i]; i++) {
        json_t *v = json_object_get(order, order_shape_delivery_members[i]);
        if (v)
            json_object_set(d, order_shape_delivery_members[i], v);
        json_object_del(order, order_shape_delivery_members[i]);
    }
    if (order_shape_delivery(d, "", err, errlen) != 0) {
        json_decref(d);
        return NULL;
    }
    return d;
}

json_t *order_create(const json_t *body, const char *tenant, const char *order_id, const json_t *origin,
                     const char *now_iso, json_t *changes, char *err, size_t errlen)
{
    if (!json_is_object(body)) {
        fail(err, errlen, "the body must be a JSON object");
        return NULL;
    }
    json_t *order = json_deep_copy(body), *delivery = NULL;
    for (size_t i = 0; server_set[i]; i++)
        json_object_del(order, server_set[i]);
    int bad = 0;
    id_member(order, "partner_order_reference", "", 1, err, errlen, &bad);
    if (bad)
        goto bad;
    for (size_t i = 0; order_shape_simple_members[i]; i++) {
        json_t *v = json_object_get(order, order_shape_simple_members[i]);
        if (!v || (json_is_null(v) && strcmp(order_shape_simple_members[i], "merchant") != 0))
            continue;
        json_t *n = order_shape_value(order_shape_simple_members[i], v, err, errlen);
        if (!n)
            goto bad;
        json_object_set_new(order, order_shape_simple_members[i], n);
    }
    if (!json_object_get(order, "merchant"))
        json_object_set_new(order, "merchant", json_string(tenant));
    const char *ck = json_string_value(json_object_get(json_object_get(order, "customer"), "customer_key"));
    if (ck && !json_is_string(json_object_get(order, "customer_key")))
        json_object_set_new(order, "customer_key", json_string(ck));
    if (take_source(order, origin, err, errlen) != 0)
        goto bad;
    delivery = take_delivery(order, err, errlen);
    if (!delivery || validate_lines(order, err, errlen) != 0)
        goto bad;
    json_object_set_new(order, "shipments", json_array());
    const char *nonce = strchr(order_id, '_') ? strchr(order_id, '_') + 1 : order_id;
    struct building b = {ju_index(json_object_get(order, "line_items"), "line_item_id"), json_object(), json_object()};
    int fos_ok = validate_fulfillment_orders(order, &b, delivery, nonce, err, errlen);
    json_decref(b.lines);
    json_decref(b.fo_ids);
    json_decref(b.ship_keys);
    if (fos_ok != 0)
        goto bad;
    /* some line in no fulfillment order? (each line is in at most one: `taken`) */
    size_t placed = 0, i;
    json_t *fo;
    json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
    {
        placed += json_array_size(json_object_get(fo, "line_items"));
    }
    bool unplaced = placed < json_array_size(json_object_get(order, "line_items"));
    if (unplaced && json_object_size(delivery))
        json_object_set(order, "pending_delivery", delivery);
    json_object_set_new(order, "tenant", json_string(tenant));
    json_object_set_new(order, "order_id", json_string(order_id));
    json_object_set_new(order, "creation_date", json_string(now_iso));
    json_object_set_new(order, "update_date", json_string(now_iso));
    order_shape_defaults(order);
    order_change(changes, "ORDER_CREATED", "order", order_id, NULL, NULL,
                 json_object_get(order, "partner_order_reference"));
    json_t *scratch = json_array(); /* the first rollup is part of creation, not a change */
    order_recompute(order, scratch);
    json_decref(scratch);
    json_decref(delivery);
    return order;
bad:
    json_decref(delivery);
    json_decref(order);
    return NULL;
}
