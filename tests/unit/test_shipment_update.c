/* Mirrors relay/shipment_update.c: matching, the three ways of linking,
 * auto-close and its exclusion, repeats, late and unknown statuses, and the
 * request checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "jsonutil.h"
#include "order.h"
#include "carriyo.h"
#include "shipment_update.h"
#include "timeutil.h"

#define NOW "2026-01-01T00:00:00.000Z"

/* Two FOs: F1 {L1 (sku A), L2 (sku B)} with shipment S1 carrying L1; F2 {L3 (sku A)}. */
static json_t *make_order(void)
{
    json_t *body = json_loads(
        "{\"partner_order_reference\":\"P\",\"line_items\":["
        "{\"line_item_id\":\"L1\",\"sku\":\"A\",\"quantity\":1,\"status\":\"fulfilled\"},"
        "{\"line_item_id\":\"L2\",\"sku\":\"B\",\"quantity\":1,\"status\":\"fulfilled\"},"
        "{\"line_item_id\":\"L3\",\"sku\":\"A\",\"quantity\":1,\"status\":\"fulfilled\"}],"
        "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F1\",\"line_items\":[\"L1\",\"L2\"],"
        "\"shipments\":[{\"partner_shipment_reference\":\"S1\",\"line_items\":[\"L1\"]}]},"
        "{\"fulfillment_order_id\":\"F2\",\"line_items\":[\"L3\"]}]}",
        0, NULL);
    json_t *changes = json_array();
    char err[256];
    json_t *o = order_create(body, "t", "ord", NULL, NOW, changes, err, sizeof err);
    assert_non_null(o);
    json_decref(body);
    json_decref(changes);
    return o;
}

static enum shipment_update_result last_result;

/* Did the payload change the order (append change entries)? Its result is in last_result. */
static bool apply(json_t *o, const char *payload, bool autoclose, json_t *changes)
{
    json_t *p = json_loads(payload, 0, NULL);
    assert_non_null(p);
    char err[256];
    json_t *ev = carriyo_shipment_event(p, err, sizeof err);
    assert_non_null(ev);
    size_t before = json_array_size(changes);
    last_result = shipment_update_apply(o, ev, autoclose, NOW, changes);
    json_decref(ev);
    json_decref(p);
    return json_array_size(changes) > before;
}

static const char *line_status(json_t *o, const char *id)
{
    return json_string_value(json_object_get(order_line(o, id), "status"));
}

static json_t *shipment(json_t *o, size_t i)
{
    return json_array_get(json_object_get(o, "shipments"), i);
}

static void delivered_closes_explicit_links_once(void **state)
{
    json_t *o = make_order(), *ch = json_array();
    const char *p = "{\"references\":{\"partner_order_reference\":\"P\",\"partner_shipment_reference\":\"S1\"},"
                    "\"post_shipping_info\":{\"status\":\"delivered\",\"status_date\":\"2026-01-01T10:00:00Z\"}}";
    assert_true(apply(o, p, true, ch));
    assert_string_equal(line_status(o, "L1"), "closed");
    assert_string_equal(line_status(o, "L2"), "fulfilled");
    assert_string_equal(ju_path_str(json_array_get(json_object_get(o, "fulfillment_orders"), 0), "status"), "fulfilled");
    assert_string_equal(ju_path_str(o, "status"), "fulfilled");
    assert_string_equal(ju_path_str(shipment(o, 0), "status"), "delivered");
    size_t n = json_array_size(ch);
    assert_int_equal(n, 2); /* shipment status, line L1 */
    /* The same delivered again, with or without a new date: nothing. */
    assert_false(apply(o, p, true, ch));
    assert_false(apply(o, "{\"references\":{\"partner_order_reference\":\"P\",\"partner_shipment_reference\":\"S1\"},"
                          "\"post_shipping_info\":{\"status\":\"delivered\",\"status_date\":\"2026-01-02T10:00:00Z\"}}",
                       true, ch));
    assert_int_equal(json_array_size(ch), n);
    assert_int_equal(json_array_size(json_object_get(shipment(o, 0), "status_history")), 1);
    json_decref(o);
    json_decref(ch);
}

