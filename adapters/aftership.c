/* aftership: AfterShip tracking webhooks (event "tracking_update").
 *
 * Auth: header aftership-hmac-sha256 = base64(HMAC-SHA256(secret, raw body)).
 * Status: msg.tag, refined by msg.subtag. AfterShip's Expired tag (no
 * tracking information for too long) is left unmapped on purpose: it says
 * nothing about where the parcel is. */
#include <string.h>

#include "adapter.h"
#include "jsonutil.h"

static const struct adapter_status_map map[] = {
    {"Pending", NULL, "pending"},
    {"InfoReceived", NULL, "booked"},
    {"InTransit", NULL, "in_transit"},
    {"InTransit", "InTransit_002", "shipped"}, /* acceptance scan: handed to the carrier */
    {"OutForDelivery", NULL, "out_for_delivery"},
    {"AttemptFail", NULL, "failed_delivery_attempt"},
    {"AvailableForPickup", NULL, "awaiting_customer_collection"},
    {"Delivered", NULL, "delivered"},
    {"Exception", "Exception_003", "failed_delivery_attempt"}, /* customer refused */
    {"Exception", "Exception_004", "delayed"},                 /* customs clearance */
    {"Exception", "Exception_005", "delayed"},                 /* external factors */
    {"Exception", "Exception_006", "suspended"},               /* held for payment */
    {"Exception", "Exception_007", "failed_delivery_attempt"}, /* incorrect address */
    {"Exception", "Exception_009", "cancelled_by_carrier"},    /* rejected by carrier */
    {"Exception", "Exception_010", "return_in_transit"},       /* returning to sender */
    {"Exception", "Exception_011", "returned"},                /* returned to sender */
    {"Exception", "Exception_013", "missing"},                 /* lost */
};

static int verify(const struct adapter_source *src, const struct adapter_request *req, char *err, size_t errlen)
{
    return adapter_check_hmac(src, req->body, req->body_len, req->header(req->ctx, "aftership-hmac-sha256"),
                              adapter_encode_base64, err, errlen);
}

static int normalize(const json_t *body, const struct adapter_request *req, json_t *events, char *err, size_t errlen)
{
    const char *type = ju_path_str(body, "event");
    if (!type || strcmp(type, "tracking_update") != 0)
        return ADAPTER_OK; /* not a tracking event: nothing to apply */
    json_t *msg = json_object_get(body, "msg");
    const char *trk = ju_path_str(msg, "tracking_number");
    const char *tag = ju_path_str(msg, "tag");
    if (!json_is_object(msg) || !trk || !*trk || !tag || !*tag) {
        snprintf(err, errlen, "msg.tracking_number and msg.tag are required strings");
        return ADAPTER_INVALID;
    }
    const char *sub = ju_path_str(msg, "subtag");
    json_t *cps = json_object_get(msg, "checkpoints");
    json_t *last = json_is_array(cps) && json_array_size(cps) ? json_array_get(cps, json_array_size(cps) - 1) : NULL;
    json_t *ev = adapter_event("shipment");
    adapter_set(ev, "status", adapter_map_status(map, sizeof map / sizeof map[0], tag, sub));
    adapter_set(ev, "raw_status", tag);
    adapter_set(ev, "raw_substatus", sub);
    adapter_set(ev, "description", ju_path_str(msg, "subtag_message"));
    adapter_set(ev, "tracking_no", trk);
    adapter_set(ev, "carrier", ju_path_str(msg, "slug"));
    adapter_set(ev, "partner_order_reference", ju_path_str(msg, "order_id"));
    if (!json_object_get(ev, "partner_order_reference"))
        adapter_set(ev, "partner_order_reference", ju_path_str(msg, "order_number"));
    const char *when = last ? ju_path_str(last, "checkpoint_time") : NULL;
    adapter_set(ev, "event_time", when ? when : ju_path_str(msg, "updated_at"));
    if (last) {
        adapter_set(ev, "location", ju_path_str(last, "location"));
        if (!json_object_get(ev, "location"))
            adapter_set(ev, "location", ju_path_str(last, "city"));
    }
    adapter_set(ev, "source_event_id", ju_path_str(body, "event_id"));
    json_array_append_new(events, ev);
    return ADAPTER_OK;
}

const struct adapter adapter_aftership = {
    .kind = "aftership",
    .needs = ADAPTER_NEEDS_SECRET,
    .verify = verify,
    .normalize = normalize,
};
