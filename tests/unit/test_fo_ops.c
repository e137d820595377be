/* Mirrors relay/fo_ops.c and relay/fo_updates.c: each fulfillment-order
 * operation's effect on FO lines, shipments and statuses, its change
 * entries, and every refusal (each naming what is allowed instead). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fo_ops.h"
#include "fo_regroup.h"
#include "fo_updates.h"
#include "jsonutil.h"
#include "order.h"

#define NOW "2026-01-01T00:00:00.000Z"

/* F1 at W1 holds L1 (3 units) and L2 (1); F2 without a location holds L3. */
static json_t *make(void)
{
    json_t *body = json_loads(
        "{\"partner_order_reference\":\"P\",\"delivery_method\":\"DELIVERY\","
        "\"delivery_address\":{\"city\":\"Dubai\",\"country\":\"AE\"},\"line_items\":["
        "{\"id\":\"L1\",\"sku\":\"A\",\"quantity\":3},{\"id\":\"L2\",\"sku\":\"B\",\"quantity\":1},"
        "{\"id\":\"L3\",\"sku\":\"C\",\"quantity\":1}],\"fulfillment_orders\":["
        "{\"fulfillment_order_id\":\"F1\",\"location_id\":\"W1\",\"line_items\":[\"L1\",\"L2\"]},"
        "{\"fulfillment_order_id\":\"F2\",\"line_items\":[\"L3\"]}]}",
        0, NULL);
    json_t *changes = json_array();
    char err[256];
    json_t *o = order_create(body, "t", "ord_abc", NULL, NOW, changes, err, sizeof err);
    assert_non_null(o);
    json_decref(body);
    json_decref(changes);
    return o;
}

static enum ops_result run(ops_fn fn, json_t *o, const char *fo_id, const char *body, json_t *ch, char *err,
                           const char *query)
{
    json_t *b = json_loads(body, 0, NULL);
    assert_non_null(b);
    struct ops_input in = {.body = b, .fo_id = fo_id, .nonce = "n1", .now = NOW,
                           .create_draft_shipment = query && strstr(query, "draft"),
                           .skip_shipping = query && strstr(query, "skip")};
    err[0] = '\0';
    enum ops_result r = fn(o, &in, ch, err, 512);
    json_decref(b);
    return r;
}

static json_t *fo(json_t *o, const char *id)
{
    return order_fo(o, id);
}

/* "status:quantity" of each FO line of id in fo, joined by spaces. */
static const char *lines_of(json_t *o, const char *fo_id, const char *id)
{
    static char buf[256];
    buf[0] = '\0';
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(fo(o, fo_id), "line_items"), i, e)
    {
        if (strcmp(ju_path_str(e, "line_item_id"), id))
            continue;
        char one[64];
        snprintf(one, sizeof one, "%s%s:%lld", buf[0] ? " " : "", ju_path_str(e, "status"),
                 (long long)json_integer_value(json_object_get(e, "quantity")));
        strcat(buf, one);
    }
    return buf;
}

static const char *st(json_t *o, const char *path)
{
    return ju_path_str(o, path);
}