static void links_by_fulfillment_order_reference(void **state)
{
    json_t *o = make_order(), *ch = json_array();
    assert_true(apply(o, "{\"references\":{\"partner_order_reference\":\"P\",\"partner_shipment_reference\":\"S2\","
                         "\"fulfillment_order_id\":\"F2\"},\"post_shipping_info\":{\"status\":\"delivered\"}}",
                      true, ch));
    json_t *s = shipment(o, 1);
    assert_string_equal(ju_path_str(s, "link_source"), "fulfillment_order");
    assert_string_equal(ju_path_str(s, "fulfillment_order_id"), "F2");
    assert_int_equal(json_array_size(json_object_get(s, "line_items")), 1);
    assert_string_equal(line_status(o, "L3"), "closed");
    assert_string_equal(ju_path_str(json_array_get(json_object_get(o, "fulfillment_orders"), 1), "status"), "closed");
    json_decref(o);
    json_decref(ch);
}

static void links_by_sku_to_open_unlinked_lines(void **state)
{
    json_t *o = make_order(), *ch = json_array();
    /* sku A: L1 is already carried by S1, so L3 is the match; sku B: L2; sku Z: nothing. */
    assert_true(apply(o, "{\"references\":{\"partner_order_reference\":\"P\"},\"partner_shipment_reference\":\"S3\","
                         "\"items\":[{\"sku\":\"A\"},{\"sku\":\"B\"},{\"sku\":\"Z\"}],"
                         "\"post_shipping_info\":{\"status\":\"in_transit\"}}",
                      true, ch));
    json_t *s = shipment(o, 1);
    assert_string_equal(ju_path_str(s, "link_source"), "sku");
    json_t *links = json_object_get(s, "line_items");
    assert_int_equal(json_array_size(links), 2);
    assert_string_equal(ju_path_str(json_array_get(links, 0), "line_item_id"), "L3");
    assert_string_equal(ju_path_str(json_array_get(links, 1), "line_item_id"), "L2");
    assert_string_equal(ju_path_str(s, "fulfillment_order_id"), "F2");
    /* in_transit closes nothing */
    assert_string_equal(line_status(o, "L3"), "fulfilled");
    /* the link is kept: a later delivered of S3 (by reference only) closes both */
    assert_true(apply(o, "{\"references\":{\"partner_order_reference\":\"P\",\"partner_shipment_reference\":\"S3\"},"
                         "\"post_shipping_info\":{\"status\":\"delivered\"}}",
                      true, ch));
    assert_string_equal(line_status(o, "L3"), "closed");
    assert_string_equal(line_status(o, "L2"), "closed");
    assert_string_equal(line_status(o, "L1"), "fulfilled");
    json_decref(o);
    json_decref(ch);
}

static void excluded_source_records_but_never_closes(void **state)
{
    json_t *o = make_order(), *ch = json_array();
    assert_true(apply(o, "{\"references\":{\"partner_order_reference\":\"P\",\"partner_shipment_reference\":\"S1\"},"
                         "\"post_shipping_info\":{\"status\":\"delivered\"}}",
                      false, ch));
    assert_string_equal(ju_path_str(shipment(o, 0), "status"), "delivered");
    assert_string_equal(line_status(o, "L1"), "fulfilled");
    assert_string_equal(ju_path_str(o, "status"), "fulfilled");
    json_decref(o);
    json_decref(ch);
}

static void late_and_unknown_statuses_are_history(void **state)
{
    json_t *o = make_order(), *ch = json_array();
    const char *ref = "{\"references\":{\"partner_order_reference\":\"P\",\"partner_shipment_reference\":\"S1\"},"
                      "\"post_shipping_info\":{\"status\":\"%s\",\"status_date\":\"%s\"}}";
    char p[512];
    snprintf(p, sizeof p, ref, "delivered", "2026-01-02T00:00:00Z");
    assert_true(apply(o, p, true, ch));
    assert_int_equal(last_result, SHIPMENT_UPDATE_APPLIED);
    snprintf(p, sizeof p, ref, "in_transit", "2026-01-01T00:00:00Z");
    assert_true(apply(o, p, true, ch));
    assert_int_equal(last_result, SHIPMENT_UPDATE_HISTORY);
    json_t *s = shipment(o, 0);
    assert_string_equal(ju_path_str(s, "status"), "delivered");
    json_t *h = json_array_get(json_object_get(s, "status_history"), 1);
    assert_string_equal(ju_path_str(h, "status"), "in_transit");
    assert_true(json_is_false(json_object_get(h, "applied")));
    assert_string_equal(ju_path_str(json_array_get(ch, json_array_size(ch) - 1), "change_type"),
                        "SHIPMENT_STATUS_HISTORY");
    /* the same late event again: a repeat */
    assert_false(apply(o, p, true, ch));
    assert_int_equal(last_result, SHIPMENT_UPDATE_REPEAT);
    snprintf(p, sizeof p, ref, "Parcel_Teleported", "2026-01-03T00:00:00Z");
    assert_true(apply(o, p, true, ch));
    assert_int_equal(last_result, SHIPMENT_UPDATE_HISTORY);
    h = json_array_get(json_object_get(s, "status_history"), 2);
    assert_true(json_is_null(json_object_get(h, "status")));
    assert_string_equal(ju_path_str(h, "raw_status"), "Parcel_Teleported");
    assert_true(json_is_false(json_object_get(h, "known")));
    assert_string_equal(ju_path_str(s, "status"), "delivered");
    assert_string_equal(ju_path_str(json_array_get(ch, json_array_size(ch) - 1), "change_type"),
                        "SHIPMENT_STATUS_UNKNOWN");
    json_decref(o);
    json_decref(ch);
}

