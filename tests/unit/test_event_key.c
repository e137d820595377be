/* Mirrors relay/event_key.c, table-tested through every adapter: a payload
 * is normalized by its adapter, and the key of the event it gives must be
 * the source's own event id when the payload carries one, else a key that
 * changes with every member naming the target. Two events that differ in
 * target never share a key; an event with neither id nor time has none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "adapter.h"
#include "event_key.h"

static const char *find_header(const void *ctx, const char *name)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)ctx, key, v)
    {
        if (strcasecmp(key, name) == 0)
            return json_string_value(v);
    }
    return NULL;
}

static const char *no_query(const void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

/* The key of the first event `kind`'s adapter makes of body (with headers). */
static char *key_of(const char *kind, const char *headers, const char *body)
{
    const struct adapter *a = adapter_find(kind);
    assert_non_null(a);
    json_t *h = json_loads(headers ? headers : "{}", 0, NULL);
    json_t *b = json_loads(body, 0, NULL);
    assert_non_null(h);
    assert_non_null(b);
    struct adapter_request req = {.body = body, .body_len = strlen(body), .header = find_header, .query = no_query,
                                  .ctx = h, .now = 0};
    json_t *events = json_array();
    char err[256] = "";
    if (a->normalize(b, &req, events, err, sizeof err) != ADAPTER_OK || !json_array_size(events))
        fail_msg("%s: %s does not normalize: %s", kind, body, err);
    char *key = event_key(json_array_get(events, 0));
    json_decref(events);
    json_decref(b);
    json_decref(h);
    return key;
}

