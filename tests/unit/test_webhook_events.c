/* Mirrors relay/webhook_events.c: which order.* events each kind of change
 * fires, and the body's shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "webhook_events.h"

static json_t *types(const char *before, const char *after, const char *changes)
{
    json_t *b = before ? json_loads(before, 0, NULL) : NULL, *a = json_loads(after, 0, NULL),
           *c = json_loads(changes, 0, NULL);
    json_t *ev = webhook_events_for(b, a, c);
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

static void expect(const char *before, const char *after, const char *changes, const char *want)
{
    json_t *got = types(before, after, changes), *w = json_loads(want, 0, NULL);
    if (!json_equal(got, w)) {
        char *g = json_dumps(got, 0);
        fail_msg("got %s, want %s", g, want);
    }
    json_decref(got);
    json_decref(w);
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(rules), cmocka_unit_test(body)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
