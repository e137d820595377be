/* handlers_ops: explicit order operations (cancel, late cancel, unfulfill,
 * partial cancellation, a refund outcome), redaction (of an order, of a
 * customer's orders), stuck orders. */
#ifndef SHIPRELAY_HANDLERS_OPS_H
#define SHIPRELAY_HANDLERS_OPS_H
#include "http.h"

void handle_order_cancel(struct http_ctx *ctx);
void handle_lines_cancel(struct http_ctx *ctx);
void handle_order_refund(struct http_ctx *ctx);
void handle_customer_redact(struct http_ctx *ctx);
void handle_order_redact(struct http_ctx *ctx);
void handle_stuck(struct http_ctx *ctx);

#endif
