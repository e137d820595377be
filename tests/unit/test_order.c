/* Mirrors relay/order.c: building an order (every refusal names its field),
 * lifting shipments out of fulfillment orders, and the rollup with its
 * change entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "jsonutil.h"
#include "order.h"
#include "order_shape.h"
#include "timeutil.h"

#define NOW "2026-01-01T00:00:00.000Z"

static const char *base_order =
    "{\"partner_order_reference\":\"PO-1\",\"customer\":{\"name\":\"Ada\"},\"extra\":{\"kept\":true},"
    "\"creation_source\":{\"source_type\":\"SHOPIFY\"},"
    "\"line_items\":[{\"line_item_id\":\"L1\",\"sku\":\"A\",\"quantity\":1},"
    "{\"line_item_id\":\"L2\",\"sku\":\"B\",\"quantity\":2,\"status\":\"allocated\"},"
    "{\"line_item_id\":\"L3\",\"sku\":\"C\",\"quantity\":1}],"
    "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"FO1\",\"location\":{\"id\":\"W1\"},"
    "\"line_items\":[\"L1\",{\"line_item_id\":\"L2\",\"quantity\":1}],"
    "\"shipments\":[{\"partner_shipment_reference\":\"S1\",\"tracking_no\":\"T1\",\"line_items\":[\"L1\"]}]}]}";

static json_t *create(const char *text, char *err, size_t errlen, json_t *changes)
{
    json_t *body = json_loads(text, 0, NULL);
    assert_non_null(body);
    json_t *o = order_create(body, "t1", "ord_1", NULL, NOW, changes, err, errlen);
    json_decref(body);
    return o;
}

static void builds_a_normalised_order(void **state)
{
    char err[256];
    json_t *changes = json_array();
    json_t *o = create(base_order, err, sizeof err, changes);
    assert_non_null(o);
    assert_string_equal(ju_path_str(o, "tenant"), "t1");
    assert_string_equal(ju_path_str(o, "order_id"), "ord_1");
    assert_string_equal(ju_path_str(o, "creation_date"), NOW);
    assert_string_equal(ju_path_str(o, "customer.name"), "Ada");
    assert_true(json_is_true(ju_path(o, "extra.kept")));
    /* a line without a status in a located fulfillment order is allocated there */
    assert_string_equal(json_string_value(json_object_get(order_line(o, "L1"), "status")), "allocated");
    json_t *fo = json_array_get(json_object_get(o, "fulfillment_orders"), 0);
    assert_null(json_object_get(fo, "shipments"));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(fo, "line_items"), 0), "quantity")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(fo, "line_items"), 1), "quantity")), 1);
    /* FO1's lines are allocated; L3 is in no FO, so the order is not yet allocated. */
    assert_string_equal(ju_path_str(fo, "status"), "allocated");
    assert_string_equal(ju_path_str(json_array_get(json_object_get(fo, "line_items"), 0), "status"), "allocated");
    assert_string_equal(ju_path_str(fo, "location_id"), "W1");
    assert_string_equal(ju_path_str(fo, "delivery_method"), "DELIVERY");
    assert_string_equal(ju_path_str(o, "status"), "partially_allocated");
    json_t *s = json_array_get(json_object_get(o, "shipments"), 0);
    assert_string_equal(ju_path_str(s, "fulfillment_order_id"), "FO1");
    assert_string_equal(ju_path_str(s, "link_source"), "order_creation");
    assert_true(json_is_null(json_object_get(s, "status")));
    assert_int_equal(json_array_size(changes), 1);
    assert_string_equal(ju_path_str(json_array_get(changes, 0), "change_type"), "ORDER_CREATED");
    json_decref(o);
    json_decref(changes);
}

static void ignores_given_statuses_and_defaults_source(void **state)
{
    char err[256];
    json_t *changes = json_array();
    json_t *o = create("{\"partner_order_reference\":\"P\",\"status\":\"closed\","
                       "\"line_items\":[{\"line_item_id\":\"L1\",\"sku\":\"A\",\"quantity\":1}],"
                       "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F\",\"status\":\"closed\",\"line_items\":[\"L1\"]}]}",
                       err, sizeof err, changes);
    assert_non_null(o);
    assert_string_equal(ju_path_str(o, "status"), "open");
    assert_string_equal(ju_path_str(json_array_get(json_object_get(o, "fulfillment_orders"), 0), "status"), "open");
    assert_string_equal(ju_path_str(o, "creation_source.source_type"), "API");
    json_decref(o);
    json_decref(changes);
}

