/* dhl: DHL Shipment Tracking Unified Push, "Default" format: the body is a
 * Unified tracking response, one event per entry of shipments[].
 *
 * Auth: the header and token configured for the push subscription.
 * Status: shipments[].status.statusCode only. The free-text `status` may
 * say "DELIVERED" while statusCode says pre-transit; free text is kept as
 * the raw sub-status and never mapped. */
#include <string.h>

#include "adapter.h"
#include "jsonutil.h"

static const struct adapter_status_map map[] = {
    {"pre-transit", NULL, "booked"},
    {"transit", NULL, "in_transit"},
    {"delivered", NULL, "delivered"},
    {"failure", NULL, "failed_delivery_attempt"},
};

static int verify(const struct adapter_source *src, const struct adapter_request *req, char *err, size_t errlen)
{
    return adapter_check_token(src, &adapter_dhl, req, err, errlen);
}

static int normalize(const json_t *body, const struct adapter_request *req, json_t *events, char *err, size_t errlen)
{
    json_t *shipments = json_object_get(body, "shipments");
    if (!json_is_array(shipments)) {
        snprintf(err, errlen, "shipments must be an array");
        return ADAPTER_INVALID;
    }
    size_t i;
    json_t *s;
    json_array_foreach(shipments, i, s)
    {
        json_t *id = json_object_get(s, "id");
        char idbuf[32];
        const char *trk = json_string_value(id);
        if (json_is_integer(id)) { /* DHL's own sample sends the id as a number */
            snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(id));
            trk = idbuf;
        }
        const char *code = ju_path_str(s, "status.statusCode");
        if (!trk || !*trk || !code || !*code) {
            snprintf(err, errlen, "shipments[%zu] needs an id and status.statusCode", i);
            return ADAPTER_INVALID;
        }
        json_t *ev = adapter_event("shipment");
        adapter_set(ev, "status", adapter_map_status(map, sizeof map / sizeof map[0], code, NULL));
        adapter_set(ev, "raw_status", code);
        adapter_set(ev, "raw_substatus", ju_path_str(s, "status.status"));
        adapter_set(ev, "description", ju_path_str(s, "status.description"));
        adapter_set(ev, "event_time", ju_path_str(s, "status.timestamp"));
        adapter_set(ev, "tracking_no", trk);
        adapter_set(ev, "carrier", "DHL");
        adapter_set(ev, "location", ju_path_str(s, "status.location.address.addressLocality"));
        json_array_append_new(events, ev);
    }
    return ADAPTER_OK;
}

const struct adapter adapter_dhl = {
    .kind = "dhl",
    .needs = ADAPTER_NEEDS_TOKEN | ADAPTER_NEEDS_HEADER,
    .verify = verify,
    .normalize = normalize,
};
