/* Mirrors relay/order_patch.c: simple members (only when present, every
 * change old → new), line items replaced, fulfillment orders replaced with
 * past-allocated lines kept, and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fo_ops.h"
#include "jsonutil.h"
#include "order.h"
#include "order_patch.h"

#define NOW "2026-01-01T00:00:00.000Z"

static json_t *make(void)
{
    json_t *body = json_loads(
        "{\"partner_order_reference\":\"P\",\"merchant\":\"M\",\"language\":\"en\",\"customer\":{\"contact_name\":\"Ada\"},"
        "\"line_items\":[{\"id\":\"L1\",\"sku\":\"A\",\"quantity\":2},{\"id\":\"L2\",\"sku\":\"B\",\"quantity\":1}],"
        "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F1\",\"partner_fulfillment_order_reference\":\"PF1\","
        "\"location_id\":\"W1\",\"line_items\":[\"L1\"]},{\"fulfillment_order_id\":\"F2\",\"line_items\":[\"L2\"]}]}",
        0, NULL);
    json_t *changes = json_array();
    char err[256];
    json_t *o = order_create(body, "t", "ord_abc", NULL, NOW, changes, err, sizeof err);
    assert_non_null(o);
    json_decref(body);
    json_decref(changes);
    return o;
}

static enum ops_result patch(json_t *o, const char *body, json_t *ch, char *err)
{
    json_t *b = json_loads(body, 0, NULL);
    assert_non_null(b);
    struct ops_input in = {.body = b, .nonce = "p1", .now = NOW};
    err[0] = '\0';
    enum ops_result r = order_patch(o, &in, ch, err, 512);
    json_decref(b);
    return r;
}

static json_t *find_change(json_t *ch, const char *type, const char *field)
{
    size_t i;
    json_t *c;
    json_array_foreach(ch, i, c)
    {
        if (!strcmp(ju_path_str(c, "change_type"), type) && (!field || (ju_path_str(c, "field") &&
                                                                      !strcmp(ju_path_str(c, "field"), field))))
            return c;
    }
    return NULL;
}

static void simple_members(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    assert_int_equal(patch(o, "{\"language\":\"ar\",\"order_date\":\"2026-05-01T10:00:00+04:00\",\"status\":\"closed\","
                              "\"customer\":null,\"merchant\":\"M\",\"unknown\":1}", ch, err),
                     OPS_CHANGED);
    assert_string_equal(ju_path_str(o, "language"), "ar");
    assert_true(json_is_null(json_object_get(o, "customer")));
    assert_string_equal(ju_path_str(o, "status"), "partially_allocated"); /* computed, never taken */
    assert_null(json_object_get(o, "unknown"));
    json_t *c = find_change(ch, "FIELD_UPDATE", "language");
    assert_non_null(c);
    assert_string_equal(ju_path_str(c, "old_value"), "en");
    assert_string_equal(ju_path_str(c, "new_value"), "ar");
    assert_non_null(find_change(ch, "FIELD_UPDATE", "customer"));
    assert_null(find_change(ch, "FIELD_UPDATE", "merchant")); /* unchanged: no entry */
    size_t n = json_array_size(ch);
    assert_int_equal(patch(o, "{\"language\":\"ar\"}", ch, err), OPS_NOOP);
    assert_int_equal(json_array_size(ch), n);
    assert_int_equal(patch(o, "{\"order_date\":\"later\"}", ch, err), OPS_INVALID);
    assert_non_null(strstr(err, "order_date"));
    assert_int_equal(patch(o, "{\"partner_order_reference\":null}", ch, err), OPS_INVALID);
    json_decref(o);
    json_decref(ch);
}

