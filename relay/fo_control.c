/* fo_control: hold, resume and request-fulfillment. See fo_control.h. */
#include "fo_control.h"

#include <stdio.h>
#include <string.h>

#include "fo_ops.h"
#include "fulfillment_event.h"
#include "order.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The optional (or, required, the mandatory) reason: false with err when bad. */
static bool reason_ok(const json_t *body, bool required, const char **reason, char *err, size_t errlen)
{
    json_t *r = json_object_get(body, "reason");
    *reason = json_string_value(r);
    if ((!r || json_is_null(r)) && !required)
        return true;
    if (!json_is_string(r) || !**reason || strlen(*reason) > 255) {
        snprintf(err, errlen, "reason %s (a non-empty string of at most 255 bytes)",
                 required ? "is required" : "must be a string");
        return false;
    }
    return true;
}

static bool is(const json_t *fo, const char *key, const char *value)
{
    const char *v = str(fo, key);
    return v && !strcmp(v, value);
}

enum ops_result fo_hold(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen)
{
    const char *reason;
    if (!reason_ok(in->body, true, &reason, err, errlen))
        return OPS_INVALID;
    json_t *fo = fo_ops_find(order, in->fo_id, err, errlen);
    if (!fo)
        return OPS_NOT_FOUND;
    if (json_is_true(json_object_get(fo, "on_hold")))
        return OPS_NOOP;
    if (fo_ops_final(fo) || is(fo, "status", "fulfilled")) {
        snprintf(err, errlen, "fulfillment order \"%s\" is %s: there is no fulfilment left to hold%s", in->fo_id,
                 str(fo, "status"), is(fo, "status", "fulfilled")
                                       ? "; unfulfill it first (POST …/unfulfill) to hold its lines again"
                                       : "; add a fulfillment order with PATCH /orders/{ref} instead");
        return OPS_REFUSED;
    }
    fulfillment_event_set_hold(fo, true, reason, "API", in->now, changes);
    fulfillment_event_trail(fo, "HOLDED", "WARNING", reason, "API", in->now, true);
    return OPS_CHANGED;
}

enum ops_result fo_resume(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen)
{
    const char *reason;
    if (!reason_ok(in->body, false, &reason, err, errlen))
        return OPS_INVALID;
    json_t *fo = fo_ops_find(order, in->fo_id, err, errlen);
    if (!fo)
        return OPS_NOT_FOUND;
    if (!fulfillment_event_set_hold(fo, false, NULL, "API", in->now, changes))
        return OPS_NOOP;
    fulfillment_event_trail(fo, "RESUMED", "NORMAL", reason, "API", in->now, true);
    return OPS_CHANGED;
}

/* Drop the order's error_details of fo that a new request answers. */
static void clear_errors(json_t *order, const char *fo_id, json_t *changes)
{
    json_t *details = json_object_get(order, "error_details");
    for (size_t i = json_array_size(details); i-- > 0;) {
        json_t *d = json_array_get(details, i);
        if (!is(d, "fulfillment_order_id", fo_id) ||
            !(is(d, "code", "INTEGRATION_ERROR") || is(d, "code", "FULFILLMENT_REJECTED")))
            continue;
        order_change(changes, "ERROR_DETAIL_CLEARED", "fulfillment_order", fo_id, "error_details", d, NULL);
        json_array_remove(details, i);
    }
}

enum ops_result fo_request_fulfillment(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                       size_t errlen)
{
    const char *reason;
    if (!reason_ok(in->body, false, &reason, err, errlen))
        return OPS_INVALID;
    json_t *fo = fo_ops_find(order, in->fo_id, err, errlen);
    if (!fo)
        return OPS_NOT_FOUND;
    const char *order_id = str(order, "order_id");
    if (fo_ops_final(fo) || is(fo, "status", "fulfilled")) {
        snprintf(err, errlen, "fulfillment order \"%s\" is %s: there is nothing left to fulfil; add a fulfillment "
                              "order with PATCH /orders/{ref} instead", in->fo_id, str(fo, "status"));
        return OPS_REFUSED;
    }
    if (fo_ops_held(order, fo, "requested", err, errlen))
        return OPS_REFUSED;
    if (!str(fo, "location_id")) {
        snprintf(err, errlen, "fulfillment order \"%s\" has no location: allocate it first: PATCH /orders/%s/"
                              "fulfillment-orders/%s/update-location", in->fo_id, order_id, in->fo_id);
        return OPS_REFUSED;
    }
    const char *state = str(fo, "fulfillment_state");
    if (state && !strcmp(state, "requested"))
        return OPS_NOOP;
    if (state && (!strcmp(state, "accepted") || !strcmp(state, "integrated"))) {
        snprintf(err, errlen, "fulfillment order \"%s\" is already %s by the warehouse: to pause it, hold it: POST "
                              "/orders/%s/fulfillment-orders/%s/hold", in->fo_id, state, order_id, in->fo_id);
        return OPS_REFUSED;
    }
    fulfillment_event_set_state(fo, "requested", changes);
    clear_errors(order, in->fo_id, changes);
    fulfillment_event_trail(fo, "FULFILLMENT_REQUESTED", "NORMAL", reason, "API", in->now, true);
    return OPS_CHANGED;
}
