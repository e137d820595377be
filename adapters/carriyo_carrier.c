/* carriyo-carrier: Carriyo's carrier status feed, one status update per
 * callback, already in Carriyo's vocabulary.
 *
 * Auth: the `api-key` header (or the source's `header`) carries the token.
 * Body: tracking_number, status_update_date, carriyo_status_code,
 * carriyo_reason_code, carrier, carrier_status_code,
 * carrier_status_description, and optionally partner_order_reference /
 * partner_shipment_reference. */
#include <ctype.h>
#include <string.h>

#include "adapter.h"
#include "jsonutil.h"
#include "shipment_status.h"


static int verify(const struct adapter_source *src, const struct adapter_request *req, char *err, size_t errlen)
{
    return adapter_check_token(src, &adapter_carriyo_carrier, req, err, errlen);
}

static int normalize(const json_t *body, const struct adapter_request *req, json_t *events, char *err, size_t errlen)
{
    const char *trk = ju_path_str(body, "tracking_number");
    const char *code = ju_path_str(body, "carriyo_status_code");
    if (!trk || !*trk || !code || !*code || strlen(code) > 64) {
        snprintf(err, errlen, "tracking_number and carriyo_status_code are required strings");
        return ADAPTER_INVALID;
    }
    char lower[65];
    size_t n = 0;
    for (; code[n]; n++)
        lower[n] = (char)tolower((unsigned char)code[n]);
    lower[n] = '\0';
    json_t *ev = adapter_event("shipment");
    if (shipment_status_known(lower))
        adapter_set(ev, "status", lower);
    adapter_set(ev, "raw_status", code);
    adapter_set(ev, "raw_substatus", ju_path_str(body, "carrier_status_code"));
    adapter_set(ev, "reason_code", ju_path_str(body, "carriyo_reason_code"));
    adapter_set(ev, "description", ju_path_str(body, "carrier_status_description"));
    adapter_set(ev, "event_time", ju_path_str(body, "status_update_date"));
    adapter_set(ev, "tracking_no", trk);
    adapter_set(ev, "carrier", ju_path_str(body, "carrier"));
    adapter_set(ev, "partner_order_reference", ju_path_str(body, "partner_order_reference"));
    adapter_set(ev, "partner_shipment_reference", ju_path_str(body, "partner_shipment_reference"));
    json_array_append_new(events, ev);
    return ADAPTER_OK;
}

const struct adapter adapter_carriyo_carrier = {
    .kind = "carriyo-carrier",
    .needs = ADAPTER_NEEDS_TOKEN,
    .default_header = "api-key",
    .verify = verify,
    .normalize = normalize,
};
