/* Mirrors relay/webhook_events.c: which order.* events each kind of change
 * fires, and the body's shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "webhook_events.h"

static json_t *types(const char *before, const char *after, const char *changes, const char *trigger)
{
    json_t *b = before ? json_loads(before, 0, NULL) : NULL, *a = json_loads(after, 0, NULL),
           *c = json_loads(changes, 0, NULL);
    json_t *ev = webhook_events_for(b, a, c, trigger);
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e)
    {
        json_array_append(out, json_object_get(e, "type"));
    }
    json_decref(ev);
    json_decref(b);
    json_decref(a);
    json_decref(c);
    return out;
}

static void expect_op(const char *before, const char *after, const char *changes, const char *trigger,
                      const char *want)
{
    json_t *got = types(before, after, changes, trigger), *w = json_loads(want, 0, NULL);
    if (!json_equal(got, w)) {
        char *g = json_dumps(got, 0);
        fail_msg("got %s, want %s", g, want);
    }
    json_decref(got);
    json_decref(w);
}

static void expect(const char *before, const char *after, const char *changes, const char *want)
{
    expect_op(before, after, changes, NULL, want);
}

static void rules(void **state)
{
    const char *ship = "[{\"entity_type\":\"shipment\",\"change_type\":\"STATUS_CHANGE\"}]";
    const char *line = "[{\"entity_type\":\"line_item\",\"change_type\":\"STATUS_CHANGE\"}]";
    expect(NULL, "{\"status\":\"open\"}", "[]", "[\"order.created\"]");
    expect("{\"status\":\"fulfilled\"}", "{\"status\":\"fulfilled\"}", ship, "[\"order.shipment_status_updated\"]");
    expect("{\"status\":\"fulfilled\"}", "{\"status\":\"closed\"}", ship,
           "[\"order.shipment_status_updated\",\"order.closed\"]");
    expect("{\"status\":\"open\"}", "{\"status\":\"allocated\"}", line, "[\"order.allocated\"]");
    expect("{\"status\":\"processing\"}", "{\"status\":\"fulfilled\"}", line, "[\"order.fulfilled\"]");
    expect("{\"status\":\"allocated\"}", "{\"status\":\"cancelled\"}", line, "[\"order.cancelled\"]");
    expect("{\"status\":\"open\"}", "{\"status\":\"processing\"}", line, "[\"order.updated\"]");
    expect("{\"status\":\"open\"}", "{\"status\":\"open\"}", "[{\"change_type\":\"SHIPMENT_STATUS_HISTORY\"}]",
           "[\"order.updated\"]");
    expect("{\"status\":\"open\"}", "{\"status\":\"open\"}", "[]", "[]");
    /* an operation fires its own trigger first, then what its changes carry, then status moves */
    expect_op("{\"status\":\"allocated\"}", "{\"status\":\"processing\"}", line, "FULFILLMENT_ORDER_FULFILL",
              "[\"order.fulfilled\"]");
    expect_op("{\"status\":\"processing\"}", "{\"status\":\"fulfilled\"}", line, "FULFILLMENT_ORDER_FULFILL",
              "[\"order.fulfilled\"]"); /* once */
    expect_op("{\"status\":\"allocated\"}", "{\"status\":\"cancelled\"}", line, "FULFILLMENT_ORDER_CANCEL_LINE_ITEMS",
              "[\"order.line_items_cancelled\",\"order.cancelled\"]");
    expect_op("{\"status\":\"open\"}", "{\"status\":\"allocated\"}", line, "FULFILLMENT_ORDER_UPDATE_LOCATION",
              "[\"order.fulfillment_order_location_updated\",\"order.allocated\"]");
    expect_op("{\"status\":\"open\"}", "{\"status\":\"open\"}",
              "[{\"trigger\":\"FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_ORDER_REFERENCE\"},"
              "{\"trigger\":\"FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_REFERENCES\"}]",
              NULL, "[\"order.partner_fulfillment_order_reference_updated\",\"order.partner_fulfillment_references_updated\"]");
    expect_op("{\"status\":\"open\"}", "{\"status\":\"open\"}", "[]", "ORDER_UPDATE", "[]"); /* nothing changed */
    expect_op(NULL, "{\"status\":\"allocated\"}", line, "FULFILLMENT_ORDER_ALLOCATE", "[\"order.created\"]");
    static const char *triggers[] = {
        "ORDER_CREATE", "ORDER_UPDATE", "ORDER_CANCEL", "ORDER_CLOSED", "ORDER_SHIPMENT_STATUS_UPDATE",
        "FULFILLMENT_ORDER_FULFILL", "FULFILLMENT_ORDER_UNFULFILL", "FULFILLMENT_ORDER_ALLOCATE",
        "FULFILLMENT_ORDER_MERGE", "FULFILLMENT_ORDER_SPLIT", "FULFILLMENT_ORDER_UPDATE_LOCATION",
        "FULFILLMENT_ORDER_UPDATE_ADDRESS", "FULFILLMENT_ORDER_UPDATE_DELIVERY_METHOD",
        "FULFILLMENT_ORDER_UPDATE_SCHEDULE", "FULFILLMENT_ORDER_SHIP_LINE_ITEMS", "FULFILLMENT_ORDER_CANCEL_LINE_ITEMS",
        "FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_REFERENCES",
        "FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_ORDER_REFERENCE"};
    json_t *seen = json_object();
    for (size_t i = 0; i < sizeof triggers / sizeof triggers[0]; i++) {
        assert_true(webhook_event_trigger_known(triggers[i]));
        json_t *c = json_pack("[{s:s}]", "change_type", "X"), *b = json_pack("{s:s}", "status", "open");
        json_t *ev = webhook_events_for(b, b, c, triggers[i]);
        const char *type = json_string_value(json_object_get(json_array_get(ev, 0), "type"));
        assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "trigger")), triggers[i]);
        assert_true(webhook_event_type_known(type));
        assert_null(json_object_get(seen, type)); /* one type per trigger */
        json_object_set_new(seen, type, json_true());
        json_decref(ev);
        json_decref(c);
        json_decref(b);
    }
    json_decref(seen);
    assert_false(webhook_event_trigger_known("ORDER_EATEN"));
    assert_true(webhook_event_type_known("order.closed"));
    assert_false(webhook_event_type_known("order.eaten"));
    assert_false(webhook_event_type_known(NULL));
}

