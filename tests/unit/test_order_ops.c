/* Mirrors relay/order_ops.c: every rule of cancellation, late
 * cancellation, partial cancellation (with fo_ops' cancel), unfulfillment
 * (fo_ops, with its shipment cascade on shipments linked by line) and
 * redaction, each refusal, and idempotence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jsonutil.h"
#include "order.h"
#include "fo_ops.h"
#include "fo_regroup.h"
#include "order_ops.h"

#define NOW "2026-01-01T00:00:00.000Z"

/* F1 {L1, L2} with shipments S1 {L1} (status given) and S2 {L2}; F2 {L3}. */
static json_t *make(const char *l1, const char *l2, const char *l3, const char *s1_status)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"partner_order_reference\":\"P\",\"customer_key\":\"C1\",\"customer\":{\"name\":\"Ada\",\"email\":\"a@x\"},"
             "\"billing_address\":{\"city\":\"Dubai\"},\"line_items\":["
             "{\"line_item_id\":\"L1\",\"sku\":\"A\",\"quantity\":1,\"status\":\"%s\"},"
             "{\"line_item_id\":\"L2\",\"sku\":\"B\",\"quantity\":1,\"status\":\"%s\"},"
             "{\"line_item_id\":\"L3\",\"sku\":\"C\",\"quantity\":1,\"status\":\"%s\"}],"
             "\"fulfillment_orders\":[{\"fulfillment_order_id\":\"F1\",\"line_items\":[\"L1\",\"L2\"],\"shipments\":["
             "{\"partner_shipment_reference\":\"S1\",\"line_items\":[\"L1\"]},"
             "{\"partner_shipment_reference\":\"S2\",\"line_items\":[\"L2\"]}]},"
             "{\"fulfillment_order_id\":\"F2\",\"line_items\":[\"L3\"]}]}",
             l1, l2, l3);
    json_t *body = json_loads(text, 0, NULL), *changes = json_array();
    char err[256];
    json_t *o = order_create(body, "t", "ord", NULL, NOW, changes, err, sizeof err);
    assert_non_null(o);
    if (s1_status)
        json_object_set_new(json_array_get(json_object_get(o, "shipments"), 0), "status", json_string(s1_status));
    json_decref(body);
    json_decref(changes);
    return o;
}

/* A fulfillment-order operation (fo_ops.h) as order_job runs it. */
static enum ops_result run(ops_fn fn, json_t *o, const char *fo_id, const char *body, json_t *ch, char *err, size_t n)
{
    json_t *b = json_loads(body ? body : "{}", 0, NULL);
    struct ops_input in = {.body = b, .fo_id = fo_id, .nonce = "n1", .now = NOW};
    enum ops_result r = fn(o, &in, ch, err, n);
    json_decref(b);
    return r;
}

#define CANCEL_FO "{\"cancellation_reason\":\"OOS\"}"

static const char *st(json_t *o, const char *path)
{
    return ju_path_str(o, path);
}

static const char *line(json_t *o, const char *id)
{
    return json_string_value(json_object_get(order_line(o, id), "status"));
}

static const char *fo(json_t *o, int i)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(o, "fulfillment_orders"), i), "status"));
}

static void cancel_whole_order(void **state)
{
    const char *ok[][3] = {{"open", "open", "open"}, {"allocated", "open", "open"}, {"allocated", "allocated", "allocated"}};
    for (size_t i = 0; i < 3; i++) {
        json_t *o = make(ok[i][0], ok[i][1], ok[i][2], NULL), *ch = json_array();
        char err[512] = "";
        assert_int_equal(ops_cancel_order(o, "CUSTOMER_CANCELLATION", false, NOW, ch, err, sizeof err), OPS_CHANGED);
        assert_string_equal(st(o, "status"), "cancelled");
        assert_string_equal(fo(o, 0), "cancelled");
        assert_string_equal(st(o, "cancellation_reason"), "CUSTOMER_CANCELLATION");
        assert_true(json_is_false(ju_path(o, "cancellation.late")));
        size_t n = json_array_size(ch);
        assert_int_equal(ops_cancel_order(o, "AGAIN", false, NOW, ch, err, sizeof err), OPS_NOOP);
        assert_int_equal(json_array_size(ch), n);
        assert_string_equal(st(o, "cancellation_reason"), "CUSTOMER_CANCELLATION");
        json_decref(o);
        json_decref(ch);
    }
}

static void cancel_refused_past_allocated(void **state)
{
    json_t *o = make("pick_in_progress", "allocated", "allocated", NULL), *ch = json_array();
    char err[512];
    assert_int_equal(ops_cancel_order(o, "X", false, NOW, ch, err, sizeof err), OPS_REFUSED);
    assert_non_null(strstr(err, "fulfillment order \"F1\" is processing"));
    assert_int_equal(ops_cancel_order(o, "X", true, NOW, ch, err, sizeof err), OPS_REFUSED); /* force is for done orders */
    assert_int_equal(json_array_size(ch), 0);
    assert_string_equal(line(o, "L2"), "allocated");
    json_decref(o);
    json_decref(ch);
}

static void late_cancellation(void **state)
{
    json_t *o = make("closed", "closed", "fulfilled", "delivered"), *ch = json_array();
    char err[512];
    assert_string_equal(st(o, "status"), "fulfilled");
    assert_int_equal(ops_cancel_order(o, "FRAUD", false, NOW, ch, err, sizeof err), OPS_REFUSED);
    assert_non_null(strstr(err, "\"force\": true"));
    assert_int_equal(ops_cancel_order(o, "FRAUD", true, NOW, ch, err, sizeof err), OPS_CHANGED);
    assert_string_equal(st(o, "status"), "cancelled");
    assert_string_equal(line(o, "L1"), "cancelled");
    assert_true(json_is_true(ju_path(o, "cancellation.late")));
    assert_string_equal(ju_path_str(json_array_get(ch, 0), "change_type"), "LATE_CANCELLATION");
    size_t n = json_array_size(ch);
    assert_int_equal(ops_cancel_order(o, "FRAUD", true, NOW, ch, err, sizeof err), OPS_NOOP);
    assert_int_equal(json_array_size(ch), n);
    json_decref(o);
    json_decref(ch);
}