static void line_items_replace(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    /* L2 is in F2: it cannot go while F2 holds it */
    assert_int_equal(patch(o, "{\"line_items\":[{\"id\":\"L1\",\"sku\":\"A\",\"quantity\":2}]}", ch, err), OPS_INVALID);
    assert_non_null(strstr(err, "still in fulfillment order \"F2\""));
    /* nor shrink below what a fulfillment order holds */
    assert_int_equal(patch(o, "{\"line_items\":[{\"id\":\"L1\",\"sku\":\"A\",\"quantity\":1},"
                              "{\"id\":\"L2\",\"sku\":\"B\",\"quantity\":1}]}", ch, err),
                     OPS_INVALID);
    assert_non_null(strstr(err, "more than its quantity"));
    assert_int_equal(patch(o, "{\"line_items\":[{\"id\":\"L1\",\"sku\":\"A\",\"quantity\":5,\"unit_price\":9},"
                              "{\"id\":\"L2\",\"sku\":\"B\",\"quantity\":1},{\"id\":\"L3\",\"sku\":\"C\",\"quantity\":1}]}",
                           ch, err),
                     OPS_CHANGED);
    assert_int_equal(json_integer_value(json_object_get(order_line(o, "L1"), "quantity")), 5);
    assert_string_equal(ju_path_str(order_line(o, "L1"), "status"), "allocated"); /* the relay's, kept */
    assert_string_equal(ju_path_str(order_line(o, "L3"), "status"), "open");
    json_t *q = find_change(ch, "FIELD_UPDATE", "quantity");
    assert_int_equal(json_integer_value(json_object_get(q, "old_value")), 2);
    assert_non_null(find_change(ch, "FIELD_UPDATE", "unit_price"));
    assert_non_null(find_change(ch, "LINE_ITEM_ADDED", NULL));
    assert_int_equal(patch(o, "{\"line_items\":[{\"id\":\"L1\",\"sku\":\"A\",\"quantity\":1},{\"id\":\"L1\",\"sku\":\"A\","
                              "\"quantity\":1}]}", ch, err),
                     OPS_INVALID);
    assert_non_null(strstr(err, "used twice"));
    json_decref(o);
    json_decref(ch);
}

static void fulfillment_orders_replace(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    /* L1 has a fulfilled unit in F1: that one is kept whatever the request says */
    struct ops_input in = {.body = NULL, .fo_id = "F1", .nonce = "x1", .now = NOW};
    json_t *b = json_loads("{\"line_items\":[{\"id\":\"L1\",\"quantity\":1}]}", 0, NULL);
    in.body = b;
    assert_int_equal(fo_fulfill(o, &in, ch, err, 512), OPS_CHANGED);
    json_decref(b);
    /* F1 matched by its partner reference, its open units replaced; F2 dropped;
     * a new one at W2 for L2 */
    assert_int_equal(patch(o, "{\"fulfillment_orders\":[{\"partner_fulfillment_order_reference\":\"PF1\","
                              "\"line_items\":[{\"id\":\"L1\",\"quantity\":1}]},"
                              "{\"location_id\":\"W2\",\"delivery_method\":\"COLLECTION\",\"line_items\":[\"L2\"]}]}",
                           ch, err),
                     OPS_CHANGED);
    json_t *fos = json_object_get(o, "fulfillment_orders");
    assert_int_equal(json_array_size(fos), 2);
    assert_null(order_fo(o, "F2"));
    json_t *f1 = order_fo(o, "F1");
    assert_int_equal(json_array_size(json_object_get(f1, "line_items")), 2); /* fulfilled 1 + allocated 1 */
    json_t *n = json_array_get(fos, 1);
    assert_string_equal(ju_path_str(n, "fulfillment_order_id"), "FOP101");
    assert_string_equal(ju_path_str(n, "location_id"), "W2");
    assert_string_equal(ju_path_str(n, "delivery_method"), "COLLECTION");
    assert_string_equal(ju_path_str(json_array_get(json_object_get(n, "line_items"), 0), "status"), "allocated");
    assert_non_null(find_change(ch, "FULFILLMENT_ORDER_REMOVED", NULL));
    assert_non_null(find_change(ch, "FULFILLMENT_ORDER_ADDED", NULL));
    /* lines in the request must be open or allocated; no line held beyond its quantity */
    assert_int_equal(patch(o, "{\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F1\",\"line_items\":[{\"id\":\"L1\","
                              "\"status\":\"fulfilled\"}]}]}", ch, err),
                     OPS_INVALID);
    assert_non_null(strstr(err, "must be open or allocated"));
    assert_int_equal(patch(o, "{\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F1\",\"line_items\":[{\"id\":\"L1\","
                              "\"quantity\":2}]}]}", ch, err),
                     OPS_INVALID);
    assert_non_null(strstr(err, "more than its quantity"));
    assert_int_equal(patch(o, "{\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F1\"},{\"fulfillment_order_id\":\"F1\"}]}",
                           ch, err),
                     OPS_INVALID);
    /* an FO left out keeps its fulfilled lines */
    assert_int_equal(patch(o, "{\"fulfillment_orders\":[]}", ch, err), OPS_CHANGED);
    assert_non_null(order_fo(o, "F1"));
    assert_int_equal(json_array_size(json_object_get(order_fo(o, "F1"), "line_items")), 1);
    assert_int_equal(json_array_size(json_object_get(o, "fulfillment_orders")), 1);
    json_decref(o);
    json_decref(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(simple_members), cmocka_unit_test(line_items_replace),
                                       cmocka_unit_test(fulfillment_orders_replace)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
