/* handlers_webhooks: validation of endpoint fields, read-modify-write of
 * endpoints inside store jobs, and the message views.
 *
 * Endpoints are shown without their secrets; the secret is returned once,
 * when it is made (creation, rotation). URLs carrying credentials
 * (user:password@) are refused; custom headers whose names speak of
 * credentials are shown redacted. Times in replies are ISO 8601. */
#include "handlers_webhooks.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto.h"
#include "jsonutil.h"
#include "store.h"
#include "syslog.h"
#include "timeutil.h"
#include "webhook_events.h"
#include "webhook_sign.h"
#include "xmalloc.h"

/* ---- shapes ---- */

static void iso_member(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) {
        char buf[TIME_ISO_LEN];
        time_format_iso(json_integer_value(v), buf);
        json_object_set_new(o, key, json_string(buf));
    }
}

/* The public view of a stored endpoint (a new reference): never the
 * userinfo of its URL (endpoints stored before URLs with credentials were
 * refused keep delivering with them) nor the values of custom headers whose
 * names speak of credentials. */
static json_t *endpoint_view(const json_t *row, bool with_secret)
{
    json_t *v = json_deep_copy(row);
    char *url = syslog_redact_url(json_string_value(json_object_get(v, "url")));
    json_object_set_new(v, "url", json_string(url));
    free(url);
    json_t *headers = json_object_get(v, "headers");
    if (json_is_object(headers))
        json_object_set_new(v, "headers", syslog_redact_headers(headers));
    json_object_del(v, "tenant");
    json_object_del(v, "old_secret");
    json_object_del(v, "old_secret_until");
    if (!with_secret)
        json_object_del(v, "secret");
    json_object_set_new(v, "enabled", json_boolean(json_integer_value(json_object_get(v, "enabled"))));
    json_object_set_new(v, "fifo", json_boolean(json_integer_value(json_object_get(v, "fifo"))));
    iso_member(v, "created_at");
    iso_member(v, "updated_at");
    iso_member(v, "failing_since");
    return v;
}

/* Headers the relay sets or HTTP itself owns; webhook-* is reserved too. */
static const char *reserved_headers[] = {
    "content-type", "content-length", "host", "user-agent", "trigger", "event-id", "x-correlation-id",
    "transfer-encoding", "connection", "expect", "te", "trailer", "upgrade", "keep-alive", "proxy-connection",
    "proxy-authorization", "content-encoding",
};

/* Is name an RFC 7230 token (1*tchar)? */
static bool header_token(const char *name)
{
    if (!*name)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *p)))
            return false;
    return true;
}

