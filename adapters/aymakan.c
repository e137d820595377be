/* aymakan: AyMakan shipment status webhooks (their developer docs,
 * "Web Hooks").
 *
 * Auth: AyMakan sends a custom header name and value configured with the
 * webhook; the callback must carry the source's `token` in the source's
 * `header` (default x-api-key). A source without a token is refused at
 * start unless it says allow_unauthenticated = yes (AyMakan leaves the
 * endpoint's security to the merchant; then the URL is the only secret).
 * Body: tracking_number (older payloads: tracking), reference (the
 * shipment reference given when the shipment was created), status (the
 * AY-nnnn code), status_label or description (its text), reason and
 * reason_description (for Not Delivered AY-0006 and Pending AY-0032),
 * date_time.
 * Status: the code. AyMakan hands its full code list to customers on
 * request; the rows below are the codes its documentation names. Other codes
 * are recorded, unmapped (informational). */
#include <string.h>

#include "adapter.h"
#include "jsonutil.h"

static const struct adapter_status_map map[] = {
    {"AY-0001", NULL, "booked"},                  /* Submitted */
    {"AY-0003", NULL, "in_transit"},              /* Received at Warehouse */
    {"AY-0005", NULL, "delivered"},               /* Delivered */
    {"AY-0006", NULL, "failed_delivery_attempt"}, /* Not Delivered (with a reason) */
    {"AY-0032", NULL, "suspended"},               /* Pending (with a reason) */
};

static int verify(const struct adapter_source *src, const struct adapter_request *req, char *err, size_t errlen)
{
    return adapter_check_token(src, &adapter_aymakan, req, err, errlen);
}

static const char *either(const json_t *body, const char *a, const char *b)
{
    const char *s = ju_path_str(body, a);
    return s && *s ? s : ju_path_str(body, b);
}

static int normalize(const json_t *body, const struct adapter_request *req, json_t *events, char *err, size_t errlen)
{
    const char *trk = either(body, "tracking_number", "tracking");
    const char *code = ju_path_str(body, "status");
    if (!trk || !*trk || !code || !*code) {
        snprintf(err, errlen, "tracking_number (or tracking) and status are required strings");
        return ADAPTER_INVALID;
    }
    json_t *ev = adapter_event("shipment");
    adapter_set(ev, "status", adapter_map_status(map, sizeof map / sizeof map[0], code, NULL));
    adapter_set(ev, "raw_status", code);
    adapter_set(ev, "description", either(body, "status_label", "description"));
    adapter_set(ev, "reason_code", ju_path_str(body, "reason"));
    adapter_set(ev, "event_time", ju_path_str(body, "date_time"));
    adapter_set(ev, "tracking_no", trk);
    adapter_set(ev, "partner_shipment_reference", ju_path_str(body, "reference"));
    adapter_set(ev, "carrier", "AYMAKAN");
    json_array_append_new(events, ev);
    return ADAPTER_OK;
}

const struct adapter adapter_aymakan = {
    .kind = "aymakan",
    .needs = ADAPTER_NEEDS_TOKEN,
    .default_header = "x-api-key",
    .verify = verify,
    .normalize = normalize,
};
