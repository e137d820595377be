/* order_ops: the explicit operations on a whole order (seed 000
 * "Cancellation semantics", seed 003 "Refunds & Reversals", seed 001 data
 * redaction), and the interface every operation on one order shares
 * (ops_fn, run by order_job.h; the fulfillment-order ones are fo_ops.h and
 * fo_updates.h). Pure: each takes the order document, changes it or
 * refuses, and appends change entries. Statuses stay computed: an
 * operation moves line items (or shipments) and the rollup does the rest.
 *
 *   cancel order       only while the order is open, partially_allocated or
 *                      allocated: every line → cancelled. Refused once a
 *                      fulfillment order is past allocated (naming it).
 *                      cancellation_reason becomes one of Carriyo's six
 *                      (order_shape.h; other text: OTHER), the reason as
 *                      given is kept in `cancellation`.
 *   late cancellation  force: an order that is fulfilled or closed is
 *                      cancelled all the same (seed 003); its lines →
 *                      cancelled, `cancellation.late` is true.
 *   cancel lines       the named lines → cancelled (in every fulfillment
 *                      order), refused for lines that are fulfilled or
 *                      closed.
 *   refund outcome     of a cancelled order (seed 003 "Refunds &
 *                      Reversals"): REFUNDED or NOT_REFUNDED with its
 *                      amount, currency, reference and reason, kept in
 *                      `refund`; the sub-status follows (sub_status.h).
 *                      Refused unless the order is cancelled.
 *   redact             the customer's personal data is taken out of the
 *                      whole document (redact.h lists it), the order marked
 *                      `redacted`, with who asked and when (the first time).
 *                      A repeat that finds nothing more to take out is a
 *                      NOOP.
 *
 * Every operation is idempotent: repeating it returns OPS_NOOP and changes
 * nothing. */
#ifndef SHIPRELAY_ORDER_OPS_H
#define SHIPRELAY_ORDER_OPS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct config_tenant;

/* CHANGED: store it; NOOP: a repeat, nothing to store; REFUSED: the order's
 * state does not allow it (409, naming what is allowed); NOT_FOUND: a
 * fulfillment order or line the request names is not there (404);
 * INVALID: the request does not fit the order (400). */
enum ops_result { OPS_CHANGED, OPS_NOOP, OPS_REFUSED, OPS_NOT_FOUND, OPS_INVALID };

/* What an operation on one order gets from its request (order_job.h runs
 * them). Everything is borrowed and stable across reruns of a job. */
struct ops_input {
    const json_t *body;   /* the request body: an object */
    const char *fo_id;    /* the path's {fo}, or NULL */
    const char *nonce;    /* made once per request: ids of new things derive from it */
    const char *now;      /* ISO time of the request */
    bool create_draft_shipment, skip_shipping; /* ?create_draft_shipment=, ?skip_shipping= */
    const struct config_tenant *tenant;         /* the tenant's settings (allocation rules) */
};
typedef enum ops_result (*ops_fn)(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                  size_t errlen);

enum ops_result ops_cancel_order(json_t *order, const char *reason, bool force, const char *now_iso, json_t *changes,
                                 char *err, size_t errlen);
enum ops_result ops_cancel_lines(json_t *order, const json_t *line_ids, const char *reason, const char *now_iso,
                                 json_t *changes, char *err, size_t errlen);
/* in->body: {outcome (REFUNDED or NOT_REFUNDED), amount, currency,
 * reference, reason}. */
enum ops_result ops_record_refund(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                  size_t errlen);
enum ops_result ops_redact(json_t *order, const char *requested_by, const char *now_iso, json_t *changes);


#endif