/* A field value: visible characters, spaces and tabs, nothing that could end the line. */
static bool header_value(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

/* Check a custom headers object; on a bad one, the reason in why. */
static bool headers_valid(const json_t *headers, char *why, size_t whylen)
{
    if (!json_is_object(headers) || json_object_size(headers) > 20) {
        snprintf(why, whylen, "headers must be an object of at most 20 string values");
        return false;
    }
    const char *name, *other;
    json_t *v, *w;
    json_object_foreach((json_t *)headers, name, v)
    {
        if (strlen(name) >= 128 || !header_token(name)) {
            snprintf(why, whylen, "headers: \"%.64s\" is not a header name (an RFC 7230 token of at most 127 "
                                  "characters: letters, digits and !#$%%&'*+-.^_`|~)", name);
            return false;
        }
        if (!json_is_string(v) || strlen(json_string_value(v)) >= 1024 || !header_value(json_string_value(v))) {
            snprintf(why, whylen, "headers: the value of \"%s\" must be a string of at most 1023 characters "
                                  "without control characters", name);
            return false;
        }
        bool reserved = strncasecmp(name, "webhook-", 8) == 0;
        for (size_t k = 0; !reserved && k < sizeof reserved_headers / sizeof reserved_headers[0]; k++)
            reserved = strcasecmp(name, reserved_headers[k]) == 0;
        if (reserved) {
            snprintf(why, whylen, "headers: \"%s\" is set by the relay (webhook-*, Content-Type, Content-Length, "
                                  "Host, User-Agent, trigger, event-id, x-correlation-id and HTTP's own)", name);
            return false;
        }
        json_object_foreach((json_t *)headers, other, w)
        {
            if (other == name)
                break;
            if (strcasecmp(other, name) == 0) {
                snprintf(why, whylen, "headers: \"%s\" is given twice (header names ignore case)", name);
                return false;
            }
        }
    }
    return true;
}

/* Apply the fields of body onto ep (the stored form); on a bad field reply
 * 400 and return -1. creating: url is required. */
static int apply_fields(struct http_ctx *ctx, json_t *ep, const json_t *body, bool creating)
{
    json_t *url = json_object_get(body, "url");
    if (url || creating) {
        const char *u = json_string_value(url);
        CURLU *h = curl_url();
        char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
        bool ok = u && strlen(u) <= 2048 && curl_url_set(h, CURLUPART_URL, u, 0) == CURLUE_OK &&
                  curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
                  curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
                  (!strcasecmp(scheme, "https") || !strcasecmp(scheme, "http"));
        /* Credentials in a URL end up wherever the URL is shown or logged. */
        bool userinfo = ok && (curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK ||
                               curl_url_get(h, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK);
        curl_free(scheme);
        curl_free(host);
        curl_free(user);
        curl_free(password);
        curl_url_cleanup(h);
        if (!ok) {
            http_reply_error(ctx, 400, "invalid_field", "url must be an http or https URL of at most 2048 bytes");
            return -1;
        }
        if (userinfo) {
            http_reply_error(ctx, 400, "invalid_field",
                             "url must not carry credentials (user:password@); send them in a header instead, "
                             "e.g. \"headers\": {\"Authorization\": \"Basic ...\"}");
            return -1;
        }
        json_object_set(ep, "url", url);
    }
    json_t *types = json_object_get(body, "event_types");
    if (types) {
        size_t i;
        json_t *t;
        bool ok = json_is_array(types);
        json_array_foreach(types, i, t)
        {
            ok = ok && (webhook_event_type_known(json_string_value(t)) || webhook_event_trigger_known(json_string_value(t)));
        }
        if (!ok) {
            http_reply_error(ctx, 400, "invalid_field",
                             "event_types must be an array of order event types (order.created, order.updated, …) "
                             "or Carriyo triggers (ORDER_CREATE, FULFILLMENT_ORDER_FULFILL, …)");
            return -1;
        }
        json_object_set(ep, "event_types", types);
    }
    json_t *format = json_object_get(body, "payload_format");
    if (format) {
        const char *f = json_string_value(format);
        if (!f || (strcmp(f, "standard") != 0 && strcmp(f, "carriyo") != 0)) {
            http_reply_error(ctx, 400, "invalid_field", "payload_format must be standard or carriyo");
            return -1;
        }
        json_object_set(ep, "payload_format", format);
    }
    json_t *desc = json_object_get(body, "description");
    if (desc) {
        if (!json_is_string(desc) || strlen(json_string_value(desc)) > 1000) {
            http_reply_error(ctx, 400, "invalid_field", "description must be a string of at most 1000 bytes");
            return -1;
        }
        json_object_set(ep, "description", desc);
    }
    static const struct {
        const char *name;
        long min, max;
    } ints[] = {{"rate_limit", 0, 10000}, {"max_concurrency", 1, 100}};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(body, ints[i].name);
        if (!v)
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < ints[i].min || json_integer_value(v) > ints[i].max) {
            http_reply_error(ctx, 400, "invalid_field", "%s must be an integer from %ld to %ld", ints[i].name,
                             ints[i].min, ints[i].max);
            return -1;
        }
        json_object_set(ep, ints[i].name, v);
    }
    static const char *bools[] = {"enabled", "fifo"};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(body, bools[i]);
        if (!v)
            continue;
        if (!json_is_boolean(v)) {
            http_reply_error(ctx, 400, "invalid_field", "%s must be true or false", bools[i]);
            return -1;
        }
        json_object_set(ep, bools[i], v);
    }
    json_t *headers = json_object_get(body, "headers");
    if (headers) {
        char why[300];
        if (!headers_valid(headers, why, sizeof why)) {
            http_reply_error(ctx, 400, "invalid_field", "%s", why);
            return -1;
        }
        json_object_set(ep, "headers", headers);
    }
    json_t *secret = json_object_get(body, "secret");
    if (secret && !webhook_secret_valid(json_string_value(secret))) {
        http_reply_error(ctx, 400, "invalid_field", "secret must be whsec_ followed by base64 of 24 to 64 bytes");
        return -1;
    }
    json_t *release = json_object_get(body, "release_held");
    if (release && (creating || !json_is_boolean(release))) {
        http_reply_error(ctx, 400, "invalid_field", "release_held must be true or false, and only on PATCH");
        return -1;
    }
    return 0;
}

