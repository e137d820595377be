/* fo_control: fulfillment control from the API (seed 002's
 * deliveryOrderHold, deliveryOrderResume, deliveryOrderRequestFulfillment),
 * the same state the warehouse's HOLDED / RESUMED / FULFILLMENT_REQUESTED
 * events keep (fulfillment_event.h). Pure ops_fn's (order_ops.h) on the
 * fulfillment order in->fo_id; each records itself in the fulfillment
 * order's `events` trail with source API.
 *
 *   hold                 reason (required): on_hold with hold {reason, date,
 *                        source}. Warehouse events then move no line, and
 *                        fulfill and ship are refused, until it is resumed.
 *                        Refused for a cancelled, closed or fulfilled
 *                        fulfillment order (nothing left to hold). A repeat
 *                        is OPS_NOOP.
 *   resume               reason (optional): off hold. OPS_NOOP when not held.
 *   request-fulfillment  reason (optional): fulfillment_state → requested,
 *                        which is what lets warehouse events move a
 *                        fulfillment order again after an INTEGRATION_ERROR;
 *                        the order's error_details of that fulfillment order
 *                        from the rejection or integration error it answers
 *                        are cleared. Allowed while never requested,
 *                        rejected or in integration_error; a repeat while
 *                        requested is OPS_NOOP; refused while held (resume
 *                        first), without a location (update-location
 *                        first), once accepted or integrated (hold it to
 *                        pause), and for a fulfilled, cancelled or closed
 *                        fulfillment order. */
#ifndef SHIPRELAY_FO_CONTROL_H
#define SHIPRELAY_FO_CONTROL_H
#include "order_ops.h"

enum ops_result fo_hold(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);
enum ops_result fo_resume(json_t *order, const struct ops_input *in, json_t *changes, char *err, size_t errlen);
enum ops_result fo_request_fulfillment(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                       size_t errlen);

#endif
