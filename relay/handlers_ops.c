/* handlers_ops: order cancellation, line cancellation and the refund
 * outcome, each one order_job (load, apply the pure operation of
 * order_ops.c, store or refuse; see order_job.h); redaction of an order or
 * of a customer's orders, with everything that holds their data; stuck
 * orders.
 * A refused operation changes nothing but is itself written to the change
 * log (OPERATION_REFUSED), so a race between an operation and a carrier
 * event leaves both on record. */
#include "handlers_ops.h"

#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "order.h"
#include "order_job.h"
#include "order_ops.h"
#include "order_ref.h"
#include "order_shape.h"
#include "pipeline.h"
#include "redact.h"
#include "returns_pipeline.h"
#include "stale_reads.h"
#include "store.h"
#include "stuck.h"
#include "timeutil.h"
#include "xmalloc.h"

static const char *reason_of(const json_t *body)
{
    return json_string_value(json_object_get(body, "cancellation_reason"));
}

static enum ops_result apply_cancel(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t n)
{
    return ops_cancel_order(order, reason_of(in->body), json_is_true(json_object_get(in->body, "force")), in->now,
                            changes, err, n);
}

static enum ops_result apply_cancel_lines(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                          size_t n)
{
    return ops_cancel_lines(order, json_object_get(in->body, "line_item_ids"), reason_of(in->body), in->now, changes,
                            err, n);
}

static const struct order_op op_cancel = {"cancel", "ORDER_CANCEL", "OPERATION", apply_cancel};
static const struct order_op op_refund = {"refund", "ORDER_UPDATE", "OPERATION", ops_record_refund};
static const struct order_op op_cancel_lines = {"cancel_line_items", "FULFILLMENT_ORDER_CANCEL_LINE_ITEMS",
                                                "OPERATION", apply_cancel_lines};

/* Check the body's common members, then submit. */
static void submit_op(struct http_ctx *ctx, const struct order_op *op, bool needs_reason)
{
    json_t *body = order_job_body(ctx, !needs_reason);
    if (!body)
        return;
    json_t *reason = json_object_get(body, "cancellation_reason");
    const char *bad = NULL;
    if (needs_reason && (!json_is_string(reason) || !*json_string_value(reason) || strlen(json_string_value(reason)) > 255))
        bad = "cancellation_reason is required (a non-empty string of at most 255 bytes)";
    json_t *force = json_object_get(body, "force");
    if (!bad && force && !json_is_boolean(force))
        bad = "force must be true or false";
    json_t *ids = json_object_get(body, "line_item_ids");
    if (!bad && op == &op_cancel_lines) {
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
    order_job_submit(ctx, op, body);
}

void handle_order_cancel(struct http_ctx *ctx)
{
    submit_op(ctx, &op_cancel, true);
}

void handle_lines_cancel(struct http_ctx *ctx)
{
    submit_op(ctx, &op_cancel_lines, true);
}

void handle_order_refund(struct http_ctx *ctx)
{
    json_t *body = order_job_body(ctx, false);
    if (body)
        order_job_submit(ctx, &op_refund, body);
}

/* ---- redaction ---- */

struct redact_job {
    json_t *body;
    const char *who;    /* requested_by */
    struct order_ref ref; /* the per-order call's order */
    char now[TIME_ISO_LEN];
};

/* Everything that holds the customer data of one order (before: as
 * stored, shared): the document (with the webhook of the change: both
 * images redacted), its change log, its outbox and attempts, its system-log
 * bodies, its return requests and theirs. *out (when given) gets the
 * redacted order; *already whether it was redacted before. */
static int redact_one(struct store_txn *txn, struct http_ctx *ctx, const json_t *before, const char *who,
                      const char *now, bool *already, json_t **out)
{
    json_t *order = json_deep_copy(before), *changes = json_array(), *origin = http_origin(ctx);
    order_shape_defaults(order);
    *already = json_is_true(json_object_get(before, "redacted"));
    const char *tenant = ctx->tenant, *order_id = json_string_value(json_object_get(order, "order_id"));
    struct pipeline_write w = {ctx->cfg, tenant, "REDACTION", ctx->correlation_id, now, origin, NULL, NULL};
    int rc = STORE_OK;
    if (ops_redact(order, who, now, changes) == OPS_CHANGED) /* the old image is the redacted one too */
        rc = pipeline_store_order(txn, &w, order, order, changes);
    if (rc == STORE_OK)
        rc = store_changelog_redact(txn, tenant, order_id, redact_change_value);
    if (rc == STORE_OK)
        rc = store_outbox_redact(txn, tenant, order_id, redact_value);
    if (rc == STORE_OK) /* system-log bodies are deleted, here and in the object store */
        rc = store_syslog_redact(txn, tenant, order_id);
    if (rc == STORE_OK)
        rc = returns_redact(txn, &w, order);
    json_decref(origin);
    json_decref(changes);
    if (out && rc == STORE_OK)
        *out = order;
    else
        json_decref(order);
    return rc;
}

static int redact_customer_run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct redact_job *j = arg;
    json_t *orders = store_orders_by_customer(txn, ctx->tenant, route_param(&ctx->params, "customer_key"));
    if (!orders)
        return STORE_EIO;
    int rc = STORE_OK, redacted = 0, already = 0;
    size_t i;
    json_t *order;
    json_array_foreach(orders, i, order)
    {
        bool was;
        rc = redact_one(txn, ctx, order, j->who, j->now, &was, NULL);
        if (rc != STORE_OK)
            break;
        was ? already++ : redacted++;
    }
    json_decref(orders);
    http_job_reply(ctx, 200,
                   json_pack("{s:s,s:i,s:i}", "customer_key", route_param(&ctx->params, "customer_key"), "redacted",
                             redacted, "already_redacted", already));
    return rc;
}