/* ---- endpoint writes (store jobs) ---- */

enum ep_op { EP_CREATE, EP_PATCH, EP_DELETE, EP_ROTATE };

struct ep_job {
    enum ep_op op;
    char id[64];
    json_t *body;  /* the request */
    json_t *proto; /* the endpoint to create */
};

/* Move the current secret aside (signing for the grace period) and install next. */
static void rotate(const struct config *cfg, json_t *ep, const char *next, int64_t now)
{
    json_object_set(ep, "old_secret", json_object_get(ep, "secret"));
    json_object_set_new(ep, "old_secret_until", json_integer(now + cfg->secret_grace * 1000));
    json_object_set_new(ep, "secret", json_string(next));
}

static int ep_job_run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct ep_job *j = arg;
    const char *tenant = ctx->tenant;
    int64_t now = time_now_ms();
    if (j->op == EP_DELETE) {
        int rc = store_endpoint_delete(txn, tenant, j->id, now);
        if (rc == 1)
            http_job_reply(ctx, 204, NULL);
        else if (rc == 0)
            http_job_error(ctx, 404, "endpoint_not_found", "no webhook endpoint \"%s\"", j->id);
        return rc < 0 ? rc : STORE_OK;
    }
    json_t *ep;
    if (j->op == EP_CREATE) {
        int n = store_endpoint_count(txn, tenant);
        if (n < 0)
            return STORE_EIO;
        if (n >= ctx->cfg->max_endpoints) {
            http_job_error(ctx, 409, "too_many_endpoints",
                           "tenant \"%s\" has %d webhook endpoints, the most [webhooks] max_endpoints allows; delete "
                           "one first (DELETE /webhooks/endpoints/{id})", tenant, n);
            return STORE_OK;
        }
        ep = json_deep_copy(j->proto);
        json_object_set_new(ep, "created_at", json_integer(now));
    } else {
        ep = store_endpoint_get(txn, tenant, j->id);
        if (!ep) {
            http_job_error(ctx, 404, "endpoint_not_found", "no webhook endpoint \"%s\"", j->id);
            return STORE_OK;
        }
    }
    const char *given = json_string_value(json_object_get(j->body, "secret"));
    char fresh[WEBHOOK_SECRET_MAX];
    bool was_enabled = true;
    if (j->op == EP_ROTATE) {
        if (!given)
            webhook_secret_new(fresh);
        rotate(ctx->cfg, ep, given ? given : fresh, now);
    } else if (j->op == EP_PATCH) {
        was_enabled = json_integer_value(json_object_get(ep, "enabled"));
        json_t *en = json_object_get(j->body, "enabled");
        /* apply_fields already validated j->body; apply it for real here. */
        const char *keys[] = {"url",  "event_types", "description", "rate_limit", "max_concurrency",
                              "fifo", "headers",     "payload_format"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (json_object_get(j->body, keys[i]))
                json_object_set(ep, keys[i], json_object_get(j->body, keys[i]));
        if (en) {
            json_object_set_new(ep, "enabled", json_integer(json_is_true(en)));
            if (json_is_true(en) && !was_enabled) { /* re-enabled: a fresh start */
                json_object_set_new(ep, "disabled_reason", json_null());
                json_object_set_new(ep, "failing_since", json_null());
            }
        }
        if (given)
            rotate(ctx->cfg, ep, given, now);
    }
    bool enabled = json_integer_value(json_object_get(ep, "enabled"));
    bool release = json_is_true(json_object_get(j->body, "release_held"));
    if (release && !enabled) {
        json_decref(ep);
        http_job_error(ctx, 409, "endpoint_disabled",
                       "release_held needs the endpoint enabled: PATCH {\"enabled\": true, \"release_held\": true}");
        return STORE_OK;
    }
    json_object_set_new(ep, "updated_at", json_integer(now));
    int rc = store_endpoint_put(txn, ep);
    /* Disabling holds what waits for the endpoint; release_held lets it go. */
    int released = 0;
    if (rc == STORE_OK && j->op == EP_PATCH && was_enabled && !enabled)
        rc = store_endpoint_hold(txn, tenant, j->id, true, now) < 0 ? STORE_EIO : STORE_OK;
    if (rc == STORE_OK && release) {
        released = store_endpoint_hold(txn, tenant, j->id, false, now);
        rc = released < 0 ? STORE_EIO : STORE_OK;
    }
    if (rc == STORE_OK) {
        json_t *view = endpoint_view(ep, j->op == EP_CREATE || j->op == EP_ROTATE || json_object_get(j->body, "secret"));
        if (release)
            json_object_set_new(view, "released", json_integer(released));
        http_job_reply(ctx, j->op == EP_CREATE ? 201 : 200, view);
    }
    json_decref(ep);
    return rc;
}