static void refusals_name_the_field(void **state)
{
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"{}", "partner_order_reference is required"},
        {"{\"partner_order_reference\":7}", "partner_order_reference must be a non-empty string of at most 255 bytes"},
        {"{\"partner_order_reference\":\"\"}", "partner_order_reference must be a non-empty string of at most 255 bytes"},
        {"{\"partner_order_reference\":\"P\"}", "line_items must be a non-empty array"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[]}", "line_items must be a non-empty array"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[3]}", "line_items[0] must be an object"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"sku\":\"A\",\"quantity\":1}]}",
         "line_items[0].line_item_id is required"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"quantity\":1}]}",
         "line_items[0].sku is required"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":0}]}",
         "line_items[0].quantity must be a positive integer"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":\"2\"}]}",
         "line_items[0].quantity must be a positive integer"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1},"
         "{\"line_item_id\":\"L\",\"sku\":\"B\",\"quantity\":1}]}",
         "line_items[1].line_item_id \"L\" is used twice"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1,\"status\":\"shipped\"}]}",
         "line_items[0].status must be one of open, allocated, pick_in_progress, picked, pack_in_progress, fulfilled, closed, cancelled"},
        {"{\"partner_order_reference\":\"P\",\"customer\":\"x\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}]}",
         "customer must be an object or null"},
        {"{\"partner_order_reference\":\"P\",\"order_date\":\"yesterday\"}",
         "order_date must be an ISO 8601 date-time (e.g. 2026-05-01T10:00:00+04:00)"},
        {"{\"partner_order_reference\":\"P\",\"merchant\":\"\"}", "merchant must be a non-empty string of at most 255 bytes"},
        {"{\"partner_order_reference\":\"P\",\"taxes_included\":\"yes\"}", "taxes_included must be true or false"},
        {"{\"partner_order_reference\":\"P\",\"carriyo_metadata\":[{\"value\":1}]}",
         "carriyo_metadata must be an array of {\"key\", \"value\"}"},
        {"{\"partner_order_reference\":\"P\",\"delivery_method\":\"DRONE\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}]}",
         "delivery_method must be DELIVERY, COLLECTION or DIGITAL"},
        {"{\"partner_order_reference\":\"P\",\"delivery_schedule\":{\"scheduled_from\":\"soon\"},\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}]}",
         "delivery_schedule.scheduled_from must be an ISO 8601 date-time"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"id\":\"L\",\"line_item_id\":\"M\",\"sku\":\"A\",\"quantity\":1}]}",
         "line_items[0].id and line_item_id differ"},
        {"{\"partner_order_reference\":\"P\",\"creation_source\":{\"source_type\":1},\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}]}",
         "creation_source.source_type must be a string"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}],"
         "\"fulfillment_orders\":{}}",
         "fulfillment_orders must be an array"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}],"
         "\"fulfillment_orders\":[{\"fulfillment_order_id\":7,\"line_items\":[\"L\"]}]}",
         "fulfillment_orders[0].fulfillment_order_id must be a non-empty string of at most 255 bytes"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}],"
         "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F\",\"line_items\":[\"X\"]}]}",
         "fulfillment_orders[0].line_items[0] must name a line item of this order"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}],"
         "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F\",\"line_items\":[\"L\"]},"
         "{\"fulfillment_order_id\":\"G\",\"line_items\":[\"L\"]}]}",
         "fulfillment_orders[1].line_items[0]: line item \"L\" is already in fulfillment_orders[0].line_items"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}],"
         "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F\",\"line_items\":[\"L\"]},{\"fulfillment_order_id\":\"F\"}]}",
         "fulfillment_orders[1].fulfillment_order_id \"F\" is used twice"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1},"
         "{\"line_item_id\":\"M\",\"sku\":\"B\",\"quantity\":1}],"
         "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F\",\"line_items\":[\"L\"],"
         "\"shipments\":[{\"partner_shipment_reference\":\"S\",\"line_items\":[\"M\"]}]}]}",
         "fulfillment_orders[0].shipments[0].line_items[0]: line item \"M\" is not in fulfillment order \"F\""},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}],"
         "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F\",\"line_items\":[\"L\"],\"shipments\":[{}]}]}",
         "fulfillment_orders[0].shipments[0] needs partner_shipment_reference or tracking_no"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}],"
         "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F\",\"line_items\":[{\"line_item_id\":\"L\",\"quantity\":-1}]}]}",
         "fulfillment_orders[0].line_items[0].quantity must be a positive integer"},
        {"{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L\",\"sku\":\"A\",\"quantity\":1}],"
         "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F\",\"line_items\":[{\"id\":\"L\",\"quantity\":2}]}]}",
         "fulfillment_orders[0].line_items[0].quantity is 2, more than line item \"L\" has (1)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        json_t *changes = json_array();
        json_t *o = create(cases[i].body, err, sizeof err, changes);
        if (o || strcmp(err, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, o ? "(accepted)" : err, cases[i].want);
        json_decref(changes);
    }
}