static void fulfill_partial_and_whole(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    assert_int_equal(run(fo_fulfill, o, "F1", "{\"line_items\":[{\"id\":\"L1\",\"quantity\":2}],"
                                              "\"partner_fulfillment_reference\":\"PF-1\","
                                              "\"pre_booking_info\":{\"carrier_tracking_no\":\"TRK-9\"},"
                                              "\"carrier_account\":{\"carrier\":\"UPS\"}}",
                         ch, err, NULL),
                     OPS_CHANGED);
    /* a line fulfilled for some units: 2 fulfilled, 1 still allocated */
    assert_string_equal(lines_of(o, "F1", "L1"), "allocated:1 fulfilled:2");
    assert_string_equal(st(order_line(o, "L1"), "status"), "allocated");
    assert_string_equal(st(fo(o, "F1"), "status"), "processing");
    json_t *done = json_array_get(json_object_get(fo(o, "F1"), "line_items"), 1);
    assert_string_equal(st(done, "fulfillment_id"), "FFN101");
    assert_string_equal(st(done, "partner_fulfillment_reference"), "PF-1");
    json_t *s = json_array_get(json_object_get(o, "shipments"), 0);
    assert_string_equal(st(s, "shipment_id"), "SHN101");
    assert_string_equal(st(s, "status"), "pending");
    assert_string_equal(st(s, "tracking_no"), "TRK-9");
    assert_string_equal(st(s, "carrier_account.carrier"), "UPS");
    assert_string_equal(st(s, "fulfillment_id"), "FFN101");
    assert_string_equal(json_string_value(json_array_get(json_object_get(done, "shipment_ids"), 0)), "SHN101");
    /* more than remains is refused, naming what is allowed */
    assert_int_equal(run(fo_fulfill, o, "F1", "{\"line_items\":[{\"id\":\"L1\",\"quantity\":2}]}", ch, err, NULL),
                     OPS_REFUSED);
    assert_non_null(strstr(err, "has 1 unit open or allocated"));
    assert_non_null(strstr(err, "ship"));
    /* the same tracking number twice is a bad request */
    assert_int_equal(run(fo_fulfill, o, "F1", "{\"line_items\":[\"L2\"],\"pre_booking_info\":{\"carrier_tracking_no\":"
                                              "\"TRK-9\"}}", ch, err, NULL),
                     OPS_INVALID);
    /* the rest, as a draft shipment */
    assert_int_equal(run(fo_fulfill, o, "F1", "{\"line_items\":[{\"line_item_id\":\"L1\"},{\"id\":\"L2\"}]}", ch, err,
                         "create_draft_shipment=true"),
                     OPS_CHANGED);
    assert_string_equal(st(json_array_get(json_object_get(o, "shipments"), 1), "status"), "draft");
    assert_string_equal(st(fo(o, "F1"), "status"), "fulfilled");
    assert_string_equal(st(order_line(o, "L1"), "status"), "fulfilled");
    /* change entries: the fulfillment with its lines */
    assert_string_equal(st(json_array_get(ch, 1), "change_type"), "FULFILLMENT");
    assert_int_equal(run(fo_fulfill, o, "F9", "{\"line_items\":[\"L1\"]}", ch, err, NULL), OPS_NOT_FOUND);
    assert_int_equal(run(fo_fulfill, o, "F1", "{\"line_items\":[\"L3\"]}", ch, err, NULL), OPS_INVALID);
    assert_int_equal(run(fo_fulfill, o, "F1", "{}", ch, err, NULL), OPS_INVALID);
    assert_int_equal(run(fo_fulfill, o, "F1", "{\"line_items\":[\"L1\",\"L1\"]}", ch, err, NULL), OPS_INVALID);
    json_decref(o);
    json_decref(ch);
}

static void fulfill_without_shipping(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    assert_int_equal(run(fo_fulfill, o, "F1", "{\"line_items\":[\"L2\"]}", ch, err, "skip_shipping=true"), OPS_CHANGED);
    assert_string_equal(lines_of(o, "F1", "L2"), "closed:1");
    assert_int_equal(json_array_size(json_object_get(o, "shipments")), 0);
    /* a digital fulfillment order closes its lines as soon as they are fulfilled */
    json_object_set_new(fo(o, "F2"), "delivery_method", json_string("DIGITAL"));
    assert_int_equal(run(fo_fulfill, o, "F2", "{\"line_items\":[\"L3\"]}", ch, err, NULL), OPS_CHANGED);
    assert_string_equal(st(fo(o, "F2"), "status"), "closed");
    assert_int_equal(json_array_size(json_object_get(o, "shipments")), 0);
    json_decref(o);
    json_decref(ch);
}

static void unfulfill_by_fulfillment(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    run(fo_fulfill, o, "F1", "{\"line_items\":[{\"id\":\"L1\",\"quantity\":2}]}", ch, err, NULL);
    assert_int_equal(run(fo_unfulfill, o, "F1", "{\"fulfillment_ids\":[\"NOPE\"]}", ch, err, NULL), OPS_NOT_FOUND);
    assert_int_equal(run(fo_unfulfill, o, "F1", "{\"fulfillment_ids\":[\"FFN101\"]}", ch, err, NULL), OPS_CHANGED);
    /* back to allocated, merged with the unit that stayed */
    assert_string_equal(lines_of(o, "F1", "L1"), "allocated:3");
    assert_null(json_object_get(json_array_get(json_object_get(fo(o, "F1"), "line_items"), 0), "fulfillment_id"));
    /* its shipment carries nothing now and was still pending: cancelled */
    assert_string_equal(st(json_array_get(json_object_get(o, "shipments"), 0), "status"), "cancelled");
    size_t n = json_array_size(ch);
    assert_int_equal(run(fo_unfulfill, o, "F1", "{\"fulfillment_ids\":[\"FFN101\"]}", ch, err, NULL), OPS_NOOP);
    assert_int_equal(json_array_size(ch), n);
    assert_int_equal(run(fo_unfulfill, o, "F2", "{}", ch, err, NULL), OPS_REFUSED);
    assert_non_null(strstr(err, "fulfill it first"));
    assert_int_equal(run(fo_unfulfill, o, "F1", "{\"fulfillment_ids\":[]}", ch, err, NULL), OPS_INVALID);
    json_decref(o);
    json_decref(ch);
}

