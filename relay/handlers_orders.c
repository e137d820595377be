/* handlers_orders: request → (pure module) → store job → reply.
 *
 * Writes run as store jobs, so the reply leaves only after the commit; reads
 * use the worker's reader. The domain rules live in order.c and
 * shipment_update.c; this file only moves data between them, the store and
 * HTTP. */
#include "handlers_orders.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "allocation.h"
#include "carriyo.h"
#include "jsonutil.h"
#include "order.h"
#include "order_limits.h"
#include "order_ref.h"
#include "order_shape.h"
#include "rollup.h"
#include "pipeline.h"
#include "returns_pipeline.h"
#include "shipment_update.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

/* State carried from a handler into its store job. Jobs may run more than
 * once (store.h), so each run starts from `body` / `proto` again. */
struct write_job {
    json_t *body;    /* the parsed request, or the event made from it */
    json_t *proto;   /* the order to insert, as the request built it */
    json_t *changes; /* the change-log entries of its creation */
    char now[TIME_ISO_LEN];
};

static struct write_job *job_new(json_t *body)
{
    struct write_job *j = xcalloc(1, sizeof *j);
    j->body = body;
    time_format_iso(time_now_ms(), j->now);
    return j;
}

static void job_free(void *arg)
{
    struct write_job *j = arg;
    json_decref(j->body);
    json_decref(j->proto);
    json_decref(j->changes);
    free(j);
}

static void reply_store_failed(struct http_ctx *ctx)
{
    http_reply_error(ctx, 503, "store_unavailable", "the change could not be stored; nothing was applied, retry");
}

/* Up, and whether the database answers (with PostgreSQL a round trip at
 * most twice a second per worker: store_read_health). 503 when it does
 * not, so a load balancer sends the traffic to a node that can serve it. */
void handle_healthz(struct http_ctx *ctx)
{
    char detail[256];
    bool ok = store_read_health(ctx->reader, detail, sizeof detail) == 0;
    http_reply_json(ctx, ok ? 200 : 503,
                    json_pack("{s:s,s:s,s:s}", "status", ok ? "ok" : "unavailable", "database", detail, "node",
                              ctx->cfg->node_id));
}

/* ---- POST /orders ---- */

static void new_order_id(char out[32])
{
    unsigned char raw[10];
    if (RAND_bytes(raw, sizeof raw) != 1)
        abort();
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "ord_", 4);
    for (size_t i = 0; i < sizeof raw; i++) {
        out[4 + 2 * i] = hex[raw[i] >> 4];
        out[5 + 2 * i] = hex[raw[i] & 15];
    }
    out[4 + 2 * sizeof raw] = '\0';
}

static int create_job(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct write_job *j = arg;
    json_t *order = json_deep_copy(j->proto), *changes = json_deep_copy(j->changes);
    char refusal[PIPELINE_REFUSAL_LEN] = "";
    struct pipeline_write w = {ctx->cfg, ctx->tenant, "API", ctx->correlation_id, j->now,
                               json_object_get(order, "creation_source"), NULL, refusal};
    int rc = pipeline_store_order(txn, &w, NULL, order, changes);
    snprintf(ctx->order_id, sizeof ctx->order_id, "%s", json_string_value(json_object_get(order, "order_id")));
    if (rc == STORE_OK)
        http_job_reply_text(ctx, 201, store_order_json(txn, order));
    else if (rc == PIPELINE_TOO_LARGE)
        http_job_error(ctx, 400, "order_too_large", "%s", refusal);
    else if (rc == STORE_EXISTS)
        http_job_error(ctx, 409, "order_exists", "an order with partner_order_reference \"%s\" already exists",
                       json_string_value(json_object_get(order, "partner_order_reference")));
    json_decref(changes);
    json_decref(order);
    return rc;
}

void handle_order_create(struct http_ctx *ctx)
{
    json_t *body = http_json_body(ctx);
    if (!body)
        return;
    char id[32], err[256];
    if (!order_limits_request_ok(body, ctx->cfg, err, sizeof err)) { /* before any work on it */
        json_decref(body);
        http_reply_error(ctx, 400, "order_too_large", "%s", err);
        return;
    }
    struct write_job *j = job_new(body);
    new_order_id(id);
    j->changes = json_array();
    json_t *origin = http_origin(ctx);
    j->proto = order_create(body, ctx->tenant, id, origin, j->now, j->changes, err, sizeof err);
    json_decref(origin);
    if (!j->proto) {
        http_reply_error(ctx, 400, "invalid_field", "%s", err);
        job_free(j);
        return;
    }
    /* Allocation at ingestion (seed 000): the tenant's rules place an order
     * sent without fulfillment orders as it lands. */
    const struct config_tenant *t = config_find_tenant(ctx->cfg, ctx->tenant);
    if (t && t->n_rules && !json_array_size(json_object_get(body, "fulfillment_orders")))
        allocation_run(j->proto, t->rules, t->n_rules, NULL, NULL, NULL, id + 4, j->changes);
    http_submit(ctx, create_job, job_free, j);
}

/* ---- GET /orders/{reference}[/change-logs], GET /orders ---- */

