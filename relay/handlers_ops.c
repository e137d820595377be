/* handlers_ops: each operation is one store job: load the order, apply the
 * pure operation (order_ops.c), and store the result with its change log
 * and order.* events (pipeline_store_order). A refused operation changes
 * nothing but is itself written to the change log (OPERATION_REFUSED), so a
 * race between an operation and a carrier event leaves both on record.
 *
 * Replies: 200 with the order (also for a repeat, which changes nothing and
 * emits nothing); 404 unknown order, fulfillment order or line; 409 with
 * the rule that refused it; 400 for a bad body. */
#include "handlers_ops.h"

#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "order.h"
#include "order_ops.h"
#include "pipeline.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

enum op { OP_CANCEL, OP_CANCEL_FO, OP_UNFULFILL, OP_CANCEL_LINES };
static const char *op_names[] = {"cancel", "cancel_fulfillment_order", "unfulfill", "cancel_line_items"};

struct op_job {
    enum op op;
    json_t *body;
    enum store_key key;
    char now[TIME_ISO_LEN];
};

static int op_run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct op_job *j = arg;
    const char *tenant = ctx->tenant, *ref = route_param(&ctx->params, "reference");
    json_t *before = store_order_peek(txn, tenant, j->key, ref);
    if (!before) {
        http_job_error(ctx, 404, "order_not_found", "no order \"%s\"", ref);
        return STORE_OK;
    }
    snprintf(ctx->order_id, sizeof ctx->order_id, "%s", json_string_value(json_object_get(before, "order_id")));
    json_t *order = json_deep_copy(before), *changes = json_array();
    const char *reason = json_string_value(json_object_get(j->body, "cancellation_reason"));
    const char *fo = route_param(&ctx->params, "fo");
    char err[512] = "";
    enum ops_result result = OPS_NOOP;
    switch (j->op) {
    case OP_CANCEL:
        result = ops_cancel_order(order, reason, json_is_true(json_object_get(j->body, "force")), j->now, changes, err,
                                  sizeof err);
        break;
    case OP_CANCEL_FO:
        result = ops_cancel_fulfillment_order(order, fo, reason, j->now, changes, err, sizeof err);
        break;
    case OP_UNFULFILL:
        result = ops_unfulfill(order, fo, j->now, changes, err, sizeof err);
        break;
    case OP_CANCEL_LINES:
        result = ops_cancel_lines(order, json_object_get(j->body, "line_item_ids"), reason, j->now, changes, err,
                                  sizeof err);
        break;
    }
    int rc = STORE_OK;
    const char *order_id = json_string_value(json_object_get(before, "order_id"));
    if (result == OPS_CHANGED) {
        rc = pipeline_store_order(txn, ctx->cfg, tenant, before, order, changes, "OPERATION", ctx->correlation_id,
                                  j->now);
    } else if (result == OPS_REFUSED) {
        json_t *refusal = json_array();
        json_t *msg = json_string(err);
        order_change(refusal, "OPERATION_REFUSED", "order", order_id, op_names[j->op], NULL, msg);
        json_decref(msg);
        rc = store_changelog_add(txn, tenant, order_id, j->now, "OPERATION", refusal);
        json_decref(refusal);
    }
    if (result == OPS_NOT_FOUND)
        http_job_error(ctx, 404, "not_found", "%s", err);
    else if (result == OPS_REFUSED)
        http_job_error(ctx, 409, "operation_refused", "%s", err);
    else
        http_job_reply_text(ctx, 200, store_order_json(txn, result == OPS_CHANGED ? order : before));
    json_decref(changes);
    json_decref(before);
    json_decref(order);
    return rc;
}

static void op_free(void *arg)
{
    struct op_job *j = arg;
    json_decref(j->body);
    free(j);
}

static void submit_op(struct http_ctx *ctx, enum op op, bool needs_reason)
{
    json_t *body = ctx->body_len || needs_reason ? http_json_body(ctx) : json_object();
    if (!body)
        return;
    const char *key = http_query(ctx, "key");
    enum store_key k = STORE_KEY_ORDER_ID;
    if (key && !strcmp(key, "partner_order_reference"))
        k = STORE_KEY_PARTNER_REF;
    else if (key && strcmp(key, "order_id")) {
        json_decref(body);
        http_reply_error(ctx, 400, "invalid_parameter", "key must be order_id or partner_order_reference");
        return;
    }
    json_t *reason = json_object_get(body, "cancellation_reason");
    const char *bad = NULL;
    if (needs_reason && (!json_is_string(reason) || !*json_string_value(reason) || strlen(json_string_value(reason)) > 255))
        bad = "cancellation_reason is required (a non-empty string of at most 255 bytes)";
    json_t *force = json_object_get(body, "force");
    if (!bad && force && !json_is_boolean(force))
        bad = "force must be true or false";
    json_t *ids = json_object_get(body, "line_item_ids");
    if (!bad && op == OP_CANCEL_LINES) {
        bool ok = json_is_array(ids) && json_array_size(ids) > 0;
        size_t i;
        json_t *v;
        json_array_foreach(ids, i, v)
        {
            ok = ok && json_is_string(v);
        }
        if (!ok)
            bad = "line_item_ids must be a non-empty array of line item ids";
    }
    if (bad) {
        json_decref(body);
        http_reply_error(ctx, 400, "invalid_field", "%s", bad);
        return;
    }
    struct op_job *j = xcalloc(1, sizeof *j);
    j->op = op;
    j->body = body;
    j->key = k;
    time_format_iso(time_now_ms(), j->now);
    http_submit(ctx, op_run, op_free, j);
}