static void split_and_merge(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    assert_int_equal(run(fo_split, o, "F1", "{\"line_items\":[{\"id\":\"L1\",\"quantity\":1}],\"location_id\":\"W2\","
                                            "\"partner_fulfillment_order_reference\":\"PFO-S\"}",
                         ch, err, NULL),
                     OPS_CHANGED);
    json_t *n = json_array_get(json_object_get(o, "fulfillment_orders"), 1);
    assert_string_equal(st(n, "fulfillment_order_id"), "FON101");
    assert_string_equal(st(n, "location_id"), "W2");
    assert_string_equal(st(n, "delivery_address.city"), "Dubai"); /* the source's delivery data */
    assert_string_equal(lines_of(o, "FON101", "L1"), "allocated:1");
    assert_string_equal(lines_of(o, "F1", "L1"), "allocated:2");
    /* every unit would leave F1 empty */
    assert_int_equal(run(fo_split, o, "F1", "{\"line_items\":[\"L1\",\"L2\"]}", ch, err, NULL), OPS_REFUSED);
    assert_non_null(strstr(err, "update-location"));
    /* merge refusals: different locations, then fulfilled lines */
    assert_int_equal(run(fo_merge, o, NULL, "{\"source\":\"FON101\",\"destination\":{\"fulfillment_order_id\":\"F1\"}}",
                         ch, err, NULL),
                     OPS_REFUSED);
    assert_non_null(strstr(err, "update-location"));
    assert_int_equal(run(fo_update_location, o, "FON101", "{\"location_id\":\"W1\"}", ch, err, NULL), OPS_CHANGED);
    run(fo_fulfill, o, "F1", "{\"line_items\":[\"L2\"]}", ch, err, "skip_shipping=true");
    assert_int_equal(run(fo_merge, o, NULL, "{\"source\":{\"partner_fulfillment_order_reference\":\"PFO-S\"},"
                                            "\"destination\":\"F1\"}",
                         ch, err, NULL),
                     OPS_REFUSED);
    assert_non_null(strstr(err, "unfulfill"));
    /* without fulfilled lines, at one location: the source's lines move and it is deleted */
    json_t *o2 = make();
    run(fo_split, o2, "F1", "{\"line_items\":[{\"id\":\"L1\",\"quantity\":1}],\"location_id\":\"W1\"}", ch, err, NULL);
    assert_int_equal(run(fo_merge, o2, NULL, "{\"source\":\"FON101\",\"destination\":\"F1\"}", ch, err, NULL), OPS_CHANGED);
    assert_null(fo(o2, "FON101"));
    assert_string_equal(lines_of(o2, "F1", "L1"), "allocated:3");
    assert_int_equal(run(fo_merge, o2, NULL, "{\"source\":\"F1\",\"destination\":\"F1\"}", ch, err, NULL), OPS_INVALID);
    assert_int_equal(run(fo_merge, o2, NULL, "{\"source\":\"F1\"}", ch, err, NULL), OPS_INVALID);
    assert_int_equal(run(fo_merge, o2, NULL, "{\"source\":\"F1\",\"destination\":\"F7\"}", ch, err, NULL), OPS_NOT_FOUND);
    /* different delivery methods */
    json_object_set_new(fo(o2, "F2"), "location_id", json_string("W1"));
    json_object_set_new(fo(o2, "F2"), "delivery_method", json_string("COLLECTION"));
    assert_int_equal(run(fo_merge, o2, NULL, "{\"source\":\"F2\",\"destination\":\"F1\"}", ch, err, NULL), OPS_REFUSED);
    assert_non_null(strstr(err, "update-delivery-method"));
    json_decref(o2);
    json_decref(o);
    json_decref(ch);
}

