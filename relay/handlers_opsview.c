/* handlers_opsview: see handlers_opsview.h. Each reply is read from memory
 * and from store calls that an index serves (the outbox by status, the
 * spool's next try, one endpoint by id); nothing here scans a table that
 * grows with traffic. */
#include "handlers_opsview.h"

#include <stdlib.h>
#include <string.h>

#include "blobstore.h"
#include "delivery_stats.h"
#include "health.h"
#include "metrics.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

static json_t *iso_or_null(int64_t ms)
{
    if (!ms)
        return json_null();
    char buf[TIME_ISO_LEN];
    time_format_iso(ms, buf);
    return json_string(buf);
}

/* ---- who may be looked at ---- */

static json_t *tenant_view(const struct config *cfg, const struct config_tenant *t)
{
    json_t *sources = json_array();
    for (size_t i = 0; i < cfg->n_sources; i++)
        if (!strcmp(cfg->sources[i].tenant, t->id))
            json_array_append_new(sources, json_string(cfg->sources[i].name));
    return json_pack("{s:s,s:o}", "id", t->id, "sources", sources);
}

void handle_ops_tenants(struct http_ctx *ctx)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < ctx->cfg->n_tenants; i++) {
        const struct config_tenant *t = &ctx->cfg->tenants[i];
        if (!ctx->tenant || !strcmp(ctx->tenant, t->id))
            json_array_append_new(rows, tenant_view(ctx->cfg, t));
    }
    http_reply_json(ctx, 200, json_pack("{s:o,s:b}", "data", rows, "operator", ctx->operator_key));
}

/* ---- hook sources ---- */

static json_t *source_view(const struct adapter_source *src)
{
    uint64_t n[METRICS_HOOK__COUNT];
    metrics_hook_counts(src->tenant, src->name, n);
    char name[160];
    snprintf(name, sizeof name, "hook:%s/%s", src->tenant, src->name);
    struct health_record h;
    health_get(name, &h);
    json_t *last_error = json_null();
    if (h.last_failed_ms)
        last_error = json_pack("{s:o,s:i,s:s}", "at", iso_or_null(h.last_failed_ms), "status", h.last_status,
                               "message", h.last_error);
    return json_pack("{s:s,s:s,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I},s:I,s:I,s:o,s:o}", "source", src->name, "adapter",
                     src->kind, "accepted", (json_int_t)h.ok, "failed", (json_int_t)h.failed, "events", "applied",
                     (json_int_t)n[METRICS_HOOK_APPLIED], "history_only", (json_int_t)n[METRICS_HOOK_HISTORY_ONLY],
                     "unchanged", (json_int_t)n[METRICS_HOOK_UNCHANGED], "duplicates",
                     (json_int_t)n[METRICS_HOOK_DUPLICATE], "parked", (json_int_t)n[METRICS_HOOK_PARKED], "refused",
                     (json_int_t)n[METRICS_HOOK_REFUSED], "rate_limited", (json_int_t)n[METRICS_HOOK_RATE_LIMITED],
                     "last_accepted_at", iso_or_null(h.last_ok_ms), "last_error", last_error);
}

void handle_ops_hooks(struct http_ctx *ctx)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < ctx->cfg->n_sources; i++)
        if (!strcmp(ctx->cfg->sources[i].tenant, ctx->tenant))
            json_array_append_new(rows, source_view(&ctx->cfg->sources[i]));
    http_reply_json(ctx, 200, json_pack("{s:o}", "data", rows));
}

/* ---- spool, uploader, outbox ---- */

static json_t *work_view(const char *name)
{
    struct health_record h;
    health_get(name, &h);
    return json_pack("{s:I,s:I,s:o,s:o,s:o,s:b}", "ok", (json_int_t)h.ok, "failed", (json_int_t)h.failed,
                     "last_ok_at", iso_or_null(h.last_ok_ms), "last_failed_at", iso_or_null(h.last_failed_ms),
                     "last_error", h.last_failed_ms ? json_string(h.last_error) : json_null(), "failing",
                     h.last_failed_ms > h.last_ok_ms);
}