json_t *orders_lookup(struct http_ctx *ctx)
{
    return order_ref_read(ctx);
}

void handle_order_get(struct http_ctx *ctx)
{
    json_t *order = order_ref_read(ctx);
    if (order)
        http_reply_json(ctx, 200, order);
}

/* ?name= as a stored ISO time (into out), or NULL when absent; false after replying 400. */
static bool date_param(struct http_ctx *ctx, const char *name, char out[TIME_ISO_LEN], const char **value)
{
    const char *v = http_query(ctx, name);
    *value = NULL;
    if (!v)
        return true;
    int64_t ms;
    if (time_parse_iso(v, &ms, NULL) != 0) {
        http_reply_error(ctx, 400, "invalid_parameter", "%s must be an ISO 8601 date or date-time", name);
        return false;
    }
    time_format_iso(ms, out);
    *value = out;
    return true;
}

void handle_order_list(struct http_ctx *ctx)
{
    struct store_order_filter f = {0};
    long limit;
    if (!http_page(ctx, &limit, &f.after))
        return;
    f.limit = (int)limit;
    f.status = http_query(ctx, "status");
    enum rollup_status st;
    if (f.status && !rollup_status_parse(f.status, &st)) {
        http_reply_error(ctx, 400, "invalid_parameter",
                         "status must be open, partially_allocated, allocated, processing, fulfilled, closed or "
                         "cancelled");
        return;
    }
    f.sub_status = http_query(ctx, "sub_status"); /* any value: new ones may appear (sub_status.h) */
    if (f.sub_status && (!*f.sub_status || strlen(f.sub_status) > 64)) {
        http_reply_error(ctx, 400, "invalid_parameter", "sub_status must be a sub-status (at most 64 bytes)");
        return;
    }
    f.merchant = http_query(ctx, "merchant");
    f.customer_key = http_query(ctx, "customer_key");
    f.sub_status = http_query(ctx, "sub_status");
    char dates[4][TIME_ISO_LEN];
    if (!date_param(ctx, "creation_date_from", dates[0], &f.created_from) ||
        !date_param(ctx, "creation_date_to", dates[1], &f.created_to) ||
        !date_param(ctx, "update_date_from", dates[2], &f.updated_from) ||
        !date_param(ctx, "update_date_to", dates[3], &f.updated_to))
        return;
    const char *sort = http_query(ctx, "sort_order");
    if (sort && strcmp(sort, "ASC") != 0 && strcmp(sort, "DESC") != 0) {
        http_reply_error(ctx, 400, "invalid_parameter", "sort_order must be ASC or DESC");
        return;
    }
    f.newest_first = sort && !strcmp(sort, "DESC");
    json_t *rows = store_read_orders(ctx->reader, ctx->tenant, &f);
    if (!rows) {
        reply_store_failed(ctx);
        return;
    }
    json_t *data = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_t *doc = json_object_get(r, "doc");
        order_shape_defaults(doc);
        json_array_append(data, doc);
    }
    size_t n = json_array_size(rows);
    json_t *next = (long)n == limit ? json_incref(json_object_get(json_array_get(rows, n - 1), "seq")) : json_null();
    json_decref(rows);
    http_reply_json(ctx, 200, json_pack("{s:o,s:o}", "data", data, "next_after", next));
}

/* Carriyo answers a bare array; {"change_logs": […]} is shiprelay's earlier
 * shape, for ?envelope=object or a tenant with change_logs = object. */
static bool wrapped_change_logs(struct http_ctx *ctx, bool *wrapped)
{
    const char *e = http_query(ctx, "envelope");
    if (e && strcmp(e, "array") != 0 && strcmp(e, "object") != 0) {
        http_reply_error(ctx, 400, "invalid_parameter", "envelope must be array or object");
        return false;
    }
    const struct config_tenant *t = config_find_tenant(ctx->cfg, ctx->tenant);
    *wrapped = e ? !strcmp(e, "object") : t && t->change_logs_object;
    return true;
}

void handle_order_change_logs(struct http_ctx *ctx)
{
    const char *sort = http_query(ctx, "sort_order");
    if (sort && strcmp(sort, "ASC") != 0 && strcmp(sort, "DESC") != 0) {
        http_reply_error(ctx, 400, "invalid_parameter", "sort_order must be ASC or DESC");
        return;
    }
    bool wrapped;
    if (!wrapped_change_logs(ctx, &wrapped))
        return;
    json_t *order = order_ref_read(ctx);
    if (!order)
        return;
    json_t *logs = store_read_changelogs(ctx->reader, ctx->tenant,
                                         json_string_value(json_object_get(order, "order_id")),
                                         sort && strcmp(sort, "DESC") == 0);
    json_decref(order);
    if (!logs) {
        reply_store_failed(ctx);
        return;
    }
    http_reply_json(ctx, 200, wrapped ? json_pack("{s:o}", "change_logs", logs) : logs);
}

/* ---- POST /orders/shipment-status-update ---- */

/* Does the order have the shipment the event names (by any of its keys)? */
static bool has_shipment(const json_t *order, const json_t *ev)
{
    static const char *keys[] = {"partner_shipment_reference", "tracking_no", "shipment_id"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = ju_path_str(ev, keys[i]);
        if (v && ju_find_by(json_object_get(order, "shipments"), keys[i], v))
            return true;
    }
    return false;
}

