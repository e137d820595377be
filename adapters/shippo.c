/* shippo: Shippo track_updated webhooks.
 *
 * Auth, either of:
 *   - a `token` query parameter equal to the source's token (Shippo's
 *     documented way: put a secret in the webhook URL);
 *   - Shippo-Auth-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 *     "<t>.<raw body>"> with one of the source's secrets, t within 5 minutes.
 * Status: data.tracking_status.status, refined by substatus.code only where
 * the two agree (a refinement row exists); when they disagree the status
 * wins. */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "crypto.h"
#include "jsonutil.h"
#include "xmalloc.h"

#define TOLERANCE_SECONDS 300

static const struct adapter_status_map map[] = {
    {"PRE_TRANSIT", NULL, "booked"},
    {"PRE_TRANSIT", "information_received", "booked"},
    {"TRANSIT", NULL, "in_transit"},
    {"TRANSIT", "package_accepted", "shipped"},
    {"TRANSIT", "out_for_delivery", "out_for_delivery"},
    {"TRANSIT", "delayed", "delayed"},
    {"TRANSIT", "delivery_rescheduled", "delayed"},
    {"TRANSIT", "delivery_attempted", "failed_delivery_attempt"},
    {"TRANSIT", "pickup_available", "awaiting_customer_collection"},
    {"TRANSIT", "package_held", "suspended"},
    {"TRANSIT", "return_to_sender", "return_in_transit"},
    {"DELIVERED", NULL, "delivered"},
    {"RETURNED", NULL, "returned"},
    {"FAILURE", NULL, "failed_delivery_attempt"},
    {"FAILURE", "package_lost", "missing"},
    {"FAILURE", "package_disposed", "missing"},
};

/* Parse "t=123,v1=abc" into t and v1 (v1 copied into out). */
static int parse_signature(const char *h, long long *t, char *v1, size_t v1len)
{
    *t = -1;
    v1[0] = '\0';
    while (h && *h) {
        size_t len = strcspn(h, ",");
        if (len > 2 && strncmp(h, "t=", 2) == 0)
            *t = strtoll(h + 2, NULL, 10);
        else if (len > 3 && strncmp(h, "v1=", 3) == 0 && len - 3 < v1len) {
            memcpy(v1, h + 3, len - 3);
            v1[len - 3] = '\0';
        }
        h += len;
        while (*h == ',' || *h == ' ')
            h++;
    }
    return *t > 0 && v1[0] ? 0 : -1;
}

static int verify(const struct adapter_source *src, const struct adapter_request *req, char *err, size_t errlen)
{
    const char *token = req->query(req->ctx, "token");
    if (token && src->token) {
        unsigned char a[CRYPTO_SHA256_LEN], b[CRYPTO_SHA256_LEN];
        crypto_sha256(token, strlen(token), a);
        crypto_sha256(src->token, strlen(src->token), b);
        if (crypto_equal(a, sizeof a, b, sizeof b))
            return ADAPTER_OK;
        snprintf(err, errlen, "the token query parameter is wrong");
        return ADAPTER_UNAUTHORIZED;
    }
    const char *header = req->header(req->ctx, "Shippo-Auth-Signature");
    if (!header || !src->n_secrets) {
        snprintf(err, errlen, "a token query parameter or a Shippo-Auth-Signature header is required");
        return ADAPTER_UNAUTHORIZED;
    }
    long long t;
    char v1[CRYPTO_HEX_LEN(CRYPTO_SHA256_LEN) + 8];
    if (parse_signature(header, &t, v1, sizeof v1) != 0) {
        snprintf(err, errlen, "Shippo-Auth-Signature must be t=<unix seconds>,v1=<hex>");
        return ADAPTER_UNAUTHORIZED;
    }
    if (t < req->now - TOLERANCE_SECONDS || t > req->now + TOLERANCE_SECONDS) {
        snprintf(err, errlen, "the signature timestamp is more than %d seconds from now", TOLERANCE_SECONDS);
        return ADAPTER_UNAUTHORIZED;
    }
    char prefix[32];
    int pl = snprintf(prefix, sizeof prefix, "%lld.", t);
    char *signed_text = xmalloc((size_t)pl + req->body_len);
    memcpy(signed_text, prefix, (size_t)pl);
    memcpy(signed_text + pl, req->body, req->body_len);
    int rc = adapter_check_hmac(src, signed_text, (size_t)pl + req->body_len, v1, adapter_encode_hex, err, errlen);
    free(signed_text);
    return rc;
}

static int normalize(const json_t *body, const struct adapter_request *req, json_t *events, char *err, size_t errlen)
{
    const char *type = ju_path_str(body, "event");
    if (!type || strcmp(type, "track_updated") != 0)
        return ADAPTER_OK;
    json_t *data = json_object_get(body, "data");
    const char *trk = ju_path_str(data, "tracking_number");
    const char *status = ju_path_str(data, "tracking_status.status");
    if (!json_is_object(data) || !trk || !*trk || !status || !*status) {
        snprintf(err, errlen, "data.tracking_number and data.tracking_status.status are required strings");
        return ADAPTER_INVALID;
    }
    const char *sub = ju_path_str(data, "tracking_status.substatus.code");
    json_t *ev = adapter_event("shipment");
    adapter_set(ev, "status", adapter_map_status(map, sizeof map / sizeof map[0], status, sub));
    adapter_set(ev, "raw_status", status);
    adapter_set(ev, "raw_substatus", sub);
    adapter_set(ev, "description", ju_path_str(data, "tracking_status.status_details"));
    adapter_set(ev, "event_time", ju_path_str(data, "tracking_status.status_date"));
    adapter_set(ev, "tracking_no", trk);
    adapter_set(ev, "carrier", ju_path_str(data, "carrier"));
    adapter_set(ev, "location", ju_path_str(data, "tracking_status.location.city"));
    adapter_set(ev, "source_event_id", ju_path_str(data, "tracking_status.object_id"));
    json_array_append_new(events, ev);
    return ADAPTER_OK;
}

const struct adapter adapter_shippo = {
    .kind = "shippo",
    .needs = 0, /* a token or a secret: checked in config.c */
    .verify = verify,
    .normalize = normalize,
};
