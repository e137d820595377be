/* order_ref: how every /orders/{reference}… path names its order.
 *
 * `{reference}` is read according to `?key=order_id` (the default) or
 * `?key=partner_order_reference` (unique per tenant, as in Carriyo).
 * Orders are scoped per merchant within a tenant (seed 001): a path may add
 * `?merchant=M`, and then an order of another merchant is not found (404),
 * as if it did not exist. One parser for reads and writes, so every order
 * path accepts the same parameters and answers the same errors. */
#ifndef SHIPRELAY_ORDER_REF_H
#define SHIPRELAY_ORDER_REF_H
#include <jansson.h>
#include <stdbool.h>

#include "http.h"
#include "store.h"

struct order_ref {
    enum store_key key;
    const char *ref;      /* the path's {reference} (borrowed from ctx) */
    const char *merchant; /* ?merchant=, or NULL (borrowed from ctx) */
};

/* Parse the path and query; false after replying 400. */
bool order_ref_parse(struct http_ctx *ctx, struct order_ref *out);
/* From the worker's reader (reads): the order, or NULL after replying 400,
 * 404 or 503. The caller owns the result. */
json_t *order_ref_read(struct http_ctx *ctx);
/* Inside a job: the order as stored (shared, as from store_order_peek: the
 * caller decrefs it but must not change it; shape defaults are not applied),
 * or NULL after deciding a 404 reply (a store failure reads as not found;
 * the job's own writes will fail too). Sets ctx->order_id. */
json_t *order_ref_load(struct store_txn *txn, struct http_ctx *ctx, const struct order_ref *r);

#endif
