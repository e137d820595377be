/* Mirrors relay/allocation.c: rule syntax, first-match-wins matching by
 * country, sku prefix and merchant, allocation of an order's open lines
 * (one fulfillment order per location, delivery members copied), the
 * failure flag and its error_details, and the on-demand operation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "allocation.h"
#include "config.h"
#include "jsonutil.h"
#include "order.h"

#define NOW "2026-01-01T00:00:00.000Z"

static struct allocation_rule rules[3];

static int setup(void **state)
{
    char err[256];
    assert_int_equal(allocation_rule_parse("WH-DXB country=AE,om sku=MUG-,TEA-", &rules[0], err, sizeof err), 0);
    assert_int_equal(allocation_rule_parse("  WH-RUH\tcountry=SA  ", &rules[1], err, sizeof err), 0);
    assert_int_equal(allocation_rule_parse("WH-GIFTS merchant=SHOP-B sku=GIFT-", &rules[2], err, sizeof err), 0);
    return 0;
}

static int teardown(void **state)
{
    for (int i = 0; i < 3; i++)
        allocation_rule_free(&rules[i]);
    return 0;
}

static void syntax(void **state)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"", "allocation_rule needs a location id"},
        {"country=AE", "allocation_rule must start with a location id, not \"country=AE\""},
        {"WH colour=red", "allocation_rule: \"colour=red\" is not country=CC[,CC], sku=PREFIX[,PREFIX] or "
                          "merchant=M[,M] (each at most once)"},
        {"WH country=AE country=SA", "allocation_rule: \"country=SA\" is not country=CC[,CC], sku=PREFIX[,PREFIX] or "
                                     "merchant=M[,M] (each at most once)"},
        {"WH country=UAE", "allocation_rule: country \"UAE\" is not an ISO alpha-2 code"},
        {"WH sku=", "allocation_rule: \"sku=\" is not country=CC[,CC], sku=PREFIX[,PREFIX] or merchant=M[,M] (each at "
                    "most once)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct allocation_rule r;
        char err[256] = "";
        assert_int_equal(allocation_rule_parse(bad[i].text, &r, err, sizeof err), -1);
        assert_string_equal(err, bad[i].want);
    }
    assert_string_equal(rules[1].location, "WH-RUH");
    assert_null(rules[1].skus);
}

static void matching(void **state)
{
    assert_string_equal(allocation_match(rules, 3, "AE", "MUG-RED", "M"), "WH-DXB");
    assert_string_equal(allocation_match(rules, 3, "ae", "TEA-1", "M"), "WH-DXB"); /* countries in any case */
    assert_string_equal(allocation_match(rules, 3, "OM", "MUG-RED", "M"), "WH-DXB");
    assert_null(allocation_match(rules, 3, "AE", "mug-red", "M")); /* sku prefixes are exact */
    assert_string_equal(allocation_match(rules, 3, "SA", "MUG-RED", "M"), "WH-RUH");
    assert_string_equal(allocation_match(rules, 3, NULL, "GIFT-50", "SHOP-B"), "WH-GIFTS");
    assert_null(allocation_match(rules, 3, NULL, "GIFT-50", "SHOP-A"));
    assert_null(allocation_match(rules, 3, NULL, "MUG-RED", "M")); /* no country: country rules do not match */
    assert_null(allocation_match(rules, 0, "AE", "MUG-RED", "M"));
}

static json_t *make(const char *country)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"partner_order_reference\":\"P\",\"merchant\":\"M\",\"delivery_method\":\"DELIVERY\","
             "\"delivery_address\":{\"city\":\"X\",\"country\":\"%s\"},\"line_items\":["
             "{\"id\":\"L1\",\"sku\":\"MUG-RED\",\"quantity\":2},{\"id\":\"L2\",\"sku\":\"TEA-1\",\"quantity\":1},"
             "{\"id\":\"L3\",\"sku\":\"BOOK-1\",\"quantity\":1}]}",
             country);
    json_t *body = json_loads(text, 0, NULL), *changes = json_array();
    char err[256];
    json_t *o = order_create(body, "t", "ord_abc", NULL, NOW, changes, err, sizeof err);
    assert_non_null(o);
    json_decref(body);
    json_decref(changes);
    return o;
}

