/* order_shape: the member table, defaults and checks. See order_shape.h. */
#include "order_shape.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jsonutil.h"
#include "timeutil.h"

#define MAX_STR 255

enum kind { K_REF, K_STRING, K_DATE, K_BOOL, K_OBJECT, K_ARRAY, K_METADATA };

static const struct {
    const char *name;
    enum kind kind;
} simple[] = {
    {"partner_order_reference", K_REF}, {"merchant", K_REF},         {"language", K_STRING},
    {"order_date", K_DATE},             {"sales_channel", K_STRING}, {"customer_key", K_STRING},
    {"taxes_included", K_BOOL},         {"duties_included", K_BOOL}, {"billing_address", K_OBJECT},
    {"customer", K_OBJECT},             {"payment", K_OBJECT},       {"discount_applications", K_ARRAY},
    {"shipping_lines", K_ARRAY},        {"carriyo_metadata", K_METADATA},
};
#define N_SIMPLE (sizeof simple / sizeof simple[0])

const char *const order_shape_simple_members[] = {
    "partner_order_reference", "merchant", "language", "order_date", "sales_channel", "customer_key",
    "taxes_included", "duties_included", "billing_address", "customer", "payment", "discount_applications",
    "shipping_lines", "carriyo_metadata", NULL};

const char *const order_shape_delivery_members[] = {"delivery_method", "delivery_type", "delivery_address",
                                                    "delivery_schedule", "customer_collection_address",
                                                    "customer_collection_schedule", NULL};

const char *const order_shape_cancellation_reasons[] = {"CUSTOMER_CANCELLATION", "AUTO_ALLOCATION_FAILED",
                                                        "INVENTORY_OUT_OF_STOCK", "STAFF_ERROR", "PAYMENT_ISSUE",
                                                        "OTHER", NULL};

static const char *const source_keys[] = {"source_type", "source_id", "api_pattern", "request_type",
                                          "system_log_identifier", NULL};

static int find(const char *name)
{
    for (size_t i = 0; i < N_SIMPLE; i++)
        if (!strcmp(simple[i].name, name))
            return (int)i;
    return -1;
}

bool order_shape_is_simple(const char *name)
{
    return find(name) >= 0;
}

static json_t *default_of(enum kind k)
{
    return k == K_BOOL ? json_false() : k == K_ARRAY || k == K_METADATA ? json_array() : json_null();
}

static void ensure(json_t *o, const char *key, json_t *value)
{
    if (!json_object_get(o, key))
        json_object_set(o, key, value);
    json_decref(value);
}

static void ensure_source(json_t *order, const char *key)
{
    json_t *src = json_object_get(order, key);
    if (!json_is_object(src)) {
        src = json_object();
        json_object_set_new(order, key, src);
    }
    for (size_t i = 0; source_keys[i]; i++)
        ensure(src, source_keys[i], json_null());
}

void order_shape_defaults(json_t *order)
{
    if (json_is_string(json_object_get(order, "tenant")) && !json_is_string(json_object_get(order, "merchant")))
        json_object_set(order, "merchant", json_object_get(order, "tenant")); /* orders from before merchants */
    for (size_t i = 0; i < N_SIMPLE; i++)
        ensure(order, simple[i].name, default_of(simple[i].kind));
    ensure(order, "auto_allocation_failed", json_false());
    ensure(order, "cancellation_reason", json_null());
    ensure(order, "redacted", json_false());
    ensure(order, "sub_status", json_null()); /* sub_status.h */
    ensure(order, "error_details", json_array());
    ensure_source(order, "creation_source");
    ensure_source(order, "update_source");
    size_t i, k;
    json_t *line, *fo;
    json_array_foreach(json_object_get(order, "line_items"), i, line)
    {
        ensure(line, "id", json_incref(json_object_get(line, "line_item_id")));
    }
    json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
    {
        ensure(fo, "partner_fulfillment_order_reference", json_null());
        json_t *loc = json_object_get(fo, "location");
        const char *loc_id = json_is_string(loc) ? json_string_value(loc) : json_string_value(json_object_get(loc, "id"));
        ensure(fo, "location_id", loc_id ? json_string(loc_id) : json_null());
        ensure(fo, "delivery_method", json_string("DELIVERY"));
        for (size_t m = 1; order_shape_delivery_members[m]; m++)
            ensure(fo, order_shape_delivery_members[m], json_null());
        ensure(fo, "carriyo_metadata", json_array());
        ensure(fo, "on_hold", json_false()); /* fulfillment control (fulfillment_event.h) */
        ensure(fo, "hold", json_null());
        ensure(fo, "fulfillment_state", json_null());
        json_array_foreach(json_object_get(fo, "line_items"), k, line)
        {
            ensure(line, "id", json_incref(json_object_get(line, "line_item_id")));
            if (json_object_get(line, "status"))
                continue;
            /* stored before FO lines had statuses: the order line's was theirs */
            json_t *own = json_object_get(ju_find_by(json_object_get(order, "line_items"), "line_item_id",
                                                     json_string_value(json_object_get(line, "line_item_id"))),
                                          "status");
            ensure(line, "status", own ? json_incref(own) : json_string("open"));
        }
    }
}

