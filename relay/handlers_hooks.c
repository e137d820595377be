/* handlers_hooks: source lookup → adapter verify (raw bytes) → parse →
 * adapter normalize → one store job running the pipeline for every event →
 * 200 once committed. Nothing downstream is waited for.
 *
 * Replies: 200 {"received", "applied", "history_only", "unchanged",
 * "duplicates", "parked"}, each event counted once (pipeline.h says which);
 * 404 unknown tenant or source; 429 over the source's rate limit (checked
 * before its credentials; not system-logged); 401 bad credentials (logged
 * with the peer, rate limited; nothing applied); 400 malformed JSON or
 * payload; 503 when the store fails. What became of the events is counted
 * in the metrics once committed. */
#include "handlers_hooks.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <stdlib.h>
#include <string.h>

#include "access_log.h"
#include "adapter.h"
#include "health.h"
#include "metrics.h"
#include "pipeline.h"
#include "ratelimit.h"
#include "store.h"
#include "syslog.h"
#include "timeutil.h"
#include "ups.h"
#include "xmalloc.h"

struct hook_job {
    struct http_ctx *ctx;
    const struct adapter_source *src;
    json_t *events;
    char now[TIME_ISO_LEN];
    int counts[PIPELINE__COUNT]; /* of the last run, counted in the metrics once committed */
};

static const char *req_header(const void *ctx, const char *name)
{
    const struct http_ctx *c = ctx;
    return evhttp_find_header(evhttp_request_get_input_headers(c->req), name);
}

static const char *req_query(const void *ctx, const char *name)
{
    return http_query((struct http_ctx *)ctx, name);
}

/* The configured source the path names, or NULL after replying 404. */
static const struct adapter_source *find_source(struct http_ctx *ctx)
{
    const char *tenant = route_param(&ctx->params, "tenant");
    const char *name = route_param(&ctx->params, "source");
    const struct adapter_source *src = config_find_source(ctx->cfg, tenant, name);
    if (!src) {
        http_reply_error(ctx, 404, "unknown_source", "no source \"%s\" is configured for tenant \"%s\"", name, tenant);
        return NULL;
    }
    /* Known source: from here on the exchange is the tenant's, and logged. */
    ctx->tenant = src->tenant;
    ctx->log_source_type = src->kind;
    ctx->log_source_id = src->name;
    return src;
}

/* The header a source's token travels in may have any name (the source's
 * `header`): whatever it is called, its value never reaches the system log. */
static void hide_token_header(struct http_ctx *ctx, const struct adapter_source *src, const struct adapter *a)
{
    const char *name = adapter_token_header(src, a);
    struct evkeyvalq *h = evhttp_request_get_input_headers(ctx->req);
    if (!name || !evhttp_find_header(h, name))
        return;
    while (evhttp_remove_header(h, name) == 0)
        ;
    evhttp_add_header(h, name, SYSLOG_REDACTED);
}

/* The callback's outcome in the source's health record: accepted (200),
 * or what was wrong with it. */
static void note(const struct adapter_source *src, int status, const char *message)
{
    char name[160];
    snprintf(name, sizeof name, "hook:%s/%s", src->tenant, src->name);
    if (status == 200)
        health_ok(name, time_now_ms());
    else
        health_failed(name, status, message, time_now_ms());
}

/* Bad credentials: logged with the peer (rate limited) and counted. */
static void refused(struct http_ctx *ctx, const struct adapter_source *src, const char *why)
{
    char who[160];
    snprintf(who, sizeof who, "hook %s/%s%s", src->tenant, src->name,
             strcmp(ctx->route->name, "HOOK_TOKEN") ? "" : " token");
    metrics_auth_failure(true);
    metrics_hook(src->tenant, src->name, METRICS_HOOK_REFUSED, 1);
    access_log_auth_failure(ctx->cfg, ctx->peer, who, why);
}

static int hook_job_run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct hook_job *j = arg;
    int *counts = j->counts;
    memset(j->counts, 0, sizeof j->counts);
    size_t i;
    json_t *ev, *origin = http_origin(ctx);
    json_array_foreach(j->events, i, ev)
    {
        enum pipeline_outcome outcome;
        int rc = pipeline_ingest(txn, ctx->cfg, j->src->tenant, j->src->name, ctx->correlation_id, ev, j->now,
                                 &outcome, ctx->order_id[0] ? NULL : ctx->order_id, origin);
        if (rc != STORE_OK) {
            json_decref(origin);
            return rc;
        }
        counts[outcome]++;
    }
    json_decref(origin);
    http_job_reply(ctx, 200,
                   json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "received", (int)json_array_size(j->events), "applied",
                             counts[PIPELINE_APPLIED], "history_only", counts[PIPELINE_HISTORY], "unchanged",
                             counts[PIPELINE_UNCHANGED], "duplicates", counts[PIPELINE_DUPLICATE], "parked",
                             counts[PIPELINE_PARKED], "refused", counts[PIPELINE_REFUSED]));
    return STORE_OK;
}