static int set_line(json_t *o, const char *id, const char *status, json_t *log)
{
    json_t *by_line = order_entries_by_line(o);
    int moved = order_set_line_status(by_line, order_line(o, id), status, log);
    json_decref(by_line);
    return moved;
}

static void recompute_logs_each_move(void **state)
{
    char err[256];
    json_t *changes = json_array();
    json_t *o = create("{\"partner_order_reference\":\"P\",\"line_items\":["
                       "{\"line_item_id\":\"L1\",\"sku\":\"A\",\"quantity\":1,\"status\":\"fulfilled\"},"
                       "{\"line_item_id\":\"L2\",\"sku\":\"B\",\"quantity\":1,\"status\":\"fulfilled\"}],"
                       "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F1\",\"line_items\":[\"L1\"]},"
                       "{\"fulfillment_order_id\":\"F2\",\"line_items\":[\"L2\"]}]}",
                       err, sizeof err, changes);
    assert_non_null(o);
    assert_string_equal(ju_path_str(o, "status"), "fulfilled");
    json_t *log = json_array();
    assert_int_equal(order_recompute(o, log), 0);
    assert_int_equal(json_array_size(log), 0);
    assert_int_equal(set_line(o, "L1", "closed", log), 1);
    assert_int_equal(set_line(o, "L1", "closed", log), 0);
    assert_string_equal(ju_path_str(json_array_get(ju_path(o, "fulfillment_orders"), 0), "status"), "fulfilled");
    assert_int_equal(order_recompute(o, log), 1); /* F1 closed; the order stays fulfilled */
    assert_string_equal(ju_path_str(o, "status"), "fulfilled");
    set_line(o, "L2", "closed", log);
    assert_int_equal(order_recompute(o, log), 2);
    assert_string_equal(ju_path_str(o, "status"), "closed");
    /* line L1, F1, line L2, F2, order */
    assert_int_equal(json_array_size(log), 5);
    json_t *last = json_array_get(log, 4);
    assert_string_equal(ju_path_str(last, "entity_type"), "order");
    assert_string_equal(ju_path_str(last, "old_value"), "fulfilled");
    assert_string_equal(ju_path_str(last, "new_value"), "closed");
    json_decref(log);
    json_decref(o);
    json_decref(changes);
}