/* A return request's REVERSE shipment (returns_pipeline.h): 1 handled (the
 * reply is the order when the relay holds it, else empty), 0 not a
 * return's, STORE_EIO. */
static int ssu_return(struct store_txn *txn, struct http_ctx *ctx, struct write_job *j, const json_t *order)
{
    json_t *origin = http_origin(ctx);
    struct pipeline_write w = {ctx->cfg, ctx->tenant, "SHIPMENT_STATUS_UPDATE", ctx->correlation_id, j->now, origin,
                               NULL, NULL};
    enum pipeline_outcome outcome;
    int routed = returns_route_event(txn, &w, j->body, &outcome, ctx->order_id);
    json_decref(origin);
    if (routed == 1) {
        if (order)
            http_job_reply_text(ctx, 200, store_order_json(txn, order));
        else
            http_job_reply(ctx, 200, NULL);
    }
    return routed;
}

static int ssu_job(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct write_job *j = arg;
    json_t *before = store_order_peek(txn, ctx->tenant, STORE_KEY_PARTNER_REF,
                                     ju_path_str(j->body, "partner_order_reference"));
    if (!before || !has_shipment(before, j->body)) {
        int routed = ssu_return(txn, ctx, j, before);
        if (routed != 0) {
            json_decref(before);
            return routed < 0 ? STORE_EIO : STORE_OK;
        }
    }
    if (!before) {
        http_job_reply(ctx, 200, NULL);
        return STORE_OK;
    }
    snprintf(ctx->order_id, sizeof ctx->order_id, "%s", json_string_value(json_object_get(before, "order_id")));
    bool autoclose = !config_source_skips_autoclose(ctx->cfg, ju_path_str(before, "creation_source.source_type"));
    json_t *order = json_deep_copy(before), *changes = json_array(), *origin = http_origin(ctx);
    int rc = STORE_OK;
    char refusal[PIPELINE_REFUSAL_LEN] = "";
    struct pipeline_write w = {ctx->cfg, ctx->tenant, "SHIPMENT_STATUS_UPDATE", ctx->correlation_id, j->now, origin,
                               NULL, refusal};
    order_shape_defaults(order);
    shipment_update_apply(order, j->body, autoclose, j->now, changes);
    if (json_array_size(changes)) /* else a repeat: nothing to write */
        rc = pipeline_store_order(txn, &w, before, order, changes);
    json_decref(origin);
    /* the stored text: of the new version, or (a repeat) of the order as it was, when nothing differs */
    bool same = !json_array_size(changes) && json_equal(order, before);
    if (rc == STORE_OK)
        http_job_reply_text(ctx, 200, store_order_json(txn, same ? before : order));
    else if (rc == PIPELINE_TOO_LARGE)
        http_job_error(ctx, 400, "order_too_large", "%s", refusal);
    json_decref(changes);
    json_decref(before);
    json_decref(order);
    return rc;
}

void handle_shipment_status_update(struct http_ctx *ctx)
{
    json_t *body = http_json_body(ctx);
    if (!body)
        return;
    char err[256];
    json_t *event = carriyo_shipment_event(body, err, sizeof err);
    json_decref(body);
    if (!event) {
        http_reply_error(ctx, 400, "invalid_field", "%s", err);
        return;
    }
    http_submit(ctx, ssu_job, job_free, job_new(event));
}

/* ---- GET /orders/{reference}/shipments/{shipment}/status-history ---- */

void handle_shipment_history(struct http_ctx *ctx)
{
    long limit;
    long long after;
    if (!http_page(ctx, &limit, &after))
        return;
    json_t *order = order_ref_read(ctx);
    if (!order)
        return;
    const char *want = route_param(&ctx->params, "shipment");
    json_t *ship = NULL;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(order, "shipments"), i, s)
    {
        const char *key = order_shipment_key(s);
        if (!ship && key && !strcmp(key, want))
            ship = s;
    }
    if (!ship) {
        json_decref(order);
        http_reply_error(ctx, 404, "shipment_not_found", "the order has no shipment \"%s\"", want);
        return;
    }
    json_t *rows = store_read_history(ctx->reader, ctx->tenant, json_string_value(json_object_get(order, "order_id")),
                                      want, after, (int)limit);
    if (!rows) {
        json_decref(order);
        reply_store_failed(ctx);
        return;
    }
    /* the archived entries, oldest first and paged, then (on the last page) those kept inline */
    bool last = (long)json_array_size(rows) < limit;
    json_t *next = last ? json_null() : json_incref(json_object_get(json_array_get(rows, json_array_size(rows) - 1), "seq"));
    json_t *data = json_array();
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_array_append(data, json_object_get(r, "entry"));
    }
    if (last)
        json_array_extend(data, json_object_get(ship, "status_history"));
    json_decref(rows);
    json_decref(order);
    http_reply_json(ctx, 200, json_pack("{s:s,s:o,s:o}", "shipment", want, "data", data, "next_after", next));
}
