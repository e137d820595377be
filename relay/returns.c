/* returns: the request's members, its scope against the order, linking and
 * PATCH. The actions and shipment progress are returns_flow.c. See
 * returns.h. */
#include "returns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "order.h"
#include "order_shape.h"
#include "xmalloc.h"

#define MAX_ITEMS 100

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static bool is(const json_t *o, const char *k, const char *v)
{
    const char *s = str(o, k);
    return s && !strcmp(s, v);
}

/* Members a request may set (create and PATCH), with their kind. */
enum kind { OBJECT, STRING, TEXT, METADATA };
static const struct {
    const char *name;
    enum kind kind;
} members[] = {{"pickup", OBJECT},         {"collection", OBJECT},       {"channel", STRING},
               {"customer_comment", TEXT}, {"email_or_phone", STRING},   {"refund_method", STRING},
               {"carriyo_metadata", METADATA}};
#define N_MEMBERS (sizeof members / sizeof members[0])

/* The value of member i as a request gives it (a new reference), or NULL with err. */
static json_t *member_value(size_t i, const json_t *v, char *err, size_t errlen)
{
    const char *name = members[i].name;
    switch (members[i].kind) {
    case OBJECT:
        if (json_is_object(v) || json_is_null(v))
            return json_incref((json_t *)v);
        snprintf(err, errlen, "%s must be an object or null", name);
        return NULL;
    case STRING:
    case TEXT: {
        size_t max = members[i].kind == TEXT ? 2000 : 255;
        if (json_is_null(v) || (json_is_string(v) && strlen(json_string_value(v)) <= max))
            return json_incref((json_t *)v);
        snprintf(err, errlen, "%s must be a string of at most %zu bytes, or null", name, max);
        return NULL;
    }
    case METADATA:
        return order_shape_value("carriyo_metadata", v, err, errlen);
    }
    return NULL;
}

/* A request's items, checked and in the stored shape (a new array), or NULL with err. */
static json_t *items_from(const json_t *list, char *err, size_t errlen)
{
    if (!json_is_array(list) || !json_array_size(list) || json_array_size(list) > MAX_ITEMS) {
        snprintf(err, errlen, "items is required: an array of 1 to %d {\"sku\", \"quantity\"}", MAX_ITEMS);
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it)
    {
        const char *sku = str(it, "sku");
        json_t *q = json_object_get(it, "quantity");
        const char *line = str(it, "line_item_id") ? str(it, "line_item_id") : str(it, "id");
        const char *bad = NULL;
        if (!json_is_object(it) || !sku || !*sku || strlen(sku) > 255)
            bad = "sku is required (a non-empty string of at most 255 bytes)";
        else if (!json_is_integer(q) || json_integer_value(q) < 1 || json_integer_value(q) > 1000000)
            bad = "quantity is required (a whole number of units, at least 1)";
        else if (ju_find_by(out, "sku", sku))
            bad = "the sku is given twice: give each sku once, with the total quantity";
        else if (line && strlen(line) > 255)
            bad = "line_item_id must be at most 255 bytes";
        for (size_t k = 0; !bad && k < 3; k++) {
            static const char *texts[] = {"reason_code", "description", "condition"};
            json_t *v = json_object_get(it, texts[k]);
            if (v && !json_is_null(v) && (!json_is_string(v) || strlen(json_string_value(v)) > 255))
                bad = "reason_code, description and condition must be strings of at most 255 bytes";
        }
        if (bad) {
            snprintf(err, errlen, "items[%zu]: %s", i, bad);
            json_decref(out);
            return NULL;
        }
        json_t *item = json_pack("{s:s,s:s?,s:O,s:O?,s:O?,s:n,s:i,s:i,s:[],s:O?,s:n}", "sku", sku, "line_item_id", line,
                                 "quantity", q, "reason_code", json_object_get(it, "reason_code"), "description",
                                 json_object_get(it, "description"), "approved_quantity", "returned_quantity", 0,
                                 "received_quantity", 0, "reverse_shipment_ids", "condition",
                                 json_object_get(it, "condition"), "resolution");
        json_array_append_new(out, item);
    }
    return out;
}

/* What the change log records of the items: sku, line and quantities (no personal data). */
static json_t *items_summary(const json_t *items)
{
    json_t *out = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        json_array_append_new(out, json_pack("{s:O?,s:O?,s:O?}", "sku", json_object_get(it, "sku"), "line_item_id",
                                             json_object_get(it, "line_item_id"), "quantity",
                                             json_object_get(it, "quantity")));
    }
    return out;
}

static void change(json_t *ret, json_t *changes, const char *type, const char *field, json_t *old, json_t *nv)
{
    order_change(changes, type, "return_request", str(ret, "return_request_id"), field, old, nv);
}

