/* order_job: one write to an existing order as a store job, the same way
 * for every operation (PATCH, cancellations, fulfillment-order operations,
 * allocation):
 *
 *   load the order the path names (order_ref.h; 404), apply the pure
 *   operation, then
 *     CHANGED    store it with its change log and events, firing the
 *                operation's Carriyo trigger (pipeline_store_order); 200
 *                with the order (409 order_exists when a PATCH takes
 *                another order's partner_order_reference)
 *     NOOP       200 with the order, nothing stored or fired (a repeat)
 *     REFUSED    409 operation_refused with the rule (which names what is
 *                allowed instead); the refusal itself is written to the
 *                change log (OPERATION_REFUSED), nothing else changes
 *     NOT_FOUND  404 not_found;   INVALID  400 invalid_field
 *
 * The job keeps nothing across runs: it starts from the stored order and
 * the request each time. */
#ifndef SHIPRELAY_ORDER_JOB_H
#define SHIPRELAY_ORDER_JOB_H
#include <jansson.h>

#include "http.h"
#include "order_ops.h"

struct order_op {
    const char *name;    /* the operation, as OPERATION_REFUSED's field names it ("fulfill") */
    const char *trigger; /* Carriyo's trigger it fires when it changes the order (webhook_events.h) */
    const char *source;  /* the change-log source label ("API", "OPERATION") */
    ops_fn apply;
};

/* Submit op on the order the path names; body is stolen (an object). The
 * query's key, merchant, create_draft_shipment and skip_shipping are read
 * here; false flags when absent. Replies 400 for a bad query. */
void order_job_submit(struct http_ctx *ctx, const struct order_op *op, json_t *body);
/* The body as an object: the parsed JSON, or {} when empty and
 * empty_ok. NULL after replying 400. */
json_t *order_job_body(struct http_ctx *ctx, bool empty_ok);

#endif
