/* ups: UPS Track Alert TrackingEvent callbacks, and the token endpoint's
 * logic (see ups.h).
 *
 * Status: activityStatus.type (D delivered, I in transit, O out for
 * delivery, P pickup, M billing information received, MV voided, RS
 * returned to shipper, X exception), refined by activityStatus.code. */
#include "ups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "jsonutil.h"
#include "token.h"

static const struct adapter_status_map map[] = {
    {"M", NULL, "booked"},
    {"MV", NULL, "cancelled"},
    {"P", NULL, "shipped"},
    {"I", NULL, "in_transit"},
    {"I", "OT", "out_for_delivery"},
    {"O", NULL, "out_for_delivery"},
    {"X", NULL, "delayed"},
    {"D", NULL, "delivered"},
    {"RS", NULL, "returned"},
};

/* Tokens are token.h's, with "TENANT/NAME" as the subject. */
static void subject_of(const struct adapter_source *src, char out[256])
{
    snprintf(out, 256, "%s/%s", src->tenant, src->name);
}

void ups_issue_token(const struct adapter_source *src, int64_t now, char out[UPS_TOKEN_MAX])
{
    char subject[256];
    subject_of(src, subject);
    token_issue(src->client_secret, subject, NULL, now + UPS_TOKEN_TTL, out);
}

int ups_check_client(const struct adapter_source *src, const char *authorization, char *err, size_t errlen)
{
    if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0) {
        snprintf(err, errlen, "client authentication (HTTP Basic) is required");
        return ADAPTER_UNAUTHORIZED;
    }
    unsigned char given[512];
    long n = crypto_base64_decode(authorization + 6, given, sizeof given - 1);
    char want[512];
    int wn = snprintf(want, sizeof want, "%s:%s", src->client_id, src->client_secret);
    unsigned char a[CRYPTO_SHA256_LEN], b[CRYPTO_SHA256_LEN];
    crypto_sha256(given, n > 0 ? (size_t)n : 0, a);
    crypto_sha256(want, (size_t)wn, b);
    if (n <= 0 || !crypto_equal(a, sizeof a, b, sizeof b)) {
        snprintf(err, errlen, "invalid client credentials");
        return ADAPTER_UNAUTHORIZED;
    }
    return ADAPTER_OK;
}

static int verify(const struct adapter_source *src, const struct adapter_request *req, char *err, size_t errlen)
{
    const char *auth = req->header(req->ctx, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) {
        snprintf(err, errlen, "a bearer token from this source's token endpoint is required");
        return ADAPTER_UNAUTHORIZED;
    }
    char subject[256];
    subject_of(src, subject);
    enum token_result r = token_check(src->client_secret, subject, auth + 7, req->now);
    if (r == TOKEN_EXPIRED) {
        snprintf(err, errlen, "the bearer token has expired; fetch a new one");
        return ADAPTER_UNAUTHORIZED;
    }
    if (r != TOKEN_OK || token_kid(auth + 7)) {
        snprintf(err, errlen, "the bearer token was not issued by this relay");
        return ADAPTER_UNAUTHORIZED;
    }
    if (token_expiry(auth + 7) > req->now + UPS_TOKEN_TTL + UPS_TOKEN_SKEW) {
        snprintf(err, errlen, "the bearer token claims a lifetime longer than the %d s this relay issues",
                 UPS_TOKEN_TTL);
        return ADAPTER_UNAUTHORIZED;
    }
    return ADAPTER_OK;
}

/* "20240423" + "135004" → "2024-04-23T13:50:04Z"; NULL when malformed. */
static const char *ups_time(const char *d, const char *t, char out[32])
{
    if (!d || !t || strlen(d) != 8 || strlen(t) != 6 || strspn(d, "0123456789") != 8 || strspn(t, "0123456789") != 6)
        return NULL;
    snprintf(out, 32, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", d, d + 4, d + 6, t, t + 2, t + 4);
    return out;
}

static int normalize(const json_t *body, const struct adapter_request *req, json_t *events, char *err, size_t errlen)
{
    const char *trk = ju_path_str(body, "trackingNumber");
    const char *type = ju_path_str(body, "activityStatus.type");
    if (!trk || !*trk || !type || !*type) {
        snprintf(err, errlen, "trackingNumber and activityStatus.type are required strings");
        return ADAPTER_INVALID;
    }
    const char *code = ju_path_str(body, "activityStatus.code");
    char when[32];
    json_t *ev = adapter_event("shipment");
    adapter_set(ev, "status", adapter_map_status(map, sizeof map / sizeof map[0], type, code));
    adapter_set(ev, "raw_status", type);
    adapter_set(ev, "raw_substatus", code);
    adapter_set(ev, "description", ju_path_str(body, "activityStatus.description"));
    adapter_set(ev, "event_time", ups_time(ju_path_str(body, "gmtActivityDate"), ju_path_str(body, "gmtActivityTime"), when));
    adapter_set(ev, "tracking_no", trk);
    adapter_set(ev, "carrier", "UPS");
    adapter_set(ev, "location", ju_path_str(body, "activityLocation.city"));
    json_array_append_new(events, ev);
    return ADAPTER_OK;
}

const struct adapter adapter_ups = {
    .kind = "ups",
    .needs = ADAPTER_NEEDS_CLIENT,
    .verify = verify,
    .normalize = normalize,
};
