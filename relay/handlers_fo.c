/* handlers_fo: one table entry per operation; the body checks that need
 * no order are here, the rest is in the pure operation. See handlers_fo.h. */
#include "handlers_fo.h"

#include <string.h>

#include "allocation.h"
#include "fo_control.h"
#include "fo_ops.h"
#include "fo_regroup.h"
#include "fo_updates.h"
#include "order_job.h"
#include "order_patch.h"

static const struct order_op
    op_patch = {"update", "ORDER_UPDATE", "API", order_patch},
    op_fulfill = {"fulfill", "FULFILLMENT_ORDER_FULFILL", "OPERATION", fo_fulfill},
    op_unfulfill = {"unfulfill", "FULFILLMENT_ORDER_UNFULFILL", "OPERATION", fo_unfulfill},
    op_split = {"split", "FULFILLMENT_ORDER_SPLIT", "OPERATION", fo_split},
    op_merge = {"merge", "FULFILLMENT_ORDER_MERGE", "OPERATION", fo_merge},
    op_ship = {"ship", "FULFILLMENT_ORDER_SHIP_LINE_ITEMS", "OPERATION", fo_ship},
    op_cancel = {"cancel_fulfillment_order", "FULFILLMENT_ORDER_CANCEL_LINE_ITEMS", "OPERATION", fo_cancel},
    op_location = {"update-location", "FULFILLMENT_ORDER_UPDATE_LOCATION", "OPERATION", fo_update_location},
    op_address = {"update-address", "FULFILLMENT_ORDER_UPDATE_ADDRESS", "OPERATION", fo_update_address},
    op_method = {"update-delivery-method", "FULFILLMENT_ORDER_UPDATE_DELIVERY_METHOD", "OPERATION",
                 fo_update_delivery_method},
    op_schedule = {"update-schedule", "FULFILLMENT_ORDER_UPDATE_SCHEDULE", "OPERATION", fo_update_schedule},
    op_allocate = {"allocate", "FULFILLMENT_ORDER_ALLOCATE", "OPERATION", allocation_allocate},
    op_hold = {"hold", "FULFILLMENT_ORDER_HOLD", "OPERATION", fo_hold},
    op_resume = {"resume", "FULFILLMENT_ORDER_RESUME", "OPERATION", fo_resume},
    op_request = {"request-fulfillment", "FULFILLMENT_ORDER_REQUEST_FULFILLMENT", "OPERATION", fo_request_fulfillment},
    /* two triggers, each carried by the change it makes (fo_updates.h) */
    op_references = {"update-partner-references", NULL, "OPERATION", fo_update_partner_references};

static void submit(struct http_ctx *ctx, const struct order_op *op, bool empty_ok)
{
    json_t *body = order_job_body(ctx, empty_ok);
    if (body)
        order_job_submit(ctx, op, body);
}

void handle_order_patch(struct http_ctx *ctx)
{
    submit(ctx, &op_patch, false);
}

void handle_fo_fulfill(struct http_ctx *ctx)
{
    submit(ctx, &op_fulfill, false);
}

void handle_fo_unfulfill(struct http_ctx *ctx)
{
    submit(ctx, &op_unfulfill, true);
}

void handle_fo_split(struct http_ctx *ctx)
{
    submit(ctx, &op_split, false);
}

void handle_fo_merge(struct http_ctx *ctx)
{
    submit(ctx, &op_merge, false);
}

void handle_fo_ship(struct http_ctx *ctx)
{
    submit(ctx, &op_ship, false);
}

void handle_fo_cancel(struct http_ctx *ctx)
{
    json_t *body = order_job_body(ctx, false);
    if (!body)
        return;
    json_t *reason = json_object_get(body, "cancellation_reason");
    if (!json_is_string(reason) || !*json_string_value(reason) || strlen(json_string_value(reason)) > 255) {
        json_decref(body);
        http_reply_error(ctx, 400, "invalid_field", "cancellation_reason is required (a non-empty string of at most 255 bytes)");
        return;
    }
    order_job_submit(ctx, &op_cancel, body);
}

void handle_fo_update_location(struct http_ctx *ctx)
{
    submit(ctx, &op_location, false);
}

void handle_fo_update_address(struct http_ctx *ctx)
{
    submit(ctx, &op_address, false);
}

void handle_fo_update_delivery_method(struct http_ctx *ctx)
{
    submit(ctx, &op_method, false);
}

void handle_fo_update_schedule(struct http_ctx *ctx)
{
    submit(ctx, &op_schedule, false);
}

void handle_fo_update_partner_references(struct http_ctx *ctx)
{
    submit(ctx, &op_references, false);
}

void handle_fo_allocate(struct http_ctx *ctx)
{
    submit(ctx, &op_allocate, true);
}

void handle_fo_hold(struct http_ctx *ctx)
{
    submit(ctx, &op_hold, false);
}

void handle_fo_resume(struct http_ctx *ctx)
{
    submit(ctx, &op_resume, true);
}

void handle_fo_request_fulfillment(struct http_ctx *ctx)
{
    submit(ctx, &op_request, true);
}
