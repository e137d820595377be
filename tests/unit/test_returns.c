/* Mirrors relay/returns.c and relay/returns_flow.c: a request's checks,
 * its scope against the order, linking, PATCH, the actions and their
 * refusals (each naming what is allowed), and the REVERSE shipments'
 * progress into returned and received quantities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "jsonutil.h"
#include "order.h"
#include "returns.h"
#include "shipment_update.h"

#define NOW "2026-01-01T00:00:00.000Z"

static json_t *order(void)
{
    json_t *body = json_loads("{\"partner_order_reference\":\"P\",\"merchant\":\"M\",\"line_items\":["
                              "{\"id\":\"L1\",\"sku\":\"A\",\"quantity\":3},{\"id\":\"L2\",\"sku\":\"B\",\"quantity\":1}]}",
                              0, NULL);
    json_t *ch = json_array();
    char err[256];
    json_t *o = order_create(body, "t", "ord_1", NULL, NOW, ch, err, sizeof err);
    assert_non_null(o);
    json_decref(body);
    json_decref(ch);
    return o;
}

static json_t *request(const char *body, const char *id, char *err)
{
    json_t *b = json_loads(body, 0, NULL), *ch = json_array();
    assert_non_null(b);
    json_t *r = returns_create(b, "t", id, NULL, NOW, ch, err, 512);
    if (r)
        assert_string_equal(ju_path_str(json_array_get(ch, 0), "change_type"), "RETURN_REQUESTED");
    json_decref(b);
    json_decref(ch);
    return r;
}

static enum ops_result act(returns_fn fn, json_t *r, const char *body, char *err)
{
    json_t *b = json_loads(body, 0, NULL), *ch = json_array();
    enum ops_result rc = fn(r, b, NOW, ch, err, 512);
    json_decref(b);
    json_decref(ch);
    return rc;
}

static long item_q(json_t *r, const char *k)
{
    return (long)json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), k));
}

static void creation_checks(void **state)
{
    char err[512];
    const char *bad[][2] = {
        {"{\"items\":[{\"sku\":\"A\",\"quantity\":1}]}", "partner_order_reference"},
        {"{\"partner_order_reference\":\"P\",\"items\":[]}", "items"},
        {"{\"partner_order_reference\":\"P\",\"items\":[{\"sku\":\"A\"}]}", "quantity"},
        {"{\"partner_order_reference\":\"P\",\"items\":[{\"sku\":\"A\",\"quantity\":1},{\"sku\":\"A\",\"quantity\":1}]}",
         "twice"},
        {"{\"partner_order_reference\":\"P\",\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"channel\":5}", "channel"},
        {"{\"partner_order_reference\":\"P\",\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"merchant\":\"\"}", "merchant"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(request(bad[i][0], "R1", err));
        if (!strstr(err, bad[i][1]))
            fail_msg("case %zu: %s", i, err);
    }
    json_t *r = request("{\"partner_order_reference\":\"P\",\"items\":[{\"sku\":\"A\",\"quantity\":2,\"reason_code\":"
                        "\"DAMAGED\"}],\"pickup\":{\"city\":\"Dubai\"}}",
                        "R1", err);
    assert_non_null(r);
    assert_string_equal(ju_path_str(r, "status"), "pending");
    assert_true(json_is_null(json_object_get(r, "order_id")));
    assert_int_equal(item_q(r, "returned_quantity"), 0);
    json_decref(r);
}

static void scope_and_link(void **state)
{
    char err[512];
    json_t *o = order(), *others = json_array();
    json_t *r = request("{\"partner_order_reference\":\"P\",\"items\":[{\"sku\":\"A\",\"quantity\":2}]}", "R1", err);
    assert_int_equal(returns_scope(r, o, others, err, sizeof err), OPS_CHANGED);
    assert_string_equal(ju_path_str(r, "order_id"), "ord_1");
    assert_string_equal(ju_path_str(r, "merchant"), "M");
    assert_string_equal(ju_path_str(json_array_get(json_object_get(r, "items"), 0), "line_item_id"), "L1");
    json_array_append(others, r);
    /* 3 units of A, 2 taken by R1: one left */
    json_t *r2 = request("{\"partner_order_reference\":\"P\",\"items\":[{\"sku\":\"A\",\"quantity\":2}]}", "R2", err);
    assert_int_equal(returns_scope(r2, o, others, err, sizeof err), OPS_REFUSED);
    assert_non_null(strstr(err, "1 unit left"));
    assert_non_null(strstr(err, "A (line L1) 1, B (line L2) 1"));
    /* a rejected request gives its units back */
    json_object_set_new(r, "status", json_string("rejected"));
    assert_int_equal(returns_scope(r2, o, others, err, sizeof err), OPS_CHANGED);
    /* unknown sku; another merchant; a cancelled order */
    json_t *r3 = request("{\"partner_order_reference\":\"P\",\"items\":[{\"sku\":\"Z\",\"quantity\":1}]}", "R3", err);
    assert_int_equal(returns_scope(r3, o, others, err, sizeof err), OPS_REFUSED);
    assert_non_null(strstr(err, "no line with sku Z"));
    json_t *r4 = request("{\"partner_order_reference\":\"P\",\"merchant\":\"N\",\"items\":[{\"sku\":\"B\",\"quantity\":1}]}",
                         "R4", err);
    assert_int_equal(returns_scope(r4, o, others, err, sizeof err), OPS_REFUSED);
    assert_non_null(strstr(err, "merchant"));
    json_object_set_new(o, "status", json_string("cancelled"));
    assert_int_equal(returns_scope(r3, o, others, err, sizeof err), OPS_REFUSED);
    assert_non_null(strstr(err, "cancelled"));
    json_object_set_new(o, "status", json_string("open"));
    /* linking (the order came later): unscoped, lines found by sku */
    json_t *ch = json_array();
    returns_link(r3, o, ch);
    assert_string_equal(ju_path_str(r3, "order_id"), "ord_1");
    assert_true(json_is_null(json_object_get(json_array_get(json_object_get(r3, "items"), 0), "line_item_id")));
    assert_string_equal(ju_path_str(json_array_get(ch, 0), "change_type"), "RETURN_LINKED");
    json_decref(ch);
    json_decref(r4);
    json_decref(r3);
    json_decref(r2);
    json_decref(r);
    json_decref(others);
    json_decref(o);
}

