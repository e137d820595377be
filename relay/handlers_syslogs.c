/* handlers_syslogs: see handlers_syslogs.h.
 *
 * Download URLs: a body already in S3 gets a presigned GET; a body in the
 * local store, or still waiting in the spool, gets the relay's own URL,
 * /bodies/{identifier}/{part}?tenant=&expires=&signature=, signed with an
 * HMAC (blobstore.h). Both expire after [system_logs] url_expires seconds,
 * or ?expires= (1 to 604800). */
#include "handlers_syslogs.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "blobstore.h"
#include "crypto.h"
#include "handlers_orders.h"
#include "jsonutil.h"
#include "store.h"
#include "syslog.h"
#include "timeutil.h"
#include "xmalloc.h"

static bool valid_event_type(const char *t)
{
    return t && (!strcmp(t, "INBOUND") || !strcmp(t, "INTERNAL") || !strcmp(t, "OUTBOUND"));
}

void handle_syslog_list(struct http_ctx *ctx)
{
    const char *event_type = http_query(ctx, "event_type");
    if (event_type && !valid_event_type(event_type)) {
        http_reply_error(ctx, 400, "invalid_parameter", "event_type must be INBOUND, INTERNAL or OUTBOUND");
        return;
    }
    const char *code = http_query(ctx, "response_code");
    int lo = -1, hi = -1;
    if (code) {
        char *end;
        long v = strtol(code, &end, 10);
        if (strlen(code) == 3 && code[0] >= '1' && code[0] <= '5' && !strcmp(code + 1, "xx")) {
            lo = (code[0] - '0') * 100;
            hi = lo + 99;
        } else if (!*end && end != code && v >= 0 && v < 1000) {
            lo = hi = (int)v;
        } else {
            http_reply_error(ctx, 400, "invalid_parameter", "response_code must be a status code or 2xx, 4xx, 5xx");
            return;
        }
    }
    long limit;
    long long after;
    if (!http_page(ctx, &limit, &after))
        return;
    json_t *order = orders_lookup(ctx);
    if (!order)
        return;
    json_t *rows = store_read_syslogs(ctx->reader, ctx->tenant, json_string_value(json_object_get(order, "order_id")),
                                      http_query(ctx, "correlation_id"), event_type, http_query(ctx, "request_type"),
                                      lo, hi, after, (int)limit);
    json_decref(order);
    if (!rows) {
        http_reply_error(ctx, 503, "store_unavailable", "could not read system logs; retry");
        return;
    }
    http_reply_page(ctx, rows, limit);
}

/* The URL a part of an entry can be downloaded from until `until`. */
static json_t *body_url(struct http_ctx *ctx, const json_t *entry, const char *part, int64_t now, long expires)
{
    char keyname[32];
    snprintf(keyname, sizeof keyname, "%s_body_key", part);
    const char *key = json_string_value(json_object_get(entry, keyname));
    if (!key)
        return json_null();
    const char *bodies = json_string_value(json_object_get(entry, "bodies"));
    if (blobstore_is_s3(ctx->blobs) && bodies && !strcmp(bodies, "stored") && strncmp(key, "db:", 3) != 0) {
        char *url = blobstore_presign(ctx->blobs, key, now / 1000, expires);
        json_t *v = json_string(url);
        free(url);
        return v;
    }
    const char *id = json_string_value(json_object_get(entry, "identifier"));
    long long until = now / 1000 + expires;
    char sig[65];
    blobstore_local_signature(ctx->blobs, ctx->tenant, id, part, until, sig);
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "Host");
    char *base = ctx->cfg->public_url[0] ? xstrdup(ctx->cfg->public_url)
                                         : xasprintf("http://%s", host ? host : ctx->cfg->listen);
    size_t bl = strlen(base);
    if (bl && base[bl - 1] == '/')
        base[bl - 1] = '\0';
    /* Tenant ids are [A-Za-z0-9._-] (config.c): nothing to escape. */
    char *url = xasprintf("%s/bodies/%s/%s?tenant=%s&expires=%lld&signature=%s", base, id, part, ctx->tenant, until,
                          sig);
    free(base);
    json_t *v = json_string(url);
    free(url);
    return v;
}