static const struct row {
    const char *kind, *headers;
    const char *body;          /* the event */
    const char *other;         /* another event: a different target, or a different event id */
    const char *other_headers; /* its headers, when not `headers` */
    const char *id;         /* the source's own id in body: the key is "id:" + it; NULL: none */
    const char *timeless;   /* body without an event time (and without an id): no key; NULL: n/a */
} rows[] = {
    /* AfterShip: the top-level event_id is the event's; msg.id is the tracking's (the same on every update). */
    {"aftership", NULL,
     "{\"event\":\"tracking_update\",\"event_id\":\"as-e1\",\"msg\":{\"id\":\"trk_1\",\"tracking_number\":\"T1\","
     "\"tag\":\"InTransit\",\"updated_at\":\"2026-01-01T00:00:00Z\"}}",
     "{\"event\":\"tracking_update\",\"event_id\":\"as-e2\",\"msg\":{\"id\":\"trk_1\",\"tracking_number\":\"T1\","
     "\"tag\":\"InTransit\",\"updated_at\":\"2026-01-01T00:00:00Z\"}}",
     NULL, "as-e1", NULL},
    {"easypost", NULL,
     "{\"id\":\"evt_1\",\"description\":\"tracker.updated\",\"result\":{\"id\":\"trk_1\",\"tracking_code\":\"T1\","
     "\"status\":\"in_transit\",\"updated_at\":\"2026-01-01T00:00:00Z\"}}",
     "{\"id\":\"evt_2\",\"description\":\"tracker.updated\",\"result\":{\"id\":\"trk_1\",\"tracking_code\":\"T1\","
     "\"status\":\"in_transit\",\"updated_at\":\"2026-01-01T00:00:00Z\"}}",
     NULL, "evt_1", NULL},
    {"shippo", NULL,
     "{\"event\":\"track_updated\",\"data\":{\"tracking_number\":\"T1\",\"tracking_status\":{\"object_id\":\"ts_1\","
     "\"status\":\"TRANSIT\",\"status_date\":\"2026-01-01T00:00:00Z\"}}}",
     "{\"event\":\"track_updated\",\"data\":{\"tracking_number\":\"T1\",\"tracking_status\":{\"object_id\":\"ts_2\","
     "\"status\":\"TRANSIT\",\"status_date\":\"2026-01-01T00:00:00Z\"}}}",
     NULL, "ts_1", NULL},
    /* UPS Track Alert, DHL push, AyMakan and Carriyo's carrier feed carry no event id. */
    {"ups", NULL,
     "{\"trackingNumber\":\"1Z1\",\"activityStatus\":{\"type\":\"I\"},\"gmtActivityDate\":\"20260101\","
     "\"gmtActivityTime\":\"101010\"}",
     "{\"trackingNumber\":\"1Z2\",\"activityStatus\":{\"type\":\"I\"},\"gmtActivityDate\":\"20260101\","
     "\"gmtActivityTime\":\"101010\"}",
     NULL, NULL, "{\"trackingNumber\":\"1Z1\",\"activityStatus\":{\"type\":\"I\"}}"},
    {"dhl", NULL,
     "{\"shipments\":[{\"id\":\"D1\",\"status\":{\"statusCode\":\"transit\",\"timestamp\":\"2026-01-01T00:00:00Z\"}}]}",
     "{\"shipments\":[{\"id\":\"D2\",\"status\":{\"statusCode\":\"transit\",\"timestamp\":\"2026-01-01T00:00:00Z\"}}]}",
     NULL, NULL, "{\"shipments\":[{\"id\":\"D1\",\"status\":{\"statusCode\":\"transit\"}}]}"},
    {"aymakan", NULL,
     "{\"tracking_number\":\"AY1\",\"reference\":\"S-1\",\"status\":\"AY-0003\",\"date_time\":\"2026-01-01T00:00:00Z\"}",
     "{\"tracking_number\":\"AY1\",\"reference\":\"S-2\",\"status\":\"AY-0003\",\"date_time\":\"2026-01-01T00:00:00Z\"}",
     NULL, NULL, "{\"tracking_number\":\"AY1\",\"status\":\"AY-0003\"}"},
    {"carriyo-carrier", NULL,
     "{\"tracking_number\":\"C1\",\"partner_order_reference\":\"PO-1\",\"carriyo_status_code\":\"in_transit\","
     "\"status_update_date\":\"2026-01-01T00:00:00Z\"}",
     "{\"tracking_number\":\"C1\",\"partner_order_reference\":\"PO-2\",\"carriyo_status_code\":\"in_transit\","
     "\"status_update_date\":\"2026-01-01T00:00:00Z\"}",
     NULL, NULL, "{\"tracking_number\":\"C1\",\"carriyo_status_code\":\"in_transit\"}"},
    /* Carriyo: the event-id header is the id. */
    {"carriyo", "{\"event-id\":\"cy-1\"}",
     "{\"references\":{\"partner_order_reference\":\"PO-1\",\"partner_shipment_reference\":\"S-1\"},"
     "\"post_shipping_info\":{\"status\":\"shipped\"}}",
     "{\"references\":{\"partner_order_reference\":\"PO-2\",\"partner_shipment_reference\":\"S-1\"},"
     "\"post_shipping_info\":{\"status\":\"shipped\"}}",
     "{\"event-id\":\"cy-2\"}", "cy-1", NULL},
    /* Without the header: two orders' shipments, same status and date, no tracking number. */
    {"carriyo", NULL,
     "{\"references\":{\"partner_order_reference\":\"PO-1\",\"partner_shipment_reference\":\"S-1\"},"
     "\"post_shipping_info\":{\"status\":\"shipped\",\"status_date\":\"2026-01-01T00:00:00Z\"}}",
     "{\"references\":{\"partner_order_reference\":\"PO-2\",\"partner_shipment_reference\":\"S-1\"},"
     "\"post_shipping_info\":{\"status\":\"shipped\",\"status_date\":\"2026-01-01T00:00:00Z\"}}",
     NULL, NULL,
     "{\"references\":{\"partner_order_reference\":\"PO-1\",\"partner_shipment_reference\":\"S-1\"},"
     "\"post_shipping_info\":{\"status\":\"shipped\"}}"},
    {"wms", NULL,
     "{\"event_id\":\"w-1\",\"partner_order_reference\":\"PO-1\",\"fulfillment_order_id\":\"FO-1\",\"type\":\"PACKED\","
     "\"date\":\"2026-01-01T00:00:00Z\"}",
     "{\"event_id\":\"w-2\",\"partner_order_reference\":\"PO-2\",\"fulfillment_order_id\":\"FO-1\",\"type\":\"PACKED\","
     "\"date\":\"2026-01-01T00:00:00Z\"}",
     NULL, "w-1", NULL},
    /* A warehouse without event ids: two orders with the same FO-1, type and date. */
    {"wms", NULL,
     "{\"partner_order_reference\":\"PO-1\",\"fulfillment_order_id\":\"FO-1\",\"type\":\"PACKED\","
     "\"date\":\"2026-01-01T00:00:00Z\"}",
     "{\"partner_order_reference\":\"PO-2\",\"fulfillment_order_id\":\"FO-1\",\"type\":\"PACKED\","
     "\"date\":\"2026-01-01T00:00:00Z\"}",
     NULL, NULL, "{\"partner_order_reference\":\"PO-1\",\"fulfillment_order_id\":\"FO-1\",\"type\":\"PACKED\"}"},
};