static void patch_and_actions(void **state)
{
    char err[512];
    json_t *r = request("{\"partner_order_reference\":\"P\",\"items\":[{\"sku\":\"A\",\"quantity\":2}]}", "R1", err);
    json_t *ch = json_array(), *b = json_loads("{\"customer_comment\":\"hi\",\"items\":[{\"sku\":\"A\",\"quantity\":3}]}", 0, NULL);
    assert_int_equal(returns_patch(r, b, ch, err, sizeof err), OPS_CHANGED);
    assert_int_equal(json_array_size(ch), 2);
    assert_int_equal(returns_patch(r, b, ch, err, sizeof err), OPS_NOOP);
    json_decref(b);
    b = json_loads("{\"partner_order_reference\":\"Q\"}", 0, NULL);
    assert_int_equal(returns_patch(r, b, ch, err, sizeof err), OPS_INVALID);
    json_decref(b);
    /* complete before approval names approve; approve nothing is invalid (names reject) */
    assert_int_equal(act(returns_complete, r, "{}", err), OPS_REFUSED);
    assert_non_null(strstr(err, "/approve"));
    assert_int_equal(act(returns_approve, r, "{\"items\":[{\"sku\":\"A\",\"approved_quantity\":0}]}", err), OPS_INVALID);
    assert_non_null(strstr(err, "/reject"));
    assert_int_equal(act(returns_approve, r, "{\"items\":[{\"sku\":\"A\",\"approved_quantity\":9}]}", err), OPS_INVALID);
    assert_int_equal(act(returns_approve, r, "{\"shipments\":[{\"carrier\":\"X\"}]}", err), OPS_INVALID);
    assert_int_equal(act(returns_approve, r, "{\"items\":[{\"sku\":\"A\",\"approved_quantity\":2}],\"shipments\":"
                                             "[{\"tracking_no\":\"T1\"}]}",
                         err),
                     OPS_CHANGED);
    assert_int_equal(item_q(r, "approved_quantity"), 2);
    assert_string_equal(ju_path_str(r, "status"), "approved");
    assert_int_equal(act(returns_approve, r, "{}", err), OPS_NOOP);
    b = json_loads("{\"customer_comment\":\"x\"}", 0, NULL);
    assert_int_equal(returns_patch(r, b, ch, err, sizeof err), OPS_REFUSED);
    assert_non_null(strstr(err, "/cancel"));
    json_decref(b);
    assert_int_equal(act(returns_reject, r, "{}", err), OPS_REFUSED);
    assert_non_null(strstr(err, "/cancel"));
    json_t *keys = returns_shipment_keys(r);
    assert_non_null(json_object_get(keys, "T1"));
    json_decref(keys);
    /* the shipment comes back: returned, then confirmed */
    json_t *ev = json_pack("{s:s,s:s,s:s}", "kind", "shipment", "tracking_no", "T1", "status", "return_in_transit");
    json_t *c2 = json_array();
    assert_int_equal(shipment_update_apply(r, ev, false, NOW, c2), SHIPMENT_UPDATE_APPLIED);
    assert_string_equal(returns_shipment_moved(r, c2), RETURNS_STATUS_TRIGGER);
    assert_string_equal(ju_path_str(json_array_get(c2, 0), "entity_type"), "return_shipment");
    assert_string_equal(ju_path_str(json_array_get(c2, 0), "entity_id"), "R1/T1");
    assert_int_equal(act(returns_cancel, r, "{}", err), OPS_REFUSED);
    assert_non_null(strstr(err, "/complete"));
    json_object_set_new(ev, "status", json_string("returned"));
    json_array_clear(c2);
    shipment_update_apply(r, ev, false, NOW, c2);
    assert_string_equal(returns_shipment_moved(r, c2), RETURNS_RECEIVED_TRIGGER);
    assert_int_equal(item_q(r, "returned_quantity"), 2);
    assert_int_equal(item_q(r, "received_quantity"), 0);
    json_object_set_new(ev, "status", json_string("return_confirmed"));
    json_array_clear(c2);
    shipment_update_apply(r, ev, false, NOW, c2);
    returns_shipment_moved(r, c2);
    assert_int_equal(item_q(r, "received_quantity"), 2);
    assert_int_equal(act(returns_complete, r, "{\"items\":[{\"sku\":\"A\",\"received_quantity\":1,\"condition\":\"OK\"}],"
                                              "\"refund_info\":{\"amount\":5}}",
                         err),
                     OPS_CHANGED);
    assert_int_equal(item_q(r, "received_quantity"), 1);
    assert_string_equal(ju_path_str(r, "status"), "completed");
    assert_int_equal(act(returns_complete, r, "{}", err), OPS_NOOP);
    assert_int_equal(act(returns_cancel, r, "{}", err), OPS_REFUSED);
    json_decref(c2);
    json_decref(ev);
    json_decref(ch);
    json_decref(r);
}