void handle_syslog_get(struct http_ctx *ctx)
{
    const char *exp_s = http_query(ctx, "expires");
    char *end = NULL;
    long expires = exp_s ? strtol(exp_s, &end, 10) : ctx->cfg->url_expires;
    if (exp_s && (*end || expires < 1 || expires > 604800)) {
        http_reply_error(ctx, 400, "invalid_parameter", "expires must be 1 to 604800 seconds");
        return;
    }
    json_t *order = orders_lookup(ctx);
    if (!order)
        return;
    const char *identifier = route_param(&ctx->params, "identifier");
    json_t *entry = store_read_syslog(ctx->reader, ctx->tenant, identifier);
    const char *oid = json_string_value(json_object_get(order, "order_id"));
    if (!entry) {
        http_reply_error(ctx, 503, "store_unavailable", "could not read system logs; retry");
    } else if (json_is_null(entry) || !json_string_value(json_object_get(entry, "order_id")) ||
               strcmp(json_string_value(json_object_get(entry, "order_id")), oid) != 0) {
        http_reply_error(ctx, 400, "unknown_system_log", "order %s has no system log \"%s\"", oid, identifier);
    } else {
        int64_t now = time_now_ms();
        json_t *out = json_deep_copy(entry);
        json_object_set_new(out, "request_body_url", body_url(ctx, entry, "request", now, expires));
        json_object_set_new(out, "response_body_url", body_url(ctx, entry, "response", now, expires));
        char until[TIME_ISO_LEN];
        time_format_iso(now + expires * 1000, until);
        json_object_set_new(out, "expires_at", json_string(until));
        static const char *internal[] = {"request_body_key", "response_body_key", "request_spool", "response_spool"};
        for (size_t k = 0; k < sizeof internal / sizeof internal[0]; k++)
            json_object_del(out, internal[k]);
        json_object_del(out, "tenant");
        http_reply_json(ctx, 200, out);
    }
    json_decref(entry);
    json_decref(order);
}

void handle_body_download(struct http_ctx *ctx)
{
    const char *id = route_param(&ctx->params, "identifier"), *part = route_param(&ctx->params, "part");
    const char *tenant = http_query(ctx, "tenant"), *exp_s = http_query(ctx, "expires"),
               *sig = http_query(ctx, "signature");
    if (strcmp(part, "request") && strcmp(part, "response")) {
        http_reply_error(ctx, 404, "not_found", "no such body");
        return;
    }
    char *end = NULL;
    long long until = exp_s ? strtoll(exp_s, &end, 10) : 0;
    char want[65];
    bool ok = tenant && sig && exp_s && !*end;
    if (ok) {
        blobstore_local_signature(ctx->blobs, tenant, id, part, until, want);
        ok = crypto_equal(want, 64, sig, strlen(sig));
    }
    if (!ok) {
        http_reply_error(ctx, 403, "invalid_signature", "the download link is not valid");
        return;
    }
    if (until < time_now_ms() / 1000) {
        http_reply_error(ctx, 403, "expired", "the download link has expired; ask for a new one");
        return;
    }
    json_t *entry = store_read_syslog(ctx->reader, tenant, id);
    char keyname[32];
    snprintf(keyname, sizeof keyname, "%s_body_key", part);
    const char *key = json_string_value(json_object_get(entry, keyname));
    char spoolname[32];
    snprintf(spoolname, sizeof spoolname, "%s_spool", part);
    size_t len = 0;
    char *body = NULL;
    if (key && strncmp(key, "db:", 3) == 0)
        body = store_read_body_ref(ctx->reader, tenant, key, &len);
    else if (key && !(body = store_read_spooled(ctx->reader, json_integer_value(json_object_get(entry, spoolname)),
                                                key, &len)))
        body = blobstore_read_local(ctx->blobs, key, &len);
    json_decref(entry);
    if (!body) {
        http_reply_error(ctx, 404, "not_found", "the body is no longer available");
        return;
    }
    /* Bytes someone else sent: never to be sniffed into HTML or script by a browser. */
    struct evkeyvalq *out = evhttp_request_get_output_headers(ctx->req);
    evhttp_add_header(out, "Content-Type", "application/octet-stream");
    evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
    evbuffer_add(evhttp_request_get_output_buffer(ctx->req), body, len);
    free(body);
    http_reply_json(ctx, 200, NULL);
}

/* ---- a partner's own entry ---- */

struct create_job {
    json_t *entry;
    char *req_body, *resp_body;
};

