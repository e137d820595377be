/* carriyo: Carriyo Shipment payloads (the shipment-status-update endpoint and
 * Carriyo's shipment webhooks). Carriyo already speaks the canonical status
 * vocabulary; the status is matched ignoring case.
 *
 * Webhook auth: Carriyo sends the static key configured for the webhook in a
 * header (source `header`, default x-api-key, and `token`); `event-id` is the
 * event's id and `trigger` what caused it. */
#include "carriyo.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "adapter.h"
#include "jsonutil.h"
#include "shipment_status.h"
#include "timeutil.h"

#define MAX_STATUS_LEN 64

static const char *first(const json_t *p, const char *a, const char *b)
{
    const char *s = ju_path_str(p, a);
    if (s && *s)
        return s;
    s = b ? ju_path_str(p, b) : NULL;
    return s && *s ? s : NULL;
}

json_t *carriyo_shipment_event(const json_t *payload, char *err, size_t errlen)
{
    if (!json_is_object(payload)) {
        snprintf(err, errlen, "the body must be a JSON object (a Carriyo Shipment)");
        return NULL;
    }
    const char *por = ju_path_str(payload, "references.partner_order_reference");
    if (!por || !*por) {
        snprintf(err, errlen, "references.partner_order_reference is required (a non-empty string)");
        return NULL;
    }
    const char *raw = ju_path_str(payload, "post_shipping_info.status");
    if (!raw || !*raw || strlen(raw) > MAX_STATUS_LEN) {
        snprintf(err, errlen, "post_shipping_info.status is required (a non-empty string of at most %d bytes)",
                 MAX_STATUS_LEN);
        return NULL;
    }
    /* Dates the event may be timed by must be dates. */
    static const char *const dates[] = {"post_shipping_info.status_date", "post_shipping_info.update_date",
                                        "update_date"};
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        json_t *d = ju_path(payload, dates[i]);
        if (d && !json_is_null(d) && (!json_is_string(d) || !time_iso_valid(json_string_value(d)))) {
            snprintf(err, errlen, "%s must be an ISO 8601 date or date-time (e.g. 2026-11-22T10:15:00Z)", dates[i]);
            return NULL;
        }
    }
    /* Something must say which shipment this is, or the update would make
     * (and keep reusing) a shipment nobody can name. */
    bool named = first(payload, "references.partner_shipment_reference", "partner_shipment_reference") ||
                 first(payload, "post_shipping_info.tracking_no", "tracking_no") || first(payload, "shipment_id", NULL) ||
                 first(payload, "references.fulfillment_order_id", "fulfillment_order_id");
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(payload, "items"), i, item)
    {
        const char *sku = ju_path_str(item, "sku");
        named = named || (sku && *sku);
    }
    if (!named) {
        snprintf(err, errlen,
                 "the payload names no shipment: give references.partner_shipment_reference, shipment_id, "
                 "post_shipping_info.tracking_no, references.fulfillment_order_id or items[].sku");
        return NULL;
    }
    char status[MAX_STATUS_LEN + 1];
    size_t n = 0;
    for (; raw[n]; n++)
        status[n] = (char)tolower((unsigned char)raw[n]);
    status[n] = '\0';

    json_t *ev = adapter_event("shipment");
    if (shipment_status_known(status))
        adapter_set(ev, "status", status);
    adapter_set(ev, "raw_status", raw);
    adapter_set(ev, "reason_code", first(payload, "post_shipping_info.reason_code", NULL));
    adapter_set(ev, "description", first(payload, "post_shipping_info.status_description", NULL));
    adapter_set(ev, "event_time",
                first(payload, "post_shipping_info.status_date", "post_shipping_info.update_date"));
    if (!json_object_get(ev, "event_time"))
        adapter_set(ev, "event_time", first(payload, "update_date", NULL));
    adapter_set(ev, "partner_order_reference", por);
    adapter_set(ev, "partner_shipment_reference",
                first(payload, "references.partner_shipment_reference", "partner_shipment_reference"));
    adapter_set(ev, "tracking_no", first(payload, "post_shipping_info.tracking_no", "tracking_no"));
    adapter_set(ev, "shipment_id", first(payload, "shipment_id", NULL));
    adapter_set(ev, "fulfillment_order_id",
                first(payload, "references.fulfillment_order_id", "fulfillment_order_id"));
    adapter_set(ev, "carrier", first(payload, "carrier_account.carrier", "post_shipping_info.carrier"));
    adapter_set(ev, "entity_type", first(payload, "entity_type", NULL)); /* REVERSE: a return's shipment */
    json_t *items = json_object_get(payload, "items");
    if (json_is_array(items))
        json_object_set(ev, "items", items);
    return ev;
}

static int verify(const struct adapter_source *src, const struct adapter_request *req, char *err, size_t errlen)
{
    return adapter_check_token(src, &adapter_carriyo, req, err, errlen);
}

static int normalize(const json_t *body, const struct adapter_request *req, json_t *events, char *err, size_t errlen)
{
    json_t *ev = carriyo_shipment_event(body, err, errlen);
    if (!ev)
        return ADAPTER_INVALID;
    adapter_set(ev, "source_event_id", req->header(req->ctx, "event-id"));
    json_array_append_new(events, ev);
    return ADAPTER_OK;
}

const struct adapter adapter_carriyo = {
    .kind = "carriyo",
    .needs = ADAPTER_NEEDS_TOKEN,
    .default_header = "x-api-key",
    .verify = verify,
    .normalize = normalize,
};
