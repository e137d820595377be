/* handlers_returns: request → pure step (returns.h) → store job
 * (returns_pipeline.h) → reply. See handlers_returns.h. */
#include "handlers_returns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "order.h"
#include "returns.h"
#include "returns_pipeline.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

struct job {
    returns_fn fn;       /* the action; NULL for PATCH */
    const char *name;    /* as OPERATION_REFUSED's field names it */
    json_t *body;        /* the request body */
    json_t *proto;       /* create: the request as built from the body */
    json_t *changes;     /* create: its change entries */
    const char *merchant; /* ?merchant= (borrowed from ctx) */
    char now[TIME_ISO_LEN];
};

static void job_free(void *arg)
{
    struct job *j = arg;
    json_decref(j->body);
    json_decref(j->proto);
    json_decref(j->changes);
    free(j);
}

static struct job *job_new(json_t *body)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->body = body;
    time_format_iso(time_now_ms(), j->now);
    return j;
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A refusal: 409, and, when the request is linked, OPERATION_REFUSED on its order's change log. */
static int refuse(struct store_txn *txn, struct http_ctx *ctx, const json_t *ret, const char *what, const char *now,
                  const char *err)
{
    int rc = STORE_OK;
    const char *order_id = str(ret, "order_id");
    if (order_id) {
        json_t *refusal = json_array(), *msg = json_string(err), *origin = http_origin(ctx);
        order_change(refusal, "OPERATION_REFUSED", "return_request", str(ret, "return_request_id"), what, NULL, msg);
        json_object_set(json_array_get(refusal, 0), "update_source", origin);
        rc = store_changelog_add(txn, ctx->tenant, order_id, now, "API", refusal);
        json_decref(origin);
        json_decref(msg);
        json_decref(refusal);
    }
    http_job_error(ctx, 409, "operation_refused", "%s", err);
    return rc;
}

/* Scope ret against its order (and the order's other requests), when the
 * relay holds it. OPS_CHANGED (also when there is no order), OPS_REFUSED. */
static enum ops_result scope(struct store_txn *txn, struct http_ctx *ctx, json_t *ret, char *err, size_t errlen)
{
    const char *order_id = str(ret, "order_id");
    json_t *order = order_id ? store_order_peek(txn, ctx->tenant, STORE_KEY_ORDER_ID, order_id)
                             : store_order_peek(txn, ctx->tenant, STORE_KEY_PARTNER_REF,
                                                str(ret, "partner_order_reference"));
    if (!order)
        return OPS_CHANGED;
    json_t *others = store_returns_by_reference(txn, ctx->tenant, str(order, "partner_order_reference"));
    enum ops_result r = others ? returns_scope(ret, order, others, err, errlen) : OPS_CHANGED;
    json_decref(others);
    json_decref(order);
    return r;
}

static int create_run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct job *j = arg;
    json_t *ret = json_deep_copy(j->proto), *changes = json_deep_copy(j->changes);
    char err[1024] = "";
    int rc = STORE_OK;
    snprintf(ctx->order_id, sizeof ctx->order_id, "%s", returns_owner(ret));
    if (scope(txn, ctx, ret, err, sizeof err) == OPS_REFUSED) {
        http_job_error(ctx, 409, "operation_refused", "%s", err);
    } else {
        snprintf(ctx->order_id, sizeof ctx->order_id, "%s", returns_owner(ret));
        json_t *origin = http_origin(ctx);
        struct pipeline_write w = {ctx->cfg, ctx->tenant, "API", ctx->correlation_id, j->now, origin, NULL, NULL};
        rc = returns_store(txn, &w, NULL, ret, changes, RETURNS_STATUS_TRIGGER);
        json_decref(origin);
        if (rc == STORE_OK)
            http_job_reply(ctx, 201, json_incref(ret));
    }
    json_decref(changes);
    json_decref(ret);
    return rc;
}

void handle_return_create(struct http_ctx *ctx)
{
    json_t *body = http_json_body(ctx);
    if (!body)
        return;
    struct job *j = job_new(body);
    unsigned char raw[10];
    char id[32] = "ret_", err[512];
    crypto_random(raw, sizeof raw);
    crypto_hex(raw, sizeof raw, id + 4);
    json_t *origin = http_origin(ctx);
    j->changes = json_array();
    j->proto = returns_create(body, ctx->tenant, id, origin, j->now, j->changes, err, sizeof err);
    json_decref(origin);
    if (!j->proto) {
        http_reply_error(ctx, 400, "invalid_field", "%s", err);
        job_free(j);
        return;
    }
    http_submit(ctx, create_run, job_free, j);
}