static void ep_job_free(void *arg)
{
    struct ep_job *j = arg;
    json_decref(j->body);
    json_decref(j->proto);
    free(j);
}

static void submit(struct http_ctx *ctx, enum ep_op op, json_t *body, json_t *proto)
{
    struct ep_job *j = xcalloc(1, sizeof *j);
    j->op = op;
    j->body = body;
    j->proto = proto;
    const char *id = route_param(&ctx->params, "id");
    snprintf(j->id, sizeof j->id, "%s", id ? id : json_string_value(json_object_get(proto, "id")));
    http_submit(ctx, ep_job_run, ep_job_free, j);
}

void handle_endpoint_create(struct http_ctx *ctx)
{
    json_t *body = http_json_body(ctx);
    if (!body)
        return;
    unsigned char raw[10];
    char id[3 + 2 * sizeof raw + 1] = "ep_";
    crypto_random(raw, sizeof raw);
    crypto_hex(raw, sizeof raw, id + 3);
    char secret[WEBHOOK_SECRET_MAX];
    webhook_secret_new(secret);
    json_t *ep = json_pack("{s:s,s:s,s:[],s:b,s:{},s:i,s:i,s:b,s:s,s:n,s:n,s:s}", "id", id, "tenant", ctx->tenant,
                           "event_types", "enabled", 1, "headers", "rate_limit", 0, "max_concurrency", 4, "fifo", 1,
                           "secret", secret, "description", "disabled_reason", "payload_format", "standard");
    if (apply_fields(ctx, ep, body, true) != 0) {
        json_decref(ep);
        json_decref(body);
        return;
    }
    json_t *given = json_object_get(body, "secret");
    if (given)
        json_object_set(ep, "secret", given);
    json_object_set_new(ep, "enabled", json_integer(json_is_true(json_object_get(ep, "enabled"))));
    json_object_set_new(ep, "fifo", json_integer(json_is_true(json_object_get(ep, "fifo"))));
    submit(ctx, EP_CREATE, body, ep);
}

