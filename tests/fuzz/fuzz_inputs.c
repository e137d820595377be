/* Fuzz target for everything that reads bytes from outside: the JSON a
 * source or partner posts (every adapter's normalize, the Carriyo shipment
 * reader, order creation, PATCH and every fulfillment-order operation and
 * allocation on an order, applying the resulting events to an order) and
 * request paths (the route matcher). None of them may crash, leak or read
 * out of bounds, whatever the input.
 *
 * Built with libFuzzer when SHIPRELAY_FUZZ=ON (clang); otherwise
 * replay_main.c runs it over files, which is how CTest replays the
 * fixtures as a corpus on every build. The first byte of an input picks
 * what it feeds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "allocation.h"
#include "fo_control.h"
#include "fo_ops.h"
#include "fo_regroup.h"
#include "fo_updates.h"
#include "order_patch.h"
#include "carriyo.h"
#include "order.h"
#include "pipeline.h"
#include "returns.h"
#include "routes.h"

static const char *no_value(const void *ctx, const char *name)
{
    return NULL;
}

static const char *kinds[] = {"aftership", "easypost", "shippo", "ups", "dhl", "aymakan", "carriyo-carrier", "carriyo", "wms"};

static const struct route table[] = {
    {"POST", "/orders", NULL, 0, "A"},
    {"GET", "/orders/{reference}", NULL, 0, "B"},
    {"POST", "/hooks/{tenant}/{source}", NULL, 0, "C"},
    {"GET", "/orders/{reference}/system-logs/{identifier}", NULL, 0, "D"},
};

static const char *order_json =
    "{\"partner_order_reference\":\"P\",\"line_items\":[{\"line_item_id\":\"L1\",\"sku\":\"A\",\"quantity\":1,"
    "\"status\":\"fulfilled\"},{\"line_item_id\":\"L2\",\"sku\":\"B\",\"quantity\":1}],\"fulfillment_orders\":["
    "{\"fulfillment_order_id\":\"F1\",\"line_items\":[\"L1\",\"L2\"],\"shipments\":[{\"tracking_no\":\"T1\","
    "\"line_items\":[\"L1\"]}]}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned pick = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (pick % 4 == 3) { /* a request path */
        char path[512];
        size_t n = len < sizeof path - 1 ? len : sizeof path - 1;
        memcpy(path, text, n);
        path[n] = '\0';
        const struct route *r;
        struct route_params p;
        char allow[64];
        route_match(table, sizeof table / sizeof table[0], pick & 4 ? "GET" : "POST", path, &r, &p, allow, sizeof allow);
        return 0;
    }
    json_t *body = json_loadb(text, len, 0, NULL);
    if (!body)
        return 0;
    char err[256];
    json_t *events = json_array();
    if (pick % 4 == 0) { /* a source's callback */
        struct adapter_request req = {text, len, no_value, no_value, NULL, 0};
        adapter_find(kinds[(pick / 4) % 9])->normalize(body, &req, events, err, sizeof err);
    } else if (pick % 4 == 1) { /* a Carriyo shipment */
        json_t *ev = carriyo_shipment_event(body, err, sizeof err);
        if (ev)
            json_array_append_new(events, ev);
    } else { /* an order to create; and the body as a PATCH and every operation's request on a known order */
        json_t *changes = json_array();
        json_t *o = order_create(body, "t", "ord", NULL, "2026-01-01T00:00:00.000Z", changes, err, sizeof err);
        json_decref(o);
        json_decref(changes);
        static const ops_fn ops[] = {order_patch,         fo_fulfill,         fo_unfulfill,
                                     fo_split,            fo_merge,           fo_ship,
                                     fo_cancel,           fo_update_location, fo_update_address,
                                     fo_update_delivery_method, fo_update_schedule, fo_update_partner_references,
                                     allocation_allocate, fo_hold, fo_resume, fo_request_fulfillment};
        bool reason = json_is_string(json_object_get(body, "cancellation_reason"));
        for (size_t k = 0; json_is_object(body) && k < sizeof ops / sizeof ops[0]; k++) {
            if (ops[k] == fo_cancel && !reason)
                continue; /* the handler refuses it before */
            json_t *ob2 = json_loads(order_json, 0, NULL), *ch2 = json_array();
            json_t *known = order_create(ob2, "t", "ord_fz", NULL, "2026-01-01T00:00:00.000Z", ch2, err, sizeof err);
            struct ops_input in = {.body = body, .fo_id = "F1", .nonce = "fz", .now = "2026-01-01T00:00:00.000Z"};
            ops[k](known, &in, ch2, err, sizeof err);
            json_decref(known);
            json_decref(ob2);
            json_decref(ch2);
        }
    }
    /* The body as a return request, and as every action's body on a known one. */
    if (json_is_object(body)) {
        json_t *ch = json_array();
        json_t *r = returns_create(body, "t", "R1", NULL, "2026-01-01T00:00:00.000Z", ch, err, sizeof err);
        json_decref(r);
        static const returns_fn acts[] = {returns_approve, returns_reject, returns_cancel, returns_complete};
        for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
            json_t *rb = json_pack("{s:s,s:[{s:s,s:i},{s:s,s:i}]}", "partner_order_reference", "P", "items", "sku", "A",
                                   "quantity", 2, "sku", "B", "quantity", 1);
            json_t *known = returns_create(rb, "t", "R2", NULL, "2026-01-01T00:00:00.000Z", ch, err, sizeof err);
            if (k == 3)
                returns_approve(known, rb, "2026-01-01T00:00:00.000Z", ch, err, sizeof err);
            acts[k](known, body, "2026-01-01T00:00:00.000Z", ch, err, sizeof err);
            returns_patch(known, body, ch, err, sizeof err);
            json_decref(known);
            json_decref(rb);
        }
        json_decref(ch);
    }
    /* Whatever events came out are applied to a known order. */
    json_t *ob = json_loads(order_json, 0, NULL), *changes = json_array();
    json_t *order = order_create(ob, "t", "ord", NULL, "2026-01-01T00:00:00.000Z", changes, err, sizeof err);
    static struct config cfg;
    static int ready;
    if (!ready) {
        config_defaults(&cfg);
        ready = 1;
    }
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        pipeline_apply(&cfg, order, ev, "2026-01-01T00:00:00.000Z", changes);
    }
    json_decref(order);
    json_decref(ob);
    json_decref(changes);
    json_decref(events);
    json_decref(body);
    return 0;
}