static void ship_and_cancel(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    /* F2 has no location: its line is open and cannot be shipped */
    assert_int_equal(run(fo_ship, o, "F2", "{\"line_items\":[\"L3\"]}", ch, err, NULL), OPS_REFUSED);
    assert_non_null(strstr(err, "update-location"));
    run(fo_fulfill, o, "F1", "{\"line_items\":[{\"id\":\"L1\",\"quantity\":1}]}", ch, err, NULL);
    assert_int_equal(run(fo_ship, o, "F1", "{\"line_items\":[{\"id\":\"L1\",\"quantity\":3}]}", ch, err, NULL),
                     OPS_CHANGED);
    json_t *ships = json_object_get(o, "shipments");
    assert_int_equal(json_array_size(ships), 2);
    assert_string_equal(st(json_array_get(ships, 1), "link_source"), "ship");
    /* cancel: fulfilled units refuse; open ones cancel, counted in removed_quantities */
    assert_int_equal(run(fo_cancel, o, "F1", "{\"cancellation_reason\":\"X\",\"line_items\":[{\"id\":\"L1\",\"quantity\":3}]}",
                         ch, err, NULL),
                     OPS_REFUSED);
    assert_non_null(strstr(err, "unfulfilled"));
    assert_int_equal(run(fo_cancel, o, "F1", "{\"cancellation_reason\":\"X\",\"line_items\":[{\"id\":\"L1\",\"quantity\":2}]}",
                         ch, err, NULL),
                     OPS_CHANGED);
    assert_string_equal(lines_of(o, "F1", "L1"), "cancelled:2 fulfilled:1");
    assert_int_equal(json_integer_value(json_object_get(order_line(o, "L1"), "removed_quantities")), 2);
    assert_string_equal(st(order_line(o, "L1"), "status"), "fulfilled");
    /* the whole FO: refused while a line is fulfilled */
    assert_int_equal(run(fo_cancel, o, "F1", "{\"cancellation_reason\":\"X\"}", ch, err, NULL), OPS_REFUSED);
    assert_non_null(strstr(err, "must be unfulfilled before it can be cancelled"));
    assert_int_equal(run(fo_cancel, o, "F2", "{\"cancellation_reason\":\"X\"}", ch, err, NULL), OPS_CHANGED);
    assert_string_equal(st(fo(o, "F2"), "status"), "cancelled");
    assert_int_equal(run(fo_cancel, o, "F2", "{\"cancellation_reason\":\"X\"}", ch, err, NULL), OPS_NOOP);
    assert_int_equal(run(fo_ship, o, "F2", "{\"line_items\":[\"L3\"]}", ch, err, NULL), OPS_REFUSED);
    json_decref(o);
    json_decref(ch);
}