/* Without event times, a status that comes back is a new event: only the
 * current status (or, unmapped, the latest entry) again is a repeat. */
static void dateless_repeats_are_not_merged(void **state)
{
    json_t *o = make_order(), *ch = json_array();
    const char *ref = "{\"references\":{\"partner_order_reference\":\"P\",\"partner_shipment_reference\":\"S1\"},"
                      "\"post_shipping_info\":{\"status\":\"%s\"}}";
    static const char *const seq[] = {"in_transit", "delayed", "in_transit"};
    char p[512];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, ref, seq[i]);
        assert_true(apply(o, p, true, ch));
    }
    json_t *s = shipment(o, 0);
    assert_string_equal(ju_path_str(s, "status"), "in_transit");
    assert_int_equal(json_array_size(json_object_get(s, "status_history")), 3);
    /* in_transit once more: the current status, a repeat */
    assert_false(apply(o, p, true, ch));
    /* unmapped statuses: the latest again is a repeat, an older one is not */
    static const char *const odd[] = {"Odd_A", "Odd_A", "Odd_B", "Odd_A"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, ref, odd[i]);
        assert_int_equal(apply(o, p, true, ch), i != 1);
    }
    assert_int_equal(json_array_size(json_object_get(s, "status_history")), 6);
    /* the same source event id is a repeat whatever else it says */
    json_t *ev = json_pack("{s:s,s:s,s:s,s:s}", "kind", "shipment", "status", "delayed", "partner_shipment_reference",
                           "S1", "source_event_id", "e-1");
    assert_int_equal(shipment_update_apply(o, ev, true, NOW, ch), SHIPMENT_UPDATE_APPLIED);
    json_object_set_new(ev, "status", json_string("out_for_delivery"));
    assert_int_equal(shipment_update_apply(o, ev, true, NOW, ch), SHIPMENT_UPDATE_REPEAT);
    assert_string_equal(ju_path_str(s, "status"), "delayed");
    json_decref(ev);
    json_decref(o);
    json_decref(ch);
}

static void matches_by_tracking_number_and_learns_ids(void **state)
{
    json_t *o = make_order(), *ch = json_array();
    json_object_set_new(shipment(o, 0), "tracking_no", json_string("TRK1"));
    assert_true(apply(o, "{\"references\":{\"partner_order_reference\":\"P\"},\"shipment_id\":\"CAR-9\","
                         "\"post_shipping_info\":{\"status\":\"Shipped\",\"tracking_no\":\"TRK1\"}}",
                      true, ch));
    assert_int_equal(json_array_size(json_object_get(o, "shipments")), 1);
    assert_string_equal(ju_path_str(shipment(o, 0), "shipment_id"), "CAR-9");
    assert_string_equal(ju_path_str(shipment(o, 0), "status"), "shipped");
    json_decref(o);
    json_decref(ch);
}

static void fulfillment_order_only_payloads_share_that_orders_shipment(void **state)
{
    json_t *o = make_order(), *ch = json_array();
    assert_true(apply(o, "{\"references\":{\"partner_order_reference\":\"P\",\"fulfillment_order_id\":\"F2\"},"
                         "\"post_shipping_info\":{\"status\":\"in_transit\"}}",
                      true, ch));
    assert_true(apply(o, "{\"references\":{\"partner_order_reference\":\"P\",\"fulfillment_order_id\":\"F2\"},"
                         "\"post_shipping_info\":{\"status\":\"delivered\"}}",
                      true, ch));
    assert_int_equal(json_array_size(json_object_get(o, "shipments")), 2);
    assert_string_equal(ju_path_str(shipment(o, 1), "status"), "delivered");
    assert_string_equal(line_status(o, "L3"), "closed");
    /* another fulfillment order's unnamed shipment is another shipment */
    assert_true(apply(o, "{\"references\":{\"partner_order_reference\":\"P\",\"fulfillment_order_id\":\"F1\"},"
                         "\"post_shipping_info\":{\"status\":\"in_transit\"}}",
                      true, ch));
    assert_int_equal(json_array_size(json_object_get(o, "shipments")), 3);
    assert_string_equal(ju_path_str(shipment(o, 1), "status"), "delivered");
    assert_string_equal(ju_path_str(shipment(o, 2), "status"), "in_transit");
    json_decref(o);
    json_decref(ch);
}

