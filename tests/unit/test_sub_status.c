/* Mirrors relay/sub_status.c: each rule of sub_status.h, in its order, and
 * the change entry when the sub-status moves; plus the refund outcome
 * (order_ops.c) it follows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "jsonutil.h"
#include "order.h"
#include "order_ops.h"
#include "sub_status.h"

#define NOW "2026-01-01T00:00:00.000Z"

/* F1 at W1 holds L1 and L2 (each with its shipment S1, S2); L3 is in no fulfillment order. */
static json_t *make(void)
{
    json_t *body = json_loads(
        "{\"partner_order_reference\":\"P\",\"line_items\":[{\"id\":\"L1\",\"sku\":\"A\",\"quantity\":1},"
        "{\"id\":\"L2\",\"sku\":\"B\",\"quantity\":1}],\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F1\","
        "\"location_id\":\"W1\",\"line_items\":[\"L1\",\"L2\"],\"shipments\":["
        "{\"partner_shipment_reference\":\"S1\",\"line_items\":[\"L1\"]},"
        "{\"partner_shipment_reference\":\"S2\",\"line_items\":[\"L2\"]}]}]}",
        0, NULL);
    json_t *changes = json_array();
    char err[256];
    json_t *o = order_create(body, "t", "ord_1", NULL, NOW, changes, err, sizeof err);
    assert_non_null(o);
    json_decref(body);
    json_decref(changes);
    return o;
}

static json_t *fo(json_t *o)
{
    return order_fo(o, "F1");
}

static void set_entry(json_t *o, int k, const char *status)
{
    order_set_entry_status(json_array_get(json_object_get(fo(o), "line_items"), k), status);
    json_t *ch = json_array();
    order_recompute(o, ch);
    json_decref(ch);
}

static const char *sub(json_t *o)
{
    const char *s = sub_status_of(o);
    return s ? s : "null";
}

static void rules_in_order(void **state)
{
    json_t *o = make();
    assert_string_equal(sub(o), "null");
    /* PARTIAL: one unit delivered, the other not yet; converges when it closes */
    set_entry(o, 0, "closed");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "processing");
    assert_string_equal(sub(o), "PARTIAL");
    /* a delivery exception outranks PARTIAL */
    json_object_set_new(json_array_get(json_object_get(o, "shipments"), 1), "status",
                        json_string("failed_delivery_attempt"));
    assert_string_equal(sub(o), "DELIVERY_EXCEPTION");
    /* fulfillment control outranks both: hold < integration error < rejection */
    json_object_set_new(fo(o), "on_hold", json_true());
    assert_string_equal(sub(o), "ON_HOLD");
    json_object_set_new(fo(o), "fulfillment_state", json_string("integration_error"));
    assert_string_equal(sub(o), "INTEGRATION_ERROR");
    json_object_set_new(fo(o), "fulfillment_state", json_string("rejected"));
    assert_string_equal(sub(o), "FULFILLMENT_REJECTED");
    json_object_set_new(fo(o), "fulfillment_state", json_null());
    json_object_set_new(fo(o), "on_hold", json_false());
    json_object_set_new(json_array_get(json_object_get(o, "shipments"), 1), "status", json_string("in_transit"));
    /* the rest cancelled: the order closes, nothing finer to say */
    set_entry(o, 1, "cancelled");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "closed");
    assert_string_equal(sub(o), "null");
    json_decref(o);
}

static void allocation_and_cancellation(void **state)
{
    json_t *o = json_pack("{s:s,s:s,s:b}", "order_id", "o", "status", "open", "auto_allocation_failed", 1);
    assert_string_equal(sub(o), "AUTO_ALLOCATION_FAILED");
    json_object_set_new(o, "status", json_string("cancelled"));
    assert_string_equal(sub(o), "null"); /* an early cancellation owes nothing */
    json_object_set_new(o, "cancellation", json_pack("{s:b}", "late", 1));
    assert_string_equal(sub(o), "NOT_REFUNDED"); /* a late one owes a refund until one is recorded */
    json_object_set_new(o, "refund", json_pack("{s:s}", "outcome", "REFUNDED"));
    assert_string_equal(sub(o), "REFUNDED");
    /* the update: a change entry when it moves, none when it does not */
    json_t *ch = json_array();
    assert_int_equal(sub_status_update(o, ch), 1);
    assert_string_equal(ju_path_str(json_array_get(ch, 0), "field"), "sub_status");
    assert_string_equal(ju_path_str(json_array_get(ch, 0), "new_value"), "REFUNDED");
    assert_int_equal(sub_status_update(o, ch), 0);
    assert_int_equal(json_array_size(ch), 1);
    json_decref(ch);
    json_decref(o);
}

static enum ops_result refund(json_t *o, const char *body, char *err)
{
    json_t *b = json_loads(body, 0, NULL), *ch = json_array();
    struct ops_input in = {.body = b, .now = NOW};
    enum ops_result r = ops_record_refund(o, &in, ch, err, 512);
    json_decref(b);
    json_decref(ch);
    return r;
}

static void refund_outcome(void **state)
{
    char err[512];
    json_t *o = make();
    assert_int_equal(refund(o, "{\"outcome\":\"REFUNDED\"}", err), OPS_REFUSED); /* not cancelled */
    assert_non_null(strstr(err, "/cancel"));
    json_t *ch = json_array();
    assert_int_equal(ops_cancel_order(o, "CUSTOMER_CANCELLATION", false, NOW, ch, err, sizeof err), OPS_CHANGED);
    json_decref(ch);
    assert_int_equal(refund(o, "{\"outcome\":\"MAYBE\"}", err), OPS_INVALID);
    assert_int_equal(refund(o, "{\"outcome\":\"NOT_REFUNDED\",\"amount\":\"x\"}", err), OPS_INVALID);
    assert_int_equal(refund(o, "{\"outcome\":\"NOT_REFUNDED\",\"reason\":\"card expired\"}", err), OPS_CHANGED);
    assert_string_equal(sub(o), "NOT_REFUNDED");
    assert_int_equal(refund(o, "{\"outcome\":\"NOT_REFUNDED\",\"reason\":\"card expired\"}", err), OPS_NOOP);
    assert_int_equal(refund(o, "{\"outcome\":\"REFUNDED\",\"amount\":120,\"currency\":\"AED\"}", err), OPS_CHANGED);
    assert_string_equal(sub(o), "REFUNDED");
    assert_string_equal(ju_path_str(o, "refund.date"), NOW);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_in_order),
        cmocka_unit_test(allocation_and_cancellation),
        cmocka_unit_test(refund_outcome),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