static void updates(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    /* re-allocation: F2's open line becomes allocated */
    assert_int_equal(run(fo_update_location, o, "F2", "{\"location_id\":\"W3\"}", ch, err, NULL), OPS_CHANGED);
    assert_string_equal(lines_of(o, "F2", "L3"), "allocated:1");
    assert_string_equal(st(o, "status"), "allocated");
    assert_int_equal(run(fo_update_location, o, "F2", "{\"location_id\":\"W3\"}", ch, err, NULL), OPS_NOOP);
    assert_int_equal(run(fo_update_location, o, "F2", "{}", ch, err, NULL), OPS_INVALID);
    /* address and schedule follow the method */
    assert_int_equal(run(fo_update_address, o, "F1", "{\"address\":{\"city\":\"Abu Dhabi\"}}", ch, err, NULL), OPS_CHANGED);
    assert_string_equal(st(fo(o, "F1"), "delivery_address.city"), "Abu Dhabi");
    assert_int_equal(run(fo_update_schedule, o, "F1", "{\"scheduled_from\":\"2026-05-03T09:00:00\"}", ch, err, NULL),
                     OPS_CHANGED);
    assert_string_equal(st(fo(o, "F1"), "delivery_schedule.scheduled_from"), "2026-05-03T09:00:00Z");
    assert_int_equal(run(fo_update_schedule, o, "F1", "{\"scheduled_from\":\"soon\"}", ch, err, NULL), OPS_INVALID);
    /* to COLLECTION: the delivery address and schedule are cleared */
    assert_int_equal(run(fo_update_delivery_method, o, "F1", "{\"delivery_method\":\"COLLECTION\",\"address\":"
                                                             "{\"partner_location_id\":\"STORE-1\"}}",
                         ch, err, NULL),
                     OPS_CHANGED);
    assert_true(json_is_null(json_object_get(fo(o, "F1"), "delivery_address")));
    assert_true(json_is_null(json_object_get(fo(o, "F1"), "delivery_schedule")));
    assert_string_equal(st(fo(o, "F1"), "customer_collection_address.partner_location_id"), "STORE-1");
    assert_int_equal(run(fo_update_address, o, "F1", "{\"address\":{\"city\":\"X\"}}", ch, err, NULL), OPS_CHANGED);
    assert_string_equal(st(fo(o, "F1"), "customer_collection_address.city"), "X");
    /* DIGITAL takes neither */
    assert_int_equal(run(fo_update_delivery_method, o, "F2", "{\"delivery_method\":\"DIGITAL\",\"address\":{}}", ch, err,
                         NULL),
                     OPS_INVALID);
    assert_int_equal(run(fo_update_delivery_method, o, "F2", "{\"delivery_method\":\"digital\"}", ch, err, NULL),
                     OPS_CHANGED);
    assert_int_equal(run(fo_update_address, o, "F2", "{\"address\":{\"city\":\"X\"}}", ch, err, NULL), OPS_REFUSED);
    assert_non_null(strstr(err, "update-delivery-method"));
    assert_int_equal(run(fo_update_delivery_method, o, "F2", "{\"delivery_method\":\"SLED\"}", ch, err, NULL),
                     OPS_INVALID);
    /* once processing: no new location or method */
    run(fo_fulfill, o, "F1", "{\"line_items\":[\"L2\"]}", ch, err, NULL);
    assert_int_equal(run(fo_update_location, o, "F1", "{\"location_id\":\"W9\"}", ch, err, NULL), OPS_REFUSED);
    assert_non_null(strstr(err, "split"));
    assert_int_equal(run(fo_update_delivery_method, o, "F1", "{\"delivery_method\":\"DELIVERY\"}", ch, err, NULL),
                     OPS_REFUSED);
    assert_non_null(strstr(err, "unfulfill"));
    json_decref(o);
    json_decref(ch);
}

static void partner_references(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    run(fo_fulfill, o, "F1", "{\"line_items\":[\"L2\"]}", ch, err, NULL);
    size_t n = json_array_size(ch);
    assert_int_equal(run(fo_update_partner_references, o, "F1",
                         "{\"partner_fulfillment_order_reference\":\"PFO-1\",\"fulfillments\":[{\"fulfillment_id\":"
                         "\"FFN101\",\"partner_fulfillment_reference\":\"WMS-7\"}]}",
                         ch, err, NULL),
                     OPS_CHANGED);
    assert_string_equal(st(fo(o, "F1"), "partner_fulfillment_order_reference"), "PFO-1");
    assert_string_equal(lines_of(o, "F1", "L2"), "fulfilled:1");
    json_t *e = ju_find_by(json_object_get(fo(o, "F1"), "line_items"), "fulfillment_id", "FFN101");
    assert_string_equal(st(e, "partner_fulfillment_reference"), "WMS-7");
    /* each kind of change carries its own trigger */
    assert_string_equal(st(json_array_get(ch, n), "trigger"), "FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_ORDER_REFERENCE");
    assert_string_equal(st(json_array_get(ch, n + 1), "trigger"), "FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_REFERENCES");
    assert_int_equal(run(fo_update_partner_references, o, "F1", "{\"partner_fulfillment_order_reference\":\"PFO-1\"}",
                         ch, err, NULL),
                     OPS_NOOP);
    assert_int_equal(run(fo_update_partner_references, o, "F2", "{\"partner_fulfillment_order_reference\":\"PFO-1\"}",
                         ch, err, NULL),
                     OPS_INVALID);
    assert_int_equal(run(fo_update_partner_references, o, "F1", "{\"fulfillments\":[{\"fulfillment_id\":\"X\","
                                                                "\"partner_fulfillment_reference\":\"Y\"}]}",
                         ch, err, NULL),
                     OPS_NOT_FOUND);
    assert_int_equal(run(fo_update_partner_references, o, "F1", "{}", ch, err, NULL), OPS_INVALID);
    json_decref(o);
    json_decref(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fulfill_partial_and_whole), cmocka_unit_test(fulfill_without_shipping),
        cmocka_unit_test(unfulfill_by_fulfillment),  cmocka_unit_test(split_and_merge),
        cmocka_unit_test(ship_and_cancel),           cmocka_unit_test(updates),
        cmocka_unit_test(partner_references),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