json_t *returns_create(const json_t *body, const char *tenant, const char *id, const json_t *origin,
                       const char *now_iso, json_t *changes, char *err, size_t errlen)
{
    if (!json_is_object(body)) {
        snprintf(err, errlen, "the body must be a JSON object (a return request)");
        return NULL;
    }
    const char *ref = str(body, "partner_order_reference"), *merchant = str(body, "merchant");
    if (!ref || !*ref || strlen(ref) > 255) {
        snprintf(err, errlen, "partner_order_reference is required (a non-empty string of at most 255 bytes)");
        return NULL;
    }
    json_t *m = json_object_get(body, "merchant");
    if (m && !json_is_null(m) && (!merchant || !*merchant || strlen(merchant) > 255)) {
        snprintf(err, errlen, "merchant must be a non-empty string of at most 255 bytes");
        return NULL;
    }
    json_t *items = items_from(json_object_get(body, "items"), err, errlen);
    if (!items)
        return NULL;
    json_t *ret = json_pack("{s:s,s:s,s:s?,s:s,s:n,s:s,s:o}", "return_request_id", id, "tenant", tenant, "merchant",
                            merchant, "partner_order_reference", ref, "order_id", "status", "pending", "items", items);
    for (size_t i = 0; i < N_MEMBERS; i++) {
        json_t *given = json_object_get(body, members[i].name), *v = NULL;
        if (given && !(v = member_value(i, given, err, errlen))) {
            json_decref(ret);
            return NULL;
        }
        json_object_set_new(ret, members[i].name, v ? v : members[i].kind == METADATA ? json_array() : json_null());
    }
    json_object_set_new(ret, "refund_info", json_null());
    json_object_set_new(ret, "notes", json_array());
    json_object_set_new(ret, "shipments", json_array());
    static const char *dates[] = {"approval_date", "rejection_date", "cancellation_date", "completion_date"};
    json_object_set_new(ret, "creation_date", json_string(now_iso));
    json_object_set_new(ret, "update_date", json_string(now_iso));
    for (size_t i = 0; i < 4; i++)
        json_object_set_new(ret, dates[i], json_null());
    json_object_set_new(ret, "creation_source", origin ? json_deep_copy(origin) : json_null());
    json_object_set_new(ret, "update_source", origin ? json_deep_copy(origin) : json_null());
    json_object_set_new(ret, "redacted", json_false());
    json_t *what = json_pack("{s:s,s:o}", "status", "pending", "items", items_summary(items));
    change(ret, changes, "RETURN_REQUESTED", NULL, NULL, what);
    json_decref(what);
    return ret;
}

/* Units of line already asked or approved by the other live requests. */
static long taken(const json_t *others, const char *self, const char *line_id)
{
    long n = 0;
    size_t i, k;
    json_t *r, *it;
    json_array_foreach(others, i, r)
    {
        if (is(r, "return_request_id", self) || is(r, "status", "rejected") || is(r, "status", "cancelled"))
            continue;
        json_array_foreach(json_object_get(r, "items"), k, it)
        {
            if (!is(it, "line_item_id", line_id))
                continue;
            json_t *a = json_object_get(it, "approved_quantity");
            n += (long)json_integer_value(json_is_integer(a) ? a : json_object_get(it, "quantity"));
        }
    }
    return n;
}

static long returnable(const json_t *line, const json_t *others, const char *self)
{
    if (is(line, "status", "cancelled"))
        return 0;
    long q = (long)json_integer_value(json_object_get(line, "quantity")) -
             (long)json_integer_value(json_object_get(line, "removed_quantities"));
    q -= taken(others, self, str(line, "line_item_id"));
    return q > 0 ? q : 0;
}

/* err gets "returnable: SKU (line L) N, …", after what precedes it. */
static void list_returnable(const json_t *order, const json_t *others, const char *self, char *err, size_t errlen)
{
    size_t at = strlen(err), i;
    json_t *line;
    at += (size_t)snprintf(err + at, at < errlen ? errlen - at : 0, "; returnable:");
    json_array_foreach(json_object_get(order, "line_items"), i, line)
    {
        if (at < errlen)
            at += (size_t)snprintf(err + at, errlen - at, "%s %s (line %s) %ld", i ? "," : "", str(line, "sku"),
                                   str(line, "line_item_id"), returnable(line, others, self));
    }
}

/* The order line an item names: its line_item_id, else the first line with its sku. */
static json_t *line_of(const json_t *order, const json_t *item)
{
    const char *id = str(item, "line_item_id");
    if (id)
        return order_line(order, id);
    return ju_find_by(json_object_get(order, "line_items"), "sku", str(item, "sku"));
}

