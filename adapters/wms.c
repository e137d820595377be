/* wms: fulfillment events from a warehouse for one fulfillment order (seed
 * 002's event model).
 *
 * Auth: the source's `header` (default x-api-key) carries its token.
 * Body: event_id, partner_order_reference, fulfillment_order_id, type
 * (FULFILLMENT_REQUESTED, FULFILLMENT_ACCEPTED, FULFILLMENT_REJECTED,
 * INTEGRATED, INTEGRATION_ERROR, INSUFFICIENT_STOCK,
 * FULFILLMENT_IN_PROGRESS, PACKED, SHIPPED, CANCELED, HOLDED, RESUMED,
 * COMPLETED), level (NORMAL, WARNING, ERROR; defaults to the type's level),
 * message, date, and optionally line_items (the ids it concerns; default
 * all of the fulfillment order's). What each type does to the order is in
 * relay/fulfillment_event.h. A type or level the relay does not know is
 * taken as it is and recorded as informational (never refused): an
 * unknown level is kept in raw_level and counts as NORMAL. */
#include <stdio.h>
#include <string.h>

#include "adapter.h"
#include "fulfillment_event.h"
#include "jsonutil.h"


static int verify(const struct adapter_source *src, const struct adapter_request *req, char *err, size_t errlen)
{
    return adapter_check_token(src, &adapter_wms, req, err, errlen);
}

static int normalize(const json_t *body, const struct adapter_request *req, json_t *events, char *err, size_t errlen)
{
    const char *fo = ju_path_str(body, "fulfillment_order_id");
    const char *por = ju_path_str(body, "partner_order_reference");
    const char *type = ju_path_str(body, "type");
    if (!fo || !*fo || !por || !*por || !type || !*type || strlen(type) > 128) {
        snprintf(err, errlen, "partner_order_reference, fulfillment_order_id and type are required strings (type: at "
                              "most 128 bytes)");
        return ADAPTER_INVALID;
    }
    const char *own = fulfillment_event_level(type), *given = ju_path_str(body, "level");
    const char *level = fulfillment_event_level_known(given) ? given : !given && own ? own : "NORMAL";
    json_t *lines = json_object_get(body, "line_items");
    if (lines && !json_is_array(lines)) {
        snprintf(err, errlen, "line_items must be an array of line item ids");
        return ADAPTER_INVALID;
    }
    json_t *ev = adapter_event("fulfillment");
    adapter_set(ev, "event", type);
    adapter_set(ev, "level", level);
    if (given && !fulfillment_event_level_known(given) && strlen(given) <= 64)
        adapter_set(ev, "raw_level", given);
    adapter_set(ev, "message", ju_path_str(body, "message"));
    adapter_set(ev, "event_time", ju_path_str(body, "date"));
    adapter_set(ev, "fulfillment_order_id", fo);
    adapter_set(ev, "partner_order_reference", por);
    adapter_set(ev, "source_event_id", ju_path_str(body, "event_id"));
    if (lines)
        json_object_set(ev, "line_items", lines);
    json_array_append_new(events, ev);
    return ADAPTER_OK;
}

const struct adapter adapter_wms = {
    .kind = "wms",
    .needs = ADAPTER_NEEDS_TOKEN,
    .default_header = "x-api-key",
    .verify = verify,
    .normalize = normalize,
};