static void run_at_ingestion_and_later(void **state)
{
    json_t *o = make("AE"), *ch = json_array();
    assert_non_null(json_object_get(o, "pending_delivery"));
    assert_int_equal(allocation_run(o, rules, 3, NULL, NULL, NULL, "abc", ch), 2);
    json_t *fos = json_object_get(o, "fulfillment_orders");
    assert_int_equal(json_array_size(fos), 1); /* L1 and L2 both go to WH-DXB: one fulfillment order */
    json_t *fo = json_array_get(fos, 0);
    assert_string_equal(ju_path_str(fo, "location_id"), "WH-DXB");
    assert_string_equal(ju_path_str(fo, "delivery_address.country"), "AE");
    assert_string_equal(ju_path_str(fo, "status"), "allocated");
    assert_int_equal(json_array_size(json_object_get(fo, "line_items")), 2);
    /* L3 matched nothing */
    assert_true(json_is_true(json_object_get(o, "auto_allocation_failed")));
    json_t *d = json_array_get(json_object_get(o, "error_details"), 0);
    assert_string_equal(ju_path_str(d, "code"), "AUTO_ALLOCATION_FAILED");
    assert_string_equal(ju_path_str(d, "message"), "no allocation rule matches line item \"L3\"");
    assert_string_equal(ju_path_str(o, "status"), "partially_allocated");
    assert_non_null(json_object_get(o, "pending_delivery"));
    /* on demand, to a location given: everything is placed, the flag and the detail go */
    json_t *ids = json_pack("[s]", "L3");
    assert_int_equal(allocation_run(o, rules, 3, "WH-BOOKS", ids, NULL, "def", ch), 1);
    json_decref(ids);
    assert_int_equal(json_array_size(fos), 2);
    assert_string_equal(ju_path_str(json_array_get(fos, 1), "location_id"), "WH-BOOKS");
    assert_true(json_is_false(json_object_get(o, "auto_allocation_failed")));
    assert_int_equal(json_array_size(json_object_get(o, "error_details")), 0);
    assert_null(json_object_get(o, "pending_delivery"));
    assert_string_equal(ju_path_str(o, "status"), "allocated");
    assert_int_equal(allocation_run(o, rules, 3, NULL, NULL, NULL, "ghi", ch), 0); /* nothing open */
    json_decref(o);
    json_decref(ch);
}

static void splits_by_location_and_fills_unlocated(void **state)
{
    json_t *o = make("SA"), *ch = json_array();
    /* SA: every line goes to WH-RUH */
    assert_int_equal(allocation_run(o, rules, 3, NULL, NULL, NULL, "abc", ch), 3);
    assert_int_equal(json_array_size(json_object_get(o, "fulfillment_orders")), 1);
    json_decref(o);
    o = make("AE");
    /* an FO without a location whose open lines all match one location takes it */
    json_t *fo = json_pack("{s:s,s:s,s:{s:s},s:[{s:s,s:s,s:i,s:s}]}", "fulfillment_order_id", "F1", "delivery_method",
                           "DELIVERY", "delivery_address", "country", "AE", "line_items", "id", "L1", "line_item_id",
                           "L1", "quantity", 2, "status", "open");
    json_array_append_new(json_object_get(o, "fulfillment_orders"), fo);
    order_recompute(o, ch);
    json_t *ids = json_pack("[s]", "L1");
    assert_int_equal(allocation_run(o, rules, 3, NULL, ids, NULL, "abc", ch), 1);
    json_decref(ids);
    assert_string_equal(ju_path_str(fo, "location_id"), "WH-DXB");
    assert_string_equal(ju_path_str(fo, "status"), "allocated");
    json_decref(o);
    json_decref(ch);
}

static enum ops_result allocate(json_t *o, const char *body, struct config_tenant *t, json_t *ch, char *err)
{
    json_t *b = json_loads(body, 0, NULL);
    struct ops_input in = {.body = b, .nonce = "n1", .now = NOW, .tenant = t};
    err[0] = '\0';
    enum ops_result r = allocation_allocate(o, &in, ch, err, 512);
    json_decref(b);
    return r;
}

static void on_demand_operation(void **state)
{
    struct config_tenant none = {.id = "t"}, with = {.id = "t", .rules = rules, .n_rules = 3};
    json_t *o = make("AE"), *ch = json_array();
    char err[512];
    assert_int_equal(allocate(o, "{}", &none, ch, err), OPS_REFUSED);
    assert_non_null(strstr(err, "location_id"));
    assert_int_equal(allocate(o, "{\"location_id\":7}", &none, ch, err), OPS_INVALID);
    assert_int_equal(allocate(o, "{\"line_items\":[{\"id\":\"L9\"}]}", &with, ch, err), OPS_INVALID);
    assert_int_equal(allocate(o, "{\"delivery_method\":\"TELEPORT\"}", &with, ch, err), OPS_INVALID);
    /* new delivery members win over the pending ones: to SA, all three go to WH-RUH */
    assert_int_equal(allocate(o, "{\"delivery_address\":{\"country\":\"SA\"}}", &with, ch, err), OPS_CHANGED);
    json_t *fo = json_array_get(json_object_get(o, "fulfillment_orders"), 0);
    assert_string_equal(ju_path_str(fo, "location_id"), "WH-RUH");
    assert_string_equal(ju_path_str(fo, "fulfillment_order_id"), "FON101");
    assert_int_equal(allocate(o, "{}", &with, ch, err), OPS_NOOP);
    json_decref(o);
    json_decref(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(syntax), cmocka_unit_test(matching), cmocka_unit_test(run_at_ingestion_and_later),
        cmocka_unit_test(splits_by_location_and_fills_unlocated), cmocka_unit_test(on_demand_operation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