static void carriyo_members(void **state)
{
    char err[256];
    json_t *changes = json_array();
    json_t *origin = json_pack("{s:s,s:s,s:s,s:s,s:s}", "source_type", "API", "source_id", "t1", "api_pattern",
                               "POST /orders", "request_type", "ORDER_CREATE", "system_log_identifier", "slg_1");
    json_t *body = json_loads(
        "{\"partner_order_reference\":\"P\",\"order_date\":\"2026-05-01T10:00:00\",\"language\":\"ar\","
        "\"creation_source\":{\"source_type\":\"SHOPIFY\",\"system_log_identifier\":\"forged\"},"
        "\"customer\":{\"customer_key\":\"C-9\"},\"status\":\"closed\",\"redacted\":true,"
        "\"delivery_method\":\"collection\",\"customer_collection_address\":{\"city\":\"Dubai\"},"
        "\"delivery_schedule\":{\"scheduled_from\":\"2026-05-02T09:00:00+04:00\"},"
        "\"line_items\":[{\"id\":\"L1\",\"sku\":\"A\",\"quantity\":2},{\"id\":\"L2\",\"sku\":\"B\",\"quantity\":1}],"
        "\"fulfillment_orders\":[{\"location_id\":\"W1\",\"line_items\":[{\"id\":\"L1\",\"quantity\":2}]}]}",
        0, NULL);
    json_t *o = order_create(body, "t1", "ord_ab12cd34ef", origin, NOW, changes, err, sizeof err);
    assert_non_null(o);
    /* given, normalised, defaulted */
    assert_string_equal(ju_path_str(o, "order_date"), "2026-05-01T10:00:00Z");
    assert_string_equal(ju_path_str(o, "merchant"), "t1");
    assert_string_equal(ju_path_str(o, "customer_key"), "C-9");
    assert_true(json_is_null(json_object_get(o, "sales_channel")));
    assert_true(json_is_false(json_object_get(o, "redacted")));
    assert_true(json_is_false(json_object_get(o, "auto_allocation_failed")));
    assert_true(json_is_null(json_object_get(o, "cancellation_reason")));
    assert_int_equal(json_array_size(json_object_get(o, "error_details")), 0);
    assert_int_equal(json_array_size(json_object_get(o, "carriyo_metadata")), 0);
    /* the client names its kind of source; the relay the rest */
    assert_string_equal(ju_path_str(o, "creation_source.source_type"), "SHOPIFY");
    assert_string_equal(ju_path_str(o, "creation_source.system_log_identifier"), "slg_1");
    assert_string_equal(ju_path_str(o, "creation_source.request_type"), "ORDER_CREATE");
    assert_true(json_equal(json_object_get(o, "creation_source"), json_object_get(o, "update_source")));
    /* delivery members: on the FO, not the order; kept while L2 has no FO */
    assert_null(json_object_get(o, "delivery_method"));
    json_t *fo = json_array_get(json_object_get(o, "fulfillment_orders"), 0);
    assert_string_equal(ju_path_str(fo, "fulfillment_order_id"), "FOAB12CD34EF01");
    assert_string_equal(ju_path_str(fo, "delivery_method"), "COLLECTION");
    assert_string_equal(ju_path_str(fo, "customer_collection_address.city"), "Dubai");
    assert_string_equal(ju_path_str(fo, "delivery_schedule.scheduled_from"), "2026-05-02T09:00:00+04:00");
    assert_true(json_is_null(json_object_get(fo, "delivery_address")));
    assert_string_equal(ju_path_str(o, "pending_delivery.delivery_method"), "COLLECTION");
    json_t *line = order_line(o, "L1");
    assert_string_equal(ju_path_str(line, "id"), "L1");
    assert_string_equal(ju_path_str(json_array_get(json_object_get(fo, "line_items"), 0), "id"), "L1");
    assert_string_equal(ju_path_str(o, "status"), "partially_allocated");
    json_decref(o);
    json_decref(body);
    json_decref(origin);
    json_decref(changes);
}

