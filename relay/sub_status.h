/* sub_status: the second level of an order's status (seed 003): `status`
 * is the coarse bucket clients branch on, `sub_status` the detail that says
 * where inside it the order is, and why an order that does not move is
 * parked there. Computed from the order document on every write, never
 * taken from input; null when there is nothing finer to say. Pure.
 *
 * The first rule that holds wins:
 *
 *   cancelled   REFUNDED / NOT_REFUNDED: the refund outcome recorded
 *               (`refund.outcome`, POST /orders/{ref}/refund); a late
 *               cancellation without one is NOT_REFUNDED (a refund is owed);
 *               otherwise null
 *   closed      null
 *   otherwise, over the fulfillment orders that are not cancelled or closed:
 *               FULFILLMENT_REJECTED   the warehouse rejected one
 *               INTEGRATION_ERROR      one waits for fulfilment to be requested again
 *               ON_HOLD                one is on hold
 *               DELIVERY_EXCEPTION     a shipment of the order is
 *                                      failed_delivery_attempt,
 *                                      failed_collection_attempt, delayed,
 *                                      suspended, missing, error or
 *                                      cancelled_by_carrier
 *               PARTIAL                some units are delivered (closed) and
 *                                      others are not yet (it converges: the
 *                                      order closes, or the rest is cancelled)
 *               AUTO_ALLOCATION_FAILED lines wait for an allocation no rule
 *                                      could make
 *
 * New values may be added; clients treat any they do not know as
 * informational (the README says so). */
#ifndef SHIPRELAY_SUB_STATUS_H
#define SHIPRELAY_SUB_STATUS_H
#include <jansson.h>

/* The sub-status the order's document calls for, or NULL. */
const char *sub_status_of(const json_t *order);
/* Set order's sub_status to what it calls for, with a change entry
 * (STATUS_CHANGE of field sub_status) when it moves; 1 if it moved. */
int sub_status_update(json_t *order, json_t *changes);

#endif