static int redact_order_run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct redact_job *j = arg;
    json_t *before = order_ref_load(txn, ctx, &j->ref);
    if (!before)
        return STORE_OK;
    bool was;
    json_t *order = NULL;
    char who[300];
    snprintf(who, sizeof who, "%s", j->who ? j->who : ctx->tenant);
    int rc = redact_one(txn, ctx, before, who, j->now, &was, &order);
    if (rc == STORE_OK)
        http_job_reply(ctx, 200, order);
    json_decref(before);
    return rc;
}

/* Also the jobs' done, which runs after the commit (or the rollback:
 * emptying is always safe): this node's kept answers go (stale_reads.h);
 * other nodes hear of the redaction by NOTIFY. */
static void redact_free(void *arg)
{
    stale_reads_clear(time_now_ms());
    struct redact_job *j = arg;
    json_decref(j->body);
    free(j);
}

/* requested_by (required, or optional): false after replying 400. */
static bool requested_by(struct http_ctx *ctx, const json_t *body, bool required, const char **who)
{
    json_t *v = json_object_get(body, "requested_by");
    *who = json_string_value(v);
    if ((!v || json_is_null(v)) && !required)
        return true;
    if (!json_is_string(v) || !**who || strlen(*who) > 255) {
        http_reply_error(ctx, 400, "invalid_field", "requested_by %s (who asked, at most 255 bytes)",
                         required ? "is required" : "must be a string");
        return false;
    }
    return true;
}

void handle_customer_redact(struct http_ctx *ctx)
{
    json_t *body = http_json_body(ctx);
    struct redact_job *j = body ? xcalloc(1, sizeof *j) : NULL;
    if (!j)
        return;
    j->body = body;
    if (!requested_by(ctx, body, true, &j->who)) {
        redact_free(j);
        return;
    }
    time_format_iso(time_now_ms(), j->now);
    http_submit(ctx, redact_customer_run, redact_free, j);
}

void handle_order_redact(struct http_ctx *ctx)
{
    json_t *body = order_job_body(ctx, true); /* Carriyo's call has no body */
    struct redact_job *j = body ? xcalloc(1, sizeof *j) : NULL;
    if (!j)
        return;
    j->body = body;
    if (!requested_by(ctx, body, false, &j->who) || !order_ref_parse(ctx, &j->ref)) {
        redact_free(j);
        return;
    }
    time_format_iso(time_now_ms(), j->now);
    http_submit(ctx, redact_order_run, redact_free, j);
}

/* ---- stuck orders ---- */

void handle_stuck(struct http_ctx *ctx)
{
    long limit;
    long long after;
    if (!http_page(ctx, &limit, &after))
        return;
    struct store_stuck_rule rules[CONFIG_STUCK_STATUSES];
    char cut[CONFIG_STUCK_STATUSES][TIME_ISO_LEN], now_iso[TIME_ISO_LEN];
    int64_t now = time_now_ms();
    time_format_iso(now, now_iso);
    int n = stuck_rules(ctx->cfg, now, rules, cut);
    const char *status = http_query(ctx, "status");
    if (status) { /* one status only */
        int k = 0;
        for (int i = 0; i < n; i++)
            if (!strcmp(rules[i].status, status))
                rules[k++] = rules[i];
        if (!k) {
            http_reply_error(ctx, 400, "invalid_parameter", "status must be open, partially_allocated, allocated, "
                                                            "processing or fulfilled (closed and cancelled orders are "
                                                            "never stuck)");
            return;
        }
        n = k;
    }
    json_t *rows = store_read_stuck(ctx->reader, ctx->tenant, rules, n, now_iso, (int)limit);
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
