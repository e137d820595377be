/* order_job: load → apply → store or refuse. See order_job.h. */
#include "order_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "order.h"
#include "order_ref.h"
#include "order_shape.h"
#include "pipeline.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

struct job {
    const struct order_op *op;
    json_t *body;
    struct order_ref ref;
    struct ops_input in;
    char nonce[16];
    char now[TIME_ISO_LEN];
};

static int run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct job *j = arg;
    json_t *before = order_ref_load(txn, ctx, &j->ref); /* as stored: not to be changed */
    if (!before)
        return STORE_OK;
    json_t *order = json_deep_copy(before), *changes = json_array(), *origin = http_origin(ctx);
    order_shape_defaults(order);
    char err[512] = "";
    enum ops_result result = j->op->apply(order, &j->in, changes, err, sizeof err);
    const char *order_id = json_string_value(json_object_get(before, "order_id"));
    int rc = STORE_OK;
    if (result == OPS_CHANGED) {
        char refusal[PIPELINE_REFUSAL_LEN] = "";
        struct pipeline_write w = {ctx->cfg, ctx->tenant, j->op->source, ctx->correlation_id, j->now, origin,
                                   j->op->trigger, refusal};
        rc = pipeline_store_order(txn, &w, before, order, changes);
        if (rc == PIPELINE_TOO_LARGE)
            http_job_error(ctx, 400, "order_too_large", "%s", refusal);
        else if (rc == STORE_EXISTS)
            http_job_error(ctx, 409, "order_exists", "another order has partner_order_reference \"%s\"",
                           json_string_value(json_object_get(order, "partner_order_reference")));
        else if (rc == STORE_OK)
            http_job_reply_text(ctx, 200, store_order_json(txn, order));
    } else if (result == OPS_REFUSED) {
        json_t *refusal = json_array(), *msg = json_string(err);
        order_change(refusal, "OPERATION_REFUSED", "order", order_id, j->op->name, NULL, msg);
        json_object_set(json_array_get(refusal, 0), "update_source", origin);
        rc = store_changelog_add(txn, ctx->tenant, order_id, j->now, j->op->source, refusal);
        json_decref(msg);
        json_decref(refusal);
        http_job_error(ctx, 409, "operation_refused", "%s", err);
    } else if (result == OPS_NOT_FOUND) {
        http_job_error(ctx, 404, "not_found", "%s", err);
    } else if (result == OPS_INVALID) {
        http_job_error(ctx, 400, "invalid_field", "%s", err);
    } else {
        http_job_reply(ctx, 200, json_incref(order));
    }
    json_decref(origin);
    json_decref(changes);
    json_decref(before);
    json_decref(order);
    return rc;
}

static void job_free(void *arg)
{
    struct job *j = arg;
    json_decref(j->body);
    free(j);
}

/* ?name= as a flag: absent false; true/false; else -1. */
static int flag(struct http_ctx *ctx, const char *name)
{
    const char *v = http_query(ctx, name);
    if (!v || !strcmp(v, "false"))
        return 0;
    return !strcmp(v, "true") ? 1 : -1;
}

json_t *order_job_body(struct http_ctx *ctx, bool empty_ok)
{
    if (!ctx->body_len && empty_ok)
        return json_object();
    return http_json_body(ctx);
}

void order_job_submit(struct http_ctx *ctx, const struct order_op *op, json_t *body)
{
    struct order_ref ref;
    if (!order_ref_parse(ctx, &ref)) {
        json_decref(body);
        return;
    }
    int draft = flag(ctx, "create_draft_shipment"), skip = flag(ctx, "skip_shipping");
    if (draft < 0 || skip < 0) {
        json_decref(body);
        http_reply_error(ctx, 400, "invalid_parameter", "create_draft_shipment and skip_shipping must be true or false");
        return;
    }
    struct job *j = xcalloc(1, sizeof *j);
    j->op = op;
    j->body = body;
    j->ref = ref;
    unsigned char raw[4];
    crypto_random(raw, sizeof raw);
    crypto_hex(raw, sizeof raw, j->nonce);
    time_format_iso(time_now_ms(), j->now);
    j->in = (struct ops_input){.body = body,
                               .fo_id = route_param(&ctx->params, "fo"),
                               .nonce = j->nonce,
                               .now = j->now,
                               .create_draft_shipment = draft,
                               .skip_shipping = skip,
                               .tenant = config_find_tenant(ctx->cfg, ctx->tenant)};
    http_submit(ctx, run, job_free, j);
}
