/* Mirrors relay/fulfillment_event.c and relay/fo_control.c: warehouse
 * events (seed 002) and the API's hold, resume and request-fulfillment:
 * what moves, what is only recorded, the blocking integration error, the
 * rejected state, error_details, informational unknowns, and every refusal
 * naming what is allowed instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fo_control.h"
#include "fo_ops.h"
#include "fulfillment_event.h"
#include "jsonutil.h"
#include "order.h"
#include "order_shape.h"

#define NOW "2026-01-01T00:00:00.000Z"

/* F1 at W1 holds L1 and L2; F2 (no location) holds L3. */
static json_t *make(void)
{
    json_t *body = json_loads("{\"partner_order_reference\":\"P\",\"line_items\":["
                              "{\"id\":\"L1\",\"sku\":\"A\",\"quantity\":1},{\"id\":\"L2\",\"sku\":\"B\",\"quantity\":1},"
                              "{\"id\":\"L3\",\"sku\":\"C\",\"quantity\":1}],\"fulfillment_orders\":["
                              "{\"fulfillment_order_id\":\"F1\",\"location_id\":\"W1\",\"line_items\":[\"L1\",\"L2\"]},"
                              "{\"fulfillment_order_id\":\"F2\",\"line_items\":[\"L3\"]}]}",
                              0, NULL);
    json_t *changes = json_array();
    char err[256];
    json_t *o = order_create(body, "t", "ord_abc", NULL, NOW, changes, err, sizeof err);
    assert_non_null(o);
    order_shape_defaults(o);
    json_decref(body);
    json_decref(changes);
    return o;
}

/* Apply a warehouse event {"event": type, ...extra}; returns whether it moved something. */
static bool ev(json_t *o, const char *fo, const char *type, const char *extra, json_t *changes)
{
    char text[512];
    snprintf(text, sizeof text, "{\"kind\":\"fulfillment\",\"fulfillment_order_id\":\"%s\",\"event\":\"%s\"%s%s}", fo,
             type, extra ? "," : "", extra ? extra : "");
    json_t *e = json_loads(text, 0, NULL);
    assert_non_null(e);
    bool moved = fulfillment_event_apply(o, e, NOW, changes);
    json_decref(e);
    return moved;
}

static enum ops_result op(ops_fn fn, json_t *o, const char *fo, const char *body, json_t *changes, char *err)
{
    json_t *b = json_loads(body, 0, NULL);
    struct ops_input in = {.body = b, .fo_id = fo, .nonce = "n", .now = NOW};
    err[0] = '\0';
    enum ops_result r = fn(o, &in, changes, err, 512);
    json_decref(b);
    return r;
}

static const char *line(json_t *o, const char *id)
{
    return json_string_value(json_object_get(order_line(o, id), "status"));
}

static json_t *last_event(json_t *o, const char *fo)
{
    json_t *trail = json_object_get(order_fo(o, fo), "events");
    return json_array_get(trail, json_array_size(trail) - 1);
}

/* Does some change entry carry this trigger (and, when given, this level)? */
static bool carries(const json_t *changes, const char *trigger, const char *level)
{
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        const char *t = ju_path_str(c, "trigger"), *l = ju_path_str(c, "level");
        if (t && !strcmp(t, trigger) && (!level || (l && !strcmp(l, level))))
            return true;
    }
    return false;
}

static void moves_and_triggers(void **state)
{
    json_t *o = make(), *ch = json_array();
    assert_true(ev(o, "F1", "FULFILLMENT_IN_PROGRESS", NULL, ch));
    assert_string_equal(line(o, "L1"), "pick_in_progress");
    assert_true(carries(ch, "FULFILLMENT_ORDER_EVENT", "NORMAL"));
    assert_false(ev(o, "F1", "ACCEPTED_TWICE_NOT_A_TYPE", NULL, ch)); /* unknown: informational */
    assert_false(json_is_true(json_object_get(last_event(o, "F1"), "known")));
    assert_string_equal(ju_path_str(last_event(o, "F1"), "level"), "NORMAL");
    assert_true(ev(o, "F1", "PACKED", "\"line_items\":[\"L2\"]", ch));
    assert_string_equal(line(o, "L2"), "pack_in_progress");
    assert_string_equal(line(o, "L1"), "pick_in_progress");
    assert_true(ev(o, "F1", "FULFILLMENT_ACCEPTED", NULL, ch)); /* the state moves, lines never backwards */
    assert_string_equal(ju_path_str(order_fo(o, "F1"), "fulfillment_state"), "accepted");
    assert_string_equal(line(o, "L1"), "pick_in_progress");
    assert_false(ev(o, "F1", "FULFILLMENT_ACCEPTED", NULL, ch)); /* again: recorded only */
    /* an event for a fulfillment order the order does not have */
    assert_false(ev(o, "F9", "PACKED", NULL, ch));
    assert_int_equal(json_array_size(json_object_get(o, "unmatched_fulfillment_events")), 1);
    json_decref(ch);
    json_decref(o);
}