static void reject_cancel_and_shipments(void **state)
{
    char err[512];
    json_t *r = request("{\"partner_order_reference\":\"P\",\"items\":[{\"sku\":\"A\",\"quantity\":2},{\"sku\":\"B\","
                        "\"quantity\":1}]}",
                        "R1", err);
    json_t *r2 = json_deep_copy(r);
    assert_int_equal(act(returns_reject, r, "{\"reason\":\"late\"}", err), OPS_CHANGED);
    assert_string_equal(ju_path_str(r, "rejection_reason"), "late");
    assert_int_equal(act(returns_reject, r, "{}", err), OPS_NOOP);
    assert_int_equal(act(returns_approve, r, "{}", err), OPS_REFUSED);
    assert_int_equal(act(returns_cancel, r2, "{\"reason\":\"kept\"}", err), OPS_CHANGED);
    assert_int_equal(act(returns_cancel, r2, "{}", err), OPS_NOOP);
    /* a shipment carrying only B: only B's quantities move */
    json_t *r3 = request("{\"partner_order_reference\":\"P\",\"items\":[{\"sku\":\"A\",\"quantity\":2},{\"sku\":\"B\","
                         "\"quantity\":1}]}",
                         "R3", err);
    assert_int_equal(act(returns_approve, r3, "{\"shipments\":[{\"partner_shipment_reference\":\"S\",\"items\":"
                                              "[{\"sku\":\"B\",\"quantity\":1}]}]}",
                         err),
                     OPS_CHANGED);
    json_t *items = json_object_get(r3, "items");
    assert_int_equal(json_array_size(json_object_get(json_array_get(items, 0), "reverse_shipment_ids")), 0);
    assert_int_equal(json_array_size(json_object_get(json_array_get(items, 1), "reverse_shipment_ids")), 1);
    json_t *ev = json_pack("{s:s,s:s,s:s}", "kind", "shipment", "partner_shipment_reference", "S", "status", "returned");
    json_t *ch = json_array();
    shipment_update_apply(r3, ev, false, NOW, ch);
    returns_shipment_moved(r3, ch);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "returned_quantity")), 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 1), "returned_quantity")), 1);
    json_decref(ch);
    json_decref(ev);
    json_decref(r3);
    json_decref(r2);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(creation_checks),
        cmocka_unit_test(scope_and_link),
        cmocka_unit_test(patch_and_actions),
        cmocka_unit_test(reject_cancel_and_shipments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