static void line_status_derives_from_fo_lines(void **state)
{
    char err[256];
    json_t *changes = json_array();
    json_t *o = create("{\"partner_order_reference\":\"P\",\"line_items\":["
                       "{\"line_item_id\":\"L1\",\"sku\":\"A\",\"quantity\":3}],"
                       "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F1\",\"location_id\":\"W\",\"line_items\":[\"L1\"]}]}",
                       err, sizeof err, changes);
    assert_non_null(o);
    json_t *fo_lines = ju_path(json_array_get(ju_path(o, "fulfillment_orders"), 0), "line_items");
    /* 2 of 3 units fulfilled: two FO lines for one order line */
    json_t *done = json_deep_copy(json_array_get(fo_lines, 0));
    json_object_set_new(done, "quantity", json_integer(2));
    json_object_set_new(done, "status", json_string("fulfilled"));
    json_object_set_new(json_array_get(fo_lines, 0), "quantity", json_integer(1));
    json_array_append_new(fo_lines, done);
    json_t *log = json_array();
    order_recompute(o, log);
    assert_string_equal(ju_path_str(order_line(o, "L1"), "status"), "allocated"); /* the least advanced */
    assert_string_equal(ju_path_str(o, "status"), "processing");
    json_t *by_line = order_entries_by_line(o);
    assert_int_equal(json_array_size(json_object_get(by_line, "L1")), 2);
    assert_ptr_equal(json_array_get(json_object_get(by_line, "L1"), 0), json_array_get(fo_lines, 0));
    assert_ptr_equal(json_array_get(json_object_get(by_line, "L1"), 1), json_array_get(fo_lines, 1));
    assert_int_equal(json_object_size(by_line), 1);
    json_decref(by_line);
    order_set_entry_status(json_array_get(fo_lines, 0), "cancelled");
    order_recompute(o, log);
    assert_string_equal(ju_path_str(order_line(o, "L1"), "status"), "fulfilled");
    assert_string_equal(ju_path_str(o, "status"), "fulfilled");
    order_set_entry_status(json_array_get(fo_lines, 1), "closed");
    order_recompute(o, log);
    assert_string_equal(ju_path_str(order_line(o, "L1"), "status"), "closed");
    /* a document stored before FO lines had statuses takes its lines' */
    json_object_del(json_array_get(fo_lines, 1), "status");
    json_object_set_new(order_line(o, "L1"), "status", json_string("picked"));
    order_recompute(o, log);
    assert_string_equal(ju_path_str(json_array_get(fo_lines, 1), "status"), "picked");
    /* and so does every order read from the store, before anything is applied to it */
    json_object_del(json_array_get(fo_lines, 0), "status");
    json_object_set_new(order_line(o, "L1"), "status", json_string("fulfilled"));
    order_shape_defaults(o);
    assert_string_equal(ju_path_str(json_array_get(fo_lines, 0), "status"), "fulfilled");
    char id[32];
    order_make_id("FF", "ab12cd34ef56789", 3, id);
    assert_string_equal(id, "FFAB12CD34EF5603");
    json_decref(log);
    json_decref(o);
    json_decref(changes);
}

static void dates_and_reasons(void **state)
{
    static const struct {
        const char *in, *out; /* out NULL: refused */
    } cases[] = {
        {"2026-05-01T10:00:00", "2026-05-01T10:00:00Z"},
        {"2026-05-01T10:00:00.5+04:00", "2026-05-01T10:00:00.5+04:00"},
        {"2026-05-01T10:00Z", "2026-05-01T10:00Z"},
        {"2026-05-01T10:00:00-0330", "2026-05-01T10:00:00-0330"},
        {"2026-05-01", "2026-05-01T00:00:00.000Z"},
        {"2026-13-01", NULL}, {"2026-05-01T25:00", NULL}, {"2026-05-01T10:00:00+4", NULL},
        {"2026-05-01T10:00:00.", NULL}, {"May 1", NULL}, {"2026-05-01T10:00:00Zjunk", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = json_string(cases[i].in), *d = order_shape_date(v);
        if (cases[i].out ? !d || strcmp(json_string_value(d), cases[i].out) : d != NULL)
            fail_msg("%s gave %s", cases[i].in, d ? json_string_value(d) : "(refused)");
        json_decref(v);
        json_decref(d);
    }
    int64_t ms;
    int off;
    assert_int_equal(time_parse_iso("2026-01-01T04:00:00+04:00", &ms, &off), 0);
    int64_t utc;
    assert_int_equal(time_parse_iso("2026-01-01T00:00:00Z", &utc, NULL), 0);
    assert_true(ms == utc && off == 1);
    assert_string_equal(order_shape_cancellation_reason("customer_cancellation"), "CUSTOMER_CANCELLATION");
    assert_string_equal(order_shape_cancellation_reason("PAYMENT_ISSUE"), "PAYMENT_ISSUE");
    assert_string_equal(order_shape_cancellation_reason("ORDER_CANCELLED"), "OTHER"); /* the connector's value */
    assert_string_equal(order_shape_cancellation_reason(NULL), "OTHER");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_a_normalised_order),
        cmocka_unit_test(ignores_given_statuses_and_defaults_source),
        cmocka_unit_test(refusals_name_the_field),
        cmocka_unit_test(recompute_logs_each_move),
        cmocka_unit_test(carriyo_members),
        cmocka_unit_test(line_status_derives_from_fo_lines),
        cmocka_unit_test(dates_and_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