static void hold_from_events_and_api(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    assert_true(ev(o, "F1", "HOLDED", "\"message\":\"address check\"", ch));
    assert_true(carries(ch, "FULFILLMENT_ORDER_HOLD", NULL));
    assert_string_equal(ju_path_str(order_fo(o, "F1"), "hold.reason"), "address check");
    assert_string_equal(ju_path_str(order_fo(o, "F1"), "hold.source"), "WAREHOUSE");
    assert_false(ev(o, "F1", "SHIPPED", NULL, ch)); /* held: recorded only */
    assert_string_equal(line(o, "L1"), "allocated");
    /* the API: fulfill refused while held (names resume); hold again is a repeat; resume */
    assert_int_equal(op(fo_fulfill, o, "F1", "{\"line_items\":[{\"id\":\"L1\"}]}", ch, err), OPS_REFUSED);
    assert_non_null(strstr(err, "/fulfillment-orders/F1/resume"));
    assert_int_equal(op(fo_ship, o, "F1", "{\"line_items\":[{\"id\":\"L1\"}]}", ch, err), OPS_REFUSED);
    assert_int_equal(op(fo_hold, o, "F1", "{\"reason\":\"again\"}", ch, err), OPS_NOOP);
    json_t *c2 = json_array();
    assert_int_equal(op(fo_resume, o, "F1", "{\"reason\":\"checked\"}", c2, err), OPS_CHANGED);
    assert_true(carries(c2, "FULFILLMENT_ORDER_RESUME", NULL));
    assert_false(json_is_true(json_object_get(order_fo(o, "F1"), "on_hold")));
    assert_true(json_is_null(json_object_get(order_fo(o, "F1"), "hold")));
    assert_string_equal(ju_path_str(last_event(o, "F1"), "type"), "RESUMED");
    assert_string_equal(ju_path_str(last_event(o, "F1"), "source"), "API");
    assert_int_equal(op(fo_resume, o, "F1", "{}", c2, err), OPS_NOOP);
    /* API hold: reason required; held; then a warehouse RESUMED lifts it too */
    assert_int_equal(op(fo_hold, o, "F1", "{}", c2, err), OPS_INVALID);
    assert_int_equal(op(fo_hold, o, "F1", "{\"reason\":\"customer called\"}", c2, err), OPS_CHANGED);
    assert_string_equal(ju_path_str(order_fo(o, "F1"), "hold.source"), "API");
    assert_true(ev(o, "F1", "RESUMED", NULL, c2));
    assert_false(json_is_true(json_object_get(order_fo(o, "F1"), "on_hold")));
    assert_int_equal(op(fo_hold, o, "F9", "{\"reason\":\"x\"}", c2, err), OPS_NOT_FOUND);
    /* nothing left to hold in a fulfilled fulfillment order: names unfulfill */
    assert_true(ev(o, "F1", "SHIPPED", NULL, c2));
    assert_int_equal(op(fo_hold, o, "F1", "{\"reason\":\"late\"}", c2, err), OPS_REFUSED);
    assert_non_null(strstr(err, "unfulfill"));
    json_decref(c2);
    json_decref(ch);
    json_decref(o);
}