static void validation(void **state)
{
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"[]", "the body must be a JSON object (a Carriyo Shipment)"},
        {"{}", "references.partner_order_reference is required (a non-empty string)"},
        {"{\"references\":{\"partner_order_reference\":1},\"post_shipping_info\":{\"status\":\"delivered\"}}",
         "references.partner_order_reference is required (a non-empty string)"},
        {"{\"references\":{\"partner_order_reference\":\"P\"}}",
         "post_shipping_info.status is required (a non-empty string of at most 64 bytes)"},
        {"{\"references\":{\"partner_order_reference\":\"P\"},\"post_shipping_info\":{\"status\":true}}",
         "post_shipping_info.status is required (a non-empty string of at most 64 bytes)"},
        {"{\"references\":{\"partner_order_reference\":\"P\"},\"post_shipping_info\":{\"status\":\"delivered\"},"
         "\"items\":[{\"quantity\":1}]}",
         "the payload names no shipment: give references.partner_shipment_reference, shipment_id, "
         "post_shipping_info.tracking_no, references.fulfillment_order_id or items[].sku"},
        {"{\"references\":{\"partner_order_reference\":\"P\",\"partner_shipment_reference\":\"S\"},"
         "\"post_shipping_info\":{\"status\":\"delivered\",\"status_date\":\"yesterday\"}}",
         "post_shipping_info.status_date must be an ISO 8601 date or date-time (e.g. 2026-11-22T10:15:00Z)"},
        {"{\"references\":{\"partner_order_reference\":\"P\",\"partner_shipment_reference\":\"S\"},"
         "\"post_shipping_info\":{\"status\":\"delivered\",\"status_date\":20261122}}",
         "post_shipping_info.status_date must be an ISO 8601 date or date-time (e.g. 2026-11-22T10:15:00Z)"},
        {"{\"references\":{\"partner_order_reference\":\"P\",\"partner_shipment_reference\":\"S\"},"
         "\"post_shipping_info\":{\"status\":\"delivered\",\"status_date\":\"2026-02-29T10:00:00Z\"}}",
         "post_shipping_info.status_date must be an ISO 8601 date or date-time (e.g. 2026-11-22T10:15:00Z)"},
        {"{\"references\":{\"partner_order_reference\":\"P\",\"partner_shipment_reference\":\"S\"},"
         "\"post_shipping_info\":{\"status\":\"delivered\"},\"update_date\":\"2026-11-22T25:00:00Z\"}",
         "update_date must be an ISO 8601 date or date-time (e.g. 2026-11-22T10:15:00Z)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *p = json_loads(cases[i].body, JSON_DECODE_ANY, NULL);
        char err[256] = "";
        assert_null(carriyo_shipment_event(p, err, sizeof err));
        assert_string_equal(err, cases[i].want);
        json_decref(p);
    }
    /* Dates as the sources write them pass. */
    static const char *const good[] = {"2026-11-22", "2026-11-22T10:15:00Z", "2026-11-22T10:15:00.123456Z",
                                       "2026-11-22T10:15:00+04:00", "2026-11-22 10:15", "2028-02-29T00:00:00-0530",
                                       "2026-11-20T15:41:26.000000Z"};
    static const char *const bad[] = {"", "2026-11-22T", "2026-13-01", "2026-11-31", "22/11/2026", "2026-11-22T10",
                                      "2026-11-22T10:15:00ZZ", "2026-11-22T10:15:00+4", "2026-11-22T10:15:00."};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!time_iso_valid(good[i]))
            fail_msg("%s refused", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (time_iso_valid(bad[i]))
            fail_msg("%s accepted", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delivered_closes_explicit_links_once),
        cmocka_unit_test(links_by_fulfillment_order_reference),
        cmocka_unit_test(links_by_sku_to_open_unlinked_lines),
        cmocka_unit_test(excluded_source_records_but_never_closes),
        cmocka_unit_test(late_and_unknown_statuses_are_history),
        cmocka_unit_test(matches_by_tracking_number_and_learns_ids),
        cmocka_unit_test(fulfillment_order_only_payloads_share_that_orders_shipment),
        cmocka_unit_test(dateless_repeats_are_not_merged),
        cmocka_unit_test(validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
