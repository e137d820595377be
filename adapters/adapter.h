/* adapter: the interface every inbound source implements, and the registry.
 *
 * A source (a carrier, an aggregator, a partner, a warehouse) posts its own
 * format to POST /hooks/{tenant}/{source}, signed its own way. Its adapter
 * does two pure steps, no I/O:
 *
 *   verify     the raw bytes and headers against the source's credentials
 *              (before anything is parsed), in constant time;
 *   normalize  the parsed body into zero or more canonical events, appended
 *              to `events`.
 *
 * A canonical shipment event is a JSON object:
 *   kind "shipment", status (Carriyo's vocabulary, or absent when the
 *   source's status is unmapped), raw_status, raw_substatus, reason_code,
 *   description, event_time (ISO 8601), tracking_no, carrier,
 *   partner_order_reference, partner_shipment_reference, shipment_id,
 *   fulfillment_order_id, items[] {sku, quantity}, location, source_event_id,
 *   entity_type (FORWARD or REVERSE, when the source says).
 * A canonical fulfillment event (warehouse) is:
 *   kind "fulfillment", fulfillment_order_id, partner_order_reference,
 *   event (FULFILLMENT_REQUESTED … COMPLETED), level (NORMAL, WARNING,
 *   ERROR), message, event_time, line_items[] (ids), source_event_id.
 * Only members with a value are present.
 *
 * Status mapping is data: each adapter has a table of (raw, sub) → status,
 * looked up with adapter_map_status.
 *
 * Adding a source: one file here with its `const struct adapter`, and one
 * line in registry.c. */
#ifndef SHIPRELAY_ADAPTER_H
#define SHIPRELAY_ADAPTER_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One configured source: [source "TENANT/NAME"]. */
struct adapter_source {
    char *tenant;
    char *name;
    char *kind;          /* adapter = KIND */
    char **secrets;      /* secret = …, repeatable for rotation */
    size_t n_secrets;
    char *token;         /* token = … */
    char *header;        /* header = … (the header the token travels in) */
    char *client_id;     /* OAuth2 client credentials */
    char *client_secret;
    bool allow_unauthenticated; /* allow_unauthenticated = yes: a header-token source without a token */
};

/* What an adapter may look at of the request. Lookups are case-insensitive
 * for headers; they return NULL when absent. */
struct adapter_request {
    const char *body;
    size_t body_len;
    const char *(*header)(const void *ctx, const char *name);
    const char *(*query)(const void *ctx, const char *name);
    const void *ctx;
    int64_t now; /* Unix seconds, for timestamp tolerances and token expiry */
};

enum adapter_rc { ADAPTER_OK = 0, ADAPTER_UNAUTHORIZED = 1, ADAPTER_INVALID = 2 };

/* Which credentials a kind needs (checked when the config is loaded). */
#define ADAPTER_NEEDS_SECRET 0x1
#define ADAPTER_NEEDS_TOKEN 0x2
#define ADAPTER_NEEDS_HEADER 0x4
#define ADAPTER_NEEDS_CLIENT 0x8

struct adapter {
    const char *kind;
    unsigned needs;
    const char *default_header; /* used when the source sets no `header` */
    /* ADAPTER_OK or ADAPTER_UNAUTHORIZED with a reason in err. */
    int (*verify)(const struct adapter_source *src, const struct adapter_request *req, char *err, size_t errlen);
    /* ADAPTER_OK (events appended; none is fine for an event type the relay
     * does not track) or ADAPTER_INVALID with a reason in err. */
    int (*normalize)(const json_t *body, const struct adapter_request *req, json_t *events, char *err, size_t errlen);
};

/* The kinds (one file each here; registry.c lists them). */
extern const struct adapter adapter_aftership, adapter_easypost, adapter_shippo, adapter_ups, adapter_dhl,
    adapter_aymakan, adapter_carriyo_carrier, adapter_carriyo, adapter_wms;

const struct adapter *adapter_find(const char *kind);
/* The kinds, comma separated, for messages. */
const char *adapter_kinds(void);

/* ---- helpers shared by the adapters ---- */

struct adapter_status_map {
    const char *raw;
    const char *sub; /* NULL: any sub-status */
    const char *status;
};
/* The mapped status for (raw, sub): an exact (raw, sub) row first, then a
 * (raw, NULL) row. Comparison ignores case. NULL when unmapped. */
const char *adapter_map_status(const struct adapter_status_map *map, size_t n, const char *raw, const char *sub);

/* The header the source's token travels in (its `header`, else the kind's). */
const char *adapter_token_header(const struct adapter_source *src, const struct adapter *a);
/* Constant-time check that the request carries src->token in that header;
 * ADAPTER_OK or ADAPTER_UNAUTHORIZED. A source without a token passes only
 * when it was configured allow_unauthenticated (config.h refuses it
 * otherwise). */
int adapter_check_token(const struct adapter_source *src, const struct adapter *a, const struct adapter_request *req,
                        char *err, size_t errlen);
/* Does any of src's secrets give `mac` as HMAC-SHA256 over msg? `encode`
 * turns a digest into the text form the source sends. */
int adapter_check_hmac(const struct adapter_source *src, const void *msg, size_t msg_len, const char *given,
                       size_t (*encode)(const unsigned char *digest, char *out), char *err, size_t errlen);
size_t adapter_encode_hex(const unsigned char *digest, char *out);
size_t adapter_encode_base64(const unsigned char *digest, char *out);

/* Set event[key] to a copy of s when s is a non-empty string. */
void adapter_set(json_t *event, const char *key, const char *s);
/* A new event object of the given kind with `source_event_id` set when id is non-NULL. */
json_t *adapter_event(const char *kind);

#endif
