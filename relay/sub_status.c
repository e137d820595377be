/* sub_status: the rules of sub_status.h, in their order. */
#include "sub_status.h"

#include <stdbool.h>
#include <string.h>

#include "order.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static bool is(const json_t *o, const char *k, const char *v)
{
    const char *s = str(o, k);
    return s && !strcmp(s, v);
}

static bool final(const json_t *o)
{
    return is(o, "status", "cancelled") || is(o, "status", "closed");
}

/* Does a live fulfillment order have key = value (or, value NULL, key true)? */
static bool any_fo(const json_t *order, const char *key, const char *value)
{
    size_t i;
    json_t *fo;
    json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
    {
        if (!final(fo) && (value ? is(fo, key, value) : json_is_true(json_object_get(fo, key))))
            return true;
    }
    return false;
}

static bool delivery_exception(const json_t *order)
{
    static const char *const exceptions[] = {"failed_delivery_attempt", "failed_collection_attempt", "delayed",
                                             "suspended", "missing", "error", "cancelled_by_carrier"};
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(order, "shipments"), i, s)
    {
        for (size_t k = 0; k < sizeof exceptions / sizeof exceptions[0]; k++)
            if (is(s, "status", exceptions[k]))
                return true;
    }
    return false;
}

/* Some units delivered (closed) and others still on their way: over the
 * fulfillment-order lines, and the lines in no fulfillment order. */
static bool partial(const json_t *order)
{
    bool closed = false, pending = false;
    size_t i, k;
    json_t *fo, *e, *line;
    json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
    {
        json_array_foreach(json_object_get(fo, "line_items"), k, e)
        {
            closed |= is(e, "status", "closed");
            pending |= !is(e, "status", "closed") && !is(e, "status", "cancelled");
        }
    }
    json_t *by_line = order_entries_by_line(order);
    json_array_foreach(json_object_get(order, "line_items"), i, line)
    {
        if (!json_array_size(json_object_get(by_line, str(line, "line_item_id")))) {
            closed |= is(line, "status", "closed");
            pending |= !is(line, "status", "closed") && !is(line, "status", "cancelled");
        }
    }
    json_decref(by_line);
    return closed && pending;
}

const char *sub_status_of(const json_t *order)
{
    if (is(order, "status", "cancelled")) {
        const char *outcome = str(json_object_get(order, "refund"), "outcome");
        if (outcome && (!strcmp(outcome, "REFUNDED") || !strcmp(outcome, "NOT_REFUNDED")))
            return outcome;
        return json_is_true(json_object_get(json_object_get(order, "cancellation"), "late")) ? "NOT_REFUNDED" : NULL;
    }
    if (is(order, "status", "closed"))
        return NULL;
    if (any_fo(order, "fulfillment_state", "rejected"))
        return "FULFILLMENT_REJECTED";
    if (any_fo(order, "fulfillment_state", "integration_error"))
        return "INTEGRATION_ERROR";
    if (any_fo(order, "on_hold", NULL))
        return "ON_HOLD";
    if (delivery_exception(order))
        return "DELIVERY_EXCEPTION";
    if (partial(order))
        return "PARTIAL";
    if (json_is_true(json_object_get(order, "auto_allocation_failed")) &&
        (is(order, "status", "open") || is(order, "status", "partially_allocated")))
        return "AUTO_ALLOCATION_FAILED";
    return NULL;
}

int sub_status_update(json_t *order, json_t *changes)
{
    const char *want = sub_status_of(order), *was = str(order, "sub_status");
    if ((!want && !was && json_object_get(order, "sub_status")) || (want && was && !strcmp(want, was)))
        return 0;
    json_t *nv = want ? json_string(want) : json_null();
    if (want || was) /* the first time a null is written is no move */
        order_change(changes, "STATUS_CHANGE", "order", str(order, "order_id"), "sub_status",
                     json_object_get(order, "sub_status"), nv);
    json_object_set_new(order, "sub_status", nv);
    return want || was;
}