static int update_run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct job *j = arg;
    const char *id = route_param(&ctx->params, "id");
    json_t *before = store_return_get(txn, ctx->tenant, id);
    if (before && j->merchant && (!str(before, "merchant") || strcmp(str(before, "merchant"), j->merchant))) {
        json_decref(before);
        before = NULL;
    }
    if (!before) {
        http_job_error(ctx, 404, "return_not_found", "no return request \"%s\"%s%s", id,
                       j->merchant ? " for merchant " : "", j->merchant ? j->merchant : "");
        return STORE_OK;
    }
    snprintf(ctx->order_id, sizeof ctx->order_id, "%s", returns_owner(before));
    json_t *ret = json_deep_copy(before), *changes = json_array();
    char err[1024] = "";
    enum ops_result r = j->fn ? j->fn(ret, j->body, j->now, changes, err, sizeof err)
                              : returns_patch(ret, j->body, changes, err, sizeof err);
    if (r == OPS_CHANGED && !j->fn && json_object_get(j->body, "items"))
        r = scope(txn, ctx, ret, err, sizeof err); /* the new items, against the order */
    const char *trigger = RETURNS_STATUS_TRIGGER;
    int rc = STORE_OK;
    if (r == OPS_CHANGED && j->fn == returns_approve)
        rc = returns_claim_parked(txn, ctx->tenant, j->now, ret, changes, &trigger);
    if (rc != STORE_OK) {
        /* the store failed: the reply is the 503 http.c makes of it */
    } else if (r == OPS_CHANGED) {
        json_t *origin = http_origin(ctx);
        struct pipeline_write w = {ctx->cfg, ctx->tenant, "API", ctx->correlation_id, j->now, origin, NULL, NULL};
        rc = returns_store(txn, &w, before, ret, changes, trigger);
        json_decref(origin);
        if (rc == STORE_OK)
            http_job_reply(ctx, 200, json_incref(ret));
    } else if (r == OPS_NOOP) {
        http_job_reply(ctx, 200, json_incref(before));
    } else if (r == OPS_REFUSED) {
        rc = refuse(txn, ctx, before, j->name, j->now, err);
    } else {
        http_job_error(ctx, r == OPS_NOT_FOUND ? 404 : 400, r == OPS_NOT_FOUND ? "not_found" : "invalid_field", "%s",
                       err);
    }
    json_decref(changes);
    json_decref(ret);
    json_decref(before);
    return rc;
}

static void submit_update(struct http_ctx *ctx, returns_fn fn, const char *name)
{
    json_t *body = ctx->body_len || !fn ? http_json_body(ctx) : json_object();
    if (!body)
        return;
    if (!json_is_object(body)) {
        json_decref(body);
        http_reply_error(ctx, 400, "invalid_field", "the body must be a JSON object");
        return;
    }
    struct job *j = job_new(body);
    j->fn = fn;
    j->name = name;
    j->merchant = http_query(ctx, "merchant");
    http_submit(ctx, update_run, job_free, j);
}

void handle_return_patch(struct http_ctx *ctx)
{
    submit_update(ctx, NULL, "update");
}

void handle_return_approve(struct http_ctx *ctx)
{
    submit_update(ctx, returns_approve, "approve");
}

void handle_return_reject(struct http_ctx *ctx)
{
    submit_update(ctx, returns_reject, "reject");
}

void handle_return_cancel(struct http_ctx *ctx)
{
    submit_update(ctx, returns_cancel, "cancel");
}

void handle_return_complete(struct http_ctx *ctx)
{
    submit_update(ctx, returns_complete, "complete");
}

void handle_return_get(struct http_ctx *ctx)
{
    const char *id = route_param(&ctx->params, "id"), *merchant = http_query(ctx, "merchant");
    bool failed = false;
    json_t *ret = store_read_return(ctx->reader, ctx->tenant, id, &failed);
    if (ret && merchant && (!str(ret, "merchant") || strcmp(str(ret, "merchant"), merchant))) {
        json_decref(ret);
        ret = NULL;
    }
    if (failed)
        http_reply_error(ctx, 503, "store_unavailable", "the return request could not be read; retry");
    else if (!ret)
        http_reply_error(ctx, 404, "return_not_found", "no return request \"%s\"%s%s", id,
                         merchant ? " for merchant " : "", merchant ? merchant : "");
    else
        http_reply_json(ctx, 200, ret);
}

void handle_return_list(struct http_ctx *ctx)
{
    struct store_return_filter f = {0};
    long limit;
    if (!http_page(ctx, &limit, &f.after))
        return;
    f.limit = (int)limit;
    f.partner_order_reference = http_query(ctx, "partner_order_reference");
    f.status = http_query(ctx, "status");
    f.merchant = http_query(ctx, "merchant");
    static const char *statuses[] = {"pending", "approved", "rejected", "cancelled", "completed"};
    bool known = !f.status;
    for (size_t i = 0; !known && i < sizeof statuses / sizeof statuses[0]; i++)
        known = !strcmp(f.status, statuses[i]);
    if (!known) {
        http_reply_error(ctx, 400, "invalid_parameter", "status must be pending, approved, rejected, cancelled or completed");
        return;
    }
    json_t *rows = store_read_returns(ctx->reader, ctx->tenant, &f);
    if (!rows) {
        http_reply_error(ctx, 503, "store_unavailable", "could not read return requests; retry");
        return;
    }
    json_t *data = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_array_append(data, json_object_get(r, "doc"));
    }
    size_t n = json_array_size(rows);
    json_t *next = (long)n == limit ? json_incref(json_object_get(json_array_get(rows, n - 1), "seq")) : json_null();
    json_decref(rows);
    http_reply_json(ctx, 200, json_pack("{s:o,s:o}", "data", data, "next_after", next));
}