json_t *order_shape_date(const json_t *v)
{
    const char *s = json_string_value(v);
    int64_t ms;
    int has_offset;
    if (!s || strlen(s) > 64 || time_parse_iso(s, &ms, &has_offset) != 0)
        return NULL;
    if (has_offset)
        return json_string(s);
    if (strlen(s) == 10) { /* a date only: midnight UTC */
        char buf[TIME_ISO_LEN];
        time_format_iso(ms, buf);
        return json_string(buf);
    }
    char buf[80];
    snprintf(buf, sizeof buf, "%sZ", s);
    return json_string(buf);
}

static bool metadata_ok(const json_t *v)
{
    size_t i;
    json_t *e;
    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, e)
    {
        if (!json_is_object(e) || !json_is_string(json_object_get(e, "key")))
            return false;
    }
    return true;
}

json_t *order_shape_value(const char *name, const json_t *v, char *err, size_t errlen)
{
    int i = find(name);
    if (i < 0) {
        snprintf(err, errlen, "%s cannot be set", name);
        return NULL;
    }
    enum kind k = simple[i].kind;
    const char *s = json_string_value(v);
    switch (k) {
    case K_REF:
        if (s && *s && strlen(s) <= MAX_STR)
            return json_incref((json_t *)v);
        snprintf(err, errlen, "%s must be a non-empty string of at most %d bytes", name, MAX_STR);
        return NULL;
    case K_STRING:
        if (json_is_null(v) || (s && strlen(s) <= MAX_STR))
            return json_incref((json_t *)v);
        snprintf(err, errlen, "%s must be a string of at most %d bytes, or null", name, MAX_STR);
        return NULL;
    case K_DATE: {
        json_t *d = json_is_null(v) ? json_null() : order_shape_date(v);
        if (!d)
            snprintf(err, errlen, "%s must be an ISO 8601 date-time (e.g. 2026-05-01T10:00:00+04:00)", name);
        return d;
    }
    case K_BOOL:
        if (json_is_boolean(v))
            return json_incref((json_t *)v);
        snprintf(err, errlen, "%s must be true or false", name);
        return NULL;
    case K_OBJECT:
        if (json_is_object(v) || json_is_null(v))
            return json_incref((json_t *)v);
        snprintf(err, errlen, "%s must be an object or null", name);
        return NULL;
    case K_ARRAY:
        if (json_is_array(v))
            return json_incref((json_t *)v);
        snprintf(err, errlen, "%s must be an array", name);
        return NULL;
    case K_METADATA:
        if (metadata_ok(v))
            return json_incref((json_t *)v);
        snprintf(err, errlen, "%s must be an array of {\"key\", \"value\"}", name);
        return NULL;
    }
    return NULL;
}

json_t *order_shape_schedule(const json_t *v, const char *where, char *err, size_t errlen)
{
    if (json_is_null(v))
        return json_null();
    if (!json_is_object(v)) {
        snprintf(err, errlen, "%s must be an object {scheduled_from, scheduled_to}", where);
        return NULL;
    }
    json_t *out = json_deep_copy(v);
    static const char *keys[] = {"scheduled_from", "scheduled_to"};
    for (int i = 0; i < 2; i++) {
        json_t *d = json_object_get(v, keys[i]);
        if (!d || json_is_null(d))
            continue;
        json_t *n = order_shape_date(d);
        if (!n) {
            snprintf(err, errlen, "%s.%s must be an ISO 8601 date-time", where, keys[i]);
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, keys[i], n);
    }
    return out;
}

int order_shape_delivery(json_t *obj, const char *where, char *err, size_t errlen)
{
    json_t *m = json_object_get(obj, "delivery_method");
    if (m && !json_is_null(m)) {
        const char *s = json_string_value(m);
        static const char *methods[] = {"DELIVERY", "COLLECTION", "DIGITAL"};
        const char *hit = NULL;
        for (int i = 0; s && i < 3; i++)
            if (!strcasecmp(s, methods[i]))
                hit = methods[i];
        if (!hit) {
            snprintf(err, errlen, "%sdelivery_method must be DELIVERY, COLLECTION or DIGITAL", where);
            return -1;
        }
        json_object_set_new(obj, "delivery_method", json_string(hit));
    }
    json_t *type = json_object_get(obj, "delivery_type");
    if (type && !json_is_null(type) && (!json_is_string(type) || strlen(json_string_value(type)) > MAX_STR)) {
        snprintf(err, errlen, "%sdelivery_type must be a string", where);
        return -1;
    }
    static const char *addresses[] = {"delivery_address", "customer_collection_address"};
    for (int i = 0; i < 2; i++) {
        json_t *a = json_object_get(obj, addresses[i]);
        if (a && !json_is_null(a) && !json_is_object(a)) {
            snprintf(err, errlen, "%s%s must be an object", where, addresses[i]);
            return -1;
        }
    }
    static const char *schedules[] = {"delivery_schedule", "customer_collection_schedule"};
    for (int i = 0; i < 2; i++) {
        json_t *sc = json_object_get(obj, schedules[i]);
        if (!sc)
            continue;
        char at[96];
        snprintf(at, sizeof at, "%s%s", where, schedules[i]);
        json_t *n = order_shape_schedule(sc, at, err, errlen);
        if (!n)
            return -1;
        json_object_set_new(obj, schedules[i], n);
    }
    return 0;
}

const char *order_shape_cancellation_reason(const char *given)
{
    for (size_t i = 0; given && order_shape_cancellation_reasons[i]; i++)
        if (!strcasecmp(given, order_shape_cancellation_reasons[i]))
            return order_shape_cancellation_reasons[i];
    return "OTHER";
}
