/* order_limits: see order_limits.h. */
#include "order_limits.h"

#include <stdio.h>

static bool over(size_t n, size_t was, long max, const char *what, char *err, size_t errlen)
{
    if ((long)n <= max || n <= was) /* within the bound, or not growing (a bound lowered since) */
        return false;
    snprintf(err, errlen, "an order may hold at most %ld %s ([orders] max_%s); this one would hold %zu", max, what, what,
             n);
    return true;
}

/* Lines, fulfillment orders and shipments (at the top or inside fulfillment
 * orders, as a create request may give them). */
static void count(const json_t *o, size_t n[3])
{
    json_t *fos = json_object_get(o, "fulfillment_orders");
    n[0] = json_array_size(json_object_get(o, "line_items"));
    n[1] = json_array_size(fos);
    n[2] = json_array_size(json_object_get(o, "shipments"));
    size_t i;
    json_t *fo;
    json_array_foreach(fos, i, fo)
    {
        n[2] += json_array_size(json_object_get(fo, "shipments"));
    }
}

static bool within(const json_t *o, const json_t *before, const struct config *cfg, char *err, size_t errlen)
{
    size_t n[3], was[3] = {0, 0, 0};
    count(o, n);
    if (before)
        count(before, was);
    return !over(n[0], was[0], cfg->max_line_items, "line_items", err, errlen) &&
           !over(n[1], was[1], cfg->max_fulfillment_orders, "fulfillment_orders", err, errlen) &&
           !over(n[2], was[2], cfg->max_shipments, "shipments", err, errlen);
}

bool order_limits_request_ok(const json_t *body, const struct config *cfg, char *err, size_t errlen)
{
    return within(body, NULL, cfg, err, errlen);
}

bool order_limits_ok(const json_t *order, const json_t *before, const struct config *cfg, char *err, size_t errlen)
{
    return within(order, before, cfg, err, errlen);
}

const char *order_shipment_key(const json_t *ship)
{
    static const char *keys[] = {"partner_shipment_reference", "tracking_no", "shipment_id"};
    for (int i = 0; i < 3; i++) {
        const char *v = json_string_value(json_object_get(ship, keys[i]));
        if (v)
            return v;
    }
    return NULL;
}

json_t *order_limits_trim_history(json_t *order, const struct config *cfg)
{
    json_t *moved = json_array();
    size_t keep = cfg->inline_history > 0 ? (size_t)cfg->inline_history : 1, i;
    json_t *ship;
    json_array_foreach(json_object_get(order, "shipments"), i, ship)
    {
        json_t *history = json_object_get(ship, "status_history");
        size_t n = json_array_size(history);
        if (n <= keep)
            continue;
        json_t *old = json_array();
        for (size_t k = 0; k < n - keep; k++)
            json_array_append(old, json_array_get(history, k));
        json_t *recent = json_array();
        for (size_t k = n - keep; k < n; k++)
            json_array_append(recent, json_array_get(history, k));
        json_object_set_new(ship, "status_history", recent);
        json_object_set_new(ship, "status_history_archived",
                            json_integer(json_integer_value(json_object_get(ship, "status_history_archived")) +
                                         (json_int_t)(n - keep)));
        const char *key = order_shipment_key(ship);
        json_array_append_new(moved, json_pack("{s:s,s:o}", "shipment", key ? key : "(unidentified)", "entries", old));
    }
    return moved;
}
