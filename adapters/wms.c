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
 * relay/fulfillment_event.h. */
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
    if (!fo || !*fo || !por || !*por || !type) {
        snprintf(err, errlen, "partner_order_reference, fulfillment_order_id and type are required strings");
        return ADAPTER_INVALID;
    }
    const char *level = fulfillment_event_level(type);
    if (!level) {
        snprintf(err, errlen, "type \"%s\" is not a fulfillment event type", type);
        return ADAPTER_INVALID;
    }
    const char *given = ju_path_str(body, "level");
    if (given && strcmp(given, "NORMAL") && strcmp(given, "WARNING") && strcmp(given, "ERROR")) {
        snprintf(err, errlen, "level must be NORMAL, WARNING or ERROR");
        return ADAPTER_INVALID;
    }
    json_t *lines = json_object_get(body, "line_items");
    if (lines && !json_is_array(lines)) {
        snprintf(err, errlen, "line_items must be an array of line item ids");
        return ADAPTER_INVALID;
    }
    json_t *ev = adapter_event("fulfillment");
    adapter_set(ev, "event", type);
    adapter_set(ev, "level", given ? given : level);
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