static void body(void **state)
{
    json_t *before = json_pack("{s:s}", "status", "fulfilled"), *after = json_pack("{s:s}", "status", "closed");
    json_t *b = webhook_event_body("order.closed", "ORDER_CLOSED", "evt_1", "2026-01-01T00:00:00.000Z", "acme",
                                   before, after);
    json_t *want = json_loads("{\"type\":\"order.closed\",\"id\":\"evt_1\",\"timestamp\":\"2026-01-01T00:00:00.000Z\","
                              "\"tenant\":\"acme\",\"trigger\":\"ORDER_CLOSED\",\"data\":{\"oldImage\":{\"status\":"
                              "\"fulfilled\"},\"newImage\":{\"status\":\"closed\"}}}",
                              0, NULL);
    assert_true(json_equal(b, want));
    json_decref(b);
    b = webhook_event_body("order.created", "ORDER_CREATE", "evt_2", "t", "acme", NULL, after);
    assert_true(json_is_null(json_object_get(json_object_get(b, "data"), "oldImage")));
    json_decref(b);
    json_decref(want);
    json_decref(before);
    json_decref(after);
}

static void carriyo_body(void **state)
{
    json_t *before = json_pack("{s:s}", "status", "open"), *after = json_pack("{s:s}", "status", "allocated");
    json_t *b = webhook_event_carriyo_body("FULFILLMENT_ORDER_UPDATE_LOCATION", before, after);
    json_t *want = json_loads("{\"oldImage\":{\"status\":\"open\"},\"newImage\":{\"status\":\"allocated\"},"
                              "\"trigger\":\"FULFILLMENT_ORDER_UPDATE_LOCATION\",\"operation\":\"MODIFY\"}",
                              0, NULL);
    assert_true(json_equal(b, want));
    json_decref(b);
    b = webhook_event_carriyo_body("ORDER_CREATE", NULL, after);
    assert_null(json_object_get(b, "oldImage"));
    assert_string_equal(json_string_value(json_object_get(b, "operation")), "INSERT");
    json_decref(b);
    json_decref(want);
    json_decref(before);
    json_decref(after);
}

/* Fulfillment control (seed 002): shiprelay's triggers, a warehouse event's
 * level carried to the event and into shiprelay's body. */
static void fulfillment_control(void **state)
{
    json_t *b = json_pack("{s:s}", "status", "allocated");
    json_t *c = json_loads("[{\"change_type\":\"FULFILLMENT_EVENT\",\"trigger\":\"FULFILLMENT_ORDER_EVENT\","
                           "\"level\":\"ERROR\"},{\"change_type\":\"FIELD_UPDATE\",\"trigger\":"
                           "\"FULFILLMENT_ORDER_HOLD\"}]",
                           0, NULL);
    json_t *ev = webhook_events_for(b, b, c, NULL);
    assert_int_equal(json_array_size(ev), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "type")), "order.fulfillment_event");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "level")), "ERROR");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 1), "type")),
                        "order.fulfillment_order_held");
    assert_null(json_object_get(json_array_get(ev, 1), "level"));
    json_decref(ev);
    const char *mine[] = {"FULFILLMENT_ORDER_HOLD", "FULFILLMENT_ORDER_RESUME", "FULFILLMENT_ORDER_REQUEST_FULFILLMENT",
                          "FULFILLMENT_ORDER_EVENT"};
    for (size_t i = 0; i < 4; i++)
        assert_true(webhook_event_trigger_known(mine[i]));
    json_t *extra = json_pack("{s:s}", "level", "ERROR");
    char *text = webhook_event_text("order.fulfillment_event", "FULFILLMENT_ORDER_EVENT", "evt_1", "t", "acme", extra,
                                    "{\"a\":1}", "{\"a\":2}");
    json_t *got = json_loads(text, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(got, "level")), "ERROR");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(got, "data"), "newImage"), "a")),
                     2);
    json_decref(got);
    free(text);
    json_decref(extra);
    json_decref(c);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(rules), cmocka_unit_test(body), cmocka_unit_test(carriyo_body),
                                       cmocka_unit_test(fulfillment_control)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