void handle_ops_health(struct http_ctx *ctx)
{
    int64_t now = time_now_ms();
    json_t *counts = store_read_message_counts(ctx->reader);
    int64_t next = store_read_spool_next(ctx->reader, now);
    if (!counts) {
        http_reply_error(ctx, 503, "store_unavailable", "could not read the store; retry");
        return;
    }
    unsigned long jobs, commits;
    long long spool;
    store_stats(ctx->store, &jobs, &commits, &spool);
    json_t *outbox = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(counts, i, r)
    {
        json_object_set(outbox, json_string_value(json_object_get(r, "status")), json_object_get(r, "n"));
    }
    json_decref(counts);
    json_t *body = json_pack(
        "{s:{s:I,s:I,s:f,s:o},s:{s:s},s:o,s:o,s:{s:I,s:I},s:o}", "spool", "bytes", (json_int_t)spool, "max_bytes",
        (json_int_t)ctx->cfg->spool_max_bytes, "used", (double)spool / (double)ctx->cfg->spool_max_bytes,
        "next_retry_at", iso_or_null(next > 0 ? next : 0), "object_store", "kind",
        blobstore_is_s3(ctx->blobs) ? "s3" : "local", "uploads", work_view("upload"), "deletions",
        work_view("delete"), "store", "jobs", (json_int_t)jobs, "commits", (json_int_t)commits, "outbox", outbox);
    http_reply_json(ctx, 200, body);
}

/* ---- an endpoint's deliveries over time ---- */

/* ?name= in seconds: a whole number of minutes from 60 to 86400, else def;
 * false after replying 400. */
static bool minutes_param(struct http_ctx *ctx, const char *name, long def, long *out)
{
    const char *v = http_query(ctx, name);
    char *end = NULL;
    *out = v ? strtol(v, &end, 10) : def;
    if (v && (*end || end == v || *out < 60 || *out > 86400 || *out % 60)) {
        http_reply_error(ctx, 400, "invalid_parameter", "%s must be seconds, a whole number of minutes from 60 to 86400",
                         name);
        return false;
    }
    return true;
}

static json_t *bucket_view(const struct delivery_bucket *b, int64_t start_ms)
{
    unsigned long long attempts = b->delivered + b->failed + b->dead;
    json_t *o = json_pack("{s:o,s:I,s:I,s:I,s:I}", "start", iso_or_null(start_ms), "attempts", (json_int_t)attempts,
                          "delivered", (json_int_t)b->delivered, "failed", (json_int_t)b->failed, "dead",
                          (json_int_t)b->dead);
    json_object_set_new(o, "success_rate", attempts ? json_real((double)b->delivered / (double)attempts) : json_null());
    json_object_set_new(o, "latency_ms_avg", attempts ? json_real(b->latency_ms_sum / (double)attempts) : json_null());
    json_object_set_new(o, "latency_ms_max", attempts ? json_real(b->latency_ms_max) : json_null());
    return o;
}

void handle_endpoint_stats(struct http_ctx *ctx)
{
    long window, width;
    if (!minutes_param(ctx, "window", 3600, &window) || !minutes_param(ctx, "bucket", 60, &width))
        return;
    if (width > window || window % width) {
        http_reply_error(ctx, 400, "invalid_parameter", "bucket must divide window");
        return;
    }
    const char *id = route_param(&ctx->params, "id");
    json_t *rows = store_read_endpoints(ctx->reader, ctx->tenant, id);
    if (!rows) {
        http_reply_error(ctx, 503, "store_unavailable", "could not read endpoints; retry");
        return;
    }
    size_t found = json_array_size(rows);
    json_decref(rows);
    if (!found) {
        http_reply_error(ctx, 404, "not_found", "no endpoint %s", id);
        return;
    }
    int n = (int)(window / width);
    int64_t width_ms = width * 1000, end = (time_now_ms() / width_ms + 1) * width_ms, since = end - n * width_ms;
    struct delivery_bucket *b = xcalloc((size_t)n, sizeof *b), total = {0};
    delivery_stats_read(id, since, width_ms, n, b);
    json_t *buckets = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(buckets, bucket_view(&b[i], since + i * width_ms));
        total.delivered += b[i].delivered;
        total.failed += b[i].failed;
        total.dead += b[i].dead;
        total.latency_ms_sum += b[i].latency_ms_sum;
        if (b[i].latency_ms_max > total.latency_ms_max)
            total.latency_ms_max = b[i].latency_ms_max;
    }
    free(b);
    json_t *totals = bucket_view(&total, since);
    json_object_del(totals, "start");
    http_reply_json(ctx, 200, json_pack("{s:s,s:o,s:i,s:i,s:o,s:o}", "endpoint_id", id, "since", iso_or_null(since),
                                        "window_seconds", (int)window, "bucket_seconds", (int)width, "totals", totals,
                                        "buckets", buckets));
}
