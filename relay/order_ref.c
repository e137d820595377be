/* order_ref: see order_ref.h. */
#include "order_ref.h"

#include <stdio.h>
#include <string.h>

#include "order_shape.h"

bool order_ref_parse(struct http_ctx *ctx, struct order_ref *out)
{
    const char *key = http_query(ctx, "key");
    if (!key || strcmp(key, "order_id") == 0)
        out->key = STORE_KEY_ORDER_ID;
    else if (strcmp(key, "partner_order_reference") == 0)
        out->key = STORE_KEY_PARTNER_REF;
    else {
        http_reply_error(ctx, 400, "invalid_parameter", "key must be order_id or partner_order_reference");
        return false;
    }
    out->ref = route_param(&ctx->params, "reference");
    out->merchant = http_query(ctx, "merchant");
    return true;
}

static const char *key_name(enum store_key k)
{
    return k == STORE_KEY_ORDER_ID ? "order_id" : "partner_order_reference";
}

/* The order if it is the merchant's (when one is named); else NULL. */
/* The order if it is the merchant's (any when merchant is NULL), else NULL. */
static json_t *of_merchant(json_t *order, const char *merchant)
{
    const char *m = json_string_value(json_object_get(order, "merchant"));
    if (order && merchant && (!m || strcmp(m, merchant) != 0)) {
        json_decref(order);
        return NULL;
    }
    return order;
}

static json_t *scoped(json_t *order, const char *merchant)
{
    order = of_merchant(order, merchant);
    if (order)
        order_shape_defaults(order);
    return order;
}

json_t *order_ref_read(struct http_ctx *ctx)
{
    struct order_ref r;
    if (!order_ref_parse(ctx, &r))
        return NULL;
    bool failed = false;
    json_t *order = scoped(store_read_order(ctx->reader, ctx->tenant, r.key, r.ref, &failed), r.merchant);
    if (!order) {
        if (failed)
            http_reply_error(ctx, 503, "store_unavailable", "the order could not be read; retry");
        else
            http_reply_error(ctx, 404, "order_not_found", "no order with %s \"%s\"%s%s", key_name(r.key), r.ref,
                             r.merchant ? " for merchant " : "", r.merchant ? r.merchant : "");
    }
    return order;
}

json_t *order_ref_load(struct store_txn *txn, struct http_ctx *ctx, const struct order_ref *r)
{
    json_t *order = of_merchant(store_order_peek(txn, ctx->tenant, r->key, r->ref), r->merchant);
    if (!order) {
        http_job_error(ctx, 404, "order_not_found", "no order with %s \"%s\"%s%s", key_name(r->key), r->ref,
                       r->merchant ? " for merchant " : "", r->merchant ? r->merchant : "");
        return NULL;
    }
    snprintf(ctx->order_id, sizeof ctx->order_id, "%s", json_string_value(json_object_get(order, "order_id")));
    return order;
}