static void integration_error_blocks_until_requested(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    assert_true(ev(o, "F1", "INTEGRATION_ERROR", "\"message\":\"SKU unknown\"", ch));
    assert_true(carries(ch, "FULFILLMENT_ORDER_EVENT", "ERROR"));
    assert_string_equal(ju_path_str(order_fo(o, "F1"), "fulfillment_state"), "integration_error");
    json_t *d = json_array_get(json_object_get(o, "error_details"), 0);
    assert_string_equal(ju_path_str(d, "code"), "INTEGRATION_ERROR");
    assert_string_equal(ju_path_str(d, "message"), "SKU unknown");
    assert_string_equal(ju_path_str(d, "fulfillment_order_id"), "F1");
    /* blocked: recorded, moves nothing */
    assert_false(ev(o, "F1", "PACKED", NULL, ch));
    assert_true(json_is_true(json_object_get(last_event(o, "F1"), "blocked")));
    assert_string_equal(line(o, "L1"), "allocated");
    assert_false(ev(o, "F1", "HOLDED", NULL, ch));
    assert_false(json_is_true(json_object_get(order_fo(o, "F1"), "on_hold")));
    /* requested again through the API: the error detail is cleared, events move it again */
    json_t *c2 = json_array();
    assert_int_equal(op(fo_request_fulfillment, o, "F1", "{\"reason\":\"SKU mapped\"}", c2, err), OPS_CHANGED);
    assert_string_equal(ju_path_str(order_fo(o, "F1"), "fulfillment_state"), "requested");
    assert_int_equal(json_array_size(json_object_get(o, "error_details")), 0);
    assert_int_equal(op(fo_request_fulfillment, o, "F1", "{}", c2, err), OPS_NOOP);
    assert_true(ev(o, "F1", "PACKED", NULL, c2));
    assert_string_equal(line(o, "L1"), "pack_in_progress");
    assert_string_equal(ju_path_str(order_fo(o, "F1"), "fulfillment_state"), "accepted");
    /* accepted: a new request is refused, naming hold */
    assert_int_equal(op(fo_request_fulfillment, o, "F1", "{}", c2, err), OPS_REFUSED);
    assert_non_null(strstr(err, "/fulfillment-orders/F1/hold"));
    /* a warehouse FULFILLMENT_REQUESTED also lifts a block */
    assert_true(ev(o, "F1", "INTEGRATION_ERROR", NULL, c2));
    assert_true(ev(o, "F1", "FULFILLMENT_REQUESTED", NULL, c2));
    assert_true(ev(o, "F1", "SHIPPED", NULL, c2));
    assert_string_equal(line(o, "L1"), "fulfilled");
    json_decref(c2);
    json_decref(ch);
    json_decref(o);
}

static void rejected_and_levels(void **state)
{
    json_t *o = make(), *ch = json_array();
    char err[512];
    assert_true(ev(o, "F1", "FULFILLMENT_REJECTED", "\"message\":\"out of stock\"", ch));
    assert_string_equal(ju_path_str(order_fo(o, "F1"), "fulfillment_state"), "rejected");
    json_t *d = json_array_get(json_object_get(o, "error_details"), 0);
    assert_string_equal(ju_path_str(d, "code"), "FULFILLMENT_REJECTED");
    assert_string_equal(ju_path_str(d, "message"), "out of stock");
    /* not blocking: the warehouse may still work on it, which accepts it */
    assert_true(ev(o, "F1", "FULFILLMENT_IN_PROGRESS", NULL, ch));
    assert_string_equal(ju_path_str(order_fo(o, "F1"), "fulfillment_state"), "accepted");
    /* any ERROR-level event (the sender's level) adds a detail; an unknown level is NORMAL */
    assert_false(ev(o, "F1", "INSUFFICIENT_STOCK", "\"level\":\"ERROR\",\"message\":\"L2 short\"", ch));
    assert_int_equal(json_array_size(json_object_get(o, "error_details")), 2);
    assert_false(ev(o, "F1", "INSUFFICIENT_STOCK", "\"level\":\"SEVERE\"", ch));
    assert_string_equal(ju_path_str(last_event(o, "F1"), "level"), "NORMAL");
    assert_string_equal(ju_path_str(last_event(o, "F1"), "raw_level"), "SEVERE");
    assert_int_equal(json_array_size(json_object_get(o, "error_details")), 2);
    /* request-fulfillment refusals: no location, held, final */
    assert_int_equal(op(fo_request_fulfillment, o, "F2", "{}", ch, err), OPS_REFUSED);
    assert_non_null(strstr(err, "/fulfillment-orders/F2/update-location"));
    assert_int_equal(op(fo_hold, o, "F1", "{\"reason\":\"r\"}", ch, err), OPS_CHANGED);
    assert_int_equal(op(fo_request_fulfillment, o, "F1", "{}", ch, err), OPS_REFUSED);
    assert_non_null(strstr(err, "/resume"));
    assert_int_equal(op(fo_request_fulfillment, o, "F1", "{\"reason\":5}", ch, err), OPS_INVALID);
    json_decref(ch);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(moves_and_triggers),
        cmocka_unit_test(hold_from_events_and_api),
        cmocka_unit_test(integration_error_blocks_until_requested),
        cmocka_unit_test(rejected_and_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