void handle_order_cancel(struct http_ctx *ctx)
{
    submit_op(ctx, OP_CANCEL, true);
}

void handle_fo_cancel(struct http_ctx *ctx)
{
    submit_op(ctx, OP_CANCEL_FO, true);
}

void handle_fo_unfulfill(struct http_ctx *ctx)
{
    submit_op(ctx, OP_UNFULFILL, false);
}

void handle_lines_cancel(struct http_ctx *ctx)
{
    submit_op(ctx, OP_CANCEL_LINES, true);
}

/* ---- redaction ---- */

struct redact_job {
    json_t *body;
    char now[TIME_ISO_LEN];
};

static int redact_run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct redact_job *j = arg;
    const char *tenant = ctx->tenant;
    json_t *orders = store_orders_by_customer(txn, tenant, route_param(&ctx->params, "customer_key"));
    if (!orders)
        return STORE_EIO;
    const char *who = json_string_value(json_object_get(j->body, "requested_by"));
    int rc = STORE_OK, redacted = 0, already = 0;
    size_t i;
    json_t *order;
    json_array_foreach(orders, i, order)
    {
        json_t *changes = json_array();
        if (ops_redact(order, who, j->now, changes) == OPS_NOOP) {
            already++;
        } else {
            /* The event's old image is the redacted one too: personal data
             * leaves with no webhook. Queued messages are scrubbed. */
            rc = pipeline_store_order(txn, ctx->cfg, tenant, order, order, changes, "REDACTION", ctx->correlation_id,
                                      j->now);
            const char *order_id = json_string_value(json_object_get(order, "order_id"));
            if (rc == STORE_OK)
                rc = store_outbox_redact(txn, tenant, order_id, ops_personal_members);
            if (rc == STORE_OK) /* system-log bodies are deleted, here and in the object store */
                rc = store_syslog_redact(txn, tenant, order_id);
            redacted++;
        }
        json_decref(changes);
        if (rc != STORE_OK)
            break;
    }
    json_decref(orders);
    http_job_reply(ctx, 200,
                   json_pack("{s:s,s:i,s:i}", "customer_key", route_param(&ctx->params, "customer_key"), "redacted",
                             redacted, "already_redacted", already));
    return rc;
}

static void redact_free(void *arg)
{
    struct redact_job *j = arg;
    json_decref(j->body);
    free(j);
}

void handle_customer_redact(struct http_ctx *ctx)
{
    json_t *body = http_json_body(ctx);
    if (!body)
        return;
    json_t *who = json_object_get(body, "requested_by");
    if (!json_is_string(who) || !*json_string_value(who) || strlen(json_string_value(who)) > 255) {
        json_decref(body);
        http_reply_error(ctx, 400, "invalid_field", "requested_by is required (who asked, at most 255 bytes)");
        return;
    }
    struct redact_job *j = xcalloc(1, sizeof *j);
    j->body = body;
    time_format_iso(time_now_ms(), j->now);
    http_submit(ctx, redact_run, redact_free, j);
}

/* ---- stuck orders ---- */

static json_t *stuck(struct http_ctx *ctx, const char *tenant)
{
    int64_t now = time_now_ms();
    char now_iso[TIME_ISO_LEN], early[TIME_ISO_LEN], late[TIME_ISO_LEN];
    time_format_iso(now, now_iso);
    time_format_iso(now - ctx->cfg->stuck_early * 1000, early);
    time_format_iso(now - ctx->cfg->stuck_late * 1000, late);
    return store_read_stuck(ctx->reader, tenant, now_iso, early, late);
}

void handle_stuck(struct http_ctx *ctx)
{
    json_t *rows = stuck(ctx, ctx->tenant);
    if (!rows) {
        http_reply_error(ctx, 503, "store_unavailable", "could not read orders; retry");
        return;
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_object_del(r, "tenant");
    }
    http_reply_json(ctx, 200, json_pack("{s:o}", "data", rows));
}
