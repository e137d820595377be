/* aymakan: Aymakan shipment status callbacks.
 *
 * Auth: optional. When the source sets a `token`, the callback must carry it
 * in the source's `header` (default x-api-key); without one, the URL itself
 * is the secret.
 * Body: tracking_number (or tracking), reference (the merchant's order
 * reference), status_code ("AY-nnnn"), status (text), updated_at.
 * Status: status_code. Codes not in the table are informational. */
#include <string.h>

#include "adapter.h"
#include "jsonutil.h"

static const struct adapter_status_map map[] = {
    {"AY-0001", NULL, "booked"},           /* shipment created */
    {"AY-0002", NULL, "shipped"},          /* picked up from the merchant */
    {"AY-0003", NULL, "in_transit"},       /* received at a hub / in transit */
    {"AY-0004", NULL, "out_for_delivery"}, /* out for delivery */
    {"AY-0005", NULL, "delivered"},        /* delivered */
    {"AY-0006", NULL, "failed_delivery_attempt"},
    {"AY-0007", NULL, "return_in_transit"},
    {"AY-0008", NULL, "returned"},
    {"AY-0009", NULL, "cancelled"},
};


static int verify(const struct adapter_source *src, const struct adapter_request *req, char *err, size_t errlen)
{
    if (!src->token)
        return ADAPTER_OK;
    return adapter_check_token(src, &adapter_aymakan, req, err, errlen);
}

static int normalize(const json_t *body, const struct adapter_request *req, json_t *events, char *err, size_t errlen)
{
    const char *trk = ju_path_str(body, "tracking_number");
    if (!trk)
        trk = ju_path_str(body, "tracking");
    const char *code = ju_path_str(body, "status_code");
    if (!trk || !*trk || !code || !*code) {
        snprintf(err, errlen, "tracking_number and status_code are required strings");
        return ADAPTER_INVALID;
    }
    json_t *ev = adapter_event("shipment");
    adapter_set(ev, "status", adapter_map_status(map, sizeof map / sizeof map[0], code, NULL));
    adapter_set(ev, "raw_status", code);
    adapter_set(ev, "description", ju_path_str(body, "status"));
    adapter_set(ev, "event_time", ju_path_str(body, "updated_at"));
    adapter_set(ev, "tracking_no", trk);
    adapter_set(ev, "partner_order_reference", ju_path_str(body, "reference"));
    adapter_set(ev, "carrier", "AYMAKAN");
    adapter_set(ev, "location", ju_path_str(body, "city"));
    json_array_append_new(events, ev);
    return ADAPTER_OK;
}

const struct adapter adapter_aymakan = {
    .kind = "aymakan",
    .needs = 0,
    .default_header = "x-api-key",
    .verify = verify,
    .normalize = normalize,
};
