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

#include "carriyo.h"
#include "jsonutil.h"
#include "order.h"
#include "pipeline.h"
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

void handle_healthz(struct http_ctx *ctx)
{
    http_reply_json(ctx, 200, json_pack("{s:s}", "status", "ok"));
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
    int rc = pipeline_store_order(txn, ctx->cfg, ctx->tenant, NULL, order, changes, "API", ctx->correlation_id, j->now);
    snprintf(ctx->order_id, sizeof ctx->order_id, "%s", json_string_value(json_object_get(order, "order_id")));
    if (rc == STORE_OK)
        http_job_reply_text(ctx, 201, store_order_json(txn, order));
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
    struct write_job *j = job_new(body);
    char id[32], err[256];
    new_order_id(id);
    j->changes = json_array();
    j->proto = order_create(body, ctx->tenant, id, j->now, j->changes, err, sizeof err);
    if (!j->proto) {
        http_reply_error(ctx, 400, "invalid_field", "%s", err);
        job_free(j);
        return;
    }
    http_submit(ctx, create_job, job_free, j);
}

/* ---- GET /orders/{reference}[/change-logs] ---- */

json_t *orders_lookup(struct http_ctx *ctx)
{
    const char *key = http_query(ctx, "key");
    enum store_key k;
    if (!key || strcmp(key, "order_id") == 0)
        k = STORE_KEY_ORDER_ID;
    else if (strcmp(key, "partner_order_reference") == 0)
        k = STORE_KEY_PARTNER_REF;
    else {
        http_reply_error(ctx, 400, "invalid_parameter", "key must be order_id or partner_order_reference");
        return NULL;
    }
    const char *ref = route_param(&ctx->params, "reference");
    bool failed = false;
    json_t *order = store_read_order(ctx->reader, ctx->tenant, k, ref, &failed);
    if (!order) {
        if (failed)
            reply_store_failed(ctx);
        else
            http_reply_error(ctx, 404, "order_not_found", "no order with %s \"%s\"",
                             k == STORE_KEY_ORDER_ID ? "order_id" : "partner_order_reference", ref);
    }
    return order;
}

void handle_order_get(struct http_ctx *ctx)
{
    json_t *order = orders_lookup(ctx);
    if (order)
        http_reply_json(ctx, 200, order);
}

void handle_order_change_logs(struct http_ctx *ctx)
{
    const char *sort = http_query(ctx, "sort_order");
    if (sort && strcmp(sort, "ASC") != 0 && strcmp(sort, "DESC") != 0) {
        http_reply_error(ctx, 400, "invalid_parameter", "sort_order must be ASC or DESC");
        return;
    }
    json_t *order = orders_lookup(ctx);
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
    http_reply_json(ctx, 200, json_pack("{s:o}", "change_logs", logs));
}

/* ---- POST /orders/shipment-status-update ---- */

static int ssu_job(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct write_job *j = arg;
    json_t *before = store_order_peek(txn, ctx->tenant, STORE_KEY_PARTNER_REF,
                                     ju_path_str(j->body, "partner_order_reference"));
    if (!before) {
        http_job_reply(ctx, 200, NULL);
        return STORE_OK;
    }
    snprintf(ctx->order_id, sizeof ctx->order_id, "%s", json_string_value(json_object_get(before, "order_id")));
    bool autoclose = !config_source_skips_autoclose(ctx->cfg, ju_path_str(before, "creation_source.source_type"));
    json_t *order = json_deep_copy(before), *changes = json_array();
    int rc = STORE_OK;
    shipment_update_apply(order, j->body, autoclose, j->now, changes);
    bool changed = json_array_size(changes) > 0;
    if (changed) /* else a repeat: nothing to write */
        rc = pipeline_store_order(txn, ctx->cfg, ctx->tenant, before, order, changes, "SHIPMENT_STATUS_UPDATE",
                                  ctx->correlation_id, j->now);
    if (rc == STORE_OK)
        http_job_reply_text(ctx, 200, store_order_json(txn, changed ? order : before));
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
