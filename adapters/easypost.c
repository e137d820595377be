/* easypost: EasyPost Event webhooks for trackers (tracker.created,
 * tracker.updated).
 *
 * Auth: X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the raw body>,
 * keyed with the webhook secret NFKD-normalised and UTF-8 encoded (as
 * EasyPost's client libraries do; its published vector is a unit test).
 * Status: result.status, refined by result.status_detail. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uninorm.h>

#include "adapter.h"
#include "crypto.h"
#include "jsonutil.h"

static const struct adapter_status_map map[] = {
    {"pre_transit", NULL, "booked"},
    {"in_transit", NULL, "in_transit"},
    {"in_transit", "weather_delay", "delayed"},
    {"in_transit", "delayed", "delayed"},
    {"in_transit", "return_to_sender", "return_in_transit"},
    {"out_for_delivery", NULL, "out_for_delivery"},
    {"available_for_pickup", NULL, "awaiting_customer_collection"},
    {"delivered", NULL, "delivered"},
    {"return_to_sender", NULL, "return_in_transit"},
    {"failure", NULL, "failed_delivery_attempt"},
    {"failure", "lost", "missing"},
    {"cancelled", NULL, "cancelled_by_carrier"},
    {"error", NULL, "error"},
};

#define PREFIX "hmac-sha256-hex="

static int verify(const struct adapter_source *src, const struct adapter_request *req, char *err, size_t errlen)
{
    const char *sig = req->header(req->ctx, "X-Hmac-Signature");
    if (!sig || strncasecmp(sig, PREFIX, strlen(PREFIX)) != 0) {
        snprintf(err, errlen, "X-Hmac-Signature must be hmac-sha256-hex=<hex>");
        return ADAPTER_UNAUTHORIZED;
    }
    /* One normalised copy of each secret, then the ordinary HMAC check. */
    struct adapter_source norm = *src;
    char *keys[src->n_secrets ? src->n_secrets : 1];
    for (size_t i = 0; i < src->n_secrets; i++) {
        size_t len = 0;
        uint8_t *k = u8_normalize(UNINORM_NFKD, (const uint8_t *)src->secrets[i], strlen(src->secrets[i]), NULL, &len);
        keys[i] = k ? realloc(k, len + 1) : strdup(src->secrets[i]);
        if (!keys[i])
            abort();
        if (k)
            keys[i][len] = '\0';
    }
    norm.secrets = keys;
    int rc = adapter_check_hmac(&norm, req->body, req->body_len, sig + strlen(PREFIX), adapter_encode_hex, err, errlen);
    for (size_t i = 0; i < src->n_secrets; i++)
        free(keys[i]);
    return rc;
}

static int normalize(const json_t *body, const struct adapter_request *req, json_t *events, char *err, size_t errlen)
{
    const char *type = ju_path_str(body, "description");
    if (!type || strncmp(type, "tracker.", 8) != 0)
        return ADAPTER_OK; /* batch, refund, … events carry no tracking */
    json_t *res = json_object_get(body, "result");
    const char *trk = ju_path_str(res, "tracking_code");
    const char *status = ju_path_str(res, "status");
    if (!json_is_object(res) || !trk || !*trk || !status || !*status) {
        snprintf(err, errlen, "result.tracking_code and result.status are required strings");
        return ADAPTER_INVALID;
    }
    const char *detail = ju_path_str(res, "status_detail");
    json_t *details = json_object_get(res, "tracking_details");
    size_t n = json_array_size(details);
    json_t *last = n ? json_array_get(details, n - 1) : NULL;
    json_t *ev = adapter_event("shipment");
    adapter_set(ev, "status", adapter_map_status(map, sizeof map / sizeof map[0], status, detail));
    adapter_set(ev, "raw_status", status);
    adapter_set(ev, "raw_substatus", detail);
    adapter_set(ev, "tracking_no", trk);
    adapter_set(ev, "carrier", ju_path_str(res, "carrier"));
    adapter_set(ev, "shipment_id", ju_path_str(res, "shipment_id"));
    const char *when = last ? ju_path_str(last, "datetime") : NULL;
    adapter_set(ev, "event_time", when ? when : ju_path_str(res, "updated_at"));
    if (last) {
        adapter_set(ev, "description", ju_path_str(last, "message"));
        adapter_set(ev, "location", ju_path_str(last, "tracking_location.city"));
    }
    adapter_set(ev, "source_event_id", ju_path_str(body, "id"));
    json_array_append_new(events, ev);
    return ADAPTER_OK;
}

const struct adapter adapter_easypost = {
    .kind = "easypost",
    .needs = ADAPTER_NEEDS_SECRET,
    .verify = verify,
    .normalize = normalize,
};