static void every_adapter(void **state)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        char *a = key_of(r->kind, r->headers, r->body);
        char *again = key_of(r->kind, r->headers, r->body);
        char *b = key_of(r->kind, r->other_headers ? r->other_headers : r->headers, r->other);
        assert_non_null(a);
        assert_non_null(b);
        assert_string_equal(a, again); /* a retry is a duplicate */
        if (strcmp(a, b) == 0)
            fail_msg("%s: %s and %s share the key %s", r->kind, r->body, r->other, a);
        if (r->id) {
            char want[64];
            snprintf(want, sizeof want, "id:%s", r->id);
            assert_string_equal(a, want);
        } else {
            assert_memory_equal(a, "ev:", 3);
        }
        if (r->timeless) {
            char *none = key_of(r->kind, NULL, r->timeless);
            if (none)
                fail_msg("%s: an event without id or time got the key %s", r->kind, none);
        }
        free(a);
        free(again);
        free(b);
    }
    /* Every registered kind has a row. */
    const char *kinds = adapter_kinds();
    for (const char *p = kinds; *p;) {
        size_t len = strcspn(p, ",");
        char kind[32];
        snprintf(kind, sizeof kind, "%.*s", (int)len, p);
        bool found = false;
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
            found = found || strcmp(rows[i].kind, kind) == 0;
        if (!found)
            fail_msg("no row for adapter %s", kind);
        p += len;
        p += strspn(p, ", ");
    }
}

/* Every target member changes the key of an id-less event on its own. */
static void each_target_member_counts(void **state)
{
    static const char *const keys[] = {"partner_order_reference", "partner_shipment_reference", "shipment_id",
                                       "fulfillment_order_id", "tracking_no", "raw_status", "raw_substatus",
                                       "status", "event", "event_time"};
    json_t *base = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "kind", "shipment",
                             "partner_order_reference", "PO", "partner_shipment_reference", "S", "shipment_id",
                             "SID", "fulfillment_order_id", "FO", "tracking_no", "T", "raw_status", "R",
                             "raw_substatus", "RS", "status", "in_transit", "event", "E", "event_time",
                             "2026-01-01T00:00:00Z");
    char *k0 = event_key(base);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_deep_copy(base);
        json_object_set_new(v, keys[i], json_string("2026-01-02T00:00:00Z-other"));
        char *k = event_key(v);
        if (strcmp(k, k0) == 0)
            fail_msg("%s does not change the key", keys[i]);
        free(k);
        json_object_del(v, keys[i]);
        if (strcmp(keys[i], "event_time") != 0) {
            k = event_key(v);
            if (strcmp(k, k0) == 0)
                fail_msg("dropping %s does not change the key", keys[i]);
            free(k);
        }
        json_decref(v);
    }
    json_t *lines = json_deep_copy(base);
    json_object_set_new(lines, "line_items", json_pack("[s]", "L1"));
    char *k = event_key(lines);
    assert_string_not_equal(k, k0);
    free(k);
    json_decref(lines);
    free(k0);
    json_decref(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_adapter),
        cmocka_unit_test(each_target_member_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