enum ops_result returns_scope(json_t *ret, const json_t *order, const json_t *others, char *err, size_t errlen)
{
    const char *self = str(ret, "return_request_id");
    if (is(order, "status", "cancelled")) {
        snprintf(err, errlen, "order \"%s\" is cancelled: nothing of it can be returned", str(order, "partner_order_reference"));
        return OPS_REFUSED;
    }
    const char *m = str(ret, "merchant");
    if (m && !is(order, "merchant", m)) {
        snprintf(err, errlen, "order \"%s\" is not merchant %s's: send the return without merchant, or with %s",
                 str(order, "partner_order_reference"), m, str(order, "merchant"));
        return OPS_REFUSED;
    }
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(ret, "items"), i, it)
    {
        json_t *line = line_of(order, it);
        long q = (long)json_integer_value(json_object_get(it, "quantity"));
        if (!line || !is(line, "sku", str(it, "sku"))) {
            const char *lid = str(it, "line_item_id");
            snprintf(err, errlen, "items[%zu]: order \"%s\" has no line %s%swith sku %s", i,
                     str(order, "partner_order_reference"), lid ? lid : "", lid ? " " : "", str(it, "sku"));
            list_returnable(order, others, self, err, errlen);
            return OPS_REFUSED;
        }
        long left = returnable(line, others, self);
        if (q > left) {
            snprintf(err, errlen, "items[%zu]: line %s (sku %s) has %ld unit%s left to return (%ld asked)", i,
                     str(line, "line_item_id"), str(it, "sku"), left, left == 1 ? "" : "s", q);
            list_returnable(order, others, self, err, errlen);
            return OPS_REFUSED;
        }
    }
    json_array_foreach(json_object_get(ret, "items"), i, it)
    {
        json_object_set(it, "line_item_id", json_object_get(line_of(order, it), "line_item_id"));
    }
    json_object_set(ret, "order_id", json_object_get(order, "order_id"));
    json_object_set(ret, "merchant", json_object_get(order, "merchant"));
    return OPS_CHANGED;
}

void returns_link(json_t *ret, const json_t *order, json_t *changes)
{
    json_object_set(ret, "order_id", json_object_get(order, "order_id"));
    json_object_set(ret, "merchant", json_object_get(order, "merchant"));
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(ret, "items"), i, it)
    {
        json_t *line = line_of(order, it);
        if (line && is(line, "sku", str(it, "sku")))
            json_object_set(it, "line_item_id", json_object_get(line, "line_item_id"));
    }
    json_t *what = json_pack("{s:O,s:o}", "status", json_object_get(ret, "status"), "items",
                             items_summary(json_object_get(ret, "items")));
    change(ret, changes, "RETURN_LINKED", "order_id", NULL, what);
    json_decref(what);
}

enum ops_result returns_patch(json_t *ret, const json_t *body, json_t *changes, char *err, size_t errlen)
{
    if (!is(ret, "status", "pending")) {
        snprintf(err, errlen, "return request \"%s\" is %s: it can be changed only while pending; %s",
                 str(ret, "return_request_id"), str(ret, "status"),
                 is(ret, "status", "approved") ? "cancel it (POST /returns/requests/{id}/cancel) or complete it "
                                                 "(POST /returns/requests/{id}/complete)"
                                               : "make a new request: POST /returns/requests");
        return OPS_REFUSED;
    }
    static const char *fixed[] = {"partner_order_reference", "merchant", "return_request_id", "status"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (json_object_get(body, fixed[i]) && !json_equal(json_object_get(body, fixed[i]), json_object_get(ret, fixed[i]))) {
            snprintf(err, errlen, "%s cannot be changed by PATCH", fixed[i]);
            return OPS_INVALID;
        }
    int moved = 0;
    json_t *given = json_object_get(body, "items");
    if (given) {
        json_t *items = items_from(given, err, errlen);
        if (!items)
            return OPS_INVALID;
        json_t *was = items_summary(json_object_get(ret, "items")), *now = items_summary(items);
        if (!json_equal(was, now)) {
            change(ret, changes, "RETURN_UPDATED", "items", was, now);
            json_object_set(ret, "items", items);
            moved++;
        }
        json_decref(items);
        json_decref(was);
        json_decref(now);
    }
    for (size_t i = 0; i < N_MEMBERS; i++) {
        json_t *g = json_object_get(body, members[i].name), *v;
        if (!g)
            continue;
        if (!(v = member_value(i, g, err, errlen)))
            return OPS_INVALID;
        json_t *old = json_object_get(ret, members[i].name);
        if (!json_equal(old ? old : json_null(), v)) {
            change(ret, changes, "RETURN_UPDATED", members[i].name, old, v);
            json_object_set(ret, members[i].name, v);
            moved++;
        }
        json_decref(v);
    }
    return moved ? OPS_CHANGED : OPS_NOOP;
}

json_t *returns_shipment_keys(const json_t *ret)
{
    json_t *set = json_object();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(ret, "shipments"), i, s)
    {
        static const char *const keys[][2] = {{"tracking_no", ""}, {"partner_shipment_reference", "psr:"},
                                              {"shipment_id", "sid:"}};
        for (size_t k = 0; k < 3; k++) {
            const char *v = str(s, keys[k][0]);
            if (!v || !*v)
                continue;
            char *key = xasprintf("%s%s", keys[k][1], v);
            json_object_set_new(set, key, json_true());
            free(key);
        }
    }
    return set;
}