static int create_run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct create_job *j = arg;
    json_t *e = json_deep_copy(j->entry);
    int rc = syslog_add(txn, e, j->req_body, j->req_body ? strlen(j->req_body) : 0, j->resp_body,
                        j->resp_body ? strlen(j->resp_body) : 0);
    if (rc == STORE_SPOOL_FULL)
        http_job_error(ctx, 503, "spool_full",
                       "bodies waiting for the object store would exceed [system_logs] spool_max_bytes; retry later");
    else if (rc == STORE_OK)
        http_job_reply(ctx, 201, json_pack("{s:O,s:O}", "identifier", json_object_get(e, "identifier"),
                                           "correlation_id", json_object_get(e, "correlation_id")));
    json_decref(e);
    return rc;
}

static void create_free(void *arg)
{
    struct create_job *j = arg;
    json_decref(j->entry);
    free(j->req_body);
    free(j->resp_body);
    free(j);
}

static char *body_text(const json_t *v)
{
    if (!v || json_is_null(v))
        return NULL;
    return json_is_string(v) ? xstrdup(json_string_value(v)) : ju_dump(v);
}

void handle_syslog_create(struct http_ctx *ctx)
{
    json_t *body = http_json_body(ctx);
    if (!body)
        return;
    const char *bad = NULL;
    const char *event_type = json_string_value(json_object_get(body, "event_type"));
    if (!valid_event_type(event_type))
        bad = "event_type must be INBOUND, INTERNAL or OUTBOUND";
    static const char *texts[] = {"correlation_id", "request_type", "source_type", "source_id",     "request_method",
                                  "request_url",    "request_time", "response_time"};
    for (size_t i = 0; !bad && i < sizeof texts / sizeof texts[0]; i++) {
        json_t *v = json_object_get(body, texts[i]);
        if (v && (!json_is_string(v) || strlen(json_string_value(v)) > 2048))
            bad = "correlation_id, request_type, source_type, source_id, request_method, request_url, "
                  "request_time and response_time must be strings";
    }
    json_t *code = json_object_get(body, "response_code");
    if (!bad && code && (!json_is_integer(code) || json_integer_value(code) < 0 || json_integer_value(code) > 999))
        bad = "response_code must be an integer status";
    static const char *objs[] = {"request_headers", "response_headers"};
    for (int i = 0; !bad && i < 2; i++) {
        json_t *v = json_object_get(body, objs[i]);
        if (v && !json_is_object(v))
            bad = "request_headers and response_headers must be objects";
    }
    const char *rt = json_string_value(json_object_get(body, "request_time"));
    if (!bad && rt && strlen(rt) < 10)
        bad = "request_time must be an ISO 8601 time";
    if (bad) {
        json_decref(body);
        http_reply_error(ctx, 400, "invalid_field", "%s", bad);
        return;
    }
    json_t *order = orders_lookup(ctx);
    if (!order) {
        json_decref(body);
        return;
    }
    json_t *e = syslog_entry(ctx->tenant, json_string_value(json_object_get(order, "order_id")),
                             json_string_value(json_object_get(body, "correlation_id")), event_type,
                             json_string_value(json_object_get(body, "request_type")),
                             json_string_value(json_object_get(body, "source_type")),
                             json_string_value(json_object_get(body, "source_id")));
    json_decref(order);
    for (size_t i = 4; i < sizeof texts / sizeof texts[0]; i++)
        if (json_object_get(body, texts[i]))
            json_object_set(e, texts[i], json_object_get(body, texts[i]));
    if (json_object_get(e, "request_url")) {
        char *u = syslog_redact_url(json_string_value(json_object_get(e, "request_url")));
        json_object_set_new(e, "request_url", json_string(u));
        free(u);
    }
    if (code)
        json_object_set(e, "response_code", code);
    for (int i = 0; i < 2; i++)
        if (json_object_get(body, objs[i]))
            json_object_set_new(e, objs[i], syslog_redact_headers(json_object_get(body, objs[i])));
    struct create_job *j = xcalloc(1, sizeof *j);
    j->entry = e;
    j->req_body = body_text(json_object_get(body, "request_body"));
    j->resp_body = body_text(json_object_get(body, "response_body"));
    json_decref(body);
    http_submit(ctx, create_run, create_free, j);
}
