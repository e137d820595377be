/* order_ops: the explicit operations on an order (seed 000 "Cancellation
 * semantics", seed 003 "Refunds & Reversals", seed 001 data redaction).
 * Pure: each takes the order document, changes it or refuses, and appends
 * change entries. Statuses stay computed: an operation moves line items (or
 * shipments) and the rollup does the rest.
 *
 *   cancel order       only while the order is open, partially_allocated or
 *                      allocated: every line → cancelled. Refused once a
 *                      fulfillment order is past allocated (naming it, and
 *                      the lines that can still be cancelled).
 *   late cancellation  force: an order that is fulfilled or closed is
 *                      cancelled all the same (seed 003); its lines →
 *                      cancelled, `cancellation.late` is true.
 *   cancel FO          its lines → cancelled, unless some line is fulfilled
 *                      (unfulfill first) or closed (delivered: cancel the
 *                      other lines instead).
 *   cancel lines       the named lines → cancelled, refused for a line that
 *                      is fulfilled (unfulfill its FO first) or closed.
 *   unfulfill FO       an FO with fulfilled lines (fulfilled, or processing
 *                      beside lines still being picked): its fulfilled lines →
 *                      allocated; each shipment whose lines all became
 *                      unfulfilled is cancelled if still cancellable (no
 *                      status, draft, pending, booked, error,
 *                      ready_to_ship), else left as it is and flagged
 *                      (`attention`).
 *   redact             the customer's personal data is replaced, the order
 *                      marked `redacted`, with who asked and when.
 *
 * Every refusal says what is allowed instead (the exact call), and that
 * call then works. Every operation is idempotent: repeating it returns
 * OPS_NOOP and changes nothing. */
#ifndef SHIPRELAY_ORDER_OPS_H
#define SHIPRELAY_ORDER_OPS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum ops_result { OPS_CHANGED, OPS_NOOP, OPS_REFUSED, OPS_NOT_FOUND };

enum ops_result ops_cancel_order(json_t *order, const char *reason, bool force, const char *now_iso, json_t *changes,
                                 char *err, size_t errlen);
enum ops_result ops_cancel_fulfillment_order(json_t *order, const char *fo_id, const char *reason, const char *now_iso,
                                             json_t *changes, char *err, size_t errlen);
enum ops_result ops_cancel_lines(json_t *order, const json_t *line_ids, const char *reason, const char *now_iso,
                                 json_t *changes, char *err, size_t errlen);
enum ops_result ops_unfulfill(json_t *order, const char *fo_id, const char *now_iso, json_t *changes, char *err,
                              size_t errlen);
enum ops_result ops_redact(json_t *order, const char *requested_by, const char *now_iso, json_t *changes);

/* The members of an order that hold a customer's personal data. */
extern const char *const ops_personal_members[];

#endif