static void partial_cancellation(void **state)
{
    json_t *o = make("pick_in_progress", "allocated", "allocated", NULL), *ch = json_array();
    char err[512];
    assert_int_equal(run(fo_cancel, o, "F2", CANCEL_FO, ch, err, sizeof err), OPS_CHANGED);
    assert_string_equal(fo(o, 1), "cancelled");
    assert_string_equal(st(o, "status"), "processing"); /* goes on with F1 */
    assert_int_equal(run(fo_cancel, o, "F2", CANCEL_FO, ch, err, sizeof err), OPS_NOOP);
    assert_int_equal(run(fo_cancel, o, "F9", CANCEL_FO, ch, err, sizeof err), OPS_NOT_FOUND);
    json_t *ids = json_pack("[s]", "L2");
    assert_int_equal(ops_cancel_lines(o, ids, "OOS", NOW, ch, err, sizeof err), OPS_CHANGED);
    assert_string_equal(line(o, "L2"), "cancelled");
    assert_int_equal(ops_cancel_lines(o, ids, "OOS", NOW, ch, err, sizeof err), OPS_NOOP);
    json_decref(ids);
    ids = json_pack("[s]", "L9");
    assert_int_equal(ops_cancel_lines(o, ids, "OOS", NOW, ch, err, sizeof err), OPS_NOT_FOUND);
    json_decref(ids);
    json_decref(o);
    json_decref(ch);
}

static void fulfilled_must_be_unfulfilled_first(void **state)
{
    json_t *o = make("fulfilled", "fulfilled", "allocated", "in_transit"), *ch = json_array();
    char err[512];
    assert_string_equal(fo(o, 0), "fulfilled");
    assert_int_equal(run(fo_cancel, o, "F1", CANCEL_FO, ch, err, sizeof err), OPS_REFUSED);
    assert_non_null(strstr(err, "must be unfulfilled before it can be cancelled"));
    json_t *ids = json_pack("[s]", "L1");
    assert_int_equal(ops_cancel_lines(o, ids, "X", NOW, ch, err, sizeof err), OPS_REFUSED);
    json_decref(ids);
    /* unfulfill: lines back to allocated; S1 (in transit) is flagged, S2 (no status) cancelled */
    assert_int_equal(run(fo_unfulfill, o, "F1", NULL, ch, err, sizeof err), OPS_CHANGED);
    assert_string_equal(line(o, "L1"), "allocated");
    assert_string_equal(fo(o, 0), "allocated");
    json_t *s1 = json_array_get(json_object_get(o, "shipments"), 0), *s2 = json_array_get(json_object_get(o, "shipments"), 1);
    assert_string_equal(st(s1, "status"), "in_transit");
    assert_non_null(json_object_get(s1, "attention"));
    assert_string_equal(st(s2, "status"), "cancelled");
    size_t n = json_array_size(ch);
    assert_int_equal(run(fo_unfulfill, o, "F1", NULL, ch, err, sizeof err), OPS_NOOP);
    assert_int_equal(json_array_size(ch), n);
    /* now it can be cancelled */
    assert_int_equal(run(fo_cancel, o, "F1", CANCEL_FO, ch, err, sizeof err), OPS_CHANGED);
    assert_string_equal(fo(o, 0), "cancelled");
    json_decref(o);
    json_decref(ch);
}

static void unfulfill_refusals(void **state)
{
    json_t *o = make("allocated", "allocated", "closed", NULL), *ch = json_array();
    char err[512];
    assert_int_equal(run(fo_unfulfill, o, "F1", NULL, ch, err, sizeof err), OPS_REFUSED);
    assert_non_null(strstr(err, "only fulfilled lines can be unfulfilled"));
    assert_int_equal(run(fo_unfulfill, o, "F2", NULL, ch, err, sizeof err), OPS_REFUSED);
    assert_non_null(strstr(err, "delivered"));
    json_decref(o);
    json_decref(ch);
}

static void redaction(void **state)
{
    json_t *o = make("open", "open", "open", NULL), *ch = json_array();
    assert_int_equal(ops_redact(o, "dpo@merchant", NOW, ch), OPS_CHANGED);
    assert_true(json_is_true(json_object_get(o, "redacted")));
    assert_true(json_is_true(ju_path(o, "customer.redacted")));
    assert_null(ju_path(o, "customer.email"));
    assert_true(json_is_true(ju_path(o, "billing_address.redacted")));
    assert_string_equal(st(o, "redaction.requested_by"), "dpo@merchant");
    char *text = json_dumps(o, 0);
    assert_null(strstr(text, "Ada"));
    assert_null(strstr(text, "a@x"));
    free(text);
    assert_int_equal(ops_redact(o, "again", NOW, ch), OPS_NOOP);
    assert_string_equal(st(o, "redaction.requested_by"), "dpo@merchant");
    json_decref(o);
    json_decref(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cancel_whole_order),  cmocka_unit_test(cancel_refused_past_allocated),
        cmocka_unit_test(late_cancellation),   cmocka_unit_test(partial_cancellation),
        cmocka_unit_test(fulfilled_must_be_unfulfilled_first), cmocka_unit_test(unfulfill_refusals),
        cmocka_unit_test(redaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