void handle_endpoint_patch(struct http_ctx *ctx)
{
    json_t *body = http_json_body(ctx);
    if (!body)
        return;
    json_t *scratch = json_object(); /* validation only; the job applies body to the stored endpoint */
    int rc = apply_fields(ctx, scratch, body, false);
    json_decref(scratch);
    if (rc != 0) {
        json_decref(body);
        return;
    }
    submit(ctx, EP_PATCH, body, NULL);
}

void handle_endpoint_delete(struct http_ctx *ctx)
{
    submit(ctx, EP_DELETE, json_object(), NULL);
}

void handle_endpoint_rotate(struct http_ctx *ctx)
{
    json_t *body = ctx->body_len ? http_json_body(ctx) : json_object();
    if (!body)
        return;
    json_t *secret = json_object_get(body, "secret");
    if (secret && !webhook_secret_valid(json_string_value(secret))) {
        json_decref(body);
        http_reply_error(ctx, 400, "invalid_field", "secret must be whsec_ followed by base64 of 24 to 64 bytes");
        return;
    }
    submit(ctx, EP_ROTATE, body, NULL);
}

/* ---- reads ---- */

void handle_endpoint_list(struct http_ctx *ctx)
{
    json_t *rows = store_read_endpoints(ctx->reader, ctx->tenant, NULL);
    if (!rows) {
        http_reply_error(ctx, 503, "store_unavailable", "could not read endpoints; retry");
        return;
    }
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_array_append_new(out, endpoint_view(r, false));
    }
    json_decref(rows);
    http_reply_json(ctx, 200, json_pack("{s:o}", "data", out));
}

void handle_endpoint_get(struct http_ctx *ctx)
{
    const char *id = route_param(&ctx->params, "id");
    json_t *rows = store_read_endpoints(ctx->reader, ctx->tenant, id);
    json_t *row = json_array_get(rows, 0);
    if (!row)
        http_reply_error(ctx, rows ? 404 : 503, rows ? "endpoint_not_found" : "store_unavailable",
                         "no webhook endpoint \"%s\"", id);
    else
        http_reply_json(ctx, 200, endpoint_view(row, false));
    json_decref(rows);
}

void handle_message_list(struct http_ctx *ctx)
{
    const char *status = http_query(ctx, "status");
    if (status && strcmp(status, "pending") && strcmp(status, "held") && strcmp(status, "delivered") &&
        strcmp(status, "dead") && strcmp(status, "cancelled")) {
        http_reply_error(ctx, 400, "invalid_parameter", "status must be pending, held, delivered, dead or cancelled");
        return;
    }
    long limit;
    long long after;
    if (!http_page(ctx, &limit, &after))
        return;
    json_t *rows = store_read_messages(ctx->reader, ctx->tenant, http_query(ctx, "endpoint_id"),
                                       http_query(ctx, "event_type"), status, after, (int)limit);
    if (!rows) {
        http_reply_error(ctx, 503, "store_unavailable", "could not read messages; retry");
        return;
    }
    http_reply_page(ctx, rows, limit);
}

void handle_message_get(struct http_ctx *ctx)
{
    const char *id = route_param(&ctx->params, "id");
    json_t *rows = store_read_message(ctx->reader, ctx->tenant, id);
    json_t *row = json_array_get(rows, 0);
    if (!row)
        http_reply_error(ctx, rows ? 404 : 503, rows ? "message_not_found" : "store_unavailable", "no message \"%s\"",
                         id);
    else
        http_reply_json(ctx, 200, json_incref(row));
    json_decref(rows);
}

void handle_message_attempts(struct http_ctx *ctx)
{
    const char *id = route_param(&ctx->params, "id");
    json_t *msg = store_read_message(ctx->reader, ctx->tenant, id);
    if (!json_array_size(msg)) {
        http_reply_error(ctx, msg ? 404 : 503, msg ? "message_not_found" : "store_unavailable", "no message \"%s\"", id);
        json_decref(msg);
        return;
    }
    json_decref(msg);
    json_t *rows = store_read_attempts(ctx->reader, ctx->tenant, id);
    if (!rows) {
        http_reply_error(ctx, 503, "store_unavailable", "could not read attempts; retry");
        return;
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_object_set_new(r, "response_truncated", json_boolean(json_integer_value(json_object_get(r, "response_truncated"))));
    }
    http_reply_json(ctx, 200, json_pack("{s:o}", "data", rows));
}