static void hook_job_free(void *arg)
{
    struct hook_job *j = arg;
    static const enum metrics_hook as[PIPELINE__COUNT] = {
        [PIPELINE_APPLIED] = METRICS_HOOK_APPLIED,     [PIPELINE_HISTORY] = METRICS_HOOK_HISTORY_ONLY,
        [PIPELINE_UNCHANGED] = METRICS_HOOK_UNCHANGED, [PIPELINE_DUPLICATE] = METRICS_HOOK_DUPLICATE,
        [PIPELINE_PARKED] = METRICS_HOOK_PARKED,       [PIPELINE_REFUSED] = METRICS_HOOK_REFUSED};
    for (int o = 0; j->ctx->status == 200 && o < PIPELINE__COUNT; o++)
        metrics_hook(j->src->tenant, j->src->name, as[o], (unsigned)j->counts[o]);
    note(j->src, j->ctx->status,
         "the events could not be stored (store unavailable, or the spool full); nothing was applied");
    json_decref(j->events);
    free(j);
}

void handle_hook(struct http_ctx *ctx)
{
    const struct adapter_source *src = find_source(ctx);
    if (!src)
        return;
    /* Before the signature is checked: every callback, good or bad, takes
     * the writer's time (a refused one is system-logged). */
    char name[136];
    int retry;
    snprintf(name, sizeof name, "%s/%s", src->tenant, src->name);
    if (!http_rate_ok(ctx, "hook:", name, ratelimit_of_source(ctx->cfg, src), &retry)) {
        metrics_rate_limited(true);
        metrics_hook(src->tenant, src->name, METRICS_HOOK_RATE_LIMITED, 1);
        note(src, 429, "over the source's rate limit");
        http_reply_rate_limited(ctx, retry, "source \"%s\" is over its rate limit", name);
        return;
    }
    const struct adapter *a = adapter_find(src->kind);
    struct adapter_request req = {
        .body = ctx->body,
        .body_len = ctx->body_len,
        .header = req_header,
        .query = req_query,
        .ctx = ctx,
        .now = time_now_ms() / 1000,
    };
    char err[256] = "";
    int verified = a->verify(src, &req, err, sizeof err);
    hide_token_header(ctx, src, a);
    if (verified != ADAPTER_OK) {
        refused(ctx, src, err);
        note(src, 401, err);
        http_reply_error(ctx, 401, "invalid_signature", "%s", err);
        return;
    }
    json_error_t jerr;
    json_t *body = json_loadb(ctx->body, ctx->body_len, 0, &jerr);
    if (!body) {
        metrics_hook(src->tenant, src->name, METRICS_HOOK_REFUSED, 1);
        snprintf(err, sizeof err, "the body is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                 jerr.column);
        note(src, 400, err);
        http_reply_error(ctx, 400, "invalid_json", "%s", err);
        return;
    }
    json_t *events = json_array();
    int rc = json_is_object(body) ? a->normalize(body, &req, events, err, sizeof err) : ADAPTER_INVALID;
    json_decref(body);
    if (rc != ADAPTER_OK) {
        metrics_hook(src->tenant, src->name, METRICS_HOOK_REFUSED, 1);
        json_decref(events);
        if (!err[0])
            snprintf(err, sizeof err, "the body must be a JSON object");
        note(src, 400, err);
        http_reply_error(ctx, 400, "invalid_payload", "%s", err);
        return;
    }
    struct hook_job *j = xcalloc(1, sizeof *j);
    j->ctx = ctx;
    j->src = src;
    j->events = events;
    time_format_iso(time_now_ms(), j->now);
    http_submit(ctx, hook_job_run, hook_job_free, j);
}

/* RFC 6749 error shape, which OAuth2 clients such as UPS expect here. */
static void oauth_error(struct http_ctx *ctx, int status, const char *error, const char *description)
{
    if (status == 401)
        evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "WWW-Authenticate", "Basic realm=\"shiprelay\"");
    http_reply_json(ctx, status, json_pack("{s:s,s:s}", "error", error, "error_description", description));
}

void handle_hook_token(struct http_ctx *ctx)
{
    const struct adapter_source *src = find_source(ctx);
    if (!src)
        return;
    if (strcmp(src->kind, "ups") != 0) {
        http_reply_error(ctx, 404, "unknown_source", "source \"%s\" does not issue tokens", src->name);
        return;
    }
    char err[256];
    if (ups_check_client(src, req_header(ctx, "Authorization"), err, sizeof err) != ADAPTER_OK) {
        refused(ctx, src, err);
        oauth_error(ctx, 401, "invalid_client", err);
        return;
    }
    /* The body is application/x-www-form-urlencoded: grant_type=client_credentials */
    char *form = xstrndup(ctx->body, ctx->body_len);
    struct evkeyvalq fields;
    TAILQ_INIT(&fields);
    const char *grant = evhttp_parse_query_str(form, &fields) == 0 ? evhttp_find_header(&fields, "grant_type") : NULL;
    bool ok = grant && strcmp(grant, "client_credentials") == 0;
    evhttp_clear_headers(&fields);
    free(form);
    if (!ok) {
        oauth_error(ctx, 400, "unsupported_grant_type", "grant_type must be client_credentials");
        return;
    }
    char token[UPS_TOKEN_MAX];
    ups_issue_token(src, time_now_ms() / 1000, token);
    evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Cache-Control", "no-store");
    http_reply_json(ctx, 200, json_pack("{s:s,s:s,s:i}", "access_token", token, "token_type", "Bearer", "expires_in",
                                        UPS_TOKEN_TTL));
}