/* ---- resends ---- */

struct requeue_job {
    char id[64];
    bool by_endpoint;
    int64_t since;
};

/* Recovering an endpoint is asking for delivery: a disabled one is enabled
 * again (afresh), then its held, dead and failing messages since the time
 * are sent. */
static int reenable(struct store_txn *txn, json_t *ep, int64_t now)
{
    json_object_set_new(ep, "enabled", json_integer(1));
    json_object_set_new(ep, "disabled_reason", json_null());
    json_object_set_new(ep, "failing_since", json_null());
    json_object_set_new(ep, "updated_at", json_integer(now));
    return store_endpoint_put(txn, ep);
}

static int requeue_run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct requeue_job *j = arg;
    int64_t now = time_now_ms();
    bool reenabled = false;
    if (j->by_endpoint) {
        json_t *ep = store_endpoint_get(txn, ctx->tenant, j->id);
        if (!ep) {
            http_job_error(ctx, 404, "endpoint_not_found", "no such endpoint \"%s\"", j->id);
            return STORE_OK;
        }
        reenabled = !json_integer_value(json_object_get(ep, "enabled"));
        int rc = reenabled ? reenable(txn, ep, now) : STORE_OK;
        json_decref(ep);
        if (rc != STORE_OK)
            return rc;
    }
    int n = store_message_requeue(txn, ctx->tenant, j->by_endpoint ? NULL : j->id, j->by_endpoint ? j->id : NULL,
                                  j->since, now);
    if (n < 0)
        return n;
    if (!j->by_endpoint && n == 0)
        http_job_error(ctx, 404, "message_not_found", "no such message \"%s\"", j->id);
    else if (j->by_endpoint)
        http_job_reply(ctx, 202, json_pack("{s:i,s:b}", "requeued", n, "reenabled", reenabled));
    else
        http_job_reply(ctx, 202, json_pack("{s:i}", "requeued", n));
    return STORE_OK;
}

void handle_message_retry(struct http_ctx *ctx)
{
    struct requeue_job *j = xcalloc(1, sizeof *j);
    snprintf(j->id, sizeof j->id, "%s", route_param(&ctx->params, "id"));
    http_submit(ctx, requeue_run, free, j);
}

/* ISO 8601 UTC ("2026-11-20T10:00:00Z", fractional seconds allowed) → ms. */
static bool parse_iso(const char *s, int64_t *ms)
{
    struct tm tm = {0};
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest)
        return false;
    long frac = 0;
    if (*rest == '.') {
        char *end;
        frac = strtol(rest + 1, &end, 10);
        int digits = (int)(end - rest - 1);
        while (digits > 3) {
            frac /= 10;
            digits--;
        }
        while (digits < 3) {
            frac *= 10;
            digits++;
        }
        rest = end;
    }
    if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0)
        return false;
    *ms = (int64_t)timegm(&tm) * 1000 + frac;
    return true;
}

void handle_endpoint_recover(struct http_ctx *ctx)
{
    json_t *body = http_json_body(ctx);
    if (!body)
        return;
    int64_t since;
    bool ok = parse_iso(json_string_value(json_object_get(body, "since")), &since);
    json_decref(body);
    if (!ok) {
        http_reply_error(ctx, 400, "invalid_field", "since must be an ISO 8601 UTC time like 2026-11-20T10:00:00Z");
        return;
    }
    struct requeue_job *j = xcalloc(1, sizeof *j);
    j->by_endpoint = true;
    j->since = since;
    snprintf(j->id, sizeof j->id, "%s", route_param(&ctx->params, "id"));
    http_submit(ctx, requeue_run, free, j);
}
